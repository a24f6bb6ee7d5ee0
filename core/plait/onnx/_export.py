"""Running the model under the recorder and turning the record into an ONNX ModelProto."""
from ..autograd.graph import trace_state
from ..autograd.grad_mode import no_grad
from ._builder import Builder, OnnxExporterError, UnsupportedOperatorError
from ._modules import CONVERTERS as MODULE_CONVERTERS
from ._ops import CONVERTERS as OP_CONVERTERS, FUNCTION_CONVERTERS
from ._recorder import Recorder, Value


def _run_recorded(model, args, kwargs, recorder):
    handles = []
    was_training = model.training
    try:
        for path, module in model.named_modules():
            handles.append(module.register_forward_pre_hook(recorder.pre_hook(path), with_kwargs=True))
            handles.append(module.register_forward_hook(recorder.post_hook(path)))
        model.eval()
        with no_grad():
            trace_state.recorder = recorder
            trace_state.active = True
            try:
                return model(*args, **kwargs)
            finally:
                trace_state.active = False
                trace_state.recorder = None
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)


def _symbolic_dims(dynamic_axes, name):
    axes = (dynamic_axes or {}).get(name)
    if axes is None:
        return {}
    if isinstance(axes, dict):
        return {int(a): str(n) for a, n in axes.items()}
    return {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}


def _value_info(onnx, b, name, value, dynamic_axes):
    symbolic = _symbolic_dims(dynamic_axes, name)
    shape = [symbolic.get(i, n) for i, n in enumerate(value.shape)]
    return onnx.helper.make_tensor_value_info(name, b.onnx_type(value.dtype), shape)


def _live_entries(entries, outputs):
    """The entries the outputs depend on, in recording order."""
    producer = {}
    for i, e in enumerate(entries):
        for v in e.outputs:
            if v is not None:
                producer[id(v)] = i
    needed, stack = set(), [v for v in outputs]
    while stack:
        v = stack.pop()
        i = producer.get(id(v))
        if i is None or i in needed:
            continue
        needed.add(i)
        e = entries[i]
        deps = [a for a in e.args if isinstance(a, Value)]
        deps += [x for a in e.args if isinstance(a, (list, tuple)) for x in a if isinstance(x, Value)]
        deps += [a for a in e.kwargs.values() if isinstance(a, Value)]
        stack.extend(deps)
    return [entries[i] for i in sorted(needed)]


def _convert(b, e):
    table = {"module": MODULE_CONVERTERS, "op": OP_CONVERTERS, "function": FUNCTION_CONVERTERS}[e.kind]
    convert = table.get(e.key)
    if convert is None:
        what = {"op": "op", "function": "autograd Function"}[e.kind]
        raise UnsupportedOperatorError(
            f"plait.onnx.export: the {what} '{e.key}' (run in module '{e.module_path or '<root>'}') has no "
            f"ONNX mapping in opset {b.opset}")
    convert(b, e)


def _prepared_recorder(model, args, kwargs, input_names, export_params, do_constant_folding):
    """A Recorder that knows the model's parameters/buffers (by state_dict key) and the graph inputs."""
    from ..tensor import Tensor
    from ._recorder import _host_array
    recorder = Recorder(do_constant_folding, MODULE_CONVERTERS)
    for key, t in model.state_dict(keep_vars=True).items():
        if isinstance(t, Tensor) and id(t) not in recorder._by_tensor:  # a tied tensor keeps its first key
            recorder.bind(t, Value(key, t.shape, t._dtype, "param" if export_params else "input",
                                   _host_array(t) if export_params else None))
    for a in list(args) + list(kwargs.values()):
        if a is not None and not isinstance(a, (Tensor, int, float, bool, str)):
            raise TypeError(f"plait.onnx.export: model arguments must be tensors or Python scalars, got "
                            f"{type(a).__name__}")
    flat_inputs = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
    names = list(input_names or [])
    if len(names) > len(flat_inputs):
        raise ValueError(f"plait.onnx.export: {len(names)} input_names given for {len(flat_inputs)} tensor "
                         "inputs")
    kw_names = [k for k, v in kwargs.items() if isinstance(v, Tensor)]
    graph_inputs = []
    for i, t in enumerate(flat_inputs):
        if i < len(names):
            name = names[i]
        elif i >= len(flat_inputs) - len(kw_names):
            name = kw_names[i - (len(flat_inputs) - len(kw_names))]
        else:
            name = f"input_{i}" if len(flat_inputs) > 1 else "input"
        v = Value(name, t.shape, t._dtype, "input")
        recorder.bind(t, v)
        graph_inputs.append(v)
    return recorder, graph_inputs


def _grown(args, kwargs, graph_inputs, dynamic_axes):
    """The inputs once more, each declared dynamic axis one longer (its first slice repeated at the end)."""
    from ..tensor import Tensor
    from ..ops.shape import cat
    values = iter(graph_inputs)

    def grow(t):
        for axis in _symbolic_dims(dynamic_axes, next(values).name):
            t = cat([t, t.narrow(axis, 0, 1)], axis)
        return t
    new_args = tuple(grow(a) if isinstance(a, Tensor) else a for a in args)
    new_kwargs = {k: grow(v) if isinstance(v, Tensor) else v for k, v in kwargs.items()}
    return new_args, new_kwargs


def _dims_from_inputs(shape_a, shape_b, inputs_a, inputs_b):
    """For a shape seen as ``shape_a`` and ``shape_b`` in the two traces: per dim, its size (when equal) or
    the (graph input, axis) whose sizes changed the same way; None when some dim matches no input axis."""
    dims = []
    for m, n in zip(shape_a, shape_b):
        if m == n:
            dims.append(m)
            continue
        source = next(((va.name, axis) for va, vb in zip(inputs_a, inputs_b)
                       for axis, (p, q) in enumerate(zip(va.shape, vb.shape)) if (p, q) == (m, n)), None)
        if source is None:
            return None
        dims.append(source)
    return dims


def _flat_args(entry):
    return [x for a in entry.args for x in (a if isinstance(a, (list, tuple)) else (a,))] + \
        list(entry.kwargs.values())


def _mark_dynamic_dims(entries, other_entries, live, inputs_a, inputs_b):
    """Compare two traces at different sizes of the dynamic axes: each Reshape learns which of its output
    dims vary (``extra``); a constant created inside forward whose shape varies is rebuilt at run time when
    it is uniform (``plait.zeros(x.shape[0], n)``: ConstantOfShape of the input's size) or a ramp along the
    varying axis (``arange(x.shape[0])``: Range), and refused otherwise."""
    if len(entries) != len(other_entries) or any(a.key != b.key for a, b in zip(entries, other_entries)):
        return  # the two runs took different paths: reshapes fall back to the single-trace rule
    for a, b in zip(entries, other_entries):
        for va, vb in zip(_flat_args(a), _flat_args(b)):
            if isinstance(va, Value) and va.kind == "const" and isinstance(vb, Value) and va.shape != vb.shape \
                    and id(a) in live:
                _make_dynamic_fill(va, vb, a, inputs_a, inputs_b)
        if a.key == "Reshape" and a.kind == "op":
            x_a, x_b = a.args[0], b.args[0]
            a.extra = ({i for i, (m, n) in enumerate(zip(a.outputs[0].shape, b.outputs[0].shape)) if m != n},
                       {i for i, (m, n) in enumerate(zip(x_a.shape, x_b.shape)) if m != n})


def _make_dynamic_fill(va, vb, entry, inputs_a, inputs_b):
    if va.fill is not None:
        return
    array = va.array
    dims = _dims_from_inputs(va.shape, vb.shape, inputs_a, inputs_b)
    if dims is not None and array.size and array.min() == array.max():
        va.fill = ("uniform", array.reshape(-1)[0].item(), dims)
        return
    varying = [i for i, d in enumerate(dims or ()) if isinstance(d, tuple)]
    if len(varying) == 1 and all(n == 1 for i, n in enumerate(va.shape) if i != varying[0]):
        # a ramp along the one varying axis (the offsets gather/sort build with arange): start + step * i
        values = array.reshape(-1)
        start = values[0].item()
        step = values[1].item() - start if values.size > 1 else 1
        if all(values[i].item() == start + step * i for i in range(values.size)):
            va.fill = ("ramp", (start, step), dims)
            return
    raise OnnxExporterError(
        f"plait.onnx.export: a tensor created inside forward (module '{entry.module_path or '<root>'}', used by "
        f"{entry.key}) has a shape that depends on a dynamic axis ({va.shape} and {vb.shape} in runs at two "
        "sizes) and is neither filled with one value nor a ramp along that axis; it would be a fixed constant "
        "in the ONNX graph. Build it "
        "from the input with tensor ops, or leave that axis static")


def trace_and_build(onnx, model, args, kwargs, opset, input_names, output_names, dynamic_axes, export_params,
                    keep_initializers_as_inputs, do_constant_folding):
    from . import _flatten
    recorder, graph_inputs = _prepared_recorder(model, args, kwargs, input_names, export_params,
                                                do_constant_folding)
    if any(_symbolic_dims(dynamic_axes, v.name) for v in graph_inputs):
        args2, kwargs2 = _grown(args, kwargs, graph_inputs, dynamic_axes)
        second, second_inputs = _prepared_recorder(model, args2, kwargs2, [v.name for v in graph_inputs], export_params,
                                       do_constant_folding)
        second_outputs = _flatten(_run_recorded(model, args2, kwargs2, second))
    else:
        second = second_outputs = None
    result = _run_recorded(model, args, kwargs, recorder)
    out_tensors = _flatten(result)
    out_values = [recorder.value_of(t) for t in out_tensors]
    out_names = list(output_names or [])
    if len(out_names) > len(out_values):
        raise ValueError(f"plait.onnx.export: {len(out_names)} output_names given for {len(out_values)} "
                         "outputs")
    out_names += [f"output_{i}" if len(out_values) > 1 else "output" for i in range(len(out_names),
                                                                                       len(out_values))]
    unknown = set(dynamic_axes or {}) - {v.name for v in graph_inputs} - set(out_names)
    if unknown:
        raise ValueError(f"plait.onnx.export: dynamic_axes names {sorted(unknown)} are neither input_names "
                         "nor output_names")
    live = _live_entries(recorder.entries, out_values)
    for v, t in zip(out_values, second_outputs or ()):
        if v.kind == "const" and tuple(t.shape) != v.shape:
            raise OnnxExporterError(
                f"plait.onnx.export: output '{v.name}' is a tensor created inside forward whose shape depends on "
                f"a dynamic axis ({v.shape} and {tuple(t.shape)} in runs at two sizes); it would be a fixed "
                "constant in the ONNX graph")
    if second is not None:
        _mark_dynamic_dims(recorder.entries, second.entries, {id(e) for e in live}, graph_inputs, second_inputs)

    b = Builder(onnx, opset, recorder.value_of, do_constant_folding)
    for v in graph_inputs:
        b.dynamic_sizes.update(v.shape[a] for a in _symbolic_dims(dynamic_axes, v.name))
    b.dynamic_sizes.discard(1)
    for e in live:
        _convert(b, e)
    outputs = []
    for name, v in zip(out_names, out_values):
        b.node("Identity", [v], [name])
        outputs.append(_value_info(onnx, b, name, v, dynamic_axes))
    inputs = [_value_info(onnx, b, v.name, v, dynamic_axes) for v in graph_inputs]
    param_inputs = [v for (_, _, v) in recorder._by_tensor.values() if v.kind == "input" and v not in graph_inputs]
    used = {n for node in b.nodes for n in node.input}
    inputs += [_value_info(onnx, b, v.name, v, None) for v in param_inputs if v.name in used]
    initializers = list(b.initializers.values())
    if keep_initializers_as_inputs:
        inputs += [onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in initializers
                   if not t.name.startswith("onnx::")]
    graph = onnx.helper.make_graph(b.nodes, type(model).__name__, inputs, outputs, initializers)
    model_proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                         producer_name="plait")
    model_proto.ir_version = min(model_proto.ir_version, 10)
    onnx.checker.check_model(model_proto)
    return model_proto, out_tensors


def remove_identities(model_proto):
    """Drop the Identity nodes between ops (each converter names its own result; an Identity renames it):
    the consumers read the Identity's input instead. Identities that produce a graph output stay."""
    graph = model_proto.graph
    outputs = {o.name for o in graph.output}
    rename = {}
    kept = []
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
        if node.op_type == "Identity" and node.output[0] not in outputs:
            rename[node.output[0]] = node.input[0]
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)


def verify_with_onnxruntime(model_proto, args, kwargs, outputs):
    """Run the exported model with onnxruntime (CPU) on the export's inputs; raise if it disagrees with
    plait's outputs (``verify=True``)."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModuleNotFoundError("plait.onnx.export(verify=True) runs the model with onnxruntime: "
                                  "pip install onnxruntime") from exc
    from ..tensor import Tensor
    from ..creation import tensor as as_tensor
    session = onnxruntime.InferenceSession(model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
    tensors = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
    feeds = {i.name: t.detach().cpu().numpy() for i, t in zip(session.get_inputs(), tensors)}
    for got, (info, ref) in zip(session.run(None, feeds), zip(session.get_outputs(), outputs)):
        got = as_tensor(got, device=ref.device)
        expected = ref.detach()
        if got.shape != expected.shape or not got.to(expected.dtype).allclose(expected, rtol=1e-4, atol=1e-5):
            diff = "shape " + str(tuple(got.shape)) if got.shape != expected.shape else \
                f"largest difference {(got.to(expected.dtype) - expected).abs().max().item():.3g}"
            raise OnnxExporterError(f"plait.onnx.export(verify=True): onnxruntime's output '{info.name}' "
                                    f"differs from plait's ({diff})")
