"""``plait.save`` / ``plait.load`` against torch's behaviour and against damaged files: file permissions and
symlinks, torch's ``map_location(storage, location)`` callable, round trips of plain top-level objects (None
included) with dict / OrderedDict kept apart, validation of the safetensors files earlier plait versions wrote
(every corruption is a CheckpointError naming the file) with a seeded header fuzz, a seeded fuzz of the zip
archive and of its pickle, and the memory a load needs."""
import io
import json
import os
import pickle
import random
import stat
import struct
import tracemalloc
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import plait
import plait.serialization as ser
from plait.serialization import CheckpointError
from core_helpers import to_np, on_strict

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions, symlinks and FIFOs")


# ----- 1. permissions, symlinks, non-regular targets -------------------------------------------------------
def _with_umask(mask, fn):
    old = os.umask(mask)
    try:
        return fn()
    finally:
        os.umask(old)


@posix_only
@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002, 0o077], ids=oct)
def test_new_file_gets_the_mode_open_would_give(tmp_path, mask):
    def run():
        plait.save({"w": plait.ones(2)}, tmp_path / "new.pt")
        with open(tmp_path / "ref.bin", "wb"):
            pass

    _with_umask(mask, run)
    got = stat.S_IMODE(os.stat(tmp_path / "new.pt").st_mode)
    assert got == stat.S_IMODE(os.stat(tmp_path / "ref.bin").st_mode) == 0o666 & ~mask


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o664, 0o604], ids=oct)
def test_overwriting_keeps_the_existing_mode(tmp_path, mode):
    path = tmp_path / "ckpt.pt"
    plait.save(plait.zeros(1), path)
    os.chmod(path, mode)
    _with_umask(0o077, lambda: plait.save(plait.ones(3), path))
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert plait.load(path).tolist() == [1.0, 1.0, 1.0]


@posix_only
@pytest.mark.parametrize("relative", [False, True], ids=["absolute-link", "relative-link"])
def test_saving_through_a_symlink_writes_the_target(tmp_path, monkeypatch, relative):
    (tmp_path / "store").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "store" / "real.pt"
    link = tmp_path / "links" / "latest.pt"
    plait.save(plait.zeros(2), target)
    os.chmod(target, 0o640)
    os.symlink(os.path.join("..", "store", "real.pt") if relative else str(target), link)
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((os.fspath(src), os.fspath(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    plait.save(plait.arange(3.0), link)
    monkeypatch.undo()
    assert os.path.islink(link)
    assert plait.load(target).tolist() == [0.0, 1.0, 2.0] and plait.load(link).tolist() == [0.0, 1.0, 2.0]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert len(replaced) == 1
    src, dst = replaced[0]
    assert os.path.realpath(dst) == os.path.realpath(target)
    assert os.path.dirname(os.path.realpath(src)) == os.path.realpath(tmp_path / "store")
    assert sorted(os.listdir(tmp_path / "store")) == ["real.pt"]
    assert sorted(os.listdir(tmp_path / "links")) == ["latest.pt"]


@posix_only
def test_saving_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.pt"
    os.symlink("made.pt", link)
    plait.save(plait.tensor([5]), link)
    assert os.path.islink(link) and (tmp_path / "made.pt").is_file()
    assert plait.load(tmp_path / "made.pt").tolist() == [5]


@posix_only
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_saving_to_a_fifo_writes_into_it_instead_of_replacing_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        plait.save({"x": plait.arange(4)}, fifo)  # small: fits in the pipe buffer
        data = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert plait.load(io.BytesIO(data))["x"].tolist() == [0, 1, 2, 3]


def test_atomic_save_syncs_the_file_before_replacing(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda s, d: (events.append("replace"), real_replace(s, d))[1])
    plait.save(plait.ones(2), tmp_path / "a.pt")
    monkeypatch.undo()
    assert "replace" in events and events.index("fsync") < events.index("replace")
    assert sorted(os.listdir(tmp_path)) == ["a.pt"]


# ----- 2. map_location as a callable, torch's way ---------------------------------------------------------
def _saved_on_two_devices(tmp_path):
    s = plait.tensor([1.0, 2.0], device="strict")
    c = plait.tensor([3.0], requires_grad=True)
    path = tmp_path / "d.pt"
    plait.save({"s": s, "c": c, "c_again": c}, path)
    return path


def test_callable_map_location_gets_storage_and_location(tmp_path):
    path = _saved_on_two_devices(tmp_path)
    calls = []

    def keep(storage, location):
        calls.append((storage, location))
        return storage

    back = plait.load(path, map_location=keep)
    assert sorted(loc for _, loc in calls) == ["cpu", "strict"]  # once per stored storage (the tie included)
    assert all(isinstance(st, plait.Tensor) and st.dim() == 1 and st.device == plait.device("cpu")
               for st, _ in calls)
    by_loc = {loc: st for st, loc in calls}
    with plait.no_grad():
        by_loc["cpu"].add_(1)  # the loaded tensors are views of the storages map_location returned
    assert back["c"].tolist() == [4.0] and back["c_again"] is back["c"]
    assert back["s"].device == plait.device("cpu")  # torch's idiom for loading onto the CPU
    assert back["s"].tolist() == [1.0, 2.0]
    assert back["c"].requires_grad and back["c"].is_leaf and not back["s"].requires_grad


def test_callable_map_location_return_value_is_used(tmp_path):
    path = _saved_on_two_devices(tmp_path)
    back = plait.load(path, map_location=lambda storage, location: storage.to("strict"))
    assert back["s"].device == plait.device("strict") and back["c"].device == plait.device("strict")
    assert back["c"].requires_grad and back["c"].is_leaf and back["c_again"] is back["c"]
    assert back["c"].tolist() == [3.0]


def test_callable_map_location_returning_none_restores_the_saved_device(tmp_path):
    path = _saved_on_two_devices(tmp_path)
    back = plait.load(path, map_location=lambda storage, location: None)
    assert back["s"].device == plait.device("strict") and back["c"].device == plait.device("cpu")
    assert back["s"].tolist() == [1.0, 2.0]


def test_callable_map_location_returning_a_device(tmp_path):
    path = _saved_on_two_devices(tmp_path)
    back = plait.load(path, map_location=lambda storage, location: plait.device("cpu"))
    assert back["s"].device == plait.device("cpu") and back["s"].tolist() == [1.0, 2.0]


def test_callable_map_location_returning_junk_is_a_type_error(tmp_path):
    path = _saved_on_two_devices(tmp_path)
    with pytest.raises(TypeError, match="map_location"):
        plait.load(path, map_location=lambda storage, location: 42)


def test_map_location_string_device_and_dict_forms_still_work(tmp_path):
    path = _saved_on_two_devices(tmp_path)
    assert plait.load(path, map_location="cpu")["s"].device == plait.device("cpu")
    assert plait.load(path, map_location=plait.device("strict"))["c"].device == plait.device("strict")
    back = plait.load(path, map_location={"strict": plait.device("cpu")})
    assert back["s"].device == plait.device("cpu") and back["c"].device == plait.device("cpu")


# ----- 3. top-level objects and dict types ----------------------------------------------------------------
@pytest.mark.parametrize("obj", [None, 0, -7, 2 ** 70, 2.5, float("inf"), "text", "", True, False, [], {},
                                 [1, None, "x", [2.0]], {"a": {"b": None}}, (1, "two")],
                         ids=repr)
def test_plain_top_level_objects_round_trip(tmp_path, obj):
    plait.save(obj, tmp_path / "o.pt")
    back = plait.load(tmp_path / "o.pt")
    assert back == obj and type(back) is type(obj)
    buf = io.BytesIO()
    plait.save(obj, buf)
    buf.seek(0)
    assert plait.load(buf) == obj


def test_nan_round_trips(tmp_path):
    plait.save({"loss": float("nan")}, tmp_path / "n.pt")
    assert plait.load(tmp_path / "n.pt")["loss"] != plait.load(tmp_path / "n.pt")["loss"]


def test_dict_and_ordered_dict_come_back_as_themselves(tmp_path):
    obj = {"plain": {"a": 1, "z": plait.ones(1)},
           "ordered": OrderedDict([("z", 1), ("a", {"inner": 2})]),
           "ordered_int_keys": OrderedDict([(3, "c"), (1, "a")]),
           "int_keys": {2: "b", 1: "a"},
           "dunder": OrderedDict([("__tensor__", 1)])}
    plait.save(obj, tmp_path / "d.pt")
    back = plait.load(tmp_path / "d.pt")
    assert type(back) is dict and type(back["plain"]) is dict and type(back["int_keys"]) is dict
    assert type(back["ordered"]) is OrderedDict and list(back["ordered"]) == ["z", "a"]
    assert type(back["ordered"]["a"]) is dict
    assert type(back["ordered_int_keys"]) is OrderedDict and list(back["ordered_int_keys"]) == [3, 1]
    assert list(back["int_keys"]) == [2, 1]
    assert type(back["dunder"]) is OrderedDict and back["dunder"] == {"__tensor__": 1}
    t = OrderedDict(a=plait.ones(1))
    plait.save(t, tmp_path / "od.pt")
    assert type(plait.load(tmp_path / "od.pt")) is OrderedDict


def test_a_module_state_dict_loads_as_an_ordered_dict_with_its_metadata(tmp_path):
    nn = pytest.importorskip("plait.nn")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    sd = model.state_dict()
    plait.save(sd, tmp_path / "m.pt")
    back = plait.load(tmp_path / "m.pt")
    assert type(back) is OrderedDict and list(back) == list(sd)
    assert getattr(back, "_metadata", None) == sd._metadata
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(back)
    for k in sd:
        np.testing.assert_array_equal(to_np(fresh.state_dict()[k]), to_np(sd[k]))


def test_files_earlier_plait_versions_wrote_still_load(tmp_path):
    w = plait.tensor([[1.0, 2.0]], requires_grad=True)
    obj = {"model": OrderedDict([("w", w), ("tied", w)]), "opt": {0: {"step": 3}}, "betas": (0.9, 0.99),
           "dtype": plait.float64, "device": plait.device("cpu"), "ints": plait.arange(3)}
    (tmp_path / "v2.pt").write_bytes(_plait_v2_bytes(obj))
    back = plait.load(tmp_path / "v2.pt")
    assert type(back) is dict and type(back["model"]) is OrderedDict
    assert back["model"]["w"] is back["model"]["tied"] and back["model"]["w"].requires_grad
    assert back["model"]["w"].tolist() == [[1.0, 2.0]] and back["ints"].tolist() == [0, 1, 2]
    assert back["opt"] == {0: {"step": 3}} and back["betas"] == (0.9, 0.99)
    assert back["dtype"] is plait.float64 and back["device"] == plait.device("cpu")


def test_files_of_the_first_format_still_load_dicts_as_ordered_dicts(tmp_path):
    """Files written before plait.format_version: JSON objects in the structure were decoded as OrderedDict."""
    t = plait.tensor([1.0, 2.0])
    structure = {"w": {"__tensor__": "t0"}, "cfg": {"lr": 0.1}}
    _write_st(tmp_path / "v1.pt", {"t0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
              t.numpy().astype("<f4").tobytes(),
              {ser.FORMAT_KEY: json.dumps(structure), "plait.devices": '{"t0": "cpu"}',
               "plait.requires_grad": "[]", "format": "pt"})
    back = plait.load(tmp_path / "v1.pt")
    assert type(back) is OrderedDict and type(back["cfg"]) is OrderedDict
    assert back["w"].tolist() == [1.0, 2.0] and back["cfg"] == {"lr": 0.1}


# ----- 4. header validation of safetensors files ------------------------------------------------------------
def _encode_v2(obj, tensors, names):
    """The JSON object structure of the files plait wrote before it wrote torch's zip format."""
    if isinstance(obj, plait.Tensor):
        if id(obj) not in names:
            names[id(obj)] = f"t{len(tensors)}"
            tensors.append((names[id(obj)], obj))
        return {"__tensor__": names[id(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, plait.dtype):
        return {"__dtype__": obj.name}
    if isinstance(obj, plait.device):
        return {"__device__": str(obj)}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode_v2(v, tensors, names) for v in obj]}
    if isinstance(obj, list):
        return [_encode_v2(v, tensors, names) for v in obj]
    if all(isinstance(k, str) and not (k.startswith("__") and k.endswith("__")) for k in obj):
        body = {k: _encode_v2(v, tensors, names) for k, v in obj.items()}
    else:
        body = [[_encode_v2(k, tensors, names), _encode_v2(v, tensors, names)] for k, v in obj.items()]
    if isinstance(obj, OrderedDict):
        return {"__odict__": body}
    return body if isinstance(body, dict) else {"__dict__": body}


def _plait_v2_bytes(obj):
    tensors = []
    structure = _encode_v2(obj, tensors, {})
    header, data = {}, b""
    for name, t in tensors:
        raw = to_np(t).astype(to_np(t).dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": ser._ST_NAMES[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = {ser.FORMAT_KEY: json.dumps(structure),
                              "plait.devices": json.dumps({n: str(t.device) for n, t in tensors}),
                              "plait.requires_grad": json.dumps([n for n, t in tensors if t.requires_grad]),
                              ser.VERSION_KEY: "2", "format": "pt"}
    head = json.dumps(header).encode("utf-8")
    return struct.pack("<Q", len(head)) + head + data


def _write_st(path, header, data, metadata=None):
    header = dict(header)
    if metadata is not None:
        header["__metadata__"] = metadata
    head = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + data)


def _meta(structure, devices=None, requires_grad=None):
    return {ser.FORMAT_KEY: structure if isinstance(structure, str) else json.dumps(structure),
            "plait.devices": json.dumps({"t0": "cpu"} if devices is None else devices),
            "plait.requires_grad": json.dumps([] if requires_grad is None else requires_grad),
            "plait.format_version": "2", "format": "pt"}


_T0 = {"t0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
_DATA = struct.pack("<2f", 1.0, 2.0)


def _entry(**change):
    e = dict(_T0["t0"])
    e.update(change)
    return {"t0": e}


_BAD = {
    # (header, data, metadata) -> part of the expected message
    "header-is-a-list": ([1, 2], b"", None, "JSON object"),
    "header-is-a-string": ("x", b"", None, "JSON object"),
    "header-is-null": (None, b"", None, "JSON object"),
    "metadata-not-an-object": (_T0, _DATA, [1], "__metadata__"),
    "metadata-value-not-a-string": (_T0, _DATA, {ser.FORMAT_KEY: 5}, ser.FORMAT_KEY),
    "entry-not-an-object": ({"t0": [1, 2]}, _DATA, None, "t0"),
    "entry-no-dtype": ({"t0": {"shape": [2], "data_offsets": [0, 8]}}, _DATA, None, "dtype"),
    "dtype-not-a-string": (_entry(dtype=5), _DATA, None, "dtype"),
    "dtype-unknown": (_entry(dtype="F33"), _DATA, None, "unknown dtype 'F33'"),
    "dtype-bf16": (_entry(dtype="BF16", shape=[4]), _DATA, None, "unsupported dtype 'BF16'"),
    "dtype-f8": (_entry(dtype="F8_E4M3", shape=[8]), _DATA, None, "unsupported dtype 'F8_E4M3'"),
    "dtype-u16": (_entry(dtype="U16", shape=[4]), _DATA, None, "unsupported dtype 'U16'"),
    "shape-missing": ({"t0": {"dtype": "F32", "data_offsets": [0, 8]}}, _DATA, None, "shape"),
    "shape-not-a-list": (_entry(shape=2), _DATA, None, "shape"),
    "shape-float": (_entry(shape=[2.0]), _DATA, None, "shape"),
    "shape-bool": (_entry(shape=[True, 2]), _DATA, None, "shape"),
    "shape-negative": (_entry(shape=[-2]), _DATA, None, "shape"),
    "shape-string": (_entry(shape=["2"]), _DATA, None, "shape"),
    "shape-huge": (_entry(shape=[0, 2 ** 70]), b"", None, "shape"),
    "offsets-missing": ({"t0": {"dtype": "F32", "shape": [2]}}, _DATA, None, "data_offsets"),
    "offsets-one": (_entry(data_offsets=[8]), _DATA, None, "data_offsets"),
    "offsets-three": (_entry(data_offsets=[0, 4, 8]), _DATA, None, "data_offsets"),
    "offsets-negative": (_entry(data_offsets=[-8, 0]), _DATA, None, "data_offsets"),
    "offsets-float": (_entry(data_offsets=[0.0, 8.0]), _DATA, None, "data_offsets"),
    "offsets-reversed": (_entry(data_offsets=[8, 0]), _DATA, None, "data_offsets"),
    "offsets-past-end": (_entry(data_offsets=[4, 12]), _DATA, None, "8 bytes"),
    "offsets-size-mismatch": (_entry(data_offsets=[0, 4]), _DATA, None, "needs 8 bytes"),
    "offsets-not-a-list": (_entry(data_offsets="0-8"), _DATA, None, "data_offsets"),
    "structure-not-json": (_T0, _DATA, _meta("{oops"), "structure"),
    "structure-missing-tensor": (_T0, _DATA, _meta({"w": {"__tensor__": "t7"}}), "'t7'"),
    "structure-tensor-name-not-a-string": (_T0, _DATA, _meta({"w": {"__tensor__": ["t0"]}}), "structure"),
    "structure-unknown-dtype": (_T0, _DATA, _meta({"__dtype__": "complex32"}), "structure"),
    "structure-bad-device": (_T0, _DATA, _meta({"__device__": "not a device!"}), "structure"),
    "structure-device-not-str": (_T0, _DATA, _meta({"__device__": 3}), "structure"),
    "structure-dict-pairs-bad": (_T0, _DATA, _meta({"__dict__": [[1]]}), "structure"),
    "structure-dict-not-list": (_T0, _DATA, _meta({"__dict__": 7}), "structure"),
    "structure-unhashable-key": (_T0, _DATA, _meta({"__dict__": [[[[1]], 2]]}), "structure"),
    "structure-tuple-not-list": (_T0, _DATA, _meta({"__tuple__": 3}), "structure"),
    "structure-odict-bad": (_T0, _DATA, _meta({"__odict__": 3}), "structure"),
    "structure-two-markers": (_T0, _DATA, _meta({"__tensor__": "t0", "__tuple__": []}), "structure"),
    "structure-unknown-marker": (_T0, _DATA, _meta({"__pickle__": "os.system"}), "structure"),
    "structure-too-deep": (_T0, _DATA, _meta("[" * 100000 + "]" * 100000), "structure"),
    "structure-deep-objects": (_T0, _DATA, _meta('{"a":' * 3000 + "1" + "}" * 3000), "structure"),
    "devices-not-an-object": (_T0, _DATA, _meta({"__tensor__": "t0"}, devices=["cpu"]), "plait.devices"),
    "device-not-a-string": (_T0, _DATA, _meta({"__tensor__": "t0"}, devices={"t0": 0.5}), "device"),
    "device-malformed": (_T0, _DATA, _meta({"__tensor__": "t0"}, devices={"t0": "c p u"}), "device"),
    "device-unknown-type": (_T0, _DATA, _meta({"__tensor__": "t0"}, devices={"t0": "nodevice"}), "nodevice"),
    "requires-grad-not-a-list": (_T0, _DATA, _meta({"__tensor__": "t0"}, requires_grad="t0"), "requires_grad"),
    "requires-grad-unhashable": (_T0, _DATA, _meta({"__tensor__": "t0"}, requires_grad=[["t0"]]),
                                 "requires_grad"),
    "requires-grad-unknown-tensor": (_T0, _DATA, _meta({"__tensor__": "t0"}, requires_grad=["t9"]),
                                     "requires_grad"),
    "requires-grad-on-integers": ({"t0": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}}, _DATA,
                                  _meta({"__tensor__": "t0"}, requires_grad=["t0"]), "requires_grad"),
}


@pytest.mark.parametrize("case", list(_BAD), ids=list(_BAD))
def test_invalid_headers_raise_checkpoint_error_naming_file_and_problem(tmp_path, case):
    header, data, metadata, expected = _BAD[case]
    path = tmp_path / "bad.pt"
    if isinstance(header, dict):
        _write_st(path, header, data, metadata)
    else:
        head = json.dumps(header).encode()
        path.write_bytes(struct.pack("<Q", len(head)) + head + data)
    with pytest.raises(CheckpointError) as info:
        plait.load(path)
    msg = str(info.value)
    assert "bad.pt" in msg and expected in msg, msg


def test_an_unusable_saved_device_is_a_checkpoint_error_that_suggests_map_location(tmp_path):
    path = tmp_path / "dev.pt"
    _write_st(path, _T0, _DATA, _meta({"__tensor__": "t0"}, devices={"t0": "nodevice"}))
    with pytest.raises(CheckpointError, match="saved on device 'nodevice'.*map_location='cpu'"):
        plait.load(path)
    assert plait.load(path, map_location="cpu").tolist() == [1.0, 2.0]
    assert plait.load(path, map_location=lambda s, loc: s).tolist() == [1.0, 2.0]


def test_invalid_header_utf8_and_non_utf8_json(tmp_path):
    path = tmp_path / "enc.pt"
    head = json.dumps(_T0).encode("utf-16")
    path.write_bytes(struct.pack("<Q", len(head)) + head + _DATA)
    with pytest.raises(CheckpointError, match="enc.pt"):
        plait.load(path)


def test_valid_hand_written_safetensors_variants_load(tmp_path):
    """Things the spec allows must keep loading: an empty header, no metadata, zero-size tensors, padding."""
    _write_st(tmp_path / "empty.pt", {}, b"")
    assert plait.load(tmp_path / "empty.pt") == {}
    _write_st(tmp_path / "zero.pt", {"z": {"dtype": "I64", "shape": [0, 3], "data_offsets": [0, 0]},
                                     "s": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}},
              struct.pack("<d", 2.5), {"note": "hi"})
    back = plait.load(tmp_path / "zero.pt")
    assert type(back) is dict and back["z"].shape == (0, 3) and back["s"].item() == 2.5
    head = json.dumps(_T0).encode() + b"    "
    (tmp_path / "pad.pt").write_bytes(struct.pack("<Q", len(head)) + head + _DATA)
    assert plait.load(tmp_path / "pad.pt")["t0"].tolist() == [1.0, 2.0]


def _fuzz_source():
    w = plait.randn(3, 4, requires_grad=True)
    return {"model": OrderedDict([("w", w), ("b", plait.zeros(4)), ("tied", w)]),
            "opt": {"state": {0: {"step": 3, "exp_avg": plait.ones(3, 4)}},
                    "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99), "params": [0]}]},
            "ints": plait.arange(5), "flags": plait.tensor([True, False]), "dtype": plait.float64,
            "device": plait.device("cpu"), "epoch": 7, "name": None}


@pytest.mark.parametrize("seed", range(5))
def test_fuzzed_headers_load_or_raise_checkpoint_error(tmp_path, seed):
    """Random bytes of the length field and the JSON header changed, 100 trials a seed."""
    good = _plait_v2_bytes(_fuzz_source())
    (head_len,) = struct.unpack("<Q", good[:8])
    rng = random.Random(seed)
    path = tmp_path / "fuzz.pt"
    outcomes = {"ok": 0, "error": 0}
    for trial in range(100):
        raw = bytearray(good)
        for _ in range(rng.choice([1, 1, 1, 2, 3, 8])):
            pos = rng.randrange(8 + head_len) if rng.random() < 0.97 else rng.randrange(8)
            mode = rng.random()
            if mode < 0.5:
                raw[pos] = rng.randrange(256)
            elif mode < 0.8:
                raw[pos] ^= 1 << rng.randrange(8)
            else:  # a character JSON cares about
                raw[pos] = ord(rng.choice('{}[]",:0123456789-e.\\ tfn'))
        path.write_bytes(bytes(raw))
        try:
            plait.load(path)
        except CheckpointError as exc:
            assert "fuzz.pt" in str(exc)
            outcomes["error"] += 1
        except Exception as exc:  # pragma: no cover - the failure report
            pytest.fail(f"seed {seed} trial {trial}: {type(exc).__name__}: {exc}\nfile: {bytes(raw)!r}")
        else:
            outcomes["ok"] += 1
    assert outcomes["error"] > 0


_JUNK = [None, True, False, 0, -1, 1, 3, 2 ** 64, 1.5, "", "t0", "t9", "cpu", "nodevice", "F32", "BF16", "I64",
         [], {}, [0], [0, 0], [0, 4], [[1]], [-1, 2], {"__tensor__": "t0"}, {"__tensor__": "zz"},
         {"__dict__": [[[], 1]]}, {"__odict__": {}}, {"__odict__": [], "__attrs__": {"x": 1}}, {"__tuple__": {}},
         {"__device__": "nodevice"}, {"__device__": "cuda:x"}, {"__dtype__": "x"}, {"__attrs__": 1}]


def _json_paths(obj, path=()):
    yield path
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        yield from _json_paths(v, path + (k,))


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_header_values_load_or_raise_checkpoint_error(tmp_path, seed):
    """Valid JSON with wrong values: random entries of the header and of the JSON metadata inside it replaced by
    values of the wrong type or range (byte flips mostly break the JSON syntax and never get this far)."""
    good = _plait_v2_bytes(_fuzz_source())
    (head_len,) = struct.unpack("<Q", good[:8])
    data = good[8 + head_len:]
    embedded = ("plait.structure", "plait.devices", "plait.requires_grad")
    rng = random.Random(seed)
    path = tmp_path / "vfuzz.pt"
    for trial in range(100):
        header = json.loads(good[8:8 + head_len])
        root = {"header": header, "meta": {k: json.loads(header["__metadata__"][k]) for k in embedded}}
        for _ in range(rng.choice([1, 1, 2, 3])):
            spots = [p for p in _json_paths(root) if len(p) > 1 and p[:3] != ("header", "__metadata__", embedded[0])]
            spot = rng.choice(spots)
            parent = root
            for k in spot[:-1]:
                parent = parent[k]
            parent[spot[-1]] = json.loads(json.dumps(rng.choice(_JUNK)))
        meta = header.get("__metadata__")
        if isinstance(meta, dict):
            for k in embedded:
                if k in meta:
                    meta[k] = json.dumps(root["meta"][k])
        head = json.dumps(header).encode()
        path.write_bytes(struct.pack("<Q", len(head)) + head + data)
        try:
            plait.load(path)
        except CheckpointError as exc:
            assert "vfuzz.pt" in str(exc)
        except Exception as exc:  # pragma: no cover - the failure report
            pytest.fail(f"seed {seed} trial {trial}: {type(exc).__name__}: {exc}\nheader: {head!r}")


# ----- 5. the zip archive and its pickle, fuzzed ---------------------------------------------------------------
def _is_weights_only_refusal(exc):
    return isinstance(exc, pickle.UnpicklingError) and str(exc).startswith("Weights only load failed.")


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_zip_archives_load_or_raise_checkpoint_error(tmp_path, seed):
    """Random bytes of the archive changed (headers, directory, records), 60 trials a seed."""
    buf = io.BytesIO()
    plait.save(_fuzz_source(), buf)
    good = buf.getvalue()
    rng = random.Random(seed)
    path = tmp_path / "zfuzz.pt"
    errors = 0
    for trial in range(60):
        raw = bytearray(good)
        for _ in range(rng.choice([1, 1, 2, 4])):
            pos = rng.randrange(len(raw))
            raw[pos] = rng.randrange(256) if rng.random() < 0.5 else raw[pos] ^ (1 << rng.randrange(8))
        path.write_bytes(bytes(raw))
        try:
            plait.load(path)
        except CheckpointError as exc:
            assert "zfuzz.pt" in str(exc)
            errors += 1
        except Exception as exc:  # pragma: no cover - the failure report
            pytest.fail(f"seed {seed} trial {trial}: {type(exc).__name__}: {exc}")
    assert errors > 0


def _rezip(path, records):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in records.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_pickles_with_valid_checksums_load_or_raise_clear_errors(tmp_path, seed):
    """The pickle's bytes changed and the archive rebuilt with correct CRCs, so every change reaches the
    weights-only unpickler: it loads, refuses (torch's UnpicklingError) or raises CheckpointError; nothing else."""
    buf = io.BytesIO()
    plait.save(_fuzz_source(), buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        records = {n: zf.read(n) for n in zf.namelist()}
    pkl = records["archive/data.pkl"]
    rng = random.Random(seed)
    path = tmp_path / "pfuzz.pt"
    outcomes = {"ok": 0, "error": 0, "refused": 0}
    for trial in range(60):
        raw = bytearray(pkl)
        for _ in range(rng.choice([1, 1, 2, 3])):
            pos = rng.randrange(2, len(raw))
            mode = rng.random()
            if mode < 0.4:
                raw[pos] = rng.randrange(256)
            elif mode < 0.7:
                raw[pos] ^= 1 << rng.randrange(8)
            else:  # opcodes that call, build or index things
                raw[pos] = ord(rng.choice("cRbsuetq(h)\x81\x85\x86\x87\x8aQ]}"))
        _rezip(path, dict(records, **{"archive/data.pkl": bytes(raw)}))
        try:
            plait.load(path)
        except CheckpointError as exc:
            assert "pfuzz.pt" in str(exc)
            outcomes["error"] += 1
        except Exception as exc:
            if not _is_weights_only_refusal(exc):  # pragma: no cover - the failure report
                pytest.fail(f"seed {seed} trial {trial}: {type(exc).__name__}: {exc}\npickle: {bytes(raw)!r}")
            outcomes["refused"] += 1
        else:
            outcomes["ok"] += 1
    assert outcomes["error"] + outcomes["refused"] > 0


_BAD_REFERENCES = {
    "storage-key-missing": ("('storage', 'FloatStorage', '9', 'cpu', 2)", "no record 'archive/data/9'"),
    "numel-too-big": ("('storage', 'FloatStorage', '0', 'cpu', 3)", "of 3 float32 elements has 8 bytes"),
    "bad-location": ("('storage', 'FloatStorage', '0', 'c p u', 2)", "invalid device 'c p u'"),
    "not-storage": ("('module', 'FloatStorage', '0', 'cpu', 2)", "Only persistent_load of storage"),
    "bf16": ("('storage', 'BFloat16Storage', '0', 'cpu', 4)", "torch.bfloat16 values"),
}


@pytest.mark.parametrize("case", list(_BAD_REFERENCES), ids=list(_BAD_REFERENCES))
def test_invalid_storage_references_are_named(tmp_path, case):
    pid, expected = _BAD_REFERENCES[case]
    kind, storage_type, key, location, numel = eval(pid)  # a literal tuple from the table above
    body = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + pickle.dumps(kind, 2)[2:-1]
            + b"ctorch\n" + storage_type.encode() + b"\n" + pickle.dumps(key, 2)[2:-1] + pickle.dumps(location, 2)[2:-1]
            + pickle.dumps(numel, 2)[2:-1] + b"tQK\x00K\x02\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR.")
    _rezip(tmp_path / "ref.pt", {"archive/data.pkl": body, "archive/data/0": struct.pack("<2f", 1.0, 2.0)})
    with pytest.raises((CheckpointError, pickle.UnpicklingError), match=expected):
        plait.load(tmp_path / "ref.pt")


def test_tensor_layouts_beyond_the_storage_are_rejected(tmp_path):
    def file_with(offset, size, stride):
        def ints(values):
            return b"(" + b"".join(b"K" + bytes([v]) for v in values) + b"t"
        body = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01"
                b"\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQK" + bytes([offset]) + ints(size) + ints(stride)
                + b"\x89ccollections\nOrderedDict\n)RtR.")
        _rezip(tmp_path / "lay.pt", {"archive/data.pkl": body, "archive/data/0": struct.pack("<4f", 1, 2, 3, 4)})
        return tmp_path / "lay.pt"

    assert plait.load(file_with(1, (3,), (1,))).tolist() == [2.0, 3.0, 4.0]
    assert plait.load(file_with(0, (2, 2), (1, 2))).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert plait.load(file_with(0, (2, 2), (0, 1))).tolist() == [[1.0, 2.0], [1.0, 2.0]]
    assert plait.load(file_with(0, (2, 2), (1, 1))).tolist() == [[1.0, 2.0], [2.0, 3.0]]  # overlapping: a copy
    with pytest.raises(CheckpointError, match=r"reaches element 4 of a storage of 4 elements"):
        plait.load(file_with(1, (4,), (1,)))
    with pytest.raises(CheckpointError, match="invalid tensor layout"):
        plait.load(file_with(0, (2, 2), (2,)))


# ----- 6. memory -------------------------------------------------------------------------------------------
def _load_peak(path):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = plait.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak


@pytest.mark.skipif(on_strict(), reason="array-api-strict builds tensors through Python lists")
def test_loading_one_big_tensor_needs_at_most_about_twice_the_file(tmp_path):
    n = 2 * 1024 * 1024  # 8 MiB of float32
    plait.save({"w": plait.arange(float(n))}, tmp_path / "big.pt")
    size = os.path.getsize(tmp_path / "big.pt")
    out, peak = _load_peak(tmp_path / "big.pt")
    assert out["w"][-1].item() == n - 1
    assert peak < 2.2 * size, (peak, size)


@pytest.mark.skipif(on_strict(), reason="array-api-strict builds tensors through Python lists")
def test_loading_many_tensors_needs_little_more_than_the_tensors(tmp_path):
    sd = OrderedDict((f"layer{i}.weight", plait.full((256, 512), float(i))) for i in range(16))  # 8 MiB
    plait.save(sd, tmp_path / "many.pt")
    size = os.path.getsize(tmp_path / "many.pt")
    out, peak = _load_peak(tmp_path / "many.pt")
    assert out["layer15.weight"][0, 0].item() == 15.0
    assert peak < 1.4 * size, (peak, size)


def test_non_seekable_streams_load(tmp_path):
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self._src = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self._src.read(min(len(b), 7))  # short reads
            b[:len(chunk)] = chunk
            return len(chunk)

    buf = io.BytesIO()
    plait.save({"a": plait.arange(10.0), "b": plait.tensor([1, 2]), "a2": None}, buf)
    back = plait.load(Pipe(buf.getvalue()))
    assert back["a"].tolist() == list(map(float, range(10))) and back["b"].tolist() == [1, 2]
    with pytest.raises(CheckpointError, match="truncated"):
        plait.load(Pipe(buf.getvalue()[:-3]))


def test_loading_from_a_file_object_at_an_offset(tmp_path):
    buf = io.BytesIO()
    buf.write(b"preamble")
    plait.save({"a": plait.arange(3)}, buf)
    buf.seek(8)
    assert plait.load(buf)["a"].tolist() == [0, 1, 2]


def test_every_dtype_round_trips_through_a_file_object():
    for d in (plait.float64, plait.float32, plait.int64, plait.int32, plait.int16, plait.int8, plait.uint8,
              plait.bool, plait.float16):
        try:
            t = (plait.arange(6) % 3).to(d).view(2, 3)
        except TypeError:
            continue  # array-api-strict has no float16
        buf = io.BytesIO()
        plait.save([t, t], buf)
        buf.seek(0)
        a, b = plait.load(buf)
        assert a is b and a.dtype is d and a.shape == (2, 3)
        np.testing.assert_array_equal(to_np(a), to_np(t))


def test_save_refuses_what_open_would_and_names_the_callers_path(tmp_path):
    t = plait.ones(2)
    with pytest.raises(RuntimeError, match=r"Parent directory .*nope does not exist\."):
        plait.save(t, tmp_path / "nope" / "x.pt")
    with pytest.raises(IsADirectoryError):
        plait.save(t, str(tmp_path / "sub") + "/")
    if os.geteuid() != 0:  # root may write anything
        target = tmp_path / "ro.pt"
        plait.save(t, target)
        os.chmod(target, 0o444)
        with pytest.raises(PermissionError) as err:
            plait.save(plait.zeros(2), target)
        assert err.value.filename == str(target)
        assert plait.load(target).tolist() == [1.0, 1.0]


def test_shapes_with_absurd_ranks_are_rejected_before_any_size_arithmetic(tmp_path):
    # 100,000 dims of 2**62 would take minutes of big-integer products; the rank check comes first
    header = json.dumps({"t0": {"dtype": "F32", "shape": [2 ** 62] * 100000, "data_offsets": [0, 4]}}).encode()
    path = tmp_path / "evil.pt"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    with pytest.raises(plait.serialization.CheckpointError, match="100000 dimensions"):
        plait.load(path)


def _layout_file(path, storage, offset, size, stride):
    def push(value):  # a protocol-2 pickle fragment that pushes value (its memo writes are never read back)
        return pickle.dumps(value, 2)[2:-1]
    body = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((" + push("storage") + b"ctorch\nLongStorage\n"
            + push("0") + push("cpu") + push(len(storage)) + b"tQ" + push(offset) + push(tuple(size))
            + push(tuple(stride)) + b"\x89ccollections\nOrderedDict\n)RtR.")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", body)
        zf.writestr("archive/data/0", struct.pack(f"<{len(storage)}q", *storage))
    return path


@pytest.mark.parametrize("seed", range(3))
def test_random_strided_layouts_match_their_definition(tmp_path, seed):
    """torch's layout rule, element [i, j, ...] = storage[offset + i*stride0 + j*stride1 + ...], for random
    sizes, strides (zero, overlapping, gapped, permuted) and offsets: views and gathered copies alike."""
    rng = random.Random(seed)
    for trial in range(40):
        ndim = rng.randrange(0, 4)
        size = [rng.choice([1, 2, 3]) for _ in range(ndim)]
        stride = [rng.choice([0, 1, 2, 3, 4, 6, 12]) for _ in range(ndim)]
        offset = rng.randrange(0, 5)
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        storage = [100 + k for k in range(last + 1 + rng.randrange(0, 3))]
        got = plait.load(_layout_file(tmp_path / "l.pt", storage, offset, size, stride))
        expected = np.empty(size, dtype=np.int64)
        for index in np.ndindex(*size):
            expected[index] = storage[offset + sum(i * s for i, s in zip(index, stride))]
        assert got.shape == tuple(size), (size, stride, offset)
        np.testing.assert_array_equal(to_np(got), expected, err_msg=f"{size} {stride} {offset}")


@pytest.mark.parametrize("reader", ["zipfile", "plait", "torch"])
def test_zip64_records_read_back(reader):
    """Checkpoints over 4 GiB need ZIP64 sizes, offsets and end records; written here for a small file."""
    from plait import _torch_format
    obj = {"w": plait.arange(6.0).view(2, 3), "i": plait.tensor([1, 2])}
    buf = io.BytesIO()
    _torch_format.write_checkpoint(buf, obj, "big", pickle, 2, ser._tensor_bytes, zip64_from=0)
    raw = buf.getvalue()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw  # the ZIP64 end record and its locator
    if reader == "zipfile":
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            assert zf.testzip() is None and zf.read("big/data/0") == np.arange(6, dtype="<f4").tobytes()
    elif reader == "plait":
        back = plait.load(io.BytesIO(raw))
        assert back["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and back["i"].tolist() == [1, 2]
    else:
        torch = pytest.importorskip("torch", reason="torch is not installed")
        back = torch.load(io.BytesIO(raw))
        assert back["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and back["i"].tolist() == [1, 2]
