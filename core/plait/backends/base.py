"""The Backend base class: an Array API namespace plus the few kernels the standard lacks."""
import math
import struct


class Backend:
    """Subclass this in a backend plugin.

    Required class attributes: ``name`` (str), ``device_types`` (tuple of str). Optional: ``priority``
    (int; the highest-priority backend serving a device type is its default), ``distribution`` (the pip
    name, for error messages).

    Required methods: :meth:`namespace` and the random-number methods. Everything else has a portable
    fallback written against the standard; override it where the array library has a faster kernel.
    """

    name = None
    device_types = ()
    priority = 0
    distribution = None
    #: ``Tensor.numpy()`` returns an array sharing memory with the tensor (CPU backends over NumPy).
    shares_host_memory = False
    #: the tensor's memory is directly readable by the host (False for GPU backends).
    host_accessible = True
    #: known gaps for the conformance suite (``plait.testing.conformance``): ``{"test id substring": "reason"}``;
    #: matching tests are expected failures (strict) and the report lists them with their reasons.
    conformance_xfail = {}
    #: the device types among ``device_types`` that are hardware accelerators in torch's sense
    #: (``plait.accelerator``, ``plait.cuda``...): numbered devices with a current one. A backend serving
    #: one must implement the device and memory methods below. ``cpu`` is never an accelerator.
    accelerator_types = ()

    def __init__(self):
        self.xp = None
        self.dtype_to_native = {}
        self.native_to_dtype = {}

    # ----- set-up, called once by the registry ------------------------------------------------------
    def namespace(self):
        """Return the Array API namespace (e.g. ``array_api_compat.numpy``)."""
        raise TypeError(f"backend {self.name!r} does not implement namespace()")

    def setup(self):
        from .. import _dtype
        xp = self.namespace()
        self.xp = xp
        for d in _dtype.ALL:
            native_name = "bool" if d is _dtype.bool_ else d.name
            native = getattr(xp, native_name, None)
            if native is None:
                continue
            self.dtype_to_native[d] = native
            # key by the dtype object arrays actually report, which may differ from the namespace attribute
            probe = xp.zeros((), dtype=native)
            self.native_to_dtype[probe.dtype] = d
            self.native_to_dtype[native] = d

    def default_device(self, device_type):
        """The device a plain ``device_type`` string means (e.g. ``cuda`` -> ``cuda:0``)."""
        from ..device import device
        return device(device_type)

    def native_device(self, device):
        """The namespace's device object for a plait device (passed as ``device=`` to creation functions)."""
        return None

    def check_device(self, device):
        """Raise if ``device`` (of one of this backend's types) does not exist."""

    def device_of(self, array):
        """The plait device an array of this backend lives on."""
        return self.default_device(self.device_types[0])

    def owns(self, array):
        """Whether ``array`` is this backend's native array type."""
        return False

    def synchronize(self, device=None):
        """Wait until the work queued on ``device`` (None: the current device) has finished."""

    def is_built(self):
        """Whether the array library behind this backend is installed (``torch.backends.cuda.is_built()``:
        the backend could run where a device exists), checked without importing it. A backend that
        imports its library at plugin import time is built whenever it is registered."""
        return True

    # ----- numbered devices and their memory (accelerator backends; see ``accelerator_types``) ------------
    def device_count(self):
        """How many devices of this backend's accelerator type are visible."""
        raise TypeError(f"backend {self.name!r} does not implement device_count()")

    def current_device(self):
        """The index of the current device (where a bare ``'cuda'`` tensor goes)."""
        raise TypeError(f"backend {self.name!r} does not implement current_device()")

    def set_device(self, index):
        raise TypeError(f"backend {self.name!r} does not implement set_device()")

    def get_device_name(self, device=None):
        raise TypeError(f"backend {self.name!r} does not implement get_device_name()")

    def get_device_capability(self, device=None):
        """``(major, minor)``, as ``torch.cuda.get_device_capability``."""
        raise TypeError(f"backend {self.name!r} does not implement get_device_capability()")

    def memory_allocated(self, device=None):
        """Bytes occupied by live arrays on ``device`` (None: the current device)."""
        raise TypeError(f"backend {self.name!r} does not implement memory_allocated()")

    def max_memory_allocated(self, device=None):
        raise TypeError(f"backend {self.name!r} does not implement max_memory_allocated()")

    def memory_reserved(self, device=None):
        raise TypeError(f"backend {self.name!r} does not implement memory_reserved()")

    def reset_peak_memory_stats(self, device=None):
        raise TypeError(f"backend {self.name!r} does not implement reset_peak_memory_stats()")

    def empty_cache(self):
        """Return cached, unused device memory to the driver."""
        raise TypeError(f"backend {self.name!r} does not implement empty_cache()")

    def cudnn_version(self):
        """The cuDNN version this backend can call (an int as ``torch.backends.cudnn.version()``), or None."""
        return None

    # ----- CPU threads ---------------------------------------------------------------------------------
    def get_num_threads(self):
        """The number of threads the array library uses for one op, or None where the backend cannot tell."""
        return None

    def set_num_threads(self, n):
        """Make the array library use ``n`` threads per op; return False where it has no such control."""
        return False

    # ----- random numbers (required: the standard has none) ------------------------------------------
    def manual_seed(self, seed):
        raise TypeError(f"backend {self.name!r} does not implement manual_seed()")

    def uniform(self, shape, low, high, dtype, device):
        raise TypeError(f"backend {self.name!r} does not implement uniform()")

    def normal(self, shape, mean, std, dtype, device):
        raise TypeError(f"backend {self.name!r} does not implement normal()")

    def integers(self, shape, low, high, dtype, device):
        """Uniform integers in [low, high)."""
        raise TypeError(f"backend {self.name!r} does not implement integers()")

    def permutation(self, n, dtype, device):
        raise TypeError(f"backend {self.name!r} does not implement permutation()")

    def get_rng_state(self):
        """An opaque snapshot of the default random stream (with :meth:`set_rng_state`, lets a
        ``plait.Generator`` draw from its own seeded stream without disturbing the default one)."""
        raise TypeError(f"backend {self.name!r} does not implement get_rng_state(), so it cannot draw from a "
                        "plait.Generator; call without generator=")

    def set_rng_state(self, state):
        raise TypeError(f"backend {self.name!r} does not implement set_rng_state()")

    def bernoulli(self, p, dtype):
        """Draw 0/1 with probability ``p`` (an array) elementwise; result has ``p``'s shape and ``dtype``."""
        xp = self.xp
        u = self.uniform(p.shape, 0.0, 1.0, p.dtype, self.device_of(p))
        return xp.astype(u < p, dtype)

    # ----- host transfer --------------------------------------------------------------------------------
    def to_host(self, array):
        """Return a NumPy array with the contents of ``array`` (a copy unless memory is shared)."""
        raise TypeError(f"backend {self.name!r} does not implement to_host()")

    def from_host(self, host_array, device):
        """Create a backend array on ``device`` from a NumPy array (or anything with __dlpack__)."""
        return self.xp.asarray(host_array, device=self.native_device(device))

    def from_numpy(self, ndarray):
        """Wrap a NumPy array for ``plait.from_numpy``; shares memory where the backend can."""
        return self.from_host(ndarray, self.default_device("cpu"))

    def from_dlpack(self, obj):
        return self.xp.from_dlpack(obj)

    def from_bytes(self, data, dtype, shape, device):
        """An array of plait ``dtype`` and ``shape`` from little-endian raw bytes (checkpoint loading).
        The portable fallback goes through a Python list; backends override it with a zero-parse path."""
        fmt = {"float64": "d", "float32": "f", "float16": "e", "int64": "q", "int32": "i", "int16": "h",
               "int8": "b", "uint8": "B", "bool": "?"}[dtype.name]
        # struct, not memoryview.cast: explicit little-endian, and cast() rejects float16 ('e')
        values = list(struct.unpack(f"<{len(data) // dtype.itemsize}{fmt}", data)) if data else []
        native = self.dtype_to_native[dtype]
        flat = self.xp.asarray(values, dtype=native, device=self.native_device(device))
        return self.xp.reshape(flat, shape)

    # ----- kernels the standard lacks: portable fallbacks -------------------------------------------
    #: up to this many (target rows x index entries), the fallbacks use an exact one-hot matrix; beyond
    #: it, a sort + searchsorted segment method that needs O(N + M) memory
    ONE_HOT_LIMIT = 1 << 22

    def _segments(self, index, n):
        """Sort ``index`` (stable) and find, for every target row, its run [lo, hi) in the sorted order."""
        xp = self.xp
        order = xp.argsort(index, stable=True)
        rows = xp.arange(n, dtype=index.dtype)
        sorted_index = xp.take(index, order)
        lo = xp.searchsorted(sorted_index, rows, side="left")
        hi = xp.searchsorted(sorted_index, rows, side="right")
        return order, lo, hi

    def scatter_add(self, target, index, src):
        """``target[index[i]] += src[i]`` along axis 0, with duplicate indices summed; returns a new array.

        ``target`` has shape (N, *rest), ``index`` (M,) integer, ``src`` (M, *rest). Portable fallback:
        a one-hot (N, M) matmul when small, else per-row segment sums of the sorted values (cumulative
        sums in float64 where available, to keep the differences accurate).
        """
        xp = self.xp
        n = target.shape[0]
        rest = target.shape[1:]
        m = index.shape[0]
        if m == 0:
            return target
        flat = xp.reshape(src, (m, math.prod(rest)))
        if n * m <= self.ONE_HOT_LIMIT:
            onehot = xp.astype(xp.arange(n, dtype=index.dtype)[:, None] == index[None, :], src.dtype)
            added = onehot @ flat
        else:
            order, lo, hi = self._segments(index, n)
            wide = self.dtype_to_native.get(_float64_dtype())
            values = xp.take(flat, order, axis=0)
            if wide is not None and values.dtype != wide and xp.isdtype(values.dtype, "real floating"):
                values = xp.astype(values, wide)
            csum = xp.cumulative_sum(values, axis=0, include_initial=True)
            added = xp.take(csum, hi, axis=0) - xp.take(csum, lo, axis=0)
        return target + xp.astype(xp.reshape(added, (n, *rest)), target.dtype)

    def index_put(self, target, index, values):
        """Return a copy of ``target`` with ``target[index[i]] = values[i]`` along axis 0 (the last write
        wins where indices repeat; torch leaves that order unspecified)."""
        xp = self.xp
        n = target.shape[0]
        rest = target.shape[1:]
        m = index.shape[0]
        if m == 0:
            return target
        if n * m <= self.ONE_HOT_LIMIT:
            positions = xp.arange(m, dtype=xp.int64)
            hits = xp.arange(n, dtype=index.dtype)[:, None] == index[None, :]
            # the last writer for each target row: the largest position among its hits
            last = xp.max(xp.where(hits, positions[None, :], -1), axis=1)
            written = last >= 0
            last = xp.where(written, last, 0)
        else:
            order, lo, hi = self._segments(index, n)
            written = hi > lo
            # the stable sort keeps equal indices in write order: the run's end is the last writer
            last = xp.take(order, xp.clip(hi - 1, 0, m - 1))
        source = xp.take(xp.reshape(values, (m, *rest)), last, axis=0)
        mask = xp.reshape(written, (n,) + (1,) * len(rest))
        return xp.where(mask, xp.astype(source, target.dtype), target)

    # ----- optional fast kernels -------------------------------------------------------------------
    #: name -> callable; the core looks these up once and otherwise uses its portable code.
    kernels = {}

    def __repr__(self):
        return f"<plait backend {self.name!r} serving {', '.join(self.device_types)}>"


def _float64_dtype():
    from .. import _dtype
    return _dtype.float64
