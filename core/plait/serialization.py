"""``plait.save`` / ``plait.load`` in the safetensors file format: a JSON header and raw little-endian
tensor bytes. Loading never executes code (no pickle) and checks the whole header, so a damaged or foreign file
raises :class:`CheckpointError` naming the file and the problem. Saving writes a temporary file in the target's
folder (the symlink's target, for a symlink), syncs it and renames it over the target, so a crash mid-save leaves
any earlier file intact; the new file gets the permissions ``open(path, "wb")`` would give it.

The object around the tensors (dicts, lists, tuples, numbers, strings, None, dtypes, devices) is stored as JSON
in the ``plait.structure`` metadata entry; tensors appear there as ``{"__tensor__": name}``."""
import errno
import io
import json
import math
import os
import stat
import struct
from collections import OrderedDict

from . import _dtype

_ST_NAMES = {"float64": "F64", "float32": "F32", "float16": "F16", "int64": "I64", "int32": "I32",
             "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}
_FROM_ST = {v: k for k, v in _ST_NAMES.items()}
# safetensors dtypes plait has no dtype for
_ST_UNSUPPORTED = frozenset({"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "U16", "U32",
                             "U64", "C64"})
_MAX_HEADER = 100 * 1024 * 1024
_MAX_DIM = 2 ** 63 - 1
_MAX_NDIM = 64  # more dims than any backend supports; also bounds the size arithmetic on hostile headers
FORMAT_KEY = "plait.structure"
#: metadata key of the structure encoding's version. Files without it (the first format) decoded every JSON
#: object as an OrderedDict; version 2 keeps dict and OrderedDict apart.
VERSION_KEY = "plait.format_version"
_VERSION = "2"
_MARKERS = frozenset({"__tensor__", "__tuple__", "__dict__", "__odict__", "__dtype__", "__device__"})


class CheckpointError(RuntimeError):
    """The file is not a readable plait checkpoint (corrupt, truncated, or another format)."""


class _Invalid(Exception):
    """What is wrong with a checkpoint; ``load`` turns it into a CheckpointError naming the file."""

    def __init__(self, message, lead="is corrupt or not a plait checkpoint"):
        super().__init__(message)
        self.lead = lead


def _is_dunder(key):
    return isinstance(key, str) and key.startswith("__") and key.endswith("__")


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ----- saving ------------------------------------------------------------------------------------------------
def _encode(obj, tensors, names=None):
    """``names`` maps id(tensor) -> stored name, so a tensor referenced twice (tied weights) is stored once and
    loads as one tensor."""
    from .tensor import Tensor
    if names is None:
        names = {}
    if isinstance(obj, Tensor):
        name = names.get(id(obj))
        if name is None:
            name = names[id(obj)] = f"t{len(tensors)}"
            tensors.append((name, obj))
        return {"__tensor__": name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, _dtype.dtype):
        return {"__dtype__": obj.name}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not _is_dunder(k) for k in obj):
            body = {k: _encode(v, tensors, names) for k, v in obj.items()}
        else:
            body = [[_encode(k, tensors, names), _encode(v, tensors, names)] for k, v in obj.items()]
        if not isinstance(obj, OrderedDict):
            return body if isinstance(body, dict) else {"__dict__": body}
        out = {"__odict__": body}
        metadata = getattr(obj, "__dict__", {}).get("_metadata")  # a Module.state_dict()'s version info
        if metadata is not None:
            out["__attrs__"] = {"_metadata": _encode(metadata, tensors, names)}
        return out
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, tensors, names) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, tensors, names) for v in obj]
    if hasattr(obj, "type") and hasattr(obj, "index") and type(obj).__name__ == "device":
        return {"__device__": str(obj)}
    raise TypeError(f"plait.save can store tensors, numbers, strings, None and dicts/lists/tuples of them; got "
                    f"{type(obj).__name__}")


def _tensor_bytes(t):
    host = t.detach()._backend.to_host(t.detach()._data)
    return host.tobytes()


def save(obj, f):
    """Write ``obj`` (a tensor, a state dict, or nested containers of tensors and plain values) to ``f``, a path
    or a writable binary file object."""
    tensors = []
    structure = _encode(obj, tensors)
    header = {}
    sizes = []
    devices = {}
    offset = 0
    for name, t in tensors:
        nbytes = t.numel() * t.dtype.itemsize
        header[name] = {"dtype": _ST_NAMES[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + nbytes]}
        devices[name] = str(t.device)
        sizes.append(nbytes)
        offset += nbytes
    header["__metadata__"] = {FORMAT_KEY: json.dumps(structure), "plait.devices": json.dumps(devices),
                              "plait.requires_grad": json.dumps([n for n, t in tensors if t.requires_grad]),
                              VERSION_KEY: _VERSION, "format": "pt"}
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)  # safetensors aligns the data section to 8 bytes

    def write(out):
        out.write(struct.pack("<Q", len(head)))
        out.write(head)
        for (name, t), nbytes in zip(tensors, sizes):  # one tensor's host copy alive at a time
            data = _tensor_bytes(t)
            if len(data) != nbytes:
                raise RuntimeError(f"plait.save: tensor of shape {tuple(t.shape)} and dtype {t.dtype} gave "
                                   f"{len(data)} bytes, expected {nbytes}")
            out.write(data)
            del data

    if hasattr(f, "write"):
        write(f)
        return
    _atomic_write(os.fsdecode(os.fspath(f)), write)


def _atomic_write(path, write):
    """Run ``write(file)`` on a temporary file beside ``path``'s real target, sync it and rename it over the
    target. The new file gets the mode ``open(path, "wb")`` would give it (0666 & ~umask, or the existing file's
    mode and, where permitted, owner). A target that is not a regular file (a FIFO, /dev/null) is opened and
    written directly, as ``open`` would."""
    if str(path).endswith(("/", os.sep)):
        raise IsADirectoryError(errno.EISDIR, "plait.save needs a file name, got a folder path", str(path))
    target = os.path.realpath(path)  # through symlinks: the link stays, its target gets the data
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(target, "wb") as out:  # raises IsADirectoryError for a folder, like torch.save
            write(out)
        return
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")  # torch.save's text
    if st is not None and not os.access(target, os.W_OK):
        # open(path, "wb") would refuse a read-only file; replacing it by rename must not bypass that
        raise PermissionError(errno.EACCES, "Permission denied", str(path))
    try:
        fd, tmp = _create_temp(folder)
    except PermissionError:
        # the temporary file needs a writable folder, even where the file itself is writable
        raise PermissionError(errno.EACCES, f"Permission denied: plait.save writes a temporary file beside "
                                            f"the target and renames it, and folder {folder!r} is not writable",
                              str(path)) from None
    try:
        with os.fdopen(fd, "wb") as out:
            if st is not None:
                _copy_owner_and_mode(out.fileno(), tmp, st)
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _create_temp(folder):
    # os.open with mode 0o666 lets the OS apply the umask (and a folder's default ACL) exactly as open() does;
    # tempfile.mkstemp would force 0600
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_NOFOLLOW", 0))
    for _ in range(100):
        tmp = os.path.join(folder, f".plait-save-{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"plait.save: could not create a temporary file in {folder!r}")


def _copy_owner_and_mode(fd, tmp, st):
    if hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        for uid in (st.st_uid, -1):  # the owner only root may set; the group any member may
            try:
                os.fchown(fd, uid, st.st_gid)
                break
            except OSError:
                pass
    mode = stat.S_IMODE(st.st_mode) & 0o777  # never copy setuid/setgid bits onto our data
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows
        os.chmod(tmp, mode)


def _fsync_folder(folder):
    """Make the rename durable (POSIX); best effort."""
    if os.name != "posix":
        return
    try:
        dfd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# ----- loading -----------------------------------------------------------------------------------------------
def _read_into(stream, buf):
    """Fill ``buf`` from ``stream``; returns how many bytes were read (fewer at the end of the stream)."""
    got = 0
    readinto = getattr(stream, "readinto", None)
    with memoryview(buf) as view:
        while got < len(view):
            if readinto is not None:
                n = readinto(view[got:])
            else:
                chunk = stream.read(len(view) - got)
                n = len(chunk) if chunk else 0
                view[got:got + n] = chunk
            if not n:
                break
            got += n
    return got


def _read_rest(stream):
    out = bytearray()
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return out
        out += chunk


def _remaining(stream):
    """(seekable, bytes from the current position to the end or None)."""
    try:
        if not stream.seekable():
            return False, None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return True, end - here
    except (AttributeError, OSError, ValueError, TypeError):
        return False, None


def _is_int(x):
    return type(x) is int  # JSON true/false are bool, which must not pass as 1/0


def _meta_json(meta, key, default, kind=None):
    if key not in meta:
        return default
    text = meta[key]
    if not isinstance(text, str):
        raise _Invalid(f"metadata {key!r} is not a string but {_short(text)}")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Invalid(f"metadata {key!r} is not valid JSON ({type(exc).__name__}: {exc})") from None
    if kind is not None and not isinstance(value, kind):
        raise _Invalid(f"metadata {key!r} is not a JSON {'object' if kind is dict else 'array'}: {_short(value)}")
    return value


def _check_entry(key, info, data_len):
    """(dtype, shape, begin, end) of one header entry, or _Invalid."""
    if not isinstance(info, dict):
        raise _Invalid(f"the entry of tensor {key!r} is not a JSON object: {_short(info)}")
    code = info.get("dtype")
    if not isinstance(code, str):
        raise _Invalid(f"tensor {key!r} has no dtype string (got {_short(code)})")
    if code not in _FROM_ST:
        if code in _ST_UNSUPPORTED:
            raise _Invalid(f"tensor {key!r} has unsupported dtype {code!r} (plait reads "
                           f"{', '.join(sorted(_FROM_ST))})", lead="cannot be loaded")
        raise _Invalid(f"tensor {key!r} has unknown dtype {code!r}")
    dt = _dtype.BY_NAME[_FROM_ST[code]]
    shape = info.get("shape")
    if not isinstance(shape, list) or not all(_is_int(s) and 0 <= s <= _MAX_DIM for s in shape):
        raise _Invalid(f"tensor {key!r} has an invalid shape {_short(shape)} (expected a list of non-negative "
                       f"ints)")
    offsets = info.get("data_offsets")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) and o >= 0 for o in offsets)):
        raise _Invalid(f"tensor {key!r} has invalid data_offsets {_short(offsets)} (expected [begin, end], two "
                       f"non-negative ints)")
    begin, end = offsets
    if begin > end:
        raise _Invalid(f"tensor {key!r} has data_offsets {offsets} that end before they begin")
    if len(shape) > _MAX_NDIM:
        raise _Invalid(f"tensor {key!r} has {len(shape)} dimensions (at most {_MAX_NDIM} are supported)")
    nbytes = math.prod(shape) * dt.itemsize
    if end - begin != nbytes:
        raise _Invalid(f"tensor {key!r} of dtype {code} and shape {shape} needs {nbytes} bytes, but its "
                       f"data_offsets {offsets} hold {end - begin}")
    if data_len is not None and end > data_len:
        raise _Invalid(f"tensor {key!r} needs bytes {begin}..{end} of a data section of {data_len} bytes",
                       lead="is truncated or corrupt")
    return dt, tuple(shape), begin, end


def load(f, map_location=None, weights_only=True):
    """Read what :func:`save` wrote (or any safetensors file: a dict of tensors) from a path or a readable binary
    file object. ``map_location`` is torch's: a device (string or ``plait.device``) for every tensor, a
    ``{saved_location: target}`` dict, or a callable ``map_location(storage, location)`` called once per stored
    tensor with the tensor loaded on the CPU and the device string it was saved from; it returns the tensor to
    use (the given one, one moved elsewhere, or a device to move it to), or None to restore it to ``location``."""
    if hasattr(f, "read"):
        name = getattr(f, "name", None)
        return _load(f, os.fsdecode(name) if isinstance(name, (str, bytes)) else "<file object>", map_location)
    path = os.fspath(f)
    with open(path, "rb") as fh:
        return _load(fh, os.fsdecode(path), map_location)


def _load(stream, name, map_location):
    try:
        return _load_checked(stream, name, map_location)
    except _Invalid as exc:
        raise CheckpointError(f"'{name}' {exc.lead}: {exc}") from None


def _load_checked(stream, name, map_location):
    from .creation import resolve
    from .autograd import graph as _graph
    seekable, total = _remaining(stream)
    base = stream.tell() if seekable else 0
    first = bytearray(8)
    got = _read_into(stream, first)
    if got < 8:
        raise _Invalid(f"the file has only {got} bytes", lead="is not a plait checkpoint")
    (head_len,) = struct.unpack("<Q", first)
    if head_len > _MAX_HEADER or (total is not None and 8 + head_len > total):
        raise _Invalid(f"header of {head_len} bytes does not fit in a file of "
                       f"{total if total is not None else 'unknown size'} bytes",
                       lead="is not a plait checkpoint or is truncated")
    head = bytearray(head_len)
    got = _read_into(stream, head)
    if got < head_len:
        raise _Invalid(f"header of {head_len} bytes does not fit in a file of {8 + got} bytes",
                       lead="is not a plait checkpoint or is truncated")
    try:
        header = json.loads(head.decode("utf-8"))  # safetensors headers are UTF-8; json.loads(bytes) would guess
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise _Invalid(f"unreadable header ({type(exc).__name__}: {exc})", lead="is not a plait checkpoint") \
            from None
    del head
    if not isinstance(header, dict):
        raise _Invalid(f"the header is not a JSON object but {_short(header)}", lead="is not a plait checkpoint")
    meta = header.pop("__metadata__", None)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise _Invalid(f"__metadata__ is not a JSON object: {_short(meta)}")
    has_structure = FORMAT_KEY in meta
    structure = _meta_json(meta, FORMAT_KEY, None)
    devices = _meta_json(meta, "plait.devices", {}, dict)
    grad_names = _meta_json(meta, "plait.requires_grad", [], list)
    legacy = meta.get(VERSION_KEY) is None

    data = None
    if seekable:
        data_len = total - 8 - head_len
    else:  # a pipe or socket: read the rest once and slice it
        data = _read_rest(stream)
        data_len = len(data)
    entries = {key: _check_entry(key, info, data_len) for key, info in header.items()}

    from .device import device as _device
    for key, saved in devices.items():
        if key not in entries:
            continue
        if not isinstance(saved, str):
            raise _Invalid(f"plait.devices gives tensor {key!r} the device {_short(saved)}, not a string")
        try:
            _device(saved)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise _Invalid(f"plait.devices gives tensor {key!r} an invalid device {saved!r} ({exc})") from None
    requires_grad = set()
    for key in grad_names:
        if not isinstance(key, str) or key not in entries:
            raise _Invalid(f"plait.requires_grad names {_short(key)}, which is not a tensor of the file")
        if not entries[key][0].is_floating_point:
            raise _Invalid(f"plait.requires_grad names tensor {key!r} of dtype {entries[key][0]}; only floating "
                           f"point tensors can require gradients")
        requires_grad.add(key)

    resolved = {}

    def place(target, key, saved):
        cache_key = target if isinstance(target, str) else ("device", str(target))
        if cache_key not in resolved:
            try:
                resolved[cache_key] = resolve(target)
            except (RuntimeError, TypeError, ValueError) as exc:
                raise CheckpointError(
                    f"plait.load: '{name}': tensor '{key}' was saved on device '{saved}', which is not usable here "
                    f"({exc}). Pass map_location='cpu' to load it onto the CPU.") from None
        return resolved[cache_key]

    fixed = None
    if map_location is not None and not isinstance(map_location, dict) and not callable(map_location):
        fixed = resolve(map_location)  # the caller's own argument: its errors are theirs

    tensors = dict.fromkeys(entries)  # header order, for plain safetensors files
    for key in sorted(entries, key=lambda k: entries[k][2]):  # file order: sequential reads
        dt, shape, begin, end = entries[key]
        if data is not None:
            buf = data[begin:end]
        else:
            stream.seek(base + 8 + head_len + begin)
            buf = bytearray(end - begin)
            if _read_into(stream, buf) < len(buf):
                raise _Invalid(f"tensor {key!r} needs bytes {begin}..{end} but the file ended early",
                               lead="is truncated")
        saved = devices.get(key, "cpu")
        if callable(map_location):
            backend, dev = place("cpu", key, saved)
        elif fixed is not None:
            backend, dev = fixed
        elif isinstance(map_location, dict):
            backend, dev = place(map_location.get(saved, saved), key, saved)
        else:
            backend, dev = place(saved, key, saved)
        try:
            arr = backend.from_bytes(buf, dt, shape, dev)
        except (ValueError, TypeError, OverflowError, IndexError, struct.error) as exc:
            raise _Invalid(f"tensor {key!r} of dtype {dt} and shape {list(shape)} could not be built "
                           f"({type(exc).__name__}: {exc})") from exc
        del buf
        t = _graph._make(arr, backend, dev, dt)
        if callable(map_location):
            t = _call_map_location(map_location, t, saved, lambda: place(saved, key, saved))
        if key in requires_grad:
            t.requires_grad_(True)
        tensors[key] = t
    del data
    if not has_structure:  # a plain safetensors file from another tool: a dict of tensors
        return tensors
    try:
        return _decode(structure, tensors, legacy)
    except _Invalid as exc:
        raise _Invalid(f"invalid {FORMAT_KEY} metadata: {exc}") from None
    except RecursionError:
        raise _Invalid(f"invalid {FORMAT_KEY} metadata: nested too deeply") from None


def _call_map_location(fn, t, location, restore):
    from .tensor import Tensor
    from .device import device as _device
    out = fn(t, location)
    if out is None:  # torch: fall back to the saved location
        _, dev = restore()
        return t.to(dev)
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (str, _device)):
        return t.to(out)
    raise TypeError(f"plait.load: map_location(storage, location) must return a tensor, a device or None; got "
                    f"{type(out).__name__}")


def _decode(obj, tensors, legacy):
    if isinstance(obj, list):
        return [_decode(v, tensors, legacy) for v in obj]
    if not isinstance(obj, dict):
        return obj
    keys = set(obj)
    if not any(_is_dunder(k) for k in keys):
        items = ((k, _decode(v, tensors, legacy)) for k, v in obj.items())
        return OrderedDict(items) if legacy else dict(items)
    if keys == {"__odict__"} or keys == {"__odict__", "__attrs__"}:
        body = obj["__odict__"]
        if isinstance(body, dict):
            out = OrderedDict((k, _decode(v, tensors, legacy)) for k, v in body.items())
        else:
            out = OrderedDict(_pairs(body, tensors, legacy))
        attrs = obj.get("__attrs__", {})
        if not isinstance(attrs, dict) or not set(attrs) <= {"_metadata"}:
            raise _Invalid(f"unexpected OrderedDict attributes {_short(attrs)}")
        if "_metadata" in attrs:
            out._metadata = _decode(attrs["_metadata"], tensors, legacy)
        return out
    if len(keys) != 1 or not keys <= _MARKERS:
        raise _Invalid(f"unexpected object with keys {_short(sorted(keys))}")
    (kind,) = keys
    value = obj[kind]
    if kind == "__tensor__":
        if not isinstance(value, str) or value not in tensors:
            raise _Invalid(f"it refers to tensor {_short(value)}, which the file does not contain")
        return tensors[value]
    if kind == "__tuple__":
        if not isinstance(value, list):
            raise _Invalid(f"a tuple is stored as {_short(value)}, not a list")
        return tuple(_decode(v, tensors, legacy) for v in value)
    if kind == "__dict__":
        return dict(_pairs(value, tensors, legacy))
    if kind == "__dtype__":
        if not isinstance(value, str) or value not in _dtype.BY_NAME:
            raise _Invalid(f"unknown dtype {_short(value)}")
        return _dtype.BY_NAME[value]
    # "__device__"
    from .device import device as _device
    if not isinstance(value, str):
        raise _Invalid(f"a device is stored as {_short(value)}, not a string")
    try:
        return _device(value)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise _Invalid(f"invalid device {value!r} ({exc})") from None


def _pairs(body, tensors, legacy):
    if not isinstance(body, list):
        raise _Invalid(f"dict items are stored as {_short(body)}, not a list of [key, value] pairs")
    for pair in body:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _Invalid(f"a dict item is stored as {_short(pair)}, not a [key, value] pair")
        key = _hashable(_decode(pair[0], tensors, legacy))
        try:
            hash(key)
        except TypeError:
            raise _Invalid(f"a dict key decodes to the unhashable {_short(key)}") from None
        yield key, _decode(pair[1], tensors, legacy)


def _hashable(k):
    return tuple(k) if isinstance(k, list) else k


def _rebuild_tensor(host, device, dtype_name, requires_grad):
    from .creation import tensor
    t = tensor(host, dtype=_dtype.BY_NAME[dtype_name], device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_bytes(obj):
    """``save`` into memory; returns bytes."""
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()
