"""plait.nn.init: torch's gains and fans, the distributions' bounds and moments, determinism under
plait.manual_seed, in-place filling without autograd history, and the error messages."""
import math

import numpy as np
import pytest

import plait
import plait.nn as nn
from plait.nn import init


def _np(t):
    return t.detach().numpy()


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_fan_out():
    assert init._calculate_fan_in_and_fan_out(plait.empty(3, 5)) == (5, 3)
    assert init._calculate_fan_in_and_fan_out(plait.empty(6, 2, 5, 5)) == (50, 150)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(plait.empty(4))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(plait.empty(3, 3), mode="fan_avg")


def test_fills_are_in_place_and_record_no_history():
    w = nn.Parameter(plait.empty(200, 100))
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
               init.kaiming_normal_, init.trunc_normal_, init.orthogonal_, init.ones_, init.zeros_, init.eye_):
        out = fn(w)
        assert out is w, fn.__name__
        assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert init.constant_(w, 0.3) is w
    np.testing.assert_allclose(_np(w), 0.3, rtol=1e-6)


def test_uniform_and_normal_moments():
    plait.manual_seed(0)
    t = plait.empty(200, 200)
    init.uniform_(t, -2.0, 3.0)
    a = _np(t)
    assert a.min() >= -2.0 and a.max() <= 3.0
    assert abs(a.mean() - 0.5) < 0.05 and abs(a.std() - 5 / math.sqrt(12)) < 0.05
    init.normal_(t, 1.0, 0.5)
    a = _np(t)
    assert abs(a.mean() - 1.0) < 0.01 and abs(a.std() - 0.5) < 0.01


def test_seed_determinism():
    t = plait.empty(10, 10)
    plait.manual_seed(3)
    a = _np(init.kaiming_normal_(t)).copy()
    plait.manual_seed(3)
    b = _np(init.kaiming_normal_(t)).copy()
    np.testing.assert_array_equal(a, b)


def test_xavier_and_kaiming_scales():
    plait.manual_seed(1)
    t = plait.empty(300, 200)
    fan_in, fan_out = 200, 300
    xb = math.sqrt(6.0 / (fan_in + fan_out))
    a = _np(init.xavier_uniform_(t, gain=2.0))
    assert np.abs(a).max() <= 2.0 * xb and np.abs(a).max() > 1.9 * xb
    a = _np(init.xavier_normal_(t))
    assert abs(a.std() - math.sqrt(2.0 / (fan_in + fan_out))) < 0.03 * math.sqrt(2.0 / (fan_in + fan_out))
    kb = math.sqrt(3.0) * math.sqrt(2.0) / math.sqrt(fan_in)
    a = _np(init.kaiming_uniform_(t, nonlinearity="relu"))
    assert np.abs(a).max() <= kb and np.abs(a).max() > 0.95 * kb
    a = _np(init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"))
    assert abs(a.std() - math.sqrt(2.0 / fan_out)) < 0.03 * math.sqrt(2.0 / fan_out)
    # a conv-shaped weight: fan_in counts the receptive field
    c = _np(init.kaiming_uniform_(plait.empty(16, 6, 5, 5), a=math.sqrt(5)))
    assert np.abs(c).max() <= 1 / math.sqrt(150)


def test_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(plait.empty(0, 3))


def test_trunc_normal_bounds_and_moments():
    plait.manual_seed(2)
    t = plait.empty(100, 100)
    a = _np(init.trunc_normal_(t, mean=0.5, std=1.0, a=-1.0, b=1.5))
    assert a.min() >= -1.0 and a.max() <= 1.5
    # mean of N(0.5, 1) truncated to [-1, 1.5]
    alpha, beta = -1.5, 1.0
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    expected = 0.5 + (phi(alpha) - phi(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(a.mean() - expected) < 0.02


def test_constant_family_eye_dirac():
    t = plait.empty(3, 4)
    np.testing.assert_array_equal(_np(init.ones_(t)), np.ones((3, 4)))
    np.testing.assert_array_equal(_np(init.zeros_(t)), np.zeros((3, 4)))
    np.testing.assert_array_equal(_np(init.eye_(t)), np.eye(3, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(plait.empty(2, 2, 2))
    w = init.dirac_(plait.empty(4, 2, 3, 3), groups=2)
    ref = np.zeros((4, 2, 3, 3))
    for g in range(2):
        for d in range(2):
            ref[g * 2 + d, d, 1, 1] = 1
    np.testing.assert_array_equal(_np(w), ref)


def test_orthogonal():
    plait.manual_seed(4)
    for shape in ((6, 4), (4, 6), (3, 2, 2)):
        t = init.orthogonal_(plait.empty(*shape, dtype=plait.float64), gain=2.0)
        m = _np(t).reshape(shape[0], -1)
        gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(min(m.shape)), atol=1e-10)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(plait.empty(3))


def test_sparse():
    plait.manual_seed(5)
    t = init.sparse_(plait.empty(10, 6), sparsity=0.3)
    zeros_per_col = (_np(t) == 0).sum(0)
    np.testing.assert_array_equal(zeros_per_col, [3] * 6)


def test_a_seed_set_before_any_tensor_exists_governs_layer_init_and_dropout_in_a_new_process():
    # the seed is set before any backend is set up, and the first draws are in-place fills (init) and
    # bernoulli (dropout), not plait.rand: they must use the seed too
    import subprocess
    import sys
    code = ("import plait, plait.nn as nn\nplait.manual_seed(5)\nm = nn.Linear(4, 3)\n"
            "print(m.weight.tolist(), nn.Dropout(0.5)(plait.ones(8)).tolist())")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
            for _ in range(2)]
    plait.manual_seed(5)
    m = nn.Linear(4, 3)
    here = f"{m.weight.tolist()} {nn.Dropout(0.5)(plait.ones(8)).tolist()}\n"
    assert runs[0] == runs[1] == here
