"""Small helpers shared by the plait.optim tests: moving values between plait and NumPy."""
import numpy as np

import plait


def to_np(tensor):
    """A float64 NumPy copy of a tensor's values (through Python floats, so it needs no NumPy bridge)."""
    return np.asarray(tensor.detach().tolist(), dtype=np.float64)


def param(values, dtype=None):
    """A leaf parameter holding ``values`` (float64 unless told otherwise)."""
    dtype = plait.float64 if dtype is None else dtype
    return plait.tensor(np.asarray(values, dtype=np.float64).tolist(), dtype=dtype, requires_grad=True)


def set_grad(p, grad_fn):
    """Give ``p`` the gradient ``grad_fn`` computes (in NumPy) at its current value."""
    p.grad = plait.tensor(grad_fn(to_np(p)).tolist(), dtype=p.dtype)


def run(optimizer_cls, theta0, grad_fn, steps, **kwargs):
    """Take ``steps`` steps of ``optimizer_cls(**kwargs)`` from ``theta0``; returns the optimizer, the
    parameter and its value after each step."""
    p = param(theta0)
    opt = optimizer_cls([p], **kwargs)
    values = []
    for _ in range(steps):
        opt.zero_grad()
        set_grad(p, grad_fn)
        opt.step()
        values.append(to_np(p))
    return opt, p, values
