"""Process-wide switches with torch's names: deterministic algorithms, float32 matmul precision and the
number of CPU threads. Each says in its docstring what it changes in which backend."""
import builtins
import os
import warnings

from .backends import registry as _registry


class _Settings:
    __slots__ = ("deterministic", "deterministic_warn_only", "float32_matmul_precision", "num_threads")

    def __init__(self):
        self.deterministic = False
        self.deterministic_warn_only = False
        self.float32_matmul_precision = "highest"
        self.num_threads = None


state = _Settings()


def _require_bool(value, function, argument):
    if not isinstance(value, builtins.bool):
        raise TypeError(f"{function}(): argument {argument} must be bool, not {type(value).__name__}")


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Make ops whose result could depend on the order of parallel updates run a deterministic algorithm.

    In plait only plait-cupy has such ops: ``scatter_add`` (the gradient of indexing, ``gather``,
    ``embedding``, ``index_add``) adds floats with CUDA atomics and ``index_put`` with repeated indices
    keeps an unspecified writer; with ``mode=True`` they use the Backend's portable kernels (a one-hot
    matrix product or sorted segment sums; the last writer wins), which give the same bits every run. Every
    op has a deterministic implementation, so none raises and ``warn_only`` (stored, reported by
    :func:`is_deterministic_algorithms_warn_only_enabled`) never has anything to warn about."""
    _require_bool(mode, "_set_deterministic_algorithms", "'mode' (position 1)")
    _require_bool(warn_only, "_set_deterministic_algorithms", "'warn_only'")
    state.deterministic = mode
    state.deterministic_warn_only = warn_only


def are_deterministic_algorithms_enabled():
    return state.deterministic


def is_deterministic_algorithms_warn_only_enabled():
    return state.deterministic_warn_only


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """torch's other spelling of :func:`use_deterministic_algorithms`: ``"default"``/0 (off), ``"warn"``/1
    (on, warn only), ``"error"``/2 (on)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, builtins.int) or isinstance(debug_mode, builtins.bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not state.deterministic:
        return 0
    return 1 if state.deterministic_warn_only else 2


_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision):
    """Record how precise float32 matrix products must be: ``"highest"`` (full float32), ``"high"`` (TF32
    allowed), ``"medium"`` (bfloat16 allowed); ``plait.backends.cuda.matmul.allow_tf32`` reads it.

    No plait backend computes float32 products in less than float32, so this changes no result: plait-numpy
    and the strict backend have no reduced-precision path, and plait-cupy multiplies in full float32 (CuPy
    uses TF32 only when ``CUPY_TF32=1`` is in the environment before CuPy is imported). As in torch, an
    unknown precision warns and changes nothing."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "set_float32_matmul_precision call has no effect.", UserWarning, stacklevel=2)
        return
    state.float32_matmul_precision = precision


def get_float32_matmul_precision():
    return state.float32_matmul_precision


def set_num_threads(int):
    """Use ``int`` threads per op in every set-up backend that can control it (plait-torch: torch's intra-op
    pool). A backend without such a control (plait-numpy: NumPy's BLAS fixes its thread count at start-up
    from ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS``) is named in a UserWarning. Backends set up later
    get the same count."""
    if not isinstance(int, builtins.int) or isinstance(int, builtins.bool):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(int).__name__}")
    if int <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    state.num_threads = int
    for backend in _registry.loaded_backends():
        apply_num_threads(backend)


def apply_num_threads(backend):
    """Give a set-up backend the thread count chosen with :func:`set_num_threads`, if any."""
    if state.num_threads is None or backend.set_num_threads(state.num_threads):
        return
    warnings.warn(f"plait.set_num_threads({state.num_threads}) has no effect on backend {backend.name!r}: it has "
                  "no control over its thread count (set OMP_NUM_THREADS before starting Python)", UserWarning,
                  stacklevel=3)


def get_num_threads():
    """The CPU backend's threads per op; where it cannot tell (plait-numpy), the number of CPUs this
    process may use, which is what NumPy's BLAS uses unless the environment says otherwise."""
    count = _registry.get_backend("cpu").get_num_threads()
    if count is not None:
        return count
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
