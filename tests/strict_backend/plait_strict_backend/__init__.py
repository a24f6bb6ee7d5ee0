"""A test-only plait backend over ``array-api-strict``: the reference implementation of the Array API
standard, which rejects everything the standard does not promise. The whole core test suite runs on it
(``PLAIT_BACKEND=array_api_strict``), proving that plait's core relies on nothing beyond the standard.

It is also the smallest complete example of a third-party backend: a Backend subclass, the random /
host-transfer methods the standard lacks, and an ``@hookimpl plait_backends`` registered through the
``plait`` entry-point group in this folder's pyproject.toml.
"""
import numpy as np

from plait.backends import Backend
from plait.hookspecs import hookimpl


class StrictBackend(Backend):
    name = "array_api_strict"
    # serves the CPU when chosen (PLAIT_BACKEND=array_api_strict) and always its own "strict" device
    # type, so mixed-device errors can be tested without a GPU
    device_types = ("cpu", "strict")
    priority = -10
    distribution = "plait-strict-backend"
    shares_host_memory = False
    host_accessible = True

    def __init__(self):
        super().__init__()
        self._rng = np.random.default_rng()

    def namespace(self):
        import array_api_strict as xp
        return xp

    def owns(self, array):
        import array_api_strict as xp
        return isinstance(array, type(xp.asarray(0)))

    # random numbers are drawn on the host and copied in: the standard has no generator
    def manual_seed(self, seed):
        self._rng = np.random.default_rng(seed)

    def get_rng_state(self):
        return self._rng

    def set_rng_state(self, state):
        self._rng = state

    def _from_np(self, a, dtype):
        # np.ascontiguousarray turns a 0-d draw into shape (1,): keep the requested shape
        return self.xp.asarray(np.ascontiguousarray(a).reshape(np.shape(a)), dtype=dtype)

    def uniform(self, shape, low, high, dtype, device):
        return self._from_np(self._rng.random(shape) * (high - low) + low, dtype)

    def normal(self, shape, mean, std, dtype, device):
        return self._from_np(self._rng.standard_normal(shape) * std + mean, dtype)

    def integers(self, shape, low, high, dtype, device):
        return self._from_np(self._rng.integers(low, high, size=shape), dtype)

    def permutation(self, n, dtype, device):
        return self._from_np(self._rng.permutation(n), dtype)

    def to_host(self, array):
        return np.from_dlpack(array).copy()

    def from_host(self, host_array, device):
        return self.xp.asarray(np.asarray(host_array))

    def from_numpy(self, ndarray):
        return self.xp.asarray(ndarray)


@hookimpl
def plait_backends():
    return [StrictBackend()]
