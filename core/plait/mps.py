"""``plait.mps``: Apple-silicon GPUs, served by a backend plugin that declares the ``mps`` device type (none
of plait's own backends does, so without such a plugin ``is_available()`` is False and calls that need a
device raise naming the missing backend)."""
from . import creation
from . import _device_module as _dm

_TYPE = "mps"


def is_available():
    return _dm.is_available(_TYPE)


def device_count():
    return _dm.device_count(_TYPE)


def synchronize():
    _dm.require(_TYPE, "MPS").synchronize(None)


def manual_seed(seed):
    """Seed the MPS backend; as in torch, silently does nothing where MPS is unavailable."""
    backend = _dm.backend(_TYPE)
    if backend is not None:
        creation.seed_backend(backend, seed)


def empty_cache():
    _dm.require(_TYPE, "MPS").empty_cache()


def current_allocated_memory():
    """Bytes held by live tensors on the MPS device."""
    return _dm.require(_TYPE, "MPS").memory_allocated(None)
