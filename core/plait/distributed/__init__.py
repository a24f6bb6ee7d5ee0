"""plait.distributed: collectives between processes (torch.distributed's API) on MPI through mpi4py.

Start the ranks with ``python -m plait.distributed.run --nproc-per-node N script.py`` (it wraps the
installed MPI's ``mpiexec``), then in the script::

    import plait.distributed as dist
    dist.init_process_group("mpi")          # rank and world size come from MPI
    dist.all_reduce(t)                      # in place, as torch's

Every collective first exchanges the callers' shapes and dtypes, so ranks that disagree all raise the
same clear error instead of hanging; waits honour the group's ``timeout``. Tensors of any backend and
device work: MPI reads host memory, so non-NumPy tensors are staged through a host copy. ``gloo`` is
accepted as a name for the same MPI transport (plait has no Gloo), so CPU programs written for torch run.
There is no NCCL process group yet (``init_process_group("nccl")`` says so).
"""
import datetime
import importlib.util
import os

from .. import creation
from ..autograd.grad_mode import no_grad
from ._group import ProcessGroup, ReduceOp, Work, _wait_all, host_buffer, mpi_op

__all__ = ["ReduceOp", "Work", "ProcessGroup", "group", "GroupMember", "is_available", "is_mpi_available",
           "is_nccl_available", "is_gloo_available", "is_initialized", "is_torchelastic_launched",
           "init_process_group", "destroy_process_group", "new_group", "get_rank", "get_world_size",
           "get_backend", "get_process_group_ranks", "get_global_rank", "get_group_rank", "barrier",
           "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "reduce_scatter_tensor", "gather", "scatter", "send", "recv", "isend", "irecv", "all_to_all",
           "all_to_all_single", "broadcast_object_list", "all_gather_object", "gather_object",
           "scatter_object_list", "monitored_barrier"]

_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # torch's default for CPU backends


class group:
    """``group.WORLD``: the default process group once ``init_process_group`` ran."""
    WORLD = None


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = object()


def is_available():
    """Whether collectives can run here: mpi4py (and with it an MPI library) is installed."""
    return is_mpi_available()


def is_mpi_available():
    return importlib.util.find_spec("mpi4py") is not None


def is_nccl_available():
    """False: plait has no NCCL process group yet; CUDA tensors reduce over MPI through host memory."""
    return False


def is_gloo_available():
    """False: plait has no Gloo; ``init_process_group("gloo")`` runs on MPI."""
    return False


def is_torchelastic_launched():
    return False


def is_initialized():
    return group.WORLD is not None


def _not_initialized():
    return RuntimeError("Default process group has not been initialized, please make sure to call "
                        "init_process_group.")


def _group(g):
    if g is None or g is group.WORLD:
        if group.WORLD is None:
            raise _not_initialized()
        return group.WORLD
    if g is GroupMember.NON_GROUP_MEMBER:
        raise RuntimeError("plait.distributed: this rank is not a member of the group it passed")
    if not isinstance(g, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup from plait.distributed.new_group, got {type(g).__name__}")
    return g


def _seconds(timeout):
    if timeout is None:
        timeout = _DEFAULT_TIMEOUT
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the job's default process group.

    ``backend``: "mpi" (default; tensors of any device, staged through host memory) or "gloo" (served
    by MPI too); "nccl" raises, as plait has no NCCL process group yet. Rank and world size come from
    MPI; ``rank``/``world_size``, when given, must agree with them. ``init_method`` may be None or "env://" (MPI is the rendezvous; other methods and a
    ``store`` raise). Sets the environment variables ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
    ``LOCAL_WORLD_SIZE`` as torchrun would. ``group_name``, ``pg_options`` and ``device_id`` are torch's
    tuning knobs with no MPI meaning; they must be left at their defaults.
    """
    if group.WORLD is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name not in ("mpi", "gloo", "nccl"):
        raise ValueError(f"Invalid backend: '{backend}'")
    if name == "nccl":
        raise RuntimeError("plait.distributed: the nccl backend is not available in this version of plait; use "
                           "backend='mpi', which reduces CUDA tensors too (through host memory)")
    if store is not None or init_method not in (None, "env://"):
        raise ValueError(f"plait.distributed bootstraps through MPI: init_method must be None or 'env://' and "
                         f"store None, got init_method={init_method!r}, store={store!r}")
    if group_name or pg_options is not None or device_id is not None:
        raise ValueError("plait.distributed: group_name, pg_options and device_id have no meaning on MPI; leave "
                         "them unset")
    timeout_s = _seconds(timeout)
    if not is_mpi_available():
        raise RuntimeError("plait.distributed needs mpi4py and an MPI library: pip install mpi4py mpich")
    from mpi4py import MPI
    world = MPI.COMM_WORLD
    mpi_rank, mpi_size = world.Get_rank(), world.Get_size()
    env_size = os.environ.get("WORLD_SIZE")
    if mpi_size == 1 and env_size not in (None, "1"):
        raise RuntimeError(f"plait.distributed runs on MPI, but this process is alone in its MPI job while "
                           f"WORLD_SIZE={env_size}: start the ranks with `python -m plait.distributed.run "
                           f"--nproc-per-node N script.py` (or mpiexec)")
    if world_size not in (-1, None) and int(world_size) != mpi_size:
        raise ValueError(f"world_size={world_size} was given, but MPI started {mpi_size} processes")
    if rank not in (-1, None) and int(rank) != mpi_rank:
        raise ValueError(f"rank={rank} was given, but MPI says this process is rank {mpi_rank}")
    pg = ProcessGroup(world.Dup(), "mpi", timeout_s, list(range(mpi_size)))
    node = world.Split_type(MPI.COMM_TYPE_SHARED, key=mpi_rank)
    os.environ.update(RANK=str(mpi_rank), WORLD_SIZE=str(mpi_size), LOCAL_RANK=str(node.Get_rank()),
                      LOCAL_WORLD_SIZE=str(node.Get_size()))
    node.Free()
    group.WORLD = GroupMember.WORLD = pg


def destroy_process_group(group_=None):
    """Free a group's communicator; without an argument, the default group and with it the job's state."""
    if group_ is not None and group_ is not group.WORLD:
        _group(group_).comm.Free()
        return
    if group.WORLD is None:
        raise _not_initialized()
    group.WORLD.comm.Free()
    group.WORLD = GroupMember.WORLD = None


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False):
    """A group of some ranks; every rank of the default group must call it, with the same ``ranks``."""
    world = _group(None)
    ranks = sorted(range(world.size())) if ranks is None else sorted(int(r) for r in ranks)
    if any(r < 0 or r >= world.size() for r in ranks) or len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks must be distinct and in [0, {world.size()}), got {ranks}")
    comm = world.comm.Create_group(world.comm.group.Incl(ranks))
    if world.rank() not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    timeout_s = world.timeout_s if timeout is None else _seconds(timeout)
    if backend is not None and str(backend).lower() not in ("mpi", "gloo"):
        raise ValueError(f"new_group: backend must be 'mpi' (or 'gloo', served by MPI), got {backend!r}")
    return ProcessGroup(comm, "mpi", timeout_s, ranks)


def get_rank(group=None):
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).rank()


def get_world_size(group=None):
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group(group).size()


def get_backend(group=None):
    return _group(group).backend


def get_process_group_ranks(group):
    return list(_group(group).ranks)


def get_global_rank(group, group_rank):
    return _group(group).ranks[group_rank]


def get_group_rank(group, global_rank):
    ranks = _group(group).ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)


# ----------------------------------------------------------------------------- checks before a collective
def _check_tensor(t, what, name="tensor"):
    from ..tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"plait.distributed.{what}: {name} must be a plait.Tensor, got {type(t).__name__}")


def _agree(g, what, meta):
    """Exchange ``meta`` (shape, dtype, root, op as text) among the group; raise on every rank if they
    differ, naming what each rank passed."""
    metas = g.comm.allgather(meta)
    if any(m != metas[0] for m in metas):
        detail = "; ".join(f"rank {g.ranks[i]}: {m}" for i, m in enumerate(metas))
        raise RuntimeError(f"plait.distributed.{what}: the ranks called it with different arguments ({detail})")


def _meta(t, **more):
    text = f"shape={list(t.shape)}, dtype={t.dtype.name}"
    return ", ".join([text, *(f"{k}={v}" for k, v in more.items())])


def _root(g, rank, what, name):
    if rank not in g.ranks:
        raise ValueError(f"plait.distributed.{what}: {name}={rank} is not a rank of the group {g.ranks}")
    return g.ranks.index(rank)


def _run(g, requests, finish, async_op):
    work = Work(requests, finish, g.timeout_s)
    if async_op:
        return work
    work.wait()
    return None


def _bump(t):
    t._vc[0] += 1  # MPI wrote into the tensor's memory: saved copies of it are stale


# ----------------------------------------------------------------------------- tensor collectives
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across the group, in place, on every rank."""
    g = _group(group)
    _check_tensor(tensor, "all_reduce")
    _agree(g, "all_reduce", _meta(tensor, op=op))
    from mpi4py import MPI
    buf = host_buffer(tensor)
    mop = mpi_op(op, buf.array.dtype.kind)

    def finish():
        if op == ReduceOp.AVG:
            buf.array /= g.size()
        buf.write_back()
        _bump(tensor)
    return _run(g, [g.comm.Iallreduce(MPI.IN_PLACE, buf.array, mop)], finish, async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank."""
    g = _group(group)
    _check_tensor(tensor, "broadcast")
    _agree(g, "broadcast", _meta(tensor, src=src))
    root = _root(g, src, "broadcast", "src")
    buf = host_buffer(tensor)

    def finish():
        if g.rank() != root:
            buf.write_back()
            _bump(tensor)
    return _run(g, [g.comm.Ibcast(buf.array, root=root)], finish, async_op)


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across the group into rank ``dst``'s ``tensor`` (others keep theirs)."""
    g = _group(group)
    _check_tensor(tensor, "reduce")
    _agree(g, "reduce", _meta(tensor, dst=dst, op=op))
    from mpi4py import MPI
    root = _root(g, dst, "reduce", "dst")
    buf = host_buffer(tensor, writable=g.rank() == root)
    mop = mpi_op(op, buf.array.dtype.kind)
    if g.rank() == root:
        request = g.comm.Ireduce(MPI.IN_PLACE, buf.array, mop, root=root)
    else:
        request = g.comm.Ireduce(buf.array, None, mop, root=root)

    def finish():
        if g.rank() == root:
            if op == ReduceOp.AVG:
                buf.array /= g.size()
            buf.write_back()
            _bump(tensor)
    return _run(g, [request], finish, async_op)


def _stacked_output(g, like, count):
    out = creation.empty((count, *like.shape), dtype=like.dtype, device=like.device)
    return out, host_buffer(out)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[i]`` = rank i's ``tensor``, on every rank."""
    g = _group(group)
    _check_tensor(tensor, "all_gather")
    if len(tensor_list) != g.size():
        raise ValueError(f"plait.distributed.all_gather: tensor_list has {len(tensor_list)} tensors for a group "
                         f"of {g.size()} ranks")
    for t in tensor_list:
        _check_tensor(t, "all_gather", "tensor_list entries")
        if tuple(t.shape) != tuple(tensor.shape) or t.dtype is not tensor.dtype:
            raise ValueError(f"plait.distributed.all_gather: every output must match the input "
                             f"{_meta(tensor)}, got {_meta(t)}")
    _agree(g, "all_gather", _meta(tensor))
    out, obuf = _stacked_output(g, tensor, g.size())
    send = host_buffer(tensor, writable=False)

    def finish():
        obuf.write_back()
        with no_grad():
            for i, t in enumerate(tensor_list):
                t.copy_(out[i])
    return _run(g, [g.comm.Iallgather(send.array, obuf.array)], finish, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (or stacked) along dim 0 into ``output_tensor``."""
    g = _group(group)
    _check_tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    _check_tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    if output_tensor.numel() != g.size() * input_tensor.numel() or output_tensor.dtype is not input_tensor.dtype:
        raise ValueError(f"plait.distributed.all_gather_into_tensor: output_tensor must hold world_size "
                         f"({g.size()}) x input {_meta(input_tensor)}, got {_meta(output_tensor)}")
    _agree(g, "all_gather_into_tensor", _meta(input_tensor))
    obuf = host_buffer(output_tensor)
    send = host_buffer(input_tensor, writable=False)

    def finish():
        obuf.write_back()
        _bump(output_tensor)
    return _run(g, [g.comm.Iallgather(send.array, obuf.array)], finish, async_op)


def _reduce_scatter(g, output, send_array, op, async_op, what):
    obuf = host_buffer(output)
    mop = mpi_op(op, obuf.array.dtype.kind)

    def finish():
        if op == ReduceOp.AVG:
            obuf.array /= g.size()
        obuf.write_back()
        _bump(output)
    return _run(g, [g.comm.Ireduce_scatter_block(send_array, obuf.array, mop)], finish, async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``output`` on rank i = the reduction over ranks of their ``input_list[i]``."""
    g = _group(group)
    _check_tensor(output, "reduce_scatter", "output")
    if len(input_list) != g.size() or any(_meta(t) != _meta(output) for t in input_list):
        raise ValueError(f"plait.distributed.reduce_scatter: input_list must hold {g.size()} tensors shaped like "
                         f"output {_meta(output)}")
    _agree(g, "reduce_scatter", _meta(output, op=op))
    from ..ops.shape import stack
    send = host_buffer(stack(list(input_list), 0), writable=False)
    return _reduce_scatter(g, output, send.array, op, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``output`` on rank i = the reduction over ranks of the i-th dim-0 chunk of their ``input``."""
    g = _group(group)
    _check_tensor(output, "reduce_scatter_tensor", "output")
    _check_tensor(input, "reduce_scatter_tensor", "input")
    if input.numel() != g.size() * output.numel() or input.dtype is not output.dtype:
        raise ValueError(f"plait.distributed.reduce_scatter_tensor: input must hold world_size ({g.size()}) x "
                         f"output {_meta(output)}, got {_meta(input)}")
    _agree(g, "reduce_scatter_tensor", _meta(input, op=op))
    send = host_buffer(input, writable=False)
    return _reduce_scatter(g, output, send.array, op, async_op, "reduce_scatter_tensor")


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Rank ``dst``'s ``gather_list[i]`` = rank i's ``tensor``."""
    g = _group(group)
    _check_tensor(tensor, "gather")
    _agree(g, "gather", _meta(tensor, dst=dst))
    root = _root(g, dst, "gather", "dst")
    send = host_buffer(tensor, writable=False)
    if g.rank() != root:
        if gather_list:
            raise ValueError("plait.distributed.gather: only the dst rank passes gather_list")
        return _run(g, [g.comm.Igather(send.array, None, root=root)], None, async_op)
    if gather_list is None or len(gather_list) != g.size():
        raise ValueError(f"plait.distributed.gather: the dst rank must pass a gather_list of {g.size()} tensors")
    out, obuf = _stacked_output(g, tensor, g.size())

    def finish():
        obuf.write_back()
        with no_grad():
            for i, t in enumerate(gather_list):
                t.copy_(out[i])
    return _run(g, [g.comm.Igather(send.array, obuf.array, root=root)], finish, async_op)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """``tensor`` on rank i = rank ``src``'s ``scatter_list[i]``."""
    g = _group(group)
    _check_tensor(tensor, "scatter")
    _agree(g, "scatter", _meta(tensor, src=src))
    root = _root(g, src, "scatter", "src")
    buf = host_buffer(tensor)
    send = None
    if g.rank() == root:
        if scatter_list is None or len(scatter_list) != g.size() or any(_meta(t) != _meta(tensor)
                                                                        for t in scatter_list):
            raise ValueError(f"plait.distributed.scatter: the src rank must pass {g.size()} tensors shaped like "
                             f"tensor {_meta(tensor)}")
        from ..ops.shape import stack
        send = host_buffer(stack(list(scatter_list), 0), writable=False).array
    elif scatter_list:
        raise ValueError("plait.distributed.scatter: only the src rank passes scatter_list")

    def finish():
        buf.write_back()
        _bump(tensor)
    return _run(g, [g.comm.Iscatter(send, buf.array, root=root)], finish, async_op)


def _split_counts(total_rows, splits, size, what, name):
    if splits is None:
        if total_rows % size:
            raise ValueError(f"plait.distributed.{what}: dim 0 ({total_rows}) does not split evenly over {size} "
                             f"ranks; pass {name}")
        return [total_rows // size] * size
    splits = [int(s) for s in splits]
    if len(splits) != size or sum(splits) != total_rows:
        raise ValueError(f"plait.distributed.{what}: {name} must be {size} sizes summing to {total_rows}, got "
                         f"{splits}")
    return splits


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """Rank i sends the j-th dim-0 chunk of ``input`` to rank j, which stores it as its i-th chunk of
    ``output`` (chunks even, or sized by the split lists)."""
    g = _group(group)
    _check_tensor(output, "all_to_all_single", "output")
    _check_tensor(input, "all_to_all_single", "input")
    n = g.size()
    rows_in = input.shape[0] if input.ndim else 1
    rows_out = output.shape[0] if output.ndim else 1
    row = input.numel() // rows_in if rows_in else 0
    send_counts = [c * row for c in _split_counts(rows_in, input_split_sizes, n, "all_to_all_single",
                                                  "input_split_sizes")]
    recv_counts = [c * row for c in _split_counts(rows_out, output_split_sizes, n, "all_to_all_single",
                                                  "output_split_sizes")]
    # rank i's send count to j must be j's receive count from i: check the whole matrix before moving data
    sends = g.comm.allgather((send_counts, tuple(input.shape[1:]), input.dtype.name))
    for j, (counts, tail, dt) in enumerate(sends):
        if counts[g.rank()] != recv_counts[j] or tail != tuple(output.shape[1:]) or dt != output.dtype.name:
            raise RuntimeError(f"plait.distributed.all_to_all_single: rank {g.ranks[j]} sends {counts[g.rank()]} "
                               f"elements of {dt} rows {tail} to rank {g.ranks[g.rank()]}, which expects "
                               f"{recv_counts[j]} of {output.dtype.name} rows {tuple(output.shape[1:])}")
    send = host_buffer(input, writable=False)
    obuf = host_buffer(output)

    def displacements(counts):
        out, at = [], 0
        for c in counts:
            out.append(at)
            at += c
        return out

    def finish():
        obuf.write_back()
        _bump(output)
    request = g.comm.Ialltoallv([send.array, (send_counts, displacements(send_counts))],
                                [obuf.array, (recv_counts, displacements(recv_counts))])
    return _run(g, [request], finish, async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank i sends ``input_tensor_list[j]`` to rank j, which stores it in ``output_tensor_list[i]``."""
    g = _group(group)
    n = g.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"plait.distributed.all_to_all: both lists must hold {n} tensors")
    from ..ops.shape import cat
    flat_in = cat([t.reshape(-1) for t in input_tensor_list])
    flat_out = creation.empty((sum(t.numel() for t in output_tensor_list),), dtype=output_tensor_list[0].dtype,
                              device=output_tensor_list[0].device)
    work = all_to_all_single(flat_out, flat_in, [t.numel() for t in output_tensor_list],
                             [t.numel() for t in input_tensor_list], group, async_op=True)

    def copy_out():
        at = 0
        with no_grad():
            for t in output_tensor_list:
                t.copy_(flat_out[at:at + t.numel()].reshape(t.shape))
                at += t.numel()
    work.then(copy_out)
    if async_op:
        return work
    work.wait()
    return None


def send(tensor, dst, group=None, tag=0):
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag)
    work.wait()
    return work._source


def isend(tensor, dst, group=None, tag=0):
    g = _group(group)
    _check_tensor(tensor, "isend")
    buf = host_buffer(tensor, writable=False)
    return Work([g.comm.Isend(buf.array, dest=_root(g, dst, "send", "dst"), tag=tag)], None, g.timeout_s)


def irecv(tensor, src=None, group=None, tag=0):
    """Start receiving into ``tensor``; the Work's ``_source`` is the sender's rank once it completed."""
    from mpi4py import MPI
    g = _group(group)
    _check_tensor(tensor, "irecv")
    buf = host_buffer(tensor)
    status = MPI.Status()
    source = MPI.ANY_SOURCE if src is None else _root(g, src, "recv", "src")
    work = Work([g.comm.Irecv(buf.array, source=source, tag=tag)], None, g.timeout_s, statuses=[status])

    def finish():
        buf.write_back()
        _bump(tensor)
        work._source = g.ranks[status.Get_source()]
    return work.then(finish)


def barrier(group=None, async_op=False, device_ids=None):
    g = _group(group)
    return _run(g, [g.comm.Ibarrier()], None, async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier that raises after ``timeout`` (default: the group's) instead of waiting forever."""
    g = _group(group)
    _wait_all([g.comm.Ibarrier()], g.timeout_s if timeout is None else _seconds(timeout))


# ----------------------------------------------------------------------------- object collectives (pickled)
def broadcast_object_list(object_list, src=0, group=None, device=None):
    g = _group(group)
    root = _root(g, src, "broadcast_object_list", "src")
    received = g.comm.bcast(list(object_list) if g.rank() == root else None, root=root)
    object_list[:] = received


def all_gather_object(object_list, obj, group=None):
    g = _group(group)
    if len(object_list) != g.size():
        raise ValueError(f"plait.distributed.all_gather_object: object_list has {len(object_list)} slots for "
                         f"{g.size()} ranks")
    object_list[:] = g.comm.allgather(obj)


def gather_object(obj, object_gather_list=None, dst=0, group=None):
    g = _group(group)
    root = _root(g, dst, "gather_object", "dst")
    gathered = g.comm.gather(obj, root=root)
    if g.rank() == root:
        if object_gather_list is None or len(object_gather_list) != g.size():
            raise ValueError(f"plait.distributed.gather_object: the dst rank must pass a list of {g.size()} slots")
        object_gather_list[:] = gathered


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=0, group=None):
    g = _group(group)
    root = _root(g, src, "scatter_object_list", "src")
    if g.rank() == root and (scatter_object_input_list is None or len(scatter_object_input_list) != g.size()):
        raise ValueError(f"plait.distributed.scatter_object_list: the src rank must pass {g.size()} objects")
    mine = g.comm.scatter(list(scatter_object_input_list) if g.rank() == root else None, root=root)
    scatter_object_output_list[0] = mine
