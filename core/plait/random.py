"""``plait.random`` (torch.random): seeding, and snapshots of the default random streams.

A state from :func:`get_rng_state` is the CPU backend's own generator state, copied (torch returns a
ByteTensor; here the object is backend-specific and opaque), so it restores draws exactly with
:func:`set_rng_state` on the same backend."""
import contextlib
import copy

from .backends import registry as _registry
from .creation import _random_backend, initial_seed, manual_seed, seed
from .device import device as _device

__all__ = ["get_rng_state", "set_rng_state", "fork_rng", "manual_seed", "seed", "initial_seed"]


def _cpu_backend():
    # through the creation functions' lookup, so a seed set before the backend was first used applies
    return _random_backend("cpu")[0]


def get_rng_state():
    """A copy of the CPU random stream's state."""
    return copy.deepcopy(_cpu_backend().get_rng_state())


def set_rng_state(new_state):
    """Continue the CPU random stream from a state :func:`get_rng_state` returned (it stays reusable)."""
    backend = _cpu_backend()
    current = backend.get_rng_state()
    if type(new_state) is not type(current):
        raise TypeError(f"expected a {type(current).__module__}.{type(current).__name__} RNG state (from "
                        f"plait.get_rng_state()), but got {type(new_state).__name__}")
    backend.set_rng_state(copy.deepcopy(new_state))


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, device_type="cuda"):
    """Run the block with the random streams restored afterwards: the CPU one always, and those of the
    backends serving ``devices`` (every set-up backend when ``devices`` is None)."""
    if not enabled:
        yield
        return
    backends = [_cpu_backend()]
    if devices is None:
        backends += [b for b in _registry.loaded_backends() if b not in backends]
    else:
        for dev in devices:
            dev = _device(f"{device_type}:{dev}") if isinstance(dev, int) else _device(dev)
            backend = _random_backend(dev)[0]
            if backend not in backends:
                backends.append(backend)
    saved = [(b, copy.deepcopy(b.get_rng_state())) for b in backends]
    try:
        yield
    finally:
        for backend, state in saved:
            backend.set_rng_state(state)
