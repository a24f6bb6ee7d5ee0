"""ONNX conversions of the core ops (``plait.ops``), keyed by Op class name. Each ``convert(b, e)`` emits
nodes through the Builder ``b`` that compute ``e.outputs`` from ``e.args`` (Values and plain arguments as the
op's ``forward`` received them)."""
import math

from ._builder import UnsupportedOperatorError
from ._recorder import Value


def _out(e):
    return [e.outputs[0].name]


def _binary(op_type, swap=False):
    def convert(b, e):
        dtype = e.outputs[0].dtype
        a, c = (b.operand(x, dtype) for x in e.args[:2])
        b.node(op_type, [c, a] if swap else [a, c], _out(e))
    return convert


def _add_like(op_type):
    def convert(b, e):
        dtype = e.outputs[0].dtype
        a, other = b.operand(e.args[0], dtype), e.args[1]
        alpha = e.args[2] if len(e.args) > 2 else e.kwargs.get("alpha", 1)
        if alpha != 1:
            other = b.node("Mul", [b.operand(other, dtype), b.scalar(alpha, dtype)])
        else:
            other = b.operand(other, dtype)
        b.node(op_type, [a, other], _out(e))
    return convert


def _compare(op_type, negate=False):
    def convert(b, e):
        values = [x for x in e.args[:2] if isinstance(x, Value)]
        dtype = values[0].dtype
        for v in values[1:]:  # a common type for mixed operands, as the comparison itself promoted
            if v.dtype.is_floating_point and not dtype.is_floating_point:
                dtype = v.dtype
        a, c = (b.operand(x, dtype) for x in e.args[:2])
        if negate:
            b.node("Not", [b.node(op_type, [a, c])], _out(e))
        else:
            b.node(op_type, [a, c], _out(e))
    return convert


def _unary(op_type):
    def convert(b, e):
        b.node(op_type, [b.operand(e.args[0], e.outputs[0].dtype)], _out(e))
    return convert


def _composite(build):
    """A unary op written with other ONNX ops: ``build(b, x, dtype) -> name``, then renamed to the output."""
    def convert(b, e):
        dtype = e.outputs[0].dtype
        b.node("Identity", [build(b, b.operand(e.args[0], dtype), dtype)], _out(e))
    return convert


def _where(b, e):
    dtype = e.outputs[0].dtype
    cond = e.args[0]
    cond = b.name(cond) if cond.dtype.name == "bool" else b.node("Cast", [cond], to=b.onnx.TensorProto.BOOL)
    b.node("Where", [cond, b.operand(e.args[1], dtype), b.operand(e.args[2], dtype)], _out(e))


def _clamp(b, e):
    dtype = e.outputs[0].dtype
    x, lo, hi = e.args[:3]
    if isinstance(lo, Value) or isinstance(hi, Value):  # tensor bounds: Max/Min broadcast, Clip does not
        y = b.operand(x, dtype)
        if lo is not None:
            y = b.node("Max", [y, b.operand(lo, dtype)])
        if hi is not None:
            y = b.node("Min", [y, b.operand(hi, dtype)])
        b.node("Identity", [y], _out(e))
        return
    b.node("Clip", [b.operand(x, dtype), "" if lo is None else b.scalar(lo, dtype),
                    "" if hi is None else b.scalar(hi, dtype)], _out(e))


def _lerp(b, e):
    dtype = e.outputs[0].dtype
    a, end, w = (b.operand(x, dtype) for x in e.args[:3])
    b.node("Add", [a, b.node("Mul", [w, b.node("Sub", [end, a])])], _out(e))


def _round(b, e):
    decimals = e.args[1] if len(e.args) > 1 else e.kwargs.get("decimals", 0)
    dtype = e.outputs[0].dtype
    x = b.operand(e.args[0], dtype)
    if decimals:
        scale = b.scalar(10.0 ** decimals, dtype)
        b.node("Div", [b.node("Round", [b.node("Mul", [x, scale])]), scale], _out(e))
    else:
        b.node("Round", [x], _out(e))


def _cast(b, e):
    b.node("Cast", [e.args[0]], _out(e), to=b.onnx_type(e.outputs[0].dtype))


def _reshape_target(in_shape, out_shape, dynamic_sizes):
    """The Reshape ``shape`` input for a traced reshape, written so a declared dynamic axis stays dynamic:
    a leading dim kept from the input is 0 ("copy the input's"), and one other dim is -1 (inferred): the
    first whose traced size is that of a declared dynamic axis, else the first not kept."""
    target = list(out_shape)
    kept = 0
    while kept < min(len(in_shape), len(out_shape)) and in_shape[kept] == out_shape[kept]:
        target[kept] = 0
        kept += 1
    if kept < len(target) and -1 not in target:
        rest = range(kept, len(target))
        target[next((i for i in rest if out_shape[i] in dynamic_sizes), kept)] = -1
    return target


def _reshape(b, e):
    x = e.args[0]
    out_shape = e.outputs[0].shape
    target = None
    if e.extra is not None:  # which dims vary with the dynamic axes, from a second trace
        varying_out, varying_in = e.extra
        target = list(out_shape)
        for i in varying_out & varying_in:
            target[i] = 0 if x.shape[i] == out_shape[i] else target[i]
        inferred = [i for i in varying_out if target[i] != 0]
        if len(inferred) > 1:
            target = None  # several merged dynamic dims: the single-trace rule is the best guess
        elif inferred:
            target[inferred[0]] = -1
    if target is None:
        target = _reshape_target(x.shape, out_shape, b.dynamic_sizes)
    b.node("Reshape", [x, b.ints(target)], _out(e))


def _permute(b, e):
    b.node("Transpose", [e.args[0]], _out(e), perm=list(e.args[1]))


def _expand(b, e):
    x = e.args[0]
    target = list(e.outputs[0].shape)
    offset = len(target) - len(x.shape)
    for i, n in enumerate(x.shape):  # 1 keeps the input's own size (dynamic axes stay dynamic)
        if n == target[offset + i]:
            target[offset + i] = 1
    b.node("Expand", [x, b.ints(target)], _out(e))


def _concat(b, e):
    dtype = e.outputs[0].dtype
    b.node("Concat", [b.operand(x, dtype) for x in e.args], _out(e), axis=e.kwargs["axis"])


def _stack(b, e):
    dtype, axis = e.outputs[0].dtype, e.kwargs["axis"]
    parts = [b.node("Unsqueeze", [b.operand(x, dtype), b.ints([axis])]) for x in e.args]
    b.node("Concat", parts, _out(e), axis=axis)


def _flip(b, e):
    axes = list(e.args[1])
    n = len(axes)
    b.node("Slice", [e.args[0], b.ints([-1] * n), b.ints([-2 ** 63] * n), b.ints(axes), b.ints([-1] * n)],
           _out(e))


def _tile(b, e):
    b.node("Tile", [e.args[0], b.ints(e.args[1])], _out(e))


def _tri(b, e):
    x, k, upper = e.args[:3]
    b.node("Trilu", [x, b.int_scalar(k)], _out(e), upper=int(bool(upper)))


def _axes(axes):
    if axes is None:
        return None
    return [axes] if isinstance(axes, int) else list(axes)


def _reduction(op_type):
    def convert(b, e):
        x, axes, keepdim = e.args[:3]
        dtype = e.outputs[0].dtype
        b.reduce(op_type, b.operand(x, dtype), _axes(axes), keepdim, _out(e))
    return convert


def _extreme_all(b, e):
    b.reduce("ReduceMax" if e.args[1] else "ReduceMin", e.args[0], None, False, _out(e))


def _amax(b, e):
    x, axes, keepdim, largest = e.args[:4]
    axes = _axes(axes)
    b.reduce("ReduceMax" if largest else "ReduceMin", x, axes or None, keepdim, _out(e))


def _arg_extreme(b, e):
    x, axis, keepdim, largest = e.args[:4]
    op_type = "ArgMax" if largest else "ArgMin"
    if axis is None:
        flat = b.node("Reshape", [x, b.ints([-1])])
        b.node(op_type, [flat], _out(e), axis=0, keepdims=0)
    else:
        b.node(op_type, [x], _out(e), axis=axis, keepdims=int(keepdim))


def _extreme_dim(b, e):
    x, indices, axis = e.args[:3]
    b.node("GatherElements", [x, indices], _out(e), axis=axis)


def _cumsum(b, e):
    x, axis = e.args[:2]
    b.node("CumSum", [b.operand(x, e.outputs[0].dtype), b.int_scalar(axis)], _out(e))


def _cumprod(b, e):
    """No CumProd in ONNX: |product| as exp(cumsum(log|x|)), its sign from the count of negatives so far,
    and 0 from the first zero on."""
    x, axis = e.args[:2]
    dtype = e.outputs[0].dtype
    x = b.operand(x, dtype)
    ax = b.int_scalar(axis)
    zero, one = b.scalar(0, dtype), b.scalar(1, dtype)
    is_zero = b.node("Equal", [x, zero])
    safe = b.node("Where", [is_zero, one, b.node("Abs", [x])])
    magnitude = b.node("Exp", [b.node("CumSum", [b.node("Log", [safe]), ax])])
    negatives = b.node("CumSum", [b.node("Cast", [b.node("Less", [x, zero])], to=b.onnx_type(dtype)), ax])
    odd = b.node("Equal", [b.node("Sub", [negatives, b.node("Mul", [b.node("Floor", [b.node(
        "Div", [negatives, b.scalar(2, dtype)])]), b.scalar(2, dtype)])]), one])
    signed = b.node("Where", [odd, b.node("Neg", [magnitude]), magnitude])
    zeros_seen = b.node("Greater", [b.node("CumSum", [b.node("Cast", [is_zero], to=b.onnx_type(dtype)), ax]), zero])
    b.node("Where", [zeros_seen, zero, signed], _out(e))


def _matmul(b, e):
    dtype = e.outputs[0].dtype
    b.node("MatMul", [b.operand(x, dtype) for x in e.args[:2]], _out(e))


def _linear(b, e):
    x, w, bias = e.args[:3]
    if len(x.shape) == 2:
        b.node("Gemm", [x, w] + ([bias] if bias is not None else []), _out(e), transB=1)
        return
    # a Transpose node (not a transposed copy) keeps the weight's initializer under its state_dict key
    y = b.node("MatMul", [x, b.node("Transpose", [w], perm=[1, 0])])
    b.node("Add" if bias is not None else "Identity", [y] + ([bias] if bias is not None else []), _out(e))


def _addmm(b, e):
    bias, m1, m2, beta, alpha = e.args[:5]
    dtype = e.outputs[0].dtype
    b.node("Gemm", [b.operand(m1, dtype), b.operand(m2, dtype), b.operand(bias, dtype)], _out(e),
           alpha=float(alpha), beta=float(beta))


def _softmax(op_type):
    def convert(b, e):
        b.node(op_type, [b.operand(e.args[0], e.outputs[0].dtype)], _out(e), axis=e.args[1])
    return convert


def _take(b, e):
    x, index, axis = e.args[:3]
    if axis is None:
        x, axis = b.node("Reshape", [x, b.ints([-1])]), 0
    b.node("Gather", [x, index], _out(e), axis=axis)


def _basic_index(b, e):
    """``x[key]`` with ints, slices and None (what the basic path sees): Slice, then Gather for each int
    (dropping its axis), then Unsqueeze for each None."""
    x, key = e.args[:2]
    key = key if isinstance(key, tuple) else (key,)
    starts, ends, axes, steps, picks, news = [], [], [], [], [], []
    axis = out_axis = 0
    for k in key:
        if k is None:
            news.append(out_axis)
            out_axis += 1
            continue
        if k is Ellipsis:
            skip = len(x.shape) - sum(1 for j in key if j is not None and j is not Ellipsis)
            axis += skip
            out_axis += skip
            continue
        if isinstance(k, slice):
            start, stop, step = k.indices(x.shape[axis])
            if (start, stop, step) != (0, x.shape[axis], 1):
                if step < 0 and stop < 0:
                    stop = -2 ** 63
                elif step > 0 and stop >= x.shape[axis]:
                    stop = 2 ** 63 - 1  # to the end, whatever the size at run time
                starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
            out_axis += 1
        else:
            picks.append((axis, int(k)))
        axis += 1
    y = x
    if axes:
        y = b.node("Slice", [y, b.ints(starts), b.ints(ends), b.ints(axes), b.ints(steps)])
    for a, i in sorted(picks, reverse=True):
        y = b.node("Gather", [y, b.int_scalar(i)], axis=a)
    if news:
        y = b.node("Unsqueeze", [y, b.ints(news)])
    b.node("Identity", [y], _out(e))


def _floor_divide(b, e):
    dtype = e.outputs[0].dtype
    a, c = (b.operand(x, dtype) for x in e.args[:2])
    if dtype.is_floating_point:
        b.node("Floor", [b.node("Div", [a, c])], _out(e))
    else:  # integer Div truncates; torch floors
        fa, fc = (b.node("Cast", [v], to=b.onnx.TensorProto.DOUBLE) for v in (a, c))
        b.node("Cast", [b.node("Floor", [b.node("Div", [fa, fc])])], _out(e), to=b.onnx_type(dtype))


def _remainder(b, e):
    # torch's remainder takes the divisor's sign: a - floor(a / b) * b (Mod with fmod=0 is integer-only)
    dtype = e.outputs[0].dtype
    a, c = (b.operand(x, dtype) for x in e.args[:2])
    if dtype.is_floating_point:
        b.node("Sub", [a, b.node("Mul", [b.node("Floor", [b.node("Div", [a, c])]), c])], _out(e))
    else:
        b.node("Mod", [a, c], _out(e), fmod=0)


def _all_any(b, e):
    x, axes, keepdim, want_all = e.args[:4]
    as_int = b.node("Cast", [x], to=b.onnx.TensorProto.INT32)
    reduced = b.reduce("ReduceMin" if want_all else "ReduceMax", as_int, _axes(axes), keepdim)
    b.node("Cast", [reduced], _out(e), to=b.onnx.TensorProto.BOOL)


def _roll(b, e):
    x, shifts, axes = e.args[:3]
    y = b.name(x)
    if axes is None:
        y = b.node("Reshape", [y, b.ints([-1])])
        shifts, axes = [shifts] if isinstance(shifts, int) else shifts, [0]
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    axes = [axes] if isinstance(axes, int) else list(axes)
    shape = list(x.shape) if e.args[2] is not None else [math.prod(x.shape)]
    for s, a in zip(shifts, axes):
        n = shape[a]
        s %= n
        if s:
            tail = b.node("Slice", [y, b.ints([n - s]), b.ints([n]), b.ints([a])])
            head = b.node("Slice", [y, b.ints([0]), b.ints([n - s]), b.ints([a])])
            y = b.node("Concat", [tail, head], axis=a)
    if e.args[2] is None:
        y = b.node("Reshape", [y, b.ints(list(x.shape))])
    b.node("Identity", [y], _out(e))


def _basic_index_put(b, e):
    """``x[key] = v`` for ints and slices: Where(mask of the selected cells, v, x). The mask is built from
    one boolean vector per indexed axis (full slices add none, so dynamic axes stay dynamic); a tensor ``v``
    is padded out to ``x``'s shape, which needs unit steps."""
    x, v, key = e.args[:3]
    rank = len(x.shape)
    mask = None
    pads_before, pads_after = [0] * rank, [0] * rank
    unsqueeze = []
    for axis, k in enumerate(key):
        n = x.shape[axis]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            chosen = set(range(start, stop, step))
            if chosen == set(range(n)):
                continue
            if isinstance(v, Value) and step != 1:
                raise UnsupportedOperatorError(
                    f"plait.onnx.export: assigning a tensor to a strided slice (module "
                    f"'{e.module_path or '<root>'}') has no ONNX mapping in opset {b.opset}")
            pads_before[axis], pads_after[axis] = start, n - max(stop, start)
        else:
            index = k % n
            chosen = {index}
            unsqueeze.append(axis)
            pads_before[axis], pads_after[axis] = index, n - index - 1
        dims = [1] * rank
        dims[axis] = n
        vector = b.const([i in chosen for i in range(n)], b.onnx.TensorProto.BOOL, dims=dims)
        mask = vector if mask is None else b.node("And", [mask, vector])
    if mask is None:
        mask = b.const([True], b.onnx.TensorProto.BOOL, dims=[1] * rank)
    dtype = e.outputs[0].dtype
    if isinstance(v, Value):
        value = b.operand(v, dtype)
        if unsqueeze:
            value = b.node("Unsqueeze", [value, b.ints(unsqueeze)])
        if any(pads_before) or any(pads_after):
            value = b.node("Pad", [value, b.ints(pads_before + pads_after)])
    else:
        value = b.scalar(v, dtype)
    b.node("Where", [mask, value, x], _out(e))


def _atan2(b, e):
    # atan(y / x), moved to the right quadrant where x <= 0 (atan2(0, 0) = 0, as torch gives)
    dtype = e.outputs[0].dtype
    y, x = (b.operand(v, dtype) for v in e.args[:2])
    zero, pi = b.scalar(0, dtype), b.scalar(math.pi, dtype)
    base = b.node("Atan", [b.node("Div", [y, x])])
    up = b.node("GreaterOrEqual", [y, zero])
    shifted = b.node("Add", [base, b.node("Where", [up, pi, b.node("Neg", [pi])])])
    on_axis = b.node("Where", [b.node("Greater", [y, zero]), b.scalar(math.pi / 2, dtype),
                               b.node("Where", [b.node("Less", [y, zero]), b.scalar(-math.pi / 2, dtype), zero])])
    b.node("Where", [b.node("Greater", [x, zero]), base,
                     b.node("Where", [b.node("Less", [x, zero]), shifted, on_axis])], _out(e))


def _argsort(b, e):
    # TopK over the whole axis: ties keep the lower index first, which is the stable order plait sorts in
    x, axis, descending = e.args[:3]
    _, indices = b.node("TopK", [x, b.ints([x.shape[axis]])], 2, axis=axis, largest=int(bool(descending)),
                        sorted=1)
    b.node("Identity", [indices], _out(e))


def _trunc(b, e):
    x = e.args[0]
    negative = b.node("Less", [x, b.scalar(0, x.dtype)])
    b.node("Where", [negative, b.node("Ceil", [x]), b.node("Floor", [x])], _out(e))


def _math(op_type, constant):
    def build(b, x, dtype):
        return b.node(op_type, [x, b.scalar(constant, dtype)])
    return build


CONVERTERS = {
    "Add": _add_like("Add"), "Sub": _add_like("Sub"), "RSub": _binary("Sub", swap=True),
    "Mul": _binary("Mul"), "Div": _binary("Div"), "RDiv": _binary("Div", swap=True),
    "Pow": _binary("Pow"), "RPow": _binary("Pow", swap=True),
    "Maximum": _binary("Max"), "Minimum": _binary("Min"),
    "Where": _where, "Clamp": _clamp, "Lerp": _lerp,
    "Neg": _unary("Neg"), "Abs": _unary("Abs"), "Exp": _unary("Exp"), "Log": _unary("Log"),
    "Sqrt": _unary("Sqrt"), "Sin": _unary("Sin"), "Cos": _unary("Cos"), "Tan": _unary("Tan"),
    "Asin": _unary("Asin"), "Acos": _unary("Acos"), "Atan": _unary("Atan"), "Sinh": _unary("Sinh"),
    "Cosh": _unary("Cosh"), "Tanh": _unary("Tanh"), "Sigmoid": _unary("Sigmoid"), "Relu": _unary("Relu"),
    "Reciprocal": _unary("Reciprocal"), "Erf": _unary("Erf"), "Sign": _unary("Sign"),
    "Floor": _unary("Floor"), "Ceil": _unary("Ceil"), "Round": _round,
    "Square": _composite(lambda b, x, dtype: b.node("Mul", [x, x])),
    "Rsqrt": _composite(lambda b, x, dtype: b.node("Reciprocal", [b.node("Sqrt", [x])])),
    "Expm1": _composite(lambda b, x, dtype: b.node("Sub", [b.node("Exp", [x]), b.scalar(1, dtype)])),
    "Log1p": _composite(lambda b, x, dtype: b.node("Log", [b.node("Add", [x, b.scalar(1, dtype)])])),
    "Log2": _composite(lambda b, x, dtype: _math("Div", math.log(2.0))(b, b.node("Log", [x]), dtype)),
    "Log10": _composite(lambda b, x, dtype: _math("Div", math.log(10.0))(b, b.node("Log", [x]), dtype)),
    "Cast": _cast,
    # the comparison Op classes carry the Array API function's name
    "equal": _compare("Equal"), "not_equal": _compare("Equal", negate=True), "less": _compare("Less"),
    "less_equal": _compare("LessOrEqual"), "greater": _compare("Greater"),
    "greater_equal": _compare("GreaterOrEqual"), "logical_and": _compare("And"),
    "logical_or": _compare("Or"), "logical_xor": _compare("Xor"),
    "LogicalNot": lambda b, e: b.node("Not", [e.args[0]], _out(e)),
    "IsNan": lambda b, e: b.node("IsNaN", [e.args[0]], _out(e)),
    "IsInf": lambda b, e: b.node("IsInf", [e.args[0]], _out(e)),
    "Reshape": _reshape, "Permute": _permute, "Expand": _expand, "Concat": _concat, "Stack": _stack,
    "Flip": _flip, "Tile": _tile, "Tri": _tri,
    "Sum": _reduction("ReduceSum"), "Mean": _reduction("ReduceMean"), "Prod": _reduction("ReduceProd"),
    "Norm2": _reduction("ReduceL2"), "ExtremeAll": _extreme_all, "Amax": _amax,
    "ArgExtreme": _arg_extreme, "ExtremeDim": _extreme_dim, "CumSum": _cumsum,
    "Matmul": _matmul, "Linear": _linear, "Addmm": _addmm,
    "Softmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
    "Take": _take, "BasicIndex": _basic_index, "Clone": lambda b, e: b.node("Identity", [e.args[0]], _out(e)),
    "BasicIndexPut": _basic_index_put, "Trunc": _trunc, "Atan2": _atan2, "CumProd": _cumprod, "_ArgSort": _argsort, "FloorDivide": _floor_divide, "Remainder": _remainder, "AllAny": _all_any, "Roll": _roll,
}


def _im2col(b, e):
    """The nn plugin's window extraction (functional convolution and pooling): each kernel offset is one
    strided Slice of the padded input, stacked on a new axis (N, C, kh*kw, Ho, Wo), or (C, kh*kw, N, Ho, Wo)
    with ``batch_inside``; the ops after it (products, reductions) are recorded as ops."""
    x, kernel, dilation, padding, stride, out_hw = e.args[:6]
    pad_value = e.args[6] if len(e.args) > 6 else e.kwargs.get("pad_value", 0.0)
    batch_inside = e.args[7] if len(e.args) > 7 else e.kwargs.get("batch_inside", False)
    y = b.name(x)
    if any(padding):
        top, bottom, left, right = padding
        y = b.node("Pad", [y, b.ints([0, 0, top, left, 0, 0, bottom, right]),
                           b.scalar(pad_value, x.dtype)], mode="constant")
    parts = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            starts = [i * dilation[0], j * dilation[1]]
            ends = [s + st * (n - 1) + 1 for s, st, n in zip(starts, stride, out_hw)]
            piece = b.node("Slice", [y, b.ints(starts), b.ints(ends), b.ints([2, 3]), b.ints(stride)])
            parts.append(b.node("Unsqueeze", [piece, b.ints([2])]))
    cols = parts[0] if len(parts) == 1 else b.node("Concat", parts, axis=2)
    if batch_inside:
        b.node("Transpose", [cols], _out(e), perm=[1, 2, 0, 3, 4])
    else:
        b.node("Identity", [cols], _out(e))


FUNCTION_CONVERTERS = {"_Im2Col": _im2col}
