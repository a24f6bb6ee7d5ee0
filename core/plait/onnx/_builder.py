"""Assembling the ONNX graph: nodes, initializers, value names (with the ``onnx`` package's helpers)."""
from ..tensor import Tensor
from ._recorder import Value

_ONNX_TYPES = {"float32": "FLOAT", "float64": "DOUBLE", "float16": "FLOAT16", "bfloat16": "BFLOAT16",
               "int64": "INT64", "int32": "INT32", "int16": "INT16", "int8": "INT8", "uint8": "UINT8",
               "bool": "BOOL"}


class OnnxExporterError(RuntimeError):
    """Raised for export arguments or models plait's exporter cannot turn into ONNX."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op ran during export that has no ONNX mapping in the target opset."""


def onnx_type(onnx, dtype):
    try:
        return getattr(onnx.TensorProto, _ONNX_TYPES[dtype.name])
    except KeyError:
        raise UnsupportedOperatorError(f"plait.onnx.export: dtype {dtype} has no ONNX equivalent") from None


class Builder:
    def __init__(self, onnx, opset, resolve, fold):
        self.onnx, self.opset = onnx, opset
        self.resolve = resolve  # Tensor -> Value (a module's parameters, named by the recorder)
        self.fold = fold
        self.dynamic_sizes = set()  # the traced sizes of the declared dynamic axes
        self.nodes = []
        # name -> TensorProto (insertion order: first use); a recorded tensor's host array becomes one
        # through onnx.numpy_helper (plait's core itself imports no array library)
        self.initializers = {}
        self._count = 0
        self.filled = set()  # names of the fills already emitted

    def fresh(self, prefix):
        self._count += 1
        return f"/{prefix}_{self._count}"

    def name(self, v):
        """The ONNX name of a Value, registering its initializer on first use."""
        if v.fill is not None:
            if v.name not in self.filled:
                self.filled.add(v.name)
                self._emit_fill(v)
            return v.name
        if v.constant and v.name not in self.initializers:
            self.initializers[v.name] = self.onnx.numpy_helper.from_array(v.array, v.name)
        return v.name

    def _emit_fill(self, v):
        """A captured constant rebuilt at run time from the graph inputs' dynamic sizes: one value
        (ConstantOfShape) or a ramp along the one varying axis (Range, reshaped)."""
        kind, value, dims = v.fill
        parts = []
        for d in dims:
            if isinstance(d, tuple):
                shape = self.node("Shape", [d[0]])
                parts.append(self.node("Gather", [shape, self.ints([d[1]])], axis=0))
            else:
                parts.append(self.ints([d]))
        if kind == "uniform":
            shape = parts[0] if len(parts) == 1 else self.node("Concat", parts, axis=0)
            tensor = self.onnx.helper.make_tensor("value", self.onnx_type(v.dtype), [1], [value])
            self.node("ConstantOfShape", [shape], [v.name], value=tensor)
            return
        start, step = value
        axis = next(i for i, d in enumerate(dims) if isinstance(d, tuple))
        length = self.node("Cast", [self.node("Squeeze", [parts[axis]])], to=self.onnx_type(v.dtype))
        first = self.scalar(start, v.dtype)
        stride = self.scalar(step, v.dtype)
        end = self.node("Add", [first, self.node("Mul", [length, stride])])
        ramp = self.node("Range", [first, end, stride])
        self.node("Reshape", [ramp, self.ints([-1 if i == axis else 1 for i in range(len(dims))])], [v.name])

    def node(self, op_type, inputs, outputs=1, domain=None, **attrs):
        names = [self.name(self.resolve(i) if isinstance(i, Tensor) else i) if not isinstance(i, str) else i
                 for i in inputs]
        if isinstance(outputs, int):
            outputs = [self.fresh(op_type) for _ in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op_type, names, outputs, name=outputs[0] + "_node",
                                                      **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def const(self, values, dtype, dims=None):
        """A new initializer holding ``values`` (a number, or a flat list with ``dims``, default its length)
        of ``dtype`` (a plait dtype or an ONNX TensorProto type)."""
        self._count += 1
        name = f"onnx::const_{self._count}"
        kind = dtype if isinstance(dtype, int) else self.onnx_type(dtype)
        if isinstance(values, (list, tuple)):
            flat, dims = list(values), [len(values)] if dims is None else list(dims)
        else:
            flat, dims = [values], []
        self.initializers[name] = self.onnx.helper.make_tensor(name, kind, dims, flat)
        return name

    def ints(self, values):
        return self.const(list(values), self.onnx.TensorProto.INT64)

    def int_scalar(self, value):
        return self.const(int(value), self.onnx.TensorProto.INT64)

    def scalar(self, value, dtype):
        return self.const(bool(value) if dtype.name == "bool" else value, dtype)

    def onnx_type(self, dtype):
        return onnx_type(self.onnx, dtype)

    def operand(self, x, dtype):
        """An input of an elementwise op with result type ``dtype``: a Value (cast when it differs) or a
        Python number (a constant of that type)."""
        if isinstance(x, Value):
            if x.dtype is dtype:
                return self.name(x)
            return self.node("Cast", [x], to=self.onnx_type(dtype))
        return self.scalar(x, dtype)

    def reduce(self, op_type, x, axes, keepdims, outputs=1):
        """A Reduce* node over ``axes`` (None: all) in this opset's form (axes became an input in opset 13
        for ReduceSum and in 18 for the others)."""
        takes_input = op_type == "ReduceSum" or self.opset >= 18
        if axes is None:
            return self.node(op_type, [x], outputs, keepdims=int(keepdims))
        axes = list(axes)
        if takes_input:
            return self.node(op_type, [x, self.ints(axes)], outputs, keepdims=int(keepdims))
        return self.node(op_type, [x], outputs, axes=axes, keepdims=int(keepdims))
