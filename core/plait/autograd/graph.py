"""The backward graph: ``Node`` (what ``tensor.grad_fn`` is), ``AccumulateGrad`` for leaves, and ``Op``,
the base class of every differentiable operation.

An Op is micrograd-style: ``forward`` computes on backend arrays, ``backward`` maps the output gradient
(a Tensor) to one gradient per input, written with Tensor ops so that it is itself differentiable when
``create_graph=True``. ``Op.apply`` runs ``forward`` and, only when grad mode is on and an input requires
grad, links the node into the graph.
"""
import weakref

from .grad_mode import state as _grad_state

_make = None      # tensor._make, injected by plait.tensor (avoids an import cycle)
refresh_view = None  # ops.inplace.refresh_view, injected likewise
Tensor = None     # plait.Tensor, injected likewise

class _TraceState:
    """Whether an exporter (``plait.onnx.export``) is recording the ops as they run. ``active`` is False
    except inside an export; ``Op.apply`` and ``Function.apply`` test it once per op, so the normal path pays
    one attribute read. ``recorder`` is the exporter's object while ``active``."""
    __slots__ = ("active", "recorder")


trace_state = _TraceState()
trace_state.active = False
trace_state.recorder = None

BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
    "a second time or if you need to access saved tensors after calling backward.")


class Node:
    """A node of the backward graph. ``next_functions`` holds one ``(node, output_nr)`` per input, with
    ``(None, 0)`` for inputs that need no gradient."""
    __slots__ = ("next_functions", "_shapes", "_saved", "_saved_versions", "_saved_out", "__weakref__",
                 "__dict__")
    num_outputs = 1
    # rarely set: class-level defaults keep Op.apply from paying for them
    _freed = False
    _pre_hooks = None
    _post_hooks = None

    @property
    def metadata(self):
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self.__dict__["_metadata"] = {}
        return meta

    def name(self):
        """torch's name for this node (``AddBackward0``...); a composite op labels its last node with the name
        torch gives the whole op (``node.label``)."""
        label = self.__dict__.get("label")
        return label if label is not None else self._name()

    def _name(self):
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_prehook(self, fn):
        """``fn(grad_outputs) -> None | new grad_outputs``, run before this node's backward."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return _Handle(self._pre_hooks.setdefault(-1, []), fn)

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs) -> None | new grad_inputs``, run after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = []
        return _Handle(self._post_hooks, fn)

    # ---- saved tensors ------------------------------------------------------------------------------
    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(BACKWARD_TWICE)
            return ()
        versions = self._saved_versions
        for i, t in enumerate(saved):
            if versions[i] is not None and t._vc[0] != versions[i]:
                _raise_modified(t, self, i, versions[i])
        return saved

    @property
    def output(self):
        """The op's own output, saved at forward time (re-attached to this node for double backward)."""
        saved = self._saved_out
        if saved is None:
            raise RuntimeError(BACKWARD_TWICE)
        data, vc, version, backend, device = saved
        if vc[0] != version:
            t = _make(data, backend, device)
            _raise_modified(t, self, 0, version, output=True, current=vc[0])
        out = _make(data, backend, device)
        out._vc = vc
        if _grad_state.enabled:  # only double backward needs the history
            out._requires_grad = True
            out.grad_fn = self
        return out

    def _release(self):
        if self._saved is not None or self._saved_out is not None:
            self._freed = True
            self._saved = None
            self._saved_out = None


def _raise_modified(t, node, index, expected, output=False, current=None):
    from .._printing import type_name
    current = t._vc[0] if current is None else current
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{type_name(t)} [{', '.join(map(str, t.shape))}]], which is "
        f"{'output' if output else 'input'} {index} of {node.name()}, is at version {current}; expected "
        f"version {expected} instead. Hint: the operation that modified it ran after this op saved it; "
        "use an out-of-place op or .clone() before modifying.")


def type_name_of(obj):
    """The type name CPython's ``tp_name`` gives (what torch's messages show): ``int``, ``A``, ``numpy.ndarray``."""
    cls = type(obj)
    if cls.__flags__ & 512 or cls.__module__ == "builtins":  # a class defined in Python, or a builtin
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def _legacy_type(t):
    from .._dtype import LEGACY_NAMES
    return f"plait.{'cuda.' if t._device.type == 'cuda' else ''}{LEGACY_NAMES[t._dtype]}"


def check_hook_result(hook, old, new):
    """Validate what a tensor hook returned in place of gradient ``old`` (not None), as torch does."""
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type_name_of(new)}'")
    name = getattr(hook, "__name__", None)
    if not isinstance(name, str):
        name = "<unknown>"
    if new._dtype is not old._dtype or new._device.type != old._device.type:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {_legacy_type(old)} got "
                           f"{_legacy_type(new)})")
    if new._data.shape != old._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


class _Handle:
    """Returned by register_*hook; ``remove()`` unregisters the hook."""
    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks, fn):
        self._hooks = hooks
        self._fn = fn
        hooks.append(fn)

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class AccumulateGrad(Node):
    """Graph node standing for a leaf tensor that requires grad; the engine adds the gradient to ``.grad``."""
    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self._shapes = (variable._data.shape,)
        self._saved = None
        self._saved_out = None

    def name(self):
        return "AccumulateGrad"


def grad_accumulator(t):
    """The (unique, weakly cached) AccumulateGrad node of leaf ``t``."""
    ref = t._grad_acc
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._grad_acc = weakref.ref(node)
    return node


def edge_of(t):
    view = t._view
    if view is not None and view[2] != t._vc[0] and t._requires_grad and view[0]._requires_grad:
        refresh_view(t)  # a view whose root changed in place since: its history is rebuilt from the root's
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (grad_accumulator(t), 0)
    return (None, 0)


_NO_EDGE = (None, 0)


class Op(Node):
    """Base of every differentiable operation. Subclasses define ``forward(self, *args)`` on arrays
    (``self.xp`` is the backend's Array API namespace) and ``backward(self, grad)`` on Tensors, returning
    one gradient (or None) per input of ``forward``. Set ``save_inputs``/``save_output`` to have the
    inputs / output kept for backward (``self.saved_tensors`` / ``self.output``), with in-place
    modification detected through version counters."""
    __slots__ = ()
    save_inputs = False
    save_output = False
    #: optional ``staticmethod(inputs) -> tuple of bool``: which saved inputs the backward will read, given
    #: which inputs require grad (torch saves only those, so in-place changes to the others are fine)
    saved_needs = None

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run the op. The first input must be a Tensor; the others may be Tensors or plain values."""
        first = inputs[0]
        backend = first._backend
        node = object.__new__(cls)
        node.xp = backend.xp
        node.backend = backend
        args = [x._data if isinstance(x, Tensor) else x for x in inputs]
        out_data = node.forward(*args, **kwargs)
        out = _make(out_data, backend, first._device)
        if _grad_state.enabled:
            requires = False
            for x in inputs:
                if isinstance(x, Tensor) and x._requires_grad:
                    requires = True
                    break
            if requires and out._dtype.is_floating_point:  # integer/bool results never require grad
                # like torch, the graph has an edge per operand (tensors, and numbers torch would wrap as
                # tensors) but none for parameters such as axes, flags or dtypes
                edges = []
                positions = None
                for x in inputs:
                    if isinstance(x, Tensor):
                        edges.append(edge_of(x))
                    elif x.__class__ is float or x.__class__ is int:
                        edges.append(_NO_EDGE)
                    elif positions is None:
                        positions = [j for j, y in enumerate(inputs)
                                     if isinstance(y, Tensor) or y.__class__ is float or y.__class__ is int]
                node.next_functions = tuple(edges)
                node.needs_input_grad = tuple(isinstance(x, Tensor) and x._requires_grad for x in inputs)
                if positions is not None:
                    node._grad_positions = positions
                node._shapes = (out_data.shape,)
                if cls.save_inputs:
                    if cls.saved_needs is not None:
                        keep = cls.saved_needs(inputs)
                        inputs = tuple(x if k or not isinstance(x, Tensor) else None for x, k in zip(inputs, keep))
                    node._saved = inputs
                    node._saved_versions = tuple(x._vc[0] if isinstance(x, Tensor) else None for x in inputs)
                else:
                    node._saved = None
                node._saved_out = (out._data, out._vc, 0, backend, first._device) if cls.save_output else None
                out._requires_grad = True
                out.grad_fn = node
        if trace_state.active:
            trace_state.recorder.record_op(node, inputs, kwargs, out)
        return out

    _grad_positions = None

    def forward(self, *args):
        raise TypeError(f"{type(self).__name__} must define forward()")

    def backward(self, grad):
        raise RuntimeError(f"the derivative for '{type(self).__name__}' is not implemented")

    def _backward(self, grads):
        if self._freed:
            raise RuntimeError(BACKWARD_TWICE)
        result = self.backward(grads[0])
        if not isinstance(result, tuple):
            result = (result,)
        positions = self._grad_positions
        if positions is not None:
            result = tuple(result[i] for i in positions)
        return result


class NonDifferentiable(Op):
    """For ops whose output has no gradient (comparisons, argmax...)."""

    def backward(self, grad):
        return (None,) * len(self.next_functions)
