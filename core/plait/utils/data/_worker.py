"""The worker side of a multi-process DataLoader: the loop each worker process runs, ``get_worker_info``,
and how a batch crosses the process boundary.

Tensors do not travel through the result pipe: a worker copies every tensor of a batch into one
``multiprocessing.shared_memory`` segment and sends only the segment's name with each tensor's dtype,
shape and offset; the main process copies them out into its own arrays and unlinks the segment. Small
batches (under ``_SHARED_MEMORY_MIN`` bytes of tensor data) travel as raw bytes, which is cheaper than
creating a segment.
"""
import collections.abc
import os
import queue
import random
import signal
import sys
import traceback
from multiprocessing import shared_memory

from ... import creation
from ._collate import default_collate
from ..._dtype import BY_NAME as _dtype_by_name
from ...tensor import Tensor

#: batches whose tensors hold fewer bytes than this are sent inline (a segment costs a few system calls)
_SHARED_MEMORY_MIN = 1 << 16
_ALIGN = 64
#: how often a waiting worker checks that the main process is still alive, in seconds
_PARENT_POLL_S = 1.0


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed`` and ``dataset``
    (this worker's copy of the loader's dataset)."""
    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __setattr__(self, name, value):
        if hasattr(self, name):
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        object.__setattr__(self, name, value)

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


class _WorkerState:
    """Per process: set once in a worker when its loop starts; ``info`` stays None in the main process."""
    info = None


def get_worker_info():
    """In a DataLoader worker process: its :class:`WorkerInfo`; in the main process: None."""
    return _WorkerState.info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its type and traceback text."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyError.__repr__(KeyError(msg))  # KeyError's str() quotes its argument: keep it readable
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type whose constructor takes other arguments
            raise RuntimeError(msg) from None
        raise exception


class _IterableEnd:
    """A worker's reply once its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _Resume:
    """Sent to persistent workers at a new epoch: restart the iterator of an IterableDataset."""


# ----------------------------------------------------------------------------- batches across processes
class _TensorSlot:
    """Stands in a sent batch where a tensor was: dtype name, shape, byte offset and length."""
    __slots__ = ("dtype", "shape", "offset", "nbytes", "requires_grad")

    def __init__(self, dtype, shape, offset, nbytes, requires_grad):
        self.dtype, self.shape, self.offset, self.nbytes, self.requires_grad = (dtype, shape, offset, nbytes,
                                                                                requires_grad)

    def __reduce__(self):
        return _TensorSlot, (self.dtype, self.shape, self.offset, self.nbytes, self.requires_grad)


class PackedBatch:
    """A batch with its tensors moved out into one buffer: ``shm_name`` (a shared-memory segment) or
    ``inline`` (bytes)."""
    __slots__ = ("structure", "shm_name", "inline")

    def __init__(self, structure, shm_name, inline):
        self.structure, self.shm_name, self.inline = structure, shm_name, inline

    def __reduce__(self):
        return PackedBatch, (self.structure, self.shm_name, self.inline)

    def release(self):
        """Free the segment of a batch that will never be unpacked (a stale or abandoned result)."""
        if self.shm_name is not None:
            _unlink_segment(self.shm_name)
            self.shm_name = None


def _map_structure(obj, fn):
    """``obj`` with ``fn`` applied to every Tensor inside lists, tuples (namedtuples too) and mappings."""
    if isinstance(obj, (Tensor, _TensorSlot)):
        return fn(obj)
    if isinstance(obj, (str, bytes)):
        return obj
    if isinstance(obj, collections.abc.Mapping):
        try:
            return type(obj)({k: _map_structure(v, fn) for k, v in obj.items()})
        except TypeError:
            return {k: _map_structure(v, fn) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_map_structure(v, fn) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_structure(v, fn) for v in obj)
    return obj


def _host_bytes(t):
    host = t._backend.to_host(t.detach()._data)
    try:
        return memoryview(host).cast("B")
    except (TypeError, ValueError):  # not C-contiguous, or a format memoryview cannot cast
        return memoryview(host.tobytes())


def pack_batch(batch):
    """Move the tensors of ``batch`` into one shared-memory segment (or inline bytes when small)."""
    views = []
    total = 0

    def to_slot(t):
        nonlocal total
        view = _host_bytes(t)
        offset = -(-total // _ALIGN) * _ALIGN
        total = offset + view.nbytes
        views.append((offset, view))
        return _TensorSlot(t.dtype.name, tuple(t.shape), offset, view.nbytes, t.requires_grad)

    structure = _map_structure(batch, to_slot)
    if not views:
        return PackedBatch(structure, None, None)
    if total < _SHARED_MEMORY_MIN:
        buf = bytearray(total)
        for offset, view in views:
            buf[offset:offset + view.nbytes] = view
        return PackedBatch(structure, None, bytes(buf))
    shm = shared_memory.SharedMemory(create=True, size=total)
    try:
        for offset, view in views:
            shm.buf[offset:offset + view.nbytes] = view
    except BaseException:
        shm.close()
        shm.unlink()
        raise
    shm.close()
    return PackedBatch(structure, shm.name, None)


def unpack_batch(packed):
    """The batch back in this process: each tensor copied out of the buffer onto the default device."""
    if packed.shm_name is None and packed.inline is None:
        return packed.structure
    backend, dev = creation.resolve(None)
    shm = None
    if packed.shm_name is not None:
        shm = _attach(packed.shm_name)
        buf = shm.buf
    else:
        buf = memoryview(packed.inline)

    def from_slot(slot):
        dtype = _dtype_by_name[slot.dtype]
        data = backend.from_bytes(buf[slot.offset:slot.offset + slot.nbytes], dtype, slot.shape, dev)
        t = creation._finish(data, backend, dev, slot.requires_grad, dtype)
        return t

    try:
        return _map_structure(packed.structure, from_slot)
    finally:
        if shm is not None:
            del buf
            shm.close()
            shm.unlink()
            packed.shm_name = None


def _attach(name):
    # attaching registers the segment with the (shared) resource tracker again, a no-op since the creating
    # worker did; unlink() below unregisters it, so a crash before that leaves the tracker to remove it
    return shared_memory.SharedMemory(name=name)


def _unlink_segment(name):
    try:
        shm = _attach(name)
    except FileNotFoundError:
        return
    shm.close()
    shm.unlink()


# ----------------------------------------------------------------------------- the worker loop
def _seed_worker(seed):
    random.seed(seed)
    creation.manual_seed(seed)
    np = sys.modules.get("numpy")  # seed NumPy's legacy global RNG as torch does, if the dataset uses it
    if np is not None:
        np.random.seed(seed % (1 << 32))


def _fetch(dataset, indices, auto_collation, collate_fn, fetch_batch):
    if fetch_batch is not None:  # a TensorDataset: one gather per tensor, not one __getitem__ per sample
        return fetch_batch(indices)
    if auto_collation:
        getitems = getattr(dataset, "__getitems__", None)
        samples = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
        return collate_fn(samples)
    return collate_fn(dataset[indices])


def _iterable_fetch(stream, batch_size, drop_last, collate_fn):
    """The next batch from a worker's IterableDataset iterator, or None when it is exhausted."""
    if batch_size is None:
        return collate_fn(next(stream))
    batch = []
    for sample in stream:
        batch.append(sample)
        if len(batch) == batch_size:
            break
    if not batch or (drop_last and len(batch) < batch_size):
        raise StopIteration
    return collate_fn(batch)


def worker_loop(dataset, iterable, index_queue, result_queue, worker_id, num_workers, seed, init_fn,
                auto_collation, collate_fn, batch_size, drop_last, parent_pid):
    """Body of one worker process: fetch what the main process asks for until told to stop (None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle; it stops us
    creation.set_default_device("cpu")
    _seed_worker(seed)
    _WorkerState.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception:
        init_error = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
    fetch_batch = None
    if auto_collation and collate_fn is default_collate and hasattr(dataset, "_batch_fetcher"):
        fetch_batch = dataset._batch_fetcher()
    stream = None
    if iterable and init_error is None:
        stream = iter(dataset)
    exhausted = False
    while True:
        try:
            task = index_queue.get(timeout=_PARENT_POLL_S)
        except queue.Empty:
            if os.getppid() != parent_pid:  # the main process died without stopping us
                return
            continue
        if task is None:
            return
        if isinstance(task, _Resume):
            stream, exhausted = iter(dataset), False
            continue
        epoch, send_idx, indices = task
        if init_error is not None:
            result_queue.put((epoch, send_idx, init_error))
            continue
        if exhausted:
            result_queue.put((epoch, send_idx, _IterableEnd(worker_id)))
            continue
        try:
            if iterable:
                batch = _iterable_fetch(stream, batch_size, drop_last, collate_fn)
            else:
                batch = _fetch(dataset, indices, auto_collation, collate_fn, fetch_batch)
            result = pack_batch(batch)
        except StopIteration:
            exhausted = True
            result = _IterableEnd(worker_id)
        except Exception:
            result = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
        result_queue.put((epoch, send_idx, result))
