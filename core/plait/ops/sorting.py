"""sort/argsort/topk/kthvalue/unique. Values are gathered with the indices, so gradients flow through
``gather``."""
from collections import namedtuple

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
