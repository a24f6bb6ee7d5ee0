"""Optimizer.state_dict / load_state_dict: torch's layout, bit-for-bit resumption, casting, validation."""
import numpy as np
import pytest

import plait
import plait.optim as optim
from optim_helpers import param, set_grad, to_np

THETA_W = [[0.5, -1.5, 2.0], [-0.25, 1.0, 3.0]]
THETA_B = [0.1, -0.2]


def grad_fn(theta):
    return theta ** 3 - theta + 0.5


# one configuration per optimizer that exercises all of its state entries
CONFIGS = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.05, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.Adadelta, dict()),
    (optim.Adamax, dict()),
    (optim.NAdam, dict()),
    (optim.RAdam, dict()),
    (optim.ASGD, dict(t0=2)),
    (optim.Rprop, dict(lr=0.1)),
]
IDS = [cls.__name__ for cls, _ in CONFIGS]


def make(cls, kwargs, dtype=plait.float64):
    w, b = param(THETA_W, dtype), param(THETA_B, dtype)
    return cls([{"params": [w]}, {"params": [b], "lr": kwargs.get("lr", 0.01) / 2}], **kwargs), w, b


def train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            set_grad(p, grad_fn)
        opt.step()


def train_lbfgs(opt, params, steps):
    def closure():
        opt.zero_grad()
        loss = 0.0
        for p in params:
            set_grad(p, grad_fn)
            theta = to_np(p)
            loss += float(np.sum(theta ** 4 / 4 - theta ** 2 / 2 + 0.5 * theta))
        return plait.tensor(loss, dtype=plait.float64)

    for _ in range(steps):
        opt.step(closure)


def assert_same_params(a, b):
    for p, q in zip(a, b):
        assert to_np(p).tolist() == to_np(q).tolist()  # exactly equal, not just close


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=IDS)
def test_state_dict_layout(cls, kwargs):
    opt, w, b = make(cls, kwargs)
    train(opt, [w, b], 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == opt.param_groups[1]["lr"]
    assert set(sd["state"]) == {0, 1}
    assert set(sd["state"][0]) == set(opt.state[w])
    for key, value in sd["state"][0].items():
        assert value is opt.state[w][key]  # like torch: the live state, not copies


def test_state_names_like_torch():
    expected = {
        optim.SGD: {"momentum_buffer"},
        optim.Adam: {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
        optim.AdamW: {"step", "exp_avg", "exp_avg_sq"},
        optim.RMSprop: {"step", "square_avg", "momentum_buffer", "grad_avg"},
        optim.Adagrad: {"step", "sum"},
        optim.Adadelta: {"step", "square_avg", "acc_delta"},
        optim.Adamax: {"step", "exp_avg", "exp_inf"},
        optim.NAdam: {"step", "mu_product", "exp_avg", "exp_avg_sq"},
        optim.RAdam: {"step", "exp_avg", "exp_avg_sq"},
        optim.ASGD: {"step", "eta", "mu", "ax"},
        optim.Rprop: {"step", "prev", "step_size"},
    }
    for cls, kwargs in CONFIGS:
        opt, w, b = make(cls, kwargs)
        train(opt, [w, b], 1)
        assert set(opt.state[w]) == expected[cls], cls.__name__
        if "step" in opt.state[w]:
            assert float(opt.state[w]["step"]) == 1.0


def test_sgd_without_momentum_keeps_no_state():
    opt, w, b = make(optim.SGD, dict(lr=0.1))
    train(opt, [w, b], 2)
    assert opt.state_dict()["state"] == {}


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=IDS)
def test_resume_in_memory_is_bit_for_bit(cls, kwargs):
    opt, w, b = make(cls, kwargs)
    train(opt, [w, b], 3)
    saved_params = [p.detach().clone() for p in (w, b)]

    opt2, w2, b2 = make(cls, kwargs)
    with plait.no_grad():
        w2.copy_(saved_params[0])
        b2.copy_(saved_params[1])
    opt2.load_state_dict(opt.state_dict())

    train(opt, [w, b], 3)
    train(opt2, [w2, b2], 3)
    assert_same_params([w, b], [w2, b2])
    # loading copied the state: the two optimizers never shared a tensor
    for key, value in opt.state[w].items():
        if isinstance(value, plait.Tensor):
            assert value is not opt2.state[w2][key]


def _require_save():
    if not (hasattr(plait, "save") and hasattr(plait, "load")):
        pytest.skip("plait.save / plait.load are not available in this build of the core")


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=IDS)
def test_resume_through_save_and_load_is_bit_for_bit(cls, kwargs, tmp_path):
    _require_save()
    opt, w, b = make(cls, kwargs)
    train(opt, [w, b], 3)
    path = tmp_path / "checkpoint.pt"
    plait.save({"w": w.detach(), "b": b.detach(), "optimizer": opt.state_dict()}, path)
    train(opt, [w, b], 3)

    checkpoint = plait.load(path)
    opt2, w2, b2 = make(cls, kwargs)
    with plait.no_grad():
        w2.copy_(checkpoint["w"])
        b2.copy_(checkpoint["b"])
    opt2.load_state_dict(checkpoint["optimizer"])
    train(opt2, [w2, b2], 3)
    assert_same_params([w, b], [w2, b2])


def test_lbfgs_resume_in_memory_is_bit_for_bit():
    p = param([1.5, -0.5, 2.0])
    opt = optim.LBFGS([p], max_iter=3, history_size=4)
    train_lbfgs(opt, [p], 2)
    p2 = param(to_np(p).tolist())
    opt2 = optim.LBFGS([p2], max_iter=3, history_size=4)
    opt2.load_state_dict(opt.state_dict())
    train_lbfgs(opt, [p], 2)
    train_lbfgs(opt2, [p2], 2)
    assert_same_params([p], [p2])


def test_load_casts_state_to_parameter_dtype():
    opt32, w32, b32 = make(optim.Adam, dict(lr=0.05), dtype=plait.float32)
    train(opt32, [w32, b32], 2)
    opt64, w64, b64 = make(optim.Adam, dict(lr=0.05))
    opt64.load_state_dict(opt32.state_dict())
    state = opt64.state[w64]
    assert state["exp_avg"].dtype == plait.float64
    assert state["exp_avg"].device == w64.device
    assert state["step"].dtype == opt32.state[w32]["step"].dtype  # step counters keep their dtype
    np.testing.assert_allclose(to_np(state["exp_avg_sq"]), to_np(opt32.state[w32]["exp_avg_sq"]))


def test_load_restores_hyper_parameters():
    opt, w, b = make(optim.SGD, dict(lr=0.1, momentum=0.9))
    train(opt, [w, b], 1)
    sd = opt.state_dict()
    opt2, w2, b2 = make(optim.SGD, dict(lr=0.7, momentum=0.1))
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["momentum"] == 0.9
    assert opt2.param_groups[0]["params"] == [w2] and opt2.param_groups[1]["params"] == [b2]


def test_load_rejects_group_of_other_size_and_keeps_state():
    opt, w, b = make(optim.Adam, dict(lr=0.05))
    train(opt, [w, b], 1)
    other = optim.Adam([{"params": [param(THETA_W), param(THETA_W)]}, {"params": [param(THETA_B)]}], lr=0.3)
    set_grad(other.param_groups[0]["params"][0], grad_fn)
    other.step()
    before = other.state_dict()
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match "
                                         "the size of optimizer's group"):
        other.load_state_dict(opt.state_dict())
    after = other.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert list(after["state"]) == [0]
    assert other.param_groups[0]["lr"] == 0.3


def test_load_rejects_other_number_of_groups():
    opt, w, b = make(optim.SGD, dict(lr=0.1))
    single = optim.SGD([param(THETA_W)], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        single.load_state_dict(opt.state_dict())


def test_load_rejects_state_of_other_shapes_and_keeps_state():
    opt, w, b = make(optim.Adam, dict(lr=0.05))
    train(opt, [w, b], 1)
    # same group sizes, but the first parameter has another shape
    w2, b2 = param([[1.0, 2.0], [3.0, 4.0]]), param(THETA_B)
    opt2 = optim.Adam([{"params": [w2]}, {"params": [b2]}], lr=0.05)
    with pytest.raises(ValueError, match=r"'exp_avg' of shape \(2, 3\) for parameter 0.*shape \(2, 2\)"):
        opt2.load_state_dict(opt.state_dict())
    assert len(opt2.state) == 0


def test_loaded_dict_is_left_unchanged():
    opt, w, b = make(optim.Adam, dict(lr=0.05))
    train(opt, [w, b], 1)
    sd = opt.state_dict()
    groups_before = [dict(g) for g in sd["param_groups"]]
    opt2, _, _ = make(optim.Adam, dict(lr=0.05))
    opt2.load_state_dict(sd)
    assert sd["param_groups"] == groups_before
    assert opt2.param_groups[0] is not sd["param_groups"][0]


def test_state_dict_hooks():
    opt, w, b = make(optim.SGD, dict(lr=0.1, momentum=0.9))
    train(opt, [w, b], 1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    seen = []
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append(sd.get("extra")))
    opt.register_load_state_dict_post_hook(lambda o: seen.append("done"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert seen == [1, "done"]


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=IDS)
def test_resume_scalar_float32_parameter_is_bit_for_bit(cls, kwargs):
    # the notes' setting: one 0-d float32 parameter, the quadratic (x - 1)²
    def train_scalar(opt, x, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((x - 1) ** 2).backward()
            opt.step()

    x = plait.tensor(0.0, requires_grad=True)
    opt = cls([x], **kwargs)
    train_scalar(opt, x, 3)
    x2 = plait.tensor(x.item(), requires_grad=True)
    opt2 = cls([x2], **kwargs)
    opt2.load_state_dict(opt.state_dict())
    train_scalar(opt, x, 3)
    train_scalar(opt2, x2, 3)
    assert x.item() == x2.item()
