"""sort/argsort/topk/kthvalue/unique. Values are gathered with the indices, so gradients flow through
``gather``."""
from collections import namedtuple

from .. import _dtype
from ..autograd.graph import NonDifferentiable
from .reduction import normalize_dims, return_type

_sort_t, _topk_t, _kthvalue_t = return_type("sort"), return_type("topk"), return_type("kthvalue")
from .indexing import gather


class _ArgSort(NonDifferentiable):
    def forward(self, x, axis, descending, stable):
        return self.xp.argsort(x, axis=axis, descending=descending, stable=True)


def argsort(input, dim=-1, descending=False, stable=False):
    if input.ndim == 0:
        return input.new_zeros((), dtype=__import__("plait").int64)
    axis = normalize_dims(dim, input.ndim)[0]
    idx = _ArgSort.apply(input, axis, descending, stable)
    return idx if idx.dtype.name == "int64" else idx.long()


def sort(input, dim=-1, descending=False, stable=False):
    if input.ndim == 0:
        return _sort_t(input.clone(), argsort(input))
    idx = argsort(input, dim, descending, stable)
    return _sort_t(gather(input, normalize_dims(dim, input.ndim)[0], idx), idx)


def topk(input, k, dim=-1, largest=True, sorted=True):
    axis = normalize_dims(dim, input.ndim)[0] if input.ndim else 0
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (k={k}, dimension size {size})")
    idx = argsort(input, axis, descending=largest).narrow(axis, 0, k) if input.ndim else argsort(input)
    return _topk_t(gather(input, axis, idx) if input.ndim else input.clone(), idx)


def kthvalue(input, k, dim=-1, keepdim=False):
    axis = normalize_dims(dim, input.ndim)[0]
    idx = argsort(input, axis).narrow(axis, k - 1, 1)
    vals = gather(input, axis, idx)
    if not keepdim:
        vals, idx = vals.squeeze(axis), idx.squeeze(axis)
    return _kthvalue_t(vals, idx)


class _Unique(NonDifferentiable):
    def forward(self, x):
        return _unique_all(self.xp, self.xp.reshape(x, (-1,)))


_UniqueAll = namedtuple("_UniqueAll", "values inverse_indices counts")


def _unique_all(xp, flat):
    """``unique_all`` from ``unique_inverse`` + ``unique_counts``: array-api-compat's torch namespace has no
    ``unique_all`` (found by the plait-torch backend)."""
    inv = xp.unique_inverse(flat)
    return _UniqueAll(inv.values, inv.inverse_indices, xp.unique_counts(flat).counts)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    from ..ops._common import make_like
    if dim is not None:
        raise RuntimeError("unique(dim=...) is not provided by plait's core; call unique() on the flattened tensor")
    xp = input._backend.xp
    res = _unique_all(xp, xp.reshape(input._data, (-1,)))
    order = xp.argsort(res.values)
    values = make_like(xp.take(res.values, order), input)
    out = [values]
    if return_inverse:
        rank = xp.argsort(order)
        inv = xp.take(rank, xp.reshape(res.inverse_indices, (-1,)))
        out.append(make_like(xp.reshape(xp.astype(inv, xp.int64), input.shape), input))
    if return_counts:
        out.append(make_like(xp.astype(xp.take(res.counts, order), xp.int64), input))
    return out[0] if len(out) == 1 else tuple(out)


_median_t = return_type("median")


def median(input, dim=None, keepdim=False):
    """The lower median (the ``(n-1)//2``-th smallest value; NaN where a NaN is present, as in torch): a
    0-d tensor over all elements, or ``(values, indices)`` along ``dim``. The gradient goes to the chosen
    element."""
    from .elementwise import where
    floating = input._dtype.is_floating_point
    if dim is None:
        flat = input.reshape(-1)
        n = flat.shape[0]
        if n == 0:
            return input.new_full((), float("nan"))
        idx = argsort(flat).narrow(0, (n - 1) // 2, 1)
        if floating:
            nan = flat.isnan()
            idx = where(nan.any(), nan.long().argmax().reshape(1), idx)
        return gather(flat, 0, idx).reshape(())
    if input.ndim == 0:
        normalize_dims(dim, 0)
        return _median_t(input.clone(), input.new_zeros((), dtype=_dtype.int64))
    axis = normalize_dims(dim, input.ndim)[0]
    n = input.shape[axis]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
    idx = argsort(input, axis).narrow(axis, (n - 1) // 2, 1)
    if floating:
        nan = input.isnan()
        idx = where(nan.any(axis, keepdim=True), nan.long().argmax(axis, keepdim=True), idx)
    vals = gather(input, axis, idx)
    if not keepdim:
        vals, idx = vals.squeeze(axis), idx.squeeze(axis)
    return _median_t(vals, idx)
