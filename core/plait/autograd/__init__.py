"""plait.autograd: the dynamic graph, ``backward``, ``grad``, custom ``Function``s and ``gradcheck``."""
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .graph import Node, AccumulateGrad, Op
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck, GradcheckError
from . import engine as _engine
from .._layout import strided

__all__ = ["backward", "grad", "Variable", "Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "gradcheck", "gradgradcheck", "GradcheckError", "Node",
           "AccumulateGrad", "Op", "once_differentiable", "graph"]

from . import graph  # noqa: E402  (torch.autograd.graph.Node lives there too)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .. import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """torch's pre-0.4 wrapper, kept for old code: ``Variable(t, requires_grad=True)`` returns a leaf tensor
    sharing ``t``'s memory; every tensor is an instance of Variable."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (tuple, list)) else [x]


def _make_grads(outputs, grad_outputs, create_graph):
    from .. import ones_like, Tensor
    grads = []
    for i, out in enumerate(outputs):
        if out.grad_fn is None and not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        g = grad_outputs[i] if grad_outputs is not None and i < len(grad_outputs) else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(got output {i} of shape {list(out.shape)}; pass gradient=/grad_outputs= "
                                   "with a tensor of that shape)")
            if not out.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{out.dtype!r}")
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            from .. import tensor
            g = tensor(g, dtype=out.dtype, device=out.device)
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                               f"has a shape of {out.shape}.")
        elif g.device != out.device:
            raise RuntimeError(f"grad_output[{i}] is on device {g.device} but output[{i}] is on {out.device}")
        elif g.dtype != out.dtype:
            g = g.to(out.dtype)  # torch's engine casts a root gradient to its output's dtype (validate_outputs)
        grads.append(g if create_graph else g.detach())
    return grads


def _capture_map(tensors):
    """{node: [(output_nr, index)]}: where the engine should pick up each tensor's total gradient."""
    from .graph import edge_of
    capture = {}
    for index, t in enumerate(tensors):
        node, nr = edge_of(t)
        capture.setdefault(node, []).append((nr, index))
    return capture


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (torch.autograd.backward)."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(tensors, grad_tensors, create_graph)
    only = capture = None
    non_leaves = []
    if inputs is not None:
        from .graph import grad_accumulator
        inputs = [_differentiable_part(t) for t in _as_list(inputs)]
        only = {grad_accumulator(t) for t in inputs if t.grad_fn is None}
        non_leaves = [t for t in inputs if t.grad_fn is not None]  # their .grad is filled too, as in torch
        capture = _capture_map(non_leaves)
    captured = _engine.execute(_engine.roots_for(tensors, grads), retain_graph, create_graph, capture=capture,
                               only_leaves=only)
    for t, g in zip(non_leaves, captured or ()):
        if g is not None:
            g = _engine._sum_to(g, t.shape)
            g = g if create_graph else g.detach()
            t.grad = g if t._grad is None else t._grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching ``.grad`` (torch.autograd.grad)."""
    outputs = _as_list(outputs)
    given_inputs = _as_list(inputs)
    inputs_list = [_differentiable_part(t) for t in given_inputs]
    grad_outputs = _as_list(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs_list):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    grads = _make_grads(outputs, grad_outputs, create_graph)
    capture = _capture_map(inputs_list)
    result = _engine.execute(_engine.roots_for(outputs, grads), retain_graph, create_graph, capture=capture,
                             accumulate=False)
    out = []
    for i, (t, g) in enumerate(zip(inputs_list, result)):
        if g is None:
            if materialize_grads:
                from .. import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        elif g.shape != t.shape:
            g = _engine._sum_to(g, t.shape)
        if g is not None and not create_graph:
            g = g.detach()
        if g is not None and given_inputs[i] is not t:  # a sparse input: its gradient is sparse too
            g = given_inputs[i]._with_values(g)
        out.append(g)
    return tuple(out)


def _differentiable_part(t):
    """The tensor autograd differentiates for input ``t``: a sparse COO tensor's values, else ``t``."""
    return t if t.layout is strided else t._values()
