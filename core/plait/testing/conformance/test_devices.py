"""Devices on the backend under test: every creation function places its result on the requested device
(this backend), results and gradients stay there, transfers to another device and back keep values and
gradients, and mixed-device or unknown-device use raises torch's errors."""
import pytest

import plait

from ._host_backend import ensure_registered
from ._util import assert_close


@pytest.fixture(scope="module")
def other():
    """A device type served by another (tiny, in-suite) backend."""
    return ensure_registered()


def _canonical(backend, device):
    dev = plait.device(device)
    return dev if dev.index is not None else backend.default_device(dev.type)


CREATION = {
    "tensor": lambda d: plait.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
    "tensor_int": lambda d: plait.tensor([1, 2, 3], device=d),
    "as_tensor": lambda d: plait.as_tensor([1.5, 2.5], device=d),
    "zeros": lambda d: plait.zeros(2, 3, device=d),
    "ones": lambda d: plait.ones((2, 3), dtype=plait.int32, device=d),
    "empty": lambda d: plait.empty(4, device=d),
    "full": lambda d: plait.full((2, 2), 7.0, device=d),
    "full_int": lambda d: plait.full((2,), 3, device=d),
    "arange": lambda d: plait.arange(5, device=d),
    "arange_float": lambda d: plait.arange(0.0, 1.0, 0.25, device=d),
    "linspace": lambda d: plait.linspace(0, 1, 5, device=d),
    "logspace": lambda d: plait.logspace(0, 2, 3, device=d),
    "eye": lambda d: plait.eye(3, 2, device=d),
    "rand": lambda d: plait.rand(2, 2, device=d),
    "randn": lambda d: plait.randn(3, device=d),
    "randint": lambda d: plait.randint(0, 10, (4,), device=d),
    "randperm": lambda d: plait.randperm(5, device=d),
    "normal": lambda d: plait.normal(0.0, 1.0, (3,), device=d),
}
EXPECTED = {
    "tensor": [[1.0, 2.0], [3.0, 4.0]], "tensor_int": [1, 2, 3], "as_tensor": [1.5, 2.5],
    "zeros": [[0.0] * 3] * 2, "ones": [[1] * 3] * 2, "full": [[7.0, 7.0], [7.0, 7.0]], "full_int": [3, 3],
    "arange": [0, 1, 2, 3, 4], "arange_float": [0.0, 0.25, 0.5, 0.75], "linspace": [0.0, 0.25, 0.5, 0.75, 1.0],
    "logspace": [1.0, 10.0, 100.0], "eye": [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]],
}


@pytest.mark.parametrize("name", sorted(CREATION))
def test_creation_functions_use_the_device(backend, device, np, name):
    t = CREATION[name](device)
    assert t.device == _canonical(backend, device), f"{name}: created on {t.device}"
    assert t._backend is backend and backend.owns(t._data)
    assert backend.native_to_dtype[t._data.dtype] is t.dtype
    if name in EXPECTED:
        assert_close(t, np.array(EXPECTED[name]), what=name)


def test_like_and_new_functions_follow_their_input(backend, device):
    x = plait.ones(2, 3, dtype=plait.float64, device=device)
    made = [plait.zeros_like(x), plait.ones_like(x), plait.full_like(x, 2.0), plait.empty_like(x),
            plait.rand_like(x), plait.randn_like(x), plait.randint_like(x, 0, 5), x.new_zeros(2), x.new_ones(3),
            x.new_full((2,), 4.0), x.new_tensor([1.0, 2.0]), x.new_empty(1), x.clone(), x.detach(), x[0],
            x.to(plait.float32), x.float()]
    for t in made:
        assert t.device == x.device and t._backend is backend
    assert all(t.dtype is plait.float64 for t in made[:13])


def test_default_device(backend, device):
    plait.set_default_device(device)
    t = plait.zeros(2)
    assert t.device == _canonical(backend, device) and t._backend is backend
    assert plait.get_default_device() == _canonical(backend, device)


def test_results_and_gradients_stay_on_the_device(backend, device):
    x = plait.randn(3, 4, device=device, requires_grad=True)
    w = plait.randn(4, 2, device=device, requires_grad=True)
    out = (x @ w).relu().softmax(1)[:, 0].sum() + x.mean()
    assert out.device == x.device and out._backend is backend
    out.backward()
    for t in (x.grad, w.grad):
        assert t.device == x.device and t._backend is backend and backend.owns(t._data)


def test_unknown_device_type(device):
    with pytest.raises(RuntimeError, match="no_such_device"):
        plait.zeros(2, device="no_such_device")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        plait.device(device + ":x")


def test_mixed_devices_raise(device, other):
    a = plait.ones(2, device=device)
    b = plait.ones(2, device=other)
    pattern = "Expected all tensors to be on the same device"
    for fn in (lambda: a + b, lambda: b * a, lambda: plait.where(a > 0, a, b), lambda: a.unsqueeze(0) @ b,
               lambda: plait.cat([a, b]), lambda: a.masked_fill(b > 0, 1.0)):
        with pytest.raises(RuntimeError, match=pattern) as err:
            fn()
        assert str(plait.device(other)) in str(err.value)


def test_transfer_to_another_device_and_back(backend, device, other):
    x = plait.tensor([[1.0, -2.0], [3.5, 4.0]], device=device, requires_grad=True)
    y = x.to(other)
    assert y.device.type == other and y.tolist() == x.tolist() and y.requires_grad
    z = (y * 3).to(device)
    assert z.device == x.device and z._backend is backend
    z.sum().backward()
    assert x.grad.device == x.device and x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    i = plait.tensor([1, 2, 3], dtype=plait.int32, device=other).to(device)
    assert i.dtype is plait.int32 and i.tolist() == [1, 2, 3] and i._backend is backend


def test_transfers_copy(backend, device, other):
    x = plait.zeros(3, device=device)
    y = x.to(other)
    y.add_(1)
    assert x.tolist() == [0.0, 0.0, 0.0], "a transfer to another device must copy"
    z = y.to(device)
    z.add_(1)
    assert y.tolist() == [1.0, 1.0, 1.0], "a transfer back must copy"


def test_to_host_copies_unless_declared_shared(backend, device, np):
    t = plait.zeros(3, device=device)
    host = backend.to_host(t._data)
    if backend.shares_host_memory:
        return  # a view is declared (and checked by test_hooks.py::test_numpy_shares_memory_when_declared)
    host[0] = 5.0
    assert t.tolist() == [0.0, 0.0, 0.0], \
        "to_host returned a view of the tensor's memory: set shares_host_memory = True or return a copy"


def test_cpu_round_trip(backend, device):
    try:
        plait.backends.get_backend("cpu")
    except RuntimeError as exc:
        pytest.skip(f"no usable backend serves 'cpu' in this environment: {exc}")
    t = plait.tensor([1.0, 2.0], device=device)
    c = t.cpu()
    assert c.device.type == "cpu" and c.tolist() == [1.0, 2.0]
    assert c.to(device).device == t.device
    if c is not t:  # another device: a copy
        c.add_(1)
        assert t.tolist() == [1.0, 2.0], ".cpu() must copy"


def test_numpy_needs_host_memory(backend, device):
    t = plait.ones(2, device=device)
    if backend.host_accessible:
        assert t.numpy().tolist() == [1.0, 1.0]
    else:
        with pytest.raises(TypeError, match="Tensor.cpu"):
            t.numpy()
