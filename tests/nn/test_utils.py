"""plait.nn.utils: gradient clipping by norm and by value, and parameters <-> flat vector."""
import math

import numpy as np
import pytest

import plait
import plait.nn as nn
from plait.nn import utils


def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(plait.zeros(*np.shape(g), dtype=plait.float64))
        p.grad = plait.tensor(np.asarray(g, dtype=np.float64))
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_to_max_norm():
    grads = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]
    ps = _params_with_grads(grads)
    total = utils.clip_grad_norm_(ps, max_norm=1.0)
    assert math.isclose(total.item(), 5.0)
    np.testing.assert_allclose(ps[0].grad.numpy(), [3 / 5, 0.0], rtol=1e-5)
    np.testing.assert_allclose(ps[1].grad.numpy(), [[0.0, 4 / 5]], rtol=1e-5)
    # below the threshold nothing changes
    ps = _params_with_grads(grads)
    utils.clip_grad_norm_(ps, max_norm=10.0)
    np.testing.assert_allclose(ps[0].grad.numpy(), [3.0, 0.0])


@pytest.mark.parametrize("norm_type", [1.0, 3.0, math.inf])
def test_clip_grad_norm_other_orders(norm_type):
    grads = [np.array([3.0, -1.0]), np.array([2.0])]
    flat = np.concatenate(grads)
    expected = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    ps = _params_with_grads(grads)
    total = utils.clip_grad_norm_(ps, max_norm=0.5, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), expected)
    np.testing.assert_allclose(ps[0].grad.numpy(), grads[0] * 0.5 / (expected + 1e-6))


def test_clip_grad_norm_edge_cases():
    assert utils.clip_grad_norm_([nn.Parameter(plait.zeros(2))], 1.0).item() == 0.0
    p = _params_with_grads([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite"):
        utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    single = _params_with_grads([np.array([6.0, 8.0])])[0]
    utils.clip_grad_norm_(single, 5.0)
    np.testing.assert_allclose(single.grad.numpy(), [3.0, 4.0], rtol=1e-5)


def test_clip_grad_value():
    ps = _params_with_grads([np.array([-3.0, 0.5, 2.0])])
    utils.clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad.numpy(), [-1.0, 0.5, 1.0])


def test_parameters_vector_round_trip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = utils.parameters_to_vector(m.parameters())
    assert vec.shape == (6 + 2 + 2 + 1,)
    expected = np.concatenate([p.detach().numpy().reshape(-1) for p in m.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), expected)
    new = plait.arange(11, dtype=plait.float32)
    w = m[0].weight
    utils.vector_to_parameters(new, m.parameters())
    assert m[0].weight is w
    np.testing.assert_array_equal(w.detach().numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(m[1].bias.detach().numpy(), [10.0])
    assert w.requires_grad and isinstance(w, nn.Parameter)
    # torch semantics: the parameters now view the vector
    with plait.no_grad():
        new[0] = 42.0
    assert w[0, 0].item() == 42.0
    with pytest.raises(TypeError, match="expected plait.Tensor, but got: list"):
        utils.vector_to_parameters([1.0], m.parameters())
