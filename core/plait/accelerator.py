"""``plait.accelerator`` (torch 2.6+'s ``torch.accelerator``): the one hardware accelerator a program should
use, whichever backend provides it.

The accelerator is the first of the installed backends' ``accelerator_types`` (highest ``priority`` first)
whose backend has its array library installed (``Backend.is_built()``, torch's "compiled with"): with
plait-cupy and CuPy installed that is ``cuda``. ``cpu`` is never an accelerator. Device, memory and
synchronisation calls go to the backend serving that type, through the same registry path as
``plait.cuda``.
"""
from . import _device_module as _dm
from .backends import registry as _registry
from .device import device as _device

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def _accelerator_type():
    reg = _registry._registry
    reg.load()
    for backend in sorted(reg.backends.values(), key=lambda b: -b.priority):
        for dev_type in backend.accelerator_types:
            if dev_type != "cpu" and dev_type in backend.device_types and _dm.is_built(dev_type):
                return dev_type
    return None


def current_accelerator(check_available=False):
    """The accelerator as a device without index (e.g. ``device(type='cuda')``), or None where none is
    installed; with ``check_available=True`` also None where it is installed but has no usable device."""
    dev_type = _accelerator_type()
    if dev_type is None or (check_available and not _dm.is_available(dev_type)):
        return None
    return _device(dev_type)


def is_available():
    """Whether the accelerator is installed, set up and has at least one device."""
    dev_type = _accelerator_type()
    return dev_type is not None and _dm.is_available(dev_type)


def device_count():
    """How many accelerator devices are visible; 0 where there is no accelerator."""
    dev_type = _accelerator_type()
    return 0 if dev_type is None else _dm.device_count(dev_type)


def _backend():
    dev_type = _accelerator_type()
    backend = None if dev_type is None else _dm.backend(dev_type)
    if backend is None or backend.device_count() == 0:
        raise RuntimeError(_NONE_AVAILABLE)
    return dev_type, backend


def _device_index(device, optional):
    """torch's reading of a ``device`` argument: an int as it is, a device (or string) of the accelerator's
    type by its index; a device without index is the current one where ``optional``, else an error."""
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    index = None
    if isinstance(device, (str, _device)):
        device = _device(device)
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError("Accelerator expected")
        if acc.type != device.type:
            raise ValueError(f"{device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError(f"Expected a plait.device with a specified index or an integer, but got:{device}")
        return current_device_index()
    return index


def current_device_index():
    """The index of the accelerator's current device (where a bare ``'cuda'`` tensor is made)."""
    return _backend()[1].current_device()


def set_device_index(device, /):
    """Make ``device`` (an index, or a device of the accelerator's type with an index) the current device;
    a negative index leaves it unchanged."""
    index = _device_index(device, optional=False)
    dev_type, backend = _backend()
    if index >= 0:
        backend.check_device(_device(dev_type, index))
        backend.set_device(index)


set_device_idx = set_device_index
current_device_idx = current_device_index


class device_index:
    """``with plait.accelerator.device_index(1):`` makes device 1 current inside the block and restores the
    previous current device after it; ``None`` changes nothing."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc_info):
        if self.idx is not None:
            set_device_index(self.prev_idx)


def synchronize(device=None, /):
    """Wait until all work queued on ``device`` (default: the current device) has finished."""
    index = _device_index(device, optional=True)
    dev_type, backend = _backend()
    backend.synchronize(_device(dev_type, index))


def memory_allocated(device_index=None, /):
    """Bytes held by live tensors on the device (default: the current one)."""
    index = _device_index(device_index, optional=True)
    return _backend()[1].memory_allocated(index)


def max_memory_allocated(device_index=None, /):
    index = _device_index(device_index, optional=True)
    return _backend()[1].max_memory_allocated(index)


def memory_reserved(device_index=None, /):
    index = _device_index(device_index, optional=True)
    return _backend()[1].memory_reserved(index)


def reset_peak_memory_stats(device_index=None, /):
    index = _device_index(device_index, optional=True)
    _backend()[1].reset_peak_memory_stats(index)


def empty_cache():
    """Return the accelerator's cached, unused memory to the driver."""
    _backend()[1].empty_cache()
