"""Tensor creation: from data, constant fills, ranges, random draws; every function takes ``device=``."""
import collections.abc
import math
import os

from . import _dtype
from .autograd import graph as _graph
from .backends import registry as _registry
from .device import device as _device


class _Defaults:
    __slots__ = ("device",)


defaults = _Defaults()
defaults.device = None  # resolved lazily from PLAIT_DEVICE or "cpu"


def _default_device():
    dev = defaults.device
    if dev is None:
        dev = defaults.device = _canonical(_device(os.environ.get("PLAIT_DEVICE", "cpu") or "cpu"))
    return dev


def set_default_device(dev):
    defaults.device = None if dev is None else _canonical(_device(dev))


def get_default_device():
    return _default_device()


def _canonical(dev):
    backend = _registry._registry.for_device(dev)
    if dev.index is None:
        canon = backend.default_device(dev.type)
        if canon != dev:
            _registry._registry.device_cache[canon] = backend
        return canon
    return dev


def resolve(device):
    """(Backend, canonical device) for a ``device=`` argument."""
    if device is None:
        dev = _default_device()
    else:
        dev = _canonical(_device(device) if not isinstance(device, _device) else device)
    return _registry._registry.for_device(dev), dev


def _native(backend, dtype):
    try:
        return backend.dtype_to_native[dtype]
    except KeyError:
        if not isinstance(dtype, _dtype.dtype):
            raise TypeError(f"dtype must be a plait.dtype (e.g. plait.float32), got {dtype!r}") from None
        raise TypeError(f"backend {backend.name!r} has no {dtype} dtype") from None


def _finish(data, backend, dev, requires_grad, dtype=None):
    t = _graph._make(data, backend, dev, dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if hasattr(s, "item") and not isinstance(s, int):
            s = s.item()
        if not isinstance(s, int) or isinstance(s, bool):
            raise TypeError(f"size must be a sequence of ints, but got an element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(s)
    return tuple(out)


def _size_arg(name, positional, size):
    """The shape given either positionally (``zeros(2, 3)``, ``zeros((2, 3))``) or as ``size=``, as torch
    accepts for every size-taking creation function."""
    if size is not None:
        if positional:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not {type(size).__name__}")
        return _size((size,))
    if not positional:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    return _size(positional)


# ---------------------------------------------------------------- from data
def _is_array_like(obj):
    return hasattr(obj, "__array_namespace__") or hasattr(obj, "__dlpack__") or \
        (hasattr(obj, "shape") and hasattr(obj, "dtype") and hasattr(obj, "__array__"))


def _plain_sequences(data):
    """``data`` with every Python sequence that is not a list or tuple (``deque``, ``range``, ...) read as a
    list: torch.tensor() takes any sequence."""
    if isinstance(data, (str, bytes)) or not isinstance(data, collections.abc.Sequence):
        return data
    return [_plain_sequences(d) for d in data]


def _holds_other_sequence(data):
    """Whether nested lists/tuples contain a sequence of another type (``deque``, ``range``, ...)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, collections.abc.Sequence) and not isinstance(item, (str, bytes)):
            return True
    return False


def _python_to_array(data, dtype, backend, dev):
    from .tensor import Tensor
    if isinstance(data, Tensor):
        return data
    if not isinstance(data, (list, tuple)) and isinstance(data, collections.abc.Sequence) and \
            not isinstance(data, (str, bytes)):
        data = _plain_sequences(data)
    if isinstance(data, (list, tuple)) and data and any(isinstance(d, Tensor) for d in data):
        from .ops.shape import stack
        return stack([tensor(d, dtype=dtype, device=dev) for d in data])
    try:
        inferred = dtype or _dtype.infer_python_dtype(data)
    except TypeError:
        if not _holds_other_sequence(data):
            raise
        data = _plain_sequences(data)
        inferred = _dtype.infer_python_dtype(data)
    if inferred is None:  # nested sequence holding arrays
        inferred = _dtype.default_float.value
    xp = backend.xp
    native = _native(backend, inferred)
    try:
        arr = xp.asarray(data, dtype=native, device=backend.native_device(dev))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"could not create a tensor from {type(data).__name__}: {exc}") from None
    return _graph._make(arr, backend, dev, inferred)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Copy ``data`` (Python numbers/nested sequences, NumPy or other arrays, tensors) into a new tensor."""
    from .tensor import Tensor
    if isinstance(data, Tensor):
        out = data.detach().clone()
        if device is not None or dtype is not None:
            out = out.to(device=device, dtype=dtype)
        if requires_grad:
            out.requires_grad_(True)
        return out
    backend, dev = resolve(device)
    if _is_array_like(data) and not isinstance(data, (list, tuple)):
        t = _from_foreign(data, backend, dev, copy=True)
        if dtype is not None and t._dtype is not dtype:
            t = t.to(dtype)
        if requires_grad:
            t.requires_grad_(True)
        return t
    if isinstance(data, (list, tuple)) and data and _contains_array(data):
        items = [tensor(d, dtype=dtype, device=dev) for d in data]
        from .ops.shape import stack
        t = stack(items)
    else:
        t = _python_to_array(data, dtype, backend, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _contains_array(data):
    first = data[0]
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    return _is_array_like(first)


def _wrap_foreign(arr, backend, dev):
    if arr.dtype not in backend.native_to_dtype:
        supported = ", ".join(sorted({d.name for d in backend.native_to_dtype.values()}))
        raise TypeError(f"can't convert an array of dtype {arr.dtype} to a plait tensor; the supported dtypes are: "
                        f"{supported}")
    return _graph._make(arr, backend, dev)


def _from_foreign(obj, backend, dev, copy):
    """A tensor from another library's array (NumPy, CuPy, a DLPack producer) on ``dev``."""
    if backend.owns(obj):
        arr = backend.xp.asarray(obj, copy=True) if copy else obj
        return _wrap_foreign(arr, backend, dev)
    try:
        src = _registry._registry.for_array(obj)
    except TypeError:
        src = None
    if src is not None and src is not backend:
        arr = backend.from_host(src.to_host(obj), dev)  # may still share the host memory (CPU backends)
    else:
        arr = backend.from_host(obj, dev)
    if copy:
        arr = backend.xp.asarray(arr, copy=True)
    return _wrap_foreign(arr, backend, dev)


def as_tensor(data, dtype=None, device=None):
    from .tensor import Tensor
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device is not None or dtype is not None) else data
    backend, dev = resolve(device)
    if _is_array_like(data):
        t = _from_foreign(data, backend, dev, copy=False)
        return t if dtype is None or t._dtype is dtype else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    t = as_tensor(obj, dtype=dtype, device=device) if not copy else tensor(obj, dtype=dtype, device=device)
    return t.requires_grad_(True) if requires_grad else t


def from_numpy(ndarray):
    """A CPU tensor sharing memory with ``ndarray`` (where the CPU backend can share it)."""
    if not (hasattr(ndarray, "__array_interface__") and hasattr(ndarray, "dtype")):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    backend, dev = resolve("cpu")
    return _wrap_foreign(backend.from_numpy(ndarray), backend, dev)


def from_dlpack(ext_tensor):
    """Zero-copy import of any object implementing ``__dlpack__`` (CuPy arrays, torch tensors...)."""
    from .tensor import Tensor
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    dev_type = "cpu"
    if hasattr(ext_tensor, "__dlpack_device__"):
        kind, index = ext_tensor.__dlpack_device__()
        kind = int(kind)
        dev_type = {1: "cpu", 2: "cuda", 3: "cpu", 13: "cuda"}.get(kind, "cpu")
        dev = _device(dev_type, index if dev_type != "cpu" else None)
    else:
        dev = _device("cpu")
    backend, dev = resolve(dev)
    return _graph._make(backend.from_dlpack(ext_tensor), backend, dev)


def _scalar_tensor_like(value, like, float_default=False):
    """A 0-dim tensor holding a Python scalar, on ``like``'s device, typed like torch's wrapped numbers."""
    d = _dtype.default_for_category(_dtype.scalar_category(value))
    if like._dtype._category >= _dtype.scalar_category(value) and not float_default:
        d = like._dtype
    return full((), value, dtype=d, device=like._device)


# ---------------------------------------------------------------- fills
def _fill(size, value, dtype, device, requires_grad, default=None):
    size = _size(size)
    backend, dev = resolve(device)
    d = dtype or default or _dtype.default_float.value
    arr = backend.xp.full(size, value, dtype=_native(backend, d), device=backend.native_device(dev))
    return _finish(arr, backend, dev, requires_grad, d)


def _is_sparse_layout(layout, name, fill_value):
    """True for ``layout=plait.sparse_coo`` (an all-zero sparse tensor is made instead); torch's errors otherwise."""
    from . import _layout
    if layout is None or layout is _layout.strided:
        return False
    if not isinstance(layout, _layout.layout):
        raise TypeError(f"{name}(): argument 'layout' must be plait.layout, not {type(layout).__name__}")
    if fill_value != 0:
        raise RuntimeError("full(...) is not implemented for sparse layout")
    return True


def _empty_sparse(size, dtype, device, requires_grad):
    from .sparse import sparse_coo_tensor
    size = _size(size)
    indices = zeros(len(size), 0, dtype=_dtype.int64, device=device)
    values = zeros(0, dtype=dtype, device=device)
    return sparse_coo_tensor(indices, values, size, requires_grad=requires_grad)


def _into(out, result, name):
    """``out=``: write ``result`` into ``out`` (same shape and dtype: plait cannot resize a tensor) and return it."""
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape) or out.dtype is not result.dtype:
        raise RuntimeError(f"{name}(): out= must be a tensor of the result's shape {list(result.shape)} and dtype "
                           f"{result.dtype}, got shape {list(out.shape)} and dtype {out.dtype} (plait does not "
                           f"resize out tensors)")
    from .autograd.grad_mode import no_grad
    with no_grad():
        out.copy_(result)
    return out


def zeros(*shape, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    size = _size_arg("zeros", shape, size)
    if layout is not None and _is_sparse_layout(layout, "zeros", 0):
        return _empty_sparse(size, dtype, device, requires_grad)
    return _into(out, _fill(size, 0, dtype, device, requires_grad), "zeros")


def ones(*shape, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if layout is not None:
        _is_sparse_layout(layout, "ones", 1)
    return _into(out, _fill(_size_arg("ones", shape, size), 1, dtype, device, requires_grad), "ones")


def empty(*shape, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None):
    """As torch's; ``memory_format`` is a stride hint, and plait's tensors have no strides to set."""
    size = _size_arg("empty", shape, size)
    if layout is not None and _is_sparse_layout(layout, "empty", 0):
        return _empty_sparse(size, dtype, device, requires_grad)
    # torch leaves the memory uninitialised; zeros are the deterministic choice here
    return _into(out, _fill(size, 0, dtype, device, requires_grad), "empty")


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = _dtype.default_for_category(_dtype.scalar_category(fill_value))
    return _fill(_size((size,)) if not isinstance(size, int) else (size,), fill_value, dtype, device, requires_grad)


def _like(t, dtype, device):
    return (dtype or t._dtype), (device if device is not None else t._device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _fill(input.shape, 0, d, dev, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _fill(input.shape, 1, d, dev, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _fill(input.shape, fill_value, d, dev, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if hasattr(v, "item") and not isinstance(v, (int, float)) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, int) for v in vals) else _dtype.default_float.value
    backend, dev = resolve(device)
    n = max(0, math.ceil((end - start) / step))
    xp = backend.xp
    native = _native(backend, dtype)
    if dtype.is_floating_point:
        arr = xp.arange(n, dtype=native, device=backend.native_device(dev)) * step + start if n else \
            xp.zeros((0,), dtype=native, device=backend.native_device(dev))
    else:
        arr = xp.arange(start, end, step, dtype=native, device=backend.native_device(dev))
    return _finish(arr, backend, dev, requires_grad, dtype)


def range_(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    return arange(start, end + step / 2 if step > 0 else end + step / 2, step,
                  dtype=dtype or _dtype.default_float.value, device=device, requires_grad=requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    backend, dev = resolve(device)
    d = dtype or _dtype.default_float.value
    arr = backend.xp.linspace(float(start), float(end), steps, dtype=_native(backend, d),
                              device=backend.native_device(dev))
    return _finish(arr, backend, dev, requires_grad, d)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    exps = linspace(start, end, steps, dtype=_dtype.float64, device=device)
    out = (exps * math.log(base)).exp().to(dtype or _dtype.default_float.value)
    return out.requires_grad_(True) if requires_grad else out


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    backend, dev = resolve(device)
    d = dtype or _dtype.default_float.value
    arr = backend.xp.eye(n, m if m is not None else n, dtype=_native(backend, d), device=backend.native_device(dev))
    return _finish(arr, backend, dev, requires_grad, d)


# ---------------------------------------------------------------- random
def _triangle_indices(row, col, offset, dtype, device, lower):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    rows = arange(row, device=device).unsqueeze(1)
    cols = arange(col, device=device).unsqueeze(0)
    inside = (cols - rows <= offset) if lower else (cols - rows >= offset)
    from .ops.indexing import nonzero
    return nonzero(inside).t().to(dtype)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (2 x N, row-major order) of the lower triangle of a ``row`` x ``col`` matrix, diagonal
    ``offset`` included."""
    return _triangle_indices(row, col, offset, dtype or _dtype.int64, device, lower=True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (2 x N, row-major order) of the upper triangle, from diagonal ``offset`` up."""
    return _triangle_indices(row, col, offset, dtype or _dtype.int64, device, lower=False)


def manual_seed(seed):
    """Seed every loaded backend's generator (torch.manual_seed)."""
    seed = int(seed)
    _state.initial = seed
    for backend in _registry.loaded_backends():
        backend.manual_seed(seed)
    _state.pending = seed  # backends set up later get the same seed
    return seed


class _Seed:
    initial = None
    pending = None


_state = _Seed()


def initial_seed():
    return _state.initial


def seed():
    import random
    s = random.getrandbits(63)
    manual_seed(s)
    return s


class _Drawing:
    """Draw from ``generator``'s own seeded stream: the backend's default stream is set aside meanwhile."""
    __slots__ = ("backend", "generator", "saved")

    def __init__(self, backend, generator):
        self.backend = backend
        self.generator = generator

    def __enter__(self):
        _apply_pending_seed(self.backend)  # every draw passes here: in-place fills and bernoulli too
        if self.generator is not None:
            self.saved = self.backend.get_rng_state()
            self.backend.manual_seed(self.generator._random_seed())

    def __exit__(self, *exc):
        if self.generator is not None:
            self.backend.set_rng_state(self.saved)
        return False


def seed_backend(backend, seed):
    """Seed one backend's default stream (``plait.cuda.manual_seed`` and its kin). It counts as seeded for
    the global seed pending since the last ``manual_seed``, so that seed no longer overrides this one."""
    backend.manual_seed(int(seed))
    backend._plait_seeded = _state.pending


def _apply_pending_seed(backend):
    """A backend set up after ``manual_seed`` gets that seed before its first draw."""
    if _state.pending is not None and getattr(backend, "_plait_seeded", None) != _state.pending:
        backend.manual_seed(_state.pending)
        backend._plait_seeded = _state.pending


def _random_backend(device):
    backend, dev = resolve(device)
    _apply_pending_seed(backend)
    return backend, dev


def _float_dtype(dtype, name):
    d = dtype or _dtype.default_float.value
    if not d.is_floating_point:
        raise RuntimeError(f"\"{name}\" not implemented for '{d.name.capitalize()}'")
    return d


def rand(*shape, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    size = _size_arg("rand", shape, size)
    d = _float_dtype(dtype, "check_uniform_bounds")
    backend, dev = _random_backend(device)
    with _Drawing(backend, generator):
        arr = backend.uniform(size, 0.0, 1.0, _native(backend, d), dev)
    return _finish(arr, backend, dev, requires_grad, d)


def randn(*shape, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    size = _size_arg("randn", shape, size)
    d = _float_dtype(dtype, "normal_kernel_cpu")
    backend, dev = _random_backend(device)
    with _Drawing(backend, generator):
        arr = backend.normal(size, 0.0, 1.0, _native(backend, d), dev)
    return _finish(arr, backend, dev, requires_grad, d)


def randint(low=0, high=None, size=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = dtype or _dtype.int64
    backend, dev = _random_backend(device)
    with _Drawing(backend, generator):
        arr = backend.integers(_size((size,)) if not isinstance(size, int) else (size,), low, high,
                               _native(backend, _dtype.int64), dev)
    if d is not _dtype.int64:
        arr = backend.xp.astype(arr, _native(backend, d))
    return _finish(arr, backend, dev, requires_grad, d)


def randperm(n, *, dtype=None, device=None, requires_grad=False, generator=None):
    d = dtype or _dtype.int64
    backend, dev = _random_backend(device)
    with _Drawing(backend, generator):
        arr = backend.permutation(n, _native(backend, d), dev)
    return _finish(arr, backend, dev, requires_grad, d)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(input, dtype, device)
    return rand(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(input, dtype, device)
    return randn(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    d, dev = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=d, device=dev)


def normal(mean=0.0, std=1.0, size=None, *, dtype=None, device=None, generator=None, requires_grad=False):
    from .tensor import Tensor
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        noise = randn(ref.shape if size is None else size, dtype=ref.dtype, device=ref.device, generator=generator)
        return noise * std + mean
    out = randn(size if size is not None else (), dtype=dtype, device=device, generator=generator)
    out = out * std + mean
    return out.requires_grad_(True) if requires_grad else out


def bernoulli(input, p=None, *, generator=None):
    probs = input if p is None else full_like(input, p)
    backend = input._backend
    with _Drawing(backend, generator):
        arr = backend.bernoulli(probs._data, input._data.dtype)
    return _graph._make(arr, backend, input._device, input._dtype)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw category indices by inverse-CDF sampling (vectorised over rows)."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input._dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtype.SCALAR_NAMES[input._dtype]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = input if input.ndim == 2 else input.unsqueeze(0)
    if not replacement and num_samples > probs.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not ((probs >= 0) & probs.isfinite()).all().item():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (probs.sum(-1) <= 0).any().item():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if replacement:
        cdf = (probs / probs.sum(-1, keepdim=True)).cumsum(-1)
        u = rand(probs.shape[0], num_samples, dtype=probs.dtype, device=probs.device, generator=generator)
        idx = (u.unsqueeze(-1) > cdf.unsqueeze(1)).sum(-1).clamp(max=probs.shape[-1] - 1)
    else:
        # Gumbel top-k: sampling without replacement in one vectorised step
        u = rand(probs.shape, dtype=probs.dtype, device=probs.device, generator=generator)
        g = -(-(u.clamp(min=1e-12)).log()).log()
        # zero-probability categories get -inf keys (chosen last, as in torch) without a log(0) warning
        log_p = probs.clamp(min=_dtype.finfo(probs._dtype).tiny).log().masked_fill(probs == 0, -math.inf)
        idx = (log_p + g).topk(num_samples, dim=-1).indices
    return idx if input.ndim == 2 else idx.squeeze(0)
