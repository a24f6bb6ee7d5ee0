"""What ``plait.cuda``, ``plait.xpu``, ``plait.mps`` and ``plait.accelerator`` share: ask the backend serving
a device type (through the registry) whether it is installed and has devices, and hand it the call, or
raise torch's errors naming why no backend can serve the type."""
from .backends import registry as _registry


def backend(device_type):
    """The set-up backend serving ``device_type``, or None."""
    return _registry._registry.usable(device_type)


def is_built(device_type):
    """Whether a backend serving ``device_type`` is installed together with its array library."""
    return any(b.is_built() for b in _registry._registry.serving(device_type))


def device_count(device_type):
    b = backend(device_type)
    return 0 if b is None else b.device_count()


def is_available(device_type):
    return device_count(device_type) > 0


def require(device_type, label):
    """The backend serving ``device_type`` with at least one device, or torch's error: an AssertionError
    where nothing that could serve it is installed (torch's "not compiled with CUDA enabled"), a
    RuntimeError where it is installed but finds no device."""
    b = backend(device_type)
    if b is not None and b.device_count() > 0:
        return b
    reason = _registry._registry.why_unusable(device_type)
    if not is_built(device_type):
        raise AssertionError(f"plait has no {label} backend enabled: {reason}")
    if b is not None:
        reason = f"backend {b.name!r} sees no device"
    raise RuntimeError(f"No {label} devices are available: {reason}")


def device_index(device_type, device):
    """The index a ``device`` argument of ``plait.cuda``-style functions names: None (the current device),
    an int, ``'cuda:1'`` or a ``plait.device`` of this type."""
    from .device import device as _device
    if device is None:
        return None
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    dev = _device(device)
    if dev.type != device_type:
        raise ValueError(f"Expected a {device_type} device, but got: {dev}")
    return dev.index
