"""Process groups over MPI (mpi4py): the communicator, tensors as MPI buffers, and the Work handles of
asynchronous collectives.

MPI gives every rank, not a store, so there is no rendezvous of our own: ``init_process_group`` reads
rank and size from ``MPI.COMM_WORLD``. Tensors cross as host buffers: on a backend whose host memory is
the tensor's own (NumPy), a row-major tensor is handed to MPI in place; otherwise (other backends,
non-contiguous views) a contiguous host copy is reduced and written back with ``copy_``.
"""
import time

from ..autograd.grad_mode import no_grad


class ReduceOp:
    """Reduction operations of the collectives (torch.distributed.ReduceOp)."""
    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"
    BAND = "BAND"
    BOR = "BOR"
    BXOR = "BXOR"
    PREMUL_SUM = "PREMUL_SUM"


_INTEGER_ONLY = {ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR}


class Work:
    """Handle of a collective started with ``async_op=True``: ``wait()``, ``is_completed()``. Results that
    need copying back (host staging, AVG's division) are finished by the first of the two that sees the
    requests complete."""

    def __init__(self, requests, finish, timeout, statuses=None):
        self._requests = list(requests)
        self._finishers = [finish] if finish is not None else []
        self._timeout = timeout
        self._statuses = statuses
        self._done = False

    def then(self, finish):
        """Run ``finish()`` after the ones already queued, once the requests have completed."""
        self._finishers.append(finish)
        return self

    def is_completed(self):
        if not self._done:
            from mpi4py import MPI
            done = (MPI.Request.Testall(self._requests, self._statuses) if self._statuses is not None
                    else MPI.Request.Testall(self._requests))
            if done:
                self._complete()
        return self._done

    def wait(self, timeout=None):
        if not self._done:
            _wait_all(self._requests, timeout if timeout is not None else self._timeout, self._statuses)
            self._complete()
        return True

    def _complete(self):
        self._done = True
        finishers, self._finishers = self._finishers, []
        for finish in finishers:
            finish()

    def is_success(self):
        return self._done

    def exception(self):
        return None

    def result(self):
        return []


def _wait_all(requests, timeout_s, statuses=None):
    """Wait for MPI requests, raising (never hanging past) the group's timeout."""
    from mpi4py import MPI

    def test():
        return MPI.Request.Testall(requests, statuses) if statuses is not None else MPI.Request.Testall(requests)
    deadline = time.monotonic() + timeout_s
    spins = 0
    while not test():
        spins += 1
        if spins > 1000:
            if time.monotonic() > deadline:
                raise RuntimeError(f"plait.distributed: a collective did not complete within the process group's "
                                   f"timeout of {timeout_s} s (a rank died or did not call it)")
            time.sleep(0)


class ProcessGroup:
    """A set of ranks with their MPI communicator (``group=`` in every collective)."""

    def __init__(self, comm, backend, timeout_s, ranks):
        self.comm = comm
        self.backend = backend
        self.timeout_s = timeout_s
        self.ranks = ranks  # global ranks, in group order

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def __repr__(self):
        return f"<plait.distributed.ProcessGroup backend={self.backend} ranks={self.ranks}>"


class _HostBuffer:
    """A tensor's contents as a contiguous host array for MPI, and how to put a result back."""
    __slots__ = ("tensor", "array", "in_place", "upcast")

    def __init__(self, tensor, writable=True):
        self.tensor = tensor
        backend = tensor._backend
        host = backend.to_host(tensor._data)
        self.in_place = bool(writable and backend.shares_host_memory and host.flags["C_CONTIGUOUS"]
                             and host.flags["WRITEABLE"])
        self.upcast = host.dtype.kind == "f" and host.dtype.itemsize == 2  # MPI has no half type
        if self.upcast:
            host = host.astype("float32")
            self.in_place = False
        elif not self.in_place:
            host = host.copy(order="C")
        self.array = host

    def write_back(self):
        if self.in_place:
            return
        from .. import creation
        t = self.tensor
        result = creation.as_tensor(self.array, device=t.device).to(t.dtype)
        with no_grad():
            t.copy_(result.reshape(t.shape))


def host_buffer(tensor, writable=True):
    return _HostBuffer(tensor, writable)


def mpi_op(op, dtype_kind):
    """The MPI operation for ``op`` on host arrays of NumPy kind ``dtype_kind`` ('f', 'i', 'u', 'b')."""
    from mpi4py import MPI
    if op in _INTEGER_ONLY and dtype_kind not in "iub":
        raise RuntimeError(f"plait.distributed: ReduceOp.{op} needs an integer or bool tensor, got a "
                           f"floating-point one")
    if op == ReduceOp.AVG and dtype_kind != "f":
        raise RuntimeError("plait.distributed: ReduceOp.AVG needs a floating-point tensor (an integer average "
                           "would be truncated); reduce with SUM and divide")
    if op == ReduceOp.PREMUL_SUM:
        raise ValueError("plait.distributed: ReduceOp.PREMUL_SUM is made with _make_nccl_premul_sum, which only "
                         "the NCCL backend offers")
    if dtype_kind == "b":  # MPI's logical type takes only logical operations: SUM/MAX = any, PRODUCT/MIN = all
        return {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR, ReduceOp.PRODUCT: MPI.LAND,
                ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND, ReduceOp.BXOR: MPI.LXOR}[op]
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR,
            ReduceOp.BXOR: MPI.BXOR}[op]
