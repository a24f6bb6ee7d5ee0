"""``plait.backends.cuda``: whether a CUDA backend is installed (:func:`is_built`) and torch's cuBLAS
switch ``matmul.allow_tf32``."""
from .. import _device_module as _dm
from .. import _settings


def is_built():
    """Whether a backend serving ``cuda`` is installed with its array library (plait-cupy with CuPy),
    whether or not this machine has a GPU."""
    return _dm.is_built("cuda")


class _CublasFlags:
    """``plait.backends.cuda.matmul``."""

    __slots__ = ()

    @property
    def allow_tf32(self):
        """Whether float32 products may use TF32: another view of :func:`plait.set_float32_matmul_precision`
        (True unless the precision is ``"highest"``; setting it picks ``"high"`` or ``"highest"``), which
        no backend currently acts on (see there)."""
        return _settings.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        if not isinstance(value, bool):
            raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}")
        _settings.set_float32_matmul_precision("high" if value else "highest")

    def __setattr__(self, name, value):
        if name != "allow_tf32":
            raise AttributeError(f"Unknown attribute {name}")
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        raise AttributeError(f"Unknown attribute {name}")


matmul = _CublasFlags()
