"""plait.utils.data: datasets, samplers, DataLoader batching/shuffling/collation, random_split, and the
TensorDataset fast path (one gather per batch, no per-sample __getitem__)."""
import collections
import warnings

import numpy as np
import pytest

import plait
from plait.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, Generator,
                              IterableDataset, RandomSampler, SequentialSampler, Subset, SubsetRandomSampler,
                              TensorDataset, WeightedRandomSampler, default_collate, default_convert,
                              get_worker_info, random_split)


def xy(n=10):
    x = plait.arange(n * 2, dtype=plait.float32).reshape(n, 2)
    y = plait.arange(n)
    return x, y


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


# ------------------------------------------------------------------ datasets
def test_tensor_dataset_items_and_len():
    x, y = xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert xi.tolist() == [6.0, 7.0] and yi.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(x, plait.arange(9))


def test_subset_and_concat():
    ds = Squares(6)
    sub = Subset(ds, [5, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [25, 0, 4]
    assert sub[-1] == 4
    assert Subset(ds, plait.tensor([1, 3])).indices == [1, 3]
    cat = ConcatDataset([Squares(3), Subset(ds, [4, 5])])
    assert len(cat) == 5 and [cat[i] for i in range(5)] == [0, 1, 4, 16, 25]
    assert cat[-1] == 25 and cat.cumulative_sizes == [3, 5]
    assert len(Squares(2) + Squares(3)) == 5
    with pytest.raises(TypeError):
        ConcatDataset([Stream(3)])


def test_dataset_base_needs_getitem():
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_chain_dataset():
    assert list(ChainDataset([Stream(2), Stream(3)])) == [0, 1, 0, 1, 2]
    assert list(Stream(2) + Stream(1)) == [0, 1, 0]


# ------------------------------------------------------------------ random_split
def test_random_split_int_lengths_disjoint_and_complete():
    parts = random_split(Squares(10), [3, 7], generator=Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    a, b = (set(p.indices) for p in parts)
    assert not a & b and a | b == set(range(10))


@pytest.mark.parametrize("n,fracs,expected", [(10, [0.8, 0.2], [8, 2]), (1797, [0.8, 0.2], [1438, 359]),
                                              (10, [1 / 3, 1 / 3, 1 / 3], [4, 3, 3]), (5, [0.5, 0.5], [3, 2])])
def test_random_split_fractions(n, fracs, expected):
    parts = random_split(range(n), fracs, generator=Generator().manual_seed(1))
    assert [len(p) for p in parts] == expected
    flat = [i for p in parts for i in p.indices]
    assert sorted(flat) == list(range(n))


def test_random_split_reproducible_and_errors():
    a = random_split(Squares(20), [10, 10], generator=Generator().manual_seed(3))
    b = random_split(Squares(20), [10, 10], generator=Generator().manual_seed(3))
    c = random_split(Squares(20), [10, 10], generator=Generator().manual_seed(4))
    assert a[0].indices == b[0].indices and a[0].indices != c[0].indices
    plait.manual_seed(7)
    d = random_split(Squares(20), [10, 10])
    plait.manual_seed(7)
    e = random_split(Squares(20), [10, 10])
    assert d[0].indices == e[0].indices  # unseeded splits follow plait.manual_seed
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Squares(5), [2, 2])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        parts = random_split(Squares(2), [0.9, 0.1, 0.0])
    assert [len(p) for p in parts] == [2, 0, 0] and any("Length of split" in str(x.message) for x in w)


# ------------------------------------------------------------------ samplers
def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    perm = list(RandomSampler(range(50), generator=Generator().manual_seed(0)))
    assert sorted(perm) == list(range(50)) and perm != list(range(50))
    draws = list(RandomSampler(range(3), replacement=True, num_samples=20, generator=Generator().manual_seed(0)))
    assert len(draws) == 20 and set(draws) <= {0, 1, 2}
    more = list(RandomSampler(range(3), num_samples=7, generator=Generator().manual_seed(0)))
    assert len(more) == 7 and sorted(more[:6]) == [0, 0, 1, 1, 2, 2]
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, False)) == 3 and len(BatchSampler(range(5), 2, True)) == 2
    assert sorted(SubsetRandomSampler([4, 7, 9], generator=Generator().manual_seed(0))) == [4, 7, 9]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0, 2.0], 30, generator=Generator().manual_seed(0)))
    assert len(w) == 30 and set(w) <= {1, 3}
    assert sorted(WeightedRandomSampler([1, 0, 1, 1], 3, replacement=False)) == [0, 2, 3]
    with pytest.raises(ValueError):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError):
        RandomSampler(range(3), num_samples=0)


def test_generator_api():
    g = Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    state = g.get_state()
    first = g._randperm(10)
    g.set_state(state)
    assert g._randperm(10) == first
    s = g.seed()
    assert g.initial_seed() == s
    assert str(g.device) == "cpu"


# ------------------------------------------------------------------ DataLoader
def test_loader_batches_in_order_and_len():
    x, y = xy(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype == plait.float32
    assert batches[2][0].tolist() == [[16.0, 17.0], [18.0, 19.0]]
    it = iter(loader)
    assert len(it) == 3


def test_loader_drop_last():
    x, y = xy(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(b[1]) for b in loader] == [4, 4]
    assert len(DataLoader(Squares(10), batch_size=5, drop_last=True)) == 2


def test_shuffle_reproducible_with_seeded_generator():
    x, y = xy(30)

    def epoch_orders(seed, epochs=2):
        loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=Generator().manual_seed(seed))
        return [[i for _, yb in loader for i in yb.tolist()] for _ in range(epochs)]

    a, b, c = epoch_orders(0), epoch_orders(0), epoch_orders(1)
    assert a == b and a != c
    assert sorted(a[0]) == list(range(30)) and a[0] != list(range(30))
    assert a[0] != a[1]  # a new order each epoch
    # samples stay paired with their labels
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=Generator().manual_seed(0))
    for xb, yb in loader:
        assert xb[:, 0].tolist() == [2.0 * v for v in yb.tolist()]


def test_shuffle_without_generator_follows_manual_seed():
    def order():
        return [int(i) for i in DataLoader(Squares(20), batch_size=20, shuffle=True).__iter__().__next__()]
    plait.manual_seed(11)
    a = order()
    plait.manual_seed(11)
    assert order() == a


def test_collate_numbers_tuples_dicts_and_arrays():
    out = default_collate([(1, 2.0, "a"), (3, 4.0, "b")])
    assert isinstance(out, list) and out[0].tolist() == [1, 3] and out[0].dtype == plait.int64
    assert out[1].dtype == plait.float64 and out[2] == ["a", "b"]
    d = default_collate([{"x": plait.ones(2), "y": 0}, {"x": plait.zeros(2), "y": 1}])
    assert set(d) == {"x", "y"} and d["x"].shape == (2, 2) and d["y"].tolist() == [0, 1]
    arr = default_collate([np.ones((2, 3), dtype=np.float32), np.zeros((2, 3), dtype=np.float32)])
    assert isinstance(arr, plait.Tensor) and arr.shape == (2, 2, 3) and arr.dtype == plait.float32
    sc = default_collate([np.float32(1.5), np.float32(2.5)])
    assert sc.tolist() == [1.5, 2.5] and sc.dtype == plait.float32
    assert default_collate([True, False]).dtype == plait.bool
    nested = default_collate([[plait.tensor(1.0), {"k": 1}], [plait.tensor(2.0), {"k": 2}]])
    assert isinstance(nested, list) and nested[0].tolist() == [1.0, 2.0] and nested[1]["k"].tolist() == [1, 2]
    Pair = collections.namedtuple("Pair", "a b")
    p = default_collate([Pair(1, 2.0), Pair(3, 4.0)])
    assert isinstance(p, Pair) and p.a.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError):
        default_collate([object(), object()])


def test_default_convert_and_unbatched_loader():
    c = default_convert((np.arange(3), "s", 2))
    assert isinstance(c, list) and isinstance(c[0], plait.Tensor) and c[1:] == ["s", 2]
    loader = DataLoader(Squares(3), batch_size=None)
    assert list(loader) == [0, 1, 4] and len(loader) == 3


def test_loader_over_plain_dataset_and_custom_collate():
    loader = DataLoader(Squares(5), batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [4, 9], [16]]
    loader = DataLoader(Squares(5), batch_size=2, collate_fn=lambda b: sum(b))
    assert list(loader) == [1, 13, 16]
    dict_ds = [{"img": np.full((1, 2, 2), i, dtype=np.float32), "label": i} for i in range(4)]
    batch = next(iter(DataLoader(dict_ds, batch_size=4)))
    assert batch["img"].shape == (4, 1, 2, 2) and batch["label"].tolist() == [0, 1, 2, 3]


def test_loader_with_sampler_and_batch_sampler():
    loader = DataLoader(Squares(6), batch_size=2, sampler=[5, 4, 3])
    assert [b.tolist() for b in loader] == [[25, 16], [9]]
    loader = DataLoader(Squares(6), batch_sampler=[[0, 2], [4]])
    assert [b.tolist() for b in loader] == [[0, 4], [16]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(Squares(6), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(Squares(6), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError):
        DataLoader(Squares(6), num_workers=-1)


def test_iterable_dataset_loader():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(TypeError):
        len(loader)  # Stream has no __len__


# ------------------------------------------------------------------ fast path
def test_fast_path_gathers_batches_without_per_sample_getitem(monkeypatch):
    x, y = xy(20)
    ds = TensorDataset(x, y)
    fetch = ds._batch_fetcher()
    assert fetch is not None

    gathers = []
    original_getitem = plait.Tensor.__getitem__

    def spy(self, key):
        gathers.append(key)
        return original_getitem(self, key)
    monkeypatch.setattr(plait.Tensor, "__getitem__", spy)

    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=Generator().manual_seed(0))
    # every batch costs exactly one tensor-indexed gather per dataset tensor
    batches = list(loader)
    assert len(gathers) == 2 * len(batches) == 6
    assert all(isinstance(k, plait.Tensor) and k.dtype == plait.int64 for k in gathers)
    assert sorted(i for _, yb in batches for i in yb.tolist()) == list(range(20))


def test_fast_path_skips_getitem_per_element(monkeypatch):
    """Iterating a TensorDataset (directly or through random_split's Subsets) never calls its __getitem__."""
    x, y = xy(50)
    ds = TensorDataset(x, y)
    train, test = random_split(ds, [0.8, 0.2], generator=Generator().manual_seed(0))
    calls = []
    original = TensorDataset.__getitem__

    def counting(self, index):
        calls.append(index)
        return original(self, index)
    monkeypatch.setattr(TensorDataset, "__getitem__", counting)

    loaders = [DataLoader(ds, batch_size=16, shuffle=True), DataLoader(train, batch_size=16, shuffle=True),
               DataLoader(test, batch_size=16)]
    seen = [sorted(i for _epoch in range(2) for _, yb in loader for i in yb.tolist()) for loader in loaders]
    assert calls == []
    assert seen[0] == sorted(list(range(50)) * 2)
    assert seen[1] == sorted(train.indices * 2) and seen[2] == sorted(test.indices * 2)
    assert len(train) == 40 and len(test) == 10
    # the same loader with a non-default collate_fn reads sample by sample (the counter works)
    list(DataLoader(train, batch_size=16, collate_fn=lambda b: default_collate(b)))
    assert len(calls) == 40


def test_fast_path_does_not_copy_dataset_per_epoch(monkeypatch):
    """No op touches the full dataset: every gather's index has at most batch_size entries."""
    x, y = xy(64)
    ds = TensorDataset(x, y)
    sizes = []
    original_getitem = plait.Tensor.__getitem__

    def spy(self, key):
        if self is x or self is y:
            sizes.append(key.numel() if isinstance(key, plait.Tensor) else None)
        return original_getitem(self, key)
    monkeypatch.setattr(plait.Tensor, "__getitem__", spy)
    for _ in range(3):
        for _batch in DataLoader(ds, batch_size=16, shuffle=True):
            pass
    assert sizes == [16] * 2 * 4 * 3


def test_subclass_overriding_getitem_is_read_per_sample():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            xi, yi = super().__getitem__(i)
            return xi * 2, yi

    x, y = xy(4)
    ds = Doubled(x, y)
    assert ds._batch_fetcher() is None
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.tolist() == (x * 2).tolist() and yb.tolist() == [0, 1, 2, 3]
    # a custom collate_fn also switches the fast path off
    out = next(iter(DataLoader(TensorDataset(x, y), batch_size=2, collate_fn=list)))
    assert isinstance(out, list) and len(out) == 2 and isinstance(out[0], tuple)


def test_fast_path_matches_slow_path():
    x, y = xy(23)
    fast = list(DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, generator=Generator().manual_seed(2)))
    slow = list(DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, generator=Generator().manual_seed(2),
                           collate_fn=lambda b: default_collate(b)))
    assert len(fast) == len(slow) == 5
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.tolist() == sx.tolist() and fy.tolist() == sy.tolist()
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype


def test_random_split_accepts_numpy_integer_lengths():
    parts = random_split(range(10), [np.int64(3), np.int32(7)], generator=plait.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
