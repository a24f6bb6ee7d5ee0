"""One process (run by test_distributed.py): misuse of plait.distributed gives clear errors."""
import datetime

import plait
import plait.distributed as dist


def expect(exc, text, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc as err:
        assert text in str(err), f"{text!r} not in {err!r}"
    else:
        raise AssertionError(f"{fn.__name__} did not raise {exc.__name__}")


expect(RuntimeError, "Default process group has not been initialized", dist.all_reduce, plait.ones(2))
expect(RuntimeError, "Default process group has not been initialized", dist.get_rank)
expect(ValueError, "Invalid backend: 'carrier-pigeon'", dist.init_process_group, "carrier-pigeon")
expect(RuntimeError, "the nccl backend is not available", dist.init_process_group, "nccl")
expect(ValueError, "init_method must be None or 'env://'", dist.init_process_group, "mpi",
       init_method="tcp://127.0.0.1:29500")
expect(ValueError, "world_size=4 was given, but MPI started 1 processes", dist.init_process_group, world_size=4)
expect(TypeError, "Expected timeout argument to be of type datetime.timedelta", dist.init_process_group,
       timeout=30)
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
expect(RuntimeError, "trying to initialize the default process group twice!", dist.init_process_group)
expect(TypeError, "tensor must be a plait.Tensor, got list", dist.all_reduce, [1.0])
expect(RuntimeError, "ReduceOp.AVG needs a floating-point tensor", dist.all_reduce, plait.ones(2, dtype=plait.int64),
       op=dist.ReduceOp.AVG)
expect(ValueError, "src=3 is not a rank of the group [0]", dist.broadcast, plait.ones(2), 3)
t = plait.ones(3)
dist.all_reduce(t)  # one rank: the identity
assert t.tolist() == [1.0, 1.0, 1.0] and dist.get_world_size() == 1
dist.destroy_process_group()
print("misuse OK", flush=True)
