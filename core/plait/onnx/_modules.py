"""ONNX conversions of whole ``plait.nn`` modules, keyed by class name (no import of ``plait.nn``): layers
whose plait forward is an im2col/window computation or a stateful one (convolution, pooling, batch
normalization) are exported as the one ONNX op that means the same thing. ``convert(b, e)``: ``e.obj`` is
the module, ``e.args`` its input Values, ``e.outputs`` its output Values."""
from ._builder import UnsupportedOperatorError


def _out(e):
    return [e.outputs[0].name]


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _refuse(e, b, why):
    raise UnsupportedOperatorError(
        f"plait.onnx.export: {type(e.obj).__name__} at module '{e.module_path or '<root>'}' cannot be "
        f"exported to ONNX opset {b.opset}: {why}")


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _onnx_pads(before_after_per_axis):
    """ONNX ``pads``: all the begins, then all the ends, for the spatial axes in order."""
    return [p[0] for p in before_after_per_axis] + [p[1] for p in before_after_per_axis]


def _conv(b, e):
    m = e.obj
    nd = len(m.kernel_size)
    x = e.args[0]
    if isinstance(m.padding, str):
        total = [d * (k - 1) for d, k in zip(_tuple(m.dilation, nd), m.kernel_size)]
        per_axis = [(t // 2, t - t // 2) if m.padding == "same" else (0, 0) for t in total]
    else:
        per_axis = [(p, p) for p in _tuple(m.padding, nd)]
    if m.padding_mode != "zeros":
        mode = _PAD_MODES[m.padding_mode]
        if mode == "wrap" and b.opset < 19:
            _refuse(e, b, "padding_mode='circular' needs Pad mode 'wrap' (opset 19 or later)")
        full = [0, 0] + [p[0] for p in per_axis] + [0, 0] + [p[1] for p in per_axis]
        x = b.node("Pad", [x, b.ints(full)], mode=mode)
        per_axis = [(0, 0)] * nd
    inputs = [x, m.weight] + ([m.bias] if m.bias is not None else [])
    b.node("Conv", inputs, _out(e), kernel_shape=list(m.kernel_size), strides=list(_tuple(m.stride, nd)),
           dilations=list(_tuple(m.dilation, nd)), group=m.groups, pads=_onnx_pads(per_axis))


def _conv_transpose(b, e):
    m = e.obj
    nd = len(m.kernel_size)
    if m.padding_mode != "zeros":
        _refuse(e, b, f"padding_mode='{m.padding_mode}'")
    pads = _tuple(m.padding, nd)
    inputs = [e.args[0], m.weight] + ([m.bias] if m.bias is not None else [])
    b.node("ConvTranspose", inputs, _out(e), kernel_shape=list(m.kernel_size),
           strides=list(_tuple(m.stride, nd)), dilations=list(_tuple(m.dilation, nd)), group=m.groups,
           pads=list(pads) * 2, output_padding=list(_tuple(m.output_padding, nd)))


def _pool_geometry(m, nd):
    kernel = _tuple(m.kernel_size, nd)
    stride = _tuple(m.stride if m.stride not in (None, ()) else m.kernel_size, nd)
    pads = _tuple(m.padding, nd)
    return list(kernel), list(stride), list(pads) * 2


def _max_pool(nd):
    def convert(b, e):
        m = e.obj
        if m.return_indices:
            _refuse(e, b, "return_indices=True (ONNX MaxPool's indices are not torch's)")
        kernel, stride, pads = _pool_geometry(m, nd)
        b.node("MaxPool", [e.args[0]], _out(e), kernel_shape=kernel, strides=stride, pads=pads,
               dilations=list(_tuple(m.dilation, nd)), ceil_mode=int(m.ceil_mode))
    return convert


def _avg_pool(nd):
    def convert(b, e):
        m = e.obj
        if getattr(m, "divisor_override", None) is not None:
            _refuse(e, b, "divisor_override")
        kernel, stride, pads = _pool_geometry(m, nd)
        if m.ceil_mode:
            _refuse(e, b, "ceil_mode=True (torch drops windows that start in the padding; ONNX does not)")
        b.node("AveragePool", [e.args[0]], _out(e), kernel_shape=kernel, strides=stride, pads=pads,
               count_include_pad=int(m.count_include_pad))
    return convert


def _adaptive_pool(nd, op_type, global_op):
    def convert(b, e):
        m = e.obj
        x = e.args[0]
        spatial = x.shape[-nd:]
        size = [s if o is None else o for o, s in zip(_tuple(m.output_size, nd), spatial)]
        if all(o == 1 for o in size):
            b.node(global_op, [x], _out(e))
            return
        if any(s % o for s, o in zip(spatial, size)):
            _refuse(e, b, f"output_size {tuple(size)} does not divide the input size {tuple(spatial)} "
                          "(only then is it a fixed-window pooling)")
        kernel = [s // o for s, o in zip(spatial, size)]
        b.node(op_type, [x], _out(e), kernel_shape=kernel, strides=kernel)
    return convert


def _ones_or(b, t, n, value, dtype):
    return t if t is not None else b.const([value] * n, dtype)


def _batch_norm(b, e):
    m = e.obj
    x = e.args[0]
    if m.running_mean is None:
        _refuse(e, b, "track_running_stats=False (it normalizes with the batch's statistics in eval too)")
    scale = _ones_or(b, m.weight, m.num_features, 1.0, x.dtype)
    bias = _ones_or(b, m.bias, m.num_features, 0.0, x.dtype)
    b.node("BatchNormalization", [x, scale, bias, m.running_mean, m.running_var], _out(e),
           epsilon=float(m.eps))


def _instance_norm(b, e):
    m = e.obj
    x = e.args[0]
    if m.track_running_stats:
        return _batch_norm(b, e)
    scale = _ones_or(b, m.weight, m.num_features, 1.0, x.dtype)
    bias = _ones_or(b, m.bias, m.num_features, 0.0, x.dtype)
    b.node("InstanceNormalization", [x, scale, bias], _out(e), epsilon=float(m.eps))


def _layer_norm(b, e):
    m = e.obj
    x = e.args[0]
    shape = list(m.normalized_shape)
    n = 1
    for s in shape:
        n *= s
    scale = m.weight if m.weight is not None else b.const([1.0] * n, x.dtype, dims=shape)
    inputs = [x, scale] + ([m.bias] if getattr(m, "bias", None) is not None else [])
    b.node("LayerNormalization", inputs, _out(e), axis=-len(shape), epsilon=float(m.eps))


def _group_norm(b, e):
    # written out (GroupNormalization changed its scale's meaning between opsets 18 and 21)
    m = e.obj
    x = e.args[0]
    dtype = x.dtype
    grouped = b.node("Reshape", [x, b.ints([0, m.num_groups, -1])])
    mean = b.reduce("ReduceMean", grouped, [2], True)
    centred = b.node("Sub", [grouped, mean])
    var = b.reduce("ReduceMean", b.node("Mul", [centred, centred]), [2], True)
    normed = b.node("Div", [centred, b.node("Sqrt", [b.node("Add", [var, b.scalar(m.eps, dtype)])])])
    y = b.node("Reshape", [normed, b.node("Shape", [x])])
    if m.affine:
        per_channel = [m.num_channels] + [1] * (len(x.shape) - 2)
        y = b.node("Mul", [y, b.node("Reshape", [m.weight, b.ints(per_channel)])])
        y = b.node("Add", [y, b.node("Reshape", [m.bias, b.ints(per_channel)])])
    b.node("Identity", [y], _out(e))


def _pixel_shuffle(b, e):
    x = e.args[0]
    if len(x.shape) != 4:
        _refuse(e, b, f"a {len(x.shape)}-d input (DepthToSpace takes N, C, H, W)")
    b.node("DepthToSpace", [x], _out(e), blocksize=e.obj.upscale_factor, mode="CRD")


def _pixel_unshuffle(b, e):
    x = e.args[0]
    if len(x.shape) != 4:
        _refuse(e, b, f"a {len(x.shape)}-d input (SpaceToDepth takes N, C, H, W)")
    # SpaceToDepth orders channels (block, C); torch's pixel_unshuffle orders them (C, block): written out
    r = e.obj.downscale_factor
    n, c, h, w = x.shape
    y = b.node("Reshape", [x, b.ints([0, c, h // r, r, w // r, r])])
    y = b.node("Transpose", [y], perm=[0, 1, 3, 5, 2, 4])
    b.node("Reshape", [y, b.ints([0, c * r * r, h // r, w // r])], _out(e))


def _upsample(b, e):
    m = e.obj
    x = e.args[0]
    out_shape = e.outputs[0].shape
    if m.mode not in ("nearest", "bilinear", "linear"):
        _refuse(e, b, f"mode='{m.mode}'")
    if m.mode == "nearest":
        kwargs = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:
        transform = "align_corners" if m.align_corners else "pytorch_half_pixel"
        kwargs = dict(mode="linear", coordinate_transformation_mode=transform)
    if m.scale_factor is not None and not getattr(m, "recompute_scale_factor", None):
        nd = len(x.shape) - 2
        scales = [1.0, 1.0] + [float(s) for s in _tuple(m.scale_factor, nd)]
        b.node("Resize", [x, "", b.const(scales, b.onnx.TensorProto.FLOAT)], _out(e), **kwargs)
    else:
        # (N, C) from the input at run time, so a dynamic batch stays dynamic
        leading = b.node("Slice", [b.node("Shape", [x]), b.ints([0]), b.ints([2])])
        sizes = b.node("Concat", [leading, b.ints(out_shape[2:])], axis=0)
        b.node("Resize", [x, "", "", sizes], _out(e), **kwargs)


CONVERTERS = {
    "Conv1d": _conv, "Conv2d": _conv, "Conv3d": _conv,
    "ConvTranspose1d": _conv_transpose, "ConvTranspose2d": _conv_transpose, "ConvTranspose3d": _conv_transpose,
    "MaxPool1d": _max_pool(1), "MaxPool2d": _max_pool(2), "MaxPool3d": _max_pool(3),
    "AvgPool1d": _avg_pool(1), "AvgPool2d": _avg_pool(2), "AvgPool3d": _avg_pool(3),
    "AdaptiveAvgPool1d": _adaptive_pool(1, "AveragePool", "GlobalAveragePool"),
    "AdaptiveAvgPool2d": _adaptive_pool(2, "AveragePool", "GlobalAveragePool"),
    "AdaptiveMaxPool1d": _adaptive_pool(1, "MaxPool", "GlobalMaxPool"),
    "AdaptiveMaxPool2d": _adaptive_pool(2, "MaxPool", "GlobalMaxPool"),
    "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm, "BatchNorm3d": _batch_norm,
    "InstanceNorm1d": _instance_norm, "InstanceNorm2d": _instance_norm, "InstanceNorm3d": _instance_norm,
    "LayerNorm": _layer_norm, "GroupNorm": _group_norm,
    "PixelShuffle": _pixel_shuffle, "PixelUnshuffle": _pixel_unshuffle,
    "Upsample": _upsample, "UpsamplingNearest2d": _upsample, "UpsamplingBilinear2d": _upsample,
}


# ---- recurrent layers: ONNX's own LSTM / GRU / RNN ops, one per layer ------------------------------------
# torch stacks the gate blocks of its weights i,f,g,o (LSTM) and r,z,n (GRU); ONNX wants i,o,f,c and z,r,h
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN": (0,)}


def _gate_rows(b, kind, hidden):
    rows = [g * hidden + j for g in _GATE_ORDER[kind] for j in range(hidden)]
    return b.ints(rows)


def _recurrent(kind):
    def convert(b, e):
        from ._recorder import Value
        m = e.obj
        x = e.args[0]
        if not isinstance(x, Value):
            _refuse(e, b, "a PackedSequence input (export padded tensors)")
        if getattr(m, "proj_size", 0):
            _refuse(e, b, "proj_size > 0 (ONNX's LSTM has no projection)")
        state = e.args[1] if len(e.args) > 1 else None
        if isinstance(state, tuple):
            h0, c0 = state
        else:
            h0, c0 = state, None
        unbatched = len(x.shape) == 2
        if unbatched:  # (L, H_in) and states (layers, H): a batch of one
            x = b.node("Unsqueeze", [x, b.ints([0 if m.batch_first else 1])])
            h0, c0 = (None if s is None else b.node("Unsqueeze", [s, b.ints([1])]) for s in (h0, c0))
        dirs = 2 if m.bidirectional else 1
        hidden = m.hidden_size
        rows = _gate_rows(b, kind, hidden)
        y = b.node("Transpose", [x], perm=[1, 0, 2]) if m.batch_first else x
        finals_h, finals_c = [], []
        for layer in range(m.num_layers):
            suffixes = [f"_l{layer}", f"_l{layer}_reverse"][:dirs]

            def stacked(prefix, concat_axis=0, pair=None):
                parts = []
                for s in suffixes:
                    names = [prefix + s] if pair is None else [p + s for p in pair]
                    picked = [b.node("Gather", [getattr(m, n), rows], axis=0) for n in names]
                    joined = picked[0] if len(picked) == 1 else b.node("Concat", picked, axis=0)
                    parts.append(b.node("Unsqueeze", [joined, b.ints([0])]))
                return parts[0] if len(parts) == 1 else b.node("Concat", parts, axis=concat_axis)
            w = stacked("weight_ih")
            r = stacked("weight_hh")
            bias = stacked(None, pair=("bias_ih", "bias_hh")) if m.bias else ""
            inputs = [y, w, r, bias, ""]
            for s in (h0, c0) if kind == "LSTM" else (h0,):
                if s is None:
                    inputs.append("")
                else:
                    inputs.append(b.node("Slice", [s, b.ints([layer * dirs]), b.ints([(layer + 1) * dirs]),
                                                   b.ints([0])]))
            attrs = dict(hidden_size=hidden, direction="bidirectional" if dirs == 2 else "forward")
            if kind == "GRU":
                attrs["linear_before_reset"] = 1
            if kind == "RNN":
                attrs["activations"] = ["Tanh" if m.nonlinearity == "tanh" else "Relu"] * dirs
            outs = b.node(kind, inputs, 3 if kind == "LSTM" else 2, **attrs)
            seq = b.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # (seq, dirs, batch, H) -> (seq, batch, ...)
            y = b.node("Reshape", [seq, b.ints([0, 0, -1])])
            finals_h.append(outs[1])
            if kind == "LSTM":
                finals_c.append(outs[2])
        names = [v.name for v in e.outputs]
        if m.batch_first:
            y = b.node("Transpose", [y], perm=[1, 0, 2])
        if unbatched:
            y = b.node("Squeeze", [y, b.ints([0 if m.batch_first else 1])])
        b.node("Identity", [y], [names[0]])
        for finals, name in zip((finals_h, finals_c), names[1:]):
            joined = b.node("Concat", finals, axis=0)
            if unbatched:
                b.node("Squeeze", [joined, b.ints([1])], [name])
            else:
                b.node("Identity", [joined], [name])
    return convert


CONVERTERS.update({"LSTM": _recurrent("LSTM"), "GRU": _recurrent("GRU"), "RNN": _recurrent("RNN")})
