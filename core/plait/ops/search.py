"""Searching sorted sequences and membership: ``searchsorted``, ``bucketize``, ``isin``; plus ``diff``.

The standard's ``searchsorted`` takes only 1-d sequences, so the positions are counted with one broadcast
comparison (values x boundaries), which also covers torch's batched (N-d) boundaries."""
from .. import _dtype
from ._common import Tensor


def _as_tensor_like(value, like):
    if isinstance(value, Tensor):
        return value
    from ..creation import tensor
    return tensor(value, device=like.device)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Index of the first boundary ``>= value`` (``> value`` with ``right``/``side="right"``) along the
    last dim of ``sorted_sequence``, for every value."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if (side == "right") != right and right:
            raise RuntimeError(f"torch.searchsorted(): side and right can't be set to opposites, got side of "
                               f"{side} while right was True")
        right = side == "right"
    values = _as_tensor_like(input, sorted_sequence)
    if sorted_sequence.ndim > 1 and (values.ndim != sorted_sequence.ndim or
                                     values.shape[:-1] != sorted_sequence.shape[:-1]):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(sorted_sequence.shape)} and input value tensor "
                           f"{list(values.shape)}")
    seq = sorted_sequence if sorter is None else sorted_sequence.gather(-1, sorter)
    if seq.ndim == 1:
        before = seq <= values.unsqueeze(-1) if right else seq < values.unsqueeze(-1)
    else:
        boundaries, probes = seq.unsqueeze(-2), values.unsqueeze(-1)
        before = boundaries <= probes if right else boundaries < probes
    counts = before.sum(-1)
    return counts.to(_dtype.int32 if out_int32 else _dtype.int64)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value: ``boundaries[i-1] < v <= boundaries[i]`` (``<= v <`` with ``right``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, _as_tensor_like(input, boundaries), out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each of ``elements`` occurs in ``test_elements`` (either may be a Python scalar)."""
    like = elements if isinstance(elements, Tensor) else test_elements
    elements, test_elements = _as_tensor_like(elements, like), _as_tensor_like(test_elements, like)
    found = (elements.unsqueeze(-1) == test_elements.reshape(-1)).any(-1)
    return found.logical_not() if invert else found


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """``n``-th forward difference along ``dim`` (after joining ``prepend``/``append``); for bool tensors the
    difference is ``!=``, as in torch."""
    from .shape import cat
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[dim]
        if length == 0:
            break
        later, earlier = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
        x = later.logical_xor(earlier) if x._dtype is _dtype.bool_ else later - earlier
    return x
