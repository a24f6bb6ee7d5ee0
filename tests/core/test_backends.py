"""Backends and devices: the registry (available(), broken or malformed plugins, duplicate names), CUDA
absent, unknown device types, mixing devices in one op, the default device (set_default_device and the
PLAIT_DEVICE environment variable), and the core's independence from NumPy/CuPy."""
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import types

import pytest

import plait
from plait.backends import Backend, registry
from core_helpers import to_np, on_strict

# the core's sources in this checkout (an installed plait package also holds the plugin packages)
CORE = pathlib.Path(__file__).resolve().parents[2] / "core" / "plait"


def _run(code, env=None, pythonpath=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    if pythonpath:
        full_env["PYTHONPATH"] = os.pathsep.join([str(pythonpath)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=full_env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_core_imports_no_numpy_or_cupy():
    pattern = re.compile(r"^\s*(import\s+(numpy|cupy)\b|from\s+(numpy|cupy)\b)|import_module\(\s*['\"](numpy|cupy)"
                         r"|__import__\(\s*['\"](numpy|cupy)", re.M)
    # plait.testing is the shipped backend-conformance suite (test code that imports NumPy inside functions
    # to compute reference results); everything else is the core and must reach arrays only through backends
    files = sorted(f for f in CORE.rglob("*.py") if "testing" not in f.relative_to(CORE).parts[:1])
    assert len(files) > 10 and any(f.name == "tensor.py" for f in files)
    offenders = [f"{f.relative_to(CORE.parent)}:{m.group(0).strip()}" for f in files
                 for m in [pattern.search(f.read_text(encoding="utf-8"))] if m]
    assert offenders == []


def test_importing_plait_does_not_import_numpy():
    out = _run("""
        import sys
        import plait
        print('numpy' in sys.modules, 'cupy' in sys.modules)
    """)
    assert out.split() == ["False", "False"]


def test_available_lists_installed_backends(backend_name):
    info = plait.backends.available()
    assert "numpy" in info and "array_api_strict" in info
    assert info["numpy"]["device_types"] == ["cpu"] and info["numpy"]["usable"]
    assert info["numpy"]["error"] is None and info["numpy"]["plugin"] == "numpy"
    assert set(info["array_api_strict"]["device_types"]) == {"cpu", "strict"}
    assert backend_name == ("array_api_strict" if on_strict() else "numpy")
    assert plait.zeros(1)._backend is plait.backends.get_backend("cpu")
    assert plait.backends.get_backend("strict").name == "array_api_strict"
    assert all(isinstance(b, Backend) for b in plait.backends.loaded_backends())
    assert "array_api_strict" in repr(plait.backends.get_backend("strict"))


def test_backend_for_array():
    t = plait.zeros(2)
    assert plait.backends.backend_for_array(t._data) is not None
    with pytest.raises(TypeError, match="no installed plait backend handles arrays of type"):
        plait.backends.backend_for_array(object())


def test_cuda_is_not_available_here():
    assert plait.cuda.is_available() is False
    assert plait.cuda.device_count() == 0
    with pytest.raises(AssertionError, match=r"plait has no CUDA backend enabled: backend 'cupy' \(plait-cupy\)"):
        plait.cuda.current_device()


@pytest.mark.parametrize("make", [
    lambda: plait.zeros(2, device="cuda"),
    lambda: plait.tensor([1.0], device="cuda:0"),
    lambda: plait.ones(2).to("cuda"),
    lambda: plait.ones(2).cuda(),
    lambda: plait.randn(2, device=plait.device("cuda", 0)),
])
def test_cuda_device_error_names_plait_cupy(make):
    with pytest.raises(RuntimeError, match="plait-cupy"):
        make()


def test_unknown_device_type_error():
    with pytest.raises(RuntimeError, match=r"no plait backend is installed for device type 'tpu'.*"
                                           r"Device types available: \[.*'cpu'.*'strict'.*\]"):
        plait.zeros(1, device="tpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        plait.zeros(1, device="cpu:x")


@pytest.mark.parametrize("op", [
    lambda a, s: a + s,
    lambda a, s: s * a,
    lambda a, s: a @ s,
    lambda a, s: plait.cat([a, s]),
    lambda a, s: plait.stack([s, a]),
    lambda a, s: plait.where(a > 0, a, s),
    lambda a, s: plait.maximum(a, s),
    lambda a, s: a.masked_fill(s > 0, 1.0),
    lambda a, s: a.gather(0, plait.tensor([0], device=s.device)),
    lambda a, s: a.index_select(0, plait.tensor([0], device=s.device)),
    lambda a, s: a.scatter(0, plait.tensor([0], device=s.device), 1.0),
    lambda a, s: a.index_add(0, plait.tensor([0]), s[:1]),
    lambda a, s: a.add_(s),
    lambda a, s: a.clamp(s, s),
    lambda a, s: plait.dot(a, s),
    lambda a, s: a.masked_select(s > 0),
    lambda a, s: a.__setitem__(0, s[0]),
])
def test_mixing_devices_names_both(op):
    a = plait.ones(3)
    s = plait.ones(3, device="strict")
    with pytest.raises(RuntimeError, match=r"Expected all tensors to be on the same device.*\b(cpu and strict|strict and cpu)\b"):
        op(a, s)


def test_moving_between_devices():
    a = plait.tensor([1.0, 2.0], requires_grad=True)
    s = a.to("strict")
    assert s.device == plait.device("strict") and s.device.type == "strict" and not s.is_cpu
    assert s.grad_fn.name() == "ToCopyBackward0"
    b = (s * 3).to("cpu")
    assert b.device == plait.device("cpu")
    b.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0] and a.grad.device == a.device
    d = plait.tensor([1, 2]).to("strict", plait.float64)
    assert d.device.type == "strict" and d.dtype is plait.float64
    assert a.to(plait.device("cpu")) is a
    assert s.cpu().device == plait.device("cpu") and to_np(s).tolist() == [1.0, 2.0]
    assert plait.zeros(2).get_device() == -1


def test_set_default_device():
    assert plait.get_default_device() == plait.device("cpu")
    plait.set_default_device("strict")
    try:
        assert plait.get_default_device() == plait.device("strict")
        for t in (plait.zeros(2), plait.tensor([1.0]), plait.arange(3), plait.randn(2), plait.eye(2)):
            assert t.device == plait.device("strict")
        assert plait.zeros(2, device="cpu").device == plait.device("cpu")
    finally:
        plait.set_default_device(None)
    assert plait.zeros(2).device == plait.device("cpu")


def test_plait_device_environment_variable():
    out = _run("""
        import plait
        print(plait.zeros(1).device, plait.get_default_device(), plait.tensor([1]).device)
    """, env={"PLAIT_DEVICE": "strict"})
    assert out.split() == ["strict", "strict", "strict"]


def test_plait_backend_environment_variable():
    out = _run("""
        import plait
        print(plait.zeros(1)._backend.name)
    """, env={"PLAIT_BACKEND": "cpu=array_api_strict"})
    assert out.strip() == "array_api_strict"
    proc = subprocess.run([sys.executable, "-c", "import plait; plait.zeros(1)"], capture_output=True, text=True,
                          env=dict(os.environ, PLAIT_BACKEND="no_such_backend"), timeout=120)
    assert proc.returncode != 0 and "PLAIT_BACKEND names backend 'no_such_backend'" in proc.stderr


def test_plugin_raising_on_import_warns_and_others_keep_working(tmp_path):
    (tmp_path / "broken_plait_plugin_for_tests.py").write_text("raise ImportError('deliberately broken')\n")
    dist = tmp_path / "broken_plait_plugin_for_tests-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plait-plugin-for-tests\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[plait]\nbroken_for_tests = broken_plait_plugin_for_tests\n")
    out = _run("""
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import plait
            t = plait.ones(2) + 1
        print(t.tolist())
        for w in caught:
            print(w.category.__name__, w.message)
        print(plait.backends.registry_errors())
        print(sorted(plait.backends.available()))
    """, pythonpath=tmp_path)
    assert "[2.0, 2.0]" in out
    assert ("RuntimeWarning plait plugin 'broken_for_tests' could not be loaded: ImportError: deliberately broken; "
            "other backends keep working") in out
    assert "'array_api_strict'" in out.splitlines()[-1] and "'numpy'" in out.splitlines()[-1]


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, fn)
    return module


class _Duplicate(Backend):
    name = "numpy"
    device_types = ("cpu",)


class _NoTypes(Backend):
    name = "plait_test_no_types"
    device_types = ["cpu"]


def _boom():
    raise ValueError("boom")


@pytest.mark.parametrize("plugin_name, hooks, message", [
    ("plait_test_raises", {"plait_backends": _boom}, r"raised in plait_backends\(\): ValueError: boom"),
    ("plait_test_not_a_backend", {"plait_backends": lambda: [object()]},
     "returned a malformed backend: <object object at 0x[0-9a-f]+> is not a plait.backends.Backend instance"),
    ("plait_test_no_types", {"plait_backends": lambda: [_NoTypes()]},
     "returned a malformed backend: backend 'plait_test_no_types': device_types must be a non-empty tuple"),
    ("plait_test_duplicate", {"plait_backends": lambda: [_Duplicate()]},
     "registers backend name 'numpy', which plugin 'numpy' already registered; the first one is kept"),
    ("plait_test_bad_extension", {"plait_extensions": lambda: ["nn"]},
     "returned a malformed extension description 'nn'"),
])
def test_broken_plugins_warn_with_their_name(plugin_name, hooks, message):
    before = plait.backends.get_backend("cpu")
    with pytest.warns(RuntimeWarning, match=rf"plait plugin '{plugin_name}' {message}"):
        registry._registry.register_plugin(_plugin(plugin_name, **hooks), plugin_name)
    assert (plugin_name, ) == tuple(e[0] for e in plait.backends.registry_errors() if e[0] == plugin_name)[:1]
    assert plait.backends.get_backend("cpu") is before
    assert (plait.ones(2) * 2).tolist() == [2.0, 2.0]


def test_a_good_extra_plugin_adds_a_device_type():
    # a working backend class (the strict test backend's) under a new name and device type
    good = type("GoodBackend", (type(plait.backends.get_backend("strict")),),
                {"name": "plait_test_extra_backend", "device_types": ("plaittestdev",)})
    if "plait_test_extra_backend" not in plait.backends.available():
        registry._registry.register_plugin(_plugin("plait_test_extra", plait_backends=lambda: [good()]),
                                           "plait_test_extra")
    info = plait.backends.available()["plait_test_extra_backend"]
    assert info["device_types"] == ["plaittestdev"] and info["usable"]
    t = plait.zeros(2, device="plaittestdev")
    assert t.device.type == "plaittestdev" and repr(t) == "tensor([0., 0.], device='plaittestdev')"


def test_backend_that_fails_setup_is_reported():
    class Failing(Backend):
        name = "plait_test_failing"
        device_types = ("plaitfaildev",)
        distribution = "plait-failing-test"

        def namespace(self):
            raise ImportError("no array library here")

    if "plait_test_failing" not in plait.backends.available():
        registry._registry.register_plugin(_plugin("plait_test_failing_plugin", plait_backends=lambda: [Failing()]),
                                           "plait_test_failing_plugin")
    info = plait.backends.available()["plait_test_failing"]
    assert not info["usable"] and "no array library here" in info["error"]
    with pytest.raises(RuntimeError, match=r"device 'plaitfaildev' is not usable: backend 'plait_test_failing' "
                                           r"\(plait-failing-test\): ImportError: no array library here"):
        plait.zeros(1, device="plaitfaildev")


def test_set_backend_errors():
    with pytest.raises(RuntimeError, match="no plait backend named 'nope' is installed"):
        plait.backends.set_backend("cpu", "nope")
    with pytest.raises(RuntimeError, match=r"backend 'numpy' serves device types \['cpu'\], not 'strict'"):
        plait.backends.set_backend("strict", "numpy")


def test_missing_plugin_distribution_import_error():
    from plait._missing import _MissingPluginFinder
    finder = _MissingPluginFinder()
    for sub, dist in (("nn", "plait-nn"), ("optim", "plait-optim"), ("tensorboard", "plait-tensorboard")):
        with pytest.raises(ModuleNotFoundError, match=f"pip install {dist}") as err:
            finder.find_spec(f"plait.{sub}")
        assert err.value.name == f"plait.{sub}"
    assert finder.find_spec("plait.something_else") is None
    assert finder.find_spec("numpy") is None
    # a submodule only reaches the finder once its (installed) parent imported: not a missing distribution
    assert finder.find_spec("plait.nn.parallel_xyz") is None
    assert any(isinstance(f, _MissingPluginFinder) for f in sys.meta_path)


@pytest.mark.parametrize("name, missing", [("plait.nn.parallel_xyz", "plait.nn.parallel_xyz"),
                                           ("plait.optim.no_such_optimizer", "plait.optim.no_such_optimizer"),
                                           ("plait.nn.no_such_pkg.deeper", "plait.nn.no_such_pkg"),
                                           ("plait.no_such_module", "plait.no_such_module")])
def test_missing_submodule_of_an_installed_distribution_is_a_plain_error(name, missing):
    import importlib
    with pytest.raises(ModuleNotFoundError) as err:
        importlib.import_module(name)
    assert str(err.value) == f"No module named '{missing}'" and err.value.name == missing


def test_import_of_an_absent_plugin_names_its_distribution(tmp_path):
    # a Python that sees only the core (copied from this checkout) and its two dependencies
    import array_api_compat
    import pluggy
    import shutil
    shutil.copytree(CORE, tmp_path / "plait", ignore=shutil.ignore_patterns("__pycache__"))
    for mod in (pluggy, array_api_compat):
        src = pathlib.Path(mod.__file__).resolve().parent
        (tmp_path / src.name).symlink_to(src, target_is_directory=True)
    code = textwrap.dedent("""
        import plait
        for name in ("plait.nn", "plait.nn.parallel"):
            try:
                __import__(name)
            except ImportError as exc:
                print(type(exc).__name__, exc.name, exc)
            else:
                print("imported", name)
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=120,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()
    # the absent distribution is named for the package and for any submodule of it
    for line in (first, second):
        assert line.startswith("ModuleNotFoundError plait.nn No module named 'plait.nn': plait.nn is provided by "
                               "the separate distribution 'plait-nn'") and "pip install plait-nn" in line


@pytest.mark.parametrize("limit", [1 << 22, 0], ids=["one-hot", "sorted-segments"])
def test_portable_scatter_add_and_index_put_fallbacks(monkeypatch, limit):
    """The Backend base class's portable kernels (what a backend without native ones gets), both methods."""
    import numpy as np
    from plait.backends.base import Backend
    backend = plait.zeros(1)._backend
    monkeypatch.setattr(Backend, "ONE_HOT_LIMIT", limit)
    rng = np.random.default_rng(0)
    n, m = 40, 300
    idx, src, tgt = rng.integers(0, n, m), rng.standard_normal((m, 3)), rng.standard_normal((n, 3))
    dev = plait.zeros(1).device

    def arr(a):
        return backend.from_host(np.ascontiguousarray(a), dev)

    want = tgt.copy()
    np.add.at(want, idx, src)
    got = Backend.scatter_add(backend, arr(tgt), arr(idx), arr(src))
    np.testing.assert_allclose(np.asarray(backend.to_host(got)), want, rtol=1e-12, atol=1e-12)
    want = tgt.copy()
    for i, k in enumerate(idx):  # sequential writes: the last one wins
        want[k] = src[i]
    got = Backend.index_put(backend, arr(tgt), arr(idx), arr(src))
    np.testing.assert_array_equal(np.asarray(backend.to_host(got)), want)
