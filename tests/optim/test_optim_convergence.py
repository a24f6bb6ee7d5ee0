"""Every optimizer minimises the notes' quadratic f(x) = x² - 2x + 1 through autograd (minimum at x = 1)."""
import pytest

import plait
import plait.optim as optim


def notes_quadratic():
    a = plait.tensor(1.0)
    b = plait.tensor(-2.0)
    c = plait.tensor(1.0)

    def f(x):
        return a * plait.pow(x, 2) + b * x + c

    return f


def test_notes_sgd_example():
    # the notes' example, verbatim but for the names: 500 SGD steps at lr 0.01 print x = tensor(1.0000)
    x = plait.tensor(0.0, requires_grad=True)
    f = notes_quadratic()
    optimizer = plait.optim.SGD(params=[x], lr=0.01)
    for _ in range(500):
        optimizer.zero_grad()
        y = f(x)
        y.backward()
        optimizer.step()
    assert f"{x.item():.4f}" == "1.0000"
    assert abs(x.item() - (1 - 0.98 ** 500)) < 1e-5  # x_k = 1 - (1 - 2 lr)^k
    assert str(x.data) == "tensor(1.0000)"


CASES = [
    (optim.SGD, dict(lr=0.01), 500, 1e-4),
    (optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True), 300, 1e-4),
    (optim.Adam, dict(lr=0.1), 500, 1e-3),
    (optim.AdamW, dict(lr=0.1, weight_decay=0.0), 500, 1e-3),
    (optim.RMSprop, dict(lr=0.01), 500, 1e-2),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5), 500, 1e-2),
    (optim.Adagrad, dict(lr=0.5), 500, 1e-4),
    (optim.Adadelta, dict(lr=1.0), 2000, 1e-2),
    (optim.Adamax, dict(lr=0.1), 500, 1e-3),
    (optim.NAdam, dict(lr=0.1), 500, 1e-3),
    (optim.RAdam, dict(lr=0.1), 500, 1e-3),
    (optim.ASGD, dict(lr=0.01), 500, 1e-3),
    (optim.Rprop, dict(lr=0.01), 200, 1e-4),
]


@pytest.mark.parametrize("cls,kwargs,steps,tol", CASES, ids=[f"{c.__name__}-{k}" for c, k, _, _ in CASES])
def test_minimises_notes_quadratic(cls, kwargs, steps, tol):
    x = plait.tensor(0.0, requires_grad=True)
    f = notes_quadratic()
    opt = cls([x], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
    assert abs(x.item() - 1.0) < tol


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_minimises_notes_quadratic(line_search_fn):
    x = plait.tensor(0.0, requires_grad=True)
    f = notes_quadratic()
    opt = optim.LBFGS([x], line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        y = f(x)
        y.backward()
        return y

    for _ in range(3):
        opt.step(closure)
    assert abs(x.item() - 1.0) < 1e-4
