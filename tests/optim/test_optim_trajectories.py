"""Each optimizer's parameter trajectory against an independent NumPy float64 implementation of its
published update rule, over several steps, for its main variants."""
import numpy as np
import pytest

import plait
import plait.optim as optim
from optim_helpers import run, to_np
from optim_reference import (adadelta_ref, adagrad_ref, adam_ref, adamax_ref, asgd_ref, lbfgs_ref, nadam_ref,
                             radam_ref, rmsprop_ref, rprop_ref, sgd_ref)

THETA0 = np.array([[0.5, -1.5, 2.0], [-0.25, 1.0, 3.0]])
A = np.array([[1.0, 2.0, 0.5], [3.0, 0.1, 1.5]])
B = np.array([[-1.0, 0.5, 2.0], [0.3, -2.0, -0.7]])
STEPS = 8


def grad_fn(theta):
    """Gradient of sum(A θ²/2 + B θ + θ⁴/4): non-linear, so a wrong update changes later gradients too."""
    return A * theta + B + theta ** 3


def assert_trajectory(values, expected, rtol=1e-10, atol=1e-12):
    assert len(values) == len(expected)
    for step, (got, want) in enumerate(zip(values, expected), start=1):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"after step {step}")


@pytest.fixture
def float64_default():
    """torch keeps step counters (and NAdam's / ASGD's scalars) in the default dtype when it is float64."""
    previous = plait.get_default_dtype()
    plait.set_default_dtype(plait.float64)
    yield
    plait.set_default_dtype(previous)


SGD_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, momentum=0.9, dampening=0.5),
    dict(lr=0.01, momentum=0.9, nesterov=True),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, momentum=0.5, weight_decay=0.05, maximize=True),
]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd(kwargs):
    _, _, values = run(optim.SGD, THETA0, grad_fn, STEPS, **kwargs)
    assert_trajectory(values, sgd_ref(THETA0, grad_fn, STEPS, **kwargs))


ADAM_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, betas=(0.8, 0.9), eps=1e-6),
    dict(lr=0.1, amsgrad=True),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, maximize=True),
    dict(lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True),
    dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
]


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
def test_adam(kwargs):
    _, _, values = run(optim.Adam, THETA0, grad_fn, STEPS, **kwargs)
    ref_kwargs = dict(kwargs)
    ref_kwargs["decoupled"] = ref_kwargs.pop("decoupled_weight_decay", False)
    assert_trajectory(values, adam_ref(THETA0, grad_fn, STEPS, **ref_kwargs))


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.3, amsgrad=True),
                                    dict(lr=0.1, maximize=True)], ids=str)
def test_adamw(kwargs):
    _, _, values = run(optim.AdamW, THETA0, grad_fn, STEPS, **kwargs)
    ref_kwargs = dict(kwargs)
    ref_kwargs.setdefault("weight_decay", 1e-2)  # AdamW's default
    assert_trajectory(values, adam_ref(THETA0, grad_fn, STEPS, decoupled=True, **ref_kwargs))


def test_amsgrad_keeps_the_running_maximum():
    opt, p, _ = run(optim.Adam, THETA0, grad_fn, STEPS, lr=0.1, amsgrad=True)
    state = opt.state[p]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert np.all(to_np(state["max_exp_avg_sq"]) >= to_np(state["exp_avg_sq"]))


RMSPROP_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1),
    dict(lr=0.01, alpha=0.9, eps=1e-4, maximize=True),
]


@pytest.mark.parametrize("kwargs", RMSPROP_CASES, ids=str)
def test_rmsprop(kwargs):
    _, _, values = run(optim.RMSprop, THETA0, grad_fn, STEPS, **kwargs)
    assert_trajectory(values, rmsprop_ref(THETA0, grad_fn, STEPS, **kwargs))


ADAGRAD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5),
    dict(lr=0.1, eps=1e-3, maximize=True),
]


@pytest.mark.parametrize("kwargs", ADAGRAD_CASES, ids=str)
def test_adagrad(kwargs):
    _, _, values = run(optim.Adagrad, THETA0, grad_fn, STEPS, **kwargs)
    assert_trajectory(values, adagrad_ref(THETA0, grad_fn, STEPS, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1),
                                    dict(maximize=True)], ids=str)
def test_adadelta(kwargs):
    _, _, values = run(optim.Adadelta, THETA0, grad_fn, STEPS, **kwargs)
    assert_trajectory(values, adadelta_ref(THETA0, grad_fn, STEPS, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
                                    dict(lr=0.05, maximize=True)], ids=str)
def test_adamax(kwargs):
    _, _, values = run(optim.Adamax, THETA0, grad_fn, STEPS, **kwargs)
    assert_trajectory(values, adamax_ref(THETA0, grad_fn, STEPS, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01),
                                    dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
                                    dict(lr=0.05, maximize=True)], ids=str)
def test_nadam(kwargs, float64_default):
    _, _, values = run(optim.NAdam, THETA0, grad_fn, STEPS, **kwargs)
    ref_kwargs = dict(kwargs)
    ref_kwargs["decoupled"] = ref_kwargs.pop("decoupled_weight_decay", False)
    assert_trajectory(values, nadam_ref(THETA0, grad_fn, STEPS, **ref_kwargs))


def test_nadam_scalar_state_follows_default_dtype():
    # with the default float32, torch's mu_product is float32: the trajectory agrees to float32 accuracy
    opt, p, values = run(optim.NAdam, THETA0, grad_fn, STEPS, lr=0.05)
    assert opt.state[p]["mu_product"].dtype == plait.float32
    assert opt.state[p]["step"].dtype == plait.float32
    assert_trajectory(values, nadam_ref(THETA0, grad_fn, STEPS, lr=0.05), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kwargs", [dict(lr=0.05), dict(lr=0.05, weight_decay=0.1),
                                    dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
                                    dict(lr=0.05, maximize=True)], ids=str)
def test_radam(kwargs):
    steps = 12  # the first steps are unrectified (rho_t <= 5), the later ones rectified
    _, _, values = run(optim.RAdam, THETA0, grad_fn, steps, **kwargs)
    ref_kwargs = dict(kwargs)
    ref_kwargs["decoupled"] = ref_kwargs.pop("decoupled_weight_decay", False)
    expected, rectified = radam_ref(THETA0, grad_fn, steps, **ref_kwargs)
    assert not rectified[0] and rectified[-1]
    assert_trajectory(values, expected)


@pytest.mark.parametrize("kwargs", [dict(lr=0.01, t0=3), dict(lr=0.01, lambd=0.1, alpha=0.5, weight_decay=0.1),
                                    dict(lr=0.01, t0=2, maximize=True)], ids=str)
def test_asgd(kwargs, float64_default):
    opt, p, values = run(optim.ASGD, THETA0, grad_fn, STEPS, **kwargs)
    expected, averages = asgd_ref(THETA0, grad_fn, STEPS, **kwargs)
    assert_trajectory(values, expected)
    np.testing.assert_allclose(to_np(opt.state[p]["ax"]), averages[-1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(lr=0.3), dict(lr=0.3, etas=(0.3, 1.5), step_sizes=(1e-3, 0.5)),
                                    dict(lr=0.3, maximize=True)], ids=str)
def test_rprop(kwargs):
    _, _, values = run(optim.Rprop, THETA0, grad_fn, STEPS, **kwargs)
    assert_trajectory(values, rprop_ref(THETA0, grad_fn, STEPS, **kwargs))


def test_rprop_case_flips_gradient_signs():
    # the Rprop cases above only test the sign-flip branch if the gradient does change sign on the way
    values = rprop_ref(THETA0, grad_fn, STEPS, lr=0.3)
    signs = [np.sign(grad_fn(v)) for v in [THETA0] + values]
    assert any(np.any(a * b < 0) for a, b in zip(signs, signs[1:]))


def _lbfgs_run(max_iter, **kwargs):
    p = plait.tensor(THETA0.reshape(-1).tolist(), dtype=plait.float64, requires_grad=True)
    q = plait.tensor([0.7, -0.4], dtype=plait.float64, requires_grad=True)
    opt = optim.LBFGS([p, q], max_iter=max_iter, **kwargs)
    iterates = []

    def closure():
        opt.zero_grad()
        theta = np.concatenate([to_np(p), to_np(q)])
        g = full_grad(theta)
        p.grad = plait.tensor(g[:6].tolist(), dtype=plait.float64)
        q.grad = plait.tensor(g[6:].tolist(), dtype=plait.float64)
        iterates.append(theta)
        return plait.tensor(float(full_loss(theta)), dtype=plait.float64)

    opt.step(closure)
    return opt, p, q, iterates


A_FULL = np.concatenate([A.reshape(-1), [2.0, 0.5]])
B_FULL = np.concatenate([B.reshape(-1), [1.0, -0.3]])


def full_loss(theta):
    return float(np.sum(A_FULL * theta ** 2 / 2 + B_FULL * theta + theta ** 4 / 4))


def full_grad(theta):
    return A_FULL * theta + B_FULL + theta ** 3


def test_lbfgs_iterates_without_line_search():
    # closures are evaluated at the start and after every iteration but the last
    opt, p, q, iterates = _lbfgs_run(max_iter=6, lr=0.5)
    x0 = np.concatenate([THETA0.reshape(-1), [0.7, -0.4]])
    expected = lbfgs_ref(x0, full_grad, lr=0.5, max_iter=6)
    assert len(expected) == 6
    np.testing.assert_allclose(np.stack(iterates[1:]), np.stack(expected[:-1]), rtol=1e-10, atol=1e-12)
    final = np.concatenate([to_np(p), to_np(q)])
    np.testing.assert_allclose(final, expected[-1], rtol=1e-10, atol=1e-12)
    assert opt.state[p]["n_iter"] == 6
    assert opt.state[p]["func_evals"] == 6


def test_lbfgs_strong_wolfe_finds_the_minimum():
    opt, p, q, _ = _lbfgs_run(max_iter=100, line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                             tolerance_change=1e-15)
    final = np.concatenate([to_np(p), to_np(q)])
    np.testing.assert_allclose(full_grad(final), 0.0, atol=1e-7)
    # a minimum, not just a stationary point: the Hessian diag(A + 3θ²) is positive there
    assert np.all(A_FULL + 3 * final ** 2 > 0)
