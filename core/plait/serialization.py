"""``plait.save`` / ``plait.load``: torch's checkpoint format, torch's weights-only loading, and safetensors.

``save`` writes torch's zip checkpoint (see ``_torch_format``): any picklable object, with tensors pickled by
torch's own global names, so ``torch.load`` reads a plait state dict and ``plait.load`` reads what
``torch.save`` wrote, neither importing the other. A path ending in ``.safetensors`` gets a standard
safetensors file instead (a dict of tensors under its own keys). Saving writes a temporary file in the target's
folder (the symlink's target, for a symlink), syncs it and renames it over the target, so a crash or an error
mid-save leaves any earlier file intact; the new file gets the permissions ``open(path, "wb")`` would give it.

``load`` reads torch zip checkpoints (plait's and torch's), torch's legacy non-zip checkpoints, safetensors
files, and the safetensors files with a JSON object structure that earlier plait versions wrote. By default (``weights_only=True``, torch 2.6's
default) the pickle is read by a restricted unpickler that builds only tensors, containers, primitives and
allow-listed globals (:func:`add_safe_globals`), so a malicious file cannot run code. A damaged or foreign file
raises :class:`CheckpointError` naming the file and the problem."""
import errno
import io
import json
import math
import os
import pickle
import stat
import struct
import warnings
from collections import OrderedDict

from . import _dtype
from . import _torch_format as _tf

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint", "CheckpointError", "DEFAULT_PROTOCOL"]

#: torch.save's default pickle protocol
DEFAULT_PROTOCOL = 2

_ST_NAMES = {"float64": "F64", "float32": "F32", "float16": "F16", "int64": "I64", "int32": "I32",
             "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}
_FROM_ST = {v: k for k, v in _ST_NAMES.items()}
# safetensors dtypes plait has no dtype for
_ST_UNSUPPORTED = frozenset({"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "U16", "U32",
                             "U64", "C64"})
_MAX_HEADER = 100 * 1024 * 1024
_MAX_DIM = 2 ** 63 - 1
_MAX_NDIM = 64  # more dims than any backend supports; also bounds the size arithmetic on hostile headers
#: metadata key of the JSON object structure in the safetensors files earlier plait versions wrote
FORMAT_KEY = "plait.structure"
#: metadata key of that structure encoding's version. Files without it (the first format) decoded every JSON
#: object as an OrderedDict; version 2 keeps dict and OrderedDict apart.
VERSION_KEY = "plait.format_version"
_MARKERS = frozenset({"__tensor__", "__tuple__", "__dict__", "__odict__", "__dtype__", "__device__"})

_UNSAFE_MESSAGE = ("plait.load defaults to `weights_only=True`, as torch.load does since PyTorch 2.6. Re-running "
                   "`plait.load` with `weights_only` set to `False` will likely succeed, but it can result in "
                   "arbitrary code execution. Do it only if you got the file from a trusted source.")
_DOCS_MESSAGE = ("\n\nCheck the documentation of plait.load to learn more about types accepted by default with "
                 "weights_only.")


class CheckpointError(RuntimeError):
    """The file is not a readable checkpoint (corrupt, truncated, or another format)."""


_Invalid = _tf.Invalid


class _CallerError(Exception):
    """An exception of the caller's ``map_location``, carried through the unpickler untouched."""

    def __init__(self, original):
        super().__init__(original)
        self.original = original


def _is_dunder(key):
    return isinstance(key, str) and key.startswith("__") and key.endswith("__")


_short = _tf._short


# ----- globals a weights-only load may build --------------------------------------------------------------
# The user's allow-list (torch.serialization's): functions/classes, or (object, "module.qualname") pairs.
_marked_safe_globals = []


def add_safe_globals(safe_globals):
    """Mark globals (functions, classes, or ``(object, "full.name")`` pairs) as safe for ``weights_only`` loads:
    functions listed here may be called while unpickling, classes instantiated and given their state."""
    if not isinstance(safe_globals, (list, tuple, set)):
        raise TypeError(f"add_safe_globals expects a list of globals, got {type(safe_globals).__name__}")
    for item in safe_globals:
        if item not in _marked_safe_globals:
            _marked_safe_globals.append(item)


def get_safe_globals():
    """The user-added globals that are safe for ``weights_only`` loads."""
    return list(_marked_safe_globals)


def clear_safe_globals():
    """Forget every global :func:`add_safe_globals` marked as safe."""
    _marked_safe_globals.clear()


class safe_globals:
    """Context manager that marks globals as safe for ``weights_only`` loads inside its block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._added = [g for g in self.safe_globals if g not in _marked_safe_globals]
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        for item in self._added:
            if item in _marked_safe_globals:
                _marked_safe_globals.remove(item)


def _user_allowed_globals():
    out = {}
    for item in _marked_safe_globals:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got tuple of "
                                 f"length: {len(item)}")
            if type(item[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(item[1])}")
            out[item[1]] = item[0]
        else:
            out[f"{item.__module__}.{item.__qualname__}"] = item
    return out


def get_unsafe_globals_in_checkpoint(f):
    """The names of the globals in a zip checkpoint's pickle that a ``weights_only`` load would refuse (neither
    allowed by default nor marked with :func:`add_safe_globals`), read without unpickling anything."""
    if hasattr(f, "read"):
        return _unsafe_globals(f, "<file object>")
    with open(os.fspath(f), "rb") as fh:
        return _unsafe_globals(fh, os.fsdecode(os.fspath(f)))


def _unsafe_globals(stream, name):
    import _compat_pickle
    import pickletools
    if stream.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise ValueError("Expected input to be a checkpoint returned by torch.save")
    stream.seek(stream.tell() - 4)
    try:
        archive = _tf.Archive(stream)
        prefix = _tf.archive_prefix(archive)
        pkl = bytes(archive.read(f"{prefix}/data.pkl"))
    except _Invalid as exc:
        if "TorchScript" in str(exc):
            raise ValueError("Expected input to be a checkpoint returned by torch.save but got a torchscript "
                             "checkpoint") from None
        raise CheckpointError(f"'{name}' {exc.lead}: {exc}") from None
    allowed = set(_tf.torch_globals()) | set(_user_allowed_globals())
    found, strings, memo, proto = set(), [], {}, 2
    try:
        for op, arg, _ in pickletools.genops(pkl):
            if op.name == "PROTO":
                proto = arg
            elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
                strings.append(arg)
            elif op.name in ("BINPUT", "LONG_BINPUT", "PUT") and strings:
                memo[arg] = strings[-1]
            elif op.name == "MEMOIZE" and strings:
                memo[len(memo)] = strings[-1]
            elif op.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
                strings.append(memo[arg])
            elif op.name in ("GLOBAL", "INST") or (op.name == "STACK_GLOBAL" and len(strings) >= 2):
                if op.name == "STACK_GLOBAL":  # its module and name are the two strings pushed last
                    module, attr = strings[-2], strings[-1]
                else:
                    module, _, attr = arg.partition(" ")
                if proto < 3 and (module, attr) in _compat_pickle.NAME_MAPPING:
                    module, attr = _compat_pickle.NAME_MAPPING[(module, attr)]
                elif proto < 3 and module in _compat_pickle.IMPORT_MAPPING:
                    module = _compat_pickle.IMPORT_MAPPING[module]
                found.add(f"{module}.{attr}")
    except ValueError as exc:
        raise CheckpointError(f"'{name}' is corrupt: its data.pkl could not be read ({exc})") from None
    return sorted(found - allowed)


def _weights_only_message(message):
    """torch's explanation around a weights-only refusal."""
    if "was not an allowed global by default." in message:
        text = ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                "the recommended steps in the following error message.\n\tWeightsUnpickler error: " + message)
    else:
        text = f"Weights only load failed. {_UNSAFE_MESSAGE}\n"
        if "is blocked" not in message:
            text += ("Please file an issue with the following so that we can make `weights_only=True` compatible "
                     "with your use case: WeightsUnpickler error: ")
        text += "\n\n" + message
    return text + _DOCS_MESSAGE


# ----- saving ------------------------------------------------------------------------------------------------
def _tensor_bytes(t):
    host = t.detach()._backend.to_host(t.detach()._data)
    return host.tobytes()


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` (anything picklable: a tensor, a state dict, a whole Module, an optimizer's state dict, NumPy
    arrays, containers of them) to ``f``, a path or a writable binary file object, in torch's zip checkpoint
    format. A path ending in ``.safetensors`` gets a safetensors file; ``obj`` must then be a dict of tensors
    with string keys."""
    if not _use_new_zipfile_serialization:
        raise ValueError("plait.save writes torch's zip checkpoint format only; _use_new_zipfile_serialization="
                         "False (torch's legacy format) is not supported")
    if _disable_byteorder_record:
        raise ValueError("plait.save always writes the byteorder record (_disable_byteorder_record=True is not "
                         "supported)")
    path = None if hasattr(f, "write") else os.fsdecode(os.fspath(f))
    if path is not None and path.endswith(".safetensors"):
        write = _safetensors_writer(obj)
    else:
        if type(pickle_protocol) is not int or not 0 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
            raise ValueError(f"pickle protocol must be <= {pickle.HIGHEST_PROTOCOL}")
        if pickle_protocol == 0:  # it writes persistent ids as text lines, which cannot hold storage references
            raise ValueError("plait.save needs pickle protocol 1 or higher: protocol 0 cannot store the storage "
                             "references of tensors in a form that loads back (torch.load fails on such files)")
        archive = _tf.archive_name_for(path)

        def write(out):
            _tf.write_checkpoint(out, obj, archive, pickle_module, pickle_protocol, _tensor_bytes)
    if path is None:
        write(f)
        return
    _atomic_write(path, write)


def _safetensors_writer(obj):
    """A writer of ``obj`` (a dict of tensors) as a standard safetensors file: the dict's keys, dtype codes,
    shapes and data offsets in the JSON header, ``{"format": "pt"}`` metadata (plus the tensors' devices and
    requires_grad where they are not the defaults), the row-major bytes after it. A tensor stored under two keys
    is written twice (the format has no sharing)."""
    from .tensor import Tensor
    if not isinstance(obj, dict):
        raise TypeError(f"plait.save writes a .safetensors file from a dict of tensors with string keys (the only "
                        f"thing the format holds), got {type(obj).__name__}; save to another file name for "
                        f"torch's checkpoint format")
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"a .safetensors file's keys are strings, got the key {key!r}")
        if not isinstance(value, Tensor):
            raise TypeError(f"a .safetensors file holds tensors only, but {key!r} is {type(value).__name__}")
        if key == "__metadata__":
            raise ValueError("'__metadata__' is reserved in the safetensors format and cannot name a tensor")
    header, offset = {}, 0
    for key, t in obj.items():
        nbytes = t.numel() * t.dtype.itemsize
        header[key] = {"dtype": _ST_NAMES[t.dtype.name], "shape": list(t.shape), "data_offsets": [offset,
                                                                                               offset + nbytes]}
        offset += nbytes
    # the format's metadata is a str -> str map other tools ignore: plait keeps devices other than the CPU and
    # requires_grad there, only when some tensor has them
    metadata = {"format": "pt"}
    devices = {key: str(t.device) for key, t in obj.items() if str(t.device) != "cpu"}
    if devices:
        metadata["plait.devices"] = json.dumps(devices)
    grads = [key for key, t in obj.items() if t.requires_grad]
    if grads:
        metadata["plait.requires_grad"] = json.dumps(grads)
    header["__metadata__"] = metadata
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)  # safetensors aligns the data section to 8 bytes

    def write(out):
        out.write(struct.pack("<Q", len(head)))
        out.write(head)
        for key, t in obj.items():  # one tensor's host copy alive at a time
            data = _tensor_bytes(t)
            expected = header[key]["data_offsets"][1] - header[key]["data_offsets"][0]
            if len(data) != expected:
                raise RuntimeError(f"plait.save: tensor {key!r} gave {len(data)} bytes, expected {expected}")
            out.write(data)
            del data
    return write


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


# ----- loading -----------------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read a checkpoint from a path or a readable binary file object: torch's zip format (written by
    :func:`save` or by ``torch.save``), torch's legacy non-zip format, a safetensors file (a dict of tensors), or
    the safetensors files earlier plait versions wrote.

    ``weights_only`` (the default, as in torch 2.6+ when no ``pickle_module`` is given) builds only tensors,
    Parameters, dicts, OrderedDicts, lists, tuples, sets, primitives, dtypes, devices and the globals marked
    with :func:`add_safe_globals`; anything else raises ``pickle.UnpicklingError`` with torch's explanation.
    ``weights_only=False`` unpickles anything with ``pickle_module`` (default ``pickle``): only for trusted files.

    ``map_location`` is torch's: a device (string or ``plait.device``) for every tensor, a
    ``{saved_location: target}`` dict, or a callable ``map_location(storage, location)`` called once per stored
    storage with it loaded on the CPU (a flat plait tensor) and the device string it was saved from; it returns
    the tensor to use (the given one, one moved elsewhere, or a device to move it to), or None to restore it to
    ``location``. ``mmap=True`` maps the file (a path to a zip checkpoint) and builds each tensor straight from
    the mapped bytes instead of reading them into a buffer first; the tensors own their memory."""
    weights_only_not_set = weights_only is None
    if weights_only_not_set:
        weights_only = pickle_module is None
    truthy = ("1", "y", "yes", "true")
    force_wo = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    force_no_wo = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    if force_wo and force_no_wo:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    if force_wo:
        weights_only = True
    elif force_no_wo and weights_only_not_set:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the`weights_only` "
                      "argument was not explicitly passed to `plait.load`, forcing weights_only=False.",
                      UserWarning, stacklevel=2)
        weights_only = False
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_load_args:
            warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    elif pickle_module is None:
        pickle_module = pickle
    pickle_load_args.setdefault("encoding", "utf-8")
    options = _LoadOptions(map_location, weights_only, pickle_module, pickle_load_args)
    if hasattr(f, "read"):
        if mmap:
            raise ValueError("f must be a file path in order to use the mmap argument")
        name = getattr(f, "name", None)
        return _load(f, os.fsdecode(name) if isinstance(name, (str, bytes)) else "<file object>", options)
    path = os.fspath(f)
    with open(path, "rb") as fh:
        return _load(fh, os.fsdecode(path), options, mmap=bool(mmap))


class _LoadOptions:
    __slots__ = ("map_location", "weights_only", "pickle_module", "pickle_load_args")

    def __init__(self, map_location, weights_only, pickle_module, pickle_load_args):
        self.map_location, self.weights_only = map_location, weights_only
        self.pickle_module, self.pickle_load_args = pickle_module, pickle_load_args


def _load(stream, name, options, mmap=False):
    try:
        return _load_checked(stream, name, options, mmap)
    except _Invalid as exc:
        raise CheckpointError(f"'{name}' {exc.lead}: {exc}") from None
    except _tf.Refused as exc:
        raise pickle.UnpicklingError(_weights_only_message(str(exc))) from None
    except _CallerError as exc:
        raise exc.original


def _load_checked(stream, name, options, mmap):
    seekable, total = _remaining(stream)
    if not seekable:  # a pipe or socket: the zip directory sits at the end, so read it all
        stream = io.BytesIO(bytes(_read_rest(stream)))
        seekable, total = True, len(stream.getbuffer())
    base = stream.tell()
    magic = stream.read(8)
    stream.seek(base)
    if magic[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _load_zip(stream, name, options, mmap)
    if mmap:
        raise RuntimeError(f"mmap can only be used with files saved with `plait.save({name}, "
                           f"_use_new_zipfile_serialization=True)` (torch's zip format), please save your "
                           f"checkpoint with this option in order to use mmap.")
    if magic[:1] == b"\x80" and len(magic) >= 2 and 2 <= magic[1] <= pickle.HIGHEST_PROTOCOL:
        if magic.startswith(b"\x80\x02\x8a\x0a"):  # a pickled LONG1: torch's legacy magic number
            return _load_legacy(stream, name, options, total)
        raise _Invalid("it is a plain pickle, not a checkpoint (no zip archive, no safetensors header)",
                       lead="is not a torch or plait checkpoint")
    return _load_safetensors(stream, name, options.map_location, total)


class _Placement:
    """Builds loaded tensors on the devices ``map_location`` asks for (torch's rules)."""

    def __init__(self, map_location, name):
        from .creation import resolve
        self.map_location, self.name, self._resolved = map_location, name, {}
        self.fixed = None
        if map_location is not None and not isinstance(map_location, dict) and not callable(map_location):
            self.fixed = resolve(map_location)  # the caller's own argument: its errors are theirs

    def _place(self, target, label, saved):
        from .creation import resolve
        cache_key = target if isinstance(target, str) else ("device", str(target))
        if cache_key not in self._resolved:
            try:
                self._resolved[cache_key] = resolve(target)
            except (RuntimeError, TypeError, ValueError) as exc:
                raise CheckpointError(
                    f"plait.load: '{self.name}': {label} was saved on device '{saved}', which is not usable here "
                    f"({exc}). Pass map_location='cpu' to load it onto the CPU.") from None
        return self._resolved[cache_key]

    def check_location(self, saved, label):
        from .device import device as _device
        if not isinstance(saved, str):
            raise _Invalid(f"{label} has the device {_short(saved)}, not a string")
        try:
            _device(saved)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise _Invalid(f"{label} has an invalid device {saved!r} ({exc})") from None

    def build(self, buf, dt, shape, saved, label):
        """A tensor from little-endian bytes ``buf``, saved on device ``saved``."""
        from .autograd import graph as _graph
        self.check_location(saved, label)
        map_location = self.map_location
        if callable(map_location):
            backend, dev = self._place("cpu", label, saved)
        elif self.fixed is not None:
            backend, dev = self.fixed
        elif isinstance(map_location, dict):
            backend, dev = self._place(map_location.get(saved, saved), label, saved)
        else:
            backend, dev = self._place(saved, label, saved)
        if dt not in backend.dtype_to_native:
            raise _Invalid(f"{label} of dtype {dt.name} and shape {list(shape)} could not be built on device "
                           f"'{dev}': backend {backend.name!r} has no {dt.name}", lead="cannot be loaded")
        try:
            arr = backend.from_bytes(buf, dt, shape, dev)
        except (ValueError, TypeError, OverflowError, IndexError, struct.error) as exc:
            raise _Invalid(f"{label} of dtype {dt.name} and shape {list(shape)} could not be built "
                           f"({type(exc).__name__}: {exc})") from exc
        t = _graph._make(arr, backend, dev, dt)
        if callable(map_location):
            t = self._call_map_location(t, saved, label)
        return t

    def _call_map_location(self, t, location, label):
        from .tensor import Tensor
        from .device import device as _device
        try:
            out = self.map_location(t, location)
        except Exception as exc:
            raise _CallerError(exc) from None
        if out is None:  # torch: fall back to the saved location
            _, dev = self._place(location, label, location)
            return t.to(dev)
        if isinstance(out, Tensor):
            return out
        if isinstance(out, (str, _device)):
            return t.to(out)
        raise _CallerError(TypeError(f"plait.load: map_location(storage, location) must return a tensor, a "
                                     f"device or None; got {type(out).__name__}"))


def _unpickle(file, size, options, torch_names, persistent_load, what="pickle"):
    """The checkpoint's object: weights-only or with ``options.pickle_module``, torch's names mapped."""
    unsupported = _tf.unsupported_names()
    if options.weights_only:
        unpickler = _tf.weights_only_unpickler(file, size, torch_names, _user_allowed_globals(), unsupported,
                                               persistent_load, options.pickle_load_args["encoding"])
    else:
        unpickler = _tf.full_unpickler(options.pickle_module, file, torch_names, unsupported, persistent_load,
                                       **options.pickle_load_args)
    try:
        return unpickler.load()
    except (_Invalid, _tf.Refused, CheckpointError, _CallerError):
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, struct.error, TypeError,
            AttributeError, UnicodeDecodeError, RecursionError, OverflowError, MemoryError) as exc:
        raise _Invalid(f"its {what} could not be unpickled ({type(exc).__name__}: {exc})") from exc


def _load_zip(stream, name, options, mmap):
    mapped = None
    if mmap:
        import mmap as _mmap
        # copy-on-write, as torch maps checkpoints (MAP_PRIVATE): writes never reach the file
        mapped = _mmap.mmap(stream.fileno(), 0, access=_mmap.ACCESS_COPY)
    try:
        archive = _tf.Archive(stream, mapped)
        prefix = _tf.archive_prefix(archive)
        pkl = bytes(archive.read(f"{prefix}/data.pkl"))
        storages = _tf.StorageLoader(archive, prefix, _Placement(options.map_location, name))
        return _unpickle(io.BytesIO(pkl), len(pkl), options, _tf.torch_globals(), storages, "data.pkl")
    finally:
        if mapped is not None:
            # tensors were copied out of the map; a memoryview still held by a failed load keeps it open
            try:
                mapped.close()
            except BufferError:
                pass


def _plain_pickle(stream, total, what):
    """One pickle of plain values (ints, strings, containers) from ``stream``."""
    unpickler = _tf.weights_only_unpickler(stream, total, {}, {}, {}, None, "latin1")
    try:
        return unpickler.load()
    except (_Invalid, _tf.Refused) as exc:
        raise _Invalid(f"its {what} is not a plain pickle ({exc})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, struct.error, TypeError,
            AttributeError, UnicodeDecodeError, RecursionError, OverflowError, MemoryError) as exc:
        raise _Invalid(f"its {what} could not be unpickled ({type(exc).__name__}: {exc})",
                       lead="is truncated or corrupt") from None


def _load_legacy(stream, name, options, total):
    """torch's legacy (non-zip) format: see ``_torch_format``."""
    start = stream.tell()
    if _plain_pickle(stream, total, "magic number") != _tf.LEGACY_MAGIC:
        raise _Invalid("Invalid magic number; corrupt file?")
    version = _plain_pickle(stream, total, "protocol version")
    if version != _tf.LEGACY_PROTOCOL:
        raise _Invalid(f"Invalid protocol version: {_short(version)}")
    sys_info = _plain_pickle(stream, total, "system info")
    if not isinstance(sys_info, dict) or not isinstance(sys_info.get("little_endian", True), bool):
        raise _Invalid(f"invalid system info {_short(sys_info)}")
    torch_names = _tf.torch_globals()
    main_start = stream.tell()
    try:
        roots = _tf.scan_legacy_storages(stream, total, torch_names)
    except _Invalid:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, struct.error, TypeError,
            AttributeError, UnicodeDecodeError, RecursionError, OverflowError, MemoryError) as exc:
        raise _Invalid(f"its pickle could not be read ({type(exc).__name__}: {exc})",
                       lead="is truncated or corrupt") from None
    main_end = stream.tell()
    keys = _plain_pickle(stream, total, "list of storage keys")
    if not isinstance(keys, list) or set(keys) != set(roots):
        raise _Invalid(f"its storage keys {_short(keys)} are not the storages its pickle uses "
                       f"{_short(sorted(roots))}")
    placement = _Placement(options.map_location, name)
    storages = {}
    for key in keys:
        dt, numel, location = roots[key]
        head = stream.read(8)
        order = "<" if sys_info.get("little_endian", True) else ">"
        count = struct.unpack(f"{order}q", head)[0] if len(head) == 8 else None
        if count != numel:
            raise _Invalid(f"storage {key!r} of {numel} elements has a record of {count} elements",
                           lead="is truncated or corrupt")
        if stream.tell() + numel * dt.itemsize > start + total:
            raise _Invalid(f"storage {key!r} needs {numel * dt.itemsize} bytes past the end of the file",
                           lead="is truncated")
        data = bytearray(numel * dt.itemsize)
        _read_into(stream, data)
        if not sys_info.get("little_endian", True) and dt.itemsize > 1:
            data = _tf._swap_bytes(data, dt.itemsize)
        storages[key] = _tf.LoadedStorage(placement.build(data, dt, (numel,), location, f"storage {key!r}"))
        del data
    stream.seek(main_start)
    file = io.BytesIO(stream.read(main_end - main_start))
    persistent_load = _tf.LegacyStorages(storages, allow_modules=not options.weights_only)
    return _unpickle(file, main_end - main_start, options, torch_names, persistent_load)


def _load_safetensors(stream, name, map_location, total):
    base = stream.tell()
    first = bytearray(8)
    got = _read_into(stream, first)
    if got < 8:
        raise _Invalid(f"the file has only {got} bytes", lead="is not a plait checkpoint")
    (head_len,) = struct.unpack("<Q", first)
    if head_len > _MAX_HEADER or 8 + head_len > total:
        raise _Invalid(f"header of {head_len} bytes does not fit in a file of {total} bytes",
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

    data_len = total - 8 - head_len
    entries = {key: _check_entry(key, info, data_len) for key, info in header.items()}
    placement = _Placement(map_location, name)
    for key, saved in devices.items():
        if key in entries:
            placement.check_location(saved, f"plait.devices: tensor {key!r}")
    requires_grad = set()
    for key in grad_names:
        if not isinstance(key, str) or key not in entries:
            raise _Invalid(f"plait.requires_grad names {_short(key)}, which is not a tensor of the file")
        if not entries[key][0].is_floating_point:
            raise _Invalid(f"plait.requires_grad names tensor {key!r} of dtype {entries[key][0]}; only floating "
                           f"point tensors can require gradients")
        requires_grad.add(key)

    tensors = dict.fromkeys(entries)  # header order, for plain safetensors files
    for key in sorted(entries, key=lambda k: entries[k][2]):  # file order: sequential reads
        dt, shape, begin, end = entries[key]
        stream.seek(base + 8 + head_len + begin)
        buf = bytearray(end - begin)
        if _read_into(stream, buf) < len(buf):
            raise _Invalid(f"tensor {key!r} needs bytes {begin}..{end} but the file ended early",
                           lead="is truncated")
        t = placement.build(buf, dt, shape, devices.get(key, "cpu"), f"tensor '{key}'")
        del buf
        if key in requires_grad:
            t.requires_grad_(True)
        tensors[key] = t
    if not has_structure:  # a plain safetensors file: a dict of tensors
        return tensors
    try:
        return _decode(structure, tensors, legacy)
    except _Invalid as exc:
        raise _Invalid(f"invalid {FORMAT_KEY} metadata: {exc}") from None
    except RecursionError:
        raise _Invalid(f"invalid {FORMAT_KEY} metadata: nested too deeply") from None


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


# ----- pickling single tensors (pickle.dumps, copy) ----------------------------------------------------------
def _tensor_from_bytes(data, dtype_name, shape, device, requires_grad):
    """What ``pickle.loads`` calls for a pickled tensor: its little-endian bytes, dtype, shape and device."""
    from .creation import resolve
    from .autograd import graph as _graph
    backend, dev = resolve(device)
    dt = _dtype.BY_NAME[dtype_name]
    t = _graph._make(backend.from_bytes(data, dt, tuple(shape), dev), backend, dev, dt)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _tensor_from_shared(backend_name, handle, dtype_name, shape, device, requires_grad):
    """What ``pickle.loads`` calls for a tensor in shared memory: the same memory, mapped by its handle."""
    from .creation import resolve
    from .autograd import graph as _graph
    backend, dev = resolve(device)
    if backend.name != backend_name:
        raise RuntimeError(f"a tensor shared by backend {backend_name!r} cannot be opened by backend "
                           f"{backend.name!r}, which serves {dev} in this process")
    dt = _dtype.BY_NAME[dtype_name]
    t = _graph._make(backend.from_shared(handle, dt, tuple(shape), dev), backend, dev, dt)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _tensor_subclass(cls, attributes, rebuild, *args):
    """A pickled instance of a Tensor subclass: the tensor ``rebuild(*args)``, made an instance of ``cls``,
    with its attributes."""
    from .tensor import Tensor
    t = rebuild(*args)
    out = Tensor._make_subclass(cls, t, t.requires_grad)
    out.__dict__.update(attributes)
    return out


def _rebuild_tensor(host, device, dtype_name, requires_grad):
    """Tensors pickled by earlier plait versions (a host NumPy array)."""
    from .creation import tensor
    t = tensor(host, dtype=_dtype.BY_NAME[dtype_name], device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t
