"""plait.linalg.vector_norm / matrix_norm / norm against torch 2.13's values and messages."""
import math

import pytest

import plait
from core_helpers import assert_close

LA = plait.linalg
A = [[3.0, -4.0], [1.0, 2.0]]


def test_vector_norm_values():
    x = plait.tensor(A)
    assert_close(LA.vector_norm(x), 5.477225575051661, atol=1e-6)
    assert LA.vector_norm(x, ord=1, dim=1).tolist() == [7.0, 3.0]
    assert LA.vector_norm(x, ord=math.inf).item() == 4.0 and LA.vector_norm(x, ord=-math.inf).item() == 1.0
    assert LA.vector_norm(x, ord=0).item() == 4.0
    assert_close(LA.vector_norm(x, 3, dim=(0, 1), keepdim=True), [[4.641588833612778]], atol=1e-6)
    assert_close(LA.vector_norm(x, -1), 0.48, atol=1e-6)
    assert LA.vector_norm(plait.tensor([1.0, 2.0]), dtype=plait.float64).dtype is plait.float64
    assert LA.vector_norm(plait.zeros(0)).item() == 0.0


def test_matrix_norm_values():
    a = plait.tensor(A)
    b = plait.arange(8.0).view(2, 2, 2) - 3
    assert_close(LA.matrix_norm(a), 5.477225575051661, atol=1e-6)
    assert [LA.matrix_norm(a, o).item() for o in (1, -1, math.inf, -math.inf)] == [6.0, 4.0, 7.0, 3.0]
    assert LA.matrix_norm(b, 1, keepdim=True).tolist() == [[[4.0]], [[6.0]]]
    assert_close(LA.matrix_norm(b, dim=(0, 2)), [4.242640687119285, 5.0990195135927845], atol=1e-6)


def test_norm_dispatch():
    a = plait.tensor(A)
    assert_close(LA.norm(a), 5.477225575051661, atol=1e-6)
    assert_close(LA.norm(plait.arange(8.0).view(2, 2, 2) - 3), 6.6332495807108, atol=1e-6)
    assert LA.norm(a, 1).item() == 6.0 and LA.norm(plait.tensor([3.0, 4.0]), 1).item() == 7.0
    assert_close(LA.norm(a, dim=1), [5.0, 2.23606797749979], atol=1e-6)
    assert_close(LA.norm(a, 3, dim=1), [4.497941445275415, 2.080083823051904], atol=1e-6)
    assert_close(LA.norm(a, "fro", dim=(0, 1)), 5.477225575051661, atol=1e-6)
    assert_close(LA.norm(a, "fro"), 5.477225575051661, atol=1e-6)


def test_gradients():
    x = plait.tensor([[0.5, -1.5, 2.0], [1.0, 3.0, -0.7]], dtype=plait.float64, requires_grad=True)
    assert plait.autograd.gradcheck(lambda t: LA.vector_norm(t, 3, dim=1), (x,))
    assert plait.autograd.gradcheck(lambda t: LA.matrix_norm(t), (x,))
    assert plait.autograd.gradcheck(lambda t: LA.matrix_norm(t, 1), (x,))
    assert plait.autograd.gradcheck(lambda t: LA.norm(t, math.inf), (x,))


@pytest.mark.parametrize("call, error, message", [
    (lambda: LA.vector_norm(plait.tensor([1, 2])), RuntimeError,
     "^linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long$"),
    (lambda: LA.vector_norm(plait.tensor(A), ord="fro"), TypeError,
     "^linalg_vector_norm\\(\\): argument 'ord' must be Number, not str$"),
    (lambda: LA.vector_norm(plait.zeros(0), ord=math.inf), RuntimeError,
     "^linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an "
     "identity$"),
    (lambda: LA.vector_norm(plait.zeros(0), ord=-1), RuntimeError, "cannot compute the -1 norm on an empty tensor"),
    (lambda: LA.matrix_norm(plait.ones(3)), RuntimeError,
     "^linalg.matrix_norm: The input tensor A must have at least 2 dimensions.$"),
    (lambda: LA.matrix_norm(plait.tensor(A), 3), RuntimeError, "^linalg.matrix_norm: Order 3 not supported.$"),
    (lambda: LA.matrix_norm(plait.tensor(A), "abc"), RuntimeError, "^linalg.matrix_norm: Order abc not supported.$"),
    (lambda: LA.matrix_norm(plait.tensor(A), dim=(0, 0)), RuntimeError,
     r"^linalg.matrix_norm: dims must be different. Got \(0, 0\)$"),
    (lambda: LA.matrix_norm(plait.tensor([[1, 2]])), RuntimeError,
     "^linalg.matrix_norm: Expected a floating point or complex tensor as input. Got Long$"),
    (lambda: LA.matrix_norm(plait.tensor(A), "nuc"), RuntimeError, "ord='nuc' needs singular values"),
    (lambda: LA.norm(plait.ones(2, 2, 2), 1), RuntimeError,
     "^linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D.$"),
    (lambda: LA.norm(plait.tensor(A), dim=(0, 1, 0)), RuntimeError,
     r"^linalg.norm: If dim is specified, it must be of length 1 or 2. Got \[0, 1, 0\]$"),
    (lambda: LA.norm(plait.tensor(A), ord="fro", dim=0), RuntimeError,
     "^linalg.matrix_norm: dim must be a 2-tuple. Got 0$"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
