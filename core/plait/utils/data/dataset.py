"""Datasets (torch.utils.data.dataset's names and behaviour)."""
import bisect
import itertools
import math
import numbers
import warnings

from ..._dtype import int64
from ...tensor import Tensor
from ._generator import Generator, _fresh_generator


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and usually ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__ ({type(self).__name__})")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def _batch_fetcher(self):
        """``f(indices) -> list of batched tensors`` when a whole batch can be gathered at once, else None.

        DataLoader uses it (with the default collate_fn) instead of ``__getitem__`` per sample. Only
        datasets whose ``__getitem__`` is the stock one provide it, so a subclass that overrides
        ``__getitem__`` (to add a transform, say) is always read sample by sample.
        """
        return None


class IterableDataset(Dataset):
    """A dataset read as a stream: subclasses define ``__iter__``."""

    def __iter__(self):
        raise NotImplementedError(f"Subclasses of IterableDataset should implement __iter__ ({type(self).__name__})")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are ``tuple(t[i] for t in tensors)``; all tensors share their first dimension.

    A DataLoader over a TensorDataset gathers each batch with one ``t[index_tensor]`` per tensor.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].size(0)
        if any(t.size(0) != n for t in tensors):
            raise AssertionError("Size mismatch between tensors")  # torch's type and text
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)

    def _batch_fetcher(self):
        if type(self).__getitem__ is not TensorDataset.__getitem__:
            return None
        tensors = self.tensors

        def fetch(indices):
            idx_by_device = {}
            out = []
            for t in tensors:
                idx = idx_by_device.get(t.device)
                if idx is None:
                    idx = idx_by_device[t.device] = _index_tensor(indices, t.device)
                out.append(t[idx])
            return out
        return fetch


def _index_tensor(indices, device):
    from ...creation import tensor
    return tensor(indices, dtype=int64, device=device)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices.tolist() if isinstance(indices, Tensor) else indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    def _batch_fetcher(self):
        if type(self).__getitem__ is not Subset.__getitem__:
            return None
        inner = self.dataset._batch_fetcher() if isinstance(self.dataset, Dataset) else None
        if inner is None:
            return None
        mapping = self.indices
        return lambda indices: inner([mapping[i] for i in indices])


class ConcatDataset(Dataset):
    """Several map-style datasets one after another."""

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _as_int_if_integral(x):
    return int(x) if isinstance(x, numbers.Integral) and not isinstance(x, bool) else x


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given ``lengths``.

    ``lengths`` are ints summing to ``len(dataset)``, or fractions summing to 1 (each gets
    ``floor(frac * len)`` samples and the remainder is dealt out one by one, round-robin, as in torch).
    ``generator`` (a :class:`plait.Generator`) makes the split reproducible; without one a seed is drawn
    from plait's global RNG.
    """
    lengths = [_as_int_if_integral(x) for x in lengths]  # NumPy integers count as ints, as in torch
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(int(math.floor(n * frac)))
        remainder = n - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        for i, length in enumerate(subset_lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        lengths = subset_lengths
    if any(not isinstance(x, int) or isinstance(x, bool) or x < 0 for x in lengths):
        raise ValueError(f"lengths must be non-negative ints or fractions summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator must be a plait.Generator, got {type(generator).__name__}")
    perm = (generator if generator is not None else _fresh_generator())._randperm(n)
    return [Subset(dataset, perm[offset - length:offset])
            for offset, length in zip(itertools.accumulate(lengths), lengths)]
