"""Shape and layout ops. Views (view, permute, expand, squeeze...) share the version counter with their
base, as in torch; plait tracks contiguity itself since the Array API exposes no strides."""
import math

from .. import _dtype
from ..autograd.graph import Op, trace_state as _trace_state
from ._common import Tensor, check_same_device, label
from .reduction import normalize_dims


def _as_shape(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, int):
            raise TypeError(f"shape arguments must be ints, got {type(a).__name__}")
        out.append(a)
    return tuple(out)


def infer_shape(shape, numel, original):
    """Resolve a single -1 and check the element count (torch's messages)."""
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = math.prod(s for s in shape if s != -1)
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _row_major(shape):
    strides, acc = [], 1
    for size in reversed(shape):
        strides.append(acc)
        acc *= size
    return tuple(reversed(strides))


def _step_strides(shape, strides, step, out_shape):
    """The strides (in elements of the root's memory) of a view made by ``step`` from one with these strides."""
    kind, arg = step
    if kind == "reshape":  # only ever applied to a contiguous tensor (or without changing the shape)
        return strides if out_shape == shape else _row_major(out_shape)
    if kind == "permute":
        return tuple(strides[a] for a in arg)
    if kind == "unsqueeze":
        return strides[:arg] + (0,) + strides[arg:]
    if kind == "squeeze":
        return tuple(s for i, s in enumerate(strides) if i not in arg)
    if kind in ("expand", "broadcast"):
        lead = len(out_shape) - len(shape)
        return (0,) * lead + tuple(0 if size == 1 and n != 1 else s
                                   for size, n, s in zip(shape, out_shape[lead:], strides))
    out, d = [], 0  # "index": a basic key
    for k in arg:
        if k is None:
            out.append(0)
            continue
        if isinstance(k, slice):
            out.append(strides[d] * (k.step or 1))
        d += 1
    return tuple(out) + strides[d:]


def _is_contiguous(shape, strides):
    """torch's rule: row-major strides, dims of size 1 not counting; empty tensors are contiguous."""
    if 0 in shape:
        return True
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def _as_view(out, base, step):
    """Mark ``out`` as a view of ``base``: shared version counter, contiguity from its strides, and (for
    autograd through in-place ops on views) its root tensor and the view steps from it:
    ``_view = (root, steps, version when its history was last built, strides)``."""
    out._vc = base._vc
    view = base._view
    parent = view[3] if view is not None else _row_major(base._data.shape)
    strides = _step_strides(base._data.shape, parent, step, out._data.shape)
    out._contig = _is_contiguous(out._data.shape, strides)
    if view is not None:
        out._view = (view[0], view[1] + (step,), out._vc[0], strides)
    else:
        out._view = (base, (step,), out._vc[0], strides)
    return out


def replay_view(t, steps):
    """Apply recorded view steps to ``t`` (a tensor shaped like the view's root)."""
    for kind, arg in steps:
        if kind == "reshape":
            t = view(t, arg)
        elif kind == "permute":
            t = permute(t, arg)
        elif kind == "unsqueeze":
            t = unsqueeze(t, arg)
        elif kind == "squeeze":
            t = squeeze(t, arg)
        elif kind == "expand" or kind == "broadcast":
            t = expand(t, arg)
        else:
            from .indexing import getitem
            t = getitem(t, arg)
    return t


_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans "
               "across two contiguous subspaces). Use .reshape(...) instead.")


class _NotAView(Exception):
    """The backend could not reshape without copying: the array's memory is not row-major (an elementwise
    result of a transposed input keeps the transposed layout on NumPy)."""


class Reshape(Op):
    def forward(self, x, shape, must_alias=False):
        self.in_shape = x.shape
        if must_alias and x.size:
            try:
                return self.xp.reshape(x, shape, copy=False)
            except (ValueError, AttributeError):
                raise _NotAView() from None
        return self.xp.reshape(x, shape)

    def backward(self, g):
        return g.reshape(self.in_shape), None

    def _name(self):
        return "ViewBackward0"


class Permute(Op):
    def forward(self, x, axes):
        self.axes = axes
        return self.xp.permute_dims(x, axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return g.permute(inverse), None


class Expand(Op):
    def forward(self, x, shape):
        self.in_shape = x.shape
        return self.xp.broadcast_to(x, shape)

    def backward(self, g):
        from ..autograd.engine import _sum_to
        return _sum_to(g, self.in_shape), None


class Concat(Op):
    def _name(self):
        return "CatBackward0"

    def forward(self, *arrays, axis):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return self.xp.concat(arrays, axis=axis)

    def backward(self, g):
        out, start = [], 0
        for size in self.sizes:
            out.append(g.narrow(self.axis, start, size))
            start += size
        return tuple(out)


class Stack(Op):
    def forward(self, *arrays, axis):
        self.axis = axis
        return self.xp.stack(arrays, axis=axis)

    def backward(self, g):
        return tuple(g.unbind(self.axis))


class Flip(Op):
    def forward(self, x, axes):
        self.axes = axes
        return self.xp.flip(x, axis=axes)

    def backward(self, g):
        return g.flip(self.axes), None


class Roll(Op):
    def forward(self, x, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return self.xp.roll(x, shift=shifts, axis=axes)

    def backward(self, g):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return g.roll(neg, self.axes), None, None


class Tile(Op):
    def _name(self):
        return "RepeatBackward0"

    def forward(self, x, reps):
        self.in_shape = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
        self.reps = reps
        return self.xp.tile(x, reps)

    def backward(self, g):
        split = []
        for r, s in zip(self.reps, self.in_shape):
            split += [r, s]
        g = g.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return g.reshape(self.orig_shape), None


class Tri(Op):
    def forward(self, x, k, upper):
        self.k, self.upper = k, upper
        return (self.xp.triu if upper else self.xp.tril)(x, k=k)

    def backward(self, g):
        return (g.triu(self.k) if self.upper else g.tril(self.k)), None, None

    def _name(self):
        return "TriuBackward0" if self.upper else "TrilBackward0"


# ---------------------------------------------------------------- public functions
def view(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise RuntimeError("view(dtype) reinterprets memory, which the Array API cannot express; use .to(dtype)")
    shape = infer_shape(_as_shape(shape), x.numel(), x.shape)
    if not x._contig and shape != x.shape:
        raise RuntimeError(_VIEW_ERROR)
    if shape == x.shape and not x._requires_grad:
        return _as_view(x._alias(), x, ("reshape", shape))
    try:
        return _as_view(Reshape.apply(x, shape, True), x, ("reshape", shape))
    except _NotAView:
        # Contiguous for torch, but the backend kept another memory order (NumPy: a reduction or
        # elementwise result of a permuted input, the input gradient of a convolution). torch would
        # alias; the nearest plait can do is an independent copy, never recorded as a view of x.
        return label(Reshape.apply(x, shape), "ViewBackward0")


def reshape(x, *shape):
    shape = infer_shape(_as_shape(shape), x.numel(), x.shape)
    if x._contig:
        return view(x, shape)
    return label(Reshape.apply(x, shape), "UnsafeViewBackward0")  # torch: a contiguous copy, then a view


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s = normalize_dims(start_dim, x.ndim)[0]
    e = normalize_dims(end_dim, x.ndim)[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:]
    return reshape(x, shape)


def unflatten(x, dim, sizes):
    d = normalize_dims(dim, x.ndim)[0]
    sizes = infer_shape(tuple(sizes), x.shape[d], None)
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def permute(x, *dims):
    dims = _as_shape(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
                           f"equal to len(dims) = {len(dims)}".replace("(sparse_coo)", ""))
    axes = tuple(d % x.ndim if x.ndim else 0 for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    for d in dims:
        normalize_dims(d, x.ndim)
    return _as_view(Permute.apply(x, axes), x, ("permute", axes))


def transpose(x, dim0, dim1):
    if x.ndim == 0:
        return x._alias() if not x._requires_grad else x.view(())
    d0, d1 = normalize_dims(dim0, x.ndim)[0], normalize_dims(dim1, x.ndim)[0]
    axes = list(range(x.ndim))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return label(permute(x, axes), "TransposeBackward0")


swapaxes = swapdims = transpose


def t(x):
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    if x.ndim < 2:
        return x._alias() if not x._requires_grad else label(Reshape.apply(x, x.shape), "TBackward0")
    return label(transpose(x, 0, 1), "TBackward0")


def movedim(x, source, destination):
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    src = tuple(normalize_dims(s, x.ndim)[0] for s in src)
    dst = tuple(normalize_dims(d, x.ndim)[0] for d in dst)
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, order)


moveaxis = movedim


def unsqueeze(x, dim):
    rank = x.ndim + 1
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})")
    d = dim % rank
    return label(_as_view(Reshape.apply(x, x.shape[:d] + (1,) + x.shape[d:]), x, ("unsqueeze", d)),
                 "UnsqueezeBackward0")


def squeeze(x, dim=None):
    if dim is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    else:
        axes = tuple(a for a in normalize_dims(dim, x.ndim) if x.ndim and x.shape[a] == 1)
    name = "SqueezeBackward0" if dim is None else "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    if not axes:
        return _as_view(x._alias(), x, ("squeeze", ())) if not x._requires_grad else \
            label(_as_view(Reshape.apply(x, x.shape), x, ("squeeze", ())), name)
    shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    return label(_as_view(Reshape.apply(x, shape), x, ("squeeze", axes)), name)


def expand(x, *sizes):
    sizes = _as_shape(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({x.ndim})")
    lead = len(sizes) - x.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   "non-existing dimension 0")
            target.append(s)
            continue
        cur = x.shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(x.shape)}")
        target.append(s)
    target = tuple(target)
    if target == x.shape:
        return _as_view(x._alias(), x, ("expand", target)) if not x._requires_grad else \
            _as_view(Expand.apply(x, target), x, ("expand", target))
    return _as_view(Expand.apply(x, target), x, ("broadcast", target))  # elements now share memory


def expand_as(x, other):
    return expand(x, other.shape)


def broadcast_to(x, shape):
    return expand(x, shape)


def broadcast_shapes(*shapes):
    result = []
    for shape in shapes:
        shape = tuple(shape)
        for i in range(1, len(shape) + 1):
            s = shape[-i]
            if i > len(result):
                result.insert(0, s)
            elif result[-i] == 1:
                result[-i] = s
            elif s != 1 and s != result[-i]:
                raise RuntimeError(f"The size of tensor a ({result[-i]}) must match the size of tensor b ({s}) at "
                                   f"non-singleton dimension {len(result) - i}")
    return tuple(result)


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def is_row_major(x):
    """Whether ``x`` is contiguous in torch's sense. plait's stride bookkeeping (``_contig``) covers views;
    an elementwise result of a transposed input may still be stored transposed (NumPy keeps its input's
    layout), so ask the namespace too: a row-major array flattens without a copy."""
    if not x._contig:
        return False
    if 0 in x.shape or x.ndim < 2:
        return True
    try:
        x._backend.xp.reshape(x._data, (-1,), copy=False)
    except (ValueError, AttributeError):
        return False
    return True


def contiguous(x):
    if is_row_major(x):
        return x
    # an exporter must see the copy as an op (it follows tensors through the ops that make them)
    out = label(Reshape.apply(x, x.shape), "CloneBackward0") if x._requires_grad or _trace_state.active \
        else x._alias()
    # Flattening copies in row-major order (asarray(copy=True), or a same-shape reshape on some namespaces,
    # keeps a transposed layout); unflattening the copy is a view.
    xp = x._backend.xp
    out._data = xp.reshape(xp.reshape(x._data, (-1,), copy=True), x._data.shape)
    out._vc = [0]
    out._contig = True
    return out


def _common(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    first = tensors[0]
    d = first._dtype
    for t in tensors[1:]:
        check_same_device(first, t)
        d = _dtype.promote_types(d, t._dtype)
    return [t if t._dtype is d else t.to(d) for t in tensors]


def cat(tensors, dim=0):
    tensors = _common(tensors, "cat")
    # torch skips legacy empty 1-D tensors in cat
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = tensors[0]
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = normalize_dims(dim, ref.ndim)[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for d in range(ref.ndim):
            if d != axis and t.shape[d] != ref.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size "
                                   f"{ref.shape[d]} but got size {t.shape[d]} for tensor number {i} in the list.")
    if len(tensors) == 1:
        return tensors[0].clone()
    return Concat.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = _common(tensors, "stack")
    ref = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != ref.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry 0 "
                               f"and {list(t.shape)} at entry {i}")
    axis = normalize_dims(dim, ref.ndim + 1)[0]
    return Stack.apply(*tensors, axis=axis)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def narrow(x, dim, start, length):
    axis = normalize_dims(dim, x.ndim)[0]
    if start < 0:
        start += x.shape[axis]
    if not 0 <= start <= x.shape[axis] or start + length > x.shape[axis] or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({x.shape[axis]}).")
    key = (slice(None),) * axis + (slice(start, start + length),)
    return x[key]


def select(x, dim, index):
    axis = normalize_dims(dim, x.ndim)[0]
    size = x.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(x.shape)} at "
                         f"dimension {axis}")
    return x[(slice(None),) * axis + (index,)]


def unbind(x, dim=0):
    axis = normalize_dims(dim, x.ndim)[0]
    return tuple(label(select(x, axis, i), "UnbindBackward0") for i in range(x.shape[axis]))


def split(x, split_size_or_sections, dim=0):
    axis = normalize_dims(dim, x.ndim)[0]
    size = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = [min(step, size - s) for s in range(0, size, step)] or [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                               f"at dimension {axis}), but got split_sizes={sections}")
    name = "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"
    out, start = [], 0
    for s in sections:
        out.append(label(narrow(x, axis, start, s), name))
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    axis = normalize_dims(dim, x.ndim)[0]
    size = x.shape[axis]
    step = -(-size // chunks) if size else 1
    return split(x, step, axis)


def tensor_split(x, indices_or_sections, dim=0):
    axis = normalize_dims(dim, x.ndim)[0]
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        sizes = [size // n + (1 if i < size % n else 0) for i in range(n)]
        return split(x, sizes, axis)
    bounds = [0, *indices_or_sections, size]
    return tuple(narrow(x, axis, a, max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:]))


def flip(x, dims):
    axes = normalize_dims(dims, x.ndim)
    return Flip.apply(x, axes)


def fliplr(x):
    return flip(x, 1)


def flipud(x):
    return flip(x, 0)


def roll(x, shifts, dims=None):
    if dims is None:
        flat = x.reshape(-1)
        return Roll.apply(flat, shifts if isinstance(shifts, int) else tuple(shifts), None).reshape(x.shape)
    axes = tuple(normalize_dims(d, x.ndim)[0] for d in ((dims,) if isinstance(dims, int) else dims))
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    return Roll.apply(x, shifts, axes)


def repeat(x, *sizes):
    reps = _as_shape(sizes)
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    out = Tile.apply(x, reps)
    if out.grad_fn is not None:
        out.grad_fn.orig_shape = x.shape
    return out


def tile(x, dims):
    dims = tuple(dims)
    if len(dims) < x.ndim:
        dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, dims)


def repeat_interleave(x, repeats, dim=None):
    if dim is None:
        x, dim = x.reshape(-1), 0
    axis = normalize_dims(dim, x.ndim)[0]
    if isinstance(repeats, int):
        expanded = unsqueeze(x, axis + 1)
        shape = list(expanded.shape)
        shape[axis + 1] = repeats
        out = expand(expanded, shape)
        return reshape(out, x.shape[:axis] + (x.shape[axis] * repeats,) + x.shape[axis + 1:])
    from .indexing import index_select
    from ..creation import tensor
    counts = repeats.tolist() if isinstance(repeats, Tensor) else list(repeats)
    if len(counts) != x.shape[axis]:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{len(counts)} and input.size({axis}) = {x.shape[axis]}")
    idx = tensor([i for i, c in enumerate(counts) for _ in range(c)], device=x.device)
    return index_select(x, axis, idx)


def tril(x, diagonal=0):
    return Tri.apply(x, diagonal, False)


def triu(x, diagonal=0):
    return Tri.apply(x, diagonal, True)


def atleast_1d(x):
    return x.reshape(1) if x.ndim == 0 else x


def atleast_2d(x):
    return x.reshape(1, -1) if x.ndim < 2 else x


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d/1-d tensors: output ``i`` varies along dim ``i`` (``"ij"``, the default) or
    with the first two dims swapped (``"xy"``); each output is an expanded view of its input."""
    import warnings
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("xy", "ij"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t!r}")
    if any(t._dtype is not tensors[0]._dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if any(t._device != tensors[0]._device for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(range(len(tensors)))
    if swap:
        order[0], order[1] = 1, 0
    sizes = [tensors[i].numel() for i in order]
    grids = []
    for position, i in enumerate(order):
        shape = [1] * len(tensors)
        shape[position] = sizes[position]
        grids.append((i, tensors[i].reshape(shape).expand(sizes)))
    return tuple(g for _, g in sorted(grids, key=lambda pair: pair[0]))
