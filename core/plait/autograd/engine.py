"""The backward pass: an iterative topological walk (Kahn's algorithm over dependency counts) from the
roots to the leaves. No recursion, so graphs of any depth work. Gradients that reach a node with a
different shape than its output (broadcasting) are summed down to that shape here, in one place."""
import threading

from . import graph as _graph
from .graph import AccumulateGrad, check_hook_result
from .grad_mode import _Switch


class _Callbacks(threading.local):
    """Per thread: one list of final callbacks for each backward pass running (nested passes stack)."""

    def __init__(self):
        self.stack = []


_callbacks = _Callbacks()


def queue_callback(callback):
    """Run ``callback()`` once the backward pass now running has finished (torch's
    ``Variable._execution_engine.queue_callback``); DistributedDataParallel waits for its gradient
    reductions this way."""
    if not _callbacks.stack:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _callbacks.stack[-1].append(callback)


def _run_final_callbacks(queued):
    while queued:  # a callback may queue another
        queued.pop(0)()


def _sum_to(g, shape):
    """Sum ``g`` down to ``shape`` (the inverse of broadcasting)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = list(range(lead))
    for i, size in enumerate(shape):
        if size == 1 and g.shape[lead + i] != 1:
            axes.append(lead + i)
    if axes:
        g = g.sum(dim=tuple(axes), keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


def _add_grad(buffers, node, nr, g):
    slot = buffers.get(node)
    if slot is None:
        slot = buffers[node] = [None] * node.num_outputs
    shape = node._shapes[nr]
    if g.shape != shape:
        g = _sum_to(g, shape)
    prev = slot[nr]
    slot[nr] = g if prev is None else prev + g


def execute(roots, retain_graph, create_graph, capture=None, accumulate=True, only_leaves=None):
    """Run backward from ``roots`` (see :func:`_execute`), then the callbacks queued while it ran."""
    queued = []
    _callbacks.stack.append(queued)
    try:
        captured = _execute(roots, retain_graph, create_graph, capture, accumulate, only_leaves)
    finally:
        _callbacks.stack.pop()
    _run_final_callbacks(queued)
    return captured


def _execute(roots, retain_graph, create_graph, capture, accumulate, only_leaves):
    """Run backward from ``roots`` = [(node, output_nr, grad Tensor)].

    ``capture``: {node: [(output_nr, index)]}: gradients to return instead of (or besides) accumulating;
    returns a list with one entry per captured index. ``accumulate``: whether leaves' ``.grad`` receive
    their gradients. ``only_leaves``: a set of AccumulateGrad nodes restricting accumulation.
    """
    deps = {}
    root_nodes = []
    seen = set()
    for node, _, _ in roots:
        if node not in seen:
            seen.add(node)
            root_nodes.append(node)
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)

    buffers = {}
    for node, nr, g in roots:
        _add_grad(buffers, node, nr, g)
    handed_out = {id(g) for _, _, g in roots}  # grads that someone else may hold: clone before storing
    captured = None if capture is None else [None] * sum(len(v) for v in capture.values())
    ready = [n for n in root_nodes if n not in deps]

    with _Switch(bool(create_graph)):
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is None:
                grads = [None] * node.num_outputs
            if node.__class__ is AccumulateGrad:
                var = node.variable
                g = grads[0]
                wanted = capture is not None and node in capture
                store = accumulate and (only_leaves is None or node in only_leaves)
                if g is not None and (wanted or store):
                    if g._dtype is not var._dtype:
                        g = g.to(var._dtype)
                    if var._hooks:  # the leaf's tensor hooks: their result is what is captured and accumulated
                        g = _run_tensor_hooks(var._hooks, g)
                if wanted:
                    for nr, index in capture[node]:
                        captured[index] = g
                if store and g is not None:  # as torch: node pre-hooks, accumulation, then node post-hooks
                    if node._pre_hooks is not None:
                        g = _run_pre_hooks(node, [g])[0]
                    if g is not None:
                        _accumulate_leaf(var, g, create_graph, handed_out)
                    if node._post_hooks is not None:
                        for hook in list(node._post_hooks):
                            hook((), (g,))
                continue
            if node._pre_hooks is not None:
                # backward(inputs=[t]) fills a non-leaf t's .grad itself: its retain_grad must not add it again
                grads = _run_pre_hooks(node, grads, capture[node] if accumulate and capture is not None and
                                       node in capture else ())
            if capture is not None and node in capture:
                for nr, index in capture[node]:
                    captured[index] = grads[nr]
            if all(g is None for g in grads):
                input_grads = (None,) * len(node.next_functions)
            else:
                input_grads = node._backward(grads)
                if node._post_hooks is not None:
                    for hook in node._post_hooks:
                        replaced = hook(input_grads, tuple(grads))
                        if replaced is not None:
                            input_grads = tuple(replaced)
                if len(input_grads) != len(node.next_functions):
                    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                                       f"(expected {len(node.next_functions)}, got {len(input_grads)})")
            if not retain_graph:
                node._release()
            for (nxt, nr), g in zip(node.next_functions, input_grads):
                if nxt is None:
                    continue
                if g is not None:
                    _add_grad(buffers, nxt, nr, g)
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
    return captured


def _run_pre_hooks(node, grads, filled=()):
    hooks = node._pre_hooks
    grads = list(grads)
    for key, fns in hooks.items():
        if key == -1:
            continue
        if isinstance(key, int) and grads[key] is not None:
            grads[key] = _run_tensor_hooks(fns, grads[key])
    for key, refs in hooks.items():  # retain_grad runs after the user's hooks, as in torch
        if isinstance(key, tuple) and grads[key[1]] is not None and not any(nr == key[1] for nr, _ in filled):
            t = refs()
            if t is not None:
                g = grads[key[1]]
                g = g if t._grad is None else t._grad + g
                t._grad = g if _graph._grad_state.enabled else g.detach()
    for fn in hooks.get(-1, ()):
        out = fn(tuple(grads))
        if out is not None:
            grads = list(out)
    return grads


def _run_tensor_hooks(fns, g):
    """A tensor's ``register_hook`` hooks, in order, each given the previous one's result (checked as torch
    does: a Tensor of the same type and size, or None to keep the gradient)."""
    for fn in list(fns):
        out = fn(g)
        if out is not None:
            check_hook_result(fn, g, out)
            g = out
    return g


def _accumulate_leaf(var, g, create_graph, handed_out):
    grad = var._grad
    if grad is None:
        if not g.is_contiguous():  # a broadcast or transposed array: store it densely, row-major like the leaf
            g = g.contiguous()
        elif id(g) in handed_out:  # someone else holds it
            g = g.clone()
        handed_out.add(id(g))
        var._grad = g if create_graph else g.detach()
    elif create_graph:
        var._grad = grad + g
    else:  # as torch: accumulate into the existing .grad tensor, so references to it stay valid
        grad.add_(g)
    post = getattr(var, "_post_acc_hooks", None)  # unset unless register_post_accumulate_grad_hook was called
    if post:
        for fn in list(post):
            out = fn(var)
            if out is not None and out is not var:
                check_hook_result(fn, var, out)
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def roots_for(tensors, grad_tensors):
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        node, nr = _graph.edge_of(t)
        if node is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append((node, nr, g))
    return roots
