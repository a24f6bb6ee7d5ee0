"""``plait.save`` / ``plait.load`` in torch's zip checkpoint format: round trips (dtype, shape, values,
requires_grad, nested containers with non-string keys, whole Modules, optimizer state, NumPy arrays),
map_location, file objects, atomic replacement of an existing file when saving fails, clear errors for truncated
or corrupt files, and pickling single tensors."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import plait
from plait.serialization import CheckpointError
from core_helpers import to_np, backend_has


def _dtypes():
    ds = [plait.float32, plait.float64, plait.int64, plait.int32, plait.int16, plait.int8, plait.uint8, plait.bool]
    return ds + ([plait.float16] if backend_has(plait.float16) else [])


@pytest.mark.parametrize("dtype", _dtypes(), ids=str)
def test_round_trip_keeps_dtype_shape_values(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) % 5 - 2)
    t = plait.tensor(a).to(dtype)
    path = tmp_path / "t.pt"
    plait.save(t, path)
    u = plait.load(path)
    assert u.dtype is dtype and u.shape == (2, 3, 4) and u.device == t.device
    np.testing.assert_array_equal(to_np(u), to_np(t))
    assert not u.requires_grad and u.is_leaf


@pytest.mark.parametrize("make", [
    lambda: plait.tensor(3.5),
    lambda: plait.zeros(0, 3),
    lambda: plait.arange(12.0).view(3, 4).t(),   # non-contiguous
    lambda: plait.arange(12.0)[::3],
    lambda: plait.ones(2, 2).expand(3, 2, 2),
])
def test_round_trip_of_special_layouts(tmp_path, make):
    t = make()
    plait.save(t, tmp_path / "x.pt")
    u = plait.load(str(tmp_path / "x.pt"))
    assert u.shape == t.shape and u.dtype is t.dtype
    np.testing.assert_array_equal(to_np(u), to_np(t))
    u.add_(1)  # loaded tensors own writable memory


def test_requires_grad_is_kept(tmp_path):
    w = plait.randn(3, requires_grad=True)
    plait.save({"w": w, "b": plait.zeros(2)}, tmp_path / "m.pt")
    sd = plait.load(tmp_path / "m.pt")
    assert sd["w"].requires_grad and sd["w"].is_leaf and not sd["b"].requires_grad
    np.testing.assert_array_equal(to_np(sd["w"]), to_np(w))


def test_nested_containers_with_non_string_keys(tmp_path):
    t1, t2 = plait.randn(2), plait.tensor([1, 2, 3])
    obj = {
        "state": {0: {"step": 3, "exp_avg": t1}, 1: {"step": 4, "exp_avg": t2}},
        "param_groups": [{"lr": 0.01, "params": [0, 1], "betas": (0.9, 0.999), "nesterov": False, "name": None}],
        (1, 2): "tuple key",
        2.5: "float key",
        "dtype": plait.float64,
        "device": plait.device("strict"),
        "__dunder__": 1,
        "text": "héllo",
    }
    plait.save(obj, tmp_path / "opt.pt")
    back = plait.load(tmp_path / "opt.pt")
    assert set(back) == set(obj)
    assert set(back["state"]) == {0, 1} and all(isinstance(k, int) for k in back["state"])
    assert back["state"][0]["step"] == 3
    np.testing.assert_array_equal(to_np(back["state"][0]["exp_avg"]), to_np(t1))
    assert back["state"][1]["exp_avg"].dtype is plait.int64
    assert back["param_groups"] == [{"lr": 0.01, "params": [0, 1], "betas": (0.9, 0.999), "nesterov": False,
                                     "name": None}]
    assert isinstance(back["param_groups"][0]["betas"], tuple)
    assert back[(1, 2)] == "tuple key" and back[2.5] == "float key"
    assert back["dtype"] is plait.float64 and back["device"] == plait.device("strict")
    assert back["__dunder__"] == 1 and back["text"] == "héllo"


def test_dict_order_is_kept(tmp_path):
    sd = {"z": plait.ones(1), "a": plait.zeros(1), "m": plait.ones(2)}
    plait.save(sd, tmp_path / "o.pt")
    assert list(plait.load(tmp_path / "o.pt")) == ["z", "a", "m"]


def test_map_location(tmp_path):
    s = plait.tensor([1.0, 2.0], device="strict")
    c = plait.tensor([3.0])
    plait.save({"s": s, "c": c}, tmp_path / "d.pt")
    back = plait.load(tmp_path / "d.pt")
    assert back["s"].device == plait.device("strict") and back["c"].device == plait.device("cpu")
    back = plait.load(tmp_path / "d.pt", map_location="cpu")
    assert back["s"].device == plait.device("cpu") and back["s"].tolist() == [1.0, 2.0]
    back = plait.load(tmp_path / "d.pt", map_location=plait.device("strict"))
    assert back["c"].device == plait.device("strict")
    back = plait.load(tmp_path / "d.pt", map_location={"strict": "cpu"})
    assert back["s"].device == plait.device("cpu") and back["c"].device == plait.device("cpu")
    back = plait.load(tmp_path / "d.pt", map_location=lambda storage, location: storage.to("strict"))
    assert back["c"].device == plait.device("strict")


def test_loading_a_tensor_saved_on_an_unusable_device_suggests_map_location(tmp_path):
    s = plait.tensor([1.0], device="strict")
    plait.save(s, tmp_path / "s.pt")
    with pytest.raises(RuntimeError, match="was saved on device 'strict'.*map_location='cpu'"):
        plait.load(tmp_path / "s.pt", map_location={"strict": "tpu"})


def test_file_objects():
    buf = io.BytesIO()
    plait.save({"x": plait.arange(4)}, buf)
    buf.seek(0)
    assert plait.load(buf)["x"].tolist() == [0, 1, 2, 3]


def test_atomic_save_keeps_existing_file_when_replace_fails(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    plait.save({"v": plait.tensor([1.0])}, path)
    original = path.read_bytes()

    def failing_replace(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        plait.save({"v": plait.tensor([2.0])}, path)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert plait.load(path)["v"].tolist() == [1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]  # no temporary file left behind


def test_atomic_save_keeps_existing_file_on_unsavable_object(tmp_path):
    path = tmp_path / "ckpt.pt"
    plait.save(plait.tensor([1.0]), path)
    original = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError), match="local object|lambda"):
        plait.save({"ok": plait.ones(1), "bad": lambda: 0}, path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_atomic_save_when_writing_fails_midway(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    plait.save(plait.tensor([1.0, 2.0]), path)
    original = path.read_bytes()
    import plait.serialization as ser
    real = ser._tensor_bytes
    calls = []

    def second_tensor_fails(t):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("device lost (simulated)")
        return real(t)

    monkeypatch.setattr(ser, "_tensor_bytes", second_tensor_fails)
    with pytest.raises(RuntimeError, match="device lost"):
        plait.save([plait.ones(3), plait.ones(3)], path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def _data_pkl_span(raw):
    info = zipfile.ZipFile(io.BytesIO(raw)).getinfo("c/data.pkl")
    start = info.header_offset + 30 + int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little") \
        + int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    return start, start + info.file_size


@pytest.mark.parametrize("damage", [
    lambda b: b[:5],                       # shorter than any header
    lambda b: b[: len(b) // 2],            # truncated in the middle: no central directory
    lambda b: b[:-1],                      # one byte missing
    lambda b: b"\xff" * 8 + b[8:],         # the first local header's signature destroyed
    lambda b: b[:26] + b"\xff\xff" + b[28:],  # the first record's name length
    lambda b: b[:-22] + b"PK\x05\x06" + b"\xff" * 18,  # the end-of-directory record
    lambda b: (lambda s: b[:s[0] + 20] + bytes(x ^ 0x55 for x in b[s[0] + 20:s[0] + 30]) + b[s[0] + 30:])(
        _data_pkl_span(b)),               # pickle bytes changed: the CRC check fails
    lambda b: b"",
], ids=["tiny", "half", "last-byte", "local-magic", "name-length", "directory", "pickle-crc", "empty"])
def test_truncated_or_corrupt_file_raises_clear_error(tmp_path, damage):
    path = tmp_path / "c.pt"
    plait.save({"a": plait.arange(100.0), "b": plait.ones(3, 3)}, path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=r"c\.pt.*(not a (plait|torch or plait) checkpoint|truncated|corrupt)"):
        plait.load(path)
    assert issubclass(CheckpointError, RuntimeError)


def test_foreign_pickles_and_zips_are_named_clearly(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(pickle.dumps([1, 2], protocol=2))
    with pytest.raises(CheckpointError, match=r"f\.bin' is not a torch or plait checkpoint: it is a plain pickle"):
        plait.load(path)
    path.write_bytes(b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19." + b"\x00" * 20)
    with pytest.raises(CheckpointError, match=r"f\.bin' is truncated or corrupt: its protocol version could not"):
        plait.load(path)  # torch's legacy magic number, then nothing
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("something/else.txt", "hi")
    with pytest.raises(CheckpointError, match="no something/data.pkl record"):
        plait.load(path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("m/constants.pkl", b"")
        zf.writestr("m/code/__torch__.py", "")
    with pytest.raises(CheckpointError, match="TorchScript"):
        plait.load(path)
    with zipfile.ZipFile(path, "w") as zf:  # a valid archive whose pickle is garbage
        zf.writestr("x/data.pkl", b"\x80\x02garbage")
    with pytest.raises(CheckpointError, match="data.pkl could not be unpickled"):
        plait.load(path)


def test_plain_safetensors_files_load_as_dicts(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="the safetensors package is not installed")
    st.save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, str(tmp_path / "m.safetensors"))
    back = plait.load(tmp_path / "m.safetensors")
    assert list(back) == ["w"] and back["w"].dtype is plait.float32 and back["w"].shape == (2, 3)
    assert back["w"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        plait.load(tmp_path / "nope.pt")


def test_pickle_and_deepcopy_round_trip():
    import copy
    t = plait.tensor([[1.0, 2.0]], requires_grad=True)
    u = pickle.loads(pickle.dumps(t))
    assert u.tolist() == [[1.0, 2.0]] and u.requires_grad and u.dtype is plait.float32
    s = pickle.loads(pickle.dumps(plait.tensor([1], device="strict")))
    assert s.device == plait.device("strict")
    assert pickle.loads(pickle.dumps(plait.float16)) is plait.float16
    assert pickle.loads(pickle.dumps(plait.device("cuda:1"))) == plait.device("cuda:1")
    c = copy.deepcopy({"t": t})
    assert c["t"] is not t and c["t"].tolist() == t.tolist()


def test_a_tensor_referenced_twice_is_stored_once(tmp_path):
    w = plait.randn(3, 3)
    plait.save({"encoder.weight": w, "decoder.weight": w, "other": plait.randn(3)}, tmp_path / "tied.pt")
    back = plait.load(tmp_path / "tied.pt")
    assert back["encoder.weight"] is back["decoder.weight"]
    assert back["other"] is not back["encoder.weight"]
    np.testing.assert_array_equal(to_np(back["decoder.weight"]), to_np(w))


# ----- the zip format itself -----------------------------------------------------------------------------------
def test_the_file_is_torchs_zip_layout_with_aligned_records(tmp_path):
    path = tmp_path / "model.pt"
    w = plait.arange(6.0).view(2, 3)
    plait.save({"w": w, "w_again": w, "b": plait.ones(2)}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names == ["model/data.pkl", "model/.format_version", "model/.storage_alignment", "model/byteorder",
                         "model/data/0", "model/data/1", "model/version", "model/.data/serialization_id"]
        assert zf.read("model/byteorder") == b"little" and zf.read("model/version") == b"3\n"
        assert zf.read("model/.storage_alignment") == b"64" and zf.read("model/.format_version") == b"1"
        assert zf.read("model/data/0") == np.arange(6, dtype="<f4").tobytes()  # the tie is one storage
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        for info in zf.infolist():
            n, e = (int.from_bytes(raw[info.header_offset + k:info.header_offset + k + 2], "little") for k in (26, 28))
            assert (info.header_offset + 30 + n + e) % 64 == 0, info.filename
        pkl = zf.read("model/data.pkl")
    assert b"ctorch._utils\n_rebuild_tensor_v2\n" in pkl and b"ctorch\nFloatStorage\n" in pkl
    buf = io.BytesIO()
    plait.save(plait.ones(1), buf)
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"


@pytest.mark.parametrize("protocol", [1, 2, 3, 4, 5])
def test_every_pickle_protocol_round_trips(tmp_path, protocol):
    obj = {"w": plait.tensor([1.0, 2.0], requires_grad=True), "dt": plait.float64, "s": {1, 2}, "b": b"\x00\xff"}
    plait.save(obj, tmp_path / "p.pt", pickle_protocol=protocol)
    back = plait.load(tmp_path / "p.pt")
    assert back["w"].tolist() == [1.0, 2.0] and back["w"].requires_grad and back["dt"] is plait.float64
    assert back["s"] == {1, 2} and back["b"] == b"\x00\xff"


def test_save_rejects_what_it_does_not_implement(tmp_path):
    with pytest.raises(ValueError, match="legacy format"):
        plait.save(plait.ones(1), tmp_path / "x.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="pickle protocol"):
        plait.save(plait.ones(1), tmp_path / "x.pt", pickle_protocol=9)
    with pytest.raises(ValueError, match="protocol 1 or higher"):
        plait.save(plait.ones(1), tmp_path / "x.pt", pickle_protocol=0)
    with pytest.raises(TypeError, match="pickle_module whose Pickler derives from pickle._Pickler"):
        plait.save(plait.ones(1), tmp_path / "x.pt", pickle_module=type("NotPickle", (), {"Pickler": object}))
    assert not (tmp_path / "x.pt").exists()


def test_views_of_one_array_share_a_storage_when_they_are_one_array(tmp_path):
    """A Parameter and the tensor it wraps are one array: one storage, and they load as views of one storage.
    Slices/transposes of a plait tensor are separate storages (plait has no strides to write)."""
    nn = pytest.importorskip("plait.nn")
    base = plait.arange(4.0)
    p = nn.Parameter(base)
    plait.save({"p": p, "base": base, "t": base[1:]}, tmp_path / "v.pt")
    with zipfile.ZipFile(tmp_path / "v.pt") as zf:
        assert [n for n in zf.namelist() if "/data/" in n] == ["v/data/0", "v/data/1"]
    back = plait.load(tmp_path / "v.pt")
    assert type(back["p"]) is nn.Parameter and back["p"].requires_grad
    with plait.no_grad():
        back["base"].add_(10)
    assert back["p"].tolist() == [10.0, 11.0, 12.0, 13.0] and back["t"].tolist() == [1.0, 2.0, 3.0]


# ----- any picklable object, weights_only=False -----------------------------------------------------------------
def test_a_whole_module_round_trips_and_works(tmp_path):
    nn = pytest.importorskip("plait.nn")
    plait.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model.register_buffer("steps", plait.tensor([7]))
    x = plait.randn(5, 3)
    plait.save(model, tmp_path / "m.pt")
    back = plait.load(tmp_path / "m.pt", weights_only=False)
    assert type(back) is nn.Sequential and repr(back) == repr(model)
    assert type(back[0].weight) is nn.Parameter and back[0].weight.requires_grad
    np.testing.assert_array_equal(to_np(back(x)), to_np(model(x)))
    assert back.steps.tolist() == [7] and "steps" in dict(back.named_buffers())
    back(x).sum().backward()
    assert back[0].weight.grad is not None and back[0].weight.grad.shape == (4, 3)
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)Weights only load failed.*Unsupported global: GLOBAL "
                       r"plait\.nn\.modules\.\w+\.Sequential was not an allowed global by default\. Please use "
                       r"`plait\.serialization\.add_safe_globals\(\[plait\.nn"):
        plait.load(tmp_path / "m.pt")


def test_optimizer_state_round_trips_weights_only(tmp_path):
    nn = pytest.importorskip("plait.nn")
    optim = pytest.importorskip("plait.optim")
    plait.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    for _ in range(2):
        opt.zero_grad()
        model(plait.randn(4, 3)).pow(2).sum().backward()
        opt.step()
    plait.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 2}, tmp_path / "ckpt.pt")
    back = plait.load(tmp_path / "ckpt.pt")
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(back["model"])
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(back["optim"])
    assert fresh_opt.param_groups[0]["lr"] == 0.01 and fresh_opt.param_groups[0]["betas"] == (0.8, 0.9)
    sd, new_sd = opt.state_dict(), fresh_opt.state_dict()
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(to_np(new_sd["state"][0][key]), to_np(sd["state"][0][key]))
    assert float(new_sd["state"][0]["step"]) == 2.0 and back["epoch"] == 2


def test_numpy_arrays_need_weights_only_false_or_their_safe_globals(tmp_path):
    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    plait.save({"a": arr, "n": np.int64(3)}, tmp_path / "np.pt")
    back = plait.load(tmp_path / "np.pt", weights_only=False)
    np.testing.assert_array_equal(back["a"], arr)
    assert back["a"].dtype == np.float64 and back["n"] == 3
    reconstruct = np.ndarray.__reduce__(arr)[0]  # numpy.core / numpy._core, whichever this NumPy has
    full = f"{reconstruct.__module__}.{reconstruct.__qualname__}"
    expected = (rf"GLOBAL {full} was not an allowed global by default\. Please use "
                rf"`plait\.serialization\.add_safe_globals\(\[{full}\]\)`")
    with pytest.raises(pickle.UnpicklingError, match=expected):
        plait.load(tmp_path / "np.pt")
    plait.save({"a": arr}, tmp_path / "arr.pt")
    with plait.serialization.safe_globals([reconstruct, np.ndarray, np.dtype, type(arr.dtype)]):
        np.testing.assert_array_equal(plait.load(tmp_path / "arr.pt")["a"], arr)
    assert plait.serialization.get_safe_globals() == []


def test_nested_containers_keep_their_types(tmp_path):
    from collections import OrderedDict, Counter
    t = plait.tensor([1, 2])
    obj = [OrderedDict(a=(t, {"s": {3, 4}, "c": Counter("aab")})), (None, 1.5, -2 ** 70, "x", b"y", bytearray(b"z"),
                                                                    complex(1, 2), True)]
    plait.save(obj, tmp_path / "n.pt")
    back = plait.load(tmp_path / "n.pt")
    assert type(back) is list and type(back[0]) is OrderedDict and type(back[0]["a"]) is tuple
    assert back[0]["a"][0].tolist() == [1, 2] and back[0]["a"][1] == {"s": {3, 4}, "c": Counter("aab")}
    assert back[1] == (None, 1.5, -2 ** 70, "x", b"y", bytearray(b"z"), complex(1, 2), True)


def test_pickled_tensors_and_parameters_carry_bytes_dtype_device_and_grad():
    nn = pytest.importorskip("plait.nn")
    import copy
    t = plait.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=plait.float64).t()
    func, args = t.__reduce_ex__(2)
    assert args[0] == np.array([[1.0, 3.0], [2.0, 4.0]]).tobytes() and args[1:] == ("float64", (2, 2), "cpu", False)
    assert pickle.loads(pickle.dumps(t)).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    p = nn.Parameter(plait.tensor([1.0, -1.0]))
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is nn.Parameter and q.requires_grad and q.tolist() == [1.0, -1.0]
    model = nn.Linear(2, 2)
    clone = copy.deepcopy(model)
    assert clone.weight is not model.weight and type(clone.weight) is nn.Parameter
    np.testing.assert_array_equal(to_np(clone.weight), to_np(model.weight))
    x = plait.ones(1, 2)
    np.testing.assert_array_equal(to_np(clone(x)), to_np(model(x)))
