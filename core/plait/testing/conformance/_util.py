"""Helpers shared by the conformance tests (NumPy is imported inside the functions)."""

# absolute / relative tolerance of a comparison with a float64 NumPy reference, per plait dtype name
TOL = {"float64": (1e-10, 1e-9), "float32": (2e-5, 2e-5), "float16": (2e-2, 2e-2)}


def to_numpy(t):
    """A NumPy copy of a plait tensor's values, through its backend's ``to_host``."""
    import numpy as np
    return np.array(t._backend.to_host(t.detach()._data), copy=True)


def as_list(out):
    from plait import Tensor
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def assert_close(actual, expected, *, dtype_name=None, atol=None, rtol=None, what="result"):
    """``actual`` (a plait tensor, a NumPy array or a Python value) equals the NumPy ``expected`` in shape
    and values (NaN matching NaN), within the tolerance of ``dtype_name``."""
    import numpy as np
    from plait import Tensor
    if isinstance(actual, Tensor):
        dtype_name = dtype_name or actual.dtype.name
        actual = to_numpy(actual)
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert tuple(actual.shape) == tuple(expected.shape), \
        f"{what}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
    if actual.dtype == np.bool_ or expected.dtype == np.bool_ or (
            np.issubdtype(actual.dtype, np.integer) and np.issubdtype(expected.dtype, np.integer)):
        mismatch = actual != expected
        assert not mismatch.any(), (f"{what}: {int(mismatch.sum())} of {mismatch.size} elements differ; got "
                                    f"{actual.ravel()[:12].tolist()}, expected {expected.ravel()[:12].tolist()}")
        return
    d_atol, d_rtol = TOL.get(dtype_name or "float64", TOL["float32"])
    atol = d_atol if atol is None else atol
    rtol = d_rtol if rtol is None else rtol
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & np.isinf(e) & (np.sign(a) == np.sign(e))
    close = np.abs(a - e) <= atol + rtol * np.abs(e)
    bad = ~(close | both_nan | same_inf)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} elements differ beyond atol={atol:g}, "
                             f"rtol={rtol:g}; first at flat index {i}: got {a.ravel()[i]!r}, expected "
                             f"{e.ravel()[i]!r}\n  got      {a.ravel()[:8].tolist()}\n"
                             f"  expected {e.ravel()[:8].tolist()}")
