"""``add_graph``: run a model once and turn plait's autograd graph into a TensorBoard ``GraphDef``.

Every backward node of the forward pass becomes a ``NodeDef`` whose op is the node's name
(``AddmmBackward0``, ``ReluBackward0``, ...) and whose inputs are the nodes it was computed from
(its ``next_functions``). Forward hooks on every sub-module tell which module computed which nodes,
giving torch-like scopes (``Net/Linear[fc1]/AddmmBackward0``) that the Graphs dashboard folds into
boxes. Leaves (``AccumulateGrad`` nodes) become the parameters they accumulate into, named after
``model.named_parameters()``, and the model's inputs and outputs become ``IO Node`` nodes.
"""
import contextlib

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef


def _flat_tensors(value):
    """The tensors inside a (nested) tuple/list/dict of hook arguments or model outputs."""
    import plait

    if plait.is_tensor(value):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat_tensors(v)]
    return []


def _op_name(node):
    name = getattr(node, "name", None)
    return name() if callable(name) else type(node).__name__


def _leaf_variable(node):
    """The leaf tensor of an ``AccumulateGrad`` node, else None."""
    return getattr(node, "variable", None)


def _predecessors(node):
    return [(n, i) for n, i in (getattr(node, "next_functions", None) or ()) if n is not None]


def _scopes(model):
    """Module path ('' for the root, 'fc1', 'block.0', ...) -> torch-style scope ('Net/Linear[fc1]')."""
    scopes = {"": type(model).__name__}
    for path, module in model.named_modules():
        if path:
            parent, _, last = path.rpartition(".")
            scopes[path] = f"{scopes[parent]}/{type(module).__name__}[{last}]"
    return scopes


def _trackable(tensor):
    """Model inputs made into graph leaves, so the graph shows where they enter."""
    if tensor.requires_grad:
        return tensor
    if not tensor.dtype.is_floating_point:
        return tensor  # integer inputs (token ids, labels) cannot require grad
    return tensor.detach().requires_grad_(True)


@contextlib.contextmanager
def _eval_mode(model):
    """Trace in eval mode and restore the mode afterwards, as torch's add_graph does."""
    training = getattr(model, "training", None)
    if training is None:
        yield
        return
    model.train(False)
    try:
        yield
    finally:
        model.train(training)


def _run(model, args):
    """One forward pass with grad enabled; returns (outputs, [(module path, inputs, outputs)])."""
    import plait

    calls = []

    def hook_for(path):
        # with_kwargs: tensors passed by keyword (masks, states) are inputs of the module too.
        def hook(module, args, kwargs, output):
            calls.append((path, _flat_tensors([args, kwargs]), _flat_tensors(output)))

        return hook

    handles = [
        module.register_forward_hook(hook_for(path), with_kwargs=True) for path, module in model.named_modules()
    ]
    try:
        with _eval_mode(model), plait.enable_grad():
            output = model(*args)
    finally:
        for handle in handles:
            handle.remove()
    return output, calls


def _assign_scopes(calls, scopes):
    """Node id -> scope of the innermost module that computed it.

    A module computed the nodes reachable from its outputs without passing its inputs' nodes.
    Hooks fire innermost first, so the first module to claim a node is the innermost one.
    """
    owner = {}
    for path, inputs, outputs in calls:
        stop = {id(t.grad_fn) for t in inputs if t.grad_fn is not None}
        seen = set()
        stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
        while stack:
            node = stack.pop()
            if id(node) in seen or id(node) in stop or _leaf_variable(node) is not None:
                continue
            seen.add(id(node))
            owner.setdefault(id(node), scopes[path])
            stack.extend(n for n, _ in _predecessors(node))
    return owner


def _shape_attr(shape):
    dims = [TensorShapeProto.Dim(size=int(d)) for d in shape]
    return AttrValue(list=AttrValue.ListValue(shape=[TensorShapeProto(dim=dims)]))


def _param_scope(param_name, scopes):
    module_path, _, leaf = param_name.rpartition(".")
    return f"{scopes.get(module_path, scopes[''])}/{leaf}"


class _GraphBuilder:
    def __init__(self, model, args, outputs, calls):
        self.scopes = _scopes(model)
        self.owner = _assign_scopes(calls, self.scopes)
        self.param_names = {id(p): name for name, p in model.named_parameters()}
        self.input_index = {id(t): i for i, t in enumerate(_flat_tensors(list(args)))}
        # Shapes are known for tensors the hooks and the model returned.
        self.shapes = {}
        for _, _, outs in calls:
            for t in outs:
                if t.grad_fn is not None:
                    self.shapes[id(t.grad_fn)] = tuple(t.shape)
        self.names = {}  # node id -> NodeDef name
        self.used = set()
        self.keep = []  # node objects stay referenced so that their ids stay unique
        self.graph = []

    def _unique(self, name):
        candidate, k = name, 0
        while candidate in self.used:
            k += 1
            candidate = f"{name}_{k}"
        self.used.add(candidate)
        return candidate

    def _add(self, name, op, inputs=(), shape=None):
        node = NodeDef(name=name, op=op, input=list(inputs))
        if shape is not None:
            node.attr["_output_shapes"].CopyFrom(_shape_attr(shape))
        self.graph.append(node)

    def add_inputs(self, tensors):
        for i, t in enumerate(tensors):
            self._add(self._unique(f"input/input.{i}"), "IO Node", shape=tuple(t.shape))

    def _leaf_name(self, variable):
        if id(variable) in self.input_index:
            return f"input/input.{self.input_index[id(variable)]}"
        if id(variable) in self.param_names:
            name = self._unique(_param_scope(self.param_names[id(variable)], self.scopes))
            self._add(name, "Parameter", shape=tuple(variable.shape))
            return name
        name = self._unique(f"{self.scopes['']}/leaf")
        self._add(name, "Leaf", shape=tuple(variable.shape))
        return name

    def visit(self, root):
        """Name ``root`` and everything it was computed from; NodeDefs come out inputs first."""
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in self.names:
                continue
            variable = _leaf_variable(node)
            if variable is not None:
                self.keep.append(node)
                self.names[id(node)] = self._leaf_name(variable)
                continue
            preds = _predecessors(node)
            if not expanded:
                stack.append((node, True))
                stack.extend((n, False) for n, _ in reversed(preds) if id(n) not in self.names)
                continue
            self.keep.append(node)
            scope = self.owner.get(id(node), self.scopes[""])
            name = self._unique(f"{scope}/{_op_name(node)}")
            self.names[id(node)] = name
            inputs = []
            for pred, index in preds:
                ref = self.names[id(pred)] + (f":{index}" if index else "")
                if ref not in inputs:
                    inputs.append(ref)
            self._add(name, _op_name(node), inputs, self.shapes.get(id(node)))

    def add_outputs(self, tensors):
        for i, t in enumerate(tensors):
            inputs = []
            if t.grad_fn is not None:
                self.visit(t.grad_fn)
                inputs = [self.names[id(t.grad_fn)]]
            elif id(t) in self.input_index:
                inputs = [f"input/input.{self.input_index[id(t)]}"]
            self._add(self._unique(f"output/output.{i}"), "IO Node", inputs, tuple(t.shape))


def build_graph(model, input_to_model=None, verbose=False):
    """Run ``model`` on ``input_to_model`` (a tensor or a tuple/list of positional arguments)."""
    import plait

    if input_to_model is None:
        args = ()
    elif isinstance(input_to_model, (list, tuple)):
        args = tuple(input_to_model)
    else:
        args = (input_to_model,)
    args = tuple(_trackable(a) if plait.is_tensor(a) else a for a in args)

    outputs, calls = _run(model, args)
    builder = _GraphBuilder(model, args, outputs, calls)
    builder.add_inputs(_flat_tensors(list(args)))
    builder.add_outputs(_flat_tensors(outputs))
    graph = GraphDef(node=builder.graph, versions=VersionDef(producer=22))
    if verbose:
        print(graph)
    return graph
