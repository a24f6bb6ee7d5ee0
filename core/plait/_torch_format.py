"""torch's checkpoint format, written and read without torch: a zip archive of stored (uncompressed) records

    <archive>/data.pkl            the pickled object; tensors refer to storages by persistent id
    <archive>/data/<key>          one storage's raw bytes (its elements in the byte order of ``byteorder``)
    <archive>/byteorder, version, .format_version, .storage_alignment, .data/serialization_id

Every record's data starts on a 64-byte boundary (padding in the local header's extra field), as torch writes
it. Tensors pickle as ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
and Parameters as ``torch._utils._rebuild_parameter(tensor, requires_grad, hooks)``, by *name*: plait writes the
GLOBAL opcodes itself (a pickler can only name objects it can import), and maps those names back to its own
rebuild functions when reading, so torch is never imported.

Each plait tensor is written as its own row-major storage; tensors over the same array object (a Parameter and
the tensor it wraps) share one storage. Views of one another in plait (slices, transposes) are written as
separate storages. Reading rebuilds torch's strided tensors: layouts that are a block of the storage seen as a
row-major array (offsets, narrowed, stepped, permuted and broadcast dims: strides that divide one another) become
views of the loaded storage, so tensors torch saved as views of one storage stay views of one plait tensor; other
layouts (overlapping windows, strides that do not divide) are gathered into a copy."""
import _codecs
import _compat_pickle
import collections
import io
import os
import pickle
import struct
import sys
import zlib

from . import _dtype

ALIGNMENT = 64
#: torch names the top-level folder of a file's archive after the file ("model.pt" -> "model/"), and that of
#: an archive written to a file object "archive"
DEFAULT_ARCHIVE = "archive"

STORAGE_NAMES = {_dtype.float64: "DoubleStorage", _dtype.float32: "FloatStorage", _dtype.float16: "HalfStorage",
                 _dtype.int64: "LongStorage", _dtype.int32: "IntStorage", _dtype.int16: "ShortStorage",
                 _dtype.int8: "CharStorage", _dtype.uint8: "ByteStorage", _dtype.bool_: "BoolStorage"}
# torch storage types and dtypes plait has no dtype for (named in the error a file holding one raises)
_TORCH_ONLY_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                        "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
                        "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}
_TORCH_ONLY_DTYPES = ("bfloat16", "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf", "uint16",
                      "uint32", "uint64", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
                      "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
                      "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2")
_PARAMETER_CLASS = ("plait.nn.parameter", "Parameter")


class Invalid(Exception):
    """What is wrong with a checkpoint; ``plait.load`` turns it into a CheckpointError naming the file."""

    def __init__(self, message, lead="is corrupt or not a plait checkpoint"):
        super().__init__(message)
        self.lead = lead


class Refused(pickle.UnpicklingError):
    """A weights-only load met something it does not build (``plait.load`` adds torch's explanation)."""


# ----- rebuilding tensors (what the torch names in a pickle map to) ---------------------------------------
class LoadedStorage:
    """One storage of a checkpoint, loaded as a flat tensor of its dtype."""
    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


def _int_tuple(value, what):
    if not isinstance(value, (tuple, list)) or not all(type(v) is int for v in value):
        raise Invalid(f"a tensor's {what} is {value!r}, not a tuple of ints")
    return tuple(value)


def rebuild_tensor(storage, storage_offset, size, stride):
    """A tensor of ``size`` over ``storage`` from element ``storage_offset`` with ``stride``: a view where the
    layout is a permuted, sliced or broadcast row-major block, otherwise a gathered copy."""
    if not isinstance(storage, LoadedStorage):
        raise Invalid(f"a tensor is rebuilt from {type(storage).__name__}, not from a storage")
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    if type(storage_offset) is not int:
        raise Invalid(f"a tensor's storage offset is {storage_offset!r}, not an int")
    flat = storage.tensor
    if len(size) != len(stride) or any(n < 0 for n in size) or any(s < 0 for s in stride) or storage_offset < 0:
        raise Invalid(f"invalid tensor layout: size {list(size)}, stride {list(stride)}, offset {storage_offset}")
    numel = 1
    for n in size:
        numel *= n
    if numel == 0:
        from .creation import empty
        return empty(size, dtype=flat.dtype, device=flat.device)
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.numel():
        raise Invalid(f"a tensor of size {list(size)} and stride {list(stride)} at offset {storage_offset} "
                      f"reaches element {last} of a storage of {flat.numel()} elements")
    return _standalone(_strided_view(flat, storage_offset, size, stride))


def _standalone(t):
    """The tensor over the same memory, without the view record tying it to the (hidden) storage tensor: as in
    torch, where a loaded tensor is set onto its storage and is nobody's view, it has its own version counter and
    ``detach_()`` works. Layouts with broadcast dims stay views: in-place writes into them raise torch's error."""
    view = t._view
    if view is None or any(kind == "broadcast" for kind, _ in view[1]):
        return t
    out = t._alias()
    out._vc = [0]
    return out


def _strided_view(flat, offset, size, stride):
    view = _as_basic_view(flat, offset, size, stride)
    if view is not None:
        return view
    numel = 1
    for n in size:
        numel *= n
    if numel > 16 * flat.numel() + (1 << 20):  # overlapping windows: torch keeps a view, plait would copy
        raise Invalid(f"a tensor of size {list(size)} and stride {list(stride)} overlaps itself: plait would copy "
                      f"{numel} elements out of a storage of {flat.numel()}", lead="cannot be loaded")
    from .creation import arange
    index = None
    for d, (n, s) in enumerate(zip(size, stride)):
        axis = (arange(n, device=flat.device) * s).reshape([n if k == d else 1 for k in range(len(size))])
        index = axis if index is None else index + axis
    return flat[(index + offset).reshape(-1)].reshape(size)


def _as_basic_view(flat, offset, size, stride):
    """The layout as a basic-sliced view of the storage, or None. Ordered by decreasing stride, the dims must have
    strides that each divide the previous one: the storage is then a row-major array of shape
    (length // s0, s0 // s1, ..., s_last) and the tensor a block of it (start = the offset in that mixed radix),
    permuted back, with its size-1 and broadcast (stride-0) dims added."""
    spread = [d for d in range(len(size)) if size[d] != 1 and stride[d] != 0]
    order = sorted(spread, key=lambda d: -stride[d])
    steps = [stride[d] for d in order]
    for outer, inner, d in zip(steps, steps[1:], order[1:]):
        if outer % inner or outer < inner * size[d]:
            return None
    if not order:  # one element (a slice: integer indexing copies on NumPy)
        out = flat[offset:offset + 1].view([])
    else:
        rows = flat.numel() // steps[0]
        radix = [rows] + [a // b for a, b in zip(steps, steps[1:])] + [steps[-1]]
        start, rest = [], offset
        for step in steps:
            start.append(rest // step)
            rest %= step
        if any(begin + size[d] > limit for begin, d, limit in zip(start, order, radix)):
            return None  # it runs past the last whole row of the storage
        grid = flat[:rows * steps[0]].view(radix)
        out = grid[tuple(slice(begin, begin + size[d]) for begin, d in zip(start, order)) + (rest,)]
        perm = [order.index(d) for d in spread]
        if perm != sorted(perm):
            out = out.permute(perm)
    for d in range(len(size)):
        if d not in spread:
            out = out.unsqueeze(d)
    return out.expand(size) if tuple(out.shape) != size else out


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    if metadata:
        raise Invalid(f"a tensor has metadata {metadata!r} (conjugate/negative bits), which plait does not "
                      f"support", lead="cannot be loaded")
    t = rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad is True:
        if not t.dtype.is_floating_point:
            raise Invalid(f"a tensor of dtype {t.dtype} is marked as requiring gradients")
        t.requires_grad_(True)
    return t


def _parameter_class():
    try:
        from .nn.parameter import Parameter
    except ModuleNotFoundError:  # plait-nn not installed: the tensor itself, requiring grad as saved
        return None
    return Parameter


def rebuild_parameter(data, requires_grad, backward_hooks):
    from .tensor import Tensor
    if not isinstance(data, Tensor):
        raise Invalid(f"a Parameter is rebuilt from {type(data).__name__}, not from a tensor")
    cls = _parameter_class()
    if cls is None:
        return data.detach().requires_grad_(bool(requires_grad))
    return cls(data, bool(requires_grad))


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(rebuild_parameter(data, requires_grad, backward_hooks), state)


def rebuild_from_type_v2(func, new_type, args, state):
    """A tensor subclass: ``func(*args)`` turned into ``new_type`` with its Python attributes ``state``."""
    from .tensor import Tensor
    if not isinstance(args, tuple):
        raise Invalid(f"the arguments of a tensor subclass are {type(args).__name__}, not a tuple")
    # only tensor rebuilds: any other allowed callable (bytearray(10**12)) would slip past the weights-only checks
    if func not in (rebuild_tensor, rebuild_tensor_v2, rebuild_parameter, rebuild_parameter_with_state):
        raise Invalid(f"a tensor subclass is rebuilt by {_short(func)}, not by a tensor rebuild function")
    out = func(*args)
    if not isinstance(out, Tensor):
        raise Invalid(f"a tensor subclass is rebuilt from {type(out).__name__}")
    if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
        raise Invalid(f"a tensor is rebuilt as {new_type!r}, which is not a plait.Tensor class")
    if type(out) is not new_type:
        out = Tensor._make_subclass(new_type, out, out.requires_grad)
    return _set_state(out, state)


def _set_state(obj, state):
    if not state:
        return obj
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    from .tensor import Tensor
    for part in (state, slots):
        if part and (not isinstance(part, dict) or not all(isinstance(k, str) for k in part)):
            raise Invalid(f"a tensor's attributes are {_short(part)}, not a dict of names")
        if part and any(k in Tensor.__slots__ for k in part):  # the tensor's own data and autograd fields
            raise Invalid(f"a tensor's saved attributes {_short(sorted(part))} overwrite plait.Tensor's own")
    if state:
        obj.__dict__.update(state)
    for key, value in (slots or {}).items():
        setattr(obj, key, value)
    return obj


def get_layout(name):
    """torch.serialization._get_layout: a pickled ``torch.<layout>`` name."""
    from . import _layout
    layouts = {"torch.strided": _layout.strided, "torch.sparse_coo": _layout.sparse_coo}
    if name not in layouts:
        raise Invalid(f"it holds a tensor of layout {_short(name)}, which plait does not support (plait has "
                      "torch.strided and torch.sparse_coo)", lead="cannot be loaded")
    return layouts[name]


def rebuild_sparse_tensor(layout, data):
    """torch._utils._rebuild_sparse_tensor for the COO layout: ``(indices, values, size[, is_coalesced])``, whose
    invariants are checked as torch checks loaded sparse tensors."""
    from . import _layout
    from .sparse import sparse_coo_tensor
    from .tensor import Tensor
    if layout is not _layout.sparse_coo:
        raise Invalid(f"a sparse tensor of layout {layout!r}, which plait does not support", lead="cannot be loaded")
    if not (isinstance(data, tuple) and len(data) in (3, 4) and isinstance(data[0], Tensor)
            and isinstance(data[1], Tensor) and isinstance(data[2], tuple)):
        raise Invalid(f"a sparse COO tensor is rebuilt from {_short(data)}, not (indices, values, size[, "
                      "is_coalesced])")
    indices, values, size = data[:3]
    coalesced = bool(data[3]) if len(data) == 4 else None
    try:
        return sparse_coo_tensor(indices, values.detach(), size, requires_grad=values.requires_grad,
                                 check_invariants=True, is_coalesced=coalesced)
    except RuntimeError as exc:
        raise Invalid(f"a sparse COO tensor is invalid: {exc}") from None


def _unsupported_rebuild(what):
    def refuse(*args, **kwargs):
        raise Invalid(f"it holds {what}, which plait does not support", lead="cannot be loaded")
    return refuse


class StorageType:
    """What a torch storage type name (``torch.FloatStorage``) stands for when reading: the dtype of its
    elements (None for the torch dtypes plait lacks)."""
    __slots__ = ("name", "dtype", "torch_dtype")

    def __init__(self, name, dtype, torch_dtype=None):
        self.name, self.dtype, self.torch_dtype = name, dtype, torch_dtype

    def __repr__(self):
        return f"torch.{self.name}"


def unsupported_names():
    """torch global names plait cannot build: full name -> why (a CheckpointError when a file uses one)."""
    plait_dtypes = ", ".join(d.name for d in _dtype.ALL)
    return {f"torch.{name}": f"it holds torch.{name} values, a dtype plait does not have (plait has {plait_dtypes})"
            for name in _TORCH_ONLY_DTYPES}


def check_supported(full, unsupported):
    why = unsupported.get(full)
    if why is not None:
        raise Invalid(why, lead="cannot be loaded")


def torch_globals():
    """torch's global names that checkpoints use, mapped to plait's equivalents; weights-only loads build
    exactly these (and the user's safe globals)."""
    from .device import device
    from .tensor import Tensor, Size
    out = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "_codecs.encode": _codecs.encode,  # bytes, pickled with protocol 2
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": device,
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
        "torch._utils._rebuild_sparse_tensor": rebuild_sparse_tensor,
        "torch.serialization._get_layout": get_layout,
        "torch.UntypedStorage": StorageType("UntypedStorage", _dtype.uint8),
    }
    for what, names in (("quantized tensors", ("_rebuild_qtensor",)),
                        ("meta tensors (no data)", ("_rebuild_meta_tensor_no_storage",)),
                        ("nested tensors", ("_rebuild_nested_tensor",)),
                        ("a wrapper tensor subclass", ("_rebuild_wrapper_subclass",)),
                        ("a tensor saved through NumPy or a device without storage",
                         ("_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor",
                          "_rebuild_tensor_v3"))):
        for name in names:
            out[f"torch._utils.{name}"] = _unsupported_rebuild(what)
    for dt, name in STORAGE_NAMES.items():
        out[f"torch.{name}"] = StorageType(name, dt)
    for name, torch_dtype in _TORCH_ONLY_STORAGES.items():
        out[f"torch.{name}"] = StorageType(name, None, torch_dtype)
    for name, dt in _dtype.BY_NAME.items():
        out[f"torch.{'bool' if name == 'bool_' else name}"] = dt
    parameter = _parameter_class()
    if parameter is not None:
        out["torch.nn.parameter.Parameter"] = parameter
    return out


# ----- reading ---------------------------------------------------------------------------------------------
class Archive:
    """The records of a zip archive. The central directory is read with ``zipfile``; record data is read
    straight from the file (one buffer per record, CRC checked), or sliced out of ``mapped`` (an mmap)."""

    def __init__(self, stream, mapped=None):
        import zipfile
        self.stream = stream
        self.mapped = mapped
        try:
            self.zip = zipfile.ZipFile(stream)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, struct.error,
                NotImplementedError, KeyError, IndexError, UnicodeDecodeError, OverflowError) as exc:
            raise Invalid(f"unreadable zip archive ({type(exc).__name__}: {exc})",
                          lead="is truncated or corrupt") from None
        self.records = {}
        for info in infos:
            self.records.setdefault(info.filename, info)
        self.first = infos[0].filename if infos else None

    def has(self, name):
        return name in self.records

    def read(self, name):
        """The bytes of record ``name`` (a bytearray, or a memoryview of the mapped file)."""
        import zipfile
        info = self.records.get(name)
        if info is None:
            raise Invalid(f"the archive has no record {name!r}")
        if info.compress_type != zipfile.ZIP_STORED:  # re-zipped by another tool: let zipfile inflate it
            try:
                return bytearray(self.zip.read(info))
            except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError, zlib.error) as exc:
                raise Invalid(f"record {name!r} is unreadable ({type(exc).__name__}: {exc})",
                              lead="is truncated or corrupt") from None
        try:
            start = self._data_start(info)
        except (OSError, ValueError, OverflowError) as exc:
            raise Invalid(f"record {name!r} cannot be located ({type(exc).__name__}: {exc})",
                          lead="is truncated or corrupt") from None
        size = info.file_size
        if self.mapped is not None:
            if start + size > len(self.mapped):
                raise Invalid(f"record {name!r} ends past the end of the file", lead="is truncated")
            return memoryview(self.mapped)[start:start + size]
        from .serialization import _read_into
        end = self.stream.seek(0, io.SEEK_END)
        if start + size > end:
            raise Invalid(f"record {name!r} needs bytes {start}..{start + size} of a file of {end} bytes",
                          lead="is truncated")
        self.stream.seek(start)
        buf = bytearray(size)
        if _read_into(self.stream, buf) < size:
            raise Invalid(f"record {name!r} needs {size} bytes but the file ended early", lead="is truncated")
        if zlib.crc32(buf) != info.CRC:
            raise Invalid(f"record {name!r} fails its CRC-32 check", lead="is corrupt")
        return buf

    def _data_start(self, info):
        self.stream.seek(info.header_offset)
        head = self.stream.read(30)
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise Invalid(f"record {info.filename!r} has no valid local header", lead="is truncated or corrupt")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        return info.header_offset + 30 + name_len + extra_len


def archive_prefix(archive):
    """The folder holding data.pkl (torch names it after the saved file)."""
    first = archive.first
    if first is None:
        raise Invalid("the zip archive is empty", lead="is not a torch or plait checkpoint")
    prefix = first.split("/", 1)[0] if "/" in first else ""
    if not archive.has(f"{prefix}/data.pkl"):
        if archive.has(f"{prefix}/constants.pkl") or any(n.startswith(f"{prefix}/code/") for n in archive.records):
            raise Invalid("it is a TorchScript archive (torch.jit.save); plait.load reads torch.save checkpoints",
                          lead="cannot be loaded")
        raise Invalid(f"the zip archive has no {prefix}/data.pkl record", lead="is not a torch or plait checkpoint")
    return prefix


class StorageLoader:
    """``persistent_load`` of a checkpoint's pickle: each storage key is read once and placed on its device."""

    def __init__(self, archive, prefix, placement):
        self.archive, self.prefix, self.placement = archive, prefix, placement
        raw = archive.read(f"{prefix}/byteorder") if archive.has(f"{prefix}/byteorder") else b"little"
        self.byteorder = bytes(raw).decode("ascii", "replace")
        if self.byteorder not in ("little", "big"):
            raise Invalid(f"byteorder record says {self.byteorder!r}, not 'little' or 'big'")
        self.loaded = {}

    def __call__(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5:
            raise Invalid(f"persistent id {_short(pid)} is not a storage reference")
        kind, storage_type, key, location, numel = pid[:5]
        if isinstance(kind, bytes):
            kind = kind.decode("ascii", "replace")
        if kind != "storage":
            raise Refused(f"Only persistent_load of storage is allowed, but got {kind!r}")
        if not isinstance(storage_type, StorageType):
            raise Invalid(f"storage {_short(key)} has type {_short(storage_type)}, not a torch storage type")
        if storage_type.dtype is None:
            raise Invalid(f"storage {key!r} holds torch.{storage_type.torch_dtype} values, a dtype plait does not "
                          f"have", lead="cannot be loaded")
        if not isinstance(key, str) or not isinstance(location, str) or type(numel) is not int or numel < 0:
            raise Invalid(f"invalid storage reference {_short(pid)}")
        cache_key = (key, storage_type.dtype)
        hit = self.loaded.get(cache_key)
        if hit is not None:
            return hit
        dt = storage_type.dtype
        data = self.archive.read(f"{self.prefix}/data/{key}")
        if numel * dt.itemsize != len(data):  # (an UntypedStorage counts bytes: its dtype is uint8)
            raise Invalid(f"storage {key!r} of {numel} {dt.name} elements has {len(data)} bytes")
        if self.byteorder == "big" and dt.itemsize > 1:  # backends read little-endian bytes
            data = _swap_bytes(data, dt.itemsize)
        storage = LoadedStorage(self.placement.build(data, dt, (numel,), location, f"storage {key!r}"))
        if isinstance(data, memoryview):  # of an mmap: released, so the map can close when loading ends
            data.release()
        self.loaded[cache_key] = storage
        return storage


def _swap_bytes(data, itemsize):
    """Reverse the bytes of every ``itemsize``-byte element (a big-endian file read on a little-endian host)."""
    src = bytes(data)
    out = bytearray(len(src))
    for i in range(itemsize):
        out[i::itemsize] = src[itemsize - 1 - i::itemsize]
    return out


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


def weights_only_unpickler(file, size, allowed, user_allowed, unsupported, persistent_load, encoding):
    """A pickle reader that builds only ``allowed`` globals (name -> object) and ``user_allowed`` ones; every
    opcode that could call or set something on another object is checked, as torch's weights-only unpickler
    does (the rest is the standard library's pure-Python unpickler)."""
    unpickler = _WeightsOnlyUnpickler(file, encoding=encoding)
    unpickler.allowed = allowed
    unpickler.user_allowed = user_allowed
    unpickler.unsupported = unsupported
    unpickler.user_types = {id(v) for v in user_allowed.values()}
    unpickler.allowed_ids = {id(v) for v in allowed.values()} | {id(v) for v in user_allowed.values()}
    unpickler.persistent_load = persistent_load
    unpickler.size_limit = size
    # classes a checkpoint names as values (a tensor subclass's type) but that must not be called: plait.Tensor's
    # legacy constructor allocates whatever size it is given
    unpickler.not_callable = {id(allowed[name]) for name in ("torch.Tensor",) if name in allowed}
    return unpickler


class _WeightsOnlyUnpickler(pickle._Unpickler):
    dispatch = dict(pickle._Unpickler.dispatch)

    def find_class(self, module, name):
        if self.proto < 3 and self.fix_imports:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        check_supported(full, self.unsupported)
        if module in _BLOCKED_MODULES:
            raise Refused(f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
        if full in self.allowed:
            return self.allowed[full]
        if full in self.user_allowed:
            return self.user_allowed[full]
        if full.startswith("builtins."):
            full = full[len("builtins."):]
        raise Refused(f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
                      f"`plait.serialization.add_safe_globals([{full}])` or the "
                      f"`plait.serialization.safe_globals([{full}])` context manager to allowlist this global if "
                      f"you trust this class/function.")

    def _allowed(self, obj):
        return id(obj) in self.allowed_ids

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not self._allowed(func) or id(func) in self.not_callable:
            raise Refused(f"Trying to call reduce for unrecognized function {_short(func)}")
        if not isinstance(args, tuple):
            raise Invalid(f"the arguments of {_short(func)} are {type(args).__name__}, not a tuple")
        if func is bytearray and args and not isinstance(args[0], (str, bytes)):
            raise Refused("bytearray is only built from pickled bytes in a weights-only load")
        self.stack[-1] = func(*args)
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_bytearray8(self):
        (size,) = struct.unpack("<Q", self.read(8))
        if size > self.size_limit:
            raise Invalid(f"a bytearray of {size} bytes in a pickle of {self.size_limit}")
        self.append(bytearray(self.read(size)))
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8

    def _new(self, cls, args, kwargs):
        if not (isinstance(cls, type) and self._allowed(cls)) or id(cls) in self.not_callable:
            raise Refused(f"Can only create new object for classes allowlisted via `add_safe_globals` but got "
                          f"{_short(cls)}")
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise Invalid(f"invalid arguments for a new {cls.__name__}")
        return cls.__new__(cls, *args, **kwargs)

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, {}))
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, kwargs))
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def _instantiate(self, klass, args):
        if not self._allowed(klass):
            raise Refused(f"Trying to instantiate unrecognized class {_short(klass)}")
        self.append(klass(*args))

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        kind = type(inst)
        if kind is collections.OrderedDict:
            if not isinstance(state, dict):
                raise Invalid(f"the attributes of an OrderedDict are {type(state).__name__}, not a dict")
            inst.__dict__.update(state)  # a state dict's _metadata
            return
        # plait's own allowed classes (device, Size, Tensor) are never built: their instances can be shared
        # singletons (devices are cached), so setting attributes on them would change the whole process
        if id(kind) not in self.user_types:
            raise Refused(f"Can only build OrderedDict or types allowlisted via "
                          f"`add_safe_globals`, but got {kind}")
        setstate = getattr(inst, "__setstate__", None)
        if setstate is not None:
            setstate(state)
            return
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        if state:
            inst.__dict__.update(state)
        for key, value in (slots or {}).items():
            setattr(inst, key, value)
    dispatch[pickle.BUILD[0]] = load_build

    def load_append(self):
        value = self.stack.pop()
        self._list_target("APPEND").append(value)
    dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self):
        items = self.pop_mark()
        self._list_target("APPENDS").extend(items)
    dispatch[pickle.APPENDS[0]] = load_appends

    def _list_target(self, op):
        target = self.stack[-1]
        if type(target) is not list:
            raise Refused(f"Can only {op} to lists, but got {type(target)}")
        return target

    def _dict_target(self, op):
        target = self.stack[-1]
        if type(target) not in (dict, collections.OrderedDict, collections.Counter):
            raise Refused(f"Can only {op} into dicts, but got {type(target)}")
        return target

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._dict_target("SETITEM")[key] = value
    dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self):
        items = self.pop_mark()
        target = self._dict_target("SETITEMS")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]
    dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not set:
            raise Refused(f"Can only ADDITEMS to sets, but got {type(target)}")
        target.update(items)
    dispatch[pickle.ADDITEMS[0]] = load_additems

    def load_persid(self):
        raise Refused("persistent_load id must be tuple or int, but got str")
    dispatch[pickle.PERSID[0]] = load_persid


# ----- torch's legacy format (before 1.6, or _use_new_zipfile_serialization=False) ---------------------------
# One stream of pickles: a magic number, the protocol version, system info, the object (storages as persistent
# ids ('storage', type, key, location, numel, view)), the sorted storage keys, then per key an int64 element
# count and the storage's bytes. The storages come after the pickle that uses them, so the pickle is first
# scanned (nothing is called or imported) for the keys' dtypes, then the data is read, then the pickle is loaded.
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


class _Anything:
    """What every object is while a legacy pickle is scanned for its storage references."""
    __slots__ = ()

    def __setitem__(self, key, value):
        pass

    def append(self, value):
        pass

    def extend(self, values):
        pass

    def add(self, value):
        pass


class _StorageScan(_WeightsOnlyUnpickler):
    """Reads a pickle without building anything but its storage references (``self.roots``)."""
    dispatch = dict(_WeightsOnlyUnpickler.dispatch)

    def find_class(self, module, name):
        found = self.allowed.get(f"{module}.{name}")
        return found if isinstance(found, StorageType) else _Anything()

    def load_reduce(self):
        self.stack.pop()
        self.stack[-1] = _Anything()
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        del self.stack[-2:]
        self.append(_Anything())
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        del self.stack[-3:]
        self.append(_Anything())
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def _instantiate(self, klass, args):
        self.append(_Anything())

    def load_build(self):
        self.stack.pop()
    dispatch[pickle.BUILD[0]] = load_build

    def _list_target(self, op):
        return self.stack[-1]

    def _dict_target(self, op):
        return self.stack[-1]

    def load_additems(self):
        items = self.pop_mark()
        self.stack[-1].update(items) if isinstance(self.stack[-1], set) else None
    dispatch[pickle.ADDITEMS[0]] = load_additems

    def record(self, pid):
        if not isinstance(pid, tuple) or not pid:
            raise Invalid(f"persistent id {_short(pid)} is not a storage reference")
        kind = pid[0].decode("ascii", "replace") if isinstance(pid[0], bytes) else pid[0]
        if kind == "module":  # a whole Module's class and source (loaded or refused in the real pass)
            return _Anything()
        if kind != "storage" or len(pid) != 6:
            raise Invalid(f"persistent id {_short(pid)} is not a legacy storage reference")
        storage_type, key, location, numel, view = pid[1:]
        if not isinstance(storage_type, StorageType):
            raise Invalid(f"storage {_short(key)} has type {_short(storage_type)}, not a torch storage type")
        if storage_type.dtype is None:
            raise Invalid(f"storage {key!r} holds torch.{storage_type.torch_dtype} values, a dtype plait does not "
                          f"have", lead="cannot be loaded")
        if not isinstance(key, str) or not isinstance(location, str) or type(numel) is not int or numel < 0:
            raise Invalid(f"invalid storage reference {_short(pid)}")
        known = self.roots.setdefault(key, (storage_type.dtype, numel, location))
        if known != (storage_type.dtype, numel, location):
            raise Invalid(f"storage {key!r} is referenced as {known} and as {(storage_type.dtype, numel, location)}")
        return _Anything()


def scan_legacy_storages(stream, size, torch_names):
    """``{key: (dtype, numel, location)}`` of the legacy pickle at ``stream``'s position (left after it)."""
    scan = _StorageScan(stream, encoding="latin1")
    scan.allowed, scan.user_allowed, scan.unsupported = torch_names, {}, {}
    scan.allowed_ids, scan.user_types, scan.not_callable = set(), set(), set()
    scan.size_limit = size
    scan.roots = {}
    scan.persistent_load = scan.record
    scan.load()
    return scan.roots


class LegacyStorages:
    """``persistent_load`` of the legacy pickle, over the storages already read (``{key: LoadedStorage}``)."""

    def __init__(self, storages, allow_modules):
        self.storages, self.allow_modules, self.views = storages, allow_modules, {}

    def __call__(self, pid):
        if not isinstance(pid, tuple) or not pid:
            raise Invalid(f"persistent id {_short(pid)} is not a storage reference")
        kind = pid[0].decode("ascii", "replace") if isinstance(pid[0], bytes) else pid[0]
        if kind == "module" and len(pid) == 4:
            if not self.allow_modules:
                raise Refused(f"Only persistent_load of storage is allowed, but got {kind!r}")
            return pid[1]
        if kind != "storage" or len(pid) != 6:
            raise Refused(f"Only persistent_load of storage is allowed, but got {_short(kind)}")
        root = self.storages[pid[2]]
        view = pid[5]
        if view is None:
            return root
        if not (isinstance(view, tuple) and len(view) == 3 and type(view[1]) is int and type(view[2]) is int
                and 0 <= view[1] and 0 <= view[2] and view[1] + view[2] <= root.tensor.numel()):
            raise Invalid(f"storage view {_short(view)} does not fit in storage {pid[2]!r}")
        key, offset, count = view
        if key not in self.views:
            self.views[key] = LoadedStorage(root.tensor[offset:offset + count])
        return self.views[key]


def full_unpickler(pickle_module, file, torch_names, unsupported, persistent_load, **kwargs):
    """``pickle_module``'s own unpickler (any object, any code: ``weights_only=False``), with torch's names
    mapped to plait's."""
    base = pickle_module.Unpickler

    class TorchNamesUnpickler(base):
        def find_class(self, module, name):
            full = f"{module}.{name}"
            check_supported(full, unsupported)
            if full in torch_names:
                return torch_names[full]
            if module == "torch" or module.startswith("torch."):  # importing torch would mix its objects in
                raise Invalid(f"it holds {full}, a torch object plait does not rebuild; save the object's "
                              f"state_dict() (tensors and containers) with torch.save instead",
                              lead="cannot be loaded")
            return super().find_class(module, name)

    unpickler = TorchNamesUnpickler(file, **kwargs)
    unpickler.persistent_load = persistent_load
    return unpickler


# ----- writing ---------------------------------------------------------------------------------------------
class TorchName:
    """A torch global (function or class) that a checkpoint names; calling it runs plait's equivalent, so
    objects pickled with it also rebuild under plait's own pickle module."""
    __slots__ = ("module", "name", "_plait")

    def __init__(self, module, name, plait_equivalent):
        self.module, self.name, self._plait = module, name, plait_equivalent

    def __call__(self, *args):
        return self._plait(*args)

    def __repr__(self):
        return f"{self.module}.{self.name}"

    def __reduce__(self):
        raise pickle.PicklingError(f"{self!r} is written by plait.save's pickler only")


REBUILD_TENSOR_V2 = TorchName("torch._utils", "_rebuild_tensor_v2", rebuild_tensor_v2)
REBUILD_PARAMETER = TorchName("torch._utils", "_rebuild_parameter", rebuild_parameter)
REBUILD_PARAMETER_WITH_STATE = TorchName("torch._utils", "_rebuild_parameter_with_state",
                                         rebuild_parameter_with_state)
REBUILD_FROM_TYPE_V2 = TorchName("torch._tensor", "_rebuild_from_type_v2", rebuild_from_type_v2)
REBUILD_SPARSE_TENSOR = TorchName("torch._utils", "_rebuild_sparse_tensor", rebuild_sparse_tensor)
GET_LAYOUT = TorchName("torch.serialization", "_get_layout", get_layout)


def _device_class():
    from .device import device
    return device


TORCH_DEVICE = TorchName("torch", "device", lambda *args: _device_class()(*args))
def _size(dims):
    from .tensor import Size
    return Size(dims)


TORCH_SIZE = TorchName("torch", "Size", _size)
STORAGE_TYPES = {dt: TorchName("torch", name, None) for dt, name in STORAGE_NAMES.items()}


class StorageRef:
    """A storage to write: one tensor's row-major bytes under ``key``."""
    __slots__ = ("key", "tensor", "location")

    def __init__(self, key, tensor):
        self.key, self.tensor, self.location = key, tensor, str(tensor.device)


def _write_global(pickler, obj, module, name):
    if pickler.proto >= 4:
        pickler.save(module)
        pickler.save(name)
        pickler.write(pickle.STACK_GLOBAL)
    else:
        pickler.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))
    pickler.memoize(obj)


def _save_torch_name(pickler, obj):
    _write_global(pickler, obj, obj.module, obj.name)


def _save_dtype(pickler, obj):
    _write_global(pickler, obj, "torch", obj.name)


def pickler_class(pickle_module):
    """A pickler (derived from ``pickle_module``'s) that writes tensors, dtypes, devices and sizes by torch's
    names and collects the storages to write in ``pickler.storages``."""
    base = pickle._Pickler if pickle_module is pickle else getattr(pickle_module, "Pickler", None)
    if not (isinstance(base, type) and issubclass(base, pickle._Pickler)):
        raise TypeError(f"plait.save writes tensors by torch's global names, which needs a pickle_module whose "
                        f"Pickler derives from pickle._Pickler (the standard library's pure-Python pickler); "
                        f"{getattr(pickle_module, '__name__', pickle_module)!r}.Pickler does not")
    from .tensor import Tensor, Size
    from .device import device
    from . import _layout

    class TorchCompatiblePickler(base):
        dispatch = dict(base.dispatch)
        dispatch[TorchName] = _save_torch_name
        dispatch[_dtype.dtype] = _save_dtype

        def __init__(self, file, protocol):
            super().__init__(file, protocol)
            self.storages = []
            self._by_array = {}  # id(backend array) -> StorageRef: tensors over one array share a storage

        def persistent_id(self, obj):
            if type(obj) is StorageRef:
                return ("storage", STORAGE_TYPES[obj.tensor.dtype], obj.key, obj.location, obj.tensor.numel())
            return None

        def reducer_override(self, obj):
            if isinstance(obj, Tensor):
                if obj.layout is not _layout.strided:  # sparse COO: its two dense tensors, as torch writes it
                    return REBUILD_SPARSE_TENSOR, (obj.layout, (obj._indices(), obj._values().detach(),
                                                                Size(obj.shape), obj.is_coalesced()))
                return self._reduce_tensor(obj)
            kind = type(obj)
            if kind is _layout.layout:
                return GET_LAYOUT, (f"torch.{obj.name}",)
            if kind is device:
                return TORCH_DEVICE, ((obj.type,) if obj.index is None else (obj.type, obj.index))
            if kind is Size:
                return TORCH_SIZE, (tuple(obj),)
            return NotImplemented

        def _storage(self, t):
            ref = self._by_array.get(id(t._data))
            if ref is None:
                ref = StorageRef(str(len(self.storages)), t.detach())
                self._by_array[id(t._data)] = ref
                self.storages.append(ref)
            return ref

        def _reduce_tensor(self, t):
            shape = tuple(int(n) for n in t.shape)
            strides, step = [], 1
            for n in reversed(shape):
                strides.append(step)
                step *= max(n, 1)
            args = (self._storage(t), 0, shape, tuple(reversed(strides)), t.requires_grad,
                    collections.OrderedDict())
            cls = type(t)
            if cls is Tensor:
                return REBUILD_TENSOR_V2, args
            state = dict(getattr(t, "__dict__", {}))
            if (cls.__module__, cls.__qualname__) == _PARAMETER_CLASS:
                data = t.detach()  # a plain tensor over the same array (one storage), without grad, as torch
                if state:
                    return REBUILD_PARAMETER_WITH_STATE, (data, t.requires_grad, collections.OrderedDict(), state)
                return REBUILD_PARAMETER, (data, t.requires_grad, collections.OrderedDict())
            return REBUILD_FROM_TYPE_V2, (REBUILD_TENSOR_V2, cls, args, state)

    return TorchCompatiblePickler


class ZipWriter:
    """Writes stored records, each record's data aligned to 64 bytes, with ZIP64 fields where sizes or offsets
    need them."""

    def __init__(self, out, zip64_from=0xFFFFFFFF):
        self.out = out
        self.pos = 0
        self.entries = []
        self.zip64_from = zip64_from  # sizes and offsets from here on get ZIP64 fields (lowered by tests)

    def _emit(self, data):
        self.out.write(data)
        self.pos += len(data)

    def add(self, name, data):
        name_bytes = name.encode("utf-8")
        size, crc, offset = len(data), zlib.crc32(data), self.pos
        big = size >= self.zip64_from
        zip64 = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
        pad = -(offset + 30 + len(name_bytes) + len(zip64) + 4) % ALIGNMENT
        extra = zip64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        small = 0xFFFFFFFF if big else size
        self._emit(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, 0x800, 0, 0, 0, crc, small, small,
                               len(name_bytes), len(extra)) + name_bytes + extra)
        self._emit(data)
        self.entries.append((name_bytes, size, crc, offset))

    def finish(self):
        start = self.pos
        limit = self.zip64_from
        for name_bytes, size, crc, offset in self.entries:
            fields = [size, size] if size >= limit else []
            if offset >= limit:
                fields.append(offset)
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
            small = 0xFFFFFFFF if size >= limit else size
            self._emit(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45 if extra else 20, 0x800, 0, 0, 0,
                                   crc, small, small, len(name_bytes), len(extra), 0, 0, 0, 0,
                                   0xFFFFFFFF if offset >= limit else offset) + name_bytes + extra)
        cd_size, count = self.pos - start, len(self.entries)
        if count >= min(0xFFFF, limit) or cd_size >= limit or start >= limit:
            end64 = self.pos
            self._emit(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, start))
            self._emit(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
            self._emit(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
        else:
            self._emit(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, start, 0))


def archive_name_for(path):
    if path is None:
        return DEFAULT_ARCHIVE
    stem = os.path.splitext(os.path.basename(path))[0]
    return stem or DEFAULT_ARCHIVE


def write_checkpoint(out, obj, archive, pickle_module, protocol, tensor_bytes, zip64_from=0xFFFFFFFF):
    """Pickle ``obj`` and write the archive to ``out``; ``tensor_bytes(t)`` gives a tensor's row-major bytes."""
    buf = io.BytesIO()
    pickler = pickler_class(pickle_module)(buf, protocol)
    pickler.dump(obj)
    zw = ZipWriter(out, zip64_from)
    zw.add(f"{archive}/data.pkl", buf.getvalue())
    del buf
    zw.add(f"{archive}/.format_version", b"1")
    zw.add(f"{archive}/.storage_alignment", str(ALIGNMENT).encode())
    zw.add(f"{archive}/byteorder", sys.byteorder.encode())
    for ref in pickler.storages:  # one tensor's host copy alive at a time
        t = ref.tensor
        data = tensor_bytes(t)
        expected = t.numel() * t.dtype.itemsize
        if len(data) != expected:
            raise RuntimeError(f"plait.save: tensor of shape {tuple(t.shape)} and dtype {t.dtype} gave "
                               f"{len(data)} bytes, expected {expected}")
        zw.add(f"{archive}/data/{ref.key}", data)
        del data
    zw.add(f"{archive}/version", b"3\n")
    zw.add(f"{archive}/.data/serialization_id", str(int.from_bytes(os.urandom(16), "big")).zfill(40).encode())
    zw.finish()
