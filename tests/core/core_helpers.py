"""Helpers shared by the core test modules (imported as ``from core_helpers import ...``; the test folder is
on sys.path under pytest's default import mode)."""
import os

import numpy as np


def to_np(t):
    """A NumPy copy of a tensor's values (works on every host-accessible backend)."""
    if isinstance(t, (tuple, list)):
        return [to_np(x) for x in t]
    return np.array(t.detach().numpy(), copy=True)


def assert_close(t, expected, rtol=1e-6, atol=1e-6, dtype=None):
    """Compare a tensor with a NumPy array / nested list, shape (and optionally plait dtype) included."""
    got = to_np(t)
    exp = np.asarray(expected)
    assert got.shape == exp.shape, f"shape {got.shape} != expected {exp.shape}"
    if dtype is not None:
        assert t.dtype == dtype, f"dtype {t.dtype} != expected {dtype}"
    if got.dtype == np.bool_ or exp.dtype == np.bool_ or np.issubdtype(got.dtype, np.integer):
        np.testing.assert_array_equal(got, exp)
    else:
        np.testing.assert_allclose(got, exp, rtol=rtol, atol=atol)


def on_strict():
    """Whether this run serves the CPU with the array-api-strict test backend."""
    return os.environ.get("PLAIT_BACKEND", "").strip() == "array_api_strict"


def backend_has(dtype):
    """Whether the backend serving ``cpu`` has ``dtype`` (array-api-strict has no float16)."""
    import plait
    return dtype in plait.zeros(1)._backend.dtype_to_native


def skip_without(dtype):
    import pytest
    return pytest.mark.skipif(not backend_has(dtype), reason=f"this run's cpu backend has no {dtype} dtype")
