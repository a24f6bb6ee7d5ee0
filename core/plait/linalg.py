"""``plait.linalg`` norms (torch.linalg's ``vector_norm``, ``matrix_norm``, ``norm``), built on the core's
reductions so they are differentiable on every backend. Matrix norms that need singular values
(``"nuc"``, ``2``, ``-2``) are refused with an explicit error, as ``plait.norm(p="nuc")`` is."""
import math

from . import _dtype
from .ops import reduction as _reduction

_SVD_ORDERS = ("nuc", 2, -2)


def _check_floating(name, x, dtype):
    if not x._dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_dtype.SCALAR_NAMES[x._dtype]}")
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError(f"{name}: dtype should be floating point or complex. Got {_dtype.SCALAR_NAMES[dtype]}")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all elements when None); ``ord`` may be 0, +-inf or any
    number."""
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    _check_floating("linalg.vector_norm", x, dtype)
    if x.numel() == 0 and (ord < 0 or ord == math.inf):
        shown = "inf" if ord == math.inf else "-inf" if ord == -math.inf else f"{ord:g}"
        raise RuntimeError(f"linalg.vector_norm cannot compute the {shown} norm on an empty tensor because the "
                           f"operation does not have an identity")
    if dtype is not None:
        x = x.to(dtype)
    axes = _reduction.reduce_axes(dim, x.ndim)
    a = x.abs()
    if ord == math.inf:
        return a.amax(dim=axes, keepdim=keepdim)
    if ord == -math.inf:
        return a.amin(dim=axes, keepdim=keepdim)
    if ord == 0:
        return (x != 0).to(x.dtype).sum(dim=axes, keepdim=keepdim)
    if ord == 2:
        return _reduction.norm(x, 2, axes, keepdim)
    if ord == 1:
        return a.sum(dim=axes, keepdim=keepdim)
    return a.pow(ord).sum(dim=axes, keepdim=keepdim).pow(1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Frobenius (``"fro"``) or induced 1 / inf norms (max / min absolute column or row sum) of the matrices
    spanned by the two dims in ``dim``."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _check_floating("linalg.matrix_norm", A, dtype)
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    rows, cols = (_reduction.normalize_dims(d, A.ndim)[0] for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord in _SVD_ORDERS:
        raise RuntimeError(f"linalg.matrix_norm: ord={ord!r} needs singular values, which plait's core does not "
                           f"compute; use 'fro', 1, -1, inf or -inf")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return _reduction.norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(dim=summed, keepdim=True)
        out = sums.amax(dim=over, keepdim=True) if ord > 0 else sums.amin(dim=over, keepdim=True)
        return out if keepdim else out.squeeze((rows, cols))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` or ``matrix_norm`` as torch.linalg.norm picks: by ``dim``'s length when given, by
    ``A``'s rank when only ``ord`` is, and the 2-norm of all elements when neither is."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            if isinstance(ord, str):
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dims[0]}")
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                       f"{A.ndim}D.")
