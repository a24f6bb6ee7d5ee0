"""Parameter and Buffer: the tensor markers a Module recognises on attribute assignment (torch.nn.parameter)."""
import plait

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"]


def _empty_default():
    return plait.empty(0)


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Parameter(plait.Tensor):
    """A tensor that is a module parameter.

    Assigning a Parameter to a Module attribute registers it in ``parameters()``. It shares storage with
    the tensor it was made from and is always a leaf; operations on it return plain tensors.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty_default()
        if not isinstance(data, plait.Tensor):
            raise TypeError(f"Parameter data must be a plait.Tensor, got {type(data).__name__}")
        return plait.Tensor._make_subclass(cls, data, requires_grad)

    # The core Tensor may define its own __init__; the instance is complete once __new__ returns.
    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return _rebuild_parameter, (self.detach(), self.requires_grad)


def _rebuild_buffer(data, requires_grad, persistent):
    return Buffer(data.requires_grad_(requires_grad), persistent=persistent)


class Buffer(plait.Tensor):
    """A tensor that is a module buffer (torch 2.x ``nn.Buffer``).

    ``module.name = Buffer(t)`` is ``module.register_buffer("name", t, persistent)``; the module keeps a
    plain tensor, so the marker never leaks into computations or ``state_dict()``.
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty_default()
        if not isinstance(data, plait.Tensor):
            raise TypeError(f"Buffer data must be a plait.Tensor, got {type(data).__name__}")
        t = plait.Tensor._make_subclass(cls, data, data.requires_grad)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass

    def __reduce_ex__(self, protocol):
        return _rebuild_buffer, (self.detach(), self.requires_grad, self.persistent)


class UninitializedTensorMixin:
    """What parameters and buffers of lazy modules have in common before their shape is known.

    They hold no elements: reading their shape or calling a tensor method on them raises (a few methods
    that need no values, such as ``to`` or ``size``, are allowed, as in torch), until ``materialize``
    gives them memory of the right shape and turns them, in place, into ``cls_to_become``. In place, so
    an optimizer or a container that already holds the object sees the materialised tensor."""

    __slots__ = ()
    cls_to_become = None
    # tensor methods torch lets through for uninitialized tensors (they read no elements)
    _ALLOWED_METHODS = frozenset({"size", "copy_", "is_complex", "is_floating_point", "half", "float", "double",
                                  "char", "short", "int", "long", "cuda", "cpu", "to", "get_device",
                                  "requires_grad_", "materialize", "share_memory_"})

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor memory of ``shape`` (uninitialised values) on ``device`` with ``dtype``
        (by default its own) and make it a ``cls_to_become``."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        data = plait.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become
        self.data = data

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
                           "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __getattribute__(self, name):
        if not name.startswith("_") and name not in UninitializedTensorMixin._ALLOWED_METHODS:
            static = plait.Tensor.__dict__.get(name)
            if callable(static) and not isinstance(static, property):
                _refuse(type(self), name)
        return super().__getattribute__(name)

    def _refused(name):
        def method(self, *args, **kwargs):
            _refuse(type(self), name)
        method.__name__ = name
        return method

    # operators are looked up on the type, past __getattribute__
    for _op in ("__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__", "__rmul__",
                "__imul__", "__truediv__", "__rtruediv__", "__itruediv__", "__floordiv__", "__rfloordiv__",
                "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__pos__",
                "__abs__", "__lt__", "__le__", "__gt__", "__ge__", "__getitem__", "__setitem__", "__len__",
                "__iter__", "__float__", "__int__", "__bool__", "__array__"):
        locals()[_op] = _refused(_op.strip("_"))
    del _op, _refused


def _refuse(cls, name):
    raise ValueError(f"Attempted to use an uninitialized parameter in <method '{name}' of 'plait.Tensor' objects>. "
                     f"This error happens when you are using a `LazyModule` or explicitly manipulating "
                     f"`plait.nn.parameter.{cls.__name__}` objects. When using LazyModules Call `forward` with a "
                     f"dummy batch to initialize the parameters before calling plait functions")


def is_lazy(param):
    """Whether ``param`` is an uninitialized parameter or buffer of a lazy module."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape a lazy module learns from its first input; a Parameter once materialised."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        data = plait.empty(0, device=device, dtype=dtype)
        return plait.Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, plait.Tensor):
    """A buffer whose shape a lazy module learns from its first input; a plain tensor once materialised."""

    __slots__ = ()
    cls_to_become = plait.Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        data = plait.empty(0, device=device, dtype=dtype)
        return plait.Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, requires_grad=False, device=None, dtype=None):
        pass
