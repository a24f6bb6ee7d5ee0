"""plait-torch: a third-party-style backend over PyTorch's CPU tensors (through array-api-compat). It
imports without PyTorch (device "torch" then says what to install); with PyTorch, plait's autograd, nn and
optim run on torch tensors, beside NumPy-backed "cpu" tensors, and the conformance suite passes on it.
PyTorch tests skip, with the reason, where PyTorch (CPU build: pip install torch==2.13.0) is absent."""
import importlib.util
import os
import subprocess
import sys

import pytest

import plait

plait.backends.registry._registry.load()  # discovery only: setting backends up would import PyTorch here
PLUGIN_INSTALLED = "torch" in plait.backends.registry._registry.backends
TORCH_INSTALLED = importlib.util.find_spec("torch") is not None
needs_plugin = pytest.mark.skipif(not PLUGIN_INSTALLED,
                                  reason="plait-torch is not installed (pip install ./backends/torch_backend)")
needs_torch = pytest.mark.skipif(not (PLUGIN_INSTALLED and TORCH_INSTALLED),
                                 reason="PyTorch is not installed: pip install torch==2.13.0 (its CPU build) to "
                                        "run the plait-torch tests"
                                 if PLUGIN_INSTALLED else "plait-torch is not installed")


def _python(code, *args, env=None):
    full = dict(os.environ)
    full.pop("PLAIT_BACKEND", None)
    full.update(env or {})
    return subprocess.run([sys.executable, *args] if args else [sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=600, env=full)


@needs_plugin
def test_plugin_imports_without_torch_and_says_what_to_install():
    proc = _python("""
import sys
sys.modules["torch"] = None          # as if PyTorch were not installed
import plait
info = plait.backends.available()["torch"]
print(info["usable"], info["device_types"])
print(info["error"])
try:
    plait.zeros(1, device="torch")
except RuntimeError as exc:
    print("ERROR", exc)
print((plait.ones(2) + 1).tolist())  # the other backends keep working
""")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "False ['cpu', 'torch']"
    assert "PyTorch is not installed" in lines[1] and "pip install torch" in lines[1]
    assert lines[2].startswith("ERROR device 'torch' is not usable") and "PyTorch is not installed" in lines[2]
    assert lines[3] == "[2.0, 2.0]"


@needs_torch
def test_registration_and_priority():
    info = plait.backends.available()["torch"]
    assert info["usable"] and info["device_types"] == ["cpu", "torch"] and info["plugin"] == "torch"
    assert info["priority"] < plait.backends.available()["numpy"]["priority"]
    if "torch" not in os.environ.get("PLAIT_BACKEND", ""):
        assert plait.backends.get_backend("cpu").name != "torch", "installing plait-torch must not take over 'cpu'"
    assert plait.backends.get_backend("torch").name == "torch"


@needs_torch
def test_tensors_hold_torch_tensors_and_plait_does_the_autograd():
    import torch
    x = plait.randn(3, 4, device="torch", requires_grad=True)
    assert isinstance(x._data, torch.Tensor) and x.device == plait.device("torch")
    y = (x.exp() * x).sum()
    assert isinstance(y._data, torch.Tensor) and not y._data.requires_grad and y._data.grad_fn is None
    y.backward()
    expected = (x.detach().exp() * (x.detach() + 1)).tolist()
    assert plait.allclose(x.grad, plait.tensor(expected, device="torch"))
    assert repr(plait.zeros(2, device="torch")) == "tensor([0., 0.], device='torch')"


@needs_torch
def test_coexists_with_numpy_cpu_tensors():
    a = plait.tensor([1.0, 2.0], requires_grad=True)          # cpu (NumPy)
    b = plait.tensor([3.0, 4.0], device="torch")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device.*cpu and torch"):
        a + b
    c = (a.to("torch") * b).sum()
    c.backward()
    assert c.item() == 11.0 and a.grad.tolist() == [3.0, 4.0] and a.grad.device == plait.device("cpu")
    assert b.cpu().device == plait.device("cpu") and b.cpu().tolist() == [3.0, 4.0]


@needs_torch
def test_host_memory_dlpack_and_foreign_tensors():
    import numpy as np
    import torch
    t = plait.zeros(3, device="torch")
    t.numpy()[1] = 5.0                                        # .numpy() shares the tensor's memory
    assert t.tolist() == [0.0, 5.0, 0.0]
    src = torch.arange(4, dtype=torch.float64)
    copied = plait.tensor(src, device="torch")
    src[0] = 100.0
    assert copied.tolist() == [0.0, 1.0, 2.0, 3.0] and copied.dtype is plait.float64
    on_cpu = plait.tensor(torch.tensor([1, 2]))               # a torch tensor into the NumPy "cpu" backend
    assert on_cpu.device == plait.device("cpu") and on_cpu.dtype is plait.int64 and on_cpu.tolist() == [1, 2]
    assert plait.from_dlpack(torch.ones(2)).tolist() == [1.0, 1.0]
    assert np.from_dlpack(plait.arange(3, device="torch")).tolist() == [0, 1, 2]


@needs_torch
def test_seeded_random_uses_a_torch_generator():
    plait.manual_seed(7)
    a = plait.randn(5, device="torch").tolist()
    plait.manual_seed(7)
    assert plait.randn(5, device="torch").tolist() == a
    backend = plait.backends.get_backend("torch")
    assert type(backend._gen).__name__ == "Generator" and type(backend._gen).__module__.startswith("torch")


@needs_torch
def test_kernels_are_torch_ops():
    import torch
    backend = plait.backends.get_backend("torch")
    target = torch.zeros(3)
    out = backend.scatter_add(target, torch.tensor([0, 0, 2]), torch.tensor([1.0, 2.0, 3.0]))
    assert out.tolist() == [3.0, 0.0, 3.0] and target.tolist() == [0.0, 0.0, 0.0]
    put = backend.index_put(target, torch.tensor([2, 1]), torch.tensor([7.0, 8.0]))
    assert put.tolist() == [0.0, 8.0, 7.0] and target.tolist() == [0.0, 0.0, 0.0]
    assert backend.kernels["erf"] is torch.erf
    x = plait.tensor([0.5, -1.0], device="torch", requires_grad=True)
    x.erf().sum().backward()
    assert plait.allclose(x.grad, (-(x.detach() ** 2)).exp() * 2 / 3.141592653589793 ** 0.5)


@needs_torch
def test_nn_and_optim_train_on_torch_tensors():
    import torch
    import plait.nn as nn
    import plait.optim as optim
    plait.manual_seed(0)
    x = plait.randn(64, 3, device="torch")
    y = (x @ plait.tensor([[1.0], [-2.0], [0.5]], device="torch")).tanh()
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1)).to("torch")
    opt = optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for _ in range(40):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5
    assert all(isinstance(p._data, torch.Tensor) and isinstance(p.grad._data, torch.Tensor)
               for p in model.parameters())


@needs_torch
@pytest.mark.parametrize("device", ["cpu", "torch"])
def test_conformance_suite_passes(device):
    proc = _python(None, "-m", "pytest", "--pyargs", "plait.testing.conformance", "--plait-backend=torch",
                   f"--plait-device={device}", "-q", "-p", "no:cacheprovider")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert f"tested on device type {device!r}; the backend serves ['cpu', 'torch']" in out
    assert "plait conformance of backend 'torch': CONFORMS:" in out
