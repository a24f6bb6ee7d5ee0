"""plait-cupy: the CUDA backend, over CuPy's Array API namespace (through array-api-compat).

This module imports without CuPy: CuPy is imported when the backend is first set up, so on a machine
without CuPy or without a GPU, plait still imports and ``device="cuda"`` raises an error that says why.
"""
from plait import _settings
from plait.backends import Backend
from plait.hookspecs import hookimpl


class CupyBackend(Backend):
    name = "cupy"
    device_types = ("cuda",)
    accelerator_types = ("cuda",)
    priority = 100
    distribution = "plait-cupy"
    shares_host_memory = False
    host_accessible = False

    def __init__(self):
        super().__init__()
        self.cp = None
        self._rngs = {}
        self._seed = None
        self._peak = {}

    # ----- set-up ------------------------------------------------------------------------------------
    def namespace(self):
        try:
            import cupy as cp
        except ImportError as exc:
            raise ImportError("CuPy is not installed; install the wheel matching your CUDA toolkit, e.g. "
                              "`pip install plait-cupy[cuda12]` (cupy-cuda12x)") from exc
        try:
            count = cp.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CuPy present, driver/GPU absent
            raise RuntimeError(f"CuPy cannot reach a CUDA GPU: {exc}") from exc
        if count == 0:
            raise RuntimeError("CuPy found no CUDA GPU on this machine")
        self.cp = cp
        self._install_peak_tracking()
        import array_api_compat.cupy as xp
        return xp

    def _install_peak_tracking(self):
        """CuPy's pool reports current usage only; wrap its malloc to remember the peak per device."""
        cp = self.cp
        pool = cp.get_default_memory_pool()

        def malloc(size):
            mem = pool.malloc(size)
            dev = cp.cuda.runtime.getDevice()
            used = pool.used_bytes()
            if used > self._peak.get(dev, 0):
                self._peak[dev] = used
            return mem
        cp.cuda.set_allocator(malloc)

    def is_built(self):
        import importlib.util
        return importlib.util.find_spec("cupy") is not None

    def cudnn_version(self):
        from cupy.cuda import cudnn  # its `available` is False where no libcudnn could be loaded
        return int(cudnn.getVersion()) if getattr(cudnn, "available", False) else None

    # ----- devices -----------------------------------------------------------------------------------
    def device_count(self):
        return self.cp.cuda.runtime.getDeviceCount()

    def current_device(self):
        return self.cp.cuda.runtime.getDevice()

    def set_device(self, index):
        self.cp.cuda.runtime.setDevice(index)

    def default_device(self, device_type):
        from plait.device import device
        return device("cuda", self.current_device() if self.cp is not None else 0)

    def native_device(self, device):
        return self.cp.cuda.Device(device.index or 0)

    def check_device(self, device):
        index = device.index or 0
        if index >= self.device_count():
            raise RuntimeError(f"CUDA error: invalid device ordinal (asked for {device}, this machine has "
                               f"{self.device_count()} GPU(s))")

    def device_of(self, array):
        from plait.device import device
        return device("cuda", array.device.id)

    def owns(self, array):
        return self.cp is not None and isinstance(array, self.cp.ndarray)

    def synchronize(self, device=None):
        self.cp.cuda.Device(self._index(device)).synchronize()

    def _index(self, device):
        if device is None:
            return self.current_device()
        if isinstance(device, int):
            return device
        text = str(device)
        return int(text.split(":")[1]) if ":" in text else self.current_device()

    # ----- memory (read from CuPy's pool) ----------------------------------------------------------------
    def memory_allocated(self, device=None):
        with self.cp.cuda.Device(self._index(device)):
            return self.cp.get_default_memory_pool().used_bytes()

    def max_memory_allocated(self, device=None):
        return max(self._peak.get(self._index(device), 0), self.memory_allocated(device))

    def memory_reserved(self, device=None):
        with self.cp.cuda.Device(self._index(device)):
            return self.cp.get_default_memory_pool().total_bytes()

    def reset_peak_memory_stats(self, device=None):
        self._peak[self._index(device)] = self.memory_allocated(device)

    def empty_cache(self):
        self.cp.get_default_memory_pool().free_all_blocks()

    def get_device_name(self, device=None):
        props = self.cp.cuda.runtime.getDeviceProperties(self._index(device))
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else name

    def get_device_capability(self, device=None):
        props = self.cp.cuda.runtime.getDeviceProperties(self._index(device))
        return (int(props["major"]), int(props["minor"]))

    # ----- random (cuRAND-backed generators, one per device) -------------------------------------------
    def manual_seed(self, seed):
        self._seed = seed
        self._rngs.clear()

    def get_rng_state(self):
        return (self._seed, dict(self._rngs))

    def set_rng_state(self, state):
        self._seed, rngs = state
        self._rngs = dict(rngs)

    def _rng(self, device):
        index = device.index or 0
        rng = self._rngs.get(index)
        if rng is None:
            with self.cp.cuda.Device(index):
                seed = None if self._seed is None else self._seed + index
                rng = self._rngs[index] = self.cp.random.default_rng(seed)
        return rng

    def uniform(self, shape, low, high, dtype, device):
        with self.cp.cuda.Device(device.index or 0):
            out = self._rng(device).random(shape, dtype=self.cp.float64 if dtype == self.cp.float64 else
                                           self.cp.float32)
            if low != 0.0 or high != 1.0:
                out = out * (high - low) + low
            return out.astype(dtype, copy=False)

    def normal(self, shape, mean, std, dtype, device):
        with self.cp.cuda.Device(device.index or 0):
            out = self._rng(device).standard_normal(shape, dtype=self.cp.float64 if dtype == self.cp.float64
                                                    else self.cp.float32)
            if std != 1.0:
                out *= std
            if mean != 0.0:
                out += mean
            return out.astype(dtype, copy=False)

    def integers(self, shape, low, high, dtype, device):
        with self.cp.cuda.Device(device.index or 0):
            return self._rng(device).integers(low, high, size=shape, dtype=self.cp.int64).astype(dtype, copy=False)

    def permutation(self, n, dtype, device):
        with self.cp.cuda.Device(device.index or 0):
            return self._rng(device).permutation(n).astype(dtype, copy=False)

    def bernoulli(self, p, dtype):
        dev = self.device_of(p)
        with self.cp.cuda.Device(dev.index):
            u = self._rng(dev).random(p.shape, dtype=self.cp.float64 if p.dtype == self.cp.float64 else
                                      self.cp.float32)
            return (u < p).astype(dtype)

    # ----- host / DLPack ---------------------------------------------------------------------------------
    def to_host(self, array):
        return self.cp.asnumpy(array)

    def pin_host_memory(self, host_array):
        """A copy of the NumPy array ``host_array`` in page-locked host memory (``DataLoader(pin_memory=True)``):
        copies from it to the GPU run at full bus speed and can overlap with compute."""
        import numpy as np
        memory = self.cp.cuda.alloc_pinned_memory(max(host_array.nbytes, 1))
        pinned = np.frombuffer(memory, host_array.dtype, host_array.size).reshape(host_array.shape)
        pinned[...] = host_array
        return pinned

    def from_host(self, host_array, device):
        with self.cp.cuda.Device(device.index or 0):
            return self.cp.asarray(host_array)

    def from_numpy(self, ndarray):
        raise TypeError("from_numpy() makes CPU tensors; use plait.tensor(array, device='cuda')")

    def from_dlpack(self, obj):
        return self.cp.from_dlpack(obj)

    def from_bytes(self, data, dtype, shape, device):
        import numpy as np
        host = np.frombuffer(bytearray(data), dtype=np.dtype(self.dtype_to_native[dtype]).newbyteorder("<"))
        return self.from_host(host.reshape(shape).astype(host.dtype.newbyteorder("="), copy=False), device)

    # ----- kernels -------------------------------------------------------------------------------------
    # dtypes cupyx.scatter_add handles with CUDA's atomicAdd
    _ATOMIC_ADD = ("float32", "float64", "int32", "uint32", "uint64")

    def scatter_add(self, target, index, src):
        if _settings.state.deterministic and target.dtype.kind == "f":
            # atomics add floats in a varying order, so sums differ run to run; integer sums are exact
            return self._portable(Backend.scatter_add, target, index, src)
        import cupyx
        cp = self.cp
        out = target.copy()
        name = out.dtype.name
        if name == "int64":  # two's-complement sums are the same bits in uint64, which atomicAdd supports
            cupyx.scatter_add(out.view(cp.uint64), index, cp.ascontiguousarray(src, dtype=out.dtype).view(cp.uint64))
            return out
        if name not in self._ATOMIC_ADD:  # int8/int16/uint8/float16: the portable (one-hot matmul) fallback
            return self._portable(Backend.scatter_add, target, index, src)
        cupyx.scatter_add(out, index, src)
        return out

    def index_put(self, target, index, values):
        if _settings.state.deterministic:  # with repeated indices, which write lands is unspecified on a GPU
            return self._portable(Backend.index_put, target, index, values)
        out = target.copy()
        out[index] = values
        return out

    def _portable(self, kernel, target, index, values):
        """Run a Backend fallback on ``target``'s GPU (its helper arrays are made on the current device)."""
        with self.cp.cuda.Device(target.device.id):
            return kernel(self, target, index, values)


@hookimpl
def plait_backends():
    return [CupyBackend()]
