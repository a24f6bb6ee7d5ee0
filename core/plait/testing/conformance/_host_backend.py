"""A second, tiny backend that the device tests register by hand (device type ``conformance_host``), so that
every backend is tested against another device: mixed-device errors, ``.to()`` both ways, and gradients
flowing back across the transfer. It wraps ``array_api_compat.numpy``; NumPy is imported inside methods."""
from plait.backends import Backend
from plait.hookspecs import hookimpl

DEVICE_TYPE = "conformance_host"
NAME = "conformance_host"
PLUGIN = "plait-conformance-host"


class HostBackend(Backend):
    name = NAME
    device_types = (DEVICE_TYPE,)
    priority = -1000
    shares_host_memory = False

    def namespace(self):
        import numpy as np
        import array_api_compat.numpy as xp
        self._np = np
        self._rng = np.random.default_rng(0)
        return xp

    def owns(self, array):
        return False  # NumPy arrays belong to the real CPU backend

    def manual_seed(self, seed):
        self._rng = self._np.random.default_rng(seed)

    def uniform(self, shape, low, high, dtype, device):
        return (self._rng.random(shape) * (high - low) + low).astype(dtype)

    def normal(self, shape, mean, std, dtype, device):
        return (self._rng.standard_normal(shape) * std + mean).astype(dtype)

    def integers(self, shape, low, high, dtype, device):
        return self._rng.integers(low, high, size=shape).astype(dtype)

    def permutation(self, n, dtype, device):
        return self._rng.permutation(n).astype(dtype)

    def to_host(self, array):
        return self._np.array(array, copy=True)

    def from_host(self, host_array, device):
        return self._np.array(host_array, copy=True)


@hookimpl
def plait_backends():
    return [HostBackend()]


def ensure_registered():
    """Register this module as a plait plugin once per process; returns the device type."""
    from plait.backends import registry
    reg = registry._registry
    reg.load()
    if NAME not in reg.backends:
        import sys
        reg.register_plugin(sys.modules[__name__], PLUGIN)
    return DEVICE_TYPE
