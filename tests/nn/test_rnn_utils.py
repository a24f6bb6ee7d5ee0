"""nn.utils.rnn: PackedSequence, packing, padding and unpadding against torch 2.13's results (hard-coded),
gradients through them, and torch's error messages."""
import re

import numpy as np
import pytest

import plait
import plait.nn as nn
from plait.autograd import gradcheck
from plait.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence, pack_sequence,
                                pad_packed_sequence, pad_sequence, unpack_sequence, unpad_sequence)

# (T=4, B=3, 2): element [t, b, 0] = 6 t + 2 b, so a packed row names its (t, b)
PADDED = plait.arange(24.0).reshape(4, 3, 2)


def _raises(exc, message):
    return pytest.raises(exc, match="^" + re.escape(message) + "$")


def test_reachable_as_nn_utils_rnn():
    assert nn.utils.rnn.pack_padded_sequence is pack_padded_sequence
    assert plait.nn.utils.rnn.PackedSequence is PackedSequence


def test_pack_sorted_lengths_list_or_tensor():
    for lengths in ([4, 4, 1], plait.tensor([4, 4, 1]), plait.tensor([4, 4, 1], dtype=plait.int32)):
        packed = pack_padded_sequence(PADDED, lengths)
        assert packed.data[:, 0].tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 12.0, 14.0, 18.0, 20.0]
        assert packed.batch_sizes.tolist() == [3, 2, 2, 2] and packed.batch_sizes.dtype == plait.int64
        assert packed.sorted_indices is None and packed.unsorted_indices is None


def test_pack_unsorted_keeps_the_permutation():
    packed = pack_padded_sequence(PADDED, [2, 4, 1], enforce_sorted=False)
    assert packed.data[:, 0].tolist() == [2.0, 0.0, 4.0, 8.0, 6.0, 14.0, 20.0]
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2] and packed.unsorted_indices.tolist() == [1, 0, 2]
    first = pack_padded_sequence(PADDED.transpose(0, 1), plait.tensor([2, 4, 1]), batch_first=True,
                                 enforce_sorted=False)
    assert first.data[:, 0].tolist() == [2.0, 0.0, 4.0, 8.0, 6.0, 14.0, 20.0]
    # ties keep their batch order, as torch's sort does here
    assert pack_padded_sequence(PADDED, [1, 4, 4], enforce_sorted=False).sorted_indices.tolist() == [1, 2, 0]
    assert pack_padded_sequence(PADDED, [2, 3, 2], enforce_sorted=False).sorted_indices.tolist() == [1, 0, 2]


def test_pad_packed_restores_order_padding_value_total_length():
    packed = pack_padded_sequence(PADDED, [2, 4, 1], enforce_sorted=False)
    out, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1, total_length=5)
    assert out.shape == (3, 5, 2)
    assert out[:, :, 0].tolist() == [[0.0, 6.0, -1.0, -1.0, -1.0], [2.0, 8.0, 14.0, 20.0, -1.0],
                                     [4.0, -1.0, -1.0, -1.0, -1.0]]
    assert lengths.tolist() == [2, 4, 1] and lengths.dtype == plait.int64
    out, lengths = pad_packed_sequence(packed)
    mask = np.arange(4)[:, None] < np.array([2, 4, 1])[None, :]
    np.testing.assert_array_equal(out.numpy(), np.where(mask[..., None], PADDED.numpy(), 0))
    with _raises(ValueError, "Expected total_length to be at least the length of the longest sequence in input, "
                             "but got total_length=3 and max sequence length being 4"):
        pad_packed_sequence(packed, total_length=3)


def test_pad_sequence_sides_batch_first_and_dtype():
    seqs = [plait.tensor([1.0, 2]), plait.tensor([3.0, 4, 5]), plait.tensor([6.0])]
    assert pad_sequence(seqs, padding_side="left", padding_value=9).tolist() == [[9.0, 3.0, 9.0], [1.0, 4.0, 9.0],
                                                                                  [2.0, 5.0, 6.0]]
    assert pad_sequence(seqs, batch_first=True).tolist() == [[1.0, 2.0, 0.0], [3.0, 4.0, 5.0], [6.0, 0.0, 0.0]]
    ints = pad_sequence([plait.tensor([1, 2]), plait.tensor([3])], batch_first=True, padding_value=-1.5)
    assert ints.tolist() == [[1, 2], [3, -1]] and ints.dtype == plait.int64
    # every sequence is copied into the first one's dtype
    mixed = pad_sequence([plait.ones(2, 2), plait.ones(1, 2, dtype=plait.float64)])
    assert mixed.dtype == plait.float32 and mixed.shape == (2, 2, 2)
    assert pad_sequence(plait.ones(2, 3)).shape == (3, 2)  # a tensor is a sequence of its rows
    # a trailing size of 1 broadcasts into the first sequence's shape, as torch's copy does
    assert pad_sequence([plait.zeros(2, 3), plait.ones(1, 1)])[0, 1].tolist() == [1.0, 1.0, 1.0]


def test_pad_sequence_errors():
    with _raises(RuntimeError, "received an empty list of sequences"):
        pad_sequence([])
    with _raises(RuntimeError, "pad_sequence: Expected iterable for input sequences, but got arg of type: "
                               "<class 'int'>"):
        pad_sequence(5)
    with _raises(RuntimeError, "Expected padding_side to be one of left or right, but got top."):
        pad_sequence([plait.ones(2)], padding_side="top")
    with _raises(RuntimeError, "output with shape [1, 1] doesn't match the broadcast shape [1, 3]"):
        pad_sequence([plait.ones(2, 1), plait.ones(1, 3)])


def test_pack_errors():
    with _raises(RuntimeError, "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability."):
        pack_padded_sequence(PADDED, [3, 4, 1])
    with _raises(RuntimeError, "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)"):
        pack_padded_sequence(PADDED, [4, 3])
    with _raises(RuntimeError, "Length of all samples has to be greater than 0, but found an element in 'lengths' "
                               "that is <= 0"):
        pack_padded_sequence(PADDED, [3, 3, 0])
    with _raises(RuntimeError, "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor"):
        pack_padded_sequence(PADDED, plait.tensor([[4, 3, 1]]))
    with pytest.raises(RuntimeError, match="a length of 5 exceeds the input's 4 time steps"):
        pack_padded_sequence(PADDED, [5, 3, 1])


def test_pack_sequence_unpack_and_unpad_round_trip():
    seqs = [plait.tensor([1, 2]), plait.tensor([3, 4, 5]), plait.tensor([6])]
    packed = pack_sequence(seqs, enforce_sorted=False)
    assert packed.data.tolist() == [3, 1, 6, 4, 2, 5] and packed.batch_sizes.tolist() == [3, 2, 1]
    assert [s.tolist() for s in unpack_sequence(packed)] == [[1, 2], [3, 4, 5], [6]]
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_sequence(seqs)
    padded = plait.arange(6).reshape(3, 2)
    assert [s.tolist() for s in unpad_sequence(padded, plait.tensor([3, 1]))] == [[0, 2, 4], [1]]
    assert [s.tolist() for s in unpad_sequence(padded, plait.tensor([1, 2, 0]), batch_first=True)] == [[0], [2, 3], []]


def test_packed_sequence_is_a_namedtuple_with_torchs_constructor_forms():
    data, sizes = plait.ones(3), plait.tensor([2, 1])
    packed = PackedSequence(data, sizes)
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    d, b, s, u = packed
    assert d is data and b is sizes and s is None and u is None
    assert PackedSequence((data, sizes)).batch_sizes is sizes
    with _raises(AssertionError, "Expected data to be a list or tuple of length 2"):
        PackedSequence(data)
    perm = PackedSequence(data, sizes, plait.tensor([2, 0, 1]))
    assert perm.unsorted_indices.tolist() == [1, 2, 0]
    assert invert_permutation(None) is None


def test_packed_sequence_to_converts_data_only():
    packed = pack_padded_sequence(PADDED, [2, 4, 1], enforce_sorted=False)
    assert packed.to(plait.float32) is packed
    double = packed.double()
    assert type(double) is PackedSequence and double.data.dtype == plait.float64
    assert double.batch_sizes is packed.batch_sizes
    assert double.sorted_indices.tolist() == [1, 0, 2]
    assert packed.to(dtype=plait.float64).data.dtype == plait.float64 and not packed.is_cuda


def test_gradients_flow_through_packing_and_padding():
    x = plait.randn(3, 3, 2, dtype=plait.float64, requires_grad=True)

    def round_trip(x):
        packed = pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
        return pad_packed_sequence(packed, batch_first=True, total_length=4)[0]
    assert gradcheck(round_trip, (x,))
    a = plait.randn(3, 2, dtype=plait.float64, requires_grad=True)
    b = plait.randn(1, 2, dtype=plait.float64, requires_grad=True)
    assert gradcheck(lambda a, b: pad_sequence([a, b], padding_side="left"), (a, b))
    out, _ = pad_packed_sequence(pack_padded_sequence(x, [3, 2, 1]))
    out.sum().backward()
    mask = (np.arange(3)[:, None] < np.array([3, 2, 1])[None, :]).astype(float)
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(mask[..., None], (3, 3, 2)))
