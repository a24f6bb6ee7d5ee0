"""plait.multiprocessing: Python's ``multiprocessing`` with torch's additions (torch.multiprocessing).

Everything ``multiprocessing`` offers is here under the same names (``Process``, ``Queue``,
``set_start_method``, ``get_context``...). Tensors sent to another process are pickled by value, except
tensors in shared memory (``Tensor.share_memory_()``, ``Module.share_memory()``), which the receiving
process maps by name, with any start method: that is how Hogwild training shares one model between
processes. ``spawn(fn, args, nprocs)`` starts ``fn(i, *args)`` in ``nprocs`` processes and raises, naming
the process and carrying its traceback, as soon as one of them fails.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from .spawn import ProcessContext, ProcessExitedException, ProcessRaisedException, spawn, start_processes

__all__ = [*multiprocessing.__all__, "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException", "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies"]

_STRATEGIES = ("file_system",)


class _Sharing:
    strategy = "file_system"


def get_all_sharing_strategies():
    """plait shares tensors through named POSIX shared-memory segments: torch's ``file_system`` strategy."""
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _Sharing.strategy


def set_sharing_strategy(new_strategy):
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"sharing strategy {new_strategy!r} is not available here; plait shares tensors through "
                         f"named shared-memory segments, strategy 'file_system'")
    _Sharing.strategy = new_strategy
