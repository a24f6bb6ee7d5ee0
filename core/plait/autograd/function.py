"""``plait.autograd.Function``: user-defined ops with torch's ctx API (forward/backward as staticmethods,
``ctx.save_for_backward``, ``ctx.saved_tensors``, ``ctx.needs_input_grad``, ``.apply``)."""
from . import graph as _graph
from .graph import Node, edge_of, _NO_EDGE
from .grad_mode import state as _grad_state, _Switch


class FunctionCtx(Node):
    """The ctx passed to forward/backward; it is also the node in the graph (``out.grad_fn``)."""
    __slots__ = ()
    _function = None
    num_outputs = 1

    def name(self):
        # a library op written as a Function may carry torch's name for it (``NllLossBackward0``)
        return self.__dict__.get("label") or self._function.__name__ + "Backward"

    def __repr__(self):
        if self.__dict__.get("label"):
            return super().__repr__()
        return f"<plait.autograd.function.{self.name()} object at {hex(id(self))}>"

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, _graph.Tensor):
                raise TypeError(f"save_for_backward can only save tensors, but argument {len(tensors)} "
                                f"is of type {type(t).__name__}")
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._vc[0] for t in tensors)

    def mark_dirty(self, *tensors):
        self.__dict__["dirty"] = tensors

    def mark_non_differentiable(self, *tensors):
        self.__dict__["non_differentiable"] = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.__dict__["materialize_grads"] = bool(value)

    def _backward(self, grads):
        if self._freed:
            raise RuntimeError(_graph.BACKWARD_TWICE)
        if self.__dict__.get("materialize_grads", True):
            grads = [g if g is not None else _zeros_like_meta(self, i) for i, g in enumerate(grads)]
        result = self._function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.next_functions)
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        # as torch's validate_outputs: a gradient takes its input's dtype (a Function may return another)
        Tensor = _graph.Tensor
        return tuple(r.to(d) if isinstance(r, Tensor) and d is not None and r._dtype is not d else r
                     for r, d in zip(result, self.__dict__["in_dtypes"]))


def _zeros_like_meta(node, i):
    from .. import zeros
    backend, device, dtype = node.__dict__["out_meta"][i]
    return zeros(node._shapes[i], dtype=dtype, device=device)


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        # one ctx/node class per Function, so grad_fn prints as <MyFnBackward object ...>
        cls._backward_cls = type(name + "Backward", (FunctionCtx,), {"__slots__": (), "_function": cls})


class Function(metaclass=_FunctionMeta):
    """Subclass with ``@staticmethod forward(ctx, *args)`` and ``@staticmethod backward(ctx, *grads)``."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method "
                           "(call YourFunction.apply(...)).")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise TypeError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise TypeError("You must implement either the backward or vjp method for your custom "
                        "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _graph.Tensor
        ctx = object.__new__(cls._backward_cls)
        ctx._saved = None
        ctx._saved_out = None
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        requires = _grad_state.enabled and any(t._requires_grad for t in tensor_args)
        ctx.__dict__["needs_input_grad"] = tuple(isinstance(a, Tensor) and a._requires_grad and
                                                 _grad_state.enabled for a in args)
        with _Switch(False):
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if _graph.trace_state.active:
            _graph.trace_state.recorder.record_function(cls, ctx, args, kwargs, outs)
        if not requires:
            return outputs
        ctx.next_functions = tuple(edge_of(a) if isinstance(a, Tensor) else _NO_EDGE for a in args)
        ctx.__dict__["in_dtypes"] = tuple(a._dtype if isinstance(a, Tensor) else None for a in args)
        non_diff = ctx.__dict__.get("non_differentiable", ())
        dirty = ctx.__dict__.get("dirty", ())
        wrapped = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if any(o is a for a in args) and not any(o is d for d in dirty):
                o = o._alias()  # returning an input unchanged: the output is a new tensor sharing its data
            if id(o) not in non_diff and o._dtype.is_floating_point:
                o._requires_grad = True
                o.grad_fn = ctx
                o._output_nr = i
            wrapped.append(o)
        ctx.num_outputs = len(outs)
        ctx._shapes = tuple(o.shape if isinstance(o, Tensor) else () for o in outs)
        ctx.__dict__["out_meta"] = tuple((o._backend, o._device, o._dtype) if isinstance(o, Tensor)
                                         else (None, None, None) for o in outs)
        return wrapped[0] if single else tuple(wrapped)


class once_differentiable:
    """Decorator accepted for torch compatibility: the backward runs without building a graph."""

    def __new__(cls, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(ctx, *args):
            with _Switch(False):
                return fn(ctx, *args)
        return wrapper
