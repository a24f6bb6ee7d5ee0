"""DataLoader: iterate over a dataset in (shuffled) batches, in this process or in worker processes
(torch.utils.data.DataLoader's API)."""
import atexit
import itertools
import multiprocessing
import os
import queue
import signal
import warnings
import weakref

from ._collate import default_collate, default_convert
from ._generator import Generator
from ._worker import ExceptionWrapper, PackedBatch, _IterableEnd, _Resume, get_worker_info, unpack_batch, worker_loop
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]

class DataLoader:
    """Combines a dataset and a sampler and iterates over batches of the dataset.

    Arguments follow torch: ``batch_size`` (None turns automatic batching off), ``shuffle``
    (a :class:`RandomSampler`, seeded by ``generator`` or by plait's global RNG), ``sampler`` /
    ``batch_sampler`` (custom index orders), ``collate_fn`` (default :func:`default_collate`),
    ``drop_last`` (drop the last, incomplete batch), ``generator`` (a :class:`plait.Generator`).

    ``num_workers > 0`` loads in that many worker processes (started from ``multiprocessing_context``:
    a start method name or context, default the platform's), each fetching whole batches by index from
    the sampler; batches arrive in the sampler's order (``in_order=True``) or as they are ready
    (``in_order=False``). Each worker gets a copy of the dataset, seeds Python's ``random``, plait and
    (if imported) NumPy's global RNG with ``base_seed + worker_id`` (``base_seed`` drawn from
    ``generator`` or plait's RNG per epoch), runs ``worker_init_fn(worker_id)``, and answers
    :func:`get_worker_info`. ``prefetch_factor`` (default 2) batches per worker are in flight;
    ``persistent_workers`` keeps the workers across epochs; ``timeout`` > 0 raises if no batch arrives
    in that many seconds. Tensors cross back through shared memory, not through a pipe. An exception
    in a worker re-raises here with the worker's traceback; a worker that dies ends the iteration with
    an error naming its pid. ``pin_memory`` copies batches into page-locked host memory when a CUDA
    backend that can allocate it is usable; elsewhere it warns, as torch does, and has no effect.

    Fast path: when the dataset is a :class:`TensorDataset` (or a :class:`Subset` of one, e.g. from
    :func:`random_split`) and ``collate_fn`` is the default, each batch is gathered with one
    advanced-indexing op per tensor (``t[index_tensor]``), not sample by sample; nothing is copied
    per epoch beyond the batches themselves.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            multiprocessing_context = _mp_context(multiprocessing_context, num_workers)
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"worker_init_fn must be callable, got {type(worker_init_fn).__name__}")
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
        self.in_order = in_order
        self._iterator = None  # the persistent workers' iterator, reused across epochs

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
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._shut_down:
                self._iterator = _MultiProcessingDataLoaderIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return _MultiProcessingDataLoaderIter(self)

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
        self._pin = _pin_function(loader.pin_memory)
        self._base_seed = _base_seed(loader)  # drawn as by the worker loader, so both shuffle alike
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
        return self._pin(batch) if self._pin is not None else batch

    def __len__(self):
        return len(self._loader)


def _base_seed(loader):
    """The seed of this pass's workers, drawn from the loader's generator (or plait's RNG) as torch does
    for every iterator, with or without workers."""
    if loader.generator is not None:
        return loader.generator._random_seed()
    from ... import creation
    return int(creation.randint(0, 2 ** 62, ()).item())


def _mp_context(context, num_workers):
    if num_workers == 0:
        raise ValueError(f"multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                             f"but got multiprocessing_context={context!r}")
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(f"multiprocessing_context option should be a valid context object or a string specifying "
                        f"the start method, but got multiprocessing_context={context}")
    return context


#: how often the main process, while waiting for a batch, checks that its workers are alive (seconds)
_WORKER_POLL_S = 0.1
#: how long shutdown waits for a worker to exit on its own before terminating it (seconds)
_JOIN_TIMEOUT_S = 5.0
_live_iterators = weakref.WeakSet()


@atexit.register
def _shutdown_live_iterators():
    for it in list(_live_iterators):
        it._shutdown_workers()


def _worker_death_message(pid, exitcode):
    if exitcode < 0:
        try:
            name = signal.strsignal(-exitcode) or signal.Signals(-exitcode).name
        except (ValueError, AttributeError):
            name = f"signal {-exitcode}"
        return f"DataLoader worker (pid {pid}) is killed by signal: {name}. "
    return f"DataLoader worker (pid {pid}) exited unexpectedly with exit code {exitcode}. "


class _MultiProcessingDataLoaderIter:
    """One pass (or, with persistent workers, every pass) over a DataLoader served by worker processes.

    The main process sends ``(epoch, send_idx, indices)`` tasks round-robin to per-worker index queues,
    keeping ``prefetch_factor * num_workers`` in flight, and reads ``(epoch, send_idx, result)`` from one
    result queue. Results of an earlier epoch (left in flight by a ``break`` before a persistent worker
    was reused) are dropped."""

    def __init__(self, loader):
        self._loader = loader
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._in_order = loader.in_order
        self._timeout = loader.timeout
        self._pin = _pin_function(loader.pin_memory)
        self._shut_down = False
        self._epoch = 0
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        # segments created by workers must be tracked by our resource tracker, so start it before forking
        from multiprocessing import resource_tracker
        resource_tracker.ensure_running()
        base_seed = _base_seed(loader)
        self._result_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        collate = loader.collate_fn
        parent_pid = os.getpid()
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(target=worker_loop, daemon=True,
                                args=(loader.dataset, loader._iterable, index_queue, self._result_queue, worker_id,
                                      self._num_workers, base_seed + worker_id, loader.worker_init_fn,
                                      loader._auto_collation, collate, loader.batch_size, loader.drop_last,
                                      parent_pid))
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        _live_iterators.add(self)
        self._start_epoch()

    def _start_epoch(self):
        loader = self._loader
        self._sampler_iter = iter(loader.batch_sampler if loader.batch_sampler is not None else loader.sampler) \
            if not loader._iterable else None
        self._send_idx = 0      # next task number to send
        self._rcvd_idx = 0      # next task number to yield (in order)
        self._outstanding = {}  # send_idx -> worker_id for tasks not yet yielded
        self._ready = {}        # send_idx -> result that arrived early
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        self._num_yielded = 0
        self._sampler_done = False
        for _ in range(self._prefetch):
            self._try_put_task()

    def _reset(self):
        """A new epoch on persistent workers."""
        self._epoch += 1
        for result in self._ready.values():
            if isinstance(result, PackedBatch):
                result.release()
        if self._loader._iterable:
            for q in self._index_queues:
                q.put(_Resume())
        self._start_epoch()

    def _try_put_task(self):
        if self._sampler_done:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._active[worker_id]:
                break
        else:
            return
        if self._loader._iterable:
            indices = None
        else:
            try:
                indices = next(self._sampler_iter)
            except StopIteration:
                self._sampler_done = True
                return
        self._index_queues[worker_id].put((self._epoch, self._send_idx, indices))
        self._outstanding[self._send_idx] = worker_id
        self._send_idx += 1

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        while True:
            if not self._outstanding:
                if not self._loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self._in_order:
                while self._rcvd_idx not in self._outstanding:
                    self._rcvd_idx += 1
                result = self._ready.pop(self._rcvd_idx, None)
                if result is None:
                    result = self._receive(self._rcvd_idx)
                idx = self._rcvd_idx
            else:
                idx, result = self._ready.popitem() if self._ready else self._receive(None)
            self._outstanding.pop(idx, None)
            if isinstance(result, _IterableEnd):
                self._active[result.worker_id] = False
                continue
            self._try_put_task()
            if isinstance(result, ExceptionWrapper):
                result.reraise()
            batch = unpack_batch(result)
            self._num_yielded += 1
            return self._pin(batch) if self._pin is not None else batch

    def _receive(self, wanted):
        """Wait for the result of task ``wanted`` (any task when None); keep others that come first."""
        waited = 0.0
        while True:
            try:
                epoch, idx, result = self._result_queue.get(timeout=_WORKER_POLL_S)
            except queue.Empty:
                waited += _WORKER_POLL_S
                self._check_workers()
                if self._timeout > 0 and waited >= self._timeout:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                continue
            if epoch != self._epoch or idx not in self._outstanding:
                if isinstance(result, PackedBatch):
                    result.release()
                continue
            if wanted is None:
                return idx, result
            if idx == wanted:
                return result
            self._ready[idx] = result

    def _check_workers(self):
        for w in self._workers:
            if w.exitcode is not None:
                message = _worker_death_message(w.pid, w.exitcode)
                self._shutdown_workers()
                raise RuntimeError(message)

    def _shutdown_workers(self):
        if self._shut_down:
            return
        self._shut_down = True
        _live_iterators.discard(self)
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(_JOIN_TIMEOUT_S)
            if w.is_alive():
                w.terminate()
                w.join(_JOIN_TIMEOUT_S)
        self._release_pending()
        for q in (*self._index_queues, self._result_queue):
            q.cancel_join_thread()
            q.close()

    def _release_pending(self):
        """Unlink the shared memory of every batch that was sent and will never be read."""
        for result in self._ready.values():
            if isinstance(result, PackedBatch):
                result.release()
        self._ready = {}
        while True:
            try:
                _, _, result = self._result_queue.get(timeout=0.05)
            except (queue.Empty, OSError, ValueError, EOFError):
                return
            if isinstance(result, PackedBatch):
                result.release()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass


_PIN_WARNING = "'pin_memory' argument is set as true but no accelerator is found, then device pinned memory won't be used."


def _pin_function(pin_memory):
    """What ``pin_memory=True`` does to each batch: None (nothing) unless a usable CUDA backend offers
    page-locked host memory (``Backend.pin_host_memory``)."""
    if not pin_memory:
        return None
    from ... import _device_module
    backend = _device_module.backend("cuda") if _device_module.is_available("cuda") else None
    pin = getattr(backend, "pin_host_memory", None)
    if pin is None:
        warnings.warn(_PIN_WARNING, UserWarning, stacklevel=3)
        return None
    from ... import creation
    from ._worker import _map_structure

    def pin_tensor(t):
        if t.device.type != "cpu":
            return t
        return creation.from_numpy(pin(t._backend.to_host(t.detach()._data)))
    return lambda batch: _map_structure(batch, pin_tensor)
