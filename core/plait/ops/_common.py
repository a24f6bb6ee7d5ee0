"""Helpers shared by the op modules: operand promotion and device checks."""
from .. import _dtype
from ..autograd import graph as _graph

Tensor = None  # injected by plait.tensor


def _install(tensor_cls):
    global Tensor
    Tensor = tensor_cls


def device_mismatch(a, b):
    raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                       f"{a._device} and {b._device}!")


def check_same_device(a, b):
    if a._device is not b._device and a._device != b._device:
        device_mismatch(a, b)


def as_operands(a, b):
    """Promote a Tensor ``a`` and a Tensor-or-scalar ``b`` to torch's common dtype; check devices."""
    if isinstance(b, Tensor):
        if a._device is not b._device:
            check_same_device(a, b)
        da, db = a._dtype, b._dtype
        if da is not db:
            rt = _dtype.result_type_tensors(da, a._data.ndim == 0, db, b._data.ndim == 0)
            if da is not rt:
                a = a.to(rt)
            if db is not rt:
                b = b.to(rt)
        return a, b
    if b is None or isinstance(b, (list, tuple)):
        raise TypeError(f"expected a Tensor or a Python number as operand, got {type(b).__name__}")
    rt = _dtype.result_type_scalar(a._dtype, b)
    if rt is not a._dtype:
        a = a.to(rt)
    if rt is _dtype.bool_ or not isinstance(b, bool):
        return a, b
    return a, int(b) if not rt.is_floating_point else float(b)


def float_input(t):
    """Ops like exp/log/sqrt promote integer and bool tensors to the default float dtype, as torch does."""
    if t._dtype.is_floating_point:
        return t
    return t.to(_dtype.default_float.value)


def make_like(array, like):
    """Wrap a backend array as a constant Tensor on ``like``'s backend and device."""
    return _graph._make(array, like._backend, like._device)
