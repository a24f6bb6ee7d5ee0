"""Gradient clipping and parameter/vector conversion (plait.nn.utils) against torch 2.13's numbers (hard-coded
below, produced by running the same scenario functions with torch; float32), and torch's error texts."""
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn

GRAD_A = [[0.3, -1.2], [2.0, 0.1]]
GRAD_B = [-0.7, 0.2]


def _params(fw):
    """Three parameters, two with gradients (the third has none and must be skipped)."""
    params = [fw.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True), fw.tensor([4.0, -1.0], requires_grad=True),
              fw.tensor([1.0], requires_grad=True)]
    params[0].grad = fw.tensor(GRAD_A)
    params[1].grad = fw.tensor(GRAD_B)
    return params


def clip_norm(fw, norm_type, max_norm):
    params = _params(fw)
    total = fw.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return {"total": total.item(), "a": params[0].grad.tolist(), "b": params[1].grad.tolist(),
            "untouched": params[2].grad is None}


def total_then_clip(fw, norm_type):
    params = _params(fw)
    total = fw.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None], norm_type=norm_type)
    fw.nn.utils.clip_grads_with_norm_(params, 0.5, total)
    return {"total": total.item(), "a": params[0].grad.tolist(), "b": params[1].grad.tolist()}


def clip_value(fw):
    params = _params(fw)
    fw.nn.utils.clip_grad_value_(params, 0.4)
    return {"a": params[0].grad.tolist(), "b": params[1].grad.tolist()}


def vector_round_trip(fw):
    params = _params(fw)
    vec = fw.nn.utils.parameters_to_vector(params)
    fw.nn.utils.vector_to_parameters(vec * 2, params)
    return {"vec": vec.tolist(), "a": params[0].tolist(), "c": params[2].tolist()}


SCENARIOS = {
    "norm_2": (clip_norm, (2.0, 1.5)),
    "norm_1": (clip_norm, (1, 1.5)),
    "norm_inf": (clip_norm, (float("inf"), 1.5)),
    "norm_half": (clip_norm, (0.5, 1.5)),
    "norm_not_clipped": (clip_norm, (2.0, 100.0)),
    "total_then_clip_2": (total_then_clip, (2.0,)),
    "total_then_clip_inf": (total_then_clip, (float("inf"),)),
    "value": (clip_value, ()),
    "vector": (vector_round_trip, ()),
}


EXPECTED = {
    'norm_2': {'total': 2.463737249374, 'a': [[0.182649284601, -0.730597138405], [1.217661857605, 0.060883093625]], 'b': [-0.426181644201, 0.121766187251], 'untouched': True},
    'norm_1': {'total': 4.5, 'a': [[0.099999979138, -0.399999916553], [0.666666507721, 0.033333327621]], 'b': [-0.233333274722, 0.066666655242], 'untouched': True},
    'norm_inf': {'total': 2.0, 'a': [[0.224999904633, -0.89999961853], [1.499999284744, 0.074999965727]], 'b': [-0.52499973774, 0.149999931455], 'untouched': True},
    'norm_half': {'total': 21.692140579224, 'a': [[0.020744839683, -0.082979358733], [0.138298928738, 0.006914946716]], 'b': [-0.048404622823, 0.013829893433], 'untouched': True},
    'norm_not_clipped': {'total': 2.463737249374, 'a': [[0.300000011921, -1.200000047684], [2.0, 0.10000000149]], 'b': [-0.699999988079, 0.20000000298], 'untouched': True},
    'total_then_clip_2': {'total': 2.463737249374, 'a': [[0.060883093625, -0.243532374501], [0.405887275934, 0.020294364542]], 'b': [-0.142060548067, 0.040588729084]},
    'total_then_clip_inf': {'total': 2.0, 'a': [[0.074999965727, -0.299999862909], [0.499999761581, 0.024999989197]], 'b': [-0.174999907613, 0.049999978393]},
    'value': {'a': [[0.300000011921, -0.40000000596], [0.40000000596, 0.10000000149]], 'b': [-0.40000000596, 0.20000000298]},
    'vector': {'vec': [1.0, -2.0, 3.0, 0.5, 4.0, -1.0, 1.0], 'a': [[2.0, -4.0], [6.0, 1.0]], 'c': [2.0]},
}


def _compare(got, expected, name):
    assert set(got) == set(expected)
    for key, value in expected.items():
        if isinstance(value, bool):
            assert got[key] is value, f"{name}: {key}"
        else:
            np.testing.assert_allclose(np.array(got[key]), np.array(value), rtol=1e-6, atol=1e-7,
                                       err_msg=f"{name}: {key}")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_matches_torch(name):
    fn, args = SCENARIOS[name]
    _compare(fn(plait, *args), EXPECTED[name], name)


def test_hard_coded_numbers_are_torchs():
    """Where torch is installed, the scenarios run with it still give the numbers hard-coded above."""
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (fn, args) in SCENARIOS.items():
            _compare(fn(torch, *args), EXPECTED[name], name)


def test_empty_and_single_tensor_inputs():
    assert nn.utils.get_total_norm([]).item() == 0.0
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    p = plait.tensor([3.0, 4.0], requires_grad=True)
    p.grad = plait.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    # a generator of parameters is read once, as a list
    q = plait.tensor([1.0], requires_grad=True)
    q.grad = plait.tensor([10.0])
    nn.utils.clip_grad_norm_((t for t in [q]), 2.0)
    np.testing.assert_allclose(q.grad.numpy(), [2.0], rtol=1e-5)


def test_non_finite_norm():
    grads = [plait.tensor([1.0, float("nan")])]
    with pytest.raises(RuntimeError, match=r"^The total norm of order 2.0 for gradients from `parameters` is "
                                           r"non-finite, so it cannot be clipped. To disable this error and scale "
                                           r"the gradients by the non-finite norm anyway, set "
                                           r"`error_if_nonfinite=False`$"):
        nn.utils.get_total_norm(grads, error_if_nonfinite=True)
    assert nn.utils.get_total_norm(grads).isnan().item()


def test_vector_to_parameters_checks():
    with pytest.raises(TypeError, match="^expected plait.Tensor, but got: list$"):
        nn.utils.vector_to_parameters([1.0], [plait.zeros(1)])
