"""Parameter and Buffer: the tensor markers a Module recognises on attribute assignment (torch.nn.parameter)."""
import plait

__all__ = ["Parameter", "Buffer"]


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
