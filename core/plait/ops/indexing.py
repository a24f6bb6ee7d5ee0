"""Indexing: basic (ints, slices, None, Ellipsis), boolean masks and integer tensors, plus gather/scatter.

The Array API only guarantees basic indexing, so advanced indexing is reduced to ``take`` along one
(merged) axis; its gradient is a scatter-add done by the backend's ``scatter_add`` kernel (NumPy's
``add.at`` there), never a Python loop."""
import math

from .. import _dtype
from ..autograd.graph import Op, trace_state as _trace_state
from ..autograd.grad_mode import state as _grad_state
from ._common import Tensor, make_like, check_same_device, label
from .reduction import normalize_dims
from .shape import _as_view


def _moveaxis(xp, a, src, dst):
    if src == dst:
        return a
    order = [i for i in range(a.ndim) if i != src]
    order.insert(dst, src)
    return xp.permute_dims(a, tuple(order))


class Take(Op):
    """``xp.take(x, index, axis)`` with a 1-D index; backward scatter-adds into zeros."""
    def forward(self, x, index, axis):
        self.in_shape, self.axis = x.shape, axis
        return self.xp.take(x, index, axis=axis)

    def backward(self, g):
        return index_add_into_zeros(g, self.in_shape, self.axis, self.inputs_index), None, None


class IndexAdd(Op):
    """``target`` with ``src`` slices added at ``index`` along ``axis`` (duplicates summed)."""
    def forward(self, target, index, src, axis, alpha=1):
        xp = self.xp
        self.axis, self.alpha = axis, alpha
        t0 = _moveaxis(xp, target, axis, 0)
        s0 = _moveaxis(xp, src if alpha == 1 else src * alpha, axis, 0)
        if s0.dtype != t0.dtype:
            s0 = xp.astype(s0, t0.dtype)
        return _moveaxis(xp, self.backend.scatter_add(t0, index, s0), 0, axis)

    def backward(self, g):
        gsrc = None
        if self.needs_input_grad[2]:
            gsrc = take(g, self.index_tensor, self.axis)
            if self.alpha != 1:
                gsrc = gsrc * self.alpha
        return g, None, gsrc, None, None


class IndexPut(Op):
    """``target`` with ``values`` written at flat ``positions`` (a copy); the gradient of the overwritten
    elements goes to ``values``."""
    def forward(self, target, positions, values):
        xp = self.xp
        self.shape = target.shape
        flat = xp.reshape(target, (-1,))
        vals = xp.reshape(values, (-1,))
        if vals.dtype != flat.dtype:
            vals = xp.astype(vals, flat.dtype)
        return xp.reshape(self.backend.index_put(flat, positions, vals), target.shape)

    def backward(self, g):
        pos = self.positions_tensor
        gflat = g.reshape(-1)
        gt = None
        if self.needs_input_grad[0]:
            gt = index_put_flat(gflat, pos, g.new_zeros(pos.shape)).reshape(self.shape)
        gv = take(gflat, pos, 0).reshape(self.values_shape) if self.needs_input_grad[2] else None
        return gt, None, gv


class BasicIndex(Op):
    def forward(self, x, key):
        self.in_shape, self.key = x.shape, key
        return x[key]

    def backward(self, g):
        return BasicIndexBackward.apply(g, self.in_shape, self.key), None

    def _name(self):
        return "SelectBackward0" if any(isinstance(k, int) for k in self.key) and \
            not any(isinstance(k, slice) and k != slice(None) for k in self.key) else "SliceBackward0"


class BasicIndexBackward(Op):
    def forward(self, g, shape, key):
        self.key = key
        out = self.xp.zeros(shape, dtype=g.dtype, device=_device_of(self.xp, g))
        _assign(self.xp, out, key, g)
        return out

    def backward(self, gg):
        return gg[self.key], None, None


class BasicIndexPut(Op):
    """``x`` with ``x[key] = v`` (functional form of basic-index assignment)."""
    def _name(self):
        return "CopySlices"
    def forward(self, x, v, key):
        self.key = key
        out = self.xp.asarray(x, copy=True)
        _assign(self.xp, out, key, v)
        return out

    def backward(self, g):
        gx = None
        if self.needs_input_grad[0]:
            gx = BasicIndexPut.apply(g, 0.0, self.key)
        gv = g[self.key] if self.needs_input_grad[1] else None
        return gx, gv, None


def _assign(xp, out, key, v):
    """``out[key] = v`` for a basic key. The standard allows ``None`` (newaxis) in getitem only, so it is
    dropped from the key together with the size-1 axes it adds to ``v``."""
    if any(k is None for k in key):
        if hasattr(v, "shape"):
            v = xp.broadcast_to(v, out[key].shape)
            kept, pos = [], 0
            for k in key:
                if k is None or isinstance(k, slice):
                    if k is not None:
                        kept.append(v.shape[pos])
                    pos += 1
            v = xp.reshape(v, tuple(kept) + tuple(v.shape[pos:]))
        key = tuple(k for k in key if k is not None)
    out[key] = v


def _device_of(xp, a):
    try:
        return a.device
    except AttributeError:
        return None


def take(x, index, axis):
    """Differentiable ``take`` along ``axis`` with an integer Tensor ``index`` of any shape."""
    flat = index.reshape(-1) if index.ndim != 1 else index
    out = Take.apply(x, flat, axis)
    if out.grad_fn is not None:
        out.grad_fn.inputs_index = flat
    if index.ndim != 1:
        out = out.reshape(x.shape[:axis] + index.shape + x.shape[axis + 1:])
    return out


def index_add_into_zeros(g, shape, axis, index):
    zeros = g.new_zeros(shape)
    return index_add(zeros, axis, index, g)


def index_add(target, dim, index, source, *, alpha=1):
    axis = normalize_dims(dim, target.ndim)[0] if target.ndim else 0
    _check_index(index, "index_add_", target)
    check_same_device(target, source)
    flat = index.reshape(-1)
    out = IndexAdd.apply(target, flat, source, axis, alpha)
    if out.grad_fn is not None:
        out.grad_fn.index_tensor = flat
    return out


def index_put_flat(flat_target, positions, values):
    out = IndexPut.apply(flat_target, positions, values)
    if out.grad_fn is not None:
        out.grad_fn.positions_tensor = positions
        out.grad_fn.values_shape = values.shape
    return out


def _check_index(index, name, x):
    if not isinstance(index, Tensor) or index._dtype.is_floating_point or index._dtype is _dtype.bool_:
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise IndexError(f"{name}(): Expected dtype int64 for index, but got {got}")
    check_same_device(x, index)


def _wrap_and_check(idx, size, dim):
    """Negative indices wrap; out-of-range ones raise torch's IndexError."""
    if idx.numel() == 0:
        return idx
    lo, hi = idx.min().item(), idx.max().item()
    if lo < -size or hi >= size:
        bad = hi if hi >= size else lo
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if lo < 0:
        idx = idx.remainder(size)
    return idx


# ---------------------------------------------------------------- __getitem__
def _foreign_index(k):
    """A bool, or another library's array used as an index (converted to a tensor first). Integer scalars
    (``np.int64(1)``, 0-d integer arrays) are not: they index like Python ints, without a conversion that
    would have to ask every installed backend whether it owns the object."""
    if isinstance(k, bool):
        return True
    if isinstance(k, (Tensor, int)) or not (hasattr(k, "shape") and hasattr(k, "dtype")):
        return False
    return not (hasattr(k, "__index__") and tuple(k.shape) == ())


def _prepare_key(x, key):
    """Split a user key into (basic_key, advanced) where advanced = [(position in result of basic, index
    Tensor)], converting lists and masks (masks become integer indices through nonzero)."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(_foreign_index(k) for k in key):
        from ..creation import tensor
        # x[True] is x[tensor(True)]; NumPy (or other) arrays index like tensors
        key = tuple(tensor(k, device=x.device) if _foreign_index(k) else k for k in key)
    consumed = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        if isinstance(k, Tensor) and k._dtype is _dtype.bool_:
            consumed += max(k.ndim, 1) if k.ndim else 0
        elif isinstance(k, list) and k and all(isinstance(v, bool) for v in k):
            consumed += 1
        else:
            consumed += 1
    if consumed > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    n_ellipsis = sum(1 for k in key if k is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    basic = []
    advanced = []
    in_dim = 0
    out_dim = 0
    for k in key:
        if k is Ellipsis:
            fill = x.ndim - consumed
            basic.extend([slice(None)] * fill)
            in_dim += fill
            out_dim += fill
            continue
        if k is None:
            basic.append(None)
            out_dim += 1
            continue
        if isinstance(k, int) or (hasattr(k, "__index__") and not isinstance(k, (Tensor, list, tuple, slice))):
            k = int(k)
            size = x.shape[in_dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {in_dim} with size {size}")
            basic.append(k % size)
            in_dim += 1
            continue
        if isinstance(k, slice):
            step = 1 if k.step is None else k.step
            if isinstance(step, Tensor):
                step = step.item()
            if step <= 0:
                raise ValueError("step must be greater than zero")
            start = k.start.item() if isinstance(k.start, Tensor) else k.start
            stop = k.stop.item() if isinstance(k.stop, Tensor) else k.stop
            if (start, stop, step) == (None, None, 1):
                basic.append(slice(None))
            else:  # clamp to the axis: the standard leaves out-of-range bounds unspecified
                size = x.shape[in_dim]
                start, stop, step = slice(start, stop, step).indices(size)
                stop = max(start, stop)
                basic.append(slice(None) if (start, stop, step) == (0, size, 1) else slice(start, stop, step))
            in_dim += 1
            out_dim += 1
            continue
        if isinstance(k, (list, tuple, range)):
            from ..creation import tensor
            # an empty sequence indexes nothing (int64, as torch reads it), not a float tensor
            k = tensor(list(k), device=x.device, dtype=None if len(k) else _dtype.int64)
        if not isinstance(k, Tensor):
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte or bool "
                             f"tensors are valid indices (got {type(k).__name__})")
        if k._device != x._device:  # torch accepts host index tensors for device tensors
            k = k.to(x._device)
        if k._dtype is _dtype.bool_ or k._dtype is _dtype.uint8:
            mask = k.bool() if k._dtype is _dtype.uint8 else k
            if mask.ndim == 0:
                # x[True] adds a dim of size 1; x[False] one of size 0
                basic.append(None)
                if not mask.item():
                    advanced.append((out_dim, make_like(x._backend.xp.zeros((0,), dtype=x._backend.dtype_to_native[
                        _dtype.int64]), x)))
                out_dim += 1
                continue
            for j, s in enumerate(mask.shape):
                if x.shape[in_dim + j] != s:
                    raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not match the "
                                     f"shape of the indexed tensor {list(x.shape)} at index {in_dim + j}")
            for j, idx in enumerate(nonzero(mask, as_tuple=True)):
                basic.append(slice(None))
                advanced.append((out_dim + j, idx))
            in_dim += mask.ndim
            out_dim += mask.ndim
            continue
        if k._dtype.is_floating_point:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if k.ndim == 0:
            basic.append(int(k.item()) % x.shape[in_dim])
            in_dim += 1
            continue
        advanced.append((out_dim, _wrap_and_check(k, x.shape[in_dim], in_dim)))
        basic.append(slice(None))
        in_dim += 1
        out_dim += 1
    basic.extend([slice(None)] * (x.ndim - in_dim))
    return tuple(basic), advanced


def getitem(x, key):
    basic, advanced = _prepare_key(x, key)
    trivial = all(isinstance(k, slice) and k == slice(None) for k in basic)
    if trivial and not advanced:
        out = x._alias() if not x._requires_grad else BasicIndex.apply(x, basic)
        return _as_view(out, x, ("index", basic))
    if not trivial:
        out = _as_view(BasicIndex.apply(x, basic), x, ("index", basic))
    else:
        out = x
    if not advanced:
        return out
    return _advanced(out, advanced)


def _advanced(x, advanced):
    dims = [d for d, _ in advanced]
    indices = [i for _, i in advanced]
    if len(indices) > 1:
        from .shape import broadcast_tensors
        indices = list(broadcast_tensors(*indices))
    consecutive = dims == list(range(dims[0], dims[0] + len(dims)))
    if not consecutive:
        rest = [d for d in range(x.ndim) if d not in dims]
        x = x.permute(dims + rest)
        dims = list(range(len(dims)))
    d0, k = dims[0], len(dims)
    sizes = x.shape[d0:d0 + k]
    if k == 1:
        flat_index = indices[0]
    else:
        flat_index = indices[0]
        for idx, size in zip(indices[1:], sizes[1:]):
            flat_index = flat_index * size + idx
        x = x.reshape(x.shape[:d0] + (math.prod(sizes),) + x.shape[d0 + k:])
    out = take(x, flat_index.to(_dtype.int64) if flat_index._dtype is not _dtype.int64 else flat_index, d0)
    return label(out, "IndexBackward0")


# ---------------------------------------------------------------- __setitem__
def _flat_positions(x, key):
    """The flat (row-major) positions of the elements ``x[key]`` selects, shaped like ``x[key]``."""
    from ..creation import arange
    with _NoGrad():
        return arange(x.numel(), device=x.device).reshape(x.shape)[key]


class _NoGrad:
    def __enter__(self):
        self.prev = _grad_state.enabled
        _grad_state.enabled = False

    def __exit__(self, *exc):
        _grad_state.enabled = self.prev


def setitem(x, key, value):
    from .inplace import commit_inplace, check_inplace, check_overlap
    check_overlap(x)
    if isinstance(value, Tensor):
        check_same_device(x, value)
        if value._dtype is not x._dtype:
            value = value.to(x._dtype)
    elif isinstance(value, (int, float, bool)):
        d = x._dtype  # a Python number is cast to the tensor's dtype, as torch does
        value = float(value) if d.is_floating_point else bool(value) if d is _dtype.bool_ else int(value)
    else:
        from ..creation import tensor
        value = tensor(value, dtype=x._dtype, device=x.device)
    basic, advanced = _prepare_key(x, key)
    if not advanced:
        basic, value = _basic_target(x, basic, value)
    needs_graph = _grad_state.enabled and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if _trace_state.active and not advanced:  # an exporter records the assignment as an op
        commit_inplace(x, BasicIndexPut.apply(x, value, basic))
        return
    if needs_graph:
        check_inplace(x)
        if not advanced:
            out = BasicIndexPut.apply(x, value, basic)
        else:
            pos = _flat_positions(x, key)
            vals = _expand_to_index(value, pos.shape) if isinstance(value, Tensor) else x.new_full(pos.shape, value)
            out = index_put_flat(x.reshape(-1), pos.reshape(-1), vals.reshape(-1)).reshape(x.shape)
        commit_inplace(x, out)
        return
    xp = x._backend.xp
    if not advanced:
        v = value._data if isinstance(value, Tensor) else value
        _assign(xp, x._data, basic, v)
    else:
        pos = _flat_positions(x, key)
        if isinstance(value, Tensor):
            vals = _expand_to_index(value, pos.shape).reshape(-1)._data
        else:
            vals = xp.full((pos.numel(),), value, dtype=x._data.dtype, device=_device_of(xp, x._data))
        flat = xp.reshape(x._data, (-1,))
        new = xp.reshape(x._backend.index_put(flat, pos.reshape(-1)._data, vals), x.shape)
        x._data[...] = new
    x._vc[0] += 1


def _expand_to_index(value, shape):
    """``value`` broadcast to the shape an advanced index selects, with torch's message when it cannot be."""
    from .shape import broadcast_shapes
    try:
        if tuple(broadcast_shapes(value.shape, shape)) != tuple(shape):
            raise RuntimeError
    except RuntimeError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(shape)}") from None
    return value.expand(shape)


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``input[indices] = values`` (or ``+= values`` with ``accumulate``, where repeated
    positions add up), as a new tensor."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    key = tuple(indices)
    if not accumulate:
        out = input.clone()
        out[key] = values
        return out
    check_same_device(input, values)
    pos = _flat_positions(input, key)
    vals = _expand_to_index(values.to(input._dtype), pos.shape)
    return index_add(input.reshape(-1), 0, pos.reshape(-1), vals.reshape(-1)).reshape(input.shape)


def index_copy(input, dim, index, source):
    """``input`` with the slices along ``dim`` at ``index`` replaced by those of ``source``."""
    if not isinstance(index, Tensor) or index._dtype is not _dtype.int64:
        got = _dtype.SCALAR_NAMES[index._dtype] if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {got}")
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    axis = normalize_dims(dim, input.ndim)[0] if input.ndim else 0
    n_index = index.numel()
    if source.ndim and n_index != source.shape[axis]:
        raise IndexError(f"index_copy_(): Number of indices ({n_index}) should be equal to source.size(dim) "
                         f"({source.shape[axis]})")
    dest_slice = [n for d, n in enumerate(input.shape) if d != axis]
    source_slice = [n for d, n in enumerate(source.shape) if d != axis]
    if dest_slice != source_slice:
        # torch reports the source's slice "at dimension 0" whatever dim is
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {' '.join(map(str, dest_slice))} at dimension {axis} and source slice "
                           f"shape: {' '.join(map(str, source_slice))} at dimension 0.")
    out = input.clone()
    out[(slice(None),) * axis + (index.reshape(-1),)] = source
    return out


def _basic_target(x, basic, value):
    """Drop ``None`` from a basic assignment key (it selects nothing, and the standard allows it only when
    reading) and give a tensor value the shape of the target, as torch does (broadcast, leading 1s dropped)."""
    if any(k is None for k in basic):
        basic = tuple(k for k in basic if k is not None)
    if isinstance(value, Tensor):
        target = _Shape(x.shape)[basic].shape
        while value.ndim > len(target) and value.shape[0] == 1:
            value = value.squeeze(0)
        if value.shape != target:
            value = value.expand(target)
    return basic, value


class _Shape:
    """The shape ``x[key]`` has for a basic key, without touching any data."""
    def __init__(self, shape):
        self.shape = shape

    def __getitem__(self, key):
        shape, d = [], 0
        for k in key:
            if k is None:
                shape.append(1)
                continue
            if isinstance(k, slice):
                shape.append(len(range(*k.indices(self.shape[d]))))
            d += 1
        return _Shape(tuple(shape) + tuple(self.shape[d:]))


# ---------------------------------------------------------------- gather / scatter family
def _linear_index(x_shape, dim, index):
    """Flat positions in a tensor of ``x_shape`` for torch's gather/scatter index along ``dim``."""
    from ..creation import arange
    strides = [1] * len(x_shape)
    for d in range(len(x_shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * x_shape[d + 1]
    lin = index * strides[dim] if strides[dim] != 1 else index
    for d, size in enumerate(index.shape):
        if d == dim or strides[d] == 0:
            continue
        shape = [1] * index.ndim
        shape[d] = size
        lin = lin + arange(size, device=index.device).reshape(shape) * strides[d]
    return lin


def _check_gather_args(x, dim, index, name):
    _check_index(index, name, x)
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor")
    axis = normalize_dims(dim, x.ndim)[0] if x.ndim else 0
    for d in range(index.ndim):
        if d != axis and index.shape[d] > x.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                               f"smaller than self {list(x.shape)} apart from dimension {axis}")
    return axis


def gather(input, dim, index, *, sparse_grad=False):
    axis = _check_gather_args(input, dim, index, "gather")
    if index.numel():
        hi, lo = index.max().item(), index.min().item()
        size = input.shape[axis] if input.ndim else 1
        if hi >= size or lo < -size:
            raise RuntimeError(f"index {hi if hi >= size else lo} is out of bounds for dimension {axis} with "
                               f"size {size}")
        if lo < 0:
            index = index.remainder(size)
    lin = _linear_index(input.shape, axis, index)
    return label(take(input.reshape(-1), lin.reshape(-1), 0).reshape(index.shape), "GatherBackward0")


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input.reshape(-1), indices.reshape(-1), 0)
    from .shape import broadcast_shapes
    axis = normalize_dims(dim, input.ndim)[0]
    shape_i = list(input.shape)
    shape_x = list(indices.shape)
    shape_i[axis] = shape_x[axis] = 1
    b = broadcast_shapes(shape_i, shape_x)
    xs = list(b)
    xs[axis] = input.shape[axis]
    ids = list(b)
    ids[axis] = indices.shape[axis]
    return gather(input.expand(xs), axis, indices.expand(ids))


def _scatter_src(x, index, src, value):
    if src is None:
        src = value
    if isinstance(src, Tensor):
        check_same_device(x, src)
        slicer = tuple(slice(0, s) for s in index.shape)
        src = src[slicer] if src.shape != index.shape else src
        return src.to(x.dtype) if src._dtype is not x._dtype else src
    return x.new_full(index.shape, src)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    axis = _check_gather_args(input, dim, index, "scatter")
    vals = _scatter_src(input, index, src, value)
    lin = _linear_index(input.shape, axis, index).reshape(-1)
    if reduce in ("add", "sum"):
        out = index_add(input.reshape(-1), 0, lin, vals.reshape(-1)).reshape(input.shape)
        return label(out, "ScatterAddBackward0")
    if reduce == "multiply":
        ones = input.new_ones(input.numel())
        factors = index_put_flat(ones, lin, vals.reshape(-1))
        return input * factors.reshape(input.shape)
    if reduce is not None:
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    out = index_put_flat(input.reshape(-1), lin, vals.reshape(-1)).reshape(input.shape)
    return label(out, "ScatterBackward0" if isinstance(src, Tensor) else "ScatterBackward1")


def scatter_add(input, dim, index, src):
    return scatter(input, dim, index, src, reduce="add")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce == "sum":
        return scatter(input if include_self else input.scatter(dim, index, 0), dim, index, src, reduce="add")
    raise RuntimeError(f"scatter_reduce: only reduce='sum' is provided by plait's core (got {reduce!r})")


def index_select(input, dim, index):
    _check_index(index, "index_select", input)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    axis = normalize_dims(dim, input.ndim)[0] if input.ndim else 0
    index = _wrap_and_check(index.reshape(-1), input.shape[axis] if input.ndim else 1, axis)
    return label(take(input, index, axis), "IndexSelectBackward0")


def index_fill(input, dim, index, value):
    axis = normalize_dims(dim, input.ndim)[0]
    key = (slice(None),) * axis + (index,)
    out = input.clone()
    out[key] = value
    return out


def masked_fill(input, mask, value):
    if not isinstance(mask, Tensor) or mask._dtype is not _dtype.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    check_same_device(input, mask)
    from .elementwise import where
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        return label(where(mask, value.to(input.dtype), input), "MaskedFillBackward1")
    if isinstance(value, float) and not input._dtype.is_floating_point:
        value = int(value) if input._dtype is not _dtype.bool_ else bool(value)
    return label(where(mask, input.new_full((), value), input), "MaskedFillBackward0")


def masked_select(input, mask):
    from .shape import broadcast_tensors
    check_same_device(input, mask)
    x, m = broadcast_tensors(input, mask)
    return label(getitem(x, m), "MaskedSelectBackward0")


def masked_scatter(input, mask, source):
    from .shape import broadcast_tensors
    check_same_device(input, source)
    x, m = broadcast_tensors(input, mask)
    pos = _flat_positions(x, m).reshape(-1)
    n = pos.numel()
    return index_put_flat(x.reshape(-1), pos, source.reshape(-1)[:n]).reshape(x.shape)


class _NonZero(Op):
    def forward(self, x):
        xp = self.xp
        parts = xp.nonzero(x) if x.ndim else xp.nonzero(xp.reshape(x, (1,)))
        parts = [xp.astype(p, xp.int64) for p in parts]
        if not parts:
            return xp.zeros((0, 0), dtype=xp.int64)
        return xp.stack(parts, axis=1)

    def backward(self, g):
        return None


def nonzero(input, *, as_tuple=False):
    with _NoGrad():
        out = _NonZero.apply(input)
    if input.ndim == 0:
        out = out[:, :0]
    if as_tuple:
        if input.ndim == 0:
            return (out.reshape(-1)[: out.shape[0]] * 0,)
        return tuple(out[:, i] for i in range(input.ndim))
    return out


def argwhere(input):
    return nonzero(input)
