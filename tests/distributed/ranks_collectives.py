"""Run on every rank (by test_collectives.py through plait.distributed.run): each collective against the
result one process computes from every rank's (deterministic) input. Any mismatch raises, which aborts
the job with a non-zero exit."""
import sys

import plait
import plait.distributed as dist

DTYPES = [plait.float32, plait.float64, plait.float16, plait.int64, plait.int32, plait.int16, plait.int8,
          plait.uint8, plait.bool]


def value(rank, shape, dtype, salt=0):
    """Rank ``rank``'s input: small numbers distinct per rank and element, representable in every dtype."""
    n = 1
    for s in shape:
        n *= s
    base = plait.arange(n).reshape(shape)
    if dtype is plait.bool:
        return ((base + rank + salt) % 2 == 0)
    return ((base % 5) + rank + salt + 1).to(dtype)


def check(got, want, what):
    if got.dtype is not want.dtype or got.shape != want.shape or not bool((got.double() - want.double()).abs()
                                                                             .max() <= 1e-6 if got.numel() else True):
        raise AssertionError(f"rank {dist.get_rank()}: {what}: got {got} want {want}")


def reduce_all(tensors, op):
    out = tensors[0].clone()
    for t in tensors[1:]:
        if op == dist.ReduceOp.SUM:
            out = out | t if out.dtype is plait.bool else out + t
        elif op == dist.ReduceOp.PRODUCT:
            out = out & t if out.dtype is plait.bool else out * t
        elif op == dist.ReduceOp.MAX:
            out = out | t if out.dtype is plait.bool else plait.maximum(out, t)
        elif op == dist.ReduceOp.MIN:
            out = out & t if out.dtype is plait.bool else plait.minimum(out, t)
    return out


def main():
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    import os
    assert os.environ["RANK"] == str(rank) and os.environ["WORLD_SIZE"] == str(size)
    shape = (3, 4)
    backend = plait.zeros(1)._backend
    for dtype in [d for d in DTYPES if d in backend.dtype_to_native]:  # the strict backend has no float16
        everyone = [value(r, shape, dtype) for r in range(size)]
        ops = [dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.MIN]
        if dtype is not plait.float16 and dtype is not plait.bool:
            ops.append(dist.ReduceOp.PRODUCT)
        for op in ops:
            t = value(rank, shape, dtype)
            dist.all_reduce(t, op=op)
            check(t, reduce_all(everyone, op), f"all_reduce {op} {dtype}")
        # non-contiguous input: a transposed view is reduced and written back through the view
        base = value(rank, (4, 3), dtype)
        view = base.t()
        dist.all_reduce(view, op=dist.ReduceOp.MAX)
        check(base, reduce_all([value(r, (4, 3), dtype) for r in range(size)], dist.ReduceOp.MAX),
              f"all_reduce through a transposed view {dtype}")
        t = value(rank, shape, dtype)
        dist.broadcast(t, src=size - 1)
        check(t, everyone[-1], f"broadcast {dtype}")
        outs = [plait.zeros(shape, dtype=dtype) for _ in range(size)]
        dist.all_gather(outs, value(rank, shape, dtype))
        for r in range(size):
            check(outs[r], everyone[r], f"all_gather {dtype}")
        out = plait.zeros((size * 3, 4), dtype=dtype)
        dist.all_gather_into_tensor(out, value(rank, shape, dtype))
        check(out, plait.cat(everyone), f"all_gather_into_tensor {dtype}")
    # AVG and asynchronous handles
    t = value(rank, shape, plait.float64)
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    work.wait()
    assert work.is_completed()
    check(t, sum(value(r, shape, plait.float64) for r in range(size)) / size, "all_reduce AVG")
    # reduce to one rank; others keep their input
    t = value(rank, shape, plait.float32)
    dist.reduce(t, dst=0)
    check(t, sum(value(r, shape, plait.float32) for r in range(size)) if rank == 0 else value(rank, shape,
                                                                                              plait.float32), "reduce")
    # reduce_scatter(_tensor): rank i gets the sum of everyone's i-th chunk
    inputs = [value(rank, (2,), plait.float32, salt=j) for j in range(size)]
    out = plait.zeros(2)
    dist.reduce_scatter(out, inputs)
    check(out, sum(value(r, (2,), plait.float32, salt=rank) for r in range(size)), "reduce_scatter")
    out = plait.zeros(2)
    dist.reduce_scatter_tensor(out, plait.cat(inputs))
    check(out, sum(value(r, (2,), plait.float32, salt=rank) for r in range(size)), "reduce_scatter_tensor")
    # gather / scatter
    gl = [plait.zeros(shape) for _ in range(size)] if rank == 0 else None
    dist.gather(value(rank, shape, plait.float32), gl, dst=0)
    if rank == 0:
        for r in range(size):
            check(gl[r], value(r, shape, plait.float32), "gather")
    t = plait.zeros(shape)
    dist.scatter(t, [value(r, shape, plait.float32, salt=7) for r in range(size)] if rank == 1 else None, src=1)
    check(t, value(rank, shape, plait.float32, salt=7), "scatter")
    # all_to_all_single with uneven splits: rank i sends i+1 rows to every rank
    rows = [r + 1 for r in range(size)]
    inp = plait.full((size * (rank + 1), 2), float(rank))
    out = plait.zeros((sum(rows), 2))
    dist.all_to_all_single(out, inp, output_split_sizes=rows, input_split_sizes=[rank + 1] * size)
    check(out, plait.cat([plait.full((r + 1, 2), float(r)) for r in range(size)]), "all_to_all_single")
    outs = [plait.zeros(2) for _ in range(size)]
    dist.all_to_all(outs, [plait.full((2,), float(10 * rank + j)) for j in range(size)])
    for r in range(size):
        check(outs[r], plait.full((2,), float(10 * r + rank)), "all_to_all")
    # point to point in a ring, blocking and not
    right, left = (rank + 1) % size, (rank - 1) % size
    t = plait.zeros(3)
    req = dist.isend(plait.full((3,), float(rank)), right)
    sender = dist.recv(t, src=None)
    req.wait()
    assert sender == left, (sender, left)
    check(t, plait.full((3,), float(left)), "send/recv")
    # object collectives
    objs = [None] * size
    dist.all_gather_object(objs, {"rank": rank, "name": f"r{rank}"})
    assert objs == [{"rank": r, "name": f"r{r}"} for r in range(size)], objs
    lst = [rank, "x"] if rank == 0 else [None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == [0, "x"]
    # a group of some ranks
    evens = dist.new_group([r for r in range(size) if r % 2 == 0])
    if rank % 2 == 0:
        t = plait.ones(2)
        dist.all_reduce(t, group=evens)
        check(t, plait.full((2,), float(len(range(0, size, 2)))), "group all_reduce")
        assert dist.get_world_size(evens) == len(range(0, size, 2))
    else:
        assert evens is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(evens) == -1
    # ranks that disagree on shapes all get the same clear error, nobody hangs
    try:
        dist.all_reduce(plait.zeros(2 + rank))
    except RuntimeError as err:
        assert "the ranks called it with different arguments" in str(err) and "rank 0: shape=[2], dtype=float32, op=SUM; rank 1: shape=[3]" in str(err), err
    else:
        raise AssertionError("mismatched shapes were not detected")
    dist.barrier()
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"rank {rank} of {size}: collectives OK", flush=True)


if __name__ == "__main__":
    sys.exit(main())
