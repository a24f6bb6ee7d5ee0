"""Lazy modules (torch.nn.modules.lazy): uninitialized parameters, first-forward initialisation, the class
change, state dicts and optimizers built before the first forward, with torch 2.13's texts."""
import copy

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy


def N(t):
    return t.detach().numpy()


def test_uninitialized_parameter_refuses_use_until_materialized():
    p = UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad and p.dtype == plait.float32
    assert is_lazy(p) and isinstance(p, nn.Parameter)
    assert p.size() == plait.Size([0])
    with pytest.raises(RuntimeError, match=r"Can't access the shape of an uninitialized parameter or buffer\. This "
                                           r"error usually happens in `load_state_dict`"):
        p.shape
    message = (r"Attempted to use an uninitialized parameter in <method 'numel' of 'plait.Tensor' objects>\. This "
               r"error happens when you are using a `LazyModule` or explicitly manipulating "
               r"`plait.nn.parameter.UninitializedParameter` objects\. When using LazyModules Call `forward` with a "
               r"dummy batch to initialize the parameters before calling plait functions")
    with pytest.raises(ValueError, match=message):
        p.numel()
    with pytest.raises(ValueError, match="in <method 'add' of 'plait.Tensor' objects>"):
        p + 1
    with pytest.raises(ValueError, match="in <method 'rmatmul' of 'plait.Tensor' objects>"):
        plait.ones(2, 0) @ p
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad and not is_lazy(p)
    assert (p * 0 + 1).sum().item() == 6


def test_uninitialized_buffer_becomes_a_plain_tensor():
    b = UninitializedBuffer(dtype=plait.float64)
    assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad and b.dtype == plait.float64
    b.materialize((4,))
    assert type(b) is plait.Tensor and tuple(b.shape) == (4,) and b.dtype == plait.float64


def test_lazy_linear_initializes_like_linear_and_becomes_one():
    m = nn.LazyLinear(3)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert m.has_uninitialized_params() and isinstance(m.weight, UninitializedParameter)
    state = m.state_dict()
    assert list(state) == ["weight", "bias"] and all(is_lazy(v) for v in state.values())
    plait.manual_seed(0)
    x = plait.randn(2, 5)
    plait.manual_seed(1)
    out = m(x)
    assert type(m) is nn.Linear and not hasattr(m, "_initialize_hook")
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    assert tuple(m.weight.shape) == (3, 5) and tuple(m.bias.shape) == (3,) and type(m.weight) is nn.Parameter
    plait.manual_seed(1)
    eager = nn.Linear(5, 3)
    np.testing.assert_array_equal(N(m.weight), N(eager.weight))
    np.testing.assert_array_equal(N(m.bias), N(eager.bias))
    np.testing.assert_allclose(N(out), N(eager(x)), atol=1e-6)
    m(x)  # no second initialisation
    np.testing.assert_array_equal(N(m.weight), N(eager.weight))


def test_lazy_linear_unbatched_and_without_bias():
    m = nn.LazyLinear(2, bias=False)
    assert m.bias is None
    assert tuple(m(plait.ones(4)).shape) == (2,)
    assert m.in_features == 4 and m.bias is None and type(m) is nn.Linear


def test_optimizer_built_before_the_first_forward_trains_the_materialized_parameters():
    # torch's parameters are materialised in place, so an optimizer holding them keeps working
    plait.manual_seed(0)
    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    opt = plait.optim.SGD(model.parameters(), lr=0.1)
    x, y = plait.randn(16, 3), plait.randn(16, 1)
    first = F.mse_loss(model(x), y)
    held = opt.param_groups[0]["params"]
    assert [p is q for p, q in zip(held, model.parameters())] == [True] * 4
    assert [tuple(p.shape) for p in held] == [(8, 3), (8,), (1, 8), (1,)]
    before = N(model[0].weight).copy()
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    assert not np.array_equal(before, N(model[0].weight))
    assert loss.item() < first.item()
    assert [type(layer).__name__ for layer in model] == ["Linear", "ReLU", "Linear"]


def test_adam_before_the_first_forward():
    model = nn.LazyLinear(2)
    opt = plait.optim.Adam(model.parameters(), lr=0.01)
    model(plait.ones(3, 4)).sum().backward()
    opt.step()
    assert tuple(opt.state[model.weight]["exp_avg"].shape) == (2, 4)


def test_load_state_dict_materializes_and_the_module_stays_lazy_until_it_runs():
    source = nn.Linear(4, 3)
    m = nn.LazyLinear(3)
    m.load_state_dict(source.state_dict())
    assert type(m) is nn.LazyLinear and m.in_features == 0 and not m.has_uninitialized_params()
    np.testing.assert_array_equal(N(m.weight), N(source.weight))
    out = m(plait.ones(2, 4))
    assert type(m) is nn.Linear and m.in_features == 4
    np.testing.assert_allclose(N(out), N(source(plait.ones(2, 4))), atol=1e-6)
    with pytest.raises(AssertionError, match="The in_features inferred from input: 5 is not equal to in_features "
                                             "from self.weight: 4"):
        other = nn.LazyLinear(3)
        other.load_state_dict(source.state_dict())
        other(plait.ones(2, 5))


def test_lazy_state_dict_into_lazy_module():
    m = nn.LazyLinear(3)
    assert str(m.load_state_dict(nn.LazyLinear(3).state_dict())) == "<All keys matched successfully>"
    assert is_lazy(m.weight)
    m(plait.ones(2, 4))
    assert type(m) is nn.Linear and tuple(m.weight.shape) == (3, 4)


def test_lazy_state_dict_into_initialized_module_fails_like_torch():
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        nn.Linear(4, 3).load_state_dict(nn.LazyLinear(3).state_dict())


def test_dtype_conversion_and_deepcopy_before_initialization():
    m = nn.LazyLinear(3).double()
    assert m.weight.dtype == plait.float64 and is_lazy(m.weight)
    m(plait.ones(2, 4, dtype=plait.float64))
    assert m.weight.dtype == plait.float64
    lazy = nn.LazyLinear(3)
    twin = copy.deepcopy(lazy)
    assert twin.weight is not lazy.weight and is_lazy(twin.weight)
    twin(plait.ones(1, 2))
    assert type(twin) is nn.Linear and type(lazy) is nn.LazyLinear


def test_initialize_parameters_by_hand():
    m = nn.LazyConv2d(4, 3)
    m.initialize_parameters(plait.ones(1, 2, 5, 5))
    assert tuple(m.weight.shape) == (4, 2, 3, 3) and not m.has_uninitialized_params()
    assert type(m) is nn.LazyConv2d  # the class changes in the forward pre-hook
    m(plait.ones(1, 2, 5, 5))
    assert type(m) is nn.Conv2d


@pytest.mark.parametrize("lazy, eager, x_shape, weight_shape", [
    (lambda: nn.LazyConv1d(4, 3, stride=2), lambda: nn.Conv1d(2, 4, 3, stride=2), (2, 2, 9), (4, 2, 3)),
    (lambda: nn.LazyConv2d(4, 3, groups=2, padding=1), lambda: nn.Conv2d(2, 4, 3, groups=2, padding=1), (2, 2, 5, 5),
     (4, 1, 3, 3)),
    (lambda: nn.LazyConv3d(4, 2, padding_mode="circular", padding=1),
     lambda: nn.Conv3d(2, 4, 2, padding_mode="circular", padding=1), (1, 2, 3, 3, 3), (4, 2, 2, 2, 2)),
    (lambda: nn.LazyConvTranspose1d(4, 3, stride=2), lambda: nn.ConvTranspose1d(2, 4, 3, stride=2), (2, 2, 5),
     (2, 4, 3)),
    (lambda: nn.LazyConvTranspose2d(4, 2, groups=2), lambda: nn.ConvTranspose2d(2, 4, 2, groups=2), (2, 2, 3, 3),
     (2, 2, 2, 2)),
    (lambda: nn.LazyConvTranspose3d(4, 2, bias=False), lambda: nn.ConvTranspose3d(2, 4, 2, bias=False),
     (1, 2, 2, 2, 2), (2, 4, 2, 2, 2)),
])
def test_lazy_convolutions_match_their_eager_layers(lazy, eager, x_shape, weight_shape):
    plait.manual_seed(0)
    x = plait.randn(*x_shape)
    m = lazy()
    plait.manual_seed(5)
    out = m(x)
    plait.manual_seed(5)
    ref = eager()
    assert type(m) is type(ref) and repr(m) == repr(ref)
    assert tuple(m.weight.shape) == weight_shape
    np.testing.assert_array_equal(N(m.weight), N(ref.weight))
    assert (m.bias is None) == (ref.bias is None)
    np.testing.assert_allclose(N(out), N(ref(x)), atol=1e-6)


def test_lazy_conv_reprs_errors_and_unbatched_input():
    assert repr(nn.LazyConv2d(3, 2)) == "LazyConv2d(0, 3, kernel_size=(2, 2), stride=(1, 1))"
    assert repr(nn.LazyConvTranspose3d(4, 2)) == "LazyConvTranspose3d(0, 4, kernel_size=(2, 2, 2), stride=(1, 1, 1))"
    assert repr(nn.LazyConv1d(4, 3, bias=False)) == "LazyConv1d(0, 4, kernel_size=(3,), stride=(1,), bias=False)"
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(plait.ones(3, 5, 5))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but got "
                                           r"input of size: plait.Size\(\[5, 5\]\)"):
        nn.LazyConv2d(4, 3)(plait.ones(5, 5))
    m = nn.LazyConv2d(4, 3)
    assert tuple(m(plait.ones(3, 5, 5)).shape) == (4, 3, 3) and m.in_channels == 3
    t = nn.LazyConvTranspose3d(4, 2, stride=2)
    assert tuple(t(plait.ones(1, 3, 2, 2, 2), output_size=[5, 5, 5]).shape) == (1, 4, 5, 5, 5)
    assert repr(t) == "ConvTranspose3d(3, 4, kernel_size=(2, 2, 2), stride=(2, 2, 2))"


def test_lazy_batch_norm():
    m = nn.LazyBatchNorm2d()
    assert repr(m) == "LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    state = m.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [is_lazy(v) for v in state.values()] == [True, True, True, True, False]
    plait.manual_seed(0)
    x = plait.randn(4, 3, 2, 2)
    out = m(x)
    ref = nn.BatchNorm2d(3)
    expected = ref(x)
    assert type(m) is nn.BatchNorm2d and repr(m) == repr(ref)
    np.testing.assert_allclose(N(out), N(expected), atol=1e-6)
    np.testing.assert_allclose(N(m.running_mean), N(ref.running_mean), atol=1e-7)
    np.testing.assert_allclose(N(m.running_var), N(ref.running_var), atol=1e-7)
    assert m.num_batches_tracked.item() == 1
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.LazyBatchNorm1d()(plait.ones(2, 3, 4, 4))
    plain = nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    plain(plait.randn(5, 3))
    assert type(plain) is nn.BatchNorm1d and plain.weight is None and plain.running_mean is None
    assert plain.num_features == 0  # nothing was lazy, so nothing read the input (as in torch)


def test_lazy_module_mixin_contract():
    class Scale(nn.modules.lazy.LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.factor = UninitializedParameter()

        def initialize_parameters(self, x):
            self.factor.materialize(x.shape[-1:])
            with plait.no_grad():
                self.factor.fill_(2.0)

        def forward(self, x):
            return x * self.factor

    m = Scale()
    assert m.has_uninitialized_params()
    np.testing.assert_array_equal(N(m(plait.ones(2, 3))), np.full((2, 3), 2.0))
    assert type(m) is Scale and not m.has_uninitialized_params()  # no cls_to_become: the class stays

    class Forgetful(nn.modules.lazy.LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.w = UninitializedParameter()

        def initialize_parameters(self, x):
            pass

    with pytest.raises(RuntimeError, match="module Forgetful has not been fully initialized"):
        Forgetful()(plait.ones(1))
