"""In-place ops (``add_``, ``mul_``, ``copy_``, ``fill_``, random fills, ...).

An in-place op computes its result with the ordinary op (so autograd records it), writes the values into
the tensor's own memory (views and NumPy arrays sharing it see the change), bumps the version counter and,
when recorded, moves the tensor to the new graph node."""
from .. import _dtype
from ..autograd.grad_mode import state as _grad_state
from ._common import Tensor, check_same_device

LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace(x):
    if x._requires_grad and x.grad_fn is None and _grad_state.enabled:
        raise RuntimeError(LEAF_INPLACE)


def commit_inplace(x, out):
    if out._dtype is not x._dtype:
        if out._dtype._category > x._dtype._category:
            raise RuntimeError(f"result type {_legacy(out._dtype)} can't be cast to the desired output type "
                               f"{_legacy(x._dtype)}")
        out = out.to(x._dtype)
    if out.shape != x.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                           f"{list(out.shape)}")
    x._data[...] = out._data
    x._vc[0] += 1
    if out.grad_fn is not None:
        x.grad_fn = out.grad_fn
        x._output_nr = out._output_nr
        x._requires_grad = True
    return x


def _legacy(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[d.name]


def make_inplace(fn, name):
    def method(self, *args, **kwargs):
        check_inplace(self)
        return commit_inplace(self, fn(self, *args, **kwargs))
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return method


def fill_(x, value):
    check_inplace(x)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.item()
    if _grad_state.enabled and x._requires_grad:
        return commit_inplace(x, x * 0 + value)
    x._data[...] = value
    x._vc[0] += 1
    return x


def zero_(x):
    return fill_(x, 0)


def copy_(x, src, non_blocking=False):
    check_inplace(x)
    if not isinstance(src, Tensor):
        from ..creation import tensor
        src = tensor(src, dtype=x._dtype, device=x.device)
    if src._device != x._device:
        src = src.to(x._device)
    if src._dtype is not x._dtype:
        src = src.to(x._dtype)
    if src.shape != x.shape:
        try:
            src = src.expand(x.shape)
        except RuntimeError:
            raise RuntimeError(f"The size of tensor a ({x.shape[-1] if x.ndim else 1}) must match the size of "
                               f"tensor b ({src.shape[-1] if src.ndim else 1}); cannot copy a tensor of shape "
                               f"{list(src.shape)} into one of shape {list(x.shape)}") from None
    if _grad_state.enabled and src._requires_grad:
        return commit_inplace(x, src * 1 if src.grad_fn is None else src + 0)
    x._data[...] = src._data
    x._vc[0] += 1
    if _grad_state.enabled and x.grad_fn is not None:
        # the old history no longer produces these values
        x.grad_fn = None
        x._requires_grad = False
    return x


def _random_fill(x, array):
    check_inplace(x)
    x._data[...] = array
    x._vc[0] += 1
    return x


def uniform_(x, a=0.0, b=1.0, *, generator=None):
    be = x._backend
    return _random_fill(x, be.uniform(x.shape, a, b, x._data.dtype, x._device))


def normal_(x, mean=0.0, std=1.0, *, generator=None):
    be = x._backend
    if x._dtype.is_floating_point:
        return _random_fill(x, be.normal(x.shape, mean, std, x._data.dtype, x._device))
    raise RuntimeError(f"normal_ expects a floating-point tensor, got {x._dtype}")


def bernoulli_(x, p=0.5, *, generator=None):
    be = x._backend
    xp = be.xp
    if isinstance(p, Tensor):
        probs = p._data
    else:
        probs = xp.full(x.shape, float(p), dtype=be.dtype_to_native[_dtype.default_float.value])
    return _random_fill(x, be.bernoulli(xp.broadcast_to(probs, x.shape), x._data.dtype))


def random_(x, low=0, high=None, *, generator=None):
    be = x._backend
    if high is None:
        low, high = 0, low if low else (2 ** 24 if x._dtype.is_floating_point else 2 ** 31)
    return _random_fill(x, be.xp.astype(be.integers(x.shape, low, high, be.dtype_to_native[_dtype.int64],
                                                     x._device), x._data.dtype))


def exponential_(x, lambd=1.0, *, generator=None):
    be = x._backend
    xp = be.xp
    u = be.uniform(x.shape, 0.0, 1.0, x._data.dtype, x._device)
    return _random_fill(x, -xp.log1p(-u) / lambd)


def check_inplace_device(x, other):
    if isinstance(other, Tensor):
        check_same_device(x, other)
