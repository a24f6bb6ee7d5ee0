"""Rank 1 raises while rank 0 waits in a collective: the launcher must end the job, not hang."""
import plait
import plait.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    raise ValueError("boom on rank 1")
dist.all_reduce(plait.ones(4))
