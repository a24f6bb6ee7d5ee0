"""plait-numpy: the CPU backend. Registered through the ``plait`` entry-point group; the core reaches
NumPy only through ``array_api_compat.numpy`` and the kernels below."""
import numpy as np

from plait.backends import Backend
from plait.hookspecs import hookimpl


class NumpyBackend(Backend):
    name = "numpy"
    device_types = ("cpu",)
    priority = 100
    distribution = "plait-numpy"
    shares_host_memory = True
    host_accessible = True

    def __init__(self):
        super().__init__()
        self._rng = np.random.default_rng()

    def namespace(self):
        import array_api_compat.numpy as xp
        return xp

    def owns(self, array):
        return isinstance(array, np.ndarray)

    def device_of(self, array):
        return self.default_device("cpu")

    # ----- random ------------------------------------------------------------------------------------
    def manual_seed(self, seed):
        self._rng = np.random.default_rng(seed)

    def uniform(self, shape, low, high, dtype, device):
        if dtype in (np.float32, np.float64):
            out = self._rng.random(shape, dtype=dtype)
        else:
            out = self._rng.random(shape, dtype=np.float32).astype(dtype)
        if low != 0.0 or high != 1.0:
            out = out * np.asarray(high - low, dtype=out.dtype) + np.asarray(low, dtype=out.dtype)
        return np.asarray(out, dtype=dtype)

    def normal(self, shape, mean, std, dtype, device):
        if dtype in (np.float32, np.float64):
            out = self._rng.standard_normal(shape, dtype=dtype)
        else:
            out = self._rng.standard_normal(shape, dtype=np.float32).astype(dtype)
        if std != 1.0:
            out *= std
        if mean != 0.0:
            out += mean
        return np.asarray(out, dtype=dtype)

    def integers(self, shape, low, high, dtype, device):
        return self._rng.integers(low, high, size=shape, dtype=dtype)

    def permutation(self, n, dtype, device):
        return self._rng.permutation(n).astype(dtype, copy=False)

    def bernoulli(self, p, dtype):
        return (self._rng.random(p.shape, dtype=np.float64 if p.dtype == np.float64 else np.float32) < p).astype(dtype)

    # ----- host transfer -------------------------------------------------------------------------------
    def to_host(self, array):
        return array

    def from_host(self, host_array, device):
        return np.asarray(host_array)

    def from_numpy(self, ndarray):
        return ndarray

    def from_dlpack(self, obj):
        return np.from_dlpack(obj)

    def from_bytes(self, data, dtype, shape, device):
        native = self.dtype_to_native[dtype]
        return np.frombuffer(bytearray(data), dtype=np.dtype(native).newbyteorder("<")).astype(native, copy=False) \
            .reshape(shape)

    # ----- kernels -------------------------------------------------------------------------------------
    def scatter_add(self, target, index, src):
        out = target.copy()
        np.add.at(out, index, src)
        return out

    def index_put(self, target, index, values):
        out = target.copy()
        out[index] = values
        return out

    kernels = {}


@hookimpl
def plait_backends():
    return [NumpyBackend()]
