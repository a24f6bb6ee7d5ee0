"""``plait.cuda``: whether a CUDA backend is usable, and its device/memory/seed functions, delegated to the
backend serving ``cuda`` (plait-cupy). Without one they behave as torch's do in a build without CUDA:
queries answer False/0, seeding and ``empty_cache`` do nothing, and calls that need a device raise an
AssertionError naming the missing backend (torch: "Torch not compiled with CUDA enabled")."""
from . import creation
from . import _device_module as _dm

_TYPE = "cuda"


def _require():
    return _dm.require(_TYPE, "CUDA")


def is_available():
    return _dm.is_available(_TYPE)


def is_initialized():
    """Whether the CUDA backend has been set up (its array library imported) in this process."""
    return _dm.backend(_TYPE) is not None


def device_count():
    return _dm.device_count(_TYPE)


def current_device():
    return _require().current_device()


def set_device(device):
    backend = _require()
    index = _dm.device_index(_TYPE, device)
    if index is not None and index >= 0:  # torch: a negative index leaves the current device as it is
        from .device import device as _device
        backend.check_device(_device(_TYPE, index))
        backend.set_device(index)


class device:
    """``with plait.cuda.device(1):`` makes CUDA device 1 current inside the block and restores the previous
    one after it; None or a negative index changes nothing."""

    def __init__(self, device):
        self.idx = _dm.device_index(_TYPE, device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None and self.idx >= 0:
            self.prev_idx = current_device()
            set_device(self.idx)

    def __exit__(self, *exc_info):
        if self.idx is not None and self.idx >= 0:
            set_device(self.prev_idx)


def synchronize(device=None):
    _require().synchronize(device)


def manual_seed(seed):
    """Seed the CUDA backend's generators; as in torch, silently does nothing where CUDA is unavailable."""
    backend = _dm.backend(_TYPE)
    if backend is not None:
        creation.seed_backend(backend, seed)


def manual_seed_all(seed):
    """Seed every CUDA device (the backend's generators are all derived from one seed)."""
    manual_seed(seed)


def memory_allocated(device=None):
    """Bytes held by live tensors on the device; 0 where CUDA was never set up (as torch)."""
    backend = _dm.backend(_TYPE)
    return 0 if backend is None else backend.memory_allocated(device)


def max_memory_allocated(device=None):
    backend = _dm.backend(_TYPE)
    return 0 if backend is None else backend.max_memory_allocated(device)


def memory_reserved(device=None):
    backend = _dm.backend(_TYPE)
    return 0 if backend is None else backend.memory_reserved(device)


def reset_peak_memory_stats(device=None):
    _require().reset_peak_memory_stats(device)


def empty_cache():
    """Release cached device memory; does nothing where CUDA was never set up (as torch)."""
    backend = _dm.backend(_TYPE)
    if backend is not None:
        backend.empty_cache()


def get_device_name(device=None):
    return _require().get_device_name(device)


def get_device_capability(device=None):
    """``(major, minor)`` compute capability of the device."""
    return _require().get_device_capability(device)


def is_bf16_supported(including_emulation=True):
    """Always False: plait has no bfloat16 dtype, so no backend can make bfloat16 tensors (whatever
    ``including_emulation`` asks)."""
    return False
