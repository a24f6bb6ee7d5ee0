"""Bags of embeddings (torch.nn.functional.embedding_bag).

Every bag is reduced at once: each looked-up row learns its bag from a cumulative sum over the bag starts,
sums and means are one ``index_add`` into the (bags, dim) result, and maxima are taken over a
(bags, longest bag, dim) block gathered with one ``index_select`` (short bags padded and masked), so no
Python loop runs over bags or indices.
"""
import warnings

import plait
from plait._dtype import LEGACY_NAMES

from ._functional_basic import _torch_node_name
from ._functional_conv import _WindowMax, embedding

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


def _type_name(t):
    return "plait." + LEGACY_NAMES[t.dtype]


def _check_indices(t):
    if t.dtype not in (plait.int64, plait.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {_type_name(t)} instead (while checking arguments for embedding_bag)")


def _bag_layout(flat, offsets, include_last_offset):
    """(bag of each index, start of each bag, length of each bag) for bags [offsets[b], offsets[b+1])."""
    count = flat.shape[0]
    offsets = offsets.to(plait.int64)
    if offsets.shape[0] and offsets[0].item() != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {offsets[0].item()}")
    if offsets.shape[0] and offsets[-1].item() > count:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {count} but got offsets[-1] of "
                           f"{offsets[-1].item()}")
    if include_last_offset:
        starts, ends = offsets[:-1], offsets[1:]
    else:
        starts = offsets
        ends = plait.cat([offsets[1:], plait.tensor([count], device=offsets.device)])
    # one mark per bag start; the running count of marks up to a position is its bag + 1
    marks = plait.zeros(count + 1, dtype=plait.int64, device=flat.device)
    marks = marks.index_add(0, starts, plait.ones_like(starts))
    bag_of = marks.cumsum(0)[:count] - 1
    return bag_of, starts, ends - starts


@_torch_node_name("EmbeddingBagBackward0")
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of rows of ``weight``: 1-D ``input`` split into bags at ``offsets``
    (the bag starts; with ``include_last_offset`` also the end of the last bag), or 2-D input with one
    fixed-length bag per row. Empty bags give zeros; ``padding_idx`` entries are left out of every bag
    (and of a mean's count); ``per_sample_weights`` (mode "sum" only) scales each looked-up row.
    ``sparse`` is accepted as torch does (its gradient would be a sparse tensor); the gradient is dense.
    """
    if weight.dtype in (plait.int64, plait.int32) and input.dtype.is_floating_point:
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    bag_length = None  # every bag's length, when they all have one (2-D input)
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        offsets = plait.arange(0, input.numel(), max(input.shape[1], 1), dtype=plait.int64, device=input.device)
        if input.shape[1] == 0:
            offsets = plait.zeros(input.shape[0], dtype=plait.int64, device=input.device)
        include_last_offset = False
        bag_length = input.shape[1]
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    _check_indices(input)
    _check_indices(offsets)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      f"on GitHub.")
        if per_sample_weights.dtype != weight.dtype:
            raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as tensor for argument "
                               f"#1 'per_sample_weights'; but type {_type_name(weight)} does not equal "
                               f"{_type_name(per_sample_weights)} (while checking arguments for embedding_bag)")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, but "
                               f"got {padding_idx}")
        padding_idx = padding_idx % num
    flat = input.to(plait.int64)
    if flat.numel():
        bad = (flat < 0) | (flat >= num)
        if bad.any().item():
            value = flat[bad.nonzero().reshape(-1)[0]].item()
            raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be {value}")
    bag_of, starts, lengths = _bag_layout(flat, offsets, include_last_offset)
    bags = starts.shape[0]
    keep = None if padding_idx is None else flat != padding_idx
    if mode == "max":
        return _bag_max(flat, weight, starts, lengths, keep, bags, max_norm, norm_type)
    # the looked-up rows (max_norm renormalises them in place, scale_grad_by_freq scales their gradient)
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    scale = per_sample_weights
    if keep is not None:
        scale = keep.to(weight.dtype) if scale is None else scale * keep.to(weight.dtype)
    if scale is not None:
        rows = rows * scale.reshape(-1, 1)
    if bag_length:
        # bags of one length are the rows of a (bags, length, dim) block: a plain sum, no scatter
        out = rows.reshape(bags, bag_length, dim).sum(dim=1)
    else:
        out = weight.new_zeros((bags, dim)).index_add(0, bag_of, rows)
    if mode == "mean":
        if keep is None:
            counts = lengths.to(weight.dtype)
        elif bag_length:
            counts = keep.to(weight.dtype).reshape(bags, bag_length).sum(dim=1)
        else:
            counts = weight.new_zeros(bags).index_add(0, bag_of, keep.to(weight.dtype))
        out = out / counts.clamp(min=1).reshape(-1, 1)
    return out


def _bag_max(flat, weight, starts, lengths, keep, bags, max_norm, norm_type):
    """Per-column maxima of each bag (zeros for an empty bag), the gradient going to each column's first
    maximum, as torch's kernel keeps it. The (bags, longest bag, dim) block is gathered from ``weight`` in
    one lookup (short bags repeat an index and are masked)."""
    count, dim = flat.shape[0], weight.shape[1]
    longest = int(lengths.max().item()) if bags else 0
    if longest <= 0 or count == 0:
        # every bag empty: zeros, still in the graph of ``weight`` (whose gradient is then zero), as torch's
        none = plait.zeros(0, dtype=plait.int64, device=weight.device)
        return weight.new_zeros((bags, dim)).index_add(0, none, weight[:0])
    slot = plait.arange(longest, device=weight.device).reshape(1, -1)
    inside = slot < lengths.reshape(-1, 1)
    position = (starts.reshape(-1, 1) + slot).clamp(max=count - 1).reshape(-1)
    if keep is not None:
        inside = inside & keep.index_select(0, position).reshape(bags, longest)
    # every input position is some bag's slot, so max_norm renormalises exactly the rows of ``flat``
    windows = embedding(flat.index_select(0, position), weight, None, max_norm, norm_type).reshape(bags, longest, dim)
    inside = inside.unsqueeze(-1)
    windows = plait.where(inside, windows, windows.new_full((), float("-inf")))
    values, _ = _WindowMax.apply(windows, 1, inside, False)
    return plait.where(inside.any(dim=1), values, values.new_zeros(()))
