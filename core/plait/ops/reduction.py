"""Reductions with torch's ``dim``/``keepdim`` semantics; ``max(dim)``/``min(dim)`` return (values, indices)."""
import math
from collections import namedtuple

from .. import _dtype
from ..autograd.graph import Op, NonDifferentiable
from ._common import Tensor, float_input, make_like

values_indices = namedtuple("return_types", ["values", "indices"])


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
        if x.ndim == 0:
            return self.xp.astype(x, native) if native is not None else x
        return self.xp.sum(x, axis=axes, keepdims=keepdim, dtype=native)

    def backward(self, g):
        return _expand_back(g, self.in_shape, self.axes, self.keepdim), None, None, None


class Mean(Op):
    def forward(self, x, axes, keepdim):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        if x.ndim == 0:
            return x
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
            return x
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
        return self.xp.max(x) if largest else self.xp.min(x)

    def backward(self, g):
        x, _ = self.saved_tensors
        mask = (x == self.output).to(g.dtype)
        return g * mask / mask.sum(), None


class Amax(Op):
    save_inputs = True
    save_output = True

    def forward(self, x, axes, keepdim, largest):
        self.axes, self.keepdim = axes, keepdim
        f = self.xp.max if largest else self.xp.min
        return f(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        x = self.saved_tensors[0]
        out = _expand_back(self.output, x.shape, self.axes, self.keepdim)
        mask = (x == out).to(g.dtype)
        count = mask.sum(dim=self.axes, keepdim=True)
        return _expand_back(g, x.shape, self.axes, self.keepdim) * mask / count, None, None, None


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
        if x.ndim == 0:
            return x
        return self.xp.cumulative_sum(x, axis=axis, dtype=native)

    def backward(self, g):
        if g.ndim == 0:
            return g, None, None
        return g.flip(self.axis).cumsum(self.axis).flip(self.axis), None, None


class CumProd(Op):
    save_inputs = True
    save_output = True

    def forward(self, x, axis):
        self.axis = axis
        if x.ndim == 0:
            return x
        return self.xp.cumulative_prod(x, axis=axis)

    def backward(self, g):
        x = self.saved_tensors[0]
        if g.ndim == 0:
            return g, None
        out = self.output
        # sum_{k>=i} g_k * out_k / x_i (inputs with zeros fall back to that same formula on a safe x)
        rev = (g * out).flip(self.axis).cumsum(self.axis).flip(self.axis)
        return rev / x.masked_fill(x == 0, 1), None


class Norm2(Op):
    save_inputs = True
    save_output = True

    def forward(self, x, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim
        xp = self.xp
        return xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdim))

    def backward(self, g):
        x = self.saved_tensors[0]
        out = _expand_back(self.output, x.shape, self.axes, self.keepdim)
        g = _expand_back(g, x.shape, self.axes, self.keepdim)
        return g * x / out.masked_fill(out == 0, 1), None, None


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
    if input.ndim == 0 and native is None:
        return Sum.apply(input, axes, keepdim, None) if input._requires_grad else input.clone()
    return Sum.apply(input, axes, keepdim, native)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return sum(input.masked_fill(input.isnan(), 0), dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if not input._dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {input._dtype.name.capitalize()}")
    return Mean.apply(input, normalize_dims(dim, input.ndim), keepdim)


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
    if input.ndim == 0:
        return values_indices(input.clone(), make_like(input._backend.xp.zeros((), dtype=indices._data.dtype),
                                                       input))
    from .indexing import gather
    values = gather(input, axis, indices)
    if not keepdim:
        values = values.squeeze(axis)
        indices = indices.squeeze(axis)
    return values_indices(values, indices)


def max(input, dim=None, keepdim=False):
    return _extreme(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False):
    return _extreme(input, dim, keepdim, False)


def amax(input, dim=(), keepdim=False):
    axes = normalize_dims(dim if dim != () else None, input.ndim)
    return Amax.apply(input, axes, keepdim, True)


def amin(input, dim=(), keepdim=False):
    axes = normalize_dims(dim if dim != () else None, input.ndim)
    return Amax.apply(input, axes, keepdim, False)


def aminmax(input, *, dim=None, keepdim=False):
    mm = namedtuple("aminmax", ["min", "max"])
    return mm(amin(input, dim if dim is not None else (), keepdim), amax(input, dim if dim is not None else (),
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
    axes = normalize_dims(dim, x.ndim)
    n = math.prod(x.shape[a] for a in axes) if x.ndim else 1
    centered = x - x.mean(dim=axes, keepdim=True)
    return (centered * centered).sum(dim=axes, keepdim=keepdim) / (n - c if n - c > 0 else float("nan"))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    x = float_input(input if dtype is None else input.to(dtype))
    axes = normalize_dims(dim, x.ndim)
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
    axes = normalize_dims(dim, x.ndim)
    m = x.detach().amax(dim=axes, keepdim=True)
    m = m.masked_fill(m.isinf(), 0)
    out = (x - m).exp().sum(dim=axes, keepdim=True).log() + m
    return out if keepdim else out.squeeze(axes) if axes else out


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
