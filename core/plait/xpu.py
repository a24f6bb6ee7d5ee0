"""``plait.xpu``: Intel GPUs, served by a backend plugin that declares the ``xpu`` device type (none of
plait's own backends does, so without such a plugin ``is_available()`` is False and calls that need a
device raise an AssertionError naming the missing backend, as torch's do in a build without XPU)."""
from . import creation
from . import _device_module as _dm

_TYPE = "xpu"


def is_available():
    return _dm.is_available(_TYPE)


def device_count():
    return _dm.device_count(_TYPE)


def current_device():
    return _dm.require(_TYPE, "XPU").current_device()


def synchronize(device=None):
    _dm.require(_TYPE, "XPU").synchronize(device)


def manual_seed(seed):
    """Seed the XPU backend; as in torch, silently does nothing where XPU is unavailable."""
    backend = _dm.backend(_TYPE)
    if backend is not None:
        creation.seed_backend(backend, seed)


def manual_seed_all(seed):
    manual_seed(seed)


def empty_cache():
    """Release cached device memory; does nothing where XPU was never set up (as torch)."""
    backend = _dm.backend(_TYPE)
    if backend is not None:
        backend.empty_cache()


def get_device_name(device=None):
    return _dm.require(_TYPE, "XPU").get_device_name(device)
