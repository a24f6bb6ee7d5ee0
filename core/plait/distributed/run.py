"""``python -m plait.distributed.run --nproc-per-node N script.py args...``: start N ranks of a script
(torchrun's command line) through the installed MPI's ``mpiexec``.

Each rank runs ``python -m mpi4py script.py args``, so a rank that raises aborts the whole job at once
(a plain ``mpiexec python script.py`` would leave the other ranks waiting in their next collective).
Open MPI refuses to run as root and to start more ranks than cores unless told; the launcher tells it.
Several machines: ``--hostfile FILE`` (one host per line, as your MPI reads it) with ``--nproc-per-node``
ranks on each, the same Python environment installed at the same path on every host.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys


def find_mpiexec(explicit=None):
    """``explicit``, ``$PLAIT_MPIEXEC``, the mpiexec beside this Python (a venv's MPICH/Open MPI wheel),
    or the first on PATH."""
    for candidate in (explicit, os.environ.get("PLAIT_MPIEXEC"),
                      os.path.join(os.path.dirname(sys.executable), "mpiexec"), shutil.which("mpiexec")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("plait.distributed.run: no mpiexec found; install an MPI (pip install mpich "
                            "mpi4py) or name one with --mpiexec / PLAIT_MPIEXEC")


def _is_open_mpi(mpiexec):
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Open MPI" in out or "OpenRTE" in out


def command(nproc, program, args, mpiexec=None, hostfile=None, nnodes=1, module=False):
    """The mpiexec command line that starts ``nproc * nnodes`` ranks of ``program``."""
    mpiexec = find_mpiexec(mpiexec)
    cmd = [mpiexec, "-n", str(nproc * nnodes)]
    if _is_open_mpi(mpiexec):
        cmd += ["--oversubscribe"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd += ["--allow-run-as-root"]
        if hostfile:
            cmd += ["--hostfile", hostfile, "--map-by", f"ppr:{nproc}:node"]
    elif hostfile:  # MPICH's hydra
        cmd += ["-f", hostfile, "-ppn", str(nproc)]
    cmd += [sys.executable, "-m", "mpi4py"]
    cmd += (["-m", program] if module else [program]) + list(args)
    return cmd


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m plait.distributed.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1, dest="nproc")
    parser.add_argument("--nnodes", type=int, default=1, help="machines in --hostfile to use (default 1)")
    parser.add_argument("--hostfile", default=None)
    parser.add_argument("--mpiexec", default=None, help="the mpiexec to use")
    parser.add_argument("-m", "--module", action="store_true", help="run the program as a module (python -m)")
    parser.add_argument("program")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args(argv)
    if opts.nproc < 1 or opts.nnodes < 1:
        parser.error(f"--nproc-per-node and --nnodes must be >= 1, got {opts.nproc} and {opts.nnodes}")
    if opts.nnodes > 1 and not opts.hostfile:
        parser.error("--nnodes > 1 needs --hostfile naming the machines")
    cmd = command(opts.nproc, opts.program, opts.args, opts.mpiexec, opts.hostfile, opts.nnodes, opts.module)
    proc = subprocess.Popen(cmd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
