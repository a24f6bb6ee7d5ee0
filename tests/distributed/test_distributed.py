"""plait.distributed over MPI: collectives on 2 and 3 ranks (oversubscribed on this machine's cores),
DistributedDataParallel against one-process training, misuse errors, and a failing rank ending the
job. Each test starts its own ranks through ``python -m plait.distributed.run`` (mpiexec from the
installed MPI) with a timeout, and the launcher's process group is killed on timeout."""
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pytest

import plait
from plait.distributed import run as launcher
from plait.utils.data import DistributedSampler

HERE = pathlib.Path(__file__).parent
try:
    import mpi4py  # noqa: F401
    launcher.find_mpiexec()
    _REASON = None
except (ImportError, FileNotFoundError) as err:
    _REASON = f"no MPI here ({err}); scripts/install.sh installs mpi4py and mpich"
needs_mpi = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


def _launch(nproc, script, *args, env=None, timeout=240):
    cmd = [sys.executable, "-m", "plait.distributed.run", "--nproc-per-node", str(nproc), str(HERE / script),
           *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # every rank: they share the launcher's session
        out, _ = proc.communicate()
        pytest.fail(f"{script} on {nproc} ranks did not finish in {timeout} s:\n{out}")
    return proc.returncode, out


@needs_mpi
@pytest.mark.parametrize("nproc", [2, 3])
def test_collectives_on_every_dtype(nproc):
    code, out = _launch(nproc, "ranks_collectives.py")
    assert code == 0, out
    # ranks print concurrently, so lines may run together: find each rank's report anywhere in the output
    assert sorted(re.findall(rf"rank (\d+) of {nproc}: collectives OK", out)) == [str(r) for r in range(nproc)], out


@needs_mpi
def test_collectives_on_the_strict_backend():
    code, out = _launch(2, "ranks_collectives.py", env={"PLAIT_BACKEND": "array_api_strict"})
    assert code == 0 and out.count("collectives OK") == 2, out


@needs_mpi
@pytest.mark.parametrize("nproc, dtype", [(2, "float64"), (3, "float32")])
def test_ddp_matches_one_process_training(nproc, dtype):
    code, out = _launch(nproc, "ranks_ddp.py", dtype)
    assert code == 0 and out.count(f"DDP {dtype} OK") == nproc, out


@needs_mpi
def test_misuse_gives_clear_errors():
    code, out = _launch(1, "ranks_misuse.py")
    assert code == 0 and "misuse OK" in out, out


@needs_mpi
def test_a_rank_that_raises_ends_the_job_and_is_named():
    t0 = time.monotonic()
    code, out = _launch(2, "ranks_failing.py", timeout=60)
    assert code != 0
    assert time.monotonic() - t0 < 30
    assert "ValueError: boom on rank 1" in out and "rank 1" in out


def test_launcher_builds_the_mpiexec_command(tmp_path):
    fake = tmp_path / "mpiexec"
    fake.write_text("#!/bin/sh\necho 'HYDRA build details'\n")
    fake.chmod(0o755)
    cmd = launcher.command(2, "train.py", ["--lr", "0.1"], mpiexec=str(fake))
    assert cmd == [str(fake), "-n", "2", sys.executable, "-m", "mpi4py", "train.py", "--lr", "0.1"]
    fake.write_text("#!/bin/sh\necho 'mpiexec (OpenRTE) 5.0.6'\n")
    cmd = launcher.command(2, "train.py", [], mpiexec=str(fake), hostfile="hosts", nnodes=2)
    assert cmd[:4] == [str(fake), "-n", "4", "--oversubscribe"] and "--hostfile" in cmd
    assert ("--allow-run-as-root" in cmd) == (os.geteuid() == 0)
    with pytest.raises(SystemExit):
        launcher.main(["--nnodes", "2", "train.py"])  # several machines need a hostfile


# ----------------------------------------------------------------------------- DistributedSampler (no MPI)
def test_distributed_sampler_pads_like_torch_and_partitions():
    data = list(range(10))
    shards = [list(DistributedSampler(data, num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # torch's: padded by repeating the start
    dropped = [list(DistributedSampler(data, num_replicas=3, rank=r, shuffle=False, drop_last=True))
               for r in range(3)]
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert len(DistributedSampler(data, num_replicas=4, rank=0)) == 3
    assert list(DistributedSampler([0], num_replicas=3, rank=2, shuffle=False)) == [0]  # padding repeats


def test_distributed_sampler_shuffles_alike_on_every_rank_and_per_epoch():
    data = list(range(20))
    samplers = [DistributedSampler(data, num_replicas=2, rank=r, seed=5) for r in range(2)]
    first = [list(s) for s in samplers]
    assert sorted(first[0] + first[1]) == data
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert sorted(second[0] + second[1]) == data and second != first
    assert list(DistributedSampler(data, num_replicas=2, rank=0, seed=5)) == first[0]


def test_distributed_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler([1, 2], num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler([1, 2])


def test_plait_distributed_imports_no_mpi_until_used():
    out = subprocess.run([sys.executable, "-c", "import sys, plait, plait.distributed as d; "
                          "print('mpi4py' in sys.modules, d.is_initialized(), d.is_gloo_available())"],
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
    assert plait.distributed.ReduceOp.SUM == "SUM"
