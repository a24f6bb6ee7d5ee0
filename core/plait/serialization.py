"""``plait.save`` / ``plait.load`` in the safetensors file format: a JSON header and raw little-endian
tensor bytes. Loading never executes code (no pickle). Saving writes a temporary file in the target's
folder and renames it over the target, so a crash mid-save leaves any earlier file intact."""
import io
import json
import os
import struct
import tempfile

from . import _dtype

_ST_NAMES = {"float64": "F64", "float32": "F32", "float16": "F16", "int64": "I64", "int32": "I32",
             "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}
_FROM_ST = {v: k for k, v in _ST_NAMES.items()}
_MAX_HEADER = 100 * 1024 * 1024
FORMAT_KEY = "plait.structure"


class CheckpointError(RuntimeError):
    """The file is not a readable plait checkpoint (corrupt, truncated, or another format)."""


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
        if all(isinstance(k, str) for k in obj) and not any(k.startswith("__") and k.endswith("__") for k in obj):
            return {k: _encode(v, tensors, names) for k, v in obj.items()}
        return {"__dict__": [[_encode(k, tensors, names), _encode(v, tensors, names)] for k, v in obj.items()]}
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
    """Write ``obj`` (a tensor, a state dict, or nested containers of tensors and plain values) to ``f``."""
    tensors = []
    structure = _encode(obj, tensors)
    header = {}
    blobs = []
    offset = 0
    devices = {}
    for name, t in tensors:
        data = _tensor_bytes(t)
        header[name] = {"dtype": _ST_NAMES[t.dtype.name], "shape": list(t.shape), "data_offsets": [offset,
                                                                                              offset + len(data)]}
        devices[name] = str(t.device)
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {FORMAT_KEY: json.dumps(structure), "plait.devices": json.dumps(devices),
                              "plait.requires_grad": json.dumps([n for n, t in tensors if t.requires_grad]),
                              "format": "pt"}
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)  # safetensors aligns the data section to 8 bytes
    payload = [struct.pack("<Q", len(head)), head, *blobs]
    if hasattr(f, "write"):
        for part in payload:
            f.write(part)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".plait-save-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in payload:
                out.write(part)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read_all(f):
    if hasattr(f, "read"):
        return f.read(), getattr(f, "name", "<file object>")
    path = os.fspath(f)
    with open(path, "rb") as fh:
        return fh.read(), path


def _target_device(saved, map_location):
    if map_location is None:
        return saved
    if isinstance(map_location, dict):
        return map_location.get(saved, saved)
    if callable(map_location):
        out = map_location(saved)
        return saved if out is None else str(out)
    return str(map_location)


def load(f, map_location=None, weights_only=True):
    """Read what :func:`save` wrote. ``map_location``: a device, a {saved: target} dict, or a callable."""
    from .creation import resolve
    from .autograd import graph as _graph
    raw, name = _read_all(f)
    if len(raw) < 8:
        raise CheckpointError(f"'{name}' is not a plait checkpoint: the file has only {len(raw)} bytes")
    (head_len,) = struct.unpack("<Q", raw[:8])
    if head_len > _MAX_HEADER or 8 + head_len > len(raw):
        raise CheckpointError(f"'{name}' is not a plait checkpoint or is truncated: header of {head_len} bytes "
                              f"does not fit in a file of {len(raw)} bytes")
    try:
        header = json.loads(raw[8:8 + head_len].decode("utf-8"))
        meta = header.pop("__metadata__", {}) or {}
        structure = json.loads(meta[FORMAT_KEY]) if FORMAT_KEY in meta else None
        devices = json.loads(meta.get("plait.devices", "{}"))
        requires_grad = set(json.loads(meta.get("plait.requires_grad", "[]")))
    except (ValueError, UnicodeDecodeError, KeyError) as exc:
        raise CheckpointError(f"'{name}' is not a plait checkpoint: unreadable header ({exc})") from None
    data_start = 8 + head_len
    tensors = {}
    for key, info in header.items():
        try:
            dt = _dtype.BY_NAME[_FROM_ST[info["dtype"]]]
            start, end = info["data_offsets"]
            shape = tuple(info["shape"])
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"'{name}': malformed entry for tensor '{key}': {info!r}") from None
        n = 1
        for s in shape:
            n *= s
        if end - start != n * dt.itemsize or data_start + end > len(raw):
            raise CheckpointError(f"'{name}' is truncated or corrupt: tensor '{key}' needs bytes "
                                  f"{start}..{end} of a data section of {len(raw) - data_start} bytes")
        target = _target_device(devices.get(key, "cpu"), map_location)
        try:
            backend, dev = resolve(target)
        except RuntimeError as exc:
            raise RuntimeError(f"plait.load: tensor '{key}' was saved on device '{devices.get(key)}', which is not "
                               f"usable here ({exc}). Pass map_location='cpu' to load it onto the CPU.") from None
        arr = backend.from_bytes(raw[data_start + start:data_start + end], dt, shape, dev)
        tensors[key] = _graph._make(arr, backend, dev, dt)
        if key in requires_grad:
            tensors[key].requires_grad_(True)
    if structure is None:  # a plain safetensors file from another tool: a dict of tensors
        return tensors
    return _decode(structure, tensors)


def _decode(obj, tensors):
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__tuple__" in obj:
            return tuple(_decode(v, tensors) for v in obj["__tuple__"])
        if "__dict__" in obj:
            return {_hashable(_decode(k, tensors)): _decode(v, tensors) for k, v in obj["__dict__"]}
        if "__dtype__" in obj:
            return _dtype.BY_NAME[obj["__dtype__"]]
        if "__device__" in obj:
            from .device import device
            return device(obj["__device__"])
        from collections import OrderedDict
        return OrderedDict((k, _decode(v, tensors)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    return obj


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
