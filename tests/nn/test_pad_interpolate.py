"""F.pad against numpy.pad, and F.interpolate against NumPy loops using torch's coordinate conventions."""
import math
import re

import numpy as np
import pytest

import plait
import plait.nn._functional_conv as functional_conv
import plait.nn.functional as F
from plait.autograd import gradcheck

RNG = np.random.default_rng(4)


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def N(t):
    return t.detach().numpy()


@pytest.fixture(params=["dense", "gather"])
def resample_path(request, monkeypatch):
    """Run a test through both resampling strategies: the small dense matrix and the tap gather."""
    if request.param == "gather":
        monkeypatch.setattr(functional_conv, "_DENSE_RESAMPLE_LIMIT", 0)
    return request.param


def np_pad_width(ndim, pad):
    width = [(0, 0)] * ndim
    for k in range(len(pad) // 2):
        width[ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return width


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("reflect", "reflect"),
                                          ("replicate", "edge"), ("circular", "wrap")])
@pytest.mark.parametrize("pad", [(1, 2), (2, 0, 1, 3), (0, 1, 2, 2)])
def test_pad_against_numpy(mode, np_mode, pad):
    # (N, C, *padded dims): torch's non-constant modes take no other rank
    x = RNG.standard_normal((2, 3, 4, 5)[:2 + len(pad) // 2])
    got = F.pad(T(x), pad, mode=mode)
    np.testing.assert_array_equal(N(got), np.pad(x, np_pad_width(x.ndim, pad), mode=np_mode))


def test_pad_constant_value_negative_crop_and_3d():
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(N(F.pad(T(x), (1, 1), value=7.5)),
                                  np.pad(x, ((0, 0), (0, 0), (1, 1)), constant_values=7.5))
    np.testing.assert_array_equal(N(F.pad(T(x), (-1, 2, 0, -2))),
                                  np.pad(x[:, :1, 1:], ((0, 0), (0, 0), (0, 2))))
    np.testing.assert_array_equal(N(F.pad(T(x), (1, 1, 1, 1, 1, 1))), np.pad(x, 1))


def test_pad_gradcheck_and_errors():
    x = T(RNG.standard_normal((1, 2, 3, 4)), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), (x,), eps=1e-6, atol=1e-5)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match=re.escape("Padding size should be less than the corresponding input "
                                                     "dimension, but got: padding (3, 3) at dimension 2")):
        F.pad(x, (0, 0, 3, 3), mode="reflect")


def torch_nearest_index(out_size, in_size, scale):
    ratio = 1.0 / scale if scale else in_size / out_size
    return [min(int(math.floor(i * ratio)), in_size - 1) for i in range(out_size)]


def linear_weights(out_size, in_size, align_corners, scale=None):
    """(i0, i1, l1) for each output index, from torch's area_pixel_compute_source_index."""
    res = []
    for i in range(out_size):
        if align_corners:
            src = i * (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        else:
            ratio = 1.0 / scale if scale else in_size / out_size
            src = max((i + 0.5) * ratio - 0.5, 0.0)
        i0 = min(int(math.floor(src)), in_size - 1)
        i1 = min(i0 + 1, in_size - 1)
        res.append((i0, i1, src - i0))
    return res


def ref_bilinear(x, out_hw, align_corners, scales=(None, None)):
    n, c, h, w = x.shape
    out = np.zeros((n, c, *out_hw))
    rows = linear_weights(out_hw[0], h, align_corners, scales[0])
    cols = linear_weights(out_hw[1], w, align_corners, scales[1])
    for i, (h0, h1, lh) in enumerate(rows):
        for j, (w0, w1, lw) in enumerate(cols):
            out[:, :, i, j] = ((1 - lh) * ((1 - lw) * x[:, :, h0, w0] + lw * x[:, :, h0, w1])
                               + lh * ((1 - lw) * x[:, :, h1, w0] + lw * x[:, :, h1, w1]))
    return out


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("in_hw,out_hw", [((4, 5), (8, 10)), ((6, 6), (4, 3)), ((3, 4), (7, 9)), ((5, 2), (1, 5))])
def test_bilinear_against_reference(align_corners, in_hw, out_hw, resample_path):
    x = RNG.standard_normal((2, 3, *in_hw))
    got = F.interpolate(T(x), size=out_hw, mode="bilinear", align_corners=align_corners)
    np.testing.assert_allclose(N(got), ref_bilinear(x, out_hw, align_corners), rtol=1e-10, atol=1e-10)


def test_bilinear_scale_factor_uses_the_given_scale(resample_path):
    x = RNG.standard_normal((1, 2, 5, 5))
    got = F.interpolate(T(x), scale_factor=1.5, mode="bilinear", align_corners=False)
    assert tuple(got.shape) == (1, 2, 7, 7)
    np.testing.assert_allclose(N(got), ref_bilinear(x, (7, 7), False, (1.5, 1.5)), rtol=1e-10, atol=1e-10)
    recomputed = F.interpolate(T(x), scale_factor=1.5, mode="bilinear", recompute_scale_factor=True)
    np.testing.assert_allclose(N(recomputed), ref_bilinear(x, (7, 7), False), rtol=1e-10, atol=1e-10)
    # Upsampling by 2 with align_corners=True keeps the corner pixels.
    up = N(F.interpolate(T(x), scale_factor=2, mode="bilinear", align_corners=True))
    np.testing.assert_allclose(up[..., [0, -1], :][..., [0, -1]], x[..., [0, -1], :][..., [0, -1]], rtol=1e-12)


@pytest.mark.parametrize("in_hw,kw", [((3, 4), {"size": (6, 10)}), ((5, 5), {"size": (3, 2)}),
                                      ((3, 4), {"scale_factor": 2}), ((4, 6), {"scale_factor": (1.5, 0.5)})])
def test_nearest_against_reference(in_hw, kw):
    x = RNG.standard_normal((2, 3, *in_hw))
    got = N(F.interpolate(T(x), **kw))
    if "size" in kw:
        out_hw, scales = kw["size"], (None, None)
    else:
        sf = kw["scale_factor"]
        scales = (sf, sf) if not isinstance(sf, tuple) else sf
        out_hw = tuple(int(math.floor(s * f)) for s, f in zip(in_hw, scales))
    rows = torch_nearest_index(out_hw[0], in_hw[0], scales[0])
    cols = torch_nearest_index(out_hw[1], in_hw[1], scales[1])
    np.testing.assert_array_equal(got, x[:, :, rows][:, :, :, cols])


def test_nearest_upsample_by_two_repeats_pixels_and_1d(resample_path):
    x = RNG.standard_normal((1, 2, 3, 3))
    np.testing.assert_array_equal(N(F.interpolate(T(x), scale_factor=2)), x.repeat(2, axis=2).repeat(2, axis=3))
    y = RNG.standard_normal((2, 3, 5))
    np.testing.assert_array_equal(N(F.interpolate(T(y), size=8)), y[:, :, torch_nearest_index(8, 5, None)])
    got = N(F.interpolate(T(y), size=8, mode="linear", align_corners=True))
    ref = ref_bilinear(y[:, :, None], (1, 8), True)[:, :, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def cubic_ref(x, out_size, align_corners):
    """Keys' cubic convolution (A=-0.75) along the last axis, torch's unclamped source index."""
    a = -0.75
    in_size = x.shape[-1]

    def w(t):
        t = abs(t)
        if t <= 1:
            return ((a + 2) * t - (a + 3)) * t * t + 1
        if t < 2:
            return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        return 0.0

    out = np.zeros((*x.shape[:-1], out_size))
    for i in range(out_size):
        if align_corners:
            src = i * (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        else:
            src = (i + 0.5) * in_size / out_size - 0.5
        base = math.floor(src)
        for off in (-1, 0, 1, 2):
            idx = min(max(base + off, 0), in_size - 1)
            out[..., i] += w(src - (base + off)) * x[..., idx]
    return out


@pytest.mark.parametrize("align_corners", [True, False])
def test_bicubic_against_reference(align_corners, resample_path):
    x = RNG.standard_normal((1, 2, 4, 5))
    got = N(F.interpolate(T(x), size=(7, 3), mode="bicubic", align_corners=align_corners))
    ref = cubic_ref(cubic_ref(x, 3, align_corners).swapaxes(-1, -2), 7, align_corners).swapaxes(-1, -2)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_area_is_adaptive_average():
    x = RNG.standard_normal((1, 2, 6, 9))
    np.testing.assert_allclose(N(F.interpolate(T(x), size=(3, 3), mode="area")),
                               x.reshape(1, 2, 3, 2, 3, 3).mean(axis=(3, 5)), rtol=1e-12)


def test_nearest_on_integer_images():
    img = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    up = F.interpolate(plait.tensor(img), scale_factor=2)
    assert up.dtype == plait.uint8
    np.testing.assert_array_equal(N(up), img.repeat(2, axis=2).repeat(2, axis=3))
    odd = F.interpolate(plait.tensor(img), size=(5, 7))
    np.testing.assert_array_equal(N(odd), img[:, :, torch_nearest_index(5, 3, None)][:, :, :, torch_nearest_index(7, 4, None)])


def test_interpolate_gradcheck(resample_path):
    x = T(RNG.standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, size=(5, 6), mode="bilinear", align_corners=False), (x,),
                     eps=1e-6, atol=1e-5)
    assert gradcheck(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True), (x,),
                     eps=1e-6, atol=1e-5)
    assert gradcheck(lambda x: F.interpolate(x, size=(2, 7)), (x,), eps=1e-6, atol=1e-5)
    assert gradcheck(lambda x: F.interpolate(x, size=(4, 4), mode="bicubic"), (x,), eps=1e-6, atol=1e-5)


def test_interpolate_errors():
    x = plait.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(ValueError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, size=2, mode="linear")


def test_non_constant_pads_crop_negative_amounts_first_like_torch():
    x = plait.arange(5.0).reshape(1, 1, 5)
    expected = {  # torch 2.13
        ("circular", (-1, 2)): [1, 2, 3, 4, 1, 2], ("circular", (2, -1)): [2, 3, 0, 1, 2, 3],
        ("reflect", (-1, 2)): [1, 2, 3, 4, 3, 2], ("reflect", (2, -1)): [2, 1, 0, 1, 2, 3],
        ("replicate", (-1, 2)): [1, 2, 3, 4, 4, 4], ("replicate", (2, -1)): [0, 0, 0, 1, 2, 3],
    }
    for (mode, pads), want in expected.items():
        assert F.pad(x, pads, mode=mode).reshape(-1).tolist() == want, (mode, pads)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "nearest-exact"])
def test_interpolate_copies_a_dim_whose_size_does_not_change(mode):
    # 3x12 by 1.25 -> 3x15: torch leaves the rows as they are (its kernels copy an unchanged dim)
    x = plait.arange(36.0).reshape(1, 1, 3, 12)
    kw = {"align_corners": False} if mode == "bilinear" else {}
    out = F.interpolate(x, scale_factor=1.25, mode=mode, **kw)
    assert tuple(out.shape) == (1, 1, 3, 15)
    assert out[0, 0, :, 0].tolist() == [0.0, 12.0, 24.0]
