"""DataLoader: iterate over a dataset in (shuffled) batches (torch.utils.data.DataLoader's API)."""
from ._collate import default_collate, default_convert
from ._generator import Generator
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def get_worker_info():
    """Always None: plait loads data in the main process (see :class:`DataLoader`'s ``num_workers``)."""
    return None


class DataLoader:
    """Combines a dataset and a sampler and iterates over batches of the dataset.

    Arguments follow torch: ``batch_size`` (None turns automatic batching off), ``shuffle``
    (a :class:`RandomSampler`, seeded by ``generator`` or by plait's global RNG), ``sampler`` /
    ``batch_sampler`` (custom index orders), ``collate_fn`` (default :func:`default_collate`),
    ``drop_last`` (drop the last, incomplete batch), ``generator`` (a :class:`plait.Generator`).

    ``num_workers``: plait has no worker processes; every value loads batches in the main process,
    in order, exactly as ``num_workers=0`` does (the argument is accepted so torch code runs
    unchanged). ``pin_memory``, ``timeout``, ``worker_init_fn``, ``prefetch_factor``,
    ``persistent_workers`` and ``multiprocessing_context`` are accepted for the same reason and have
    no effect.

    Fast path: when the dataset is a :class:`TensorDataset` (or a :class:`Subset` of one, e.g. from
    :func:`random_split`) and ``collate_fn`` is the default, each batch is gathered with one
    advanced-indexing op per tensor (``t[index_tensor]``), not sample by sample; nothing is copied
    per epoch beyond the batches themselves.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device=""):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator must be a plait.Generator, got {type(generator).__name__}")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __iter__(self):
        return _SingleProcessDataLoaderIter(self)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as in torch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


class _SingleProcessDataLoaderIter:
    """One pass over a DataLoader; batches are produced on demand in the calling thread."""

    def __init__(self, loader):
        self._loader = loader
        self._collate = loader.collate_fn
        self._num_yielded = 0
        if loader._iterable:
            self._batches = self._iterable_batches(iter(loader.dataset))
            return
        dataset = loader.dataset
        fast = loader.collate_fn is default_collate and loader.batch_sampler is not None
        fetch_batch = dataset._batch_fetcher() if fast and hasattr(dataset, "_batch_fetcher") else None
        if fetch_batch is not None:
            self._batches = map(fetch_batch, loader.batch_sampler)
        elif loader.batch_sampler is not None:
            self._batches = (self._collate(self._fetch(indices)) for indices in loader.batch_sampler)
        else:
            self._batches = (self._collate(dataset[i]) for i in loader.sampler)

    def _fetch(self, indices):
        dataset = self._loader.dataset
        getitems = getattr(dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)
        return [dataset[i] for i in indices]

    def _iterable_batches(self, stream):
        loader = self._loader
        if loader.batch_size is None:
            for sample in stream:
                yield self._collate(sample)
            return
        batch = []
        for sample in stream:
            batch.append(sample)
            if len(batch) == loader.batch_size:
                yield self._collate(batch)
                batch = []
        if batch and not loader.drop_last:
            yield self._collate(batch)

    def __iter__(self):
        return self

    def __next__(self):
        batch = next(self._batches)
        self._num_yielded += 1
        return batch

    def __len__(self):
        return len(self._loader)
