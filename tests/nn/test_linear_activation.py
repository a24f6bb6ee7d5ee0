"""Linear, Bilinear, Identity, Flatten/Unflatten and every activation: values against NumPy, gradients by
gradcheck in float64, reprs and error messages as torch prints them."""
import math
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

RNG = np.random.default_rng(0)


def _t(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


def _check_grad(fn, *arrays):
    inputs = tuple(_t(a, requires_grad=True) for a in arrays)
    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-5)


# --------------------------------------------------------------------------- Linear family
def test_linear_forward_and_batched_forward():
    m = nn.Linear(5, 3)
    w, b = _np(m.weight), _np(m.bias)
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(_np(m(plait.tensor(x))), x @ w.T + b, rtol=1e-5, atol=1e-6)
    x3 = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(_np(m(plait.tensor(x3))), x3 @ w.T + b, rtol=1e-5, atol=1e-6)
    x1 = RNG.standard_normal(5).astype(np.float32)
    np.testing.assert_allclose(_np(m(plait.tensor(x1))), x1 @ w.T + b, rtol=1e-5, atol=1e-6)
    assert m.weight.shape == (3, 5) and m.bias.shape == (3,)
    assert m(plait.tensor(x)).grad_fn is not None


def test_linear_init_bounds_and_no_bias():
    plait.manual_seed(0)
    m = nn.Linear(400, 120)
    bound = 1 / math.sqrt(400)
    w = _np(m.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(_np(m.bias)).max() <= bound
    nb = nn.Linear(3, 2, bias=False)
    assert nb.bias is None and [n for n, _ in nb.named_parameters()] == ["weight"]
    assert repr(nb) == "Linear(in_features=3, out_features=2, bias=False)"
    assert repr(nn.Linear(400, 120)) == "Linear(in_features=400, out_features=120, bias=True)"


def test_linear_seeded_init_is_reproducible():
    plait.manual_seed(7)
    a = _np(nn.Linear(4, 3).weight)
    plait.manual_seed(7)
    b = _np(nn.Linear(4, 3).weight)
    np.testing.assert_array_equal(a, b)


def test_linear_dtype_device_kwargs():
    m = nn.Linear(2, 3, dtype=plait.float64, device="cpu")
    assert m.weight.dtype == plait.float64 and m.bias.dtype == plait.float64


def test_linear_shape_error_names_both_matrices():
    m = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x2\)"):
        m(plait.ones(4, 5))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(6x5 and 3x2\)"):
        m(plait.ones(2, 3, 5))


def test_linear_gradcheck():
    x, w, b = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 4)), RNG.standard_normal(2)
    _check_grad(F.linear, x, w, b)
    _check_grad(lambda x, w: F.linear(x, w), RNG.standard_normal((2, 2, 4)), w)


def test_bilinear_forward_and_grad():
    m = nn.Bilinear(3, 4, 2).double()
    x1, x2 = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    expected = np.einsum("bi,oij,bj->bo", x1, _np(m.weight), x2) + _np(m.bias)
    np.testing.assert_allclose(_np(m(_t(x1), _t(x2))), expected, rtol=1e-10)
    assert repr(m) == "Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)"
    _check_grad(F.bilinear, RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2)),
                RNG.standard_normal((2, 3, 2)), RNG.standard_normal(2))
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 2 but expected 3"):
        m(plait.ones(5, 2, dtype=plait.float64), _t(x2))


def test_identity_flatten_unflatten():
    x = plait.randn(2, 3, 4, 5)
    ident = nn.Identity(54, unused="x")
    assert ident(x) is x and repr(ident) == "Identity()"
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    np.testing.assert_array_equal(_np(nn.Flatten()(x)), _np(x).reshape(2, 60))
    u = nn.Unflatten(1, (3, 4))
    y = u(plait.randn(2, 12, 5))
    assert y.shape == (2, 3, 4, 5)
    assert nn.Unflatten(-1, (-1, 2))(plait.randn(2, 6)).shape == (2, 3, 2)
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(3, 4))"
    with pytest.raises(RuntimeError, match=r"Provided sizes \[5, 4\] don't multiply up to the size of dim 1 \(12\)"):
        nn.Unflatten(1, (5, 4))(plait.randn(2, 12))
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type float"):
        nn.Unflatten(1, (2.0, 6))
    _check_grad(lambda t: nn.Unflatten(1, (2, 3))(nn.Flatten()(t)), RNG.standard_normal((2, 3, 2)))


# --------------------------------------------------------------------------- activations
def _np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(beta * x, threshold))) / beta)


def _np_erf(x):
    return np.vectorize(math.erf)(x)


def _np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

# (layer, functional equivalent, numpy reference)
ACTIVATIONS = [
    (nn.ReLU(), F.relu, lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(), F.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.CELU(0.5), lambda x: F.celu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    (nn.SELU(), F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    (nn.GELU(), F.gelu, lambda x: 0.5 * x * (1 + _np_erf(x / math.sqrt(2)))),
    (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (nn.SiLU(), F.silu, lambda x: x / (1 + np.exp(-x))),
    (nn.Mish(), F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    (nn.Sigmoid(), F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), F.tanh, np.tanh),
    (nn.Hardtanh(-0.5, 0.7), lambda x: F.hardtanh(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7)),
    (nn.ReLU6(), F.relu6, lambda x: np.clip(x, 0, 6)),
    (nn.Hardsigmoid(), F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    (nn.Hardswish(), F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    (nn.LogSigmoid(), F.logsigmoid, lambda x: -np.log1p(np.exp(-x))),
    (nn.Softsign(), F.softsign, lambda x: x / (1 + np.abs(x))),
    (nn.Tanhshrink(), F.tanhshrink, lambda x: x - np.tanh(x)),
    (nn.Softshrink(0.5), F.softshrink, lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    (nn.Hardshrink(0.5), F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    (nn.Threshold(0.1, 20.0), lambda x: F.threshold(x, 0.1, 20.0), lambda x: np.where(x > 0.1, x, 20.0)),
    (nn.Softplus(), F.softplus, _np_softplus),
    (nn.Softplus(2.0, 5.0), lambda x: F.softplus(x, 2.0, 5.0), lambda x: _np_softplus(x, 2.0, 5.0)),
    (nn.Softmax(dim=1), lambda x: F.softmax(x, dim=1), lambda x: _np_softmax(x, 1)),
    (nn.Softmin(dim=0), lambda x: F.softmin(x, dim=0), lambda x: _np_softmax(-x, 0)),
    (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, dim=1), lambda x: np.log(_np_softmax(x, 1))),
    (nn.GLU(), F.glu, lambda x: x[:, :2] / (1 + np.exp(-x[:, 2:]))),
]

IDS = [type(layer).__name__ + str(i) for i, (layer, _, _) in enumerate(ACTIVATIONS)]


def _inputs():
    # stays away from the kinks (0, +-0.5, thresholds) where finite differences are meaningless
    x = RNG.uniform(-3, 3, (3, 4))
    x[np.abs(x) < 0.05] += 0.2
    x[np.abs(np.abs(x) - 0.5) < 0.05] += 0.2
    x[np.abs(x - 0.1) < 0.05] += 0.2
    return x


@pytest.mark.parametrize("layer,fn,ref", ACTIVATIONS, ids=IDS)
def test_activation_forward_matches_numpy(layer, fn, ref):
    x = _inputs()
    np.testing.assert_allclose(_np(layer(_t(x))), ref(x), rtol=1e-7, atol=1e-10)
    x32 = plait.tensor(x.astype(np.float32))
    out = layer(x32)
    assert out.dtype == plait.float32
    np.testing.assert_allclose(_np(out), ref(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer,fn,ref", ACTIVATIONS, ids=IDS)
def test_activation_gradcheck(layer, fn, ref):
    _check_grad(fn, _inputs())


def test_prelu():
    m = nn.PReLU(num_parameters=3).double()
    x = RNG.uniform(-2, 2, (2, 3, 2))
    a = np.full(3, 0.25)
    np.testing.assert_allclose(_np(m(_t(x))), np.where(x > 0, x, a[None, :, None] * x))
    assert repr(m) == "PReLU(num_parameters=3)"
    _check_grad(F.prelu, x + np.sign(x) * 0.1, np.array([0.1, 0.2, 0.3]))


def test_activation_reprs():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.SiLU()) == "SiLU()"
    assert repr(nn.Sigmoid()) == "Sigmoid()"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax(dim=-1)) == "LogSoftmax(dim=-1)"
    assert repr(nn.Softmax()) == "Softmax(dim=None)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.ReLU6(inplace=True)) == "ReLU6(inplace=True)"
    assert repr(nn.Threshold(0.1, 20)) == "Threshold(threshold=0.1, value=20)"
    assert repr(nn.Softshrink()) == "Softshrink(0.5)"
    assert repr(nn.GLU()) == "GLU(dim=-1)"


def test_inplace_variants_write_into_input():
    x = _t([-1.0, 2.0])
    out = F.relu(x, inplace=True)
    assert out is x
    np.testing.assert_array_equal(_np(x), [0.0, 2.0])
    y = _t([-1.0, 2.0])
    nn.LeakyReLU(0.5, inplace=True)(y)
    np.testing.assert_array_equal(_np(y), [-0.5, 2.0])
    z = _t([-4.0, 9.0])
    F.relu6(z, inplace=True)
    np.testing.assert_array_equal(_np(z), [0.0, 6.0])
    # in-place on an intermediate still backpropagates, as torch's relu_ does
    w = _t([-1.0, 2.0], requires_grad=True)
    h = w * 3
    F.relu_(h)
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 3.0])


def test_softmax_is_stable_for_large_logits():
    x = _t([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    p = _np(F.softmax(x, dim=1))
    np.testing.assert_allclose(p[0], _np_softmax(np.array([0.0, 1.0, 2.0]), 0))
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    lp = _np(F.log_softmax(x, dim=1))
    assert np.isfinite(lp).all()
    np.testing.assert_allclose(lp[0], np.log(_np_softmax(np.array([0.0, 1.0, 2.0]), 0)))
    g = _t([[1000.0, 0.0]], requires_grad=True)
    F.log_softmax(g, 1)[0, 1].backward()
    assert np.isfinite(g.grad.numpy()).all()


def test_softmax_implicit_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        out = F.softmax(plait.ones(2, 3))
    np.testing.assert_allclose(_np(out), np.full((2, 3), 1 / 3), rtol=1e-6)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        nn.LogSoftmax()(plait.ones(3))


def test_saturating_activations_have_finite_grads():
    x = _t([-800.0, 800.0, 50.0], requires_grad=True)
    for fn in (F.elu, F.softplus, F.logsigmoid, F.sigmoid, F.silu, F.mish):
        x.grad = None
        fn(x).sum().backward()
        assert np.isfinite(x.grad.numpy()).all(), fn.__name__


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(plait.ones(1), approximate="fast")


def test_one_hot_and_normalize():
    t = plait.tensor([0, 2, 1])
    oh = F.one_hot(t)
    assert oh.dtype == plait.int64
    np.testing.assert_array_equal(oh.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(t, 5).shape == (3, 5)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(t, 2)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(plait.tensor([0.0]))
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(_np(F.normalize(_t(x))), x / np.linalg.norm(x, axis=1, keepdims=True))
    np.testing.assert_allclose(_np(F.normalize(_t(x), p=1, dim=0)), x / np.abs(x).sum(0, keepdims=True))
    _check_grad(F.normalize, x)
    # a zero row divides by eps instead of producing NaN, in value and in gradient
    z = plait.zeros(2, 3, dtype=plait.float64, requires_grad=True)
    F.normalize(z).sum().backward()
    assert np.isfinite(_np(F.normalize(z))).all() and np.isfinite(z.grad.numpy()).all()
    cs = _np(F.cosine_similarity(_t(x), _t(x[::-1].copy())))
    ref = (x * x[::-1]).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(x[::-1], axis=1))
    np.testing.assert_allclose(cs, ref)


def test_no_warnings_in_ordinary_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Sequential(nn.Linear(3, 3), nn.GELU(), nn.Softmax(dim=1))(plait.randn(2, 3)).sum().backward()


def test_clip_activations_pass_no_gradient_at_their_clip_points_like_torch():
    # values torch 2.13 gives for d/dx at these points (the clip points themselves get 0)
    points = [-3.0, -1.0, 0.0, 1.0, 3.0, 6.0]
    expected = {
        F.hardtanh: [0, 0, 1, 0, 0, 0],
        F.relu6: [0, 0, 0, 1, 1, 0],
        F.hardsigmoid: [0, 1 / 6, 1 / 6, 1 / 6, 0, 0],
        F.hardswish: [0, 1 / 6, 0.5, 5 / 6, 1, 1],
        F.logsigmoid: [0.9525741268, 0.7310585786, 0.5, 0.2689414214, 0.0474258732, 0.0024726232],
    }
    for fn, grads in expected.items():
        x = plait.tensor(points, dtype=plait.float64, requires_grad=True)
        (g,) = plait.autograd.grad(fn(x).sum(), x)
        np.testing.assert_allclose(g.numpy(), grads, atol=1e-9, err_msg=fn.__name__)


def test_logsigmoid_is_finite_and_gradchecks_far_from_zero():
    x = plait.tensor([-800.0, -30.0, 0.0, 30.0, 800.0], dtype=plait.float64, requires_grad=True)
    out = F.logsigmoid(x)
    np.testing.assert_allclose(out.detach().numpy(), [-800.0, -30.0, -np.log(2), -np.exp(-30.0), 0.0], rtol=1e-9)
    (g,) = plait.autograd.grad(out.sum(), x)
    assert np.isfinite(g.numpy()).all()
    y = plait.tensor(np.linspace(-4, 4, 7) + 0.1, dtype=plait.float64, requires_grad=True)
    assert plait.autograd.gradgradcheck(F.logsigmoid, (y,))
