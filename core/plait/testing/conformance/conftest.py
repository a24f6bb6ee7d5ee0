"""Fixtures of the conformance suite: the backend under test, the device tensors are made on, and
conversions between NumPy reference arrays and plait tensors.

NumPy is imported inside fixtures and functions only (this package lives in plait's core distribution,
whose modules never import an array library at import time)."""
import pytest

from .plugin import state_of


@pytest.fixture(scope="session")
def conformance(request):
    state = state_of(request.config)
    if state.backend is None:
        pytest.fail(f"no plait backend to test: {state.problem}", pytrace=False)
    return state


@pytest.fixture(scope="session")
def backend(conformance):
    """The plait.backends.Backend under test (set up)."""
    return conformance.backend


@pytest.fixture(scope="session")
def device(conformance):
    """The device type (a str) every test creates its tensors on."""
    return conformance.device_type


@pytest.fixture(scope="session")
def xp(backend):
    return backend.xp


@pytest.fixture(scope="session")
def np():
    import numpy
    return numpy


@pytest.fixture
def rng(np):
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def T(device):
    """``T(array_or_list, dtype=None, requires_grad=False)``: a plait tensor on the device under test."""
    import plait

    def make(data, dtype=None, requires_grad=False):
        return plait.tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
    return make


@pytest.fixture(scope="session")
def host():
    """``host(tensor)``: a NumPy copy of a tensor's values, through the backend's ``to_host``."""
    from ._util import to_numpy
    return to_numpy


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Every test ends with grad mode on and plait's default dtype and device restored."""
    import plait
    from plait.autograd.grad_mode import state as grad_state
    dtype = plait.get_default_dtype()
    yield
    grad_state.enabled = True
    plait.set_default_dtype(dtype)
    plait.set_default_device(None)
