"""BatchNorm (running statistics, eval mode, errors), LayerNorm and GroupNorm against NumPy formulas."""
import re

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

RNG = np.random.default_rng(2)


def T(a, requires_grad=False):
    return plait.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def N(t):
    return t.detach().numpy()


def np_bn(x, eps=1e-5):
    axes = (0, *range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm2d, (4, 3, 5, 6)), (nn.BatchNorm1d, (8, 3)),
                                       (nn.BatchNorm1d, (4, 3, 7))])
def test_batchnorm_running_stats_over_several_steps(cls, shape):
    bn = cls(3, momentum=0.2).double()
    assert repr(bn) == f"{cls.__name__}(3, eps=1e-05, momentum=0.2, affine=True, bias=True, track_running_stats=True)"
    rm, rv = np.zeros(3), np.ones(3)
    axes = (0, *range(2, len(shape)))
    count = np.prod([shape[a] for a in axes])
    for step in range(4):
        x = RNG.standard_normal(shape) * (step + 1) + step
        out = bn(T(x))
        np.testing.assert_allclose(N(out), np_bn(x), rtol=1e-10, atol=1e-10)
        rm = 0.8 * rm + 0.2 * x.mean(axis=axes)
        rv = 0.8 * rv + 0.2 * x.var(axis=axes) * count / (count - 1)
    np.testing.assert_allclose(N(bn.running_mean), rm, rtol=1e-12)
    np.testing.assert_allclose(N(bn.running_var), rv, rtol=1e-12)
    assert int(bn.num_batches_tracked) == 4
    bn.eval()
    x = RNG.standard_normal(shape)
    expect = (x - rm.reshape(1, 3, *[1] * (len(shape) - 2))) / np.sqrt(rv.reshape(1, 3, *[1] * (len(shape) - 2)) + 1e-5)
    np.testing.assert_allclose(N(bn(T(x))), expect, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(N(bn.running_mean), rm, rtol=1e-12)
    assert int(bn.num_batches_tracked) == 4


def test_batchnorm_cumulative_average_when_momentum_is_none():
    bn = nn.BatchNorm2d(2, momentum=None).double()
    batches = [RNG.standard_normal((3, 2, 4, 4)) + i for i in range(3)]
    for x in batches:
        bn(T(x))
    means = np.stack([x.mean(axis=(0, 2, 3)) for x in batches])
    vars_ = np.stack([x.var(axis=(0, 2, 3), ddof=1) for x in batches])
    np.testing.assert_allclose(N(bn.running_mean), means.mean(0), rtol=1e-12)
    np.testing.assert_allclose(N(bn.running_var), vars_.mean(0), rtol=1e-12)


def test_batchnorm_affine_and_tracking_options():
    x = RNG.standard_normal((5, 3, 2, 2))
    bn = nn.BatchNorm2d(3, affine=False, track_running_stats=False).double()
    assert bn.weight is None and bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.parameters()) == []
    bn.eval()
    np.testing.assert_allclose(N(bn(T(x))), np_bn(x), rtol=1e-10, atol=1e-10)
    bn2 = nn.BatchNorm2d(3).double()
    with plait.no_grad():
        bn2.weight.copy_(T([1.0, 2.0, 3.0]))
        bn2.bias.copy_(T([0.5, -0.5, 0.0]))
    np.testing.assert_allclose(N(bn2(T(x))), np_bn(x) * np.array([1, 2, 3.]).reshape(1, 3, 1, 1)
                               + np.array([0.5, -0.5, 0]).reshape(1, 3, 1, 1), rtol=1e-10, atol=1e-10)
    assert set(bn2.state_dict()) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    bn2.reset_running_stats()
    np.testing.assert_array_equal(N(bn2.running_var), np.ones(3))
    assert int(bn2.num_batches_tracked) == 0


def test_batchnorm_errors_are_torchs():
    with pytest.raises(ValueError, match=re.escape("expected 4D input (got 2D input)")):
        nn.BatchNorm2d(3)(plait.zeros(2, 3))
    with pytest.raises(ValueError, match=re.escape("expected 2D or 3D input (got 4D input)")):
        nn.BatchNorm1d(3)(plait.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r".*\[1, 3\]"):
        nn.BatchNorm1d(3)(plait.zeros(1, 3))
    bn = nn.BatchNorm1d(3)
    bn.eval()
    assert tuple(bn(plait.zeros(1, 3)).shape) == (1, 3)


def test_batchnorm_gradcheck_train_and_eval():
    x = T(RNG.standard_normal((3, 2, 2, 2)), requires_grad=True)
    w = T(RNG.standard_normal(2), requires_grad=True)
    b = T(RNG.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b),
                     eps=1e-6, atol=1e-5)
    rm, rv = T([0.1, -0.2]), T([1.5, 0.5])
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b), eps=1e-6, atol=1e-5)
    y = T(RNG.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda y: F.batch_norm(y, None, None, training=True, eps=1e-3), (y,), eps=1e-6, atol=1e-5)


def test_layer_norm_against_numpy_and_gradcheck():
    x = RNG.standard_normal((2, 3, 4, 5))
    ln = nn.LayerNorm((4, 5)).double()
    assert repr(ln) == "LayerNorm((4, 5), eps=1e-05, elementwise_affine=True, bias=True)"
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(N(ln(T(x))), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10, atol=1e-10)
    assert tuple(ln.weight.shape) == (4, 5)
    assert repr(nn.LayerNorm(10, elementwise_affine=False)) == "LayerNorm((10,), eps=1e-05, elementwise_affine=False, bias=False)"
    assert nn.LayerNorm(10, bias=False).bias is None
    xt = T(RNG.standard_normal((3, 4)), requires_grad=True)
    w = T(RNG.standard_normal(4), requires_grad=True)
    b = T(RNG.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (xt, w, b), eps=1e-6, atol=1e-5)
    with pytest.raises(RuntimeError, match=re.escape("Given normalized_shape=[4], expected input with shape [*, 4], "
                                                     "but got input of size[3, 5]")):
        F.layer_norm(plait.zeros(3, 5), (4,))


def test_group_norm_against_numpy_and_gradcheck():
    x = RNG.standard_normal((2, 6, 3, 2))
    gn = nn.GroupNorm(3, 6).double()
    assert repr(gn) == "GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)"
    g = x.reshape(2, 3, -1)
    expect = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    with plait.no_grad():
        gn.weight.copy_(T(np.arange(6.0)))
        gn.bias.copy_(T(np.ones(6)))
    np.testing.assert_allclose(N(gn(T(x))), expect * np.arange(6.0).reshape(1, 6, 1, 1) + 1, rtol=1e-10, atol=1e-10)
    xt = T(RNG.standard_normal((2, 4, 3)), requires_grad=True)
    w = T(RNG.standard_normal(4), requires_grad=True)
    b = T(RNG.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (xt, w, b), eps=1e-6, atol=1e-5)
    with pytest.raises(ValueError, match=re.escape("num_channels (6) must be divisible by num_groups (4)")):
        nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
        F.group_norm(plait.zeros(2, 5, 3), 2)


def test_functional_batch_and_group_norm_check_like_torch():
    x = plait.randn(4, 3, 5)
    cases = [  # torch 2.13's messages
        (lambda: F.batch_norm(x, None, None, training=False), "running_mean must be defined in evaluation mode"),
        (lambda: F.batch_norm(x, plait.zeros(4), plait.ones(4)), "running_mean should contain 3 elements not 4"),
        (lambda: F.batch_norm(x, plait.zeros(3), plait.ones(3), plait.ones(4), training=True),
         "weight should contain 3 elements not 4"),
        (lambda: F.group_norm(x, 3, plait.ones(4)),
         "Expected weight to be a vector of size equal to the number of channels in input, but got weight of "
         "shape [4] and input of shape [4, 3, 5]"),
    ]
    for call, message in cases:
        with pytest.raises(RuntimeError) as err:
            call()
        assert str(err.value) == message
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.group_norm(plait.randn(1, 3), 3)
    # an empty batch normalises to an empty result and leaves the running statistics alone
    running_mean = plait.zeros(3)
    assert F.batch_norm(plait.randn(0, 3, 5), running_mean, plait.ones(3), training=True).shape == (0, 3, 5)
    assert running_mean.tolist() == [0.0, 0.0, 0.0]
