"""conv3d, conv_transpose1d/3d and their layers against numbers torch 2.13 computed for the same inputs.

Inputs are drawn from seeded NumPy generators; ``REFS`` holds torch's outputs and gradients for them (made
once by running the same cases through torch), so the tests need no torch. A live comparison over many
more argument combinations runs where torch is installed.
"""
import itertools

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

# name: (function, argument shapes (input, weight[, bias]), keyword arguments, seed)
CASES = {
    "conv3d_basic": ("conv3d", [(1, 2, 3, 4, 4), (3, 2, 2, 2, 2), (3,)], {}, 0),
    "conv3d_stride_pad_dil": ("conv3d", [(2, 2, 4, 5, 5), (2, 2, 2, 3, 2)], dict(stride=(1, 2, 1), padding=(1, 0, 1),
                                                                              dilation=(2, 1, 2)), 1),
    "conv3d_groups_same": ("conv3d", [(1, 4, 3, 3, 4), (4, 2, 2, 3, 2), (4,)], dict(padding="same", groups=2), 2),
    "conv3d_unbatched": ("conv3d", [(2, 3, 3, 3), (2, 2, 2, 2, 2)], dict(padding=1, stride=2), 3),
    "conv_transpose3d_basic": ("conv_transpose3d", [(1, 2, 2, 2, 3), (2, 3, 2, 2, 2), (3,)], {}, 4),
    "conv_transpose3d_strided": ("conv_transpose3d", [(1, 2, 2, 3, 2), (2, 2, 3, 2, 2)],
                                 dict(stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 1),
                                      dilation=(1, 2, 1)), 5),
    "conv_transpose3d_groups": ("conv_transpose3d", [(2, 4, 2, 2, 2), (4, 1, 2, 2, 2), (2,)],
                                dict(groups=2, stride=2, padding=1), 6),
    "conv_transpose1d_basic": ("conv_transpose1d", [(2, 2, 5), (2, 3, 3), (3,)], dict(stride=2, padding=1,
                                                                                     output_padding=1), 7),
    "conv_transpose1d_groups_dil": ("conv_transpose1d", [(1, 4, 4), (4, 1, 2)], dict(groups=2, dilation=3), 8),
    "conv_transpose1d_unbatched": ("conv_transpose1d", [(2, 4), (2, 2, 3)], dict(stride=3), 9),
}

REFS = {}  # generated below the marker


def _inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes], rng


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def N(t):
    return t.detach().numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    fn, shapes, kwargs, seed = CASES[name]
    arrays, rng = _inputs(shapes, seed)
    tensors = [T(a, requires_grad=True) for a in arrays]
    out = getattr(F, fn)(*tensors, **kwargs)
    ref = REFS[name]
    np.testing.assert_allclose(N(out), np.array(ref["out"]), rtol=0, atol=1e-10)
    out.backward(T(rng.standard_normal(tuple(out.shape))))
    for t, g in zip(tensors, ref["grads"]):
        np.testing.assert_allclose(t.grad.numpy(), np.array(g), rtol=0, atol=1e-10)
    assert out.grad_fn.name() == ref["node"]


def test_float32_matches_torch():
    fn, shapes, kwargs, seed = CASES["conv3d_stride_pad_dil"]
    arrays, _ = _inputs(shapes, seed)
    out = F.conv3d(*[plait.tensor(a.astype(np.float32)) for a in arrays], **kwargs)
    assert out.dtype == plait.float32
    np.testing.assert_allclose(out.numpy(), np.array(REFS["conv3d_stride_pad_dil"]["out"]), atol=1e-5)


def _gradcheck(fn, shapes, seed=0, **kwargs):
    arrays, _ = _inputs(shapes, seed)
    tensors = [T(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *ts: fn(*ts, **kwargs), tensors, eps=1e-6, atol=1e-5)


def test_gradcheck_conv3d():
    _gradcheck(F.conv3d, [(1, 2, 3, 3, 3), (2, 1, 2, 2, 2), (2,)], stride=(2, 1, 1), padding=1, groups=2)


def test_gradcheck_conv_transpose3d():
    _gradcheck(F.conv_transpose3d, [(1, 2, 2, 2, 2), (2, 1, 2, 2, 2), (2,)], stride=2, padding=(1, 0, 0),
               output_padding=1, groups=2)


def test_gradcheck_conv_transpose1d():
    _gradcheck(F.conv_transpose1d, [(2, 2, 3), (2, 2, 3), (2,)], stride=2, padding=1, dilation=2)


def test_gradgradcheck_convolutions():
    arrays, _ = _inputs([(1, 2, 2, 3, 3), (2, 1, 2, 2, 2), (1, 2, 2, 2), (2, 1, 2, 2)], 13)
    x3, w3, x2, w2 = (T(a, requires_grad=True) for a in arrays)
    assert plait.autograd.gradgradcheck(lambda x, w: F.conv3d(x, w, groups=2, padding=(0, 1, 0)), (x3, w3))
    assert plait.autograd.gradgradcheck(lambda x, w: F.conv_transpose3d(x, w, stride=2), (x3, w3))
    assert plait.autograd.gradgradcheck(lambda x, w: F.conv2d(x, w, groups=2, padding=1), (x2, w2))


def test_second_order_gradients_match_torch():
    arrays, _ = _inputs([(1, 1, 2, 3, 3), (1, 1, 2, 2, 2)], 12)
    x, w = T(arrays[0], requires_grad=True), T(arrays[1], requires_grad=True)
    (gx,) = plait.autograd.grad(F.conv3d(x, w, stride=(1, 1, 1)).pow(2).sum(), x, create_graph=True)
    (gw,) = plait.autograd.grad(gx.pow(2).sum(), w)
    np.testing.assert_allclose(gw.numpy(), np.array(REFS["second_order"]), atol=1e-10)


# output shapes torch gives for (input, weight, kwargs)
SHAPES_CONV3D = [
    ((1, 2, 5, 6, 7), (4, 2, 3, 3, 3), dict(), (1, 4, 3, 4, 5)),
    ((1, 2, 5, 6, 7), (4, 2, 3, 2, 1), dict(stride=2), (1, 4, 2, 3, 4)),
    ((1, 2, 5, 6, 7), (4, 2, 3, 2, 1), dict(stride=(1, 2, 3), padding=(2, 1, 0)), (1, 4, 7, 4, 3)),
    ((1, 2, 5, 6, 7), (4, 1, 2, 2, 2), dict(groups=2, dilation=(2, 3, 1)), (1, 4, 3, 3, 6)),
    ((1, 2, 5, 6, 7), (4, 2, 2, 3, 4), dict(padding="same", dilation=2), (1, 4, 5, 6, 7)),
    ((1, 2, 5, 6, 7), (4, 2, 2, 3, 4), dict(padding="valid"), (1, 4, 4, 4, 4)),
    ((2, 5, 6, 7), (4, 2, 5, 6, 7), dict(), (4, 1, 1, 1)),
]
SHAPES_CONV_TRANSPOSE3D = [
    ((1, 2, 3, 4, 5), (2, 4, 3, 3, 3), dict(), (1, 4, 5, 6, 7)),
    ((1, 2, 3, 4, 5), (2, 4, 3, 2, 1), dict(stride=2, padding=1, output_padding=1), (1, 4, 6, 7, 8)),
    ((1, 2, 3, 4, 5), (2, 2, 2, 2, 2), dict(stride=(1, 2, 3), dilation=(3, 1, 2), groups=2), (1, 4, 6, 8, 15)),
    ((2, 3, 4, 5), (2, 4, 1, 1, 1), dict(stride=3, padding=(0, 1, 2)), (4, 7, 8, 9)),
]
SHAPES_CONV_TRANSPOSE1D = [
    ((1, 2, 5), (2, 4, 3), dict(), (1, 4, 7)),
    ((1, 2, 5), (2, 4, 3), dict(stride=3, padding=2, output_padding=2), (1, 4, 13)),
    ((1, 2, 5), (2, 1, 2), dict(groups=2, dilation=4), (1, 2, 9)),
    ((2, 5), (2, 3, 4), dict(stride=2), (3, 12)),
]


@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs, expected",
                         [("conv3d", *c) for c in SHAPES_CONV3D] +
                         [("conv_transpose3d", *c) for c in SHAPES_CONV_TRANSPOSE3D] +
                         [("conv_transpose1d", *c) for c in SHAPES_CONV_TRANSPOSE1D])
def test_output_shapes_match_torch(fn, x_shape, w_shape, kwargs, expected):
    out = getattr(F, fn)(plait.zeros(x_shape), plait.zeros(w_shape), **kwargs)
    assert tuple(out.shape) == expected


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv3d(plait.zeros(2, 4, 4), plait.zeros(3, 2, 1, 1, 1)), RuntimeError,
     "Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: [2, 4, 4]"),
    (lambda: F.conv3d(plait.zeros(1, 2, 4, 4, 4), plait.zeros(3, 2, 5, 5, 5)), RuntimeError,
     "Calculated padded input size per channel: (4 x 4 x 4). Kernel size: (5 x 5 x 5). Kernel size can't be greater "
     "than actual input size"),
    (lambda: F.conv3d(plait.zeros(1, 3, 4, 4, 4), plait.zeros(3, 2, 1, 1, 1)), RuntimeError,
     "Given groups=1, weight of size [3, 2, 1, 1, 1], expected input[1, 3, 4, 4, 4] to have 2 channels, but got 3 "
     "channels instead"),
    (lambda: F.conv3d(plait.zeros(1, 2, 4, 4, 4), plait.zeros(3, 2, 1, 1, 1), stride=2, padding="same"),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv_transpose3d(plait.zeros(1, 2, 4, 4, 4), plait.zeros(2, 2, 2, 2, 2), stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation, but got output_padding_depth: 2 "
     "output_padding_height: 2 output_padding_width: 2 stride_depth: 2 stride_height: 2 stride_width: 2 "
     "dilation_depth: 1 dilation_height: 1 dilation_width: 1"),
    (lambda: F.conv_transpose1d(plait.zeros(1, 2, 4), plait.zeros(2, 2, 2), stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation, but got output_padding_height: 0 "
     "output_padding_width: 2 stride_height: 1 stride_width: 2 dilation_height: 1 dilation_width: 1"),
    (lambda: F.conv_transpose3d(plait.zeros(2, 4, 4), plait.zeros(2, 2, 2, 2, 2)), RuntimeError,
     "Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d, but got input of size: [2, 4, 4]"),
    (lambda: F.conv_transpose1d(plait.zeros(2, 4, 4, 4), plait.zeros(2, 2, 2)), RuntimeError,
     "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: [2, 4, 4, 4]"),
    (lambda: F.conv_transpose3d(plait.zeros(1, 2, 4, 4, 4), plait.zeros(2, 2, 2, 2, 2), padding=3), RuntimeError,
     "Given input size per channel: (4 x 4 x 4). Calculated output size per channel: (-1 x -1 x -1). Output size is "
     "too small"),
    (lambda: F.conv_transpose1d(plait.zeros(1, 2, 4), plait.zeros(2, 2, 2), padding=3), RuntimeError,
     "Given input size per channel: (1 x 4). Calculated output size per channel: (1 x -1). Output size is too small"),
    (lambda: F.conv_transpose3d(plait.zeros(1, 3, 4, 4, 4), plait.zeros(2, 2, 2, 2, 2)), RuntimeError,
     "Given transposed=1, weight of size [2, 2, 2, 2, 2], expected input[1, 3, 4, 4, 4] to have 2 channels, but got "
     "3 channels instead"),
    (lambda: F.conv_transpose1d(plait.zeros(1, 3, 4), plait.zeros(2, 2, 2)), RuntimeError,
     "Given transposed=1, weight of size [2, 2, 2], expected input[1, 3, 4] to have 2 channels, but got 3 channels "
     "instead"),
])
def test_errors_match_torch(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_reprs_match_torch():
    assert repr(nn.Conv3d(2, 4, 3)) == "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))"
    assert repr(nn.Conv3d(4, 4, (1, 2, 3), stride=2, padding=(0, 1, 1), dilation=2, groups=2, bias=False,
                          padding_mode="circular")) == \
        ("Conv3d(4, 4, kernel_size=(1, 2, 3), stride=(2, 2, 2), padding=(0, 1, 1), dilation=(2, 2, 2), groups=2, "
         "bias=False, padding_mode=circular)")
    assert repr(nn.ConvTranspose3d(2, 4, 3, stride=2, output_padding=1)) == \
        "ConvTranspose3d(2, 4, kernel_size=(3, 3, 3), stride=(2, 2, 2), output_padding=(1, 1, 1))"
    assert repr(nn.ConvTranspose1d(2, 4, 3)) == "ConvTranspose1d(2, 4, kernel_size=(3,), stride=(1,))"
    assert repr(nn.ConvTranspose1d(2, 4, 3, padding=1, dilation=2, groups=2)) == \
        "ConvTranspose1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,), dilation=(2,), groups=2)"


def test_layers_have_torch_parameter_shapes_and_init_bounds():
    conv = nn.Conv3d(4, 6, (1, 2, 3), groups=2)
    assert tuple(conv.weight.shape) == (6, 2, 1, 2, 3) and tuple(conv.bias.shape) == (6,)
    bound = 1 / np.sqrt(2 * 1 * 2 * 3)
    assert np.abs(N(conv.weight)).max() <= bound and np.abs(N(conv.bias)).max() <= bound
    tconv = nn.ConvTranspose3d(4, 6, 2, groups=2)
    assert tuple(tconv.weight.shape) == (4, 3, 2, 2, 2)
    assert tuple(nn.ConvTranspose1d(4, 6, 5).weight.shape) == (4, 6, 5)
    assert set(nn.ConvTranspose1d(4, 6, 5).state_dict()) == {"weight", "bias"}


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_padding_modes_match_torch(mode):
    arrays, _ = _inputs([(1, 1, 3, 3, 3)], 10)
    conv = nn.Conv3d(1, 1, 2, padding=1, padding_mode=mode, bias=False, dtype=plait.float64)
    with plait.no_grad():
        conv.weight.copy_(T(np.arange(8.0).reshape(1, 1, 2, 2, 2) / 8))
    out = conv(T(arrays[0]))
    np.testing.assert_allclose(N(out), np.array(REFS["padding_mode_" + mode]), atol=1e-10)


def test_conv_transpose3d_output_size_picks_output_padding():
    m = nn.ConvTranspose3d(1, 1, 3, stride=2, padding=1)
    x = plait.zeros(1, 1, 3, 3, 3)
    assert tuple(m(x).shape) == (1, 1, 5, 5, 5)
    assert tuple(m(x, output_size=[6, 5, 6]).shape) == (1, 1, 6, 5, 6)
    assert tuple(m(x, output_size=(1, 1, 6, 6, 6)).shape) == (1, 1, 6, 6, 6)
    with pytest.raises(ValueError, match=r"requested an output size of \[7, 5, 5\], but valid sizes range from "
                                         r"\[5, 5, 5\] to \[6, 6, 6\]"):
        m(x, output_size=[7, 5, 5])
    with pytest.raises(ValueError, match=r"ConvTranspose3D: for 5D input, output_size must have 3 or 5 elements "
                                         r"\(got 2\)"):
        m(x, output_size=[6, 6])
    m1 = nn.ConvTranspose1d(1, 1, 3, stride=3)
    assert tuple(m1(plait.zeros(1, 1, 4), output_size=[14]).shape) == (1, 1, 14)


def test_transposed_layers_refuse_other_padding_modes():
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose3d'):
        nn.ConvTranspose3d(1, 1, 2, padding_mode="reflect")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose1d'):
        nn.ConvTranspose1d(1, 1, 2, padding_mode="circular")


def test_conv3d_layer_trains():
    plait.manual_seed(0)
    model = nn.Sequential(nn.Conv3d(1, 2, 2), nn.ReLU(), nn.ConvTranspose3d(2, 1, 2))
    x = plait.randn(2, 1, 3, 3, 3)
    target = x.detach()
    opt = plait.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


def test_against_live_torch_over_many_arguments():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)

    def compare(p_fn, t_fn, shapes, **kwargs):
        arrays = [rng.standard_normal(s) for s in shapes]
        ps = [T(a, requires_grad=True) for a in arrays]
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        po, to = p_fn(*ps, **kwargs), t_fn(*ts, **kwargs)
        g = rng.standard_normal(tuple(to.shape))
        po.backward(T(g))
        to.backward(torch.tensor(g))
        np.testing.assert_allclose(N(po), to.detach().numpy(), atol=1e-10)
        for p, t in zip(ps, ts):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), atol=1e-10)

    for s, p, d, g in itertools.product([1, 2, (1, 2, 3)], [0, 1, (0, 1, 2), "same"], [1, (2, 1, 1)], [1, 2]):
        if p == "same" and s != 1:
            continue
        compare(F.conv3d, torch.nn.functional.conv3d, [(2, 4, 6, 5, 6), (4, 4 // g, 3, 2, 3), (4,)], stride=s,
                padding=p, dilation=d, groups=g)
    for s, p, op, d, g in itertools.product([1, 2, (1, 2, 3)], [0, (0, 1, 2)], [0, 1], [1, (2, 1, 1)], [1, 2]):
        ss, dd = (s,) * 3 if isinstance(s, int) else s, (d,) * 3 if isinstance(d, int) else d
        if any(op >= max(a, b) for a, b in zip(ss, dd)):
            continue
        compare(F.conv_transpose3d, torch.nn.functional.conv_transpose3d, [(2, 4, 3, 3, 4), (4, 4 // g, 3, 2, 3)],
                stride=s, padding=p, output_padding=op, dilation=d, groups=g)
        if op < max(ss[-1], dd[-1]):
            compare(F.conv_transpose1d, torch.nn.functional.conv_transpose1d, [(2, 4, 5), (4, 4 // g, 3), (4,)],
                    stride=ss[-1], padding=p if isinstance(p, int) else p[-1], output_padding=op, dilation=dd[-1],
                    groups=g)


def torch_extras(torch, lst):
    """The reference numbers beyond CASES, as torch computes them (used only to regenerate REFS)."""
    refs = {}
    arrays, _ = _inputs([(1, 1, 3, 3, 3)], 10)
    for mode in ("zeros", "reflect", "replicate", "circular"):
        conv = torch.nn.Conv3d(1, 1, 2, padding=1, padding_mode=mode, bias=False, dtype=torch.float64)
        with torch.no_grad():
            conv.weight.copy_(torch.arange(8.0).reshape(1, 1, 2, 2, 2) / 8)
        refs["padding_mode_" + mode] = lst(conv(torch.tensor(arrays[0])).detach())
    arrays, _ = _inputs([(1, 1, 2, 3, 3), (1, 1, 2, 2, 2)], 12)
    x, w = (torch.tensor(a, requires_grad=True) for a in arrays)
    (gx,) = torch.autograd.grad(torch.nn.functional.conv3d(x, w).pow(2).sum(), x, create_graph=True)
    (gw,) = torch.autograd.grad(gx.pow(2).sum(), w)
    refs["second_order"] = lst(gw)
    return refs


# ---- generated by running CASES through torch 2.13 (float64); do not edit by hand ----
REFS.update({'conv3d_basic': {'grads': [[[[[[0.100131037513, 0.372423148326, 0.928938711921, -1.468360967869],
                                [0.420210738963, 1.877502172154, -3.790922445748, 0.104596297131],
                                [2.211766089573, -0.065022548734, 3.744131156011, 2.76737906357],
                                [1.212679810131, 3.231829948167, 2.412829987901, 1.449445194463]],
                               [[-0.813291707536, -1.994647348964, -2.528887313927, 1.364708614644],
                                [-0.506077334476, 2.558427433037, 4.916189467375, 1.479906719897],
                                [3.500600495349, 4.766802739331, 2.049881060768, -0.222956633729],
                                [1.192509154905, 0.664639478839, -0.40960819265, -2.523437740846]],
                               [[1.412295622075, 1.892377828677, -3.07436748176, -2.618124087503],
                                [1.298665084506, -0.991816913529, -4.454897555393, -1.981201103628],
                                [0.512676546156, 1.099695147271, -2.956063346505, 0.79553640159],
                                [-0.07890888643, -1.010434021068, -0.12209677418, -1.928650210426]]],
                              [[[-0.41522509921, -1.37907107539, 1.100518818341, -2.040337103269],
                                [0.924769095837, 5.325536479006, -0.415213521304, 5.823877367353],
                                [0.384303836205, -8.256822284533, -3.981598036902, -0.907227186666],
                                [1.489654011, 3.708365552469, 0.476540566722, -3.058516814822]],
                               [[2.453238772656, 2.658979261485, -5.259342329633, 1.730431023515],
                                [-1.392631910325, 2.444952134314, -0.292967095542, -0.544096022762],
                                [-4.756660785452, -0.479009887719, 5.516374339354, -4.229625462036],
                                [1.533372457652, -4.15955651459, 1.724421743171, -1.128999969771]],
                               [[-0.390282656228, 0.346929671798, 2.825610425275, 0.556071978002],
                                [5.171662834017, -1.483932961395, 4.25799068498, -0.797401343658],
                                [1.600849450993, 3.234860766526, -4.073680288412, -0.369860272463],
                                [0.423819720718, 1.54707744855, -2.246087166762, 0.102994478812]]]]],
                            [[[[[-0.101541548757, -7.241702135672], [1.908301123088, 0.901379470283]],
                               [[5.779432161932, 1.696742094706], [5.172444559051, -0.013537664518]]],
                              [[[0.322149336453, -0.932180099147], [-6.011617531257, 7.428020477739]],
                               [[1.524700094316, 4.074305612178], [2.601401060007, -4.932764299671]]]],
                             [[[[-5.801812680141, 3.098818184636], [-4.775377209387, -2.292721479048]],
                               [[-2.029163719402, -3.969691796284], [-3.21637593616, -7.040104311224]]],
                              [[[3.298624694393, -6.675162454217], [3.237114665079, -5.24885984374]],
                               [[-6.847763948676, -2.104861598124], [-1.128177210892, 0.003421203589]]]],
                             [[[[3.045592541406, 5.895231417069], [4.937784708088, 5.595847732896]],
                               [[1.508800407787, -0.481411548366], [-7.370496836666, 0.333273235541]]],
                              [[[1.416013871546, -2.76035649839], [2.585575342513, -10.662538002617]],
                               [[-5.498537871686, -2.952719426043], [-6.617661220345, 2.298752718736]]]]],
                            [-5.018469800046, 0.723588414486, -2.601590812509]],
                  'node': 'ConvolutionBackward0',
                  'out': [[[[[-2.554326364427, 0.252468031744, -1.730090826422],
                             [0.130501008233, 9.524610316742, -0.375456899266],
                             [1.8158793759, 8.474144712634, -4.157661476754]],
                            [[-1.682394756888, -0.883551497355, -0.788115401193],
                             [2.295212679328, -1.765170669773, -0.31038266273],
                             [7.116400431868, -4.497581050838, 7.203233833328]]],
                           [[[-0.284983002434, 4.460244053869, -1.535922419967],
                             [1.51923133697, 2.922695710264, -6.414458668227],
                             [3.297809977864, -6.650335318272, -2.868511657554]],
                            [[3.631818131429, 3.450975434611, 3.844924147098],
                             [0.954866005269, -4.085163578677, 6.570321502505],
                             [-3.612640569942, 7.120196672298, 1.167920512632]]],
                           [[[3.880555121779, -3.88974549708, 2.44469090492],
                             [0.27601692225, -7.383881539341, -2.56685721191],
                             [4.041812107684, 2.795324761801, -8.477485478463]],
                            [[-4.71233589658, 4.362961601516, 4.247535911672],
                             [-7.544513646849, 1.72784271991, -2.136688660527],
                             [2.67222956171, 1.508351765112, 8.442746235787]]]]]},
 'conv3d_groups_same': {'grads': [[[[[[0.623804363376, -0.85624356796, -1.584811624515, 0.172884921153],
                                      [1.549416095873, 1.690546945274, 3.468378004125, 0.40395057473],
                                      [1.849677084798, -2.503683923748, 0.366283578442, -1.744820102126]],
                                     [[-0.353435672521, -1.549502941854, -1.862291840289, 6.296346151105],
                                      [6.340160570497, 5.144697798398, 3.003792800163, 11.981364301335],
                                      [2.217932063688, 0.639376125589, 0.106585659825, -1.273432775299]],
                                     [[-2.899422860933, -8.865716331785, -2.516370766603, 2.85973611194],
                                      [6.105483254711, 1.728757781115, 0.386676632078, 1.162040993395],
                                      [-2.748504609357, 3.755008984724, -2.372901331229, 4.810825228768]]],
                                    [[[1.05732213246, -1.039050728757, -1.88235839175, 2.732793436819],
                                      [-1.459025307652, -0.45509553551, 3.94655481689, 7.366954246486],
                                      [0.703875904491, -2.542770661007, -1.343226763253, -6.481559798786]],
                                     [[-0.026291179473, 1.422774251595, -4.666669816756, -3.523151641767],
                                      [-2.060226379355, 0.505636887124, 3.025575609817, 4.841314400956],
                                      [-2.870869999339, 0.536437272589, -4.33849877909, -2.126188188258]],
                                     [[-2.847205816507, 2.19009707334, 0.182611153359, -0.418099659451],
                                      [3.167906921316, 7.194926778591, 11.720913134792, 1.780488658367],
                                      [0.547981824018, -9.707145678791, -3.206038843158, -0.450594531804]]],
                                    [[[0.089206298548, -4.047920507648, -0.26550271036, 3.266042903872],
                                      [2.519744241114, -5.082339596044, 5.446812098025, 1.950713712117],
                                      [2.108779730976, 1.083809241775, -0.107443537389, -1.787307938235]],
                                     [[-0.369059934252, 3.108582333417, -3.121803526933, 1.207889094334],
                                      [-4.367728660888, 2.820536617449, 7.289744481706, -5.276948849728],
                                      [-6.726417130189, -11.610586847204, 1.462800491111, -0.646849202033]],
                                     [[3.210041110651, 9.420318142073, 0.299951584553, -4.025312484298],
                                      [0.777450024407, -2.890945085045, 1.115268777905, 0.245209397703],
                                      [0.025822590688, 9.186721198329, 8.064900707416, -5.059456472774]]],
                                    [[[0.560772897122, 8.076120388005, -0.523617193484, -3.798664299508],
                                      [5.521555808686, 1.214184780361, -0.481335907295, 5.101103447364],
                                      [2.248356712258, 0.199954462215, -1.119690170362, -2.109683179182]],
                                     [[-6.087464124401, 1.495465539265, -0.420247427981, -2.051054804943],
                                      [-1.654408400566, -6.486853601599, -7.059389308092, 2.185233513631],
                                      [-3.982196565678, -3.283882376054, -8.630680856779, 0.355794293453]],
                                     [[-2.404378064761, -2.904999039559, 6.448915368631, 3.996817779917],
                                      [5.533248069426, 8.473477333057, -1.396369861514, -3.107835525576],
                                      [-2.618336239682, -0.340995725932, 2.569449729158, 5.360026351386]]]]],
                                  [[[[[1.973459320641, -1.318248951027], [4.012414492794, 0.432090154836],
                                      [3.932428947827, 2.676818225044]],
                                     [[3.587095431628, -2.124187189336], [-3.749403877957, 1.57813949034],
                                      [-4.141010900687, -1.789781351641]]],
                                    [[[-3.214210956147, -8.842216237518], [-4.409212551351, -0.840130162932],
                                      [7.375725757403, 11.536656927785]],
                                     [[3.485281369894, 1.731427313945], [2.459296463911, 0.934275085568],
                                      [0.000368878668, -4.093389020227]]]],
                                   [[[[8.369040028042, 4.351060185519], [1.301985708327, 7.705943051423],
                                      [-12.927937534737, -3.006583562829]],
                                     [[-9.766339356364, -4.450525971476], [8.910692247751, 6.948718897237],
                                      [-4.020763626879, -0.782283943463]]],
                                    [[[0.735610863461, -1.658974384633], [9.619941279703, -5.706703645017],
                                      [0.294638269795, -6.819206788285]],
                                     [[4.852007451143, -2.580832121469], [4.675468639825, 1.495836610445],
                                      [-7.408092256692, -3.851381100597]]]],
                                   [[[[-3.621255019925, -2.742619128389], [2.84036851082, 1.51310146519],
                                      [-4.684931773369, 0.830619859466]],
                                     [[5.51856331118, -1.42994669621], [2.989803145037, 0.553430407899],
                                      [-2.070817319348, -1.474275712505]]],
                                    [[[5.372235167958, -0.46944031253], [-0.276002385082, 0.345422964292],
                                      [10.209667942625, -0.475438232792]],
                                     [[-2.352528617675, 0.506580752822], [0.645769805954, 3.283942765535],
                                      [2.52956542762, 3.154147005281]]]],
                                   [[[[5.860633271902, 1.486785994443], [-1.218557278464, -6.112029623779],
                                      [-6.658086890619, 4.842300165351]],
                                     [[2.094319383069, 1.293426396462], [0.162112781153, 0.24052186623],
                                      [-3.359503682275, -10.724969602504]]],
                                    [[[7.484969659235, -2.924963036257], [8.394292077481, -6.893582019571],
                                      [9.70304109981, -1.039648627839]],
                                     [[-1.030414388599, 0.127023064289], [-5.277596910547, 1.407156725353],
                                      [-1.522950932447, 1.018577383578]]]]],
                                  [-9.467250078287, -2.044842155674, 0.396097267307, -1.084833728676]],
                        'node': 'ConvolutionBackward0',
                        'out': [[[[[-3.565183496999, -2.881075804059, -1.288969744418, 0.333820593507],
                                   [-4.616962411166, -2.082597573054, -1.819020843049, 1.16656593635],
                                   [-6.63365117952, -0.423369441984, -6.472129343787, -1.828075816601]],
                                  [[-5.672926668009, -4.143255473084, -6.384906029001, -1.534621164438],
                                   [-1.666520427241, 4.802024735871, -8.633165773795, 0.955932056375],
                                   [2.683306861236, 5.304653878663, 3.850957099702, -0.759701777002]],
                                  [[-0.064769875438, 5.184754905255, -2.419542552768, 3.10352217717],
                                   [-1.192468159868, -0.682480850234, -9.127346358618, -0.825953785754],
                                   [0.546902706999, -0.472134263178, -3.74939321982, -2.688334534697]]],
                                 [[[-0.389814003926, 0.65376732647, 1.168584177073, 4.683202479961],
                                   [-5.696803209325, -0.869814300288, 1.631047415119, -1.267881176362],
                                   [-0.45720387359, 4.196157666176, 0.586272960771, -2.133673023852]],
                                  [[7.539016678367, 0.249044918428, -6.325061937639, 3.581566564767],
                                   [2.139445872152, 6.708623755018, 5.618962425601, -4.159149320857],
                                   [-6.599976468342, -5.249181742406, 0.35343675146, -1.226567081573]],
                                  [[0.138041971222, -2.808921873529, -5.064860379778, 2.884705166227],
                                   [0.90457371875, 6.446460145472, 1.259163539405, 1.471111271535],
                                   [-1.169931609454, -0.035711590119, 1.107101098539, -1.629586153197]]],
                                 [[[-3.665378202231, -0.191349491471, -1.533482616235, 0.266954279965],
                                   [11.082690166211, 0.752080511126, 0.999441200357, -0.016533226487],
                                   [-0.573053595647, -10.101528547475, 3.366981268047, -1.504993257766]],
                                  [[-0.364254693892, -3.459082720741, -1.465000380265, -0.839574220589],
                                   [-3.200292351934, 7.549546528869, 2.54633686356, 0.490021966637],
                                   [1.003358550533, -1.915370918986, -2.164683908124, -0.78046219018]],
                                  [[-2.963879389351, -1.165958630882, -4.282933189033, 0.874186698946],
                                   [-4.823280270637, -0.892714946756, 5.531993092657, 1.573301279431],
                                   [9.470587864188, 2.362097643307, -0.991598801262, -2.180878723972]]],
                                 [[[-5.021832115742, 3.794284388267, 2.799961334151, -1.20447979519],
                                   [-4.175439197467, 11.523829467344, 4.729428262256, 0.618925076725],
                                   [13.333339145443, -6.314571530906, 3.174336540959, -1.569603650148]],
                                  [[-1.299921624951, -2.234536080261, -1.304219620264, -1.947003737622],
                                   [-13.322931779107, -7.534024641921, 3.557281494684, 5.047006593447],
                                   [3.551899595567, 2.420891349989, -2.593187981771, -1.165204092704]],
                                  [[-1.875285502692, 2.092848119931, 0.534892867916, -0.651357484301],
                                   [0.529588241727, 5.33360369923, -2.87989632538, 1.84995015716],
                                   [2.396195060142, 2.291792065481, 4.173884402424, -2.576175080592]]]]]},
 'conv3d_stride_pad_dil': {'grads': [[[[[[-1.854878825163, -2.961904835129, -0.191845880255, -3.134469278792,
                                          -0.803787191574],
                                         [-0.616740180076, -2.257532793534, 4.832320876115, 2.190682344799,
                                          -1.173693661165],
                                         [-1.962017810495, -3.129800397689, 1.61682640667, -2.561172659332,
                                          1.260512250417],
                                         [-1.009954667771, 3.071114030013, -1.000069466702, 0.631336367462,
                                          0.588512124739],
                                         [0.323147763272, -0.158106567379, -1.033276067138, 1.181358931127,
                                          -0.362038041661]],
                                        [[0.676851778076, -1.584534450799, 2.050062412559, 3.36979895776,
                                          0.514259889959],
                                         [1.280942145271, -4.169615218197, -2.397470425887, 4.20707177702,
                                          -1.074655958409],
                                         [-5.953777076127, -2.686574413577, 5.027723901233, -0.527955384794,
                                          -1.663284016492],
                                         [-1.584135038765, -3.043053908437, 3.787098586759, 0.020686064245,
                                          -0.266132296688],
                                         [1.094851201986, -2.504261736548, -1.50550079011, -3.760862901217,
                                          0.206489094307]],
                                        [[1.902321319528, -0.422516206582, 4.005142023997, -1.245402649085,
                                          -1.550659644912],
                                         [0.895260682356, 1.472040975051, 2.189781640548, -5.665474746438,
                                          0.971755821533],
                                         [-7.305973267697, -0.744973042317, -5.465888146237, -3.593220684444,
                                          -0.988478178312],
                                         [-1.49307889129, 0.455460326468, 1.939191518237, 1.913222662111,
                                          1.773414714783],
                                         [-2.239697870768, 1.250613978948, 1.428866456502, -2.143882581397,
                                          1.200689327736]],
                                        [[0.519865378735, -1.896641445144, -1.81563167173, 3.290275676167,
                                          -0.024858623198],
                                         [0.623054635818, -1.463274986835, -2.211571590649, 2.239563553965,
                                          0.779472714411],
                                         [-1.363360285079, -0.858974204977, 3.942122853686, 1.868099961363,
                                          -0.613885502775],
                                         [-1.141432969904, 1.753302816106, 1.195881592675, 0.122562534928,
                                          -0.021887998507],
                                         [-0.433359320737, -1.689867892247, 0.228463127759, -0.113337702367,
                                          -0.418300276187]]],
                                       [[[-1.606676745392, -2.922646842294, 0.739632934316, -3.380048592918,
                                          0.080740537103],
                                         [-1.631156589582, -0.778612099475, -1.097230957147, 3.041406747661,
                                          -2.370896178805],
                                         [0.953936280466, 2.143649553711, -2.607320877756, 2.45302366113,
                                          -1.578389909129],
                                         [1.817493463853, 0.429659396294, 1.868177489285, -1.437353042332,
                                          1.025734811855],
                                         [0.305871763685, -0.173798761098, 1.625583612183, -1.514021447398,
                                          0.583877212653]],
                                        [[1.01050238277, -1.73350734056, -0.281697641984, 0.515366577739,
                                          0.448082371383],
                                         [-1.466273319869, -1.092091730925, 1.586295135694, 0.684563211971,
                                          -0.198837740962],
                                         [-1.418053251974, 1.034289987603, 1.632051807184, -1.972175686607,
                                          1.668860082579],
                                         [0.869577820184, -0.936456595604, 0.603330908082, -2.032740785689,
                                          -0.527906358494],
                                         [0.772234826692, 2.516171082169, -0.684826182419, 0.176609818248,
                                          -0.514069300417]],
                                        [[1.426626870395, 1.112307798322, 2.534070781146, -3.739373533263,
                                          2.86325654037],
                                         [1.797156095194, -2.32742643955, 1.240242219145, -2.556534436374,
                                          0.678968046325],
                                         [-3.665065016534, -1.725089230521, -3.31895650552, 3.941921975382,
                                          -2.127948314428],
                                         [-6.524161084245, 0.217545362214, -2.367218579919, -1.239014100736,
                                          0.672710038792],
                                         [1.534046364399, -1.125727025492, -2.500495649898, 0.889308877972,
                                          -0.791756523873]],
                                        [[0.413411199831, -0.249342217694, -1.09218870122, 0.069751012451,
                                          -0.949291813995],
                                         [0.205438068383, -0.997391993476, -0.307100257054, 1.011496064142,
                                          -0.269860793645],
                                         [-0.811567921092, -1.191906651334, 0.462204715033, -0.133724891925,
                                          0.555124288242],
                                         [-0.758693899225, -0.77717296848, 0.397153208986, 0.156460921516,
                                          0.29892611867],
                                         [0.303270309242, -1.063535030446, -0.264602824918, 0.208959189023,
                                          0.144909465346]]]],
                                      [[[[-1.264550475291, -0.429971890581, -2.111393795272, 1.37138705174,
                                          -0.423801514404],
                                         [-0.15905539027, 3.140849862328, 0.970251018276, 1.040584192662,
                                          2.16315885891],
                                         [-1.594861651708, -0.819543677509, -1.611474070652, 1.849726975412,
                                          0.472112472886],
                                         [-0.667434510008, 1.9832499357, -0.884251550843, -0.501297683301,
                                          1.485361360647],
                                         [-0.062615461163, -1.259715593166, -1.354114310682, 1.955658988707,
                                          -0.123846225949]],
                                        [[-6.301269063185, -0.388629457778, 2.4006249117, 2.428814481245,
                                          -0.732222273225],
                                         [-6.116410960176, -0.981447216213, 6.544526835162, 1.551618019621,
                                          0.007293781498],
                                         [1.507772705067, -2.754064477936, -1.155277351825, -0.933099985023,
                                          -1.286953973141],
                                         [-1.568374465298, -8.551728700205, -0.861486779031, 4.986143856976,
                                          1.036794904011],
                                         [-2.581952451624, -0.574822609945, -2.282362553301, -3.1455392503,
                                          1.871593361222]],
                                        [[0.572897477762, 2.191657116881, 0.052893260297, 0.019400750905,
                                          -0.196034959343],
                                         [0.007148634103, -0.842103784999, 1.357012534293, 1.107064176028,
                                          0.299049026101],
                                         [-3.45512721275, 4.44722819155, -3.570288763756, -8.642028572861,
                                          2.521424091219],
                                         [-0.766121182019, 5.470880503489, -2.269126121182, -9.171995786182,
                                          -0.944007471062],
                                         [1.273841469411, -0.883571846229, -0.387346719853, 1.189767634646,
                                          0.869440384166]],
                                        [[1.286958604609, -5.03477394472, -0.642355695932, -0.084973561377,
                                          -0.0306890849],
                                         [1.603831661924, -7.018611949017, -2.488285976515, -0.897578734646,
                                          0.497755421603],
                                         [-4.082828135345, 4.690643195857, 3.272192248126, 5.843262089101,
                                          0.39013097062],
                                         [-1.448091281366, 1.991686728194, -1.233208362311, 1.086757373211,
                                          -0.898613349962],
                                         [-1.904368811719, -3.087341230909, 0.015880288301, 0.518771094197,
                                          0.981397399234]]],
                                       [[[-1.003444121746, -0.016855280471, -1.684189931673, 1.743520740319,
                                          -0.337717563324],
                                         [-1.510480260871, 0.618132034385, -0.090476758783, -0.673501491178,
                                          1.419114748883],
                                         [0.37654327265, -2.25361954384, -0.982499499838, -2.472207894535,
                                          -0.674979918196],
                                         [0.880333606973, -1.167194168975, 1.162604809823, 4.526187472743,
                                          1.521793178706],
                                         [0.315874466863, 0.153633489613, 1.450224448929, -0.816889664671,
                                          0.282613034762]],
                                        [[-5.251427389783, -1.218912913474, -1.224058312435, 1.55765184718,
                                          2.685383556495],
                                         [-2.897337335429, 6.566874792658, 3.155182246488, 4.302288926232,
                                          0.455450576006],
                                         [0.474299132291, -2.862672972066, -6.286308235363, -1.067267078639,
                                          -2.311328444536],
                                         [0.496807691067, -2.189105846454, 0.721257015675, -1.895639051275,
                                          0.843728350493],
                                         [1.585312234535, 4.950673467389, 2.13339073627, -1.841581688399,
                                          0.044073971186]],
                                        [[0.020346748659, 1.149679320195, 0.253155168811, 1.179538546531,
                                          -0.606265777594],
                                         [1.593557078037, 1.947361360442, -0.061940977201, -1.917091783597,
                                          0.079948542611],
                                         [0.721752600719, 2.424192793925, 0.668523405964, -4.114360197174,
                                          -1.682252611134],
                                         [-0.316728755337, -1.075470172819, -1.805068307659, -5.632285226467,
                                          -0.449381904683],
                                         [-0.31257787323, -2.045978474102, 0.246517932101, 2.5363454633,
                                          0.371475818987]],
                                        [[1.203315540569, -5.821067264967, -0.617304163799, -5.430421569519,
                                          -0.559068012183],
                                         [-0.088023286614, -2.88989206583, -0.128614850858, -1.34843248145,
                                          -0.159912541594],
                                         [-1.035195364184, 0.105687090352, -0.775684281071, 0.551471487386,
                                          -1.018862184457],
                                         [-1.421632712337, -1.180773368415, -1.062055258234, 0.97027509906,
                                          -0.149854320004],
                                         [0.439968099348, -1.065308015693, 0.582494448346, 0.192347609652,
                                          0.46222300968]]]]],
                                     [[[[[-4.011294483018, 2.146720551454], [3.411321009934, 5.98004878752],
                                         [7.949364988396, 3.675738121419]],
                                        [[0.270024092249, 3.981636212619], [1.708077492586, -0.01123023063],
                                         [-2.016003150828, 2.393102873237]]],
                                       [[[5.808765827532, 0.724868645606], [0.713452579584, -1.550068780771],
                                         [-1.434449222706, 3.864006117041]],
                                        [[-5.660676571259, 5.826008315138], [-9.178230515711, -6.155868038418],
                                         [-7.766918948549, -4.277803189803]]]],
                                      [[[[6.659593260649, 8.996650102648], [5.791524524962, 5.736314622409],
                                         [7.401447830454, 13.613731172578]],
                                        [[9.121498362316, 7.055890618415], [2.011864280282, -2.473631402906],
                                         [-1.271057848751, 6.545603425575]]],
                                       [[[8.252482551315, -0.824183988083], [2.148724881259, -0.525857130101],
                                         [-9.256305886547, 12.751524764944]],
                                        [[2.150458309869, 6.500522182727], [4.60591375592, -9.70646489401],
                                         [-1.291324701436, -1.340227216485]]]]]],
                           'node': 'ConvolutionBackward0',
                           'out': [[[[[0.337069957821, -3.054258100385, -3.367337623181, 2.449861303241,
                                       1.433939058143],
                                      [0.422547717321, -2.364380191228, -0.181282216974, -1.417642680694,
                                       -2.356501742492]],
                                     [[-3.821422961523, -3.563485213013, 0.234049979455, 4.731390814226,
                                       -0.239092552505],
                                      [-0.288828271747, 0.279340061562, -1.070161334036, -5.998949429914,
                                       -4.73191313412]],
                                     [[-2.559976798561, 2.078697409043, 8.545142111961, -0.288754630816,
                                       -2.889442373175],
                                      [0.800852409431, 8.344291804843, -4.213846420223, 5.122882134757,
                                       1.795699392263]],
                                     [[1.548568062173, -2.184196607071, -2.811078618425, -0.269649616267,
                                       6.850054169297],
                                      [2.224808194707, -1.689200602308, -5.025743125215, 4.144339005967,
                                       1.672964933461]]],
                                    [[[-1.309324841294, 1.605992122721, -3.779070816597, -1.155415000324,
                                       3.166098898868],
                                      [0.184525415537, -3.009717839358, -1.588617567199, -5.826753728128,
                                       -1.674960413365]],
                                     [[0.349874968249, 0.58216466447, -3.539009889444, 1.003487102729,
                                       -7.741595603525],
                                      [2.001985332293, 2.459138919317, 5.761114226376, -2.564967656785,
                                       -4.244699833515]],
                                     [[-0.057212139972, 5.697673395864, -2.91144453682, -4.112172012025,
                                       2.889583582159],
                                      [-1.003110226076, 2.530919313741, -4.989527980461, -0.314432813604,
                                       -4.622583844539]],
                                     [[1.298895137261, -3.235276209546, 4.509150013353, -1.04285099562,
                                       -0.027152700043],
                                      [-2.67475637197, -0.976111878589, 0.134914592941, 0.831206942868,
                                       -1.09404696592]]]],
                                   [[[[-1.776902699142, 0.417116805961, 1.086582977729, -3.556216411101,
                                       -1.686059418029],
                                      [-1.396391803352, 1.926494364396, 2.737215229853, -0.062416170461,
                                       -3.628617996529]],
                                     [[-1.676759251844, 1.518438264581, -8.503236170829, 7.927744787802,
                                       3.087918386133],
                                      [-1.979158062974, -2.84063781336, 0.561825000818, 5.618279744856,
                                       -3.607651947539]],
                                     [[1.691033886391, -2.387780415106, 0.139214813356, 2.470574524833,
                                       5.085444081649],
                                      [-1.411151641964, 0.666612125691, 3.396013371379, -0.392820105044,
                                       1.403936052061]],
                                     [[-0.649863346921, 1.220781788079, 2.62888007356, 0.409480795619,
                                       1.248154270616],
                                      [1.529693503116, 1.283492548263, -1.252554407649, 7.740539205798,
                                       -3.293915767013]]],
                                    [[[0.42676055761, -1.191707120869, -2.715972178316, 2.184913630611,
                                       -5.824065365302],
                                      [2.600498208077, 0.33523807003, -4.125075242248, 3.465710454676,
                                       -6.446983862764]],
                                     [[-5.312058787509, 0.434154022166, -4.28883958406, 2.860047930133,
                                       -0.498564931084],
                                      [3.910609549472, -2.027402094868, 6.858331393149, -5.227563191116,
                                       0.241343326581]],
                                     [[-0.190255044184, -1.728787585967, 6.903692652257, -2.607341067926,
                                       -1.783862477787],
                                      [0.013233471722, 4.466868724852, 3.40217286761, 1.508423042682,
                                       -2.681001382341]],
                                     [[-0.881970866349, 0.027398089174, -4.209936650189, 2.212248352704,
                                       -0.436240535596],
                                      [0.289838886816, -2.601200625864, 0.753733824335, 0.233562281648,
                                       0.198172797462]]]]]},
 'conv3d_unbatched': {'grads': [[[[[-0.022053122539, -1.120921350897, -0.011638159804],
                                   [0.677837969297, -0.577598095903, -1.989891982392],
                                   [0.084154320435, 4.099581931864, -0.11587466075]],
                                  [[0.585454753484, 0.269408513839, 0.544259404842],
                                   [0.01738263676, -0.027415138618, -0.629031136322],
                                   [-0.182371836772, 0.598272872958, -1.784168350501]],
                                  [[-0.052980600158, 0.829669902594, -0.024378546476],
                                   [0.442878387241, 0.501023577396, -0.024719396548],
                                   [0.020647975076, -0.530639745615, 0.028950834454]]],
                                 [[[1.197033045819, 1.122669182943, 1.504436708469],
                                   [1.579330219373, -0.121759461598, -0.307894818879],
                                   [-0.679528832934, 3.575319231253, -0.048438535311]],
                                  [[1.115273761608, 1.016150864245, 0.456113103019],
                                   [0.715018307321, -0.663850560525, -0.068163057812],
                                   [-0.444160851181, -0.677188976627, -0.305413824373]],
                                  [[-0.186931019358, 0.768557091414, 0.02213823914],
                                   [-0.101135787076, 0.629226721139, 0.99899976302],
                                   [0.09087144595, -1.139202075677, -0.473995566277]]]],
                                [[[[[-0.384360056729, -0.670262730128], [0.204754408016, -2.093488107201]],
                                   [[0.974666646083, -0.406493660727], [2.758928812623, -2.978465247275]]],
                                  [[[0.159052898696, 0.028254308673], [-0.947398046736, 1.9100374925]],
                                   [[1.065600228334, -2.578070446747], [-0.054255894788, -0.851231240213]]]],
                                 [[[[-0.195893699035, -0.220193803498], [0.190013687537, 2.493651237873]],
                                   [[-0.389475499428, -0.897550547813], [4.255282834038, -2.957965233154]]],
                                  [[[0.081063211753, 0.734635566623], [-0.095392847082, -2.199310021587]],
                                   [[-0.028052808051, 0.953194396102], [1.006805074668, -0.000860951457]]]]]],
                      'node': 'SqueezeBackward1',
                      'out': [[[[0.259499217364, 4.240430555124], [-1.717057842344, 0.191036024673]],
                               [[-5.615838380496, -3.345347015024], [1.771646859998, 2.465924007835]]],
                              [[[0.128165473015, -4.328005419409], [-0.740684966204, 0.146192080333]],
                               [[-6.074443843542, 1.506122921112], [2.36481240012, 0.2536337933]]]]},
 'conv_transpose1d_basic': {'grads': [[[[1.579186801507, 1.009317841431, -1.639761670327, -3.794844584487,
                                         3.719045340108],
                                        [1.664385795426, -2.220631850812, 2.941575354348, -0.66080920413,
                                         -2.476624333297]],
                                       [[0.598363083624, -0.314840388432, -2.526494457466, 3.8597495827,
                                         6.428327283244],
                                        [3.567328876907, -0.725327999836, -0.830466087674, 1.791764765863,
                                         -2.689800932194]]],
                                      [[[-0.933197975371, -1.208507100933, 0.826115791952],
                                        [-0.43915381222, -0.219106025419, -2.394817047407],
                                        [1.126820761253, -0.45872842295, 1.740541070418]],
                                       [[2.714570924043, -6.266078818184, 1.45670581191],
                                        [-2.97388979152, 2.692180082397, -2.678801436957],
                                        [4.700710921432, 0.803456716633, 5.257517507559]]],
                                      [1.369549545969, 1.469531081492, -4.739614631786]],
                            'node': 'ConvolutionBackward0',
                            'out': [[[0.933464229653, -0.654792509159, -0.74586073646, -0.334230492373,
                                      -2.569864334954, 0.708025175601, 0.378912608006, 1.547408070387, 0.472699472222,
                                      0.289104370224],
                                     [0.690571540321, -1.141781014276, -0.11351964745, -1.489530485955,
                                      -1.238689355747, 1.601423052361, 0.146811773644, 0.016406554076, 0.318891115887,
                                      -0.684970877281],
                                     [0.142051505047, -1.567036462801, -0.05242392797, -0.243166078636,
                                      0.214554173636, 3.94791236141, 0.606227035056, 1.363708342314, 0.375570966789,
                                      -0.41622560819]],
                                    [[-1.76266624008, -2.346235289488, 1.389329352156, -0.639729805575,
                                      0.091831855055, 0.999670055943, 2.544273264677, 1.41179130167, 1.3964442279,
                                      0.069555566465],
                                     [-0.597305792313, 1.946527920052, 1.031491260369, -1.128109656634,
                                      0.274958517369, 0.991088839324, 1.280225925732, -0.700870963055, 0.926738941042,
                                      -1.474302691721],
                                     [-0.17602273461, 0.888926455222, -0.038072203776, -0.991416679062,
                                      0.068560680952, 3.577708485342, 0.673531673726, -0.410863155366, 0.16815985809,
                                      -1.02857122638]]]},
 'conv_transpose1d_groups_dil': {'grads': [[[[0.320379668119, -2.605409174055, 2.242205139931, -1.249834778321],
                                             [0.033139959362, 0.748371734417, -0.338169842501, 0.076508486397],
                                             [-0.94599031164, 0.370697641963, 0.929964119679, -0.410589111779],
                                             [3.487829115015, 0.693092948402, -1.828722492857, 0.539501891433]]],
                                           [[[0.660825735417, 0.237066002692]], [[0.663655739814, -2.419128697296]],
                                            [[-1.112702351495, 2.904211278565]],
                                            [[-3.319655597652, 0.345348023143]]]],
                                 'node': 'ConvolutionBackward0',
                                 'out': [[[2.009566488421, 0.215126786981, 0.859184007262, -2.538626248207,
                                           -1.867826669051, -1.671367197099, -0.775796656056],
                                          [-1.062884821356, -1.963689126262, 1.349618267156, -0.463222278086,
                                           0.901563058792, -0.03730357515, 0.206133628318]]]},
 'conv_transpose1d_unbatched': {'grads': [[[-3.163598541257, 2.004108613752, -0.894655904038, 1.684948917364],
                                           [-3.832142034633, 3.722344576919, 0.268135489552, 0.232098800573]],
                                          [[[-1.222627396591, 1.662030603366, -0.827547877776],
                                            [2.14854390027, 0.947921125943, 0.752428806597]],
                                           [[-1.460924184891, 0.008282756823, -1.498356716287],
                                            [-2.047612543055, -0.887038684662, -2.083611636489]]]],
                                'node': 'SqueezeBackward1',
                                'out': [[1.261342150325, 1.009999463022, 0.880066632023, -0.469723830487,
                                         -0.335161464385, -0.196044637342, 1.008858402691, 1.548020912511,
                                         3.08359421907, -0.051411239171, -0.496123857418, -1.498538426051],
                                        [0.459883052471, -0.540676898945, -0.22985452925, -0.287725671241,
                                         0.21758453954, -0.098029274095, -1.736710344304, -0.139054808659,
                                         -3.50200474962, 1.274801602119, -0.158296171346, 2.048862686074]]},
 'conv_transpose3d_basic': {'grads': [[[[[[7.260786168756, 0.500293097149, 4.36182432034],
                                          [-4.23854218118, -2.104337902672, -2.868028236363]],
                                         [[-0.392010720517, -3.384854983683, -6.461717885538],
                                          [-0.147518055622, -5.709992525196, -3.197291656222]]],
                                        [[[10.858610131613, 5.816491495637, 4.445361952435],
                                          [-4.058375047197, 0.951518090859, 6.321439182453]],
                                         [[2.630147413242, -9.715663220003, -6.006070026599],
                                          [-1.088685695632, -4.683308912083, -1.704720982974]]]]],
                                      [[[[[0.24085741133, 1.015168240705], [8.3138493983, -1.345071330774]],
                                         [[-1.140949661637, -1.201524980058], [-0.371384509874, 1.328958361348]]],
                                        [[[-0.462517421896, -0.974717431212], [-4.830436694376, 2.105768167184]],
                                         [[3.137835918358, 3.098463100423], [-3.730004651733, -3.983939912362]]],
                                        [[[0.706589670588, -2.282245230342], [-0.375372722305, 2.850769969976]],
                                         [[-2.194158484152, -0.173569499693], [-4.254270866547, -2.718685081592]]]],
                                       [[[[0.971578451715, 2.860235663422], [8.260211190625, -6.400445876345]],
                                         [[-2.354651470019, 2.201552432719], [-0.182763521419, -2.478476426308]]],
                                        [[[-0.966478538211, 0.646781898194], [-7.956238585384, 2.530976215722]],
                                         [[2.136937622408, 7.881400066815], [4.223651635608, -1.147693553563]]],
                                        [[[-3.478970981775, 1.172679888887], [1.227173296856, 0.67231684064]],
                                         [[-5.210812312308, -3.425078535348], [-5.941447192564, 7.778475222889]]]]],
                                      [-1.869912486219, 8.685413641014, 5.265314037184]],
                            'node': 'ConvolutionBackward0',
                            'out': [[[[[-1.493759949734, 0.644777299738, -1.724419948897, -3.466961227128],
                                       [4.345067992508, -9.322229197003, 5.869948470382, -3.896406126767],
                                       [-1.831573473881, -0.175919393406, -0.911480316819, -0.669221477453]],
                                      [[-3.589927142498, -0.821821167261, -1.844313844327, -0.877896861034],
                                       [-3.513961138114, -0.990339208532, 2.860583527039, -4.073880680778],
                                       [-1.182385176722, 0.607636724874, -2.999333212981, -1.783279804608]],
                                      [[-1.348429819939, 1.217660735152, -1.791564551088, 2.469037886276],
                                       [-0.141173971659, -2.072454093797, -0.596972118637, -5.321882703463],
                                       [-1.27117071529, -1.724383961216, -1.378331910267, -0.933172429801]]],
                                     [[[2.402993304636, 1.231824283887, 1.87588516455, 1.443632592412],
                                       [-2.318795278427, 9.734728273695, -3.100204925145, 4.780404256675],
                                       [1.176077301391, 3.279430049253, -0.514192146924, 2.03369410553]],
                                      [[2.854854112651, 2.836694215517, 4.881167780395, -3.249065279683],
                                       [5.778554150992, -1.514417813632, -1.157961830799, 1.659526308412],
                                       [3.992631366671, 1.426442890306, 3.647229960477, 3.611941375904]],
                                      [[0.974794857425, 1.641754978212, -0.973773271545, 2.994391374178],
                                       [1.66286968094, 0.737378740899, 3.696043822971, 0.448989040398],
                                       [0.947565764632, 1.901640678927, 0.496651610126, 1.512831836794]]],
                                     [[[-0.82343662692, -0.924849253741, 0.956869302217, 0.613522686029],
                                       [0.266397777272, 0.149881319248, -1.3262639299, -2.808575734053],
                                       [-3.040576869452, 5.077602557183, -2.752401834109, 1.011240679397]],
                                      [[-0.515076142119, -1.110950646361, -2.382877291903, -0.996247942484],
                                       [-0.831133607901, 1.286335020732, 0.816883747321, -0.245178240089],
                                       [4.64354618656, -5.78115661132, 1.725108712501, -1.569709612437]],
                                      [[0.423504117163, 1.01455788235, 2.48520398097, 1.436931327242],
                                       [-0.531613861109, -1.825784796153, -2.984491587373, -0.810022671604],
                                       [-1.769172696198, 0.455932771066, -1.013818183715, -0.52238689288]]]]]},
 'conv_transpose3d_groups': {'grads': [[[[[[0.019896251213, -0.474508584855], [-0.26927849015, 0.064581628919]],
                                          [[-0.109865081651, -3.418964839343], [-1.648895322847, 2.16104767805]]],
                                         [[[-0.40798603398, -0.172653341449], [-0.150779998707, -0.329550059871]],
                                          [[-0.13885192946, -1.646823153216], [-0.216332731903, 0.711497027073]]],
                                         [[[-0.423125543967, 0.364051177191], [-0.722921731161, 0.985464482545]],
                                          [[0.493269472152, -2.895313267516], [-0.355519337887, -1.943073868826]]],
                                         [[[0.766690625153, 1.130569995402], [-3.639097800056, 0.879461264379]],
                                          [[-0.776026072812, -1.631045599248], [0.163940982168, -1.195689949051]]]],
                                        [[[[-0.076318143726, 0.547642054663], [-0.080202821958, -0.227518471978]],
                                          [[0.089107133604, 1.270607912248], [0.304983885308, 0.427353115705]]],
                                         [[[1.56495494783, 0.19926347736], [-0.044908827974, 1.160991559315]],
                                          [[0.112617195962, 0.61201756288], [0.040013453966, 0.140700491906]]],
                                         [[[0.862934103129, -0.2397413823], [0.350424965039, 1.989717731576]],
                                          [[1.197922466357, 0.478591875586], [0.238958066327, -0.595030235281]]],
                                         [[[-1.563610366775, -0.744522832136], [1.763995553586, 1.775690248571]],
                                          [[-1.884606933091, 0.269609917956], [-0.110190968299, -0.366157809603]]]]],
                                       [[[[[-2.608832217777, -1.203845413564], [2.911670545335, -0.304467800617]],
                                          [[0.545557327068, -1.105167459134], [0.860265159256, 0.766410002932]]]],
                                        [[[[-2.446486281075, 1.224912065964], [-0.489627752293, 0.296861012261]],
                                          [[-0.211292264098, 0.034894367812], [-0.774828319963, -1.157600934089]]]],
                                        [[[[-0.24026412594, 0.936314247144], [1.992539146233, 1.11539377511]],
                                          [[-2.738571974294, 1.047858816423], [-3.467850865492, -0.552962194857]]]],
                                        [[[[0.846796271118, -0.06778300354], [-0.927306732763, -2.666331372803]],
                                          [[0.216715515886, -1.489330865277], [2.689836273004, 0.405768071697]]]]],
                                       [-2.106477965353, -6.253284538841]],
                             'node': 'ConvolutionBackward0',
                             'out': [[[[[-0.652050861357, -3.084496594289], [0.378344709324, 0.129781428883]],
                                       [[-0.978863985124, -3.847517322233], [-0.524741144212, -3.341659679022]]],
                                      [[[3.652226024715, 1.192004034323], [0.653031162351, -0.606513777176]],
                                       [[2.002724971677, -0.547592772754], [0.179835326344, -0.457933616641]]]],
                                     [[[[-2.103194991764, -1.574403619849], [-1.433775625432, -0.940857843062]],
                                       [[-0.836660141035, -1.258552083672], [-0.52434934094, -1.287754935808]]],
                                      [[[0.8295128815, 0.015617861281], [-0.289721736807, -1.433223356303]],
                                       [[1.315179926544, 0.200386369644], [0.886106985368, 1.100110598003]]]]]},
 'conv_transpose3d_strided': {'grads': [[[[[[2.462945544507, 8.770087807119], [2.387530869148, 3.557200616997],
                                            [2.691466662502, -0.977650229905]],
                                           [[-0.001519678645, -6.311224425056], [1.174225774087, -2.594103219505],
                                            [-2.292194205649, 3.477622172306]]],
                                          [[[-2.799211622479, -6.866225151879], [1.31045031414, 3.137479772247],
                                            [-1.333931438251, -3.200452876988]],
                                           [[0.726681990384, -4.88220611173], [-1.563418907728, 0.504753082801],
                                            [0.037369141579, 2.846603424249]]]]],
                                        [[[[[4.459221665404, -0.448783143893], [2.76442745433, 0.344436018101]],
                                           [[1.253753156896, -0.18019188982], [1.703132736943, -2.005205405591]],
                                           [[-0.053753867336, 1.277433000215], [3.114669244446, 0.315599109741]]],
                                          [[[-4.096542291062, -1.508561726114], [-1.971116423358, -1.483973763779]],
                                           [[-3.282696913041, -2.944908927354], [1.953082845069, 2.058538216988]],
                                           [[5.081489338538, -3.702309636605], [-3.678810444113, -2.406742146583]]]],
                                         [[[[1.826783433818, 0.372920758266], [1.468204249288, 1.223318762206]],
                                           [[1.361727918556, 2.408534616123], [-1.595052369199, -0.992466056278]],
                                           [[-0.082346840576, -0.624995758297], [-2.227626713158, 2.488401795198]]],
                                          [[[-1.424814727578, -1.115907815635], [-1.058633310538, 0.100937465004]],
                                           [[-0.360089402039, -0.271309385237], [-0.987907416464, -3.580922221096]],
                                           [[1.228276761027, 2.240165797689], [2.29808529021, -1.876291861937]]]]]],
                              'node': 'ConvolutionBackward0',
                              'out': [[[[[1.191965976803, 2.47974270845, -1.529057719462],
                                         [-0.179957163696, -1.690738642033, 1.830766724008],
                                         [0.684071359711, 0.211477797923, -0.112817196905],
                                         [-0.175655947416, 0.031710526283, 1.464512036807],
                                         [0.093849654764, 0.24390868323, 0.979930088123]],
                                        [[-0.598092526956, 2.160607870856, 0.785777126571],
                                         [0.994675379118, -1.984828848824, 0.102905621558],
                                         [0.437139231096, 4.041610207842, 0.76274463803],
                                         [0.879148244376, -6.80632066856, -2.351947348546],
                                         [-0.499311850309, -1.484264015495, 0.222855882549]],
                                        [[0.787264246534, 0.409502514608, 0.672193926881],
                                         [0.654262724637, -1.194892650601, -0.891219091973],
                                         [0.539563693599, 1.948141249155, 1.255244586122],
                                         [0.615012594564, -2.29124914991, -0.43127545099],
                                         [0.05866576016, 1.785550307969, 0.469883100969]],
                                        [[-0.189378295981, -0.677257320038, -0.038453013217],
                                         [-0.633185605921, 0.739761737588, -0.183089298604],
                                         [-0.303856921614, -1.17150942277, 0.038089366849],
                                         [-0.754533371017, -0.367464068105, -0.29246253009],
                                         [-0.148564270114, -0.140901351788, 0.11026731211]]],
                                       [[[-0.19465335974, 0.610755796819, -1.583508102247],
                                         [-0.25842605961, -1.847010185796, 0.988165264721],
                                         [0.64937572254, 1.505490928511, 0.145538143384],
                                         [-0.071892234872, -1.166998761254, 0.151177182551],
                                         [0.310927381322, -0.438789794406, 0.054541958819]],
                                        [[0.543090484333, 2.877918452824, 0.02564248252],
                                         [-1.696620875075, -2.834941819926, -1.104286576808],
                                         [1.664868068695, -0.163563543226, 5.529971060369],
                                         [-0.237644263468, 0.314046339563, -3.108161855307],
                                         [-2.577413380732, 0.262339128805, 0.909382186559]],
                                        [[-0.146475572734, -1.577423021288, -0.368844832583],
                                         [0.819406940025, 2.660456347461, 0.952022692767],
                                         [0.083443908551, -0.763609113023, -0.853252898453],
                                         [0.218894318175, -3.161519255927, 0.433127055154],
                                         [0.07556716121, 2.352680247033, -0.323114563983]],
                                        [[0.211363742582, 0.567304370343, 0.152134934052],
                                         [0.285045738842, -1.463940369997, -0.147891258475],
                                         [0.978410247381, 1.039799410976, 1.616515288798],
                                         [-1.661722308448, -0.012984947357, -3.116522635673],
                                         [-0.557672427193, 0.035994272662, 2.309520263812]]]]]},
 'padding_mode_circular': [[[[[-1.116244544911, -0.622447174108, -0.817860603689, -1.116244544911],
                              [-1.029506336647, -1.532330957062, -0.997220221048, -1.029506336647],
                              [1.030508114481, 0.532466325719, 0.468847490502, 1.030508114481],
                              [-1.116244544911, -0.622447174108, -0.817860603689, -1.116244544911]],
                             [[-3.144253238332, -1.815296983182, -2.698647265686, -3.144253238332],
                              [-1.725396283179, -1.117167590062, -1.888439191249, -1.725396283179],
                              [-2.614177632102, -0.285999312678, -1.615818197462, -2.614177632102],
                              [-3.144253238332, -1.815296983182, -2.698647265686, -3.144253238332]],
                             [[-1.701310369851, -1.351185223773, -2.467957704662, -1.701310369851],
                              [-1.519512734265, -1.522246873244, -0.885681845338, -1.519512734265],
                              [-1.734034246046, -2.940544369322, -2.487415835005, -1.734034246046],
                              [-1.701310369851, -1.351185223773, -2.467957704662, -1.701310369851]],
                             [[-1.116244544911, -0.622447174108, -0.817860603689, -1.116244544911],
                              [-1.029506336647, -1.532330957062, -0.997220221048, -1.029506336647],
                              [1.030508114481, 0.532466325719, 0.468847490502, 1.030508114481],
                              [-1.116244544911, -0.622447174108, -0.817860603689, -1.116244544911]]]]],
 'padding_mode_reflect': [[[[[-1.86737322955, -1.885989691643, -1.888909108241, -1.806097577588],
                             [-1.203067193402, -1.221683655495, -1.406202898832, -1.323391368179],
                             [1.031695829856, 1.185696443506, 0.274509850195, 0.660256470148],
                             [0.719436672017, 0.873437285668, 0.04128689273, 0.427033512683]],
                            [[-1.762857164116, -1.781473626209, -2.371145400658, -2.288333870005],
                             [-1.098551127969, -1.117167590062, -1.888439191249, -1.805627660596],
                             [-0.439999926329, -0.285999312678, -1.615818197462, -1.230071577509],
                             [-0.752259084167, -0.598258470517, -1.849041154927, -1.463294534973]],
                            [[-1.312215069021, -1.194275274781, -1.133937123719, -1.01102386603],
                             [-1.640186667484, -1.522246873244, -0.885681845338, -0.762768587649],
                             [-2.983698086589, -2.940544369322, -2.487415835005, -2.459492698911],
                             [-2.843849139552, -2.800695422284, -1.811748100368, -1.783824964275]],
                            [[-1.30027898278, -1.182339188541, -2.094571512519, -1.97165825483],
                             [-1.628250581243, -1.510310787004, -1.846316234137, -1.723402976449],
                             [-1.659202342993, -1.616048625726, -2.569458732786, -2.541535596692],
                             [-1.519353395955, -1.476199678688, -1.893790998149, -1.865867862056]]]]],
 'padding_mode_replicate': [[[[[-3.861684571729, -3.105056954087, -2.651147475003, -2.736318400613],
                               [-0.778477384445, -1.13918776012, -1.03934317816, -0.692669705746],
                               [2.230565604803, 1.862515638767, 1.422488025826, 1.227267008774],
                               [2.950648997815, 2.980436955158, 2.237272108111, 1.66314274682]],
                              [[-2.067117481526, -2.334206102727, -2.738045302008, -2.827092738171],
                               [-1.036936212645, -1.117167590062, -1.888439191249, -2.51528434646],
                               [-1.670105367272, -0.285999312678, -1.615818197462, -3.789995903235],
                               [-2.487558787529, -0.319822669651, -1.94332006249, -4.7357461012]],
                              [[-0.824973596038, -0.072736674733, -1.541891449631, -3.320838498108],
                               [-2.27899101986, -1.522246873244, -0.885681845338, -0.765007912119],
                               [-2.215085916457, -2.940544369322, -2.487415835005, -1.237751994461],
                               [-1.207901879849, -3.097454318314, -3.821436415948, -2.552973824526]],
                              [[-0.619687278606, 0.586071072295, -1.331972711887, -3.448744622405],
                               [-2.725463679148, -1.832894174811, -0.476699167554, 0.22636081688],
                               [-1.683313215221, -3.593774487109, -2.293078194697, -0.14250476103],
                               [-0.45440974744, -3.933941500301, -3.651094068886, -1.481721884341]]]]],
 'padding_mode_zeros': [[[[[-0.965421142932, -1.461900397013, -1.227848080337, -0.586353942989],
                           [-0.455982656321, -1.022085870649, -0.926903482952, -0.296040340025],
                           [0.9045221597, 1.361101381192, 1.013999641287, 0.419629257217],
                           [0.526901606753, 0.957731628825, 0.725958050956, 0.237591820974]],
                          [[-0.808174441722, -1.546361047516, -1.753594686845, -0.806561894834],
                           [-0.620404734357, -1.117167590062, -1.888439191249, -1.104991548822],
                           [-0.858072931358, -0.285999312678, -1.615818197462, -1.756104700744],
                           [-0.603674386748, -0.268935935666, -0.945052578841, -0.925842515029]],
                          [[-0.323960043932, -0.155984427467, -1.037105265851, -0.942720231636],
                           [-1.269784953348, -1.522246873244, -0.885681845338, -0.249727780917],
                           [-1.277613450591, -2.940544369322, -2.487415835005, -0.456420795455],
                           [-0.222955539377, -1.195200796306, -1.43085243881, -0.211674554906]],
                          [[-0.066395065565, 0.115421248186, -0.263051935581, -0.2463389016],
                           [-0.43948948751, -0.510245086413, -0.070316738096, 0.162006147209],
                           [-0.187806024984, -0.828635055473, -0.545152150785, -0.105837277453],
                           [-0.016228919551, -0.233699654105, -0.052918638726, 0.0]]]]],
 'second_order': [[[[[-34.789691501429, 190.291603195712], [182.795114767408, -88.049425302478]],
                    [[-28.431578613184, 56.202806179335], [-86.61295127397, -111.450020215771]]]]]})
