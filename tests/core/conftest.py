"""Fixtures of the core suite. The whole suite runs on the default CPU backend (plait-numpy) and on the
array-api-strict test backend (``PLAIT_BACKEND=array_api_strict pytest tests/core``). Helpers live in
core_helpers.py."""
import numpy as np
import pytest

import plait
from plait import _printing
from plait.autograd.grad_mode import state as _grad_state


@pytest.fixture
def backend_name():
    """Name of the backend serving plain ``cpu`` tensors in this run ("numpy" or "array_api_strict")."""
    return plait.zeros(1)._backend.name


@pytest.fixture(autouse=True)
def _clean_global_state():
    """Every test ends by restoring grad mode, the default dtype, the default device and the print options,
    whatever it did."""
    yield
    _grad_state.enabled = True
    plait.set_default_dtype(plait.float32)
    plait.set_default_device(None)
    _printing.set_printoptions(profile="default")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
