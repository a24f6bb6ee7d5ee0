"""A test-only accelerator: the strict backend under the device type ``plaitaccel`` (or ``cuda``, standing in
for a GPU), with two numbered devices (array-api-strict's ``CPU_DEVICE`` and ``device1``, which refuse to be
mixed in one op, as two GPUs would) and a current device. Tests register it in-process with
:func:`registered` to check that ``plait.accelerator``, the device modules and ``nn.DataParallel`` follow
the registry without a GPU."""
import contextlib

from plait.backends import registry
from plait.device import device as _device

from . import StrictBackend

DEVICE_TYPE = "plaitaccel"
PLUGIN_NAME = "plait_test_fake_accelerator"


class FakeAcceleratorBackend(StrictBackend):
    name = "plait_test_accelerator"
    device_types = (DEVICE_TYPE,)
    accelerator_types = (DEVICE_TYPE,)
    # above every real backend, so that it is the accelerator (and serves "cuda" before plait-cupy)
    priority = 1000
    NATIVE_NAMES = ("CPU_DEVICE", "device1")

    def __init__(self, device_type=DEVICE_TYPE):
        super().__init__()
        self.device_types = self.accelerator_types = (device_type,)
        self.current = 0
        self.calls = []  # (method, argument) of the device/memory calls, for the tests to inspect

    def owns(self, array):
        return False  # arrays of the type it shares with the strict backend stay attributed to that one

    def _native(self, index):
        return self.xp.Device(self.NATIVE_NAMES[self.current if index is None else index])

    # ----- numbered devices -----
    def device_count(self):
        return len(self.NATIVE_NAMES)

    def current_device(self):
        return self.current

    def set_device(self, index):
        self.calls.append(("set_device", index))
        self.current = index

    def default_device(self, device_type):
        return _device(device_type, self.current)

    def native_device(self, device):
        return self._native(device.index)

    def check_device(self, device):
        if (device.index or 0) >= self.device_count():
            raise RuntimeError(f"invalid device ordinal: {device}")

    def device_of(self, array):
        index = next(i for i, name in enumerate(self.NATIVE_NAMES) if array.device == self.xp.Device(name))
        return _device(self.device_types[0], index)

    def synchronize(self, device=None):
        self.calls.append(("synchronize", device))

    def get_device_name(self, device=None):
        return f"fake accelerator {self.current if device is None else device}"

    def memory_allocated(self, device=None):
        self.calls.append(("memory_allocated", device))
        return 0

    def empty_cache(self):
        self.calls.append(("empty_cache", None))

    # ----- arrays land on the device asked for -----
    def _on(self, array, device):
        return array.to_device(self._native(device.index))

    def uniform(self, shape, low, high, dtype, device):
        return self._on(super().uniform(shape, low, high, dtype, device), device)

    def normal(self, shape, mean, std, dtype, device):
        return self._on(super().normal(shape, mean, std, dtype, device), device)

    def integers(self, shape, low, high, dtype, device):
        return self._on(super().integers(shape, low, high, dtype, device), device)

    def permutation(self, n, dtype, device):
        return self._on(super().permutation(n, dtype, device), device)

    def from_host(self, host_array, device):
        return self._on(super().from_host(host_array, device), device)


class _Plugin:
    def __init__(self, backend):
        self.backend = backend

    def plait_backends(self):
        return [self.backend]


@contextlib.contextmanager
def registered(device_type=DEVICE_TYPE):
    """Register a fresh fake accelerator serving ``device_type`` for the duration of a ``with`` block;
    yields the backend."""
    backend = FakeAcceleratorBackend(device_type)
    registry._registry.register_plugin(_Plugin(backend), PLUGIN_NAME)
    try:
        yield backend
    finally:
        registry._registry.unregister_plugin(PLUGIN_NAME)
