"""Shape and layout ops, forward against NumPy: view (with -1), reshape, contiguous/is_contiguous, t/T,
transpose, permute, unsqueeze/squeeze, flatten, expand/expand_as, repeat, cat/stack/split/chunk and friends;
views share memory and the version counter with their base."""
import numpy as np
import pytest

import plait
from core_helpers import assert_close


def test_seed_view_examples(capsys):
    vector = plait.arange(0, 12)
    print(vector)
    print(vector.shape)
    matrix34 = vector.view(3, 4)
    print(matrix34)
    print(matrix34.shape)
    matrix43 = vector.view(4, -1)
    print(matrix43)
    print(matrix43.shape)
    assert capsys.readouterr().out == """tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11])
plait.Size([12])
tensor([[ 0,  1,  2,  3],
        [ 4,  5,  6,  7],
        [ 8,  9, 10, 11]])
plait.Size([3, 4])
tensor([[ 0,  1,  2],
        [ 3,  4,  5],
        [ 6,  7,  8],
        [ 9, 10, 11]])
plait.Size([4, 3])
"""


def test_seed_reshape_after_transpose(capsys):
    matrix26 = plait.arange(0, 12).view(2, 6)
    print(matrix26)
    print(matrix26.shape)
    matrix62 = matrix26.t()
    print(matrix62.is_contiguous())
    with pytest.raises(RuntimeError, match=r"Use \.reshape\(\.\.\.\) instead"):
        matrix62.view(3, 4)
    matrix34 = matrix62.reshape(3, 4)
    print(matrix34)
    assert capsys.readouterr().out == """tensor([[ 0,  1,  2,  3,  4,  5],
        [ 6,  7,  8,  9, 10, 11]])
plait.Size([2, 6])
False
tensor([[ 0,  6,  1,  7],
        [ 2,  8,  3,  9],
        [ 4, 10,  5, 11]])
"""
    assert matrix62.contiguous().view(3, 4).tolist() == matrix34.tolist()


def test_view_infers_and_validates():
    x = plait.arange(24)
    assert x.view(2, 3, 4).shape == (2, 3, 4)
    assert x.view(-1, 6).shape == (4, 6) and x.view((2, -1)).shape == (2, 12)
    assert x.view(plait.Size([4, 6])).shape == (4, 6)
    assert x.view_as(plait.zeros(3, 8)).shape == (3, 8)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match=r"shape '\[5, -1\]' is invalid for input of size 24"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match=r"shape '\[5, 5\]' is invalid for input of size 24"):
        x.view(5, 5)


def test_views_share_memory_and_version():
    x = plait.arange(6)
    v = x.view(2, 3)
    v[0, 0] = 100
    assert x[0].item() == 100
    assert v._version == x._version == 1
    t = x.view(2, 3).t()
    t[0, 1] = 7
    assert x[3].item() == 7
    s = x[1:3]
    s.fill_(-1)
    assert x.tolist()[:3] == [100, -1, -1]
    u = x.unsqueeze(0)
    u.add_(1)
    assert x[0].item() == 101 and x._version == u._version


def test_view_of_a_result_stored_in_another_memory_order():
    # torch calls an elementwise or reduction result of a permuted tensor contiguous, and views of it work.
    # NumPy may keep the permuted memory order: plait's view then hands back an independent copy (never a
    # wrong alias), is_contiguous() says so, and torch's x.contiguous().view(...) remedy aliases as usual.
    x = plait.arange(24.0).view(2, 3, 4)
    for y in (x.permute(2, 1, 0).exp(), x.permute(2, 1, 0).sum(1), x.mT.exp()):
        expected = y.numpy().reshape(-1)
        v = y.view(-1)
        assert_close(v, expected)
        if not y.is_contiguous():
            v[0] = -1.0  # a copy: y keeps its values, and its version counter is not shared
            assert y.reshape(-1)[0].item() == expected[0]
        c = y.contiguous()
        assert c.is_contiguous()
        w = c.view(-1)
        w[1] = 42.0
        assert c.reshape(-1)[1].item() == 42.0
        assert c.contiguous() is c
    z = plait.zeros(0, 3).exp()
    assert z.view(3, 0).shape == (3, 0)


def test_reshape_of_noncontiguous_copies():
    x = plait.arange(6).view(2, 3)
    r = x.t().reshape(6)
    assert r.tolist() == [0, 3, 1, 4, 2, 5] and r.is_contiguous()
    assert plait.reshape(x, (3, 2)).tolist() == [[0, 1], [2, 3], [4, 5]]
    assert x.reshape(-1).tolist() == list(range(6))
    assert x.reshape_as(plait.zeros(3, 2)).shape == (3, 2)


def test_is_contiguous_tracking():
    x = plait.zeros(2, 3, 4)
    assert x.is_contiguous()
    assert not x.transpose(0, 1).is_contiguous()
    assert not x.permute(2, 0, 1).is_contiguous()
    assert x.permute(0, 1, 2).is_contiguous()
    assert x.transpose(0, 1).contiguous().is_contiguous()
    assert not plait.zeros(3, 1).expand(3, 4).is_contiguous()
    assert x[0].is_contiguous() and x[:, 0].is_contiguous() is False
    assert x[1:].is_contiguous()
    c = x.contiguous()
    assert c is x
    # contiguity follows the view's strides, as torch computes it
    m = plait.arange(6.0).view(2, 3)
    assert m.t().t().is_contiguous() and m.t().t().view(6).tolist() == list(range(6))
    assert m.permute(1, 0).permute(1, 0).is_contiguous()
    assert not m[:, :2].is_contiguous() and m[:1].is_contiguous() and m.t()[:, 0].is_contiguous()
    assert not m.t()[0].is_contiguous() and not m.t().unsqueeze(0).is_contiguous()
    assert plait.zeros(2, 3, 4)[1, :, 1:].is_contiguous() is False and plait.zeros(2, 3, 4)[1, 2].is_contiguous()
    nc = x.transpose(1, 2)
    cc = nc.contiguous()
    assert cc is not nc and cc.is_contiguous() and cc.tolist() == nc.tolist()


def test_t_T_transpose_permute(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x = plait.tensor(a)
    assert_close(x.transpose(0, 2), a.transpose(2, 1, 0))
    assert_close(plait.transpose(x, -1, -2), a.swapaxes(-1, -2))
    assert_close(x.permute(1, 2, 0), a.transpose(1, 2, 0))
    assert_close(x.permute((2, 0, 1)), a.transpose(2, 0, 1))
    assert_close(x.T, a.T)
    assert_close(x.mT, a.swapaxes(-1, -2))
    m = plait.tensor(a[0])
    assert_close(m.t(), a[0].T)
    assert_close(plait.t(m), a[0].T)
    v = plait.tensor([1.0, 2.0])
    assert v.t().tolist() == [1.0, 2.0] and v.T.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        x.t()
    with pytest.raises(RuntimeError, match="duplicate dims"):
        x.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match="number of dimensions"):
        x.permute(0, 1)
    assert_close(x.movedim(0, -1), np.moveaxis(a, 0, -1))
    assert_close(x.swapaxes(0, 1), a.swapaxes(0, 1))


def test_unsqueeze_squeeze():
    x = plait.zeros(2, 1, 3, 1)
    assert x.squeeze().shape == (2, 3)
    assert x.squeeze(1).shape == (2, 3, 1)
    assert x.squeeze(0).shape == (2, 1, 3, 1)  # size-2 dim is left alone
    assert x.squeeze(-1).shape == (2, 1, 3)
    assert x.squeeze((1, 3)).shape == (2, 3)
    y = plait.zeros(6)
    assert plait.unsqueeze(y, 0).size() == plait.Size([1, 6])
    assert y.unsqueeze(-1).shape == (6, 1) and y.unsqueeze(1).shape == (6, 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        y.unsqueeze(2)
    assert plait.tensor(1.0).unsqueeze(0).shape == (1,)
    assert plait.zeros(1).squeeze().shape == ()


def test_flatten_unflatten():
    x = plait.arange(24).view(2, 3, 4)
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert plait.flatten(x, -2, -1).shape == (2, 12)
    assert plait.tensor(3).flatten().shape == (1,)
    assert x.unflatten(2, (2, 2)).shape == (2, 3, 2, 2)
    assert x.transpose(0, 2).flatten().tolist() == np.arange(24).reshape(2, 3, 4).transpose(2, 1, 0).ravel().tolist()


def test_expand_expand_as_broadcast_to():
    x = plait.tensor([[1], [2], [3]])
    e = x.expand(3, 4)
    assert e.tolist() == [[1] * 4, [2] * 4, [3] * 4]
    assert x.expand(-1, 2).shape == (3, 2)
    assert x.expand(2, 3, 2).shape == (2, 3, 2)
    assert x.expand_as(plait.zeros(3, 5)).shape == (3, 5)
    assert plait.broadcast_to(x, (3, 3)).shape == (3, 3)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(3\)"):
        x.expand(4, 4)
    with pytest.raises(RuntimeError, match="must be greater or equal to the number of dimensions"):
        x.expand(3)
    a, b = plait.broadcast_tensors(plait.zeros(3, 1), plait.zeros(1, 4))
    assert a.shape == b.shape == (3, 4)
    assert plait.broadcast_shapes((3, 1), (4,), (2, 1, 1)) == (2, 3, 4)


def test_repeat_tile_repeat_interleave():
    x = plait.tensor([[1, 2], [3, 4]])
    a = np.array([[1, 2], [3, 4]])
    assert_close(x.repeat(2, 3), np.tile(a, (2, 3)))
    assert_close(x.repeat(2, 1, 1), np.tile(a, (2, 1, 1)))
    assert_close(x.tile((2,)), np.tile(a, (1, 2)))
    with pytest.raises(RuntimeError, match="can not be smaller"):
        x.repeat(2)
    assert_close(x.repeat_interleave(2), np.repeat(a, 2))
    assert_close(x.repeat_interleave(2, dim=0), np.repeat(a, 2, axis=0))
    assert_close(x.repeat_interleave(plait.tensor([1, 2]), dim=1), np.repeat(a, [1, 2], axis=1))


def test_cat_stack(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((4, 3)).astype(np.float32)
    ta, tb = plait.tensor(a), plait.tensor(b)
    assert_close(plait.cat([ta, tb]), np.concatenate([a, b]))
    assert_close(plait.cat((ta, ta), dim=1), np.concatenate([a, a], axis=1))
    assert_close(plait.cat([ta, ta], -1), np.concatenate([a, a], axis=-1))
    assert_close(plait.concat([ta]), a)
    assert_close(plait.stack([ta, ta]), np.stack([a, a]))
    assert_close(plait.stack([ta, ta], dim=2), np.stack([a, a], axis=2))
    assert_close(plait.stack([ta, ta], dim=-1), np.stack([a, a], axis=-1))
    assert_close(plait.hstack([ta, ta]), np.hstack([a, a]))
    assert_close(plait.vstack([ta, tb]), np.vstack([a, b]))
    # mixed dtypes promote
    assert plait.cat([plait.tensor([1]), plait.tensor([1.5])]).dtype is plait.float32
    # legacy empty 1-D tensors are skipped
    assert plait.cat([plait.tensor([]), ta]).shape == (2, 3)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        plait.cat([ta, plait.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        plait.stack([ta, tb])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor"):
        plait.cat([plait.tensor(1.0), plait.tensor(2.0)])
    with pytest.raises(RuntimeError, match="expected a non-empty list"):
        plait.cat([])


def test_split_chunk_unbind_narrow():
    x = plait.arange(10).view(5, 2)
    parts = x.split(2)
    assert [p.shape for p in parts] == [(2, 2), (2, 2), (1, 2)]
    assert parts[2].tolist() == [[8, 9]]
    parts = plait.split(x, [1, 4])
    assert [p.shape[0] for p in parts] == [1, 4]
    parts = x.split(1, dim=1)
    assert [p.tolist() for p in parts] == [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]]
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 5"):
        x.split([1, 1])
    chunks = x.chunk(2)
    assert [c.shape[0] for c in chunks] == [3, 2]
    assert [c.shape[0] for c in plait.chunk(plait.arange(6), 3)] == [2, 2, 2]
    assert [c.shape[0] for c in plait.arange(5).chunk(3)] == [2, 2, 1]
    assert [c.tolist() for c in x.unbind(1)] == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    assert x.narrow(0, 1, 2).tolist() == [[2, 3], [4, 5]]
    assert x.select(1, 0).tolist() == [0, 2, 4, 6, 8]
    assert [t.shape[0] for t in plait.tensor_split(plait.arange(7), 3)] == [3, 2, 2]
    # split pieces are views
    base = plait.arange(4)
    parts = base.split(2)
    parts[1].fill_(0)
    assert base.tolist() == [0, 1, 0, 0]


def test_flip_roll_tril_triu():
    a = np.arange(12).reshape(3, 4)
    x = plait.tensor(a)
    assert_close(x.flip(0), a[::-1])
    assert_close(x.flip((0, 1)), a[::-1, ::-1])
    assert_close(x.fliplr(), np.fliplr(a))
    assert_close(x.roll(1, 1), np.roll(a, 1, 1))
    assert_close(x.roll(2), np.roll(a, 2))
    assert_close(x.tril(), np.tril(a))
    assert_close(x.triu(1), np.triu(a, 1))
    assert_close(x.diagonal(), np.diagonal(a))
    assert_close(plait.diag(plait.tensor([1, 2])), np.diag([1, 2]))
    assert x.trace().item() == np.trace(a)
