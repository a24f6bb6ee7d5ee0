"""Indexing and assignment (ints, slices, None, Ellipsis, boolean masks, integer tensors with duplicates,
lists) and the gather/scatter family, forward against NumPy."""
import numpy as np
import pytest

import plait
from core_helpers import to_np, assert_close

A = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


def _idx(k):
    """The same key for plait: NumPy integer/bool arrays become tensors."""
    if isinstance(k, tuple):
        return tuple(_idx(v) for v in k)
    if isinstance(k, np.ndarray):
        return plait.tensor(k)
    return k


KEYS = [
    1, -1, (0, 2), (0, 2, 3), (-1, -2, -3),
    slice(1, None), slice(None, None, 2), (slice(None), slice(1, 3)), (slice(None), slice(None), slice(1, 5, 2)),
    (slice(-2, None), 0), (slice(None, -1), slice(2, 100)),
    None, (None, 0), (slice(None), None, 1), (Ellipsis, 0), (0, Ellipsis), (Ellipsis, None),
    (1, Ellipsis, slice(1, 3)), Ellipsis,
    np.array([0, 2]), np.array([2, 2, 0]), np.array([-1, 0]), np.array([[0, 1], [1, 2]]),
    (slice(None), np.array([3, 0, 3])), (0, np.array([1, 1])), (np.array([0, 2]), np.array([1, 3])),
    (np.array([0, 2]), slice(None), np.array([1, 3])), (np.array([[0], [2]]), np.array([1, 3])),
    (slice(None), np.array([0, 1]), np.array([2, 3])), (Ellipsis, np.array([4, 0])),
    A[:, 0, 0] > 10, A[..., 0] > 12, A > 30, (slice(None), A[0, :, 0] > 5),
    (A[:, 0, 0] > 10, slice(None), 0),
    [0, 2], ([0, 1], [1, 2]), [True, False, True],
]


@pytest.mark.parametrize("key", KEYS, ids=[str(i) for i in range(len(KEYS))])
def test_getitem_matches_numpy(key):
    x = plait.tensor(A)
    expected = A[key]
    got = x[_idx(key)]
    assert got.shape == expected.shape
    np.testing.assert_array_equal(to_np(got), expected)


def test_int_with_separated_advanced_index_follows_torch_not_numpy():
    # torch applies integer indices first (as select), so a lone advanced index keeps its place; NumPy
    # would count the int as advanced too and move the result dims to the front
    x = plait.tensor(A)
    idx = [0, 2, 4]
    assert x[1, :, idx].shape == (4, 3)
    np.testing.assert_array_equal(to_np(x[1, :, idx]), A[1][:, idx])
    assert x[1, :, plait.tensor(A[0, 0] > 1)].shape == (4, 3)
    assert x[:, 0, idx].shape == (3, 3)


def test_getitem_scalar_tensor_index_and_tensor_slices():
    x = plait.tensor(A)
    assert x[plait.tensor(1)].shape == (4, 5)
    assert_close(x[plait.tensor(1), plait.tensor(2)], A[1, 2])
    assert_close(x[plait.tensor(True)], A[None])
    assert x[plait.tensor(False)].shape == (0, 3, 4, 5)
    assert x[True].shape == (1, 3, 4, 5) and x[False].shape == (0, 3, 4, 5) and x[0, True].shape == (1, 4, 5)
    # NumPy arrays and scalars index like tensors
    np.testing.assert_array_equal(to_np(x[np.array([2, 0])]), A[[2, 0]])
    np.testing.assert_array_equal(to_np(x[:, np.array([True, False, True, False])]), A[:, [0, 2]])
    np.testing.assert_array_equal(to_np(x[np.int64(1)]), A[1])
    y = plait.tensor(A)
    y[np.array([0, 2])] = 0.0
    assert y[0].sum().item() == 0 and y[2].sum().item() == 0 and y[1].sum().item() == A[1].sum()


def test_seed_select_examples():
    plait.manual_seed(100)
    x = plait.randn(2, 3)
    a = to_np(x)
    assert_close(x[0, :], a[0, :])
    assert_close(x[:, -1], a[:, -1])
    mask = x > 0
    assert mask.dtype is plait.bool
    assert_close(plait.masked_select(x, mask), a[a > 0])
    assert_close(plait.nonzero(mask), np.argwhere(a > 0))
    index = plait.LongTensor([[0, 1, 1]])
    assert_close(plait.gather(x, 0, index), np.take_along_axis(a, np.array([[0, 1, 1]]), 0))
    index = plait.LongTensor([[0, 1, 1], [1, 1, 1]])
    g = plait.gather(x, 1, index)
    assert_close(g, np.take_along_axis(a, to_np(index), 1))
    z = plait.zeros(2, 3)
    out = z.scatter_(1, index, g)
    assert out is z
    expected = np.zeros((2, 3), dtype=np.float32)
    expected[0, 0], expected[0, 1] = a[0, 0], a[0, 1]
    expected[1, 1] = a[1, 1]
    assert_close(z, expected)


def test_index_errors():
    x = plait.tensor(A)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[plait.tensor([0, 5])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 3"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="an index can only have a single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[plait.tensor([0.0])]
    with pytest.raises(IndexError, match="The shape of the mask"):
        x[plait.tensor([True, False])]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]


SET_CASES = [
    (0, 5.0), ((1, 2), -1.0), ((slice(None), 1), 7.0), ((Ellipsis, 0), 3.0), (slice(0, 3, 2), 0.0),
    (np.array([0, 2]), 9.0), ((slice(None), np.array([1, 3])), 4.0), (A > 40, -5.0),
    ((np.array([0, 2]), np.array([1, 3])), 8.0), ([True, False, True], 2.0), ((None, 1), 6.0),
]


@pytest.mark.parametrize("key, value", SET_CASES, ids=[str(i) for i in range(len(SET_CASES))])
def test_setitem_scalar_matches_numpy(key, value):
    x = plait.tensor(A)
    expected = A.copy()
    expected[key] = value
    x[_idx(key)] = value
    np.testing.assert_array_equal(to_np(x), expected)
    assert x._version == 1


def test_setitem_with_tensor_values_and_broadcasting(rng):
    x = plait.tensor(A)
    e = A.copy()
    v = rng.standard_normal((3, 5)).astype(np.float32)
    x[:, 2] = plait.tensor(v)
    e[:, 2] = v
    x[0] = plait.tensor(v[0])  # broadcast over rows
    e[0] = v[0]
    idx = np.array([2, 0])
    x[:, idx] = plait.tensor(v[:, None, :])
    e[:, idx] = v[:, None, :]
    m = A > 50
    x[plait.tensor(m)] = plait.tensor(-1.0)
    e[m] = -1.0
    x[1, 1] = plait.tensor([1, 2, 3, 4, 5])  # int values cast to the tensor's dtype
    e[1, 1] = [1, 2, 3, 4, 5]
    x[2, 3] = [9, 8, 7, 6, 5]
    e[2, 3] = [9, 8, 7, 6, 5]
    np.testing.assert_array_equal(to_np(x), e)
    assert x.dtype is plait.float32


def test_setitem_duplicate_indices_same_value_and_accumulate_via_index_put():
    x = plait.zeros(5)
    x[plait.tensor([1, 1, 3])] = 2.0
    assert x.tolist() == [0.0, 2.0, 0.0, 2.0, 0.0]
    y = plait.zeros(5).index_add(0, plait.tensor([1, 1, 3]), plait.tensor([1.0, 2.0, 3.0]))
    assert y.tolist() == [0.0, 3.0, 0.0, 3.0, 0.0]


def test_gather_matches_take_along_axis(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = plait.tensor(a)
    i0 = np.array([[0, 2, 1, 0], [2, 2, 2, 2]])
    i1 = np.array([[3, 0], [1, 1], [0, 2]])
    assert_close(x.gather(0, plait.tensor(i0)), np.take_along_axis(a, i0, 0))
    assert_close(plait.gather(x, 1, plait.tensor(i1)), np.take_along_axis(a, i1, 1))
    assert_close(plait.gather(x, -1, plait.tensor(i1)), np.take_along_axis(a, i1, 1))
    # index smaller than input in the other dims
    assert_close(x.gather(1, plait.tensor([[1], [2]])), [[a[0, 1]], [a[1, 2]]])
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, plait.tensor([[4]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, plait.tensor([1]))
    with pytest.raises(IndexError, match="Expected dtype int64 for index"):
        x.gather(1, plait.tensor([[1.0]]))
    assert_close(plait.take_along_dim(x, plait.tensor(i1), 1), np.take_along_axis(a, i1, 1))


def test_scatter_scatter_add_scatter_reduce():
    z = plait.zeros(3, 5)
    idx = plait.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
    src = plait.arange(1.0, 11.0).view(2, 5)
    out = z.scatter(0, idx, src)
    e = np.zeros((3, 5), dtype=np.float32)
    s, i = to_np(src), to_np(idx)
    for r in range(2):
        for c in range(5):
            e[i[r, c], c] = s[r, c]
    assert_close(out, e)
    assert z.sum().item() == 0.0  # out-of-place
    assert_close(plait.zeros(2, 4).scatter(1, plait.tensor([[1], [3]]), 7.0), [[0, 7, 0, 0], [0, 0, 0, 7]])
    assert_close(plait.zeros(2, 4).scatter(1, plait.tensor([[1], [3]]), value=2.0), [[0, 2, 0, 0], [0, 0, 0, 2]])
    # duplicates are summed by scatter_add
    acc = plait.ones(5).scatter_add(0, plait.tensor([0, 1, 0, 4, 0]), plait.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert acc.tolist() == [10.0, 3.0, 1.0, 1.0, 5.0]
    t = plait.zeros(4)
    t.scatter_add_(0, plait.tensor([3, 3]), plait.tensor([1.0, 1.0]))
    assert t.tolist() == [0.0, 0.0, 0.0, 2.0]
    r = plait.ones(3).scatter_reduce(0, plait.tensor([0, 0, 2]), plait.tensor([1.0, 2.0, 3.0]), "sum")
    assert r.tolist() == [4.0, 1.0, 4.0]
    r = plait.ones(3).scatter_reduce(0, plait.tensor([0, 0, 2]), plait.tensor([1.0, 2.0, 3.0]), "sum",
                                     include_self=False)
    assert r.tolist() == [3.0, 1.0, 3.0]
    m = plait.full((3,), 2.0).scatter(0, plait.tensor([0, 2]), plait.tensor([3.0, 4.0]), reduce="multiply")
    assert m.tolist() == [6.0, 2.0, 8.0]


def test_index_select_index_add_index_fill():
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x = plait.tensor(a)
    assert_close(x.index_select(0, plait.tensor([2, 0, 2])), a[[2, 0, 2]])
    assert_close(plait.index_select(x, 1, plait.tensor([3, 1])), a[:, [3, 1]])
    assert_close(x.index_select(1, plait.tensor([-1])), a[:, [-1]])
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, plait.tensor([[0]]))
    out = x.index_add(1, plait.tensor([0, 0]), plait.ones(3, 2))
    e = a.copy()
    e[:, 0] += 2
    assert_close(out, e)
    assert_close(x.index_fill(1, plait.tensor([0, 2]), -1.0), np.where(np.isin(np.arange(4), [0, 2]), -1.0, a))
    y = x.clone()
    y.index_fill_(0, plait.tensor([1]), 0.0)
    assert y[1].tolist() == [0.0] * 4


def test_masked_fill_select_scatter():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    x = plait.tensor(a)
    m = plait.tensor(a % 2 == 0)
    assert_close(x.masked_fill(m, -1.0), np.where(a % 2 == 0, -1.0, a))
    assert_close(x.masked_fill(m, plait.tensor(9.0)), np.where(a % 2 == 0, 9.0, a))
    assert_close(x.masked_fill(plait.tensor([True, False, False]), 0.0), np.where([True, False, False], 0.0, a))
    y = x.clone()
    y.masked_fill_(m, 5.0)
    assert_close(y, np.where(a % 2 == 0, 5.0, a))
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        x.masked_fill(plait.tensor([[1, 0, 0], [0, 0, 0]]), 0.0)
    assert_close(x.masked_select(m), a[a % 2 == 0])
    assert_close(x.masked_select(plait.tensor([False, True, True])), a[:, 1:].ravel())
    i = plait.tensor([1, 2, 3]).masked_fill(plait.tensor([True, False, True]), 0)
    assert i.dtype is plait.int64 and i.tolist() == [0, 2, 0]
    ms = x.masked_scatter(m, plait.tensor([10.0, 20.0, 30.0, 40.0]))
    assert_close(ms, [[10.0, 1.0, 20.0], [3.0, 30.0, 5.0]])


def test_nonzero_argwhere_where():
    a = np.array([[0, 1, 0], [2, 0, 3]])
    x = plait.tensor(a)
    nz = x.nonzero()
    assert nz.dtype is plait.int64 and nz.tolist() == np.argwhere(a).tolist()
    assert [t.tolist() for t in x.nonzero(as_tuple=True)] == [v.tolist() for v in np.nonzero(a)]
    assert plait.argwhere(x).tolist() == np.argwhere(a).tolist()
    assert plait.nonzero(plait.zeros(3)).shape == (0, 1)
    assert [t.tolist() for t in plait.where(x > 0)] == [v.tolist() for v in np.nonzero(a > 0)]
    f = plait.tensor([[1.0, -2.0], [-3.0, 4.0]])
    assert plait.where(f > 0, f, plait.zeros(2, 2)).tolist() == [[1.0, 0.0], [0.0, 4.0]]
    assert plait.where(f > 0, f, 0.0).tolist() == [[1.0, 0.0], [0.0, 4.0]]
    assert plait.where(f > 0, 1.0, -1.0).tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    assert plait.where(f > 0, 1.0, -1.0).dtype is plait.float32
    w = plait.where(plait.tensor([True, False]), plait.tensor([1, 2]), plait.tensor([0.5]))
    assert w.dtype is plait.float32 and w.tolist() == [1.0, 0.5]
    assert f.where(f > 0, plait.tensor(0.0)).tolist() == [[1.0, 0.0], [0.0, 4.0]]
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        plait.where(plait.tensor([1, 0]), f[0], f[1])


def test_take_and_unique():
    x = plait.tensor([[4, 3], [5, 4]])
    assert x.take(plait.tensor([0, 3])).tolist() == [4, 4]
    assert plait.unique(x).tolist() == [3, 4, 5]
    vals, inv, counts = x.unique(return_inverse=True, return_counts=True)
    assert vals.tolist() == [3, 4, 5] and inv.tolist() == [[1, 0], [2, 1]] and counts.tolist() == [1, 2, 1]
