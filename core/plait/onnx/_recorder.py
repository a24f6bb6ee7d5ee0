"""Recording a model's forward pass for export.

While ``trace_state.active`` is True, ``Op.apply``, ``Function.apply`` and in-place commits report every op
to the ``Recorder``, and forward pre/post hooks on every submodule report which module runs. The recorder
names each tensor it meets: graph inputs, parameters/buffers (by state_dict key), values produced by ops,
and constants (any other tensor, captured by value when first used). Ops are kept as ``Entry`` objects and
converted to ONNX only afterwards, for the entries the graph outputs depend on: ops that run inside a module
with a whole-module converter (``nn.Conv2d`` -> ``Conv``), and ops whose result no output uses, are never
converted, so an op without an ONNX mapping only fails the export when its result is actually needed.
"""
from ..autograd import graph as _graph


class Value:
    """A named ONNX value standing for a tensor: ``kind`` is ``input``, ``param``, ``const`` or ``op``."""
    __slots__ = ("name", "shape", "dtype", "kind", "array", "fill")

    def __init__(self, name, shape, dtype, kind, array=None):
        self.name, self.shape, self.dtype, self.kind, self.array = name, tuple(shape), dtype, kind, array
        # a captured constant whose shape follows dynamic axes, rebuilt at run time:
        # ("uniform", value, dims) or ("ramp", (start, step), dims), dims: [size or (input name, axis)]
        self.fill = None

    @property
    def constant(self):
        return self.kind in ("param", "const")

    def __repr__(self):
        return f"Value({self.name!r}, {self.shape}, {self.dtype})"


class Entry:
    """One recorded op (``kind`` ``op``/``function``) or module call (``module``): its converter key, the
    object that ran (the Op node, the Function class or the Module), its arguments with tensors replaced by
    ``Value`` objects, and the Values of its outputs."""
    __slots__ = ("kind", "key", "obj", "args", "kwargs", "outputs", "module_path", "extra")

    def __init__(self, kind, key, obj, args, kwargs, outputs, module_path, extra=None):
        self.kind, self.key, self.obj, self.args, self.kwargs = kind, key, obj, args, kwargs
        self.outputs, self.module_path, self.extra = outputs, module_path, extra


def _host_array(t):
    """The tensor's values now, as a host array (copied: the tensor may change in place later)."""
    return t.detach().cpu().numpy().copy()


class Recorder:
    def __init__(self, fold_constants, module_converters):
        self.fold_constants = fold_constants
        self.module_converters = module_converters
        self.entries = []
        self._by_tensor = {}      # id(tensor) -> (tensor, version, Value); the tensor is kept alive
        self._by_data = {}        # id(array) -> (array, Value): detached aliases share their array
        self._counter = 0
        self.module_stack = []    # (module, path) of the modules now running
        self._pending = []        # per running module: its input Values (resolved before it runs)

    # ---- naming --------------------------------------------------------------------------------------
    def fresh(self, prefix):
        self._counter += 1
        return f"{prefix}_{self._counter}"

    def bind(self, t, value):
        self._by_tensor[id(t)] = (t, t._vc[0], value)
        self._by_data[id(t._data)] = (t._data, value)

    def value_of(self, t):
        """The Value a tensor holds now; a tensor the recorder has not seen is a constant (its current
        values), unless it shares its memory with a recorded tensor (``detach()``)."""
        known = self._by_tensor.get(id(t))
        if known is not None and known[0] is t:
            if known[1] == t._vc[0]:
                return known[2]
            if known[2].kind not in ("param", "const"):
                from ._builder import UnsupportedOperatorError
                raise UnsupportedOperatorError(
                    f"plait.onnx.export: a tensor was modified in place by an operation plait.onnx cannot "
                    f"record (in module '{self.module_path or '<root>'}'; e.g. an assignment with tensor "
                    "indices, a fill_ or copy_); use an out-of-place op")
        if known is None or known[0] is not t:
            alias = self._by_data.get(id(t._data))
            if alias is not None and alias[0] is t._data:
                return alias[1]
        value = Value(self.fresh("onnx::captured"), t.shape, t._dtype, "const", _host_array(t))
        self.bind(t, value)
        return value

    def _convert_args(self, args):
        Tensor = _graph.Tensor
        out = []
        for a in args:
            if isinstance(a, Tensor):
                out.append(self.value_of(a))
            elif isinstance(a, (list, tuple)) and any(isinstance(x, Tensor) for x in a):
                out.append(type(a)(self.value_of(x) if isinstance(x, Tensor) else x for x in a))
            else:
                out.append(a)
        return out

    @property
    def module_path(self):
        return self.module_stack[-1][1] if self.module_stack else ""

    # ---- hooks called by the core ---------------------------------------------------------------------
    def module_key(self, module):
        """The converter name for a plait.nn layer with a whole-module converter, else None (a user's class,
        even a subclass of such a layer, is exported as the ops its forward runs)."""
        cls = type(module)
        if cls.__module__.startswith("plait.nn.") and cls.__name__ in self.module_converters:
            return cls.__name__
        return None

    def _add(self, kind, key, obj, args, kwargs, outs):
        Tensor = _graph.Tensor
        in_values = [a for a in args if isinstance(a, Value)] + \
            [x for a in args if isinstance(a, (list, tuple)) for x in a if isinstance(x, Value)] + \
            [v for v in kwargs.values() if isinstance(v, Value)]
        fold = self.fold_constants and all(v.constant for v in in_values) and kind != "module"
        values = []
        for o in outs:
            if not isinstance(o, Tensor):
                values.append(None)
                continue
            if fold:
                v = Value(self.fresh("onnx::folded"), o.shape, o._dtype, "const", _host_array(o))
            else:
                v = Value(self.fresh(key), o.shape, o._dtype, "op")
            self.bind(o, v)
            values.append(v)
        if not fold:
            self.entries.append(Entry(kind, key, obj, args, kwargs, values, self.module_path))

    def record_op(self, node, inputs, kwargs, out):
        self._add("op", type(node).__name__, node, self._convert_args(inputs), dict(kwargs), (out,))

    def record_function(self, cls, ctx, args, kwargs, outs):
        # a Function whose forward ran plait ops is exported as those ops (they are recorded already);
        # one that computed on raw arrays (the nn plugin's window kernels) is recorded as itself
        Tensor = _graph.Tensor
        if all(not isinstance(o, Tensor) or self._by_tensor.get(id(o), (None,))[0] is o for o in outs):
            return
        self._add("function", cls.__name__, ctx, self._convert_args(args), dict(kwargs), outs)

    def record_inplace(self, x, out):
        value = self._by_tensor.get(id(out))
        if value is not None and value[0] is out:
            self.bind(x, value[2])

    # ---- module hooks --------------------------------------------------------------------------------
    def pre_hook(self, path):
        def hook(module, args, kwargs):
            self.module_stack.append((module, path))
            if self.module_key(module) is not None:
                if kwargs:  # a converter reads its inputs by position (`lstm(x, hx=state)`)
                    import inspect
                    args = inspect.signature(module.forward).bind(*args, **kwargs).args
                self._pending.append(self._convert_args(args))
        return hook

    def post_hook(self, path):
        def hook(module, args, output):
            self.module_stack.pop()
            key = self.module_key(module)
            if key is not None:
                in_values = self._pending.pop()
                outs = output if isinstance(output, tuple) else (output,)
                flat = []
                for o in outs:
                    flat.extend(o if isinstance(o, tuple) else (o,))
                self.module_stack.append((module, path))
                self._add("module", key, module, in_values, {}, flat)
                self.module_stack.pop()
                self.entries[-1].extra = outs
        return hook
