"""Convolutions, unfold/fold and the Conv layers, against NumPy/SciPy references computed here."""
import math
import pathlib
import re

import numpy as np
import pytest
import scipy.signal

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

RNG = np.random.default_rng(0)


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def N(t):
    return t.detach().numpy()


def ref_conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """Direct definition: out[n, o, i, j] = sum_{c, ki, kj} xpad[n, c, i*s + ki*d, j*s + kj*d] * w[o, c, ki, kj]."""
    n, c, h, wd = x.shape
    o, cpg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3])))
    ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    opg = o // groups
    for oc in range(o):
        g = oc // opg
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cpg:(g + 1) * cpg,
                           i * stride[0]: i * stride[0] + dilation[0] * (kh - 1) + 1: dilation[0],
                           j * stride[1]: j * stride[1] + dilation[1] * (kw - 1) + 1: dilation[1]]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def ref_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter definition: each input pixel adds w-weighted copies into the (uncropped) output."""
    n, cin, h, wd = x.shape
    _, opg, kh, kw = w.shape
    hfull = (h - 1) * stride + dilation * (kh - 1) + 1 + output_padding
    wfull = (wd - 1) * stride + dilation * (kw - 1) + 1 + output_padding
    full = np.zeros((n, opg * groups, hfull, wfull))
    ipg = cin // groups
    for c in range(cin):
        g = c // ipg
        for i in range(h):
            for j in range(wd):
                for ki in range(kh):
                    for kj in range(kw):
                        full[:, g * opg:(g + 1) * opg, i * stride + ki * dilation, j * stride + kj * dilation] += \
                            x[:, c, i, j][:, None] * w[c, :, ki, kj][None]
    hout = (h - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1
    wout = (wd - 1) * stride - 2 * padding + dilation * (kw - 1) + output_padding + 1
    out = full[:, :, padding:padding + hout, padding:padding + wout]
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


# ---------------------------------------------------------------------------------------------- conv2d

def test_conv2d_matches_scipy_correlate():
    x = RNG.standard_normal((2, 3, 9, 8))
    w = RNG.standard_normal((4, 3, 3, 2))
    b = RNG.standard_normal(4)
    expect = np.stack([np.stack([scipy.signal.correlate(x[n], w[o], mode="valid")[0] + b[o] for o in range(4)])
                       for n in range(2)])
    np.testing.assert_allclose(N(F.conv2d(T(x), T(w), T(b))), expect, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), ((2, 1), (1, 2), 1, 1), (1, 2, 2, 1), (3, 1, (2, 1), 2), (2, 0, 1, 4),
    (1, (0, 3), (1, 2), 2),
])
def test_conv2d_against_reference(stride, padding, dilation, groups):
    x = RNG.standard_normal((2, 4, 10, 11))
    w = RNG.standard_normal((8, 4 // groups, 3, 4))
    b = RNG.standard_normal(8)
    s, p, d = (stride,) * 2 if isinstance(stride, int) else stride, (padding,) * 2 if isinstance(padding, int) \
        else padding, (dilation,) * 2 if isinstance(dilation, int) else dilation
    expect = ref_conv2d(x, w, b, s, (p[0], p[0], p[1], p[1]), d, groups)
    got = F.conv2d(T(x), T(w), T(b), stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(N(got), expect, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel,dilation", [((3, 3), 1), ((4, 2), 1), ((2, 5), (2, 1)), ((1, 1), 1)])
def test_conv2d_same_padding_keeps_size_and_pads_high_side_more(kernel, dilation):
    x = RNG.standard_normal((1, 2, 7, 6))
    w = RNG.standard_normal((3, 2, *kernel))
    d = (dilation,) * 2 if isinstance(dilation, int) else dilation
    totals = [dd * (k - 1) for dd, k in zip(d, kernel)]
    pads = (totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2, totals[1] - totals[1] // 2)
    got = F.conv2d(T(x), T(w), padding="same", dilation=dilation)
    assert tuple(got.shape) == (1, 3, 7, 6)
    np.testing.assert_allclose(N(got), ref_conv2d(x, w, None, (1, 1), pads, d), rtol=1e-10, atol=1e-10)
    valid = F.conv2d(T(x), T(w), padding="valid", dilation=dilation)
    np.testing.assert_allclose(N(valid), ref_conv2d(x, w, None, (1, 1), (0, 0, 0, 0), d), rtol=1e-10, atol=1e-10)


def test_conv2d_same_rejects_stride():
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(T(np.ones((1, 1, 5, 5))), T(np.ones((1, 1, 3, 3))), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")


def test_conv2d_unbatched_input():
    x = RNG.standard_normal((3, 6, 6))
    w = RNG.standard_normal((2, 3, 3, 3))
    got = F.conv2d(T(x), T(w), padding=1)
    assert tuple(got.shape) == (2, 6, 6)
    np.testing.assert_allclose(N(got), ref_conv2d(x[None], w, pads=(1, 1, 1, 1))[0], rtol=1e-10, atol=1e-10)


def test_conv2d_channel_mismatch_message_is_torchs():
    w = plait.zeros(64, 3, 3, 3)
    msg = ("Given groups=1, weight of size [64, 3, 3, 3], expected input[4, 64, 158, 158] to have 3 channels, "
           "but got 64 channels instead")
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        F.conv2d(plait.zeros(4, 64, 158, 158), w)
    with pytest.raises(RuntimeError, match=re.escape("Given groups=2, weight of size [4, 2, 3, 3], expected "
                                                     "input[1, 3, 5, 5] to have 4 channels, but got 3 channels")):
        F.conv2d(plait.zeros(1, 3, 5, 5), plait.zeros(4, 2, 3, 3), groups=2)


def test_conv2d_wrong_rank_message_is_torchs():
    msg = "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        F.conv2d(plait.zeros(2, 3), plait.zeros(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match=re.escape("Expected 2D (unbatched) or 3D (batched) input to conv1d, "
                                                     "but got input of size: [1, 2, 3, 4]")):
        F.conv1d(plait.zeros(1, 2, 3, 4), plait.zeros(4, 2, 3))


def test_conv2d_input_smaller_than_kernel_raises():
    with pytest.raises(RuntimeError, match=r"Kernel size: \(3 x 3\). Kernel size can't be greater than actual"):
        F.conv2d(plait.zeros(1, 1, 2, 2), plait.zeros(1, 1, 3, 3))


def test_conv2d_gradcheck():
    x = T(RNG.standard_normal((2, 4, 6, 5)), requires_grad=True)
    w = T(RNG.standard_normal((4, 2, 3, 2)), requires_grad=True)
    b = T(RNG.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
                     (x, w, b), eps=1e-6, atol=1e-5)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding="same"), (x, T(RNG.standard_normal((3, 4, 2, 2)),
                                                                      requires_grad=True)), eps=1e-6, atol=1e-5)


def test_conv2d_second_order_gradient():
    """The im2col backward is itself differentiable: d/dw of <grad_x, v> matches finite differences."""
    x = T(RNG.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = T(RNG.standard_normal((3, 2, 3, 3)), requires_grad=True)
    v = T(RNG.standard_normal((1, 2, 5, 5)))

    def grad_dot(w):
        out = F.conv2d(x, w, stride=2, padding=1)
        (gx,) = plait.autograd.grad(out.pow(2).sum(), x, create_graph=True)
        return (gx * v).sum()

    (analytical,) = plait.autograd.grad(grad_dot(w), w)
    # Central differences by hand: gradcheck evaluates its perturbed points under no_grad, where the
    # inner autograd.grad cannot run.
    base, eps = N(w), 1e-6
    numerical = np.zeros(base.size)
    for j in range(base.size):
        step = np.zeros(base.size)
        step[j] = eps
        plus = grad_dot(T(base + step.reshape(base.shape))).item()
        minus = grad_dot(T(base - step.reshape(base.shape))).item()
        numerical[j] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(N(analytical).ravel(), numerical, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------------- conv1d

@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 2, 1, 1), (1, "same", 2, 3),
                                                            (3, 1, 2, 3)])
def test_conv1d_against_reference(stride, padding, dilation, groups):
    x = RNG.standard_normal((2, 6, 13))
    w = RNG.standard_normal((3, 6 // groups, 4))
    b = RNG.standard_normal(3)
    if padding == "same":
        total = dilation * 3
        pads = (total // 2, total - total // 2)
    else:
        pads = (padding, padding)
    expect = ref_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), (0, 0, *pads), (1, dilation), groups)[:, :, 0]
    got = F.conv1d(T(x), T(w), T(b), stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(N(got), expect, rtol=1e-10, atol=1e-10)


def test_conv1d_matches_numpy_correlate_and_gradcheck():
    x, w = RNG.standard_normal(10), RNG.standard_normal(3)
    got = F.conv1d(T(x).reshape(1, 1, 10), T(w).reshape(1, 1, 3))
    np.testing.assert_allclose(N(got).ravel(), np.correlate(x, w, mode="valid"), rtol=1e-10)
    xs = T(RNG.standard_normal((2, 4, 7)), requires_grad=True)
    ws = T(RNG.standard_normal((2, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1, groups=2), (xs, ws), eps=1e-6, atol=1e-5)
    unbatched = F.conv1d(T(x).reshape(1, 10), T(w).reshape(1, 1, 3))
    assert tuple(unbatched.shape) == (1, 8)


# ---------------------------------------------------------------------------------------------- transposed

@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (3, 2, 2, 2, 1), (2, 0, 0, 1, 2), (2, 1, 0, 2, 2)])
def test_conv_transpose2d_against_reference(stride, padding, output_padding, groups, dilation):
    x = RNG.standard_normal((2, 4, 4, 5))
    w = RNG.standard_normal((4, 3, 3, 2))
    b = RNG.standard_normal(3 * groups)
    got = F.conv_transpose2d(T(x), T(w), T(b), stride, padding, output_padding, groups, dilation)
    expect = ref_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    np.testing.assert_allclose(N(got), expect, rtol=1e-10, atol=1e-10)


def test_conv_transpose2d_is_adjoint_of_conv2d_and_gradcheck():
    x = T(RNG.standard_normal((1, 3, 7, 7)))
    w = T(RNG.standard_normal((2, 3, 3, 3)))
    y = T(RNG.standard_normal((1, 2, 4, 4)))
    lhs = (F.conv2d(x, w, stride=2, padding=1) * y).sum().item()
    rhs = (x * F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=0)).sum().item()
    assert lhs == pytest.approx(rhs, rel=1e-10)
    xi = T(RNG.standard_normal((1, 4, 3, 3)), requires_grad=True)
    wi = T(RNG.standard_normal((4, 1, 2, 3)), requires_grad=True)
    bi = T(RNG.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
                     (xi, wi, bi), eps=1e-6, atol=1e-5)


def test_conv_transpose2d_module_output_size_and_errors():
    m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = plait.randn(1, 3, 5, 5)
    assert tuple(m(x).shape) == (1, 2, 9, 9)
    assert tuple(m(x, output_size=[10, 10]).shape) == (1, 2, 10, 10)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(x, output_size=[12, 12])
    assert repr(m) == "ConvTranspose2d(3, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert tuple(m.weight.shape) == (3, 2, 3, 3)
    with pytest.raises(RuntimeError, match=re.escape("Given transposed=1, weight of size [3, 2, 3, 3], expected "
                                                     "input[1, 4, 5, 5] to have 3 channels, but got 4")):
        m(plait.randn(1, 4, 5, 5))


# ---------------------------------------------------------------------------------------------- unfold / fold

def test_unfold_matches_numpy_and_fold_is_its_adjoint():
    x = RNG.standard_normal((2, 3, 6, 7))
    got = N(F.unfold(T(x), kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ho, wo = (8 - 2 - 1) // 1 + 1, (9 - 3) // 2 + 1
    expect = np.zeros((2, 3 * 6, ho * wo))
    for c in range(3):
        for ki in range(2):
            for kj in range(3):
                for i in range(ho):
                    for j in range(wo):
                        expect[:, c * 6 + ki * 3 + kj, i * wo + j] = xp[:, c, i + 2 * ki, 2 * j + kj]
    np.testing.assert_allclose(got, expect)
    y = RNG.standard_normal(expect.shape)
    folded = N(F.fold(T(y), (6, 7), kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)))
    assert np.sum(got * y) == pytest.approx(np.sum(x * folded), rel=1e-10)


def test_fold_sums_overlaps_and_gradchecks():
    ones = plait.ones(1, 4, 9, dtype=plait.float64)
    counts = N(F.fold(ones, (4, 4), kernel_size=2))
    expect = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], dtype=float)
    np.testing.assert_allclose(counts[0, 0], expect)
    x = T(RNG.standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(lambda x: F.unfold(x, 3, padding=1, stride=2), (x,), eps=1e-6, atol=1e-5)
    c = T(RNG.standard_normal((1, 8, 6)), requires_grad=True)
    assert gradcheck(lambda c: F.fold(c, (3, 4), kernel_size=2, dilation=1, padding=0, stride=1), (c,),
                     eps=1e-6, atol=1e-5)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        F.fold(plait.zeros(1, 8, 5), (3, 4), kernel_size=2)


# ---------------------------------------------------------------------------------------------- modules

def test_conv_module_reprs_match_torch():
    assert repr(nn.Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert repr(nn.Conv2d(3, 8, (3, 2), stride=2, padding=1, dilation=2, groups=1, bias=False)) == \
        "Conv2d(3, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False)"
    assert repr(nn.Conv2d(4, 4, 3, padding="same", groups=2, padding_mode="reflect")) == \
        "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2, padding_mode=reflect)"
    assert repr(nn.Conv1d(16, 33, 3, stride=2)) == "Conv1d(16, 33, kernel_size=(3,), stride=(2,))"
    assert repr(nn.ConvTranspose2d(16, 33, 3, stride=2, output_padding=1)) == \
        "ConvTranspose2d(16, 33, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"


def test_conv_module_init_bounds_and_shapes():
    plait.manual_seed(0)
    m = nn.Conv2d(6, 16, 5)
    assert tuple(m.weight.shape) == (16, 6, 5, 5) and tuple(m.bias.shape) == (16,)
    bound = 1 / math.sqrt(6 * 25)
    w, b = N(m.weight), N(m.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # kaiming_uniform_(a=sqrt(5)) is U(-bound, bound): its std is bound/sqrt(3).
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    g = nn.Conv1d(4, 6, 3, groups=2, bias=False)
    assert tuple(g.weight.shape) == (6, 2, 3) and g.bias is None
    assert len(list(g.parameters())) == 1
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_conv2d_padding_modes(mode, np_mode):
    m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    x = RNG.standard_normal((1, 2, 5, 6))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=np_mode)
    expect = ref_conv2d(xp, N(m.weight), N(m.bias))
    np.testing.assert_allclose(N(m(T(x))), expect, rtol=1e-10, atol=1e-10)


def test_conv_module_backward_reaches_parameters():
    m = nn.Conv2d(2, 4, 3, stride=2, padding=1)
    x = plait.randn(3, 2, 8, 8)
    m(x).sum().backward()
    assert tuple(m.weight.grad.shape) == (4, 2, 3, 3)
    # d(sum)/d(bias) counts the output positions.
    np.testing.assert_allclose(N(m.bias.grad), np.full(4, 3 * 4 * 4), rtol=1e-6)


# ---------------------------------------------------------------------------------------------- models in the notes

class BlitzNet(nn.Module):
    """The LeNet of the 60-minute blitz notes."""

    def __init__(self):
        super(BlitzNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


def test_blitz_lenet_runs_as_in_the_notes():
    net = BlitzNet()
    assert repr(net) == (
        "BlitzNet(\n"
        "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (fc1): Linear(in_features=400, out_features=120, bias=True)\n"
        "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
        "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
        ")")
    params = list(net.parameters())
    assert len(params) == 10
    assert params[0].size() == (6, 1, 5, 5)
    input = plait.randn(1, 1, 32, 32)
    out = net(input)
    assert tuple(out.shape) == (1, 10)
    net.zero_grad()
    out.backward(plait.randn(1, 10))
    output = net(input)
    target = plait.randn(10).view(1, -1)
    loss = nn.MSELoss()(output, target)
    net.zero_grad()
    loss.backward()
    assert net.conv1.bias.grad is not None and float(net.conv1.bias.grad.abs().sum()) > 0
    before = N(net.conv1.weight).copy()
    with plait.no_grad():
        for p in net.parameters():
            p -= 0.01 * p.grad
    assert not np.allclose(before, N(net.conv1.weight))


class TensorboardXNet(nn.Module):
    """The Net of the tensorboardX notes (Dropout2d, BatchNorm2d, F.dropout with training=self.training)."""

    def __init__(self):
        super(TensorboardXNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.bn = nn.BatchNorm2d(20)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.relu(x) + F.relu(-x)
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = self.bn(x)
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        x = F.softmax(x, dim=1)
        return x


def test_tensorboardx_net_runs_in_train_and_eval():
    model = TensorboardXNet()
    input = plait.rand(32, 1, 28, 28)
    out = model(input)
    assert tuple(out.shape) == (32, 10)
    np.testing.assert_allclose(N(out.sum(dim=1)), np.ones(32), rtol=1e-5)
    out[:, 0].sum().backward()
    assert model.conv1.weight.grad is not None and model.bn.weight.grad is not None
    assert int(model.bn.num_batches_tracked) == 1
    model.eval()
    a, b = model(input), model(input)
    np.testing.assert_array_equal(N(a), N(b))


def test_double_conv_channel_error_from_the_notes():
    """The UNet DoubleConv bug of the notes: the second conv takes in_channels instead of out_channels."""
    double_conv = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=3), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
        nn.Conv2d(3, 64, kernel_size=3), nn.BatchNorm2d(64), nn.ReLU(inplace=True))
    msg = ("Given groups=1, weight of size [64, 3, 3, 3], expected input[4, 64, 158, 158] to have 3 channels, "
           "but got 64 channels instead")
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        double_conv(plait.randn(4, 3, 160, 160))
    fixed = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                          nn.Conv2d(8, 8, kernel_size=3), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
    assert tuple(fixed(plait.randn(2, 3, 20, 20)).shape) == (2, 8, 16, 16)


def test_library_sources_are_backend_neutral():
    root = pathlib.Path(nn.__file__).parent
    for name in ("_functional_conv.py", "modules/conv.py", "modules/pooling.py", "modules/normalization.py",
                 "modules/dropout.py", "modules/sparse.py"):
        text = (root / name).read_text()
        assert not re.search(r"^\s*(import|from)\s+(numpy|cupy)\b", text, re.M), name


def test_input_gradient_of_conv_is_row_major():
    # col2im may hand back a transposed array; a leaf's .grad is stored row-major, as torch's is.
    x = plait.randn(2, 3, 6, 6, requires_grad=True)
    F.conv2d(x, plait.randn(4, 3, 3, 3), padding=1).sum().backward()
    assert x.grad.is_contiguous()
    assert x.grad.view(-1).shape == (2 * 3 * 6 * 6,)


def test_conv_dtype_and_kernel_size_messages_are_torchs():
    cases = [  # torch 2.13's messages
        (lambda: F.conv2d(plait.randn(1, 1, 4, 4), plait.randn(1, 1, 5, 5)),
         "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be greater "
         "than actual input size"),
        (lambda: F.conv1d(plait.randn(1, 1, 4), plait.randn(1, 1, 5)),
         "Calculated padded input size per channel: (4). Kernel size: (5). Kernel size can't be greater than "
         "actual input size"),
        (lambda: F.conv2d(plait.randn(1, 1, 4, 4).double(), plait.randn(1, 1, 3, 3)),
         "expected scalar type Double but found Float"),
        (lambda: F.conv2d(plait.randn(1, 1, 4, 4), plait.randn(1, 1, 3, 3), plait.randn(1).double()),
         "Input type (float) and bias type (double) should be the same"),
        (lambda: F.conv_transpose2d(plait.randn(1, 1, 4, 4), plait.randn(1, 1, 3, 3).double()),
         "expected scalar type Float but found Double"),
        (lambda: F.interpolate(plait.randn(1, 1, 9), scale_factor=0.1),
         "Input and output sizes should be greater than 0, but got input (W: 9) and output (W: 0)"),
        (lambda: F.interpolate(plait.randn(1, 1, 1, 9), scale_factor=0.7, mode="bilinear"),
         "Input and output sizes should be greater than 0, but got input (H: 1, W: 9) output (H: 0, W: 6)"),
        (lambda: F.linear(plait.randn(2, 3), plait.randn(4, 3).double()),
         "expected m1 and m2 to have the same dtype, but got: float != double"),
    ]
    for call, message in cases:
        with pytest.raises(RuntimeError) as err:
            call()
        assert str(err.value) == message
    assert tuple(F.conv2d(plait.randn(1, 1, 4, 4), plait.randn(1, 1, 3, 3), dilation=2, padding=1).shape) == (1, 1, 2, 2)


def test_conv_transpose2d_output_size_like_torch():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2)
    assert tuple(m(plait.randn(1, 2, 5, 7), output_size=[12, 16]).shape) == (1, 3, 12, 16)
    assert tuple(m(plait.randn(2, 5, 7), output_size=[3, 12, 16]).shape) == (3, 12, 16)  # unbatched: C + spatial
    with pytest.raises(ValueError) as err:
        m(plait.randn(1, 2, 5, 7), output_size=[11, 18])
    assert str(err.value) == ("requested an output size of [11, 18], but valid sizes range from [11, 15] to [12, 16] "
                              "(for an input of plait.Size([5, 7]))")
    with pytest.raises(ValueError, match=r"ConvTranspose2D: for 3D input, output_size must have 2 or 3 elements"):
        m(plait.randn(2, 5, 7), output_size=[1, 3, 12, 16])
