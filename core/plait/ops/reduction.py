"""Reductions with torch's ``dim``/``keepdim`` semantics; ``max(dim)``/``min(dim)`` return (values, indices)."""
import math
from collections import namedtuple

from .. import _dtype
from ..autograd.graph import Op, NonDifferentiable
from ._common import Tensor, float_input, make_like, label

def return_type(name, fields=("values", "indices")):
    """A named tuple printed like torch's ``torch.return_types.max(\nvalues=...,\nindices=...)``."""
    def __repr__(self):
        return f"plait.return_types.{name}(\n" + ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self)) + ")"
    return type(name, (namedtuple(name, fields),), {"__slots__": (), "__repr__": __repr__})


values_indices = return_type("max")
_RETURN = {True: values_indices, False: return_type("min")}
_aminmax = return_type("aminmax", ("min", "max"))


def normalize_dims(dim, ndim, name="dim"):
    """Return a sorted tuple of non-negative axes (all axes for None)."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    rank = ndim if ndim > 1 else 1
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
                             f"but got {d})")
        out.append(d % rank if ndim else 0)
    return tuple(sorted(set(out)))


def reduce_axes(dim, ndim):
    """``normalize_dims`` for a reduction: a 0-d tensor accepts dim 0/-1 but has no axis to reduce."""
    axes = normalize_dims(dim, ndim)
    return axes if ndim else ()


def _expand_back(g, in_shape, axes, keepdim):
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim and axes:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        g = g.reshape(tuple(shape))
    return g.expand(in_shape)


class Sum(Op):
    def forward(self, x, axes, keepdim, native):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        # with dtype=, the gradient goes back in the input's dtype
        self.in_dtype = self.backend.native_to_dtype[x.dtype] if native is not None else None
        if x.ndim == 0:  # a new array: the result must not alias the input
            return self.xp.astype(x, native) if native is not None else self.xp.asarray(x, copy=True)
        return self.xp.sum(x, axis=axes, keepdims=keepdim, dtype=native)

    def backward(self, g):
        g = _expand_back(g, self.in_shape, self.axes, self.keepdim)
        return (g if self.in_dtype is None else g.to(self.in_dtype)), None, None, None


class Mean(Op):
    def forward(self, x, axes, keepdim):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        if x.ndim == 0:
            return self.xp.asarray(x, copy=True)
        self.count = math.prod(x.shape[a] for a in axes)
        return self.xp.mean(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        if not self.in_shape:
            return g, None, None
        return _expand_back(g / self.count, self.in_shape, self.axes, self.keepdim), None, None


class Prod(Op):
    save_inputs = True
    save_output = True

    def forward(self, x, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim
        if x.ndim == 0:
            return self.xp.asarray(x, copy=True)
        return self.xp.prod(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        x, _, _ = self.saved_tensors
        out = self.output
        if x.ndim == 0:
            return g, None, None
        g = _expand_back(g, x.shape, self.axes, self.keepdim)
        out = _expand_back(out, x.shape, self.axes, self.keepdim)
        # out / x, computed without dividing by zero: product of the other elements
        safe = x.masked_fill(x == 0, 1)
        others = out / safe
        zeros = (x == 0)
        if zeros.any().item():
            # where x_i == 0 the gradient is the product of the other elements
            prod_nonzero = safe.prod(dim=self.axes, keepdim=True).expand(x.shape)
            nzero = zeros.sum(dim=self.axes, keepdim=True).expand(x.shape)
            others = others.where(~zeros, prod_nonzero.where(nzero == 1, 0))
        return g * others, None, None


class ExtremeAll(Op):
    """max()/min() over all elements; ties share the gradient evenly, as torch does."""
    save_inputs = True
    save_output = True

    def forward(self, x, largest):
        if x.size == 0:
            raise RuntimeError(f"{'max' if largest else 'min'}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        self.largest = largest
        return self.xp.max(x) if largest else self.xp.min(x)

    def _name(self):
        return "MaxBackward1" if self.largest else "MinBackward1"

    def backward(self, g):
        x, _ = self.saved_tensors
        mask = (x == self.output).to(g.dtype)
        return g * mask / mask.sum(), None


class Amax(Op):
    save_inputs = True
    save_output = True

    def forward(self, x, axes, keepdim, largest):
        self.axes, self.keepdim, self.largest = axes, keepdim, largest
        f = self.xp.max if largest else self.xp.min
        return f(x, axis=axes, keepdims=keepdim) if axes else self.xp.asarray(x, copy=True)

    def backward(self, g):
        x = self.saved_tensors[0]
        out = _expand_back(self.output, x.shape, self.axes, self.keepdim)
        mask = (x == out).to(g.dtype)
        count = mask.sum(dim=self.axes, keepdim=True)
        return _expand_back(g, x.shape, self.axes, self.keepdim) * mask / count, None, None, None

    def _name(self):
        return "AmaxBackward0" if self.largest else "AminBackward0"


class ArgExtreme(NonDifferentiable):
    def forward(self, x, axis, keepdim, largest):
        f = self.xp.argmax if largest else self.xp.argmin
        if axis is None:
            return f(self.xp.reshape(x, (-1,)))
        return f(x, axis=axis, keepdims=keepdim)


class AllAny(NonDifferentiable):
    def forward(self, x, axes, keepdim, want_all):
        f = self.xp.all if want_all else self.xp.any
        return f(x, axis=axes, keepdims=keepdim)


class CumSum(Op):
    def forward(self, x, axis, native):
        self.axis = axis
        self.in_dtype = self.backend.native_to_dtype[x.dtype] if native is not None else None
        if x.ndim == 0:
            return self.xp.astype(x, native) if native is not None else self.xp.asarray(x, copy=True)
        return self.xp.cumulative_sum(x, axis=axis, dtype=native)

    def backward(self, g):
        if g.ndim:
            g = g.flip(self.axis).cumsum(self.axis).flip(self.axis)
        return (g if self.in_dtype is None else g.to(self.in_dtype)), None, None

    def _name(self):
        return "CumsumBackward0"


class CumProd(Op):
    save_inputs = True
    save_output = True

    def forward(self, x, axis):
        self.axis = axis
        if x.ndim == 0:
            return self.xp.asarray(x, copy=True)
        return self.xp.cumulative_prod(x, axis=axis)

    def backward(self, g):
        x = self.saved_tensors[0]
        if g.ndim == 0:
            return g, None
        out = self.output
        axis = self.axis
        # sum_{k>=i} g_k * out_k / x_i: right everywhere except at the first zero of a slice (after it every
        # out_k is 0, and so is the gradient)
        rev = (g * out).flip(axis).cumsum(axis).flip(axis)
        grad = rev / x.masked_fill(x == 0, 1)
        zero = x == 0
        if zero.any().item():
            # at the first zero z: sum_{k>=z} g_k * prod_{j<=k, j!=z} x_j, the cumprod with x_z read as 1
            first = zero & (zero.cumsum(axis) == 1)
            others = x.masked_fill(first, 1).cumprod(axis)
            at_zero = (g * others).flip(axis).cumsum(axis).flip(axis)
            grad = at_zero.where(first, grad)
        return grad, None

    def _name(self):
        return "CumprodBackward0"


class Norm2(Op):
    save_inputs = True
    save_output = True

    def forward(self, x, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim
        xp = self.xp
        return xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdim) if axes else x * x)

    def backward(self, g):
        x = self.saved_tensors[0]
        out = _expand_back(self.output, x.shape, self.axes, self.keepdim)
        g = _expand_back(g, x.shape, self.axes, self.keepdim)
        return g * x / out.masked_fill(out == 0, 1), None, None

    def _name(self):
        return "LinalgVectorNormBackward0"


# ---------------------------------------------------------------- public functions
def _sum_dtype(x, dtype):
    if dtype is not None:
        return dtype
    # torch sums integers and bools in int64
    return _dtype.int64 if not x._dtype.is_floating_point else None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    if input._dtype is _dtype.bool_:  # the standard sums numbers only
        input = input.to(_dtype.int64)
    axes = normalize_dims(dim, input.ndim)
    d = _sum_dtype(input, dtype)
    native = input._backend.dtype_to_native[d] if d is not None else None
    if input.ndim == 0 and native is None and not input._requires_grad:
        return input.clone()
    out = Sum.apply(input, axes, keepdim, native)
    return out if dim is None else label(out, "SumBackward1")


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return sum(input.masked_fill(input.isnan(), 0), dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if not input._dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {input._dtype.name.capitalize()}")
    out = Mean.apply(input, normalize_dims(dim, input.ndim), keepdim)
    return out if dim is None else label(out, "MeanBackward1")


def nanmean(input, dim=None, keepdim=False):
    keep = ~input.isnan()
    return nansum(input, dim, keepdim) / keep.sum(dim, keepdim).to(input.dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif not input._dtype.is_floating_point:
        input = input.to(_dtype.int64)
    return Prod.apply(input, normalize_dims(dim, input.ndim), keepdim)


def _extreme(input, dim, keepdim, largest, other=None):
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        from .elementwise import maximum, minimum
        return (maximum if largest else minimum)(input, dim)
    if dim is None:
        return ExtremeAll.apply(input, largest)
    (axis,) = normalize_dims(dim, input.ndim)
    if input.ndim and input.shape[axis] == 0:
        raise IndexError(f"{'max' if largest else 'min'}(): Expected reduction dim {axis} to have non-zero size.")
    indices = ArgExtreme.apply(input, axis, True, largest)
    result = _RETURN[largest]
    if input.ndim == 0:
        return result(input.clone(), make_like(input._backend.xp.zeros((), dtype=indices._data.dtype), input))
    values = ExtremeDim.apply(input, indices, axis)
    if not keepdim:
        values = values.squeeze(axis)
        indices = indices.squeeze(axis)
    return result(label(values, "MaxBackward0" if largest else "MinBackward0"), indices)


class ExtremeDim(Op):
    """The values at ``indices`` (the arg-extreme along ``axis``, kept as a size-1 dim). The gradient goes to
    the chosen element only, through a one-hot mask: elementwise, no scatter."""

    def forward(self, x, indices, axis):
        self.indices, self.axis, self.size = indices, axis, x.shape[axis]
        return self.xp.take_along_axis(x, indices, axis=axis)

    def backward(self, g):
        from ..creation import arange
        from .elementwise import where
        shape = [1] * g.ndim
        shape[self.axis] = self.size
        onehot = arange(self.size, device=g.device).reshape(shape) == make_like(self.indices, g)
        return where(onehot, g, g.new_zeros(())), None, None


def max(input, dim=None, keepdim=False):
    return _extreme(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False):
    return _extreme(input, dim, keepdim, False)


def amax(input, dim=(), keepdim=False):
    axes = reduce_axes(dim if dim != () else None, input.ndim)
    return Amax.apply(input, axes, keepdim, True)


def amin(input, dim=(), keepdim=False):
    axes = reduce_axes(dim if dim != () else None, input.ndim)
    return Amax.apply(input, axes, keepdim, False)


def aminmax(input, *, dim=None, keepdim=False):
    return _aminmax(amin(input, dim if dim is not None else (), keepdim), amax(input, dim if dim is not None else (),
                                                                             keepdim))


def argmax(input, dim=None, keepdim=False):
    axis = None if dim is None else normalize_dims(dim, input.ndim)[0]
    if input.ndim == 0:
        axis = None
    return ArgExtreme.apply(input, axis, keepdim and axis is not None, True)


def argmin(input, dim=None, keepdim=False):
    axis = None if dim is None else normalize_dims(dim, input.ndim)[0]
    if input.ndim == 0:
        axis = None
    return ArgExtreme.apply(input, axis, keepdim and axis is not None, False)


def all(input, dim=None, keepdim=False):
    return AllAny.apply(input, normalize_dims(dim, input.ndim) if input.ndim else None, keepdim, True)


def any(input, dim=None, keepdim=False):
    return AllAny.apply(input, normalize_dims(dim, input.ndim) if input.ndim else None, keepdim, False)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # torch.var(x, False): the positional `unbiased` overload
        unbiased, dim = dim, None
    c = _correction(unbiased, correction)
    x = float_input(input)
    axes = reduce_axes(dim, x.ndim)
    n = math.prod(x.shape[a] for a in axes) if x.ndim else 1
    centered = x - x.mean(dim=axes, keepdim=True)
    out = (centered * centered).sum(dim=axes, keepdim=keepdim) / (n - c if n - c > 0 else float("nan"))
    return label(out, "VarBackward0")


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return label(var(input, dim, unbiased, keepdim, correction=correction).sqrt(), "StdBackward0")


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    x = float_input(input if dtype is None else input.to(dtype))
    axes = reduce_axes(dim, x.ndim)
    if p in ("fro", 2, 2.0, None):
        return Norm2.apply(x, axes, keepdim)
    if p in (float("inf"), "inf"):
        return x.abs().amax(dim=axes, keepdim=keepdim)
    if p in (float("-inf"), "-inf"):
        return x.abs().amin(dim=axes, keepdim=keepdim)
    if p == 1:
        return x.abs().sum(dim=axes, keepdim=keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim=axes, keepdim=keepdim)
    if p == "nuc":
        raise RuntimeError("norm(p='nuc') needs a singular value decomposition, which plait's core does not "
                           "provide; use p='fro', a number, or inf")
    return x.abs().pow(p).sum(dim=axes, keepdim=keepdim).pow(1.0 / p)


def logsumexp(input, dim, keepdim=False):
    x = float_input(input)
    axes = reduce_axes(dim, x.ndim)
    m = x.detach().amax(dim=axes, keepdim=True)
    m = m.masked_fill(m.isinf(), 0)
    out = (x - m).exp().sum(dim=axes, keepdim=True).log() + m
    out = out if keepdim else out.squeeze(axes) if axes else out
    return label(out, "LogsumexpBackward0")


def cumsum(input, dim, *, dtype=None):
    if input._dtype is _dtype.bool_:
        input = input.to(_dtype.int64)
    axis = normalize_dims(dim, input.ndim)[0] if input.ndim else 0
    d = _sum_dtype(input, dtype)
    native = input._backend.dtype_to_native[d] if d is not None else None
    return CumSum.apply(input, axis, native)


def cumprod(input, dim, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    axis = normalize_dims(dim, input.ndim)[0] if input.ndim else 0
    return CumProd.apply(input, axis)


def count_nonzero(input, dim=None):
    return (input != 0).sum(dim)
