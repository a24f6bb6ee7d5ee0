"""Sparse COO tensors (``plait.sparse_coo_tensor``, ``Tensor.to_sparse``) and ``plait.sparse``'s functions.

A sparse tensor is a :class:`plait.Tensor` subclass holding an int64 ``(sparse_dim, nnz)`` index tensor, a
``(nnz, *dense_dims)`` values tensor and its size. Every computation is written with dense plait ops on those
two tensors (``index_add`` / ``index_select``, whose backward passes are the core's scatter-add and gather), so
all backends run it and autograd reaches the values (and any dense operand) through the ordinary graph: the
values tensor *is* the sparse tensor's differentiable state (its ``requires_grad``, ``grad_fn``, ``.grad``)."""
import builtins
import math

from . import _dtype
from ._layout import sparse_coo, strided
from .autograd.grad_mode import no_grad
from .ops._common import label
from .tensor import Tensor, Size, _new

__all__ = ["mm", "addmm", "sum", "softmax", "log_softmax"]

_DENSE_ONLY = (
    "Could not run this operation with arguments from the 'Sparse{device}' backend: it needs a dense (strided) "
    "tensor, but got a sparse COO tensor. plait's sparse tensors support to_dense(), coalesce(), indices(), "
    "values(), t(), transpose(), mul/div by a scalar, neg(), sparse + sparse, dense + sparse, matmul/mm and "
    "the plait.sparse functions; call .to_dense() first")


def _dense_only(self):
    raise NotImplementedError(_DENSE_ONLY.format(device=self._vals._device.type.upper()))


class SparseCOOTensor(Tensor):
    """A sparse COO tensor (``layout=plait.sparse_coo``). ``type(s)`` differs from ``plait.Tensor`` (torch keeps one
    class), but ``isinstance(s, plait.Tensor)`` holds. Dense ops reach ``_data``, which raises torch's
    NotImplementedError instead of computing on a missing array."""
    __slots__ = ("_idx", "_vals", "_sparse_size", "_coalesced")

    layout = sparse_coo
    is_sparse = True
    _data = _contig = _vc = property(_dense_only)

    # --------------------------------------------------------- metadata, delegated to the values tensor
    _dtype = property(lambda self: self._vals._dtype)
    _device = property(lambda self: self._vals._device)
    _backend = property(lambda self: self._vals._backend)
    grad_fn = property(lambda self: self._vals.grad_fn)

    @property
    def _requires_grad(self):
        return self._vals._requires_grad

    @property
    def requires_grad(self):
        return self._vals._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        self._vals.requires_grad_(requires_grad)  # torch's errors for a non-leaf and for integer values
        return self

    def _with_values(self, values):
        """A sparse tensor with this one's indices over ``values`` (its gradient, for one)."""
        return _make_sparse(self._idx, values, self._sparse_size, self._coalesced)

    @property
    def grad(self):
        g = self._vals.grad
        return None if g is None else self._with_values(g)

    @grad.setter
    def grad(self, g):
        if g is None:
            self._vals.grad = None
            return
        if not isinstance(g, SparseCOOTensor) or g._sparse_size != self._sparse_size or \
                g._idx.shape != self._idx.shape or not bool((g._idx == self._idx).all()):
            raise RuntimeError("the gradient of a sparse tensor must be a sparse tensor with the same size and indices")
        self._vals.grad = g._vals

    @grad.deleter
    def grad(self):
        self._vals.grad = None

    def retain_grad(self):
        self._vals.retain_grad()

    @property
    def shape(self):
        return Size(self._sparse_size)

    def size(self, dim=None):
        if dim is None:
            return Size(self._sparse_size)
        return self._sparse_size[_normalize_dim(dim, len(self._sparse_size))]

    @property
    def ndim(self):
        return len(self._sparse_size)

    def dim(self):
        return len(self._sparse_size)

    ndimension = dim

    def numel(self):
        return math.prod(self._sparse_size)

    nelement = numel

    def __len__(self):
        if not self._sparse_size:
            raise TypeError("len() of a 0-d tensor")
        return self._sparse_size[0]

    def sparse_dim(self):
        return self._idx.shape[0]

    def dense_dim(self):
        return self._vals.ndim - 1

    def _nnz(self):
        return self._idx.shape[1]

    def is_coalesced(self):
        return self._coalesced

    def _indices(self):
        return self._idx.detach()

    def _values(self):
        return self._vals

    def indices(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._idx.detach()

    def values(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._vals

    def is_contiguous(self, memory_format=None):
        return False  # as torch: a sparse tensor has no strided memory

    @property
    def T(self):
        return self.t()

    @property
    def nbytes(self):
        raise RuntimeError("nbytes is not defined for sparse tensors.  If you want the size of the constituent "
                           "tensors, add the nbytes of the indices and values.  If you want the size of the  "
                           "equivalent dense tensor, multiply numel() by element_size()")

    def numpy(self, *, force=False):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")

    # --------------------------------------------------------- conversion
    def detach(self):
        return _make_sparse(self._idx, self._vals.detach(), self._sparse_size, self._coalesced)

    def clone(self, *, memory_format=None):
        return _make_sparse(self._idx.clone(), self._vals.clone(), self._sparse_size, self._coalesced)

    def to(self, *args, **kwargs):
        values = self._vals.to(*args, **kwargs)
        if values is self._vals:
            return self
        indices = self._idx.to(values._device)
        return _make_sparse(indices, values, self._sparse_size, self._coalesced)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return "plait.sparse." + _dtype.LEGACY_NAMES[self._dtype]
        return self.to(dtype)

    def coalesce(self):
        """Indices sorted (row-major) and unique, duplicates' values summed (differentiable to the values)."""
        if self._coalesced:
            return self
        indices, values = _coalesced(self._idx, self._vals, self._sparse_size)
        return _make_sparse(indices, values, self._sparse_size, True)

    def to_dense(self, dtype=None):
        values = self._vals if dtype is None else self._vals.to(dtype)
        sparse_shape = self._sparse_size[:self.sparse_dim()]
        flat = values.new_zeros((math.prod(sparse_shape),) + tuple(values.shape[1:]))
        out = flat.index_add(0, _linear_index(self._idx, sparse_shape), values)
        return label(out.reshape(self._sparse_size), "ToDenseBackward0")

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        _check_coo_layout(layout, blocksize)
        wanted = sparse_dim if dense_dim is None else self.ndim - dense_dim
        if wanted is not None and wanted != self.sparse_dim():
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim argument "
                               "!=self.sparse_dim() is not supported")
        return self

    def to_sparse_coo(self):
        return self

    # --------------------------------------------------------- shape
    def t(self):
        if self.sparse_dim() > 2 or self.dense_dim() > 0:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but got "
                               f"{self.sparse_dim()} sparse and {self.dense_dim()} dense dimensions")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def transpose(self, dim0, dim1):
        n = self.ndim
        d0, d1 = _normalize_dim(dim0, n), _normalize_dim(dim1, n)
        if d0 == d1:
            return self
        sd = self.sparse_dim()
        if (d0 < sd) != (d1 < sd):
            raise RuntimeError(f"transpose(): can't transpose a sparse dimension with a dense dimension "
                               f"(got dims {d0} and {d1} with {sd} sparse dimensions)")
        size = list(self._sparse_size)
        size[d0], size[d1] = size[d1], size[d0]
        if d0 < sd:
            order = list(range(sd))
            order[d0], order[d1] = order[d1], order[d0]
            indices = self._idx.index_select(0, self._idx.new_tensor(order))
            return _make_sparse(indices, _own_values(self._vals, "TransposeBackward0"), tuple(size), False)
        values = self._vals.transpose(d0 - sd + 1, d1 - sd + 1)
        return _make_sparse(self._idx, values, tuple(size), self._coalesced)

    swapaxes = swapdims = transpose

    # --------------------------------------------------------- arithmetic
    def mul(self, other):
        if isinstance(other, Tensor):
            if isinstance(other, SparseCOOTensor) or other.ndim:
                raise NotImplementedError("mul: plait's sparse COO tensors multiply by a scalar (a Python number "
                                          "or a 0-d tensor) only; call .to_dense() first")
        return _make_sparse(self._idx, self._vals * other, self._sparse_size, self._coalesced)

    __mul__ = __rmul__ = multiply = mul

    def div(self, other):
        if isinstance(other, Tensor) and (isinstance(other, SparseCOOTensor) or other.ndim):
            raise NotImplementedError("div: plait's sparse COO tensors divide by a scalar (a Python number or a "
                                      "0-d tensor) only; call .to_dense() first")
        return _make_sparse(self._idx, self._vals / other, self._sparse_size, self._coalesced)

    __truediv__ = divide = true_divide = div

    def neg(self):
        return _make_sparse(self._idx, -self._vals, self._sparse_size, self._coalesced)

    __neg__ = negative = neg

    def add(self, other, *, alpha=1):
        if not isinstance(other, SparseCOOTensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        if other._sparse_size != self._sparse_size:
            raise RuntimeError(f"add: expected sizes of 'self' and 'other' to match, but {list(self._sparse_size)} "
                               f"!= {list(other._sparse_size)}")
        if other.sparse_dim() != self.sparse_dim():
            raise RuntimeError(f"add: expected 'self' and 'other' to have same sparse dimensions, but got "
                               f"{self.sparse_dim()} and {other.sparse_dim()}")
        from .ops.shape import cat
        theirs = other._vals if alpha == 1 else other._vals * alpha
        values, theirs = _common_dtype(self._vals, theirs)
        out = _make_sparse(cat([self._idx, other._idx], 1), cat([values, theirs], 0), self._sparse_size,
                           False)
        return out.coalesce() if self._coalesced and other._coalesced else out

    __add__ = add

    def __radd__(self, other):
        """``dense + sparse``: a dense sum (Python asks this subclass's reflected method first)."""
        if isinstance(other, Tensor):
            return other + self.to_dense()
        raise TypeError(f"unsupported operand type(s) for +: '{type(other).__name__}' and a sparse tensor; add a "
                        "tensor of the same size")

    def sub(self, other, *, alpha=1):
        if not isinstance(other, SparseCOOTensor):
            raise RuntimeError("sub(sparse, dense) is not supported. Use sub(dense, sparse) instead.")
        return self.add(other, alpha=-alpha)

    __sub__ = subtract = sub

    def __rsub__(self, other):
        if isinstance(other, Tensor):
            return other - self.to_dense()
        raise TypeError(f"unsupported operand type(s) for -: '{type(other).__name__}' and a sparse tensor; subtract "
                        "from a tensor of the same size")

    def matmul(self, other):
        return _sparse_matmul(self, other)

    mm = __matmul__ = matmul

    def __rmatmul__(self, other):
        return _dense_sparse_matmul(other, self)

    def sum(self, dim=None, keepdim=False, dtype=None):
        if keepdim:
            raise RuntimeError("sum: keepdim=True is not supported for sparse tensors; use plait.sparse.sum")
        return sum(self, dim, dtype=dtype)

    def softmax(self, dim, dtype=None):
        return softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return log_softmax(self, dim, dtype)

    # --------------------------------------------------------- printing, copying
    def __repr__(self):
        from ._printing import tensor_str, _add_suffixes, autograd_suffixes
        indices = tensor_str(self._idx, prefix="tensor(indices=tensor(", inner=True)
        values = tensor_str(self._vals.detach(), prefix=" " * 7 + "values=tensor(", inner=True)
        suffixes = []
        if self._device.type != "cpu":
            suffixes.append(f"device='{self._device}'")
        suffixes += [f"size={tuple(self._sparse_size)}", f"nnz={self._nnz()}"]
        if self._dtype is not _dtype.default_float.value:
            suffixes.append(f"dtype={self._dtype!r}")
        suffixes.append(f"layout={sparse_coo!r}")
        suffixes += autograd_suffixes(self)
        return _add_suffixes(indices + ",\n" + values, suffixes, 7, force_newline=True)

    def __deepcopy__(self, memo):
        out = self.detach().clone()
        out._vals.requires_grad_(self._vals._requires_grad)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return _rebuild_sparse, (self._idx, self._vals.detach(), self._sparse_size, self._coalesced,
                                 self._vals._requires_grad)

    def __format__(self, spec):
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.to_dense().item())


def _rebuild_sparse(indices, values, size, coalesced, requires_grad):
    out = _make_sparse(indices, values, size, coalesced)
    if requires_grad:
        values.requires_grad_(True)
    return out


def _own_values(values, node_name):
    """``values`` as a new tensor object for a derived sparse tensor (sharing memory), linked to the graph when it
    requires grad, so that marking the new tensor (requires_grad_, retain_grad) leaves the source alone."""
    return label(values.view_as(values), node_name) if values._requires_grad else values.detach()


def _make_sparse(indices, values, size, coalesced):
    """A sparse tensor over already validated parts (no copy)."""
    t = _new(SparseCOOTensor)
    t._idx = indices
    t._vals = values
    t._sparse_size = tuple(size)
    t._coalesced = bool(coalesced)
    t._grad_acc = None
    t._hooks = None
    t._retains_grad = False
    t._view = None
    return t


def _normalize_dim(dim, ndim):
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % max(ndim, 1)


def _common_dtype(a, b):
    rt = _dtype.promote_types(a._dtype, b._dtype)
    return a.to(rt), b.to(rt)


def _strides(shape):
    strides, step = [], 1
    for s in reversed(shape):
        strides.append(step)
        step *= s
    return strides[::-1]


def _linear_index(indices, shape):
    """Row-major position of each index column in a tensor of ``shape`` (an int64 ``(nnz,)`` tensor)."""
    if not shape:
        return indices.new_zeros((indices.shape[1],))
    weights = indices.new_tensor(_strides(shape)).reshape(-1, 1)
    return (indices * weights).sum(0)


def _unravel(linear, shape):
    from .ops.shape import stack
    return stack([(linear // stride) % size for stride, size in zip(_strides(shape), shape)], 0) if shape else \
        linear.new_zeros((0, linear.shape[0]))


def _coalesced(indices, values, size):
    sparse_shape = size[:indices.shape[0]]
    linear = _linear_index(indices, sparse_shape)
    unique, inverse = linear.unique(return_inverse=True)
    summed = values.new_zeros((unique.shape[0],) + tuple(values.shape[1:])).index_add(0, inverse, values)
    return _unravel(unique, sparse_shape), label(summed, "CoalesceBackward0")


def _check_coo_layout(layout, blocksize):
    if layout is not None and layout is not sparse_coo:
        raise RuntimeError(f"to_sparse: plait provides the sparse_coo layout only (got layout={layout!r})")
    if blocksize is not None:
        raise RuntimeError("to_sparse for Strided to SparseCOO conversion does not use specified blocksize")


# ------------------------------------------------------------------ construction
def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """torch.sparse_coo_tensor. The index bounds are checked unless ``check_invariants=False`` (torch skips them
    by default and leaves out-of-range indices undefined; plait's scatter-add needs them in range)."""
    from .creation import as_tensor
    from .ops._common import check_same_device
    if pin_memory:
        raise RuntimeError("sparse_coo_tensor: pin_memory=True is not supported by plait's sparse tensors")
    indices = as_tensor(indices, device=device)
    values = as_tensor(values, dtype=dtype, device=device if device is not None else indices.device)
    check_same_device(indices, values)
    if indices.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(indices.shape)}")
    if values.ndim == 0 or values.shape[0] != indices.shape[1]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {indices.shape[1]}, "
                           f"nnz from values: {values.shape[0] if values.ndim else 1}")
    if indices.dtype is not _dtype.int64:
        indices = indices.to(_dtype.int64)
    sparse_dim, dense_dim, nnz = indices.shape[0], values.ndim - 1, indices.shape[1]
    if size is None:
        upper = indices.amax(1).tolist() if nnz else [-1] * sparse_dim
        size = tuple(int(u) + 1 for u in upper) + tuple(values.shape[1:])
        check = False
    else:
        size = tuple(int(s) for s in size)
        if len(size) != sparse_dim + dense_dim:
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = {len(size)}, "
                               f"sparse_dim = {sparse_dim}, dense_dim = {dense_dim}")
        if builtins.any(s < 0 for s in size):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
        if tuple(values.shape[1:]) != size[sparse_dim:]:
            raise RuntimeError(f"values has incorrect size, expected {[nnz] + list(size[sparse_dim:])}, got "
                               f"{list(values.shape)}")
        check = check_invariants is not False
    if check and nnz:
        lowest, highest = indices.amin(1).tolist(), indices.amax(1).tolist()
        for d in range(sparse_dim):
            if lowest[d] < 0:
                raise RuntimeError(f"found negative index {lowest[d]} for dim {d}")
            if highest[d] >= size[d]:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} but found "
                                   f"index {highest[d]}")
    if requires_grad and not values.dtype.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    if requires_grad or not values.requires_grad:
        values = values.detach()  # a leaf of its own (torch's constructor returns a new leaf)
        if requires_grad:
            values.requires_grad_(True)
    else:  # a non-leaf, as torch's
        values = _own_values(values, "SparseCooTensorWithDimsAndTensorsBackward0")
    return _make_sparse(indices, values, size, bool(is_coalesced) or nnz <= 1)


def dense_to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """``Tensor.to_sparse`` for a dense tensor: the entries (or, with dense dimensions, the slices) that are not
    all zero, in row-major order (coalesced); differentiable to the dense tensor."""
    _check_coo_layout(layout, blocksize)
    if dense_dim is not None:
        sparse_dim = self.ndim - dense_dim
    if sparse_dim is None:
        sparse_dim = self.ndim
    if not 0 <= sparse_dim <= self.ndim:
        raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{self.ndim}] range, but "
                           f"{sparse_dim} is given")
    sparse_shape = tuple(self.shape[:sparse_dim])
    blocks = self.reshape((math.prod(sparse_shape),) + tuple(self.shape[sparse_dim:]))
    with no_grad():
        stored = blocks != 0
        if blocks.ndim > 1:
            stored = stored.reshape(blocks.shape[0], -1).any(1)
        positions = stored.nonzero().reshape(-1)
    values = label(blocks.index_select(0, positions), "ToSparseBackward1")
    return _make_sparse(_unravel(positions, sparse_shape), values, tuple(self.shape), True)


def sparse_mask(self, mask):
    """``Tensor.sparse_mask``: this dense tensor's entries (or slices) at ``mask``'s indices, as a sparse tensor
    with those indices (coalesced when ``mask`` is); differentiable to the dense tensor."""
    if not isinstance(mask, SparseCOOTensor):
        raise RuntimeError(f"sparse_mask expects mask to be sparse COO, got layout={mask.layout!r}")
    if tuple(self.shape) != mask._sparse_size:
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size {list(self.shape)} but "
                           f"mask has size {list(mask._sparse_size)}")
    sparse_shape = mask._sparse_size[:mask.sparse_dim()]
    blocks = self.reshape((math.prod(sparse_shape),) + tuple(self.shape[len(sparse_shape):]))
    values = blocks.index_select(0, _linear_index(mask._idx, sparse_shape))
    return _make_sparse(mask._idx, label(values, "SparseMaskBackward0"), mask._sparse_size, mask._coalesced)


# ------------------------------------------------------------------ products
def _sparse_matmul(sparse, dense, op="addmm", node_name="MmBackward0"):
    """``sparse @ dense`` for a 2-D sparse matrix (a dense tensor): each stored value scales one row of
    ``dense``, and the rows are scatter-added into the output, so gradients reach the values and ``dense``
    through index_select / index_add."""
    if isinstance(dense, SparseCOOTensor):
        return _sparse_sparse_matmul(sparse, dense)
    if not isinstance(dense, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not {type(dense).__name__}")
    if sparse.ndim != 2 or sparse.sparse_dim() != 2:
        raise RuntimeError(f"{op}: matrices expected, got {sparse.sparse_dim()}D tensor")
    if dense.ndim not in (1, 2):
        raise RuntimeError(f"{op}: matrices expected, got {dense.ndim}D tensor")
    rows, cols = sparse._sparse_size
    if dense.shape[0] != cols:
        raise RuntimeError(f"{op}: Argument #3 (dense): Expected dim 0 size {cols}, got {dense.shape[0]}")
    values, dense = _common_dtype(sparse._vals, dense)
    row, col = sparse._idx[0], sparse._idx[1]
    picked = dense.index_select(0, col)
    scaled = picked * (values if dense.ndim == 1 else values.unsqueeze(1))
    out = dense.new_zeros((rows,) + tuple(dense.shape[1:])).index_add(0, row, scaled)
    return label(out, node_name)


def _sparse_sparse_matmul(left, right):
    """``left @ right`` for two sparse matrices, a coalesced sparse result: every stored ``(r, k)`` of ``left``
    pairs with the stored ``(k, c)`` of ``right``'s row ``k``; the pairs are enumerated with vectorised index
    arithmetic over ``right``'s coalesced (row-sorted) entries, their products summed by ``coalesce``."""
    from .creation import arange
    from .ops.shape import stack
    for operand in (left, right):
        if operand.ndim != 2 or operand.dense_dim():
            raise RuntimeError(f"Expected mat{1 if operand is left else 2}_.dim() == 2 to be true, but got false.")
    (m, inner), (inner2, n) = left._sparse_size, right._sparse_size
    if inner != inner2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m}x{inner} and {inner2}x{n})")
    right = right.coalesce()
    left_values, right_values = _common_dtype(left._vals, right._vals)
    left_rows, left_inner = left._idx[0], left._idx[1]
    right_rows, right_cols = right._idx[0], right._idx[1]
    with no_grad():
        per_row = right_rows.new_zeros((inner,)).index_add(0, right_rows, right_rows.new_ones(right_rows.shape))
        row_start = per_row.cumsum(0) - per_row
        pairs = per_row.index_select(0, left_inner)  # how many right entries each left entry meets
        total = int(pairs.sum().item()) if pairs.shape[0] else 0
        first = pairs.cumsum(0) - pairs  # where each left entry's run of pairs starts
        live = (pairs > 0).nonzero().reshape(-1)
        starts = pairs.new_zeros((total,)).index_add(0, first.index_select(0, live), pairs.new_ones(live.shape))
        left_entry = live.index_select(0, starts.cumsum(0) - 1)
        offset = arange(total, device=pairs.device) - first.index_select(0, left_entry)
        right_entry = row_start.index_select(0, left_inner.index_select(0, left_entry)) + offset
    values = left_values.index_select(0, left_entry) * right_values.index_select(0, right_entry)
    indices = stack([left_rows.index_select(0, left_entry), right_cols.index_select(0, right_entry)])
    out = _make_sparse(indices, values, (m, n), total <= 1).coalesce()
    label(out._vals, "SparseSparseMatmulBackward0")
    return out


def _dense_sparse_matmul(dense, sparse):
    """``dense @ sparse`` as ``(sparse^T @ dense^T)^T``."""
    if dense.ndim == 1:
        return _sparse_matmul(sparse.t(), dense)
    if dense.ndim != 2:
        raise RuntimeError(f"addmm: matrices expected, got {dense.ndim}D tensor")
    if sparse.ndim == 2 and dense.shape[1] != sparse.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({dense.shape[0]}x{dense.shape[1]} and "
                           f"{sparse.shape[0]}x{sparse.shape[1]})")
    return _sparse_matmul(sparse.t(), dense.t()).t()


def mm(mat1, mat2, reduce=None):
    """torch.sparse.mm: a sparse COO matrix times a dense one (a dense result)."""
    if reduce is not None:
        raise RuntimeError("sparse.mm: reduce= is supported for sparse CSR tensors only; plait has COO tensors")
    if isinstance(mat1, SparseCOOTensor):
        return _sparse_matmul(mat1, mat2, node_name="SparseAddmmBackward0")
    return spmm(mat1, mat2)


def spmm(input, mat2):
    """torch.spmm: ``input @ mat2`` with either operand sparse COO (or both dense)."""
    from .ops.linalg import mm as dense_mm
    return dense_mm(input, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """torch.sparse.addmm: ``beta * mat + alpha * (mat1 @ mat2)`` with ``mat1`` sparse."""
    product = mm(mat1, mat2)
    return (mat if beta == 1 else mat * beta) + (product if alpha == 1 else product * alpha)


# ------------------------------------------------------------------ reductions and softmax
def _check_sparse(input, name):
    if not isinstance(input, SparseCOOTensor):
        raise RuntimeError(f"{name}: expected a sparse COO tensor (layout=plait.sparse_coo), got a tensor with "
                           f"layout={input.layout!r}")


def sum(input, dim=None, dtype=None):
    """torch.sparse.sum: over all dimensions (a dense 0-d tensor), or over ``dim``; a dense tensor when every
    sparse dimension is summed, a coalesced sparse one otherwise."""
    _check_sparse(input, "sparse.sum")
    values = input._vals if dtype is None else input._vals.to(dtype)
    if dim is None:
        return values.sum()
    n, sd = input.ndim, input.sparse_dim()
    dims = sorted({_normalize_dim(d, n) for d in ((dim,) if isinstance(dim, int) else dim)})
    summed_dense = [d - sd + 1 for d in dims if d >= sd]
    if summed_dense:
        values = values.sum(tuple(summed_dense))
    kept = [d for d in range(sd) if d not in dims]
    if not kept:
        return values.sum(0)
    indices = input._idx.index_select(0, input._idx.new_tensor(kept))
    size = tuple(input._sparse_size[d] for d in range(n) if d not in dims)
    return _make_sparse(indices, values, size, False).coalesce()


def _group_max(keys, values):
    """The largest of ``values`` among the entries sharing each key, for every entry (no gradient needed: it
    only shifts softmax's exponents). A stable sort by value, then by key, leaves each key's maximum last in its
    run, which unique's counts locate."""
    from .ops.sorting import argsort
    by_value = argsort(values, stable=True)
    by_key = by_value.index_select(0, argsort(keys.index_select(0, by_value), stable=True))
    _, inverse, counts = keys.unique(return_inverse=True, return_counts=True)
    run_ends = counts.cumsum(0) - 1
    maxima = values.index_select(0, by_key.index_select(0, run_ends))
    return maxima.index_select(0, inverse), inverse, counts.shape[0]


def _softmax_parts(input, dim, dtype, name):
    _check_sparse(input, name)
    input = input.coalesce()
    values = input._vals if dtype is None else input._vals.to(dtype)
    d = _normalize_dim(dim, input.ndim)
    sd = input.sparse_dim()
    if d >= sd:
        return input, values, d - sd + 1, None
    from .creation import arange
    others = [k for k in range(sd) if k != d]
    group_shape = tuple(input._sparse_size[k] for k in others)
    rows = input._idx.index_select(0, input._idx.new_tensor(others, dtype=_dtype.int64))
    group = _linear_index(rows, group_shape)
    columns = math.prod(values.shape[1:])
    flat = values.reshape(values.shape[0], columns)
    # every dense column of every group is its own softmax: one key per (group, column)
    keys = (group.unsqueeze(1) * columns + arange(columns, device=group.device)).reshape(-1)
    with no_grad():
        shift, inverse, groups = _group_max(keys, flat.detach().reshape(-1))
    shifted = flat.reshape(-1) - shift
    exp = shifted.exp()
    totals = exp.new_zeros((groups,)).index_add(0, inverse, exp).index_select(0, inverse)
    return input, (shifted, exp, totals, values.shape), None, True


def softmax(input, dim, dtype=None):
    """torch.sparse.softmax: the softmax of the stored values along ``dim`` (unstored entries count as -inf), a
    sparse tensor with the input's coalesced indices."""
    input, parts, dense_axis, grouped = _softmax_parts(input, dim, dtype, "sparse.softmax")
    if grouped is None:
        out = parts.softmax(dense_axis)
    else:
        _, exp, totals, shape = parts
        out = (exp / totals).reshape(shape)
    return _make_sparse(input._idx, label(out, "SoftmaxBackward0"), input._sparse_size, True)


def log_softmax(input, dim, dtype=None):
    """torch.sparse.log_softmax: the log of :func:`softmax`, computed as ``x - max - log(sum(exp(x - max)))``."""
    input, parts, dense_axis, grouped = _softmax_parts(input, dim, dtype, "sparse.log_softmax")
    if grouped is None:
        out = parts.log_softmax(dense_axis)
    else:
        shifted, _, totals, shape = parts
        out = (shifted - totals.log()).reshape(shape)
    return _make_sparse(input._idx, label(out, "LogSoftmaxBackward0"), input._sparse_size, True)
