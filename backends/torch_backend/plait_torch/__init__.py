"""plait-torch: a third-party-style plait backend over PyTorch's CPU tensors.

The core talks to PyTorch only through ``array_api_compat.torch`` (the Array API namespace) and the few
kernels below that the standard lacks: random numbers from a ``torch.Generator``, ``index_add`` for
scatter-add, ``index_put_`` for index-put, ``.numpy()`` for host transfer.

It serves two device types:

- ``"torch"`` always, so plait tensors on PyTorch can sit beside NumPy-backed ``"cpu"`` tensors
  (``x.to("torch")``, mixed-device errors);
- ``"cpu"`` at a low priority: chosen with ``PLAIT_BACKEND=torch`` or ``plait.backends.set_backend("cpu",
  "torch")`` (and ``pytest --pyargs plait.testing.conformance --plait-backend=torch``).

This module imports without PyTorch. PyTorch is imported when the backend is first set up, so on a
machine without it plait still works and ``device="torch"`` raises an error that says to install it.
"""
from plait.backends import Backend
from plait.hookspecs import hookimpl

__all__ = ["TorchBackend", "plait_backends"]


class TorchBackend(Backend):
    name = "torch"
    device_types = ("cpu", "torch")
    # below plait-numpy (100): installing plait-torch does not change what "cpu" means
    priority = -20
    distribution = "plait-torch"
    # Tensor.numpy() is torch's .numpy(): it shares the tensor's memory
    shares_host_memory = True
    host_accessible = True
    #: Known gaps, shown by the conformance report (``pytest --pyargs plait.testing.conformance``).
    #: None at present: keep entries as {"test id substring": "reason"}.
    conformance_xfail = {}

    def __init__(self):
        super().__init__()
        self.torch = None
        self._gen = None
        self.kernels = {}

    # ----- set-up ------------------------------------------------------------------------------------
    def namespace(self):
        try:
            import torch
        except ImportError as exc:
            raise ImportError("PyTorch is not installed; install it (its CPU build is enough), e.g. "
                              "`pip install torch==2.13.0` or `pip install plait-torch[torch]`") from exc
        self.torch = torch
        self._gen = torch.Generator(device="cpu")
        self._gen.seed()
        # optional fast kernels the core looks up by name (checked against the portable fallbacks by the
        # conformance suite)
        self.kernels = {"erf": torch.erf}
        import array_api_compat.torch as xp
        return xp

    def native_device(self, device):
        return self.torch.device("cpu")

    def get_num_threads(self):
        return self.torch.get_num_threads()

    def set_num_threads(self, n):
        self.torch.set_num_threads(n)
        return True

    def owns(self, array):
        return self.torch is not None and isinstance(array, self.torch.Tensor)

    # ----- random ------------------------------------------------------------------------------------
    def manual_seed(self, seed):
        if self._gen is None:  # seeded before set-up (plait.manual_seed seeds loaded backends only)
            return
        self._gen.manual_seed(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)

    def get_rng_state(self):
        return self._gen.get_state()

    def set_rng_state(self, state):
        self._gen.set_state(state)

    def uniform(self, shape, low, high, dtype, device):
        torch = self.torch
        draw = dtype if dtype in (torch.float32, torch.float64) else torch.float32
        out = torch.rand(tuple(shape), generator=self._gen, dtype=draw)
        if low != 0.0 or high != 1.0:
            out = out * (high - low) + low
        return out.to(dtype)

    def normal(self, shape, mean, std, dtype, device):
        torch = self.torch
        draw = dtype if dtype in (torch.float32, torch.float64) else torch.float32
        out = torch.randn(tuple(shape), generator=self._gen, dtype=draw)
        if std != 1.0:
            out = out * std
        if mean != 0.0:
            out = out + mean
        return out.to(dtype)

    def integers(self, shape, low, high, dtype, device):
        return self.torch.randint(int(low), int(high), tuple(shape), generator=self._gen, dtype=dtype)

    def permutation(self, n, dtype, device):
        return self.torch.randperm(int(n), generator=self._gen, dtype=dtype)

    def bernoulli(self, p, dtype):
        torch = self.torch
        probs = p if p.dtype in (torch.float32, torch.float64) else p.to(torch.float32)
        return torch.bernoulli(probs, generator=self._gen).to(dtype)

    # ----- host transfer -------------------------------------------------------------------------------
    def to_host(self, array):
        # shares memory with the tensor (the CPU tensor's storage is host memory)
        return array.detach().numpy()

    def from_host(self, host_array, device):
        torch = self.torch
        if isinstance(host_array, torch.Tensor):
            return host_array
        import numpy as np
        a = np.asarray(host_array)
        try:
            return torch.from_numpy(a)  # shares memory where it can (plait.from_numpy)
        except (TypeError, ValueError, RuntimeError):
            # negative strides, non-native byte order, read-only memory...: copy
            return torch.from_numpy(np.array(a, dtype=a.dtype.newbyteorder("="), order="C", copy=True))

    def from_numpy(self, ndarray):
        return self.from_host(ndarray, None)

    def from_dlpack(self, obj):
        return self.torch.from_dlpack(obj)

    def from_bytes(self, data, dtype, shape, device):
        torch = self.torch
        native = self.dtype_to_native[dtype]
        if not data:
            return torch.zeros(tuple(shape), dtype=native)
        import sys
        flat = torch.frombuffer(bytearray(data), dtype=native)
        if sys.byteorder != "little" and dtype.itemsize > 1:
            flat = torch.from_numpy(flat.numpy().byteswap())
        return flat.reshape(tuple(shape))

    # ----- kernels the standard lacks --------------------------------------------------------------------
    def scatter_add(self, target, index, src):
        """``target[index[i]] += src[i]`` along axis 0 with duplicates summed: ``Tensor.index_add``."""
        if index.shape[0] == 0:
            return target
        return target.index_add(0, index.to(self.torch.int64), src.to(target.dtype))

    def index_put(self, target, index, values):
        """A copy of ``target`` with ``target[index[i]] = values[i]`` along axis 0: ``index_put_``."""
        if index.shape[0] == 0:
            return target
        out = target.clone()
        out.index_put_((index.to(self.torch.int64),), values.to(target.dtype))
        return out


@hookimpl
def plait_backends():
    return [TorchBackend()]
