"""plait.accelerator, plait.cuda / xpu / mps, torch's flag modules (plait.backends.cudnn, .cuda, .mps), the
process-wide switches (deterministic algorithms, matmul precision, threads) and the tensor predicates:
the truth on a machine without a GPU, and a fake two-device accelerator registered in-process to check
that everything follows the registry."""
import warnings

import pytest

import plait
from plait import _settings
from plait_strict_backend import fake_accelerator

# with CuPy installed, cuda is the accelerator even on a machine without a GPU (torch's CUDA build)
cupy_absent = pytest.mark.skipif(plait.backends.cuda.is_built(), reason="CuPy is installed here")
no_gpu = pytest.mark.skipif(plait.cuda.is_available(), reason="a CUDA GPU is usable here")
CUPY_MISSING = r"plait has no CUDA backend enabled: backend 'cupy' \(plait-cupy\): ImportError: CuPy is not installed"
NONE_AVAILABLE = "Cannot access accelerator device when none is available."


@pytest.fixture(autouse=True)
def _restore_switches():
    cudnn = plait.backends.cudnn
    saved = {name: getattr(cudnn, name) for name in ("enabled", "benchmark", "benchmark_limit", "deterministic",
                                                      "allow_tf32")}
    state = {name: getattr(_settings.state, name) for name in _settings.state.__slots__}
    yield
    for name, value in saved.items():
        setattr(cudnn, name, value)
    for name, value in state.items():
        setattr(_settings.state, name, value)


@pytest.fixture
def accel():
    with fake_accelerator.registered() as backend:
        yield backend


# ----- no accelerator -----------------------------------------------------------------------------------
@cupy_absent
def test_no_accelerator_without_cupy():
    acc = plait.accelerator
    assert acc.current_accelerator() is None and acc.current_accelerator(check_available=True) is None
    assert acc.is_available() is False and acc.device_count() == 0
    for call in (acc.current_device_index, lambda: acc.set_device_index(0), acc.synchronize, acc.memory_allocated,
                 acc.max_memory_allocated, acc.memory_reserved, acc.reset_peak_memory_stats, acc.empty_cache,
                 lambda: acc.device_index(0).__enter__()):
        with pytest.raises(RuntimeError, match=f"^{NONE_AVAILABLE}$"):
            call()
    with pytest.raises(RuntimeError, match="^Accelerator expected$"):
        acc.synchronize(plait.device("cuda:0"))
    with acc.device_index(None):  # None switches nothing, so it needs no device
        pass
    assert acc.set_device_idx is acc.set_device_index and acc.current_device_idx is acc.current_device_index


@no_gpu
def test_cuda_without_a_gpu_tells_the_truth():
    cuda = plait.cuda
    assert cuda.is_available() is False and cuda.device_count() == 0 and cuda.is_bf16_supported() is False
    # torch without CUDA: seeding and emptying the cache do nothing, memory counters read 0
    assert cuda.manual_seed(0) is None and cuda.manual_seed_all(0) is None and cuda.empty_cache() is None
    assert cuda.memory_allocated() == cuda.max_memory_allocated() == cuda.memory_reserved() == 0
    for call in (cuda.current_device, cuda.get_device_name, cuda.synchronize, cuda.get_device_capability,
                 lambda: cuda.set_device(0), cuda.reset_peak_memory_stats):
        with pytest.raises((AssertionError, RuntimeError)) as err:
            call()
        if not plait.backends.cuda.is_built():
            assert err.type is AssertionError and err.match(CUPY_MISSING)
    assert cuda.is_initialized() is False
    with cuda.device(None), cuda.device(-1):  # nothing to switch
        pass
    with pytest.raises((AssertionError, RuntimeError)):
        cuda.device(0).__enter__()


@pytest.mark.parametrize("module, label", [(plait.xpu, "XPU"), (plait.mps, "MPS")])
def test_xpu_and_mps_are_absent(module, label):
    assert module.is_available() is False and module.device_count() == 0
    assert module.manual_seed(0) is None
    dev_type = label.lower()
    with pytest.raises(AssertionError, match=rf"^plait has no {label} backend enabled: no installed plait backend "
                                             rf"serves '{dev_type}' \(install a plait backend plugin that serves "
                                             r"it\)$"):
        module.synchronize()
    assert plait.backends.mps.is_available() is False and plait.backends.mps.is_built() is False


# ----- torch.backends flag modules ------------------------------------------------------------------------
def test_cudnn_flags_are_stored_and_validated():
    cudnn = plait.backends.cudnn
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32, cudnn.benchmark_limit) == \
        (True, False, False, True, 10)
    cudnn.benchmark = True
    cudnn.deterministic = True
    cudnn.benchmark_limit = 3
    assert cudnn.benchmark is True and cudnn.deterministic is True and cudnn.benchmark_limit == 3
    for name, setter in (("enabled", "set_enabled_cudnn"), ("benchmark", "set_benchmark_cudnn"),
                         ("deterministic", "set_deterministic_cudnn"), ("allow_tf32", "set_allow_tf32_cudnn")):
        with pytest.raises(RuntimeError, match=f"^{setter} expects a bool, but got int$"):
            setattr(cudnn, name, 1)
    with pytest.raises(RuntimeError, match="^set_benchmark_limit_cudnn expects an int, but got bool$"):
        cudnn.benchmark_limit = True
    assert cudnn.benchmark is True


def test_cudnn_flags_context_manager_restores():
    cudnn = plait.backends.cudnn
    cudnn.benchmark = True
    with cudnn.flags(enabled=False):
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (False, False, False, True)
    assert cudnn.enabled is True and cudnn.benchmark is True
    with pytest.raises(ValueError, match="inside"), cudnn.flags(enabled=False, deterministic=True):
        raise ValueError("inside")
    assert cudnn.enabled is True and cudnn.deterministic is False


@no_gpu
def test_cudnn_and_cuda_build_report_the_truth():
    assert plait.backends.cudnn.is_available() is False and plait.backends.cudnn.version() is None
    assert plait.backends.cuda.is_built() is (__import__("importlib").util.find_spec("cupy") is not None)


def test_mkldnn_flags():
    mkldnn = plait.backends.mkldnn
    assert mkldnn.is_available() is False and mkldnn.enabled is True and mkldnn.deterministic is False
    with mkldnn.flags(enabled=False, deterministic=True):
        assert mkldnn.enabled is False and mkldnn.deterministic is True
    assert mkldnn.enabled is True and mkldnn.deterministic is False
    with pytest.raises(RuntimeError, match="^set_enabled_mkldnn expects a bool, but got int$"):
        mkldnn.enabled = 1


def test_the_registry_api_stays_beside_the_flag_modules():
    backends = plait.backends
    assert backends.Backend is plait.backends.base.Backend and callable(backends.set_backend)
    assert "numpy" in backends.available() and backends.get_backend("cpu") is plait.zeros(1)._backend
    import plait.backends.cudnn as cudnn_module
    assert cudnn_module is backends.cudnn


def test_matmul_allow_tf32_is_a_view_of_the_float32_matmul_precision():
    matmul = plait.backends.cuda.matmul
    assert plait.get_float32_matmul_precision() == "highest" and matmul.allow_tf32 is False
    plait.set_float32_matmul_precision("high")
    assert matmul.allow_tf32 is True
    plait.set_float32_matmul_precision("medium")
    assert matmul.allow_tf32 is True
    matmul.allow_tf32 = False
    assert plait.get_float32_matmul_precision() == "highest"
    matmul.allow_tf32 = True
    assert plait.get_float32_matmul_precision() == "high"
    with pytest.raises(RuntimeError, match="^set_allow_tf32_cublas expects a bool, but got int$"):
        matmul.allow_tf32 = 1
    with pytest.raises(AttributeError, match="^Unknown attribute nope$"):
        matmul.nope = True
    with pytest.raises(AttributeError, match="^Unknown attribute nope$"):
        matmul.nope
    with pytest.warns(UserWarning, match="bogus is not one of 'highest', 'high', or 'medium'; the current "
                                         "set_float32_matmul_precision call has no effect"):
        plait.set_float32_matmul_precision("bogus")
    assert plait.get_float32_matmul_precision() == "high"
    with pytest.raises(RuntimeError, match="^set_float32_matmul_precision expects a str, but got int$"):
        plait.set_float32_matmul_precision(3)


# ----- process-wide switches -------------------------------------------------------------------------------
def test_deterministic_algorithms_switch():
    assert plait.are_deterministic_algorithms_enabled() is False
    assert plait.get_deterministic_debug_mode() == 0
    plait.use_deterministic_algorithms(True)
    assert plait.are_deterministic_algorithms_enabled() is True
    assert plait.is_deterministic_algorithms_warn_only_enabled() is False and plait.get_deterministic_debug_mode() == 2
    plait.set_deterministic_debug_mode("warn")
    assert plait.is_deterministic_algorithms_warn_only_enabled() is True and plait.get_deterministic_debug_mode() == 1
    plait.set_deterministic_debug_mode(0)
    assert plait.are_deterministic_algorithms_enabled() is False
    with pytest.raises(TypeError, match=r"^_set_deterministic_algorithms\(\): argument 'mode' \(position 1\) must be "
                                        r"bool, not int$"):
        plait.use_deterministic_algorithms(1)
    with pytest.raises(TypeError, match="argument 'warn_only' must be bool, not int"):
        plait.use_deterministic_algorithms(True, warn_only=1)
    with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`, but got bogus"):
        plait.set_deterministic_debug_mode("bogus")
    with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 5"):
        plait.set_deterministic_debug_mode(5)
    with pytest.raises(TypeError, match="debug_mode must be str or int, but got <class 'float'>"):
        plait.set_deterministic_debug_mode(1.0)


def test_deterministic_mode_keeps_scatter_gradients_exact():
    # every op has a deterministic path; with the switch on, gradients of indexing still accumulate
    plait.use_deterministic_algorithms(True)
    x = plait.tensor([1.0, 2.0, 3.0], dtype=plait.float64, requires_grad=True)
    x[plait.tensor([0, 0, 2])].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_num_threads():
    n = plait.get_num_threads()
    assert isinstance(n, int) and n >= 1
    with pytest.raises(RuntimeError, match="^set_num_threads expects a positive integer$"):
        plait.set_num_threads(0)
    with pytest.raises(RuntimeError, match="^set_num_threads expects an int, but got float$"):
        plait.set_num_threads(1.5)
    backend = plait.zeros(1)._backend
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plait.set_num_threads(1)
    # plait-numpy and the strict backend cannot change their BLAS's thread count: they say so
    messages = [str(w.message) for w in caught]
    assert any(f"plait.set_num_threads(1) has no effect on backend {backend.name!r}" in m for m in messages)


def test_num_threads_reach_the_torch_backend():
    torch = pytest.importorskip("torch")
    backend = plait.backends.get_backend("torch")
    before = torch.get_num_threads()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plait.set_num_threads(1)
        assert torch.get_num_threads() == 1 and backend.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


# ----- tensor predicates ------------------------------------------------------------------------------------
def test_tensor_predicates():
    t = plait.zeros(2)
    assert t.is_cpu and not t.is_cuda and not t.is_xpu and not t.is_mps
    for name in ("is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_nested", "is_xla",
                 "is_ipu", "is_vulkan", "is_mtia", "is_maia"):
        assert getattr(t, name) is False, name
    assert not t.is_complex() and t.is_floating_point() and not t.is_conj() and not t.is_neg()
    assert plait.is_complex(t) is False and plait.is_floating_point(t) is True
    assert t.is_signed() and plait.zeros(1, dtype=plait.int8).is_signed()
    assert not plait.zeros(1, dtype=plait.uint8).is_signed() and not plait.zeros(1, dtype=plait.bool).is_signed()
    assert plait.is_signed(plait.zeros(1, dtype=plait.int64))
    assert plait.is_nonzero(plait.tensor([2.0])) is True and plait.tensor(0).is_nonzero() is False
    assert plait.tensor([[0.5]]).is_nonzero() is True
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with no values is ambiguous$"):
        plait.tensor([]).is_nonzero()
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with more than one value is ambiguous$"):
        t.is_nonzero()
    assert plait.is_same_size(t, plait.ones(2)) and not t.is_same_size(plait.ones(3))


# ----- a fake accelerator registered in-process -----------------------------------------------------------------
def test_current_accelerator_follows_the_registry(accel):
    acc = plait.accelerator
    assert acc.current_accelerator() == plait.device("plaitaccel") and acc.current_accelerator().index is None
    assert repr(acc.current_accelerator(check_available=True)) == "device(type='plaitaccel')"
    assert acc.is_available() and acc.device_count() == 2 and acc.current_device_index() == 0
    acc.set_device_index(1)
    assert acc.current_device_index() == 1
    assert plait.zeros(2, device="plaitaccel").device == plait.device("plaitaccel:1")
    acc.set_device_index("plaitaccel:0")
    assert acc.current_device_index() == 0
    acc.set_device_idx(plait.device("plaitaccel", 1))
    assert acc.current_device_index() == 1
    acc.set_device_index(-1)  # a negative index changes nothing
    assert acc.current_device_index() == 1
    with acc.device_index(0):
        assert acc.current_device_index() == 0
        assert plait.ones(1, device="plaitaccel").device == plait.device("plaitaccel:0")
    assert acc.current_device_index() == 1
    with pytest.raises(ValueError, match=r"^cuda doesn't match the current accelerator plaitaccel\.$"):
        acc.set_device_index("cuda:0")
    with pytest.raises(ValueError, match="^Expected a plait.device with a specified index or an integer, but "
                                         "got:plaitaccel$"):
        acc.set_device_index("plaitaccel")
    with pytest.raises(RuntimeError, match="invalid device ordinal: plaitaccel:5"):
        acc.set_device_index(5)


def test_accelerator_calls_reach_the_backend(accel):
    acc = plait.accelerator
    accel.calls.clear()
    acc.synchronize()
    acc.synchronize(1)
    acc.synchronize("plaitaccel")  # no index: the current device
    assert acc.memory_allocated(1) == 0
    acc.empty_cache()
    assert accel.calls == [("synchronize", plait.device("plaitaccel:0")), ("synchronize", plait.device("plaitaccel:1")),
                           ("synchronize", plait.device("plaitaccel:0")), ("memory_allocated", 1),
                           ("empty_cache", None)]


def test_the_registry_forgets_the_fake_accelerator():
    with fake_accelerator.registered():
        assert plait.accelerator.current_accelerator() == plait.device("plaitaccel")
    assert "plait_test_accelerator" not in plait.backends.available()
    assert plait.accelerator.current_accelerator() == (plait.device("cuda") if plait.backends.cuda.is_built()
                                                       else None)
    with pytest.raises(RuntimeError, match="no plait backend is installed for device type 'plaitaccel'"):
        plait.zeros(1, device="plaitaccel")


def test_tensors_on_two_accelerator_devices(accel):
    a = plait.tensor([1.0, 2.0], device="plaitaccel:0", requires_grad=True)
    b = a.to("plaitaccel:1")
    assert b.device == plait.device("plaitaccel:1") and not b.is_cpu and b.get_device() == 1
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device.*plaitaccel:0 and "
                                           "plaitaccel:1"):
        a + b
    (b * 3).sum().backward()
    assert a.grad.tolist() == [3.0, 3.0] and a.grad.device == a.device


def test_cpu_is_never_an_accelerator():
    class CpuClaimingAccelerator(fake_accelerator.FakeAcceleratorBackend):
        name = "plait_test_cpu_accelerator"
        priority = -1000  # never the backend plain "cpu" tensors get

    plugin = type("Plugin", (), {"plait_backends": staticmethod(lambda: [CpuClaimingAccelerator("cpu")])})()
    plait.backends.registry._registry.register_plugin(plugin, "plait_test_cpu_accelerator_plugin")
    try:
        assert plait.accelerator.current_accelerator() in (None, plait.device("cuda"))
    finally:
        plait.backends.registry._registry.unregister_plugin("plait_test_cpu_accelerator_plugin")
    assert plait.zeros(1)._backend.name in ("numpy", "array_api_strict")


def test_plait_cuda_asks_the_backend_serving_cuda():
    with fake_accelerator.registered("cuda") as backend:
        cuda = plait.cuda
        assert cuda.is_available() and cuda.device_count() == 2 and cuda.current_device() == 0
        assert cuda.is_initialized() and plait.accelerator.current_accelerator() == plait.device("cuda")
        assert plait.backends.cuda.is_built() and plait.backends.cudnn.is_available() is False  # no cuDNN here
        t = plait.ones(2, device="cuda")
        assert t.is_cuda and not t.is_cpu and t.device == plait.device("cuda:0")
        cuda.set_device(1)
        assert cuda.current_device() == 1 and plait.zeros(1, device="cuda").device == plait.device("cuda:1")
        with cuda.device(0):
            assert cuda.current_device() == 0 and cuda.get_device_name() == "fake accelerator 0"
        assert cuda.current_device() == 1
        with pytest.raises(RuntimeError, match="invalid device ordinal: cuda:7"):
            cuda.set_device(7)
        with pytest.raises(ValueError, match="^Expected a cuda device, but got: cpu$"):
            cuda.set_device("cpu")
        backend.calls.clear()
        cuda.synchronize("cuda:1")
        assert cuda.memory_allocated(0) == 0
        assert backend.calls == [("synchronize", "cuda:1"), ("memory_allocated", 0)]
        cuda.manual_seed(3)
        first = plait.rand(3, device="cuda").cpu().tolist()
        cuda.manual_seed_all(3)
        assert plait.rand(3, device="cuda").cpu().tolist() == first
        with pytest.raises(TypeError, match="backend 'plait_test_accelerator' does not implement "
                                            "get_device_capability"):
            cuda.get_device_capability()
    # unregistered: back to plait-cupy's answer
    assert plait.cuda.is_available() is plait.backends.available()["cupy"]["usable"]


def test_a_device_seed_is_not_overridden_by_an_earlier_global_seed():
    plait.manual_seed(0)  # pending for backends set up later...
    with fake_accelerator.registered("cuda"):
        plait.cuda.manual_seed(3)  # ...but this backend was seeded explicitly since
        first = plait.rand(3, device="cuda").cpu().tolist()
        plait.cuda.manual_seed(3)
        assert plait.rand(3, device="cuda").cpu().tolist() == first
