"""``plait.backends.cudnn``: torch's cuDNN switches.

``enabled``, ``benchmark``, ``deterministic``, ``allow_tf32`` (bool) and ``benchmark_limit`` (int) are
stored and validated as in torch, but change nothing: no plait backend calls cuDNN (plait-cupy's
convolution and pooling are im2col plus cuBLAS matrix products, whose results do not depend on these
switches). For deterministic results use :func:`plait.use_deterministic_algorithms`.
:func:`is_available` and :func:`version` report whether the CUDA backend is usable and CuPy can load
cuDNN.
"""
import contextlib

from ._flag_module import Flag, flag_module
from .. import _device_module as _dm


def is_available():
    """Whether the CUDA backend has a device and CuPy has loaded cuDNN."""
    return version() is not None


def version():
    """cuDNN's version as an int (e.g. 90100), or None where it is not available."""
    if not _dm.is_available("cuda"):
        return None
    return _dm.backend("cuda").cudnn_version()


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set every switch inside a ``with`` block (torch's defaults for those not given) and restore them
    after it."""
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    previous = {name: getattr(_module, name) for name in names}
    wanted = dict(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    try:
        for name, value in wanted.items():
            setattr(_module, name, value)
        yield
    finally:
        for name, value in previous.items():
            setattr(_module, name, value)


_module = flag_module(__name__,
                      enabled=Flag(True, bool, "set_enabled_cudnn"),
                      benchmark=Flag(False, bool, "set_benchmark_cudnn"),
                      benchmark_limit=Flag(10, int, "set_benchmark_limit_cudnn"),
                      deterministic=Flag(False, bool, "set_deterministic_cudnn"),
                      allow_tf32=Flag(True, bool, "set_allow_tf32_cudnn"))
