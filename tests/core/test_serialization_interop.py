"""Checkpoints shared with torch and safetensors, and what a weights-only load refuses: checkpoints torch 2.13
wrote in its zip and its legacy format (embedded, so they run without torch), live round trips both ways where
torch is installed, standard safetensors files both ways, malicious pickles that must not run, the safe-globals
API, and mmap loading."""
import base64
import io
import os
import pickle
import subprocess
import zlib
from collections import OrderedDict

import numpy as np
import pytest

import plait
from plait.serialization import CheckpointError, add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from core_helpers import to_np, backend_has

# torch.save(OrderedDict(w=w, wt=w.t(), row=w[1], i=tensor([-1, 2**40]), u=tensor([200, 7], dtype=uint8),
#   b=tensor([True, False]), p=nn.Parameter(tensor([1.5, -1.5])), step=3, cfg={"lr": 0.1, "betas": (0.9, 0.99)}),
#   buf) with w = torch.arange(6.).view(2, 3), by torch 2.13; zlib-compressed, base64
_TORCH_FILE = zlib.decompress(base64.b64decode(
    "eNqllk1s22QYx9/E+cKFtB1j6QqUj/GRQZc6sbMkK2uKGQ6SkWiNQBGX4CZeYuHGeZw3rahAqkApcIMTgsOAO9qFwwQHNnGBAxzYCdAuiAMgIe3K"
    "Dd73derZrtJu7au4Tpzn/3v+78fzNCsqF0MolUJ7xhQ6hnSn2TE3jIWWjvVc7w1LkdPotcDYjjabtmUZTWza3T7/ktMyHKN1wWxiHtBpDSLZeoTA"
    "NiHaxDah5RoDbFp9vuEYawPTajWw0e3bTmOjwAOXzdaTJLhPIvW2ATFXwiuWreOX3Yc8xBlQgESdI/dmbwBJNYEhtaoiNapyO3CXyqmRHeA/6FAD"
    "Exju1uCeepS6wJDukCydWCfeSXSYbpLqODW6A1NqhMqnXd0xDPdqcJwlcexNuC8sPLFKZNwQMmpkCDOu6CSGWQ3uZw5NeMCVjGbxot1te5N4kIXk"
    "YY6wohgeYuaH8DBlPeKyHsVwSoPHWOAAHg+w5Dex4bGeYCEFeNJlZUes05T1lMt6GsO8BmdY4BrkgizbtjzWAgsRQXBZ+RGrQFmiy5IwFDU4ywJ7"
    "UBqzrT3d0dcNbDg8lHdXjkkkqLjscyP2ImU/47LPY1jSoPo++7D8HjyrgVyPsSNh9OA5lXP3/GIbLrwNz2fZploOKLXq15/Q8Wk9TmdoYL0PtVr1"
    "nx/p+KlWvXn5+Nbvtcs78MJgkFtRk6l3Jt6a+4qo6bUytgQyKOWVQO6i7azruLFhOH1y1BU5xiohT2lXbt54l86NXuNps6h0izY64w3dMtvddaOL"
    "FVkMldZtjbMSNVDdhL/pWkT3NTCNqp6BNXKCbFqsirx4mLy7wzIxtgzqYXj+j5MJkiWxr4c0Wgp0lQVBkc8dwYBL3a6SP8vkRa5tcn2+TB1lPvzz"
    "oxnyxcwBjuaDjvKKnL1tR/+NBkNFaJ5kqv5lZmuKddD980rBvAVFFu54JX5I0oyzv126cfD+p5EczCgq8tJRNp+MCJvxt6e+qx8iv3T0/AhdI3t/"
    "7Sp18evHn31P06b2dTGJFj0XXjGXDmtD5Gnmny+1Xzl4/nOocKsBsAXoG45JOsCWTv97NsyWIufu0IggFIv5ipAvF8WCIBYrQqlcEkTysFyuSJIo"
    "VcpSvlIRWJc4MfzmiyzxkWUuI9Ss59PfEKf2OA//Dgir/Q0wE1ByHBrXQsMQfxObDUBW/ZA9nTPM8Tei6QDnuo/jNcCw3N810gH5qzEU6l1hrb/y"
    "g9q/wtp8WOuv4aD29XhIWwhr/fUX1F4Pa8Ww1l81Qa2WCGmlsNZ/7icD2l982jH77T+Oc8HESXRAoayoicT8bllxZzzlROh+Nere/026d6Jj767w"
    "aLdjk2fxhKuZYPFu7P+XX4eq"))


# torch.save(OrderedDict(x=x, row=x[1], t=x.t(), i=tensor([-3, 2**40]), p=nn.Parameter(tensor([0.5, 1.5])),
#   cfg={"a": (1, 2)}), buf, _use_new_zipfile_serialization=False) with x = torch.arange(6.).view(2, 3)
_TORCH_LEGACY_FILE = zlib.decompress(base64.b64decode(
    "eNp9kstu00AUhu2xk4Khpdwp13J3uYQkTYtZtQvUzXCr2XiDLOMMsZGx848n5SJFyiah8AwsWPIYvA6PgASCYzsChAKjmZFm5pzv/8/MjNh7K/n2"
    "Yevr8vNPj5YaI3b/i0HzEJrtLWqa1peZysIs8XeEzOMshU4B3jydJLFSifBF2o2DFGzXs2hTve4LP4/fiBzGEKbt1WgzjzKpUOPMM2gVpwp1bnpm"
    "wcjSHua4ORiQZkgyiQgVqeTWQ9kVUnTvxqGyoK240G1Pp4xXYKHKZBg1/IGKk9zypXg6iJOur0SaZ9LfaVswbNubK4QpMugJmFWKtZVkgXpcbVqo"
    "eQsUc6fj3G621p1Ws9l2HNRLj2F/QLbqDxT2bHONM25MsJcbXJ/AehcVdvYp7HcxX0bL7CUWIhKNzGgm9EBUwRa3iWGMcZDrYxyqQIcVjrg4Whan"
    "cOx/mONTzInCk8HZBEtcL6ydrFCnFE67OFOiYpytUNPS79FN/6r83F/0Vofoy0RnRD9fVjzGhcLkxYp8SeGyiysluY+r/3iBfiCDF0IJacGeWcfq"
    "WqvTdLAyVbo2VbpeKN2olG4qNFzc2i0XzbdouWhXT/Ksh9UhOqWHAGtUOV3Ael78nCfFb51xYfqsOtksS4Zo1LU/22iDpk3qNEY0Pm6y6cn3H1Ur"
    "F2SG/U6inM8bPwFRA9ky"))


def _torch():
    return pytest.importorskip("torch", reason="torch is not installed")


# ----- a checkpoint torch wrote (no torch needed) ----------------------------------------------------------------
def test_a_torch_written_checkpoint_loads_without_torch():
    back = plait.load(io.BytesIO(_TORCH_FILE))
    assert type(back) is OrderedDict
    assert list(back) == ["w", "wt", "row", "i", "u", "b", "p", "step", "cfg"]
    assert back["w"].dtype is plait.float32 and back["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["wt"].tolist() == [[0, 3], [1, 4], [2, 5]] and back["row"].tolist() == [3, 4, 5]
    assert back["i"].dtype is plait.int64 and back["i"].tolist() == [-1, 2 ** 40]
    assert back["b"].dtype is plait.bool and back["b"].tolist() == [True, False]
    assert back["u"].dtype is plait.uint8 and back["u"].tolist() == [200, 7]
    p = back["p"]
    assert p.requires_grad and p.is_leaf and p.tolist() == [1.5, -1.5]
    assert type(p) is pytest.importorskip("plait.nn").Parameter
    assert back["step"] == 3 and back["cfg"] == {"lr": 0.1, "betas": (0.9, 0.99)}
    with plait.no_grad():  # w, w.t() and w[1] were views of one storage in torch: here too
        back["w"].mul_(10)
    assert back["wt"].tolist() == [[0, 30], [10, 40], [20, 50]] and back["row"].tolist() == [30, 40, 50]


def test_map_location_with_a_torch_checkpoint():
    back = plait.load(io.BytesIO(_TORCH_FILE), map_location="strict")
    assert all(v.device == plait.device("strict") for v in back.values() if isinstance(v, plait.Tensor))
    seen = []
    back = plait.load(io.BytesIO(_TORCH_FILE), map_location=lambda s, loc: seen.append((s.numel(), loc)))
    assert sorted(seen) == [(2, "cpu")] * 4 + [(6, "cpu")]  # one call per storage: w, wt and row share one
    assert back["row"].tolist() == [3, 4, 5]
    back = plait.load(io.BytesIO(_TORCH_FILE), map_location={"cpu": "strict"})
    assert back["w"].device == plait.device("strict")


# ----- live interop with torch -----------------------------------------------------------------------------------
_PAIRS = [("float32", 1e-3), ("float64", 1e-9), ("float16", 0.5), ("int64", 2 ** 40), ("int32", -7), ("int16", 300),
          ("int8", -100), ("uint8", 200), ("bool", True)]


def test_plait_state_dicts_load_in_torch(tmp_path):
    torch = _torch()
    nn = pytest.importorskip("plait.nn")
    plait.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model.eval()
    plait.save(model.state_dict(), tmp_path / "sd.pt")
    sd = torch.load(tmp_path / "sd.pt")  # weights_only=True: only torch's own names are in the file
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).eval()
    ref.load_state_dict(sd)
    assert sd._metadata == model.state_dict()._metadata
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ref(torch.from_numpy(x)).detach().numpy(), to_np(model(plait.tensor(x))),
                               rtol=1e-6, atol=1e-6)
    mapped = torch.load(tmp_path / "sd.pt", mmap=True)  # torch maps only files whose records are aligned
    assert all(torch.equal(mapped[k], sd[k]) for k in sd)


def test_every_dtype_and_object_kind_reaches_torch(tmp_path):
    torch = _torch()
    nn = pytest.importorskip("plait.nn")
    obj = {name: plait.tensor([value, value], dtype=getattr(plait, name)) for name, value in _PAIRS
           if backend_has(getattr(plait, name))}
    obj.update(grad=plait.tensor([1.0], requires_grad=True), param=nn.Parameter(plait.ones(2, 2)),
               t=plait.arange(6.0).view(2, 3).t(), dtype=plait.float16, device=plait.device("cpu"),
               size=plait.Size([2, 3]), scalar=plait.tensor(2.5), empty=plait.zeros(0, 3))
    plait.save(obj, tmp_path / "all.pt")
    back = torch.load(tmp_path / "all.pt")
    for name, value in _PAIRS:
        if name in obj:
            assert back[name].dtype == getattr(torch, name) and back[name].tolist() == obj[name].tolist()
    assert back["grad"].requires_grad and back["grad"].is_leaf
    assert type(back["param"]) is torch.nn.Parameter and back["param"].requires_grad
    assert back["t"].tolist() == [[0, 3], [1, 4], [2, 5]] and back["t"].is_contiguous()
    assert back["dtype"] is torch.float16 and back["device"] == torch.device("cpu")
    assert type(back["size"]) is torch.Size and back["size"] == (2, 3)
    assert back["scalar"].shape == () and back["scalar"].item() == 2.5 and back["empty"].shape == (0, 3)


def test_torch_checkpoints_of_every_dtype_and_layout_load(tmp_path):
    torch = _torch()
    base = torch.arange(24.0).view(2, 3, 4)
    obj = {name: torch.tensor([value, value], dtype=getattr(torch, name)) for name, value in _PAIRS
           if backend_has(getattr(plait, name))}
    obj.update(base=base, perm=base.permute(2, 0, 1), narrow=base[:, 1:], step=base[..., ::2], row=base[1, 2],
               expand=torch.ones(3, 1).expand(3, 4), scalar=torch.tensor(3), empty=torch.zeros(2, 0),
               p=torch.nn.Parameter(torch.ones(2)), g=torch.ones(2, requires_grad=True),
               nested={"list": [torch.tensor([1])], "tuple": (torch.tensor(2.0), 3), "set": {1}})
    torch.save(obj, tmp_path / "t.pt")
    back = plait.load(tmp_path / "t.pt")
    for key, ref in obj.items():
        if key == "nested":
            continue
        got = back[key]
        assert got.shape == tuple(ref.shape) and got.dtype.name == str(ref.dtype).split(".")[1], key
        np.testing.assert_array_equal(to_np(got), ref.detach().numpy(), err_msg=key)
    assert back["p"].requires_grad and back["g"].requires_grad and not back["base"].requires_grad
    assert back["nested"]["list"][0].tolist() == [1] and back["nested"]["tuple"][0].item() == 2.0
    assert back["nested"]["set"] == {1}
    with plait.no_grad():
        back["base"].add_(100)
    assert back["perm"][0, 0].tolist() == [100, 104, 108] and back["row"].tolist() == [120, 121, 122, 123]
    assert back["narrow"][0, 0, 0].item() == 104 and back["step"][1, 2].tolist() == [120, 122]


def test_whole_torch_modules_are_refused_with_their_name(tmp_path):
    torch = _torch()
    torch.save(torch.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL torch\.nn\.modules\.linear\.Linear was not an allowed"):
        plait.load(tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"m\.pt' cannot be loaded: it holds torch\.nn\.modules\.linear\.Linear, "
                                              r"a torch object plait does not rebuild; save the object's state_dict"):
        plait.load(tmp_path / "m.pt", weights_only=False)


# ----- safetensors -----------------------------------------------------------------------------------------------
def test_safetensors_files_plait_writes_are_standard(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="the safetensors package is not installed")
    nn = pytest.importorskip("plait.nn")
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = model.state_dict()
    sd["ints"] = plait.arange(4)
    plait.save(sd, tmp_path / "m.safetensors")
    loaded = st.load_file(str(tmp_path / "m.safetensors"))
    assert sorted(loaded) == sorted(["0.weight", "0.bias", "1.weight", "1.bias", "ints"])
    for key in sd:
        np.testing.assert_array_equal(loaded[key], to_np(sd[key]))
    from safetensors import safe_open
    with safe_open(str(tmp_path / "m.safetensors"), "np") as f:
        assert f.metadata() == {"format": "pt"}
    back = plait.load(tmp_path / "m.safetensors")
    assert list(back) == list(sd) and back["ints"].dtype is plait.int64
    fresh = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    fresh.load_state_dict({k: v for k, v in back.items() if k != "ints"})


def test_safetensors_interop_with_torch(tmp_path):
    torch = _torch()
    pytest.importorskip("safetensors.torch", reason="the safetensors package is not installed")
    from safetensors.torch import save_file, load_file
    plait.save({"w": plait.tensor([[1.0, 2.0]]), "b": plait.tensor([True])}, tmp_path / "p.safetensors")
    got = load_file(str(tmp_path / "p.safetensors"))
    assert got["w"].tolist() == [[1.0, 2.0]] and got["b"].dtype == torch.bool
    assert torch.load(tmp_path / "p.safetensors")["w"].tolist() == [[1.0, 2.0]]
    save_file({"x": torch.arange(6, dtype=torch.int32).view(2, 3)}, str(tmp_path / "t.safetensors"))
    back = plait.load(tmp_path / "t.safetensors")
    assert back["x"].dtype is plait.int32 and back["x"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_safetensors_files_written_by_the_library_load():
    st = pytest.importorskip("safetensors.numpy", reason="the safetensors package is not installed")
    blob = st.save({"a": np.arange(4, dtype=np.float64), "m": np.array([[1, 0]], dtype=np.uint8)}, {"k": "v"})
    back = plait.load(io.BytesIO(blob))
    assert type(back) is dict and back["a"].tolist() == [0, 1, 2, 3] and back["m"].dtype is plait.uint8


def test_safetensors_paths_take_a_dict_of_tensors_only(tmp_path):
    with pytest.raises(TypeError, match=r"\.safetensors file from a dict of tensors.*got list"):
        plait.save([plait.ones(1)], tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="holds tensors only, but 'n' is int"):
        plait.save({"n": 3}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="keys are strings"):
        plait.save({0: plait.ones(1)}, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


# ----- weights-only loading: what it refuses ---------------------------------------------------------------------
class _RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _RunsSubprocess:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return subprocess.call, (["touch", self.marker],)


class _RunsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return eval, (f"open({self.marker!r}, 'w').close()",)


@pytest.mark.skipif(os.name != "posix", reason="the payloads run POSIX commands")
@pytest.mark.parametrize("payload, message", [
    (_RunsShell, r"Trying to load unsupported GLOBAL posix\.system whose module posix is blocked\."),
    (_RunsSubprocess, r"Unsupported global: GLOBAL subprocess\.call was not an allowed global by default\. Please "
                      r"use `plait\.serialization\.add_safe_globals\(\[subprocess\.call\]\)` or the "
                      r"`plait\.serialization\.safe_globals\(\[subprocess\.call\]\)` context manager"),
    (_RunsEval, r"Unsupported global: GLOBAL eval was not an allowed global by default"),
], ids=["os.system", "subprocess.call", "eval"])
def test_malicious_pickles_do_not_run_on_a_weights_only_load(tmp_path, payload, message):
    marker = tmp_path / "pwned"
    plait.save({"weights": plait.ones(2), "evil": payload(str(marker))}, tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)^Weights only load failed\..*" + message):
        plait.load(tmp_path / "evil.pt")
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match=message):  # the safe globals do not cover it either
        with safe_globals([plait.Tensor]):
            plait.load(tmp_path / "evil.pt")
    assert not marker.exists()
    plait.load(tmp_path / "evil.pt", weights_only=False)  # the payload is real: trusted loads run it
    assert marker.exists()


class Config:
    """A user class a checkpoint may hold once it is allow-listed."""

    def __init__(self, lr):
        self.lr = lr


def test_safe_globals_allow_a_class_and_are_scoped(tmp_path):
    plait.save({"cfg": Config(0.25), "w": plait.ones(1)}, tmp_path / "c.pt")
    name = f"{__name__}.Config"
    with pytest.raises(pickle.UnpicklingError, match=rf"GLOBAL {name} was not an allowed global"):
        plait.load(tmp_path / "c.pt")
    assert get_safe_globals() == []
    with safe_globals([Config]):
        assert get_safe_globals() == [Config]
        back = plait.load(tmp_path / "c.pt")
        assert type(back["cfg"]) is Config and back["cfg"].lr == 0.25
    assert get_safe_globals() == []
    add_safe_globals([(Config, name)])
    try:
        assert plait.load(tmp_path / "c.pt")["cfg"].lr == 0.25
    finally:
        clear_safe_globals()
    assert get_safe_globals() == []
    assert plait.load(tmp_path / "c.pt", weights_only=False)["cfg"].lr == 0.25


def test_weights_only_refuses_to_build_or_call_outside_the_allow_list(tmp_path):
    """Hand-written pickles that use allowed names in ways that could change the process."""
    import zipfile

    def load_pickle(body):
        with zipfile.ZipFile(tmp_path / "h.pt", "w") as zf:
            zf.writestr("archive/data.pkl", b"\x80\x02" + body + b".")
        return plait.load(tmp_path / "h.pt")

    with pytest.raises(pickle.UnpicklingError, match="Can only build OrderedDict or types allowlisted"):
        load_pickle(b"ctorch\ndevice\nX\x03\x00\x00\x00cpu\x85R}X\x04\x00\x00\x00typeX\x04\x00\x00\x00cuda\x86b")
    assert plait.device("cpu").type == "cpu"
    with pytest.raises(pickle.UnpicklingError, match="unrecognized function"):
        load_pickle(b"ctorch\nTensor\nJ\x00\xe1\xf5\x05J\x00\xe1\xf5\x05\x86R")  # plait.Tensor(10**8, 10**8)
    with pytest.raises(pickle.UnpicklingError, match="bytearray is only built from pickled bytes"):
        load_pickle(b"c__builtin__\nbytearray\nJ\x00\xe1\xf5\x05\x85R")
    with pytest.raises(pickle.UnpicklingError, match="Can only APPEND to lists"):
        load_pickle(b"c__builtin__\nset\n)RK\x01a")
    with pytest.raises(pickle.UnpicklingError, match="Can only SETITEM into dicts"):
        load_pickle(b"]K\x01K\x02s")
    with pytest.raises(CheckpointError, match="not by a tensor rebuild function"):  # bytearray(10**8) by the back door
        load_pickle(b"ctorch._tensor\n_rebuild_from_type_v2\n(c__builtin__\nbytearray\nctorch\nTensor\n"
                    b"J\x00\xe1\xf5\x05\x85NtR")
    assert load_pickle(b"ccollections\nOrderedDict\n)R}X\x01\x00\x00\x00aK\x01sb").a == 1


def test_load_arguments_follow_torch(tmp_path):
    plait.save({"x": plait.ones(1)}, tmp_path / "a.pt")
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
        plait.load(tmp_path / "a.pt", pickle_module=pickle, weights_only=True)
    assert plait.load(tmp_path / "a.pt", pickle_module=pickle)["x"].tolist() == [1.0]  # weights_only=False then
    with pytest.warns(UserWarning, match="pickle_load_args only works if `weights_only=False`"):
        plait.load(tmp_path / "a.pt", errors="strict")
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        plait.load(io.BytesIO((tmp_path / "a.pt").read_bytes()), mmap=True)


def test_mmap_loads_from_the_mapped_file(tmp_path):
    sd = {"w": plait.arange(12.0).view(3, 4), "i": plait.tensor([1, 2])}
    plait.save(sd, tmp_path / "m.pt")
    back = plait.load(tmp_path / "m.pt", mmap=True)
    assert back["w"].tolist() == sd["w"].tolist() and back["i"].tolist() == [1, 2]
    back["w"].add_(1)  # the tensors own their memory: the file is untouched
    assert plait.load(tmp_path / "m.pt")["w"][0, 0].item() == 0.0
    plait.save(sd, tmp_path / "m.safetensors")
    with pytest.raises(RuntimeError, match="mmap can only be used with files saved with"):
        plait.load(tmp_path / "m.safetensors", mmap=True)


def test_a_dtype_the_target_backend_lacks_is_named(tmp_path):
    if backend_has(plait.float16):
        pytest.skip("this backend has float16")
    torch = _torch()
    torch.save({"h": torch.ones(2, dtype=torch.float16)}, tmp_path / "h.pt")
    with pytest.raises(CheckpointError, match=r"storage '0' of dtype float16 and shape \[2\] could not be built"):
        plait.load(tmp_path / "h.pt")


def test_torch_only_dtypes_are_named(tmp_path):
    torch = _torch()
    torch.save({"bf": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf.pt")
    with pytest.raises(CheckpointError, match=r"bf\.pt' cannot be loaded: storage '0' holds torch\.bfloat16"):
        plait.load(tmp_path / "bf.pt")
    torch.save({"dt": torch.complex64}, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match=r"torch\.complex64 values, a dtype plait does not have"):
        plait.load(tmp_path / "c.pt")


def test_loaded_tensors_are_nobodys_views_as_in_torch():
    back = plait.load(io.BytesIO(_TORCH_FILE))
    w, row = back["w"], back["row"]
    w.detach_()  # torch allows it: a loaded tensor is set onto its storage, not a view
    assert w.is_contiguous() and not back["wt"].is_contiguous()
    x = plait.tensor([2.0], requires_grad=True)
    with plait.no_grad():
        row.mul_(2)
    assert w.tolist() == [[0, 1, 2], [6, 8, 10]]  # the memory is still shared
    out = w * x  # and autograd through the loaded tensors is ordinary
    out.sum().backward()
    assert x.grad.tolist() == [27.0]


def test_safetensors_files_keep_devices_and_requires_grad_in_their_metadata(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="the safetensors package is not installed")
    w = plait.tensor([1.0, 2.0], requires_grad=True)
    plait.save({"w": w, "s": plait.tensor([3], device="strict"), "again": w}, tmp_path / "d.safetensors")
    assert st.load_file(str(tmp_path / "d.safetensors"))["again"].tolist() == [1.0, 2.0]
    back = plait.load(tmp_path / "d.safetensors")
    assert back["w"].requires_grad and back["w"].tolist() == [1.0, 2.0] and not back["s"].requires_grad
    assert back["s"].device == plait.device("strict") and back["again"].requires_grad
    assert plait.load(tmp_path / "d.safetensors", map_location="cpu")["s"].device == plait.device("cpu")


# ----- torch's legacy (non-zip) format ------------------------------------------------------------------------------
def test_a_torch_legacy_checkpoint_loads_without_torch():
    back = plait.load(io.BytesIO(_TORCH_LEGACY_FILE))
    assert type(back) is OrderedDict and list(back) == ["x", "row", "t", "i", "p", "cfg"]
    assert back["x"].tolist() == [[0, 1, 2], [3, 4, 5]] and back["t"].tolist() == [[0, 3], [1, 4], [2, 5]]
    assert back["row"].tolist() == [3, 4, 5] and back["i"].tolist() == [-3, 2 ** 40]
    assert back["p"].requires_grad and back["p"].tolist() == [0.5, 1.5] and back["cfg"] == {"a": (1, 2)}
    with plait.no_grad():
        back["x"].add_(10)
    assert back["row"].tolist() == [13, 14, 15] and back["t"][0].tolist() == [10, 13]  # still one storage
    assert plait.load(io.BytesIO(_TORCH_LEGACY_FILE), map_location="strict")["x"].device == plait.device("strict")


@pytest.mark.parametrize("cut", [20, 200, -30, -1])
def test_truncated_legacy_checkpoints_are_named(cut):
    with pytest.raises(CheckpointError, match=r"'<file object>' is (truncated|corrupt|truncated or corrupt)"):
        plait.load(io.BytesIO(_TORCH_LEGACY_FILE[:cut]))


def test_torch_legacy_checkpoints_of_every_dtype(tmp_path):
    torch = _torch()
    obj = {name: torch.tensor([value, value], dtype=getattr(torch, name)) for name, value in _PAIRS
           if backend_has(getattr(plait, name))}
    obj["nested"] = [torch.zeros(2, 0), (torch.tensor(1.5),)]
    torch.save(obj, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    back = plait.load(tmp_path / "old.pt")
    for name in obj:
        if name != "nested":
            assert back[name].dtype.name == name and back[name].tolist() == obj[name].tolist()
    assert back["nested"][0].shape == (2, 0) and back["nested"][1][0].item() == 1.5


@pytest.mark.skipif(os.name != "posix", reason="the payload runs a POSIX command")
def test_a_malicious_legacy_pickle_does_not_run(tmp_path):
    torch = _torch()
    marker = tmp_path / "pwned"
    torch.save({"w": torch.ones(1), "evil": _RunsShell(str(marker))}, tmp_path / "evil.pt",
               _use_new_zipfile_serialization=False)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL posix\.system whose module posix is blocked"):
        plait.load(tmp_path / "evil.pt")
    assert not marker.exists()


@pytest.mark.parametrize("seed", range(3))
def test_fuzzed_legacy_checkpoints_load_or_raise_clear_errors(seed):
    import random
    rng = random.Random(seed)
    outcomes = {"ok": 0, "error": 0}
    for trial in range(60):
        raw = bytearray(_TORCH_LEGACY_FILE)
        for _ in range(rng.choice([1, 1, 2, 3])):
            pos = rng.randrange(len(raw))
            raw[pos] = rng.randrange(256) if rng.random() < 0.5 else raw[pos] ^ (1 << rng.randrange(8))
        try:
            plait.load(io.BytesIO(bytes(raw)))
        except CheckpointError as exc:
            assert "<file object>" in str(exc)
            outcomes["error"] += 1
        except pickle.UnpicklingError as exc:
            assert str(exc).startswith("Weights only load failed."), exc
            outcomes["error"] += 1
        except Exception as exc:  # pragma: no cover - the failure report
            pytest.fail(f"seed {seed} trial {trial}: {type(exc).__name__}: {exc}\nfile: {bytes(raw)!r}")
        else:
            outcomes["ok"] += 1
    assert outcomes["error"] > 0


@pytest.mark.parametrize("protocol", [2, 4])
def test_get_unsafe_globals_in_checkpoint(tmp_path, protocol):
    from plait.serialization import get_unsafe_globals_in_checkpoint
    arr = np.arange(3.0)
    plait.save({"cfg": Config(1.0), "a": arr, "w": plait.ones(1), "s": {1}}, tmp_path / "g.pt",
               pickle_protocol=protocol)
    reconstruct = np.ndarray.__reduce__(arr)[0]
    unsafe = get_unsafe_globals_in_checkpoint(tmp_path / "g.pt")
    assert f"{__name__}.Config" in unsafe and f"{reconstruct.__module__}.{reconstruct.__qualname__}" in unsafe
    assert not any(name.startswith(("torch.", "collections.", "builtins.")) for name in unsafe)
    with safe_globals([Config]):
        assert f"{__name__}.Config" not in get_unsafe_globals_in_checkpoint(tmp_path / "g.pt")
    plait.save({"w": plait.ones(1)}, tmp_path / "ok.pt", pickle_protocol=protocol)
    assert get_unsafe_globals_in_checkpoint(tmp_path / "ok.pt") == []
    plait.save({"w": plait.ones(1)}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="Expected input to be a checkpoint returned by torch.save"):
        get_unsafe_globals_in_checkpoint(tmp_path / "x.safetensors")


class Tagged(plait.Tensor):
    """A tensor subclass with a Python attribute."""


def test_tensor_subclasses_keep_their_type_and_attributes(tmp_path):
    t = plait.Tensor._make_subclass(Tagged, plait.tensor([1.0, 2.0]), True)
    t.tag = "encoder"
    plait.save({"t": t}, tmp_path / "sub.pt")
    with pytest.raises(pickle.UnpicklingError, match=rf"GLOBAL {__name__}\.Tagged was not an allowed global"):
        plait.load(tmp_path / "sub.pt")
    for back in (plait.load(tmp_path / "sub.pt", weights_only=False)["t"], _load_with([Tagged], tmp_path / "sub.pt")):
        assert type(back) is Tagged and back.tag == "encoder" and back.requires_grad and back.tolist() == [1.0, 2.0]
    t.__dict__["_data"] = 0  # a saved "attribute" that would replace the tensor's data when loaded
    plait.save({"t": t}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"saved attributes \['_data', 'tag'\] overwrite plait\.Tensor's own"):
        _load_with([Tagged], tmp_path / "bad.pt")


def _load_with(globals_, path):
    with safe_globals(globals_):
        return plait.load(path)["t"]


def test_pickling_a_tensor_subclass_keeps_its_type():
    import copy
    t = plait.Tensor._make_subclass(Tagged, plait.tensor([[1, 2]]), False)
    t.tag = "x"
    for back in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t)):
        assert type(back) is Tagged and back.tag == "x" and back.tolist() == [[1, 2]] and back.dtype is plait.int64
