"""plait-numpy: the CPU backend. Registered through the ``plait`` entry-point group; the core reaches
NumPy only through ``array_api_compat.numpy`` and the kernels below."""
import ctypes
import os
import sys
import weakref
from multiprocessing import shared_memory

import numpy as np

from plait.backends import Backend
from plait.hookspecs import hookimpl


def _keep_freed_blocks_for_reuse():
    """Training frees and reallocates the same large arrays (activations, im2col buffers) every step.
    glibc hands freed blocks of a few MiB back to the OS (its mmap and heap-trim thresholds), so each
    step pays a page fault per 4 KiB to get them back: a third of a LeNet-5 step on this backend. Keep
    blocks up to 32 MiB on the heap and up to 64 MiB of free heap top, the reuse PyTorch users get from
    jemalloc or tcmalloc. Linux/glibc only; ``PLAIT_NUMPY_MALLOC_TUNING=0`` leaves malloc alone."""
    setting = os.environ.get("PLAIT_NUMPY_MALLOC_TUNING", "1").strip().lower()
    if not sys.platform.startswith("linux") or setting in ("0", "false", "off", "no"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 64 << 20)


def _release_segment(segments, key, shm, owner):
    """An array over a shared segment was collected: unmap the segment, and remove it if this process made it."""
    segments.pop(key, None)
    shm.close()
    if owner:
        try:
            shm.unlink()
        except FileNotFoundError:
            pass


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
        self._shared_segments = {}  # id(array) -> (segment name, weakref to the array) for shared-memory arrays
        _keep_freed_blocks_for_reuse()

    def namespace(self):
        import array_api_compat.numpy as xp
        return xp

    def owns(self, array):
        return isinstance(array, np.ndarray)

    def device_of(self, array):
        return self.default_device("cpu")

    # ----- shared memory (Tensor.share_memory_, plait.multiprocessing) -------------------------------
    def share_memory(self, array):
        """A copy of ``array`` in a named POSIX shared-memory segment: a process that unpickles a tensor of
        it maps the same segment (``from_shared``), so in-place updates are seen by both. This process
        owns the segment and unlinks it when the array is collected."""
        shm = shared_memory.SharedMemory(create=True, size=max(array.nbytes, 1))
        out = np.ndarray(array.shape, dtype=array.dtype, buffer=shm.buf)
        out[...] = array
        return self._keep_segment(out, shm, owner=True)

    def shared_handle(self, array):
        """The segment name of an array made by ``share_memory``/``from_shared``, else None."""
        entry = self._shared_segments.get(id(array))
        return entry[0] if entry is not None and entry[1]() is array else None

    def from_shared(self, handle, dtype, shape, device):
        shm = shared_memory.SharedMemory(name=handle)
        out = np.ndarray(shape, dtype=self.dtype_to_native[dtype], buffer=shm.buf)
        return self._keep_segment(out, shm, owner=False)

    def _keep_segment(self, array, shm, owner):
        key = id(array)
        self._shared_segments[key] = (shm.name, weakref.ref(array))
        weakref.finalize(array, _release_segment, self._shared_segments, key, shm, owner)
        return array

    # ----- random ------------------------------------------------------------------------------------
    def manual_seed(self, seed):
        self._rng = np.random.default_rng(seed)

    def get_rng_state(self):
        return self._rng

    def set_rng_state(self, state):
        self._rng = state

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

    kernels = {}  # filled below: in-place updates that write straight into the tensor's memory


def _add_(a, b, alpha=1):
    np.add(a, b if alpha == 1 else np.multiply(b, alpha, dtype=a.dtype), out=a, casting="same_kind")


def _sub_(a, b, alpha=1):
    np.subtract(a, b if alpha == 1 else np.multiply(b, alpha, dtype=a.dtype), out=a, casting="same_kind")


def _mul_(a, b):
    np.multiply(a, b, out=a, casting="same_kind")


def _div_(a, b, rounding_mode=None):
    if rounding_mode is None:
        np.divide(a, b, out=a, casting="same_kind")
    elif rounding_mode == "floor":
        np.floor_divide(a, b, out=a, casting="same_kind")
    else:
        np.divide(a, b, out=a, casting="same_kind")
        np.trunc(a, out=a)


def _addcmul_(a, t1, t2, value=1):
    tmp = np.multiply(t1, t2, dtype=a.dtype)
    if value != 1:
        tmp *= value
    np.add(a, tmp, out=a, casting="same_kind")


def _addcdiv_(a, t1, t2, value=1):
    tmp = np.divide(t1, t2, dtype=a.dtype)
    if value != 1:
        tmp *= value
    np.add(a, tmp, out=a, casting="same_kind")


def _lerp_(a, end, weight):
    tmp = np.subtract(end, a, dtype=a.dtype)
    tmp *= weight
    np.add(a, tmp, out=a, casting="same_kind")


def _im2col(a, kernel, dilation, padding, stride, out_hw, pad_value, batch_inside=False):
    """All windows in one strided view, copied once into (N, C, kh*kw, Ho, Wo) or (C, kh*kw, N, Ho, Wo)."""
    (kh, kw), (dh, dw), (sh, sw), (ho, wo) = kernel, dilation, stride, out_hw
    pt, pb, pl, pr = padding
    n, c = a.shape[:2]
    if pt or pb or pl or pr:
        h, w = a.shape[2:]
        buf = np.full((n, c, h + pt + pb, w + pl + pr), pad_value, dtype=a.dtype)
        buf[:, :, pt:pt + h, pl:pl + w] = a
        a = buf
    win = np.lib.stride_tricks.sliding_window_view(a, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    win = win[:, :, :sh * (ho - 1) + 1:sh, :sw * (wo - 1) + 1:sw, ::dh, ::dw]  # (N, C, Ho, Wo, kh, kw)
    if batch_inside:
        out = np.empty((c, kh, kw, n, ho, wo), dtype=a.dtype)
        np.copyto(out, win.transpose(1, 4, 5, 0, 2, 3))
        return out.reshape(c, kh * kw, n, ho, wo)
    out = np.empty((n, c, kh, kw, ho, wo), dtype=a.dtype)
    np.copyto(out, win.transpose(0, 1, 4, 5, 2, 3))
    return out.reshape(n, c, kh * kw, ho, wo)


def _col2im(cols, in_hw, kernel, dilation, padding, stride, batch_inside=False):
    """Adds every kernel offset's slice back in place, in the columns' own (N, C) or (C, N) order; the
    (C, N) result is returned as its (N, C, H, W) transpose rather than copied."""
    (h, w), (kh, kw), (dh, dw), (sh, sw) = in_hw, kernel, dilation, stride
    lead = cols.shape[:2] if not batch_inside else (cols.shape[0], cols.shape[2])
    ho, wo = cols.shape[-2:]
    pt, pb, pl, pr = padding
    hp = max(h + pt + pb, sh * (ho - 1) + dh * (kh - 1) + 1)
    wp = max(w + pl + pr, sw * (wo - 1) + dw * (kw - 1) + 1)
    if (sh, sw) == (kh, kw) and (dh, dw) == (1, 1):
        # windows tile the plane without overlap (pooling): one strided copy per kernel offset
        covered = (hp, wp) == (ho * kh, wo * kw)
        out = (np.empty if covered else np.zeros)((*lead, hp, wp), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                k = i * kw + j
                out[:, :, i:ho * kh:kh, j:wo * kw:kw] = cols[:, k] if batch_inside else cols[:, :, k]
    else:
        out = np.zeros((*lead, hp, wp), dtype=cols.dtype)
        k = 0
        for i in range(kh):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            for j in range(kw):
                view = out[:, :, rows, j * dw:j * dw + sw * (wo - 1) + 1:sw]
                np.add(view, cols[:, k] if batch_inside else cols[:, :, k], out=view)
                k += 1
    out = out[:, :, pt:pt + h, pl:pl + w]
    return out.transpose(1, 0, 2, 3) if batch_inside else out


NumpyBackend.kernels = {"add_": _add_, "sub_": _sub_, "mul_": _mul_, "div_": _div_, "addcmul_": _addcmul_,
                        "addcdiv_": _addcdiv_, "lerp_": _lerp_, "im2col": _im2col, "col2im": _col2im}


@hookimpl
def plait_backends():
    return [NumpyBackend()]
