"""``plait.save`` / ``plait.load``: round trips (dtype, shape, values, requires_grad, nested containers with
non-string keys), map_location, file objects, atomic replacement of an existing file when saving fails, and
clear errors for truncated or corrupt files."""
import io
import os

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
    with pytest.raises(TypeError, match="plait.save can store tensors.*got object"):
        plait.save({"ok": plait.ones(1), "bad": object()}, path)
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


@pytest.mark.parametrize("damage", [
    lambda b: b[:5],                       # shorter than the header length field
    lambda b: b[: len(b) // 2],            # truncated in the middle
    lambda b: b[:-1],                      # one byte missing
    lambda b: b"\xff" * 8 + b[8:],         # absurd header length
    lambda b: b[:8] + b"{not json" + b[17:],
    lambda b: b"",
], ids=["tiny", "half", "last-byte", "header-length", "bad-json", "empty"])
def test_truncated_or_corrupt_file_raises_clear_error(tmp_path, damage):
    path = tmp_path / "c.pt"
    plait.save({"a": plait.arange(100.0), "b": plait.ones(3, 3)}, path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=r"c\.pt.*(not a plait checkpoint|truncated|corrupt)"):
        plait.load(path)
    assert issubclass(CheckpointError, RuntimeError)


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
    import pickle
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
