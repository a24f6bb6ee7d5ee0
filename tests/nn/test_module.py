"""nn.Module: registration, traversal, modes, dtype/device moves, state_dict round trips and their torch
error messages, hooks, repr and Parameter semantics."""
import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = nn.Parameter(plait.ones(2))
        self.register_buffer("steps", plait.zeros(1, dtype=plait.int64))
        self.register_buffer("cache", plait.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc(x) * self.scale


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Small()
        self.head = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        return self.head(self.body(x))


# --------------------------------------------------------------------------- Parameter
def test_parameter_is_tensor_leaf_sharing_storage():
    t = plait.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert isinstance(p, plait.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    with plait.no_grad():
        t.add_(1.0)
    np.testing.assert_allclose(p.detach().numpy(), [2.0, 3.0])
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_ops_return_plain_tensors():
    p = nn.Parameter(plait.tensor([1.0, 2.0]))
    for out in (p * 2, p + p, p.sum(), p.detach(), p[0]):
        assert type(out) is plait.Tensor
    assert (p * 2).grad_fn is not None


def test_parameter_repr():
    p = nn.Parameter(plait.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_parameter_deepcopy_and_pickle():
    p = nn.Parameter(plait.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert isinstance(q, nn.Parameter) and q.requires_grad
        np.testing.assert_allclose(q.detach().numpy(), [1.0, 2.0])
    q = copy.deepcopy(p)
    with plait.no_grad():
        q.add_(1.0)
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 2.0])


def test_parameter_rejects_non_tensor():
    with pytest.raises(TypeError, match="plait.Tensor"):
        nn.Parameter([1.0, 2.0])


# --------------------------------------------------------------------------- registration and traversal
def test_named_parameters_buffers_children_modules():
    m = Outer()
    assert [n for n, _ in m.named_parameters()] == ["body.scale", "body.fc.weight", "body.fc.bias", "head.weight"]
    assert len(list(m.parameters())) == 4
    assert [n for n, _ in m.named_parameters(recurse=False)] == []
    assert [n for n, _ in m.named_parameters(prefix="model")][0] == "model.body.scale"
    assert [n for n, _ in m.named_buffers()] == ["body.steps", "body.cache"]
    assert [n for n, _ in m.named_children()] == ["body", "head"]
    assert [n for n, _ in m.named_modules()] == ["", "body", "body.fc", "head"]
    assert list(m.children()) == [m.body, m.head]
    assert len(list(m.modules())) == 4


def test_shared_parameter_listed_once_unless_asked():
    m = nn.Module()
    m.a = nn.Linear(2, 2)
    m.b = nn.Linear(2, 2)
    m.b.weight = m.a.weight
    assert len(list(m.parameters())) == 3
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert len(list(seq.modules())) == 2
    assert len(list(seq.named_modules(remove_duplicate=False))) == 3


def test_setattr_routes_and_replaces():
    m = Small()
    assert "fc" in m._modules and "scale" in m._parameters and "steps" in m._buffers
    assert "fc" not in m.__dict__
    m.scale = None
    assert m.scale is None and m._parameters["scale"] is None
    assert [n for n, _ in m.named_parameters()] == ["fc.weight", "fc.bias"]
    m.steps = plait.ones(1, dtype=plait.int64)
    assert m._buffers["steps"].item() == 1
    m.plain = 3
    assert m.plain == 3 and "plain" in m.__dict__
    # a Parameter replaces a plain attribute of the same name
    m.plain = nn.Parameter(plait.zeros(1))
    assert "plain" in m._parameters and "plain" not in m.__dict__


def test_setattr_errors_match_torch():
    m = Small()
    with pytest.raises(TypeError, match=r"cannot assign 'plait.FloatTensor' as parameter 'scale' "
                                        r"\(plait.nn.Parameter or None expected\)"):
        m.scale = plait.ones(2)
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'fc'"):
        m.fc = 3

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(plait.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()
    with pytest.raises(KeyError, match="attribute 'fc' already exists"):
        m.register_buffer("fc", plait.zeros(1))
    with pytest.raises(KeyError, match='contain "."'):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="cannot assign 'list' object to buffer 'x'"):
        m.register_buffer("x", [1])
    with pytest.raises(AttributeError, match="'Small' object has no attribute 'nothing'"):
        m.nothing


def test_buffer_marker_and_persistence():
    m = nn.Module()
    m.running = nn.Buffer(plait.zeros(3))
    m.tmp = nn.Buffer(plait.ones(2), persistent=False)
    assert type(m.running) is plait.Tensor
    assert set(m._buffers) == {"running", "tmp"}
    assert list(m.state_dict()) == ["running"]
    # re-assigning a plain tensor to a buffer name keeps it a buffer, and keeps its persistence
    m.tmp = plait.zeros(2)
    assert "tmp" in m._buffers and "tmp" not in m.state_dict()


def test_delattr_removes_from_every_registry():
    m = Small()
    del m.fc, m.scale, m.steps, m.cache
    assert not m._modules and not m._parameters and not m._buffers
    m.x = 1
    del m.x
    assert not hasattr(m, "x")


def test_dir_and_get_submodule_parameter_buffer():
    m = Outer()
    d = dir(m)
    assert "body" in d and "head" in d and "forward" in d
    assert "scale" in dir(m.body) and "steps" in dir(m.body)
    assert m.get_submodule("body.fc") is m.body.fc
    assert m.get_submodule("") is m
    assert m.get_parameter("body.fc.weight") is m.body.fc.weight
    assert m.get_buffer("body.steps") is m.body.steps
    with pytest.raises(AttributeError, match="Small has no attribute `nope`"):
        m.get_submodule("body.nope")
    with pytest.raises(AttributeError, match="`scale` is not an nn.Module"):
        m.get_submodule("body.scale")
    with pytest.raises(AttributeError, match="`steps` is not an nn.Parameter"):
        m.get_parameter("body.steps")


def test_missing_forward_raises_like_torch():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(plait.ones(1))


def test_unexpected_init_kwargs():
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        nn.Module(foo=1)


# --------------------------------------------------------------------------- modes and grads
def test_train_eval_propagate():
    m = Outer()
    assert m.training and m.body.fc.training
    assert m.eval() is m
    assert not m.training and not m.body.training and not m.body.fc.training
    m.train()
    assert m.head.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_zero_grad_and_requires_grad():
    m = Small()
    m(plait.ones(4, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    for p in m.parameters():
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_apply_visits_children_first():
    seen = []
    Outer().apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Small", "Linear", "Outer"]


# --------------------------------------------------------------------------- dtype and device
def test_to_dtype_keeps_parameter_objects_and_int_buffers():
    m = Small()
    w = m.fc.weight
    m(plait.ones(1, 3)).sum().backward()
    assert m.double() is m
    assert m.fc.weight is w and isinstance(w, nn.Parameter)
    assert w.dtype == plait.float64 and w.grad.dtype == plait.float64
    assert m.steps.dtype == plait.int64 and m.cache.dtype == plait.float64
    m.to(plait.float32)
    assert w.dtype == plait.float32
    m.to(plait.zeros(1, dtype=plait.float64))
    assert w.dtype == plait.float64
    m.to("cpu", plait.float32)
    assert w.dtype == plait.float32 and w.device == plait.device("cpu")
    m.to(device="cpu", dtype=plait.float64).float()
    assert w.dtype == plait.float32 and m.cpu() is m
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        m.to(plait.int64)


def _backend_has_float16():
    # the Array API standard has no float16, so a strictly standard backend may lack it
    try:
        plait.zeros(1, dtype=plait.float16)
    except Exception:
        return False
    return True


def test_type_converts_parameters():
    m = nn.Linear(2, 2)
    m.type(plait.float64)
    assert m.weight.dtype == plait.float64 and isinstance(m.weight, nn.Parameter)


@pytest.mark.skipif(not _backend_has_float16(), reason="the selected backend has no float16")
def test_half():
    m = nn.Linear(2, 2).half()
    assert m.weight.dtype == plait.float16 and m.bias.dtype == plait.float16


# --------------------------------------------------------------------------- state_dict
def test_state_dict_keys_detached_and_keep_vars():
    m = Outer()
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["body.scale", "body.steps", "body.fc.weight", "body.fc.bias", "head.weight"]
    assert all(not v.requires_grad and type(v) is plait.Tensor for v in sd.values())
    assert sd["body.fc.weight"].shape == (2, 3)
    kv = m.state_dict(keep_vars=True)
    assert kv["head.weight"] is m.head.weight
    assert list(m.state_dict(prefix="net.")) [0] == "net.body.scale"


def test_load_state_dict_round_trip_in_place():
    a, b = Outer(), Outer()
    w = b.body.fc.weight
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.body.fc.weight is w and w.requires_grad
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=k)
    # the loaded copy is independent of the source
    with plait.no_grad():
        a.head.weight.add_(1.0)
    assert not np.allclose(a.head.weight.detach().numpy(), b.head.weight.detach().numpy())


def test_load_state_dict_missing_unexpected_message():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

    net = Net()
    sd = net.state_dict()
    del sd["fc.bias"]
    sd["fc.extra"] = plait.zeros(1)
    sd["other.weight"] = plait.zeros(1)
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc.bias". \n\t'
                            'Unexpected key(s) in state_dict: "other.weight", "fc.extra". ')
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc.bias"] and res.unexpected_keys == ["other.weight", "fc.extra"]
    assert "missing_keys=['fc.bias']" in repr(res)


def test_load_state_dict_size_mismatch_message():
    class Net(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = nn.Linear(3, n)

    with pytest.raises(RuntimeError) as e:
        Net(2).load_state_dict(Net(4).state_dict())
    size = type(plait.zeros(1).shape)
    assert str(e.value) == (
        "Error(s) in loading state_dict for Net:\n\t"
        f"size mismatch for fc.weight: copying a param with shape {size([4, 3])} from checkpoint, the shape in "
        f"current model is {size([2, 3])}.\n\t"
        f"size mismatch for fc.bias: copying a param with shape {size([4])} from checkpoint, the shape in current "
        f"model is {size([2])}.")
    # size mismatches are errors even when strict=False, as in torch
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight"):
        Net(2).load_state_dict(Net(4).state_dict(), strict=False)


def test_load_state_dict_assign_and_type_errors():
    m = nn.Linear(2, 2)
    w = plait.ones(2, 2)
    m.load_state_dict({"weight": w, "bias": plait.zeros(2)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((2, 2)))
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias", expected plait.Tensor'):
        m.load_state_dict({"weight": w, "bias": [0.0, 0.0]})


def test_non_persistent_buffer_not_required_on_load():
    m = Small()
    sd = m.state_dict()
    assert "cache" not in sd and "steps" in sd
    assert Small().load_state_dict(sd).missing_keys == []


def test_state_dict_survives_pickle_and_deepcopy():
    m = Outer()
    sd = pickle.loads(pickle.dumps(m.state_dict()))
    Outer().load_state_dict(sd)
    m2 = copy.deepcopy(m)
    assert m2.body.fc.weight is not m.body.fc.weight
    np.testing.assert_array_equal(m2.body.fc.weight.detach().numpy(), m.body.fc.weight.detach().numpy())
    assert isinstance(m2.body.fc.weight, nn.Parameter)


# --------------------------------------------------------------------------- hooks
def test_forward_pre_hook_and_forward_hook():
    m = nn.Linear(2, 2)
    calls = []

    def pre(mod, args):
        calls.append("pre")
        return (args[0] * 0,)

    def post(mod, args, out):
        calls.append("post")
        return out + 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    out = m(plait.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 1, rtol=1e-6)
    assert calls == ["pre", "post"]
    h1.remove()
    h2.remove()
    out = m(plait.ones(1, 2))
    expected = np.ones((1, 2)) @ m.weight.detach().numpy().T + m.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    assert calls == ["pre", "post"]


def test_hooks_with_kwargs_prepend_and_context_manager():
    class KW(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m = KW()
    order = []
    m.register_forward_pre_hook(lambda mod, a, kw: (a, {"scale": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, out: order.append(("kw", kw["scale"])), with_kwargs=True)
    with m.register_forward_hook(lambda mod, a, out: order.append("first"), prepend=True):
        out = m(plait.ones(1), scale=2.0)
    assert out.item() == 3.0
    assert order == ["first", ("kw", 3.0)]
    m(plait.ones(1))
    assert order[-1] == ("kw", 3.0) and order.count("first") == 1


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, a, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(plait.ones(1))
    assert seen == [None]


def test_full_backward_hook_sees_and_replaces_grads():
    m = nn.Linear(3, 2).double()
    seen = {}

    def hook(mod, grad_input, grad_output):
        seen["gi"] = grad_input
        seen["go"] = grad_output
        return (grad_input[0] * 2,)

    h = m.register_full_backward_hook(hook)
    x = plait.ones(4, 3, dtype=plait.float64, requires_grad=True)
    m(x).sum().backward()
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(seen["go"][0].numpy(), np.ones((4, 2)))
    np.testing.assert_allclose(seen["gi"][0].numpy(), np.ones((4, 2)) @ w)
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((4, 2)) @ w)
    np.testing.assert_allclose(m.bias.grad.numpy(), [4.0, 4.0])
    h.remove()
    x.grad = None
    m(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones((4, 2)) @ w)


def test_full_backward_hook_without_input_grad_and_pre_hook():
    m = nn.Linear(3, 2)
    seen = []
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0,))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    m(plait.ones(2, 3)).sum().backward()
    (gi, go), = seen
    assert gi == (None,)
    np.testing.assert_array_equal(go[0].numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.zeros((2, 3)))


# --------------------------------------------------------------------------- repr
def test_repr_nested_and_extra_repr():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)
            self.act = nn.ReLU()

        def extra_repr(self):
            return "depth=1"

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.seq = nn.Sequential(nn.Linear(4, 2), nn.Sigmoid())
            self.empty = None

    assert repr(Model()) == (
        "Model(\n"
        "  (block): Block(\n"
        "    depth=1\n"
        "    (lin): Linear(in_features=4, out_features=4, bias=True)\n"
        "    (act): ReLU()\n"
        "  )\n"
        "  (seq): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=2, bias=True)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")")
    assert repr(nn.Module()) == "Module()"


def test_module_only_parameters_repr_and_seed_net():
    # core-concepts notes: a Net holding bare Parameters
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(plait.randn(2, 1))
            self.b = nn.Parameter(plait.zeros(1, 1))

        def forward(self, x):
            return x @ self.w + self.b

    net = Net()
    assert repr(net) == "Net()"
    assert [n for n, _ in net.named_parameters()] == ["w", "b"]
    assert net(plait.rand(10, 2)).shape == (10, 1)


def test_functional_with_module_parameters_backprop():
    m = Small()
    x = plait.randn(5, 3)
    loss = F.mse_loss(m(x), plait.zeros(5, 2))
    loss.backward()
    assert m.fc.weight.grad.shape == (2, 3)


def test_no_warnings_on_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Outer()(plait.ones(2, 3)).sum().backward()


def test_state_dict_and_load_hooks_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)
            self.note = "a"

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    m = WithExtra()
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(("post", sorted(sd))))
    sd = m.state_dict()
    assert sd["_extra_state"] == {"note": "a"}
    assert calls == [("pre", ""), ("post", ["_extra_state", "fc.bias", "fc.weight"])]

    other = WithExtra()
    other.note = "b"
    seen = []
    other.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *rest: seen.append(("pre", mod is other)))
    other.register_load_state_dict_post_hook(lambda mod, keys: seen.append(("post", list(keys.missing_keys))))
    other.load_state_dict(sd)
    assert other.note == "a" and seen == [("pre", True), ("post", [])]
    del sd["_extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        other.load_state_dict(sd)
