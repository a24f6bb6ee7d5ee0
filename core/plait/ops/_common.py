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


def check_broadcast(sa, sb):
    """Raise torch's message (plus both shapes) unless shapes ``sa`` and ``sb`` broadcast together."""
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {max(len(sa), len(sb)) - i}: shapes {list(sa)} and {list(sb)} cannot be "
                               "broadcast together")


def as_operands(a, b):
    """Promote a Tensor ``a`` and a Tensor-or-scalar ``b`` to torch's common dtype; check devices."""
    if isinstance(b, Tensor):
        if a._device is not b._device:
            check_same_device(a, b)
        if a._data.shape != b._data.shape:
            check_broadcast(a._data.shape, b._data.shape)
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


def _requires(x):
    return isinstance(x, Tensor) and x._requires_grad


def needs_other(inputs):
    """``saved_needs`` of a product a*b: d/da reads b and d/db reads a."""
    a, b = inputs[0], inputs[1]
    return (_requires(b), _requires(a)) + (True,) * (len(inputs) - 2)


def label(out, name):
    """Name ``out``'s node as torch names the op that produced it (call right after the op created the node)."""
    node = out.grad_fn
    if node is not None:
        node.label = name
    return out


def make_like(array, like):
    """Wrap a backend array as a constant Tensor on ``like``'s backend and device."""
    return _graph._make(array, like._backend, like._device)
