"""Autograd semantics on the backend under test: retain_graph, create_graph (higher derivatives), hooks,
retain_grad, in-place version checks, views, grad modes, custom Functions, broadcasting, deep graphs."""
import pytest

import plait

BACKWARD_TWICE = "backward through the graph a second time"
MODIFIED = "modified by an inplace operation"


def _x(device, values=(1.0, -2.0, 3.0), dtype=None):
    return plait.tensor(list(values), dtype=dtype, device=device, requires_grad=True)


# ---------------------------------------------------------------- retain_graph / create_graph
def test_backward_twice_without_retain_graph_raises(device):
    x = _x(device)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        y.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates(device):
    x = _x(device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert x.grad.tolist() == [2.0, -4.0, 6.0]
    y.backward()
    assert x.grad.tolist() == [4.0, -8.0, 12.0]


def test_grad_does_not_touch_dot_grad_and_allow_unused(device):
    x, z = _x(device), _x(device)
    (g,) = plait.autograd.grad((x ** 2).sum(), x)
    assert g.tolist() == [2.0, -4.0, 6.0] and x.grad is None
    with pytest.raises(RuntimeError, match="not have been used"):
        plait.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = plait.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0, 2.0] and gz is None


def test_create_graph_gives_higher_derivatives(device):
    x = _x(device, dtype=plait.float64)
    y = (x ** 3).sum()
    (g,) = plait.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert g.tolist() == [3.0, 12.0, 27.0]
    (h,) = plait.autograd.grad(g.sum(), x, create_graph=True)
    assert h.tolist() == [6.0, -12.0, 18.0]
    (t,) = plait.autograd.grad(h.sum(), x)
    assert t.tolist() == [6.0, 6.0, 6.0]


def test_backward_with_create_graph_then_backward_of_grad(device):
    x = _x(device, dtype=plait.float64)
    (x.sin() * x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    x.grad = None
    first.sum().backward()
    expected = [2 * __import__("math").cos(v) - v * __import__("math").sin(v) for v in (1.0, -2.0, 3.0)]
    assert all(abs(a - b) < 1e-12 for a, b in zip(x.grad.tolist(), expected))


def test_non_scalar_backward_needs_gradient(device):
    x = _x(device)
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(plait.tensor([1.0, 0.5, 0.0], device=device))
    assert x.grad.tolist() == [2.0, 1.0, 0.0]


# ---------------------------------------------------------------- hooks
def test_tensor_hooks_change_the_gradient_and_can_be_removed(device):
    x = _x(device)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0, 20.0]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and len(seen) == 1


def test_hook_on_intermediate_and_retain_grad(device):
    x = _x(device)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    # the hook doubles what flows on; retain_grad stores the hooked gradient (as torch does)
    assert y.grad.tolist() == [12.0, -24.0, 36.0]
    assert x.grad.tolist() == [36.0, -72.0, 108.0]


def test_node_pre_and_post_hooks(device):
    x = _x(device)
    y = x.exp()
    calls = []
    y.grad_fn.register_prehook(lambda grads: calls.append(("pre", len(grads))))
    y.grad_fn.register_hook(lambda gin, gout: calls.append(("post", len(gin), len(gout))))
    y.sum().backward()
    assert calls == [("pre", 1), ("post", 1, 1)]


# ---------------------------------------------------------------- in-place ops and version counters
def test_modifying_a_saved_input_raises(device):
    x = _x(device)
    a = x * 1
    b = a * a          # saves a
    a.mul_(2)          # a moves to version 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        b.sum().backward()


def test_modifying_a_saved_output_raises(device):
    x = _x(device)
    y = x.exp()        # saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises(device):
    x = _x(device)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with plait.no_grad():
        x.add_(1)      # allowed under no_grad (an optimizer step)
    assert x.tolist() == [2.0, -1.0, 4.0] and x._version == 1


def test_inplace_chain_gradient(device):
    x = _x(device)
    y = x * 2
    y.add_(1)
    y.mul_(3)          # mul_ needs the old y: plait keeps a copy, as torch does
    y.pow_(2)
    y.sum().backward()
    # d/dx (3 (2x + 1))^2 = 2 * 3 (2x+1) * 6
    assert x.grad.tolist() == [36.0 * (2 * v + 1) for v in (1.0, -2.0, 3.0)]


def test_version_counter_counts_inplace_writes(device):
    t = plait.zeros(3, device=device)
    assert t._version == 0
    t.add_(1)
    t[0] = 5.0
    t.mul_(2)
    assert t._version == 3 and t.tolist() == [10.0, 2.0, 2.0]


def test_inplace_write_through_a_view_reaches_the_base(device):
    base = plait.zeros(2, 3, device=device)
    row = base[1]
    row.add_(1)
    col = base[:, 2]
    col.fill_(7)
    assert base.tolist() == [[0.0, 0.0, 7.0], [1.0, 1.0, 7.0]], \
        "writes into a basic-indexing view must reach the base tensor's memory"
    assert row._version == base._version


def test_detach_shares_memory(device):
    x = _x(device)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0] and x._version == 1


def test_setitem_gradient(device):
    x = _x(device)
    v = plait.tensor(5.0, device=device, requires_grad=True)
    y = x * 1
    y[1] = v * 2
    (y * plait.tensor([1.0, 2.0, 3.0], device=device)).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0] and v.grad.item() == 4.0


# ---------------------------------------------------------------- grad modes
def test_grad_modes(device):
    x = _x(device)
    with plait.no_grad():
        assert not (x * 2).requires_grad
        with plait.enable_grad():
            assert (x * 2).requires_grad
    with plait.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with plait.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad and plait.is_grad_enabled()


def test_requires_grad_propagation_and_leaves(device):
    x = _x(device)
    c = plait.tensor([1.0, 1.0, 1.0], device=device)
    y = x + c
    assert y.requires_grad and not y.is_leaf and x.is_leaf and c.is_leaf and not (c * 2).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        plait.tensor([1, 2], device=device, requires_grad=True)


# ---------------------------------------------------------------- more engine behaviour
def test_broadcast_gradients_are_reduced(device):
    a = plait.ones(3, 1, device=device, requires_grad=True)
    b = plait.ones(4, device=device, requires_grad=True)
    s = plait.tensor(2.0, device=device, requires_grad=True)
    ((a + b) * s).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[8.0], [8.0], [8.0]]
    assert b.grad.tolist() == [6.0] * 4 and s.grad.item() == 24.0


def test_gradient_dtype_device_and_backend(backend, device):
    for dtype in (plait.float32, plait.float64):
        x = plait.ones(2, 2, dtype=dtype, device=device, requires_grad=True)
        (x.to(plait.float64 if dtype is plait.float32 else plait.float32) * 3).sum().backward()
        assert x.grad.dtype is dtype and x.grad.device == x.device and x.grad._backend is backend


def test_custom_function(device):
    class Cube(plait.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = _x(device)
    Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0, 27.0]


def test_diamond_graph_and_shared_leaf(device):
    x = _x(device)
    a = x * 2
    b = a.exp()
    c = a.sin()
    (b + c + a).sum().backward()
    import math
    expected = [2 * math.exp(2 * v) + 2 * math.cos(2 * v) + 2 for v in (1.0, -2.0, 3.0)]
    assert all(abs(g - e) <= 1e-4 * max(1.0, abs(e)) for g, e in zip(x.grad.tolist(), expected))


def test_deep_graph_has_no_recursion_limit(device):
    x = plait.tensor(1.0, device=device, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    y.backward()
    assert abs(x.grad.item() - 1.0001 ** 3000) < 1e-2


def test_grad_accumulates_across_backward_calls(device):
    x = _x(device)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0, 5.0]
