"""Max/average/adaptive pooling against NumPy loops that follow torch's documented formulas."""
import math
import re

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

RNG = np.random.default_rng(1)


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def N(t):
    return t.detach().numpy()


def out_size(size, k, s, p, d, ceil_mode):
    """torch docs: floor/ceil((L + 2p - d(k-1) - 1)/s + 1), dropping a last window that starts in the right pad."""
    num = (size + 2 * p - d * (k - 1) - 1) / s
    o = (math.ceil(num) if ceil_mode else math.floor(num)) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def ref_max_pool2d(x, k, s, p, d, ceil_mode):
    n, c, h, w = x.shape
    ho, wo = out_size(h, k[0], s[0], p[0], d[0], ceil_mode), out_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    out = np.full((n, c, ho, wo), -np.inf)
    idx = np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            for ki in range(k[0]):
                for kj in range(k[1]):
                    r, q = i * s[0] - p[0] + ki * d[0], j * s[1] - p[1] + kj * d[1]
                    if 0 <= r < h and 0 <= q < w:
                        better = x[:, :, r, q] > out[:, :, i, j]
                        out[:, :, i, j] = np.where(better, x[:, :, r, q], out[:, :, i, j])
                        idx[:, :, i, j] = np.where(better, r * w + q, idx[:, :, i, j])
    return out, idx


def ref_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad, divisor_override=None):
    n, c, h, w = x.shape
    ho, wo = out_size(h, k[0], s[0], p[0], 1, ceil_mode), out_size(w, k[1], s[1], p[1], 1, ceil_mode)
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            pool = (h1 - h0) * (w1 - w0)
            h0c, w0c, h1c, w1c = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0c:h1c, w0c:w1c].sum(axis=(2, 3))
            div = divisor_override or (pool if count_include_pad else (h1c - h0c) * (w1c - w0c))
            out[:, :, i, j] = total / div
    return out


@pytest.mark.parametrize("k,s,p,d,ceil_mode", [
    ((2, 2), (2, 2), (0, 0), (1, 1), False), ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True), ((2, 3), (3, 2), (1, 0), (2, 1), True),
    ((3, 2), (1, 2), (0, 1), (2, 2), False), ((2, 2), (2, 2), (0, 0), (1, 1), True),
])
def test_max_pool2d_against_reference(k, s, p, d, ceil_mode):
    x = RNG.standard_normal((2, 3, 7, 8))
    out, idx = F.max_pool2d(T(x), k, s, p, d, ceil_mode=ceil_mode, return_indices=True)
    ref_out, ref_idx = ref_max_pool2d(x, k, s, p, d, ceil_mode)
    np.testing.assert_array_equal(N(out), ref_out)
    np.testing.assert_array_equal(N(idx), ref_idx)
    assert idx.dtype == plait.int64


def test_max_pool2d_defaults_and_unbatched():
    x = RNG.standard_normal((3, 6, 6))
    got = F.max_pool2d(T(x), 2)
    np.testing.assert_array_equal(N(got), x.reshape(3, 3, 2, 3, 2).max(axis=(2, 4)))
    assert tuple(F.max_pool2d(T(x[None]), (2, 2)).shape) == (1, 3, 3, 3)


def test_max_pool2d_gradient_goes_to_first_maximum():
    x = plait.ones(1, 1, 4, 4, dtype=plait.float64, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    expect = np.zeros((4, 4))
    expect[::2, ::2] = 1
    np.testing.assert_array_equal(N(x.grad)[0, 0], expect)
    # Overlapping windows: the shared maximum collects one unit per window.
    y = T([[[[0., 1., 0.], [0., 5., 0.], [0., 0., 0.]]]], requires_grad=True)
    F.max_pool2d(y, 2, stride=1).sum().backward()
    np.testing.assert_array_equal(N(y.grad)[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_max_pool2d_nan_wins_and_ties_pick_the_first_offset():
    # torch propagates NaN through max pooling; its kernels scan with `val > max || isnan(val)`, so the
    # index (and the gradient) goes to the last NaN of the window.
    x = T([[[[1., float("nan")], [float("nan"), 3.]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert math.isnan(out.item()) and idx.item() == 2
    out.sum().backward()
    np.testing.assert_array_equal(N(x.grad)[0, 0], [[0, 0], [1, 0]])
    out, idx = F.adaptive_max_pool2d(T([[[[1., float("nan"), 3., float("nan"), 0.]]]]), (1, 1), return_indices=True)
    assert idx.item() == 3
    # Ties, including the -inf of a padded border: the index is the first maximum in row-major order.
    y = T([[[[2., 7., 7.], [7., 1., 7.], [0., 7., 0.]]]])
    _, idx = F.max_pool2d(y, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[1, 1], [3, 5]])
    z = T(np.full((1, 1, 3, 3), -np.inf))
    _, idx = F.max_pool2d(z, 2, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 1], [3, 4]])


def test_max_pool_double_backward():
    x = T(RNG.permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) * 0.1, requires_grad=True)
    assert plait.autograd.gradgradcheck(lambda x: F.max_pool2d(x, 2) ** 2, (x,), eps=1e-6, atol=1e-5)


def test_max_pool_gradcheck():
    x = T(RNG.permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) * 0.1, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), (x,), eps=1e-6, atol=1e-5)
    assert gradcheck(lambda x: F.max_pool2d(x, (2, 3), stride=1, dilation=(2, 1)), (x,), eps=1e-6, atol=1e-5)
    y = T(RNG.permutation(2 * 3 * 9).reshape(2, 3, 9) * 0.1, requires_grad=True)
    assert gradcheck(lambda y: F.max_pool1d(y, 3, stride=2, padding=1), (y,), eps=1e-6, atol=1e-5)


def test_max_pool1d_against_reference_and_indices():
    x = RNG.standard_normal((2, 3, 11))
    out, idx = F.max_pool1d(T(x), 3, stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True)
    ref_out, ref_idx = ref_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1), (1, 2), True)
    np.testing.assert_array_equal(N(out), ref_out[:, :, 0])
    np.testing.assert_array_equal(N(idx), ref_idx[:, :, 0])
    assert tuple(F.max_pool1d(T(x[0]), 2).shape) == (3, 5)


def test_max_pool_errors():
    with pytest.raises(RuntimeError, match=re.escape("pad should be at most half of effective kernel size, but got "
                                                     "pad=2, kernel_size=2 and dilation=1")):
        F.max_pool2d(plait.zeros(1, 1, 6, 6), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(plait.zeros(1, 1, 2, 2), 3)


@pytest.mark.parametrize("k,s,p,ceil_mode,count_include_pad,divisor", [
    ((2, 2), (2, 2), (0, 0), False, True, None), ((3, 3), (2, 2), (1, 1), False, True, None),
    ((3, 3), (2, 2), (1, 1), False, False, None), ((3, 2), (2, 3), (1, 1), True, True, None),
    ((3, 2), (2, 3), (1, 1), True, False, None), ((2, 3), (1, 2), (1, 0), True, True, 5),
])
def test_avg_pool2d_against_reference(k, s, p, ceil_mode, count_include_pad, divisor):
    x = RNG.standard_normal((2, 3, 7, 8))
    got = F.avg_pool2d(T(x), k, s, p, ceil_mode, count_include_pad, divisor)
    np.testing.assert_allclose(N(got), ref_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad, divisor),
                               rtol=1e-12, atol=1e-12)


def test_avg_pool_gradcheck_and_1d():
    x = T(RNG.standard_normal((1, 2, 5, 6)), requires_grad=True)
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,),
                     eps=1e-6, atol=1e-5)
    y = RNG.standard_normal((2, 3, 10))
    got = F.avg_pool1d(T(y), 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    ref = ref_avg_pool2d(y[:, :, None], (1, 3), (1, 2), (0, 1), True, False)[:, :, 0]
    np.testing.assert_allclose(N(got), ref, rtol=1e-12)
    yt = T(y, requires_grad=True)
    assert gradcheck(lambda y: F.avg_pool1d(y, 4, stride=3, padding=2), (yt,), eps=1e-6, atol=1e-5)


def adaptive_bounds(size, out):
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def ref_adaptive(x, out_hw, reduce):
    n, c, h, w = x.shape
    res = np.zeros((n, c, *out_hw))
    for i, (h0, h1) in enumerate(adaptive_bounds(h, out_hw[0])):
        for j, (w0, w1) in enumerate(adaptive_bounds(w, out_hw[1])):
            res[:, :, i, j] = reduce(x[:, :, h0:h1, w0:w1], axis=(2, 3))
    return res


@pytest.mark.parametrize("in_hw,out_hw", [((6, 6), (3, 3)), ((7, 5), (3, 2)), ((5, 9), (4, 4)), ((4, 4), (1, 1)),
                                          ((3, 5), (5, 7))])
def test_adaptive_pools_against_reference(in_hw, out_hw):
    x = RNG.standard_normal((2, 3, *in_hw))
    np.testing.assert_allclose(N(F.adaptive_avg_pool2d(T(x), out_hw)), ref_adaptive(x, out_hw, np.mean),
                               rtol=1e-12, atol=1e-12)
    out, idx = F.adaptive_max_pool2d(T(x), out_hw, return_indices=True)
    np.testing.assert_array_equal(N(out), ref_adaptive(x, out_hw, np.max))
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, N(idx).reshape(2, 3, -1), axis=2).reshape(N(out).shape),
                                  N(out))


def test_adaptive_pool_none_and_int_sizes_and_gradcheck():
    x = RNG.standard_normal((1, 2, 7, 5))
    assert tuple(F.adaptive_avg_pool2d(T(x), (None, 2)).shape) == (1, 2, 7, 2)
    assert tuple(F.adaptive_max_pool2d(T(x), 3).shape) == (1, 2, 3, 3)
    assert tuple(F.adaptive_avg_pool2d(T(x[0]), 1).shape) == (2, 1, 1)
    xt = T(x, requires_grad=True)
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (xt,), eps=1e-6, atol=1e-5)
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, (3, 2)), (xt,), eps=1e-6, atol=1e-5)
    y = RNG.standard_normal((2, 3, 10))
    np.testing.assert_allclose(N(F.adaptive_avg_pool1d(T(y), 4)), ref_adaptive(y[:, :, None], (1, 4), np.mean)[:, :, 0])
    np.testing.assert_array_equal(N(F.adaptive_max_pool1d(T(y), 4)), ref_adaptive(y[:, :, None], (1, 4), np.max)[:, :, 0])


def test_pool_module_reprs_and_forward():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, ceil_mode=True)) == \
        "MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=1, ceil_mode=True)"
    assert repr(nn.MaxPool1d(3)) == "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AvgPool1d(3, stride=2)) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.AdaptiveMaxPool2d(5)) == "AdaptiveMaxPool2d(output_size=5)"
    x = RNG.standard_normal((2, 3, 8, 8))
    out, idx = nn.MaxPool2d(2, return_indices=True)(T(x))
    np.testing.assert_array_equal(N(out), x.reshape(2, 3, 4, 2, 4, 2).max(axis=(3, 5)))
    np.testing.assert_allclose(N(nn.AvgPool2d(2)(T(x))), x.reshape(2, 3, 4, 2, 4, 2).mean(axis=(3, 5)))
    np.testing.assert_allclose(N(nn.AdaptiveAvgPool2d(1)(T(x))), x.mean(axis=(2, 3), keepdims=True))
    np.testing.assert_array_equal(N(nn.AdaptiveMaxPool2d((1, 1))(T(x))), x.max(axis=(2, 3), keepdims=True))
    np.testing.assert_array_equal(N(nn.MaxPool1d(2)(T(x[:, :, 0]))), x[:, :, 0].reshape(2, 3, 4, 2).max(-1))
    np.testing.assert_allclose(N(nn.AvgPool1d(2)(T(x[:, :, 0]))), x[:, :, 0].reshape(2, 3, 4, 2).mean(-1))


def test_pool_padding_and_size_errors_are_torchs():
    x, x1 = plait.randn(1, 1, 7, 7), plait.randn(1, 1, 7)
    cases = [  # torch 2.13's messages
        (lambda: F.max_pool2d(x, 3, padding=2),
         "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
        (lambda: F.max_pool2d(x, (3, 2), padding=(2, 0), dilation=(2, 1)),
         "pad should be smaller than or equal to half of kernel size, but got padW = 0, padH = 2, kW = 2, kH = 3"),
        (lambda: F.max_pool1d(x1, 3, padding=2, dilation=2),
         "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=3"),
        (lambda: F.avg_pool2d(x, (3, 3), padding=(2, 1)),
         "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
        (lambda: F.max_pool2d(plait.randn(1, 1, 4, 9), 5),
         "Given input size: (1x4x9). Calculated output size: (1x0x1). Output size is too small"),
        (lambda: F.avg_pool1d(plait.randn(2, 3, 3), 5),
         "Given input size: (3x1x3). Calculated output size: (3x1x0). Output size is too small"),
        (lambda: F.max_pool1d(plait.randn(1, 1, 3), 5), "max_pool1d() Invalid computed output size: 0"),
    ]
    for call, message in cases:
        with pytest.raises(RuntimeError) as err:
            call()
        assert str(err.value) == message
    # dilation widens nothing: torch checks the padding against the kernel itself
    assert tuple(F.max_pool2d(x, (3, 2), padding=(1, 1), dilation=(2, 1)).shape) == (1, 1, 2, 4)
