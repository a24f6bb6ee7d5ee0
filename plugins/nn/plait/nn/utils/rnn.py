"""Variable-length sequences for the recurrent layers (torch.nn.utils.rnn).

A ``PackedSequence`` holds the rows of a batch of sequences time step by time step: the ``batch_sizes[t]``
sequences still running at step ``t``, longest first. Packing, padding and unpadding are each one gather
(``index_select``) with an index computed from the lengths, so their cost does not grow with the batch
in Python and autograd carries gradients through them.
"""
from collections import namedtuple
from collections.abc import Iterable

import plait

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``, made by pack_padded_sequence / pack_sequence.

    ``sorted_indices[i]`` is the original batch position of the i-th longest sequence; the recurrent layers
    take their initial states and return their final states in the original order.
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                                 "created manually. They should be instantiated by functions like pack_sequence and "
                                 "pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        # PackedSequence((data, batch_sizes), sorted_indices=...)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)``; the index tensors follow data's device, ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        non_blocking = kwargs.get("non_blocking", False)
        sorted_indices = _bind(self.sorted_indices, lambda t: t.to(data.device, non_blocking=non_blocking))
        unsorted_indices = _bind(self.unsorted_indices, lambda t: t.to(data.device, non_blocking=non_blocking))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        probe = plait.tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if probe.is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        probe = plait.tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if probe.device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self):
        return self.to(dtype=plait.double)

    def float(self):
        return self.to(dtype=plait.float)

    def half(self):
        return self.to(dtype=plait.half)

    def long(self):
        return self.to(dtype=plait.long)

    def int(self):
        return self.to(dtype=plait.int)

    def short(self):
        return self.to(dtype=plait.short)

    def char(self):
        return self.to(dtype=plait.int8)

    def byte(self):
        return self.to(dtype=plait.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    """The inverse of a permutation of 0..n-1 (None stays None)."""
    if permutation is None:
        return None
    return permutation.argsort()


def _lengths_list(lengths):
    if not isinstance(lengths, plait.Tensor):
        lengths = plait.as_tensor(lengths, dtype=plait.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=plait.int64)
    if lengths.dim() != 1 or lengths.device.type != "cpu":
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                           f"{lengths.device.type} Long tensor")
    return lengths, [int(n) for n in lengths.tolist()]


def _rows_by_step(lengths, order=None):
    """For sequences sorted by decreasing ``lengths`` (python ints): batch_sizes and, step by step, the
    batch positions (``order[i]`` for the i-th sequence) whose rows are packed at that step."""
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0])] if lengths else []
    order = range(len(lengths)) if order is None else order
    return batch_sizes, [[order[i] for i in range(size)] for size in batch_sizes]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of ``lengths``.

    With ``enforce_sorted=False`` the sequences may come in any order; they are sorted by length and the
    permutation is kept in the result."""
    lengths, length_list = _lengths_list(lengths)
    sorted_indices = None
    order = None
    if not enforce_sorted:
        lengths, sorted_indices = plait.sort(lengths, descending=True, stable=True)
        order = [int(i) for i in sorted_indices.tolist()]
        length_list = [int(n) for n in lengths.tolist()]
        sorted_indices = sorted_indices.to(input.device)
    batch_dim, time_dim = (0, 1) if batch_first else (1, 0)
    batch_size = input.size(batch_dim)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if len(length_list) != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(length_list)} "
                           f"(batch_size={batch_size})")
    if length_list[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if any(a < b for a, b in zip(length_list, length_list[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    steps = input.size(time_dim)
    if length_list[0] > steps:
        # torch reads past the padded input here; a clear error is the only safe answer
        raise RuntimeError(f"pack_padded_sequence: a length of {length_list[0]} exceeds the input's "
                           f"{steps} time steps")
    batch_sizes, rows = _rows_by_step(length_list, order)
    # the rows of the input seen as (T*B, *) (or (B*T, *) batch first), in packed order
    if batch_first:
        flat = [b * steps + t for t, step_rows in enumerate(rows) for b in step_rows]
    else:
        flat = [t * batch_size + b for t, step_rows in enumerate(rows) for b in step_rows]
    table = input.reshape(steps * batch_size, *input.shape[2:])
    data = table.index_select(0, plait.tensor(flat, dtype=plait.int64, device=input.device))
    return PackedSequence(data, plait.tensor(batch_sizes, dtype=plait.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo pack_padded_sequence: the padded batch and each sequence's length, in the original order."""
    batch_sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    max_seq_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = batch_sizes[0]
    lengths = [sum(1 for size in batch_sizes if size > b) for b in range(batch)]
    # where row (t, b) of the sorted batch sits in ``data``; the padding row is appended at the end
    offsets = [0]
    for size in batch_sizes:
        offsets.append(offsets[-1] + size)
    pad_row = offsets[-1]
    order = (list(range(batch)) if sequence.unsorted_indices is None
             else [int(i) for i in sequence.unsorted_indices.tolist()])

    def source(t, b):
        return offsets[t] + b if t < len(batch_sizes) and b < batch_sizes[t] else pad_row

    if batch_first:
        flat = [source(t, b) for b in order for t in range(max_seq_length)]
        shape = (batch, max_seq_length)
    else:
        flat = [source(t, b) for t in range(max_seq_length) for b in order]
        shape = (max_seq_length, batch)
    padding = plait.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    table = plait.cat([data, padding])
    padded = table.index_select(0, plait.tensor(flat, dtype=plait.int64, device=data.device))
    padded = padded.reshape(*shape, *data.shape[1:])
    return padded, plait.tensor([lengths[b] for b in order], dtype=plait.int64)


def _fit_to(seq, shape, dtype):
    """``seq`` as a (len, *trailing) block of the output, broadcast the way torch's copy into it does."""
    if tuple(seq.shape) != tuple(shape):
        broadcast = plait.broadcast_shapes(tuple(shape), tuple(seq.shape))
        if tuple(broadcast) != tuple(shape):
            raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(broadcast)}")
        seq = seq.expand(*shape)
    return seq if seq.dtype == dtype else seq.to(dtype)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length sequences ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` batch first),
    padded with ``padding_value`` on the ``padding_side``."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    if any(s.dim() == 0 for s in sequences):
        raise RuntimeError("pad_sequence: every sequence needs a length (a first dimension), but got a 0-D tensor")
    trailing = tuple(first.shape[1:])
    blocks = [_fit_to(s, (s.shape[0], *trailing), first.dtype) for s in sequences]
    lengths = [b.shape[0] for b in blocks]
    max_len = max(lengths)
    starts = [0]
    for n in lengths:
        starts.append(starts[-1] + n)
    pad_row = starts[-1]

    def source(b, t):
        shift = 0 if padding_side == "right" else max_len - lengths[b]
        return starts[b] + t - shift if 0 <= t - shift < lengths[b] else pad_row

    batch = len(blocks)
    if batch_first:
        flat = [source(b, t) for b in range(batch) for t in range(max_len)]
        shape = (batch, max_len)
    else:
        flat = [source(b, t) for t in range(max_len) for b in range(batch)]
        shape = (max_len, batch)
    padding = plait.full((1, *trailing), padding_value, dtype=first.dtype, device=first.device)
    table = plait.cat([*blocks, padding])
    out = table.index_select(0, plait.tensor(flat, dtype=plait.int64, device=first.device))
    return out.reshape(*shape, *trailing)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of its sequences, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(length)] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length sequences ``(L_i, *)``."""
    lengths = plait.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
