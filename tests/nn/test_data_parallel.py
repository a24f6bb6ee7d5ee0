"""nn.DataParallel and nn.parallel.data_parallel: without an accelerator (torch's behaviour: the module runs
as it is), and over a fake two-device accelerator registered in-process (split, replicate, apply, gather;
gradients reach the original parameters)."""
import collections

import numpy as np
import pytest

import plait
import plait.nn as nn
from plait.nn.parallel import DataParallel, data_parallel
from plait_strict_backend import fake_accelerator

has_accelerator = plait.accelerator.is_available()
no_accelerator = pytest.mark.skipif(has_accelerator, reason="an accelerator is usable here")


def _linear():
    plait.manual_seed(0)
    return nn.Linear(3, 2).double()


def _batch(n=5):
    return plait.tensor(np.random.default_rng(1).standard_normal((n, 3)), dtype=plait.float64)


@pytest.fixture
def accel():
    with fake_accelerator.registered() as backend:
        yield backend


def test_data_parallel_is_registered_in_nn():
    assert nn.DataParallel is DataParallel is nn.parallel.DataParallel
    assert nn.parallel.data_parallel is data_parallel
    assert "DataParallel" in nn.__all__


def test_repr_and_state_dict_keys():
    m = _linear()
    dp = nn.DataParallel(m)
    assert repr(dp) == "DataParallel(\n  (module): Linear(in_features=3, out_features=2, bias=True)\n)"
    assert dp.module is m and list(dp.state_dict()) == ["module.weight", "module.bias"]
    # a checkpoint saved from a DataParallel-wrapped model loads into another wrapper...
    other = nn.DataParallel(nn.Linear(3, 2).double())
    other.load_state_dict(dp.state_dict())
    assert plait.equal(other.module.weight, m.weight) and plait.equal(other.module.bias, m.bias)
    # ...and its .module loads a plain one
    plain = nn.Linear(3, 2).double()
    plain.load_state_dict({k[len("module."):]: v for k, v in dp.state_dict().items()})
    assert plait.equal(plain.weight, m.weight)


@no_accelerator
def test_without_an_accelerator_the_module_runs_as_it_is():
    m = _linear()
    x = _batch()
    for dp in (nn.DataParallel(m), nn.DataParallel(m, device_ids=[1], output_device=3, dim=1)):
        assert dp.device_ids == [] and not hasattr(dp, "output_device")  # torch ignores the ids then
        assert plait.equal(dp(x), m(x)) and plait.equal(dp(input=x), m(x))
    with pytest.raises(RuntimeError, match="^device type could not be determined$"):
        data_parallel(m, x)


def test_one_device_moves_the_module_and_the_inputs(accel):
    m = _linear()
    expected = m(_batch())
    dp = nn.DataParallel(m, device_ids=[0])
    assert dp.device_ids == [0] and dp.output_device == 0 and dp.src_device_obj == plait.device("plaitaccel:0")
    assert m.weight.device == plait.device("plaitaccel:0")
    out = dp(_batch())  # a CPU batch is copied to device 0
    assert out.device == plait.device("plaitaccel:0")
    assert np.allclose(out.detach().cpu().tolist(), expected.tolist(), atol=1e-12)


def test_two_devices_split_the_batch_and_gradients_reach_the_parameters(accel):
    m = _linear()
    x = _batch(5).requires_grad_()
    ref = m(x)
    ref.pow(2).sum().backward()
    grad_w, grad_b, grad_x = m.weight.grad.clone(), m.bias.grad.clone(), x.grad.clone()
    m.zero_grad()
    x.grad = None
    m.to("plaitaccel:0")
    dp = nn.DataParallel(m)
    assert dp.device_ids == [0, 1] and dp.output_device == 0
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append((args[0].shape[0], out.device)))
    out = dp(x)
    # torch's chunk split: 3 rows on device 0 (the module itself), 2 on device 1 (a replica, which shares
    # the original's hooks, as torch's replicas do)
    assert seen == [(3, plait.device("plaitaccel:0")), (2, plait.device("plaitaccel:1"))]
    assert out.device == plait.device("plaitaccel:0") and out.shape == (5, 2)
    assert np.allclose(out.detach().cpu().tolist(), ref.tolist(), atol=1e-12)
    out.pow(2).sum().backward()
    assert m.weight.grad.device == plait.device("plaitaccel:0")
    assert np.allclose(m.weight.grad.cpu().tolist(), grad_w.tolist(), atol=1e-12)
    assert np.allclose(m.bias.grad.cpu().tolist(), grad_b.tolist(), atol=1e-12)
    assert x.grad.device == x.device and np.allclose(x.grad.tolist(), grad_x.tolist(), atol=1e-12)


def test_output_device_dim_kwargs_and_structured_outputs(accel):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2).double()

        def forward(self, x, *, scale):
            y = self.lin(x.transpose(0, 1)).transpose(0, 1) * scale
            return {"y": y, "pair": (y.sum(0, keepdim=True), None)}

    plait.manual_seed(0)
    m = TwoHeads().to("plaitaccel:0")
    x = _batch(4).transpose(0, 1).contiguous()  # (3, 4): the batch is dim 1
    ref = m(x.to("plaitaccel:0"), scale=2.0)
    dp = nn.DataParallel(m, output_device=1, dim=1)
    out = dp(x, scale=2.0)
    assert set(out) == {"y", "pair"} and out["pair"][1] is None
    assert out["y"].device == plait.device("plaitaccel:1") and out["y"].shape == (2, 4)
    assert np.allclose(out["y"].cpu().tolist(), ref["y"].cpu().tolist(), atol=1e-12)
    assert np.allclose(out["pair"][0].cpu().tolist(), ref["pair"][0].cpu().tolist(), atol=1e-12)
    to_cpu = nn.DataParallel(m, output_device=-1, dim=1)
    assert to_cpu(x, scale=2.0)["y"].device == plait.device("cpu")


def test_scalar_outputs_are_stacked_with_torch_warning(accel):
    m = _linear().to("plaitaccel:0")

    class Loss(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = m

        def forward(self, x):
            return self.inner(x).sum()

    with pytest.warns(UserWarning, match="Was asked to gather along dimension 0, but all input tensors were "
                                         "scalars; will instead unsqueeze and return a vector."):
        out = nn.DataParallel(Loss())(_batch(4))
    assert out.shape == (2,) and out.device == plait.device("plaitaccel:0")


def test_a_batch_smaller_than_the_device_count_uses_fewer_devices(accel):
    m = _linear().to("plaitaccel:0")
    out = nn.DataParallel(m)(_batch(1))
    assert out.shape == (1, 2) and out.device == plait.device("plaitaccel:0")


def test_functional_data_parallel(accel):
    m = _linear()
    ref = m(_batch(4))
    m.to("plaitaccel:0")
    out = data_parallel(m, _batch(4))
    assert out.device == plait.device("plaitaccel:0") and np.allclose(out.cpu().tolist(), ref.tolist(), atol=1e-12)
    kw = data_parallel(m, (), device_ids=[0, 1], output_device=1, module_kwargs={"input": _batch(4)})
    assert kw.device == plait.device("plaitaccel:1") and np.allclose(kw.cpu().tolist(), ref.tolist(), atol=1e-12)
    one = data_parallel(m, _batch(4), device_ids=["plaitaccel:0"])
    assert np.allclose(one.cpu().tolist(), ref.tolist(), atol=1e-12)


def test_torch_errors_for_bad_device_ids_and_misplaced_parameters(accel):
    m = _linear()
    with pytest.raises(AssertionError, match="^Invalid device id$"):
        nn.DataParallel(m, device_ids=[0, 2])
    with pytest.raises(AssertionError, match="^Invalid device id$"):
        data_parallel(m.to("plaitaccel:0"), _batch(), device_ids=[3])
    with pytest.raises(ValueError, match="^Expected a non cpu device, but got: cpu$"):
        nn.DataParallel(m, device_ids=["cpu"])
    with pytest.raises(ValueError, match="^cuda doesn't match the current accelerator plaitaccel.$"):
        nn.DataParallel(m, device_ids=["cuda:0"])
    dp = nn.DataParallel(_linear(), device_ids=[0, 1])  # left on the CPU
    with pytest.raises(RuntimeError, match=r"^module must have its parameters and buffers on device plaitaccel:0 "
                                           r"\(device_ids\[0\]\) but found one of them on device: cpu$"):
        dp(_batch())
    with pytest.raises(RuntimeError, match="found one of them on device: cpu"):
        data_parallel(_linear(), _batch())


def test_replicas_keep_buffers_of_device_zero_only(accel):
    # torch: in-place buffer updates in the replicas on other devices are lost; device 0 is the module
    bn = nn.BatchNorm1d(3).double().to("plaitaccel:0")
    x = _batch(6)
    nn.DataParallel(bn)(x)
    ref = nn.BatchNorm1d(3).double()
    ref(x[:3])
    assert np.allclose(bn.running_mean.cpu().tolist(), ref.running_mean.tolist(), atol=1e-12)
    assert bn.num_batches_tracked.item() == 1


def test_replicate_scatter_gather_building_blocks(accel):
    devs = [plait.device("plaitaccel:0"), plait.device("plaitaccel:1")]
    Pair = collections.namedtuple("Pair", "a b")
    parts = nn.parallel.scatter((plait.arange(4.0), [plait.ones(2, 2)], {"k": plait.zeros(2)}, Pair(1, "s")), devs)
    assert len(parts) == 2 and parts[1][0].tolist() == [2.0, 3.0] and parts[1][0].device == devs[1]
    assert parts[0][1][0].shape == (1, 2) and parts[1][2]["k"].device == devs[1] and parts[0][3] == Pair(1, "s")
    joined = nn.parallel.gather([plait.ones(1, device=devs[0]), plait.zeros(2, device=devs[1])], devs[1])
    assert joined.tolist() == [1.0, 0.0, 0.0] and joined.device == devs[1]
    inputs, kwargs = nn.parallel.scatter_kwargs((plait.ones(4),), {}, devs)
    assert len(inputs) == 2 and kwargs == ({}, {})
    m = _linear().to(devs[0])
    replicas = nn.parallel.replicate(m, devs)
    assert replicas[0] is m and replicas[1].weight.device == devs[1] and replicas[1].weight.grad_fn is not None
    assert [n for n, _ in replicas[1].named_parameters()] == ["weight", "bias"]
    outs = nn.parallel.parallel_apply(replicas, [(plait.ones(1, 3, dtype=plait.float64, device=d),) for d in devs])
    assert [o.device for o in outs] == devs and np.allclose(outs[0].cpu().tolist(), outs[1].cpu().tolist())


def test_a_subclass_can_override_the_steps(accel):
    class Averaging(nn.DataParallel):
        def gather(self, outputs, output_device):
            return super().gather([o.mean(0, keepdim=True) for o in outputs], output_device)

    m = _linear().to("plaitaccel:0")
    out = Averaging(m)(_batch(4))
    assert out.shape == (2, 2) and out.device == plait.device("plaitaccel:0")
    ref = m(_batch(4).to("plaitaccel:0"))
    assert np.allclose(out.cpu().tolist(), [ref[:2].mean(0).cpu().tolist(), ref[2:].mean(0).cpu().tolist()],
                       atol=1e-12)
