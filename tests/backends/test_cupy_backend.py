"""plait-cupy: installs and imports without CuPy; on a CUDA machine, the GPU behaviour itself."""
import pytest

import plait

_CUDA_REASON = None
if not plait.cuda.is_available():
    info = plait.backends.available().get("cupy")
    _CUDA_REASON = ("plait-cupy is not installed" if info is None else
                    f"no usable CUDA backend here ({info['error']})")
gpu = pytest.mark.skipif(_CUDA_REASON is not None, reason=_CUDA_REASON or "")


def test_cupy_plugin_is_registered_and_imports_without_cupy():
    import plait_cupy
    info = plait.backends.available()["cupy"]
    assert info["device_types"] == ["cuda"]
    assert plait_cupy.CupyBackend.name == "cupy"


@pytest.mark.skipif(_CUDA_REASON is None, reason="this machine has a usable CUDA backend")
def test_cuda_request_without_gpu_says_why():
    with pytest.raises(RuntimeError) as err:
        plait.zeros(2, device="cuda")
    msg = str(err.value)
    assert "cuda" in msg and ("CuPy" in msg or "GPU" in msg)
    assert plait.cuda.device_count() == 0


@gpu
def test_round_trip_between_cpu_and_cuda():
    x = plait.arange(6, dtype=plait.float32).reshape(2, 3)
    y = x.to("cuda")
    assert y.device == plait.device("cuda", 0) and y.is_cuda
    assert y.cpu().tolist() == x.tolist()
    assert x.cuda().device.type == "cuda"


@gpu
def test_numpy_on_cuda_tensor_asks_for_cpu_first():
    with pytest.raises(TypeError, match=r"Use Tensor.cpu\(\)"):
        plait.ones(2, device="cuda").numpy()


@gpu
def test_autograd_on_cuda_and_gradient_back_to_cpu():
    w = plait.randn(3, 3, device="cuda", requires_grad=True)
    x_cpu = plait.randn(4, 3, requires_grad=True)
    out = (x_cpu.to("cuda") @ w).relu().sum()
    out.backward()
    assert w.grad.device.type == "cuda"
    assert x_cpu.grad.device.type == "cpu"


@gpu
def test_mixed_devices_error_names_both():
    with pytest.raises(RuntimeError, match="cuda:0 and cpu|cpu and cuda:0"):
        plait.ones(2, device="cuda") + plait.ones(2)


@gpu
def test_seeded_random_is_reproducible_on_cuda():
    plait.cuda.manual_seed(7)
    a = plait.randn(5, device="cuda").cpu().tolist()
    plait.cuda.manual_seed(7)
    b = plait.randn(5, device="cuda").cpu().tolist()
    assert a == b


@gpu
def test_scatter_add_gradient_with_duplicates_on_cuda():
    x = plait.zeros(3, device="cuda", requires_grad=True)
    idx = plait.tensor([0, 0, 2], device="cuda")
    x[idx].sum().backward()
    assert x.grad.cpu().tolist() == [2.0, 0.0, 1.0]


@gpu
def test_memory_figures_come_from_cupy_pool():
    before = plait.cuda.memory_allocated()
    big = plait.zeros(1024, 1024, device="cuda")
    assert plait.cuda.memory_allocated() >= before + 4 * 1024 * 1024
    assert plait.cuda.max_memory_allocated() >= plait.cuda.memory_allocated()
    del big


@gpu
def test_dlpack_exchange_with_cupy_is_zero_copy():
    import cupy as cp
    a = cp.arange(4, dtype=cp.float32)
    t = plait.from_dlpack(a)
    t.add_(1)
    assert cp.asnumpy(a).tolist() == [1.0, 2.0, 3.0, 4.0]
    back = cp.from_dlpack(t)
    assert back.data.ptr == a.data.ptr


@gpu
def test_save_load_map_location(tmp_path):
    t = plait.arange(4, dtype=plait.float32, device="cuda")
    plait.save({"t": t}, tmp_path / "x.safetensors")
    assert plait.load(tmp_path / "x.safetensors")["t"].device.type == "cuda"
    assert plait.load(tmp_path / "x.safetensors", map_location="cpu")["t"].device.type == "cpu"


@gpu
def test_module_to_cuda_trains():
    nn = pytest.importorskip("plait.nn", reason="plait-nn not installed")
    optim = pytest.importorskip("plait.optim", reason="plait-optim not installed")
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to("cuda")
    assert all(p.device.type == "cuda" for p in model.parameters())
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = plait.randn(16, 4, device="cuda")
    y = x.sum(1, keepdim=True)
    first = None
    for _ in range(50):
        loss = ((model(x) - y) ** 2).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first


@gpu
def test_dataloader_pin_memory_gives_page_locked_batches_that_copy_to_cuda():
    import warnings

    import cupy
    from plait.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(plait.arange(12.0).reshape(6, 2), plait.arange(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "no accelerator" warning: pinning really happens
        batches = list(DataLoader(ds, batch_size=3, pin_memory=True, num_workers=1))
    x, y = batches[0]
    assert x.device.type == "cpu" and x.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    attributes = cupy.cuda.runtime.pointerGetAttributes(x.numpy().ctypes.data)
    assert attributes.type == cupy.cuda.runtime.memoryTypeHost
    assert x.to("cuda").cpu().tolist() == x.tolist()


@gpu
def test_cuda_is_the_accelerator():
    assert plait.accelerator.current_accelerator() == plait.device("cuda")
    assert plait.accelerator.is_available() and plait.accelerator.device_count() == plait.cuda.device_count() >= 1
    assert plait.accelerator.current_device_index() == plait.cuda.current_device()
    plait.accelerator.synchronize()
    assert isinstance(plait.cuda.get_device_name(), str) and len(plait.cuda.get_device_capability()) == 2
    assert plait.backends.cuda.is_built()
    version = plait.backends.cudnn.version()
    assert plait.backends.cudnn.is_available() is (version is not None)
    assert version is None or (isinstance(version, int) and version > 0)


@gpu
def test_deterministic_scatter_add_on_cuda():
    import numpy as np
    rng = np.random.default_rng(0)
    index = rng.integers(0, 7, 5000)
    values = rng.standard_normal(5000).astype(np.float32)
    plait.use_deterministic_algorithms(True)
    try:
        results = []
        for _ in range(3):
            x = plait.zeros(7, device="cuda", requires_grad=True)
            x[plait.tensor(index, device="cuda")].mul(plait.tensor(values, device="cuda")).sum().backward()
            results.append(x.grad.cpu().tolist())
    finally:
        plait.use_deterministic_algorithms(False)
    assert results[0] == results[1] == results[2]  # bitwise: no atomics
    expected = np.zeros(7)
    np.add.at(expected, index, values.astype(np.float64))
    assert np.allclose(results[0], expected, atol=1e-3)
