"""plait.linear over inputs with several leading dims (one product over all rows): values, gradients of every
order, non-contiguous and empty inputs, against the same arithmetic done with matmul."""
import numpy as np
import pytest

import plait
from plait.autograd import gradcheck, gradgradcheck


def _ref(x, w, b):
    out = x.matmul(w.t())
    return out if b is None else out + b


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5), (2, 1, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_matmul_for_any_leading_dims(shape, bias):
    rng = np.random.default_rng(0)
    x_np, w_np, b_np = rng.standard_normal(shape), rng.standard_normal((4, 5)), rng.standard_normal(4)
    g_np = rng.standard_normal((*shape[:-1], 4))
    grads = []
    for fn in (plait.linear, _ref):
        x = plait.tensor(x_np, requires_grad=True)
        w = plait.tensor(w_np, requires_grad=True)
        b = plait.tensor(b_np, requires_grad=True) if bias else None
        out = fn(x, w, b)
        assert tuple(out.shape) == (*shape[:-1], 4)
        out.backward(plait.tensor(g_np))
        grads.append([out.detach().numpy(), x.grad.numpy(), w.grad.numpy()] + ([b.grad.numpy()] if bias else []))
    for got, expect in zip(*grads):
        np.testing.assert_allclose(got, expect, rtol=1e-12, atol=1e-12)


def test_linear_on_a_transposed_view_and_on_empty_input():
    rng = np.random.default_rng(1)
    x = plait.tensor(rng.standard_normal((4, 3, 5))).transpose(0, 1)  # (3, 4, 5), not contiguous
    w, b = plait.tensor(rng.standard_normal((2, 5))), plait.tensor(rng.standard_normal(2))
    np.testing.assert_allclose(plait.linear(x, w, b).numpy(), _ref(x, w, b).numpy(), rtol=1e-12, atol=1e-12)
    empty = plait.linear(plait.zeros(0, 3, 5, dtype=plait.float64), w, b)
    assert tuple(empty.shape) == (0, 3, 2)


def test_linear_batched_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(2)
    x = plait.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = plait.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = plait.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(plait.linear, (x, w, b))
    assert gradgradcheck(plait.linear, (x, w, b))
