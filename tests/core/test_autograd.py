"""Autograd: requires_grad, leaves and grad_fn/next_functions, backward (gradient, retain_graph, create_graph),
accumulation, retain_grad and hooks, freed graphs, autograd.grad (higher order, several inputs/outputs,
allow_unused), custom Functions, grad modes, in-place checks, broadcasting in backward, deep graphs, and the
autograd examples of the notes."""
import re

import numpy as np
import pytest

import plait
from plait.autograd import Variable
from core_helpers import to_np, assert_close

BACKWARD_TWICE = "Trying to backward through the graph a second time"


def _addr(s):
    return re.sub(r"0x[0-9a-fA-F]+", "0x", s)


# ---------------------------------------------------------------- leaves, grad_fn, next_functions
def test_requires_grad_propagation_and_leaves():
    a = plait.ones(3, 4, requires_grad=True)
    b = plait.zeros(3, 4)
    c = a.add(b)
    d = c.sum()
    d.backward()
    assert_close(a.grad, np.ones((3, 4)))
    assert (a.requires_grad, b.requires_grad, c.requires_grad) == (True, False, True)
    assert (a.is_leaf, b.is_leaf, c.is_leaf) == (True, True, False)
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor"):
        assert c.grad is None
    assert c.grad_fn.name() == "AddBackward0" and a.grad_fn is None and b.grad_fn is None
    assert (b * 2).grad_fn is None and not (b * 2).requires_grad


def test_next_functions_and_accumulate_grad():
    x = plait.ones(1)
    b = plait.rand(1, requires_grad=True)
    w = plait.rand(1, requires_grad=True)
    y = w * x
    z = y + b
    nf = z.grad_fn.next_functions
    assert len(nf) == 2
    assert nf[0][0] is y.grad_fn and nf[0][1] == 0 and nf[0][0].name() == "MulBackward0"
    acc, nr = nf[1]
    assert nr == 0 and acc.name() == "AccumulateGrad" and acc.variable is b
    assert _addr(repr(nf)) == "((<MulBackward0 object at 0x>, 0), (<AccumulateGrad object at 0x>, 0))"
    assert y.grad_fn.next_functions[0][0].variable is w
    assert y.grad_fn.next_functions[1] == (None, 0)  # x needs no gradient
    # the AccumulateGrad node of a leaf is the same object every time
    assert (w * 2).grad_fn.next_functions[0][0] is y.grad_fn.next_functions[0][0]


_X = np.arange(1.0, 10.0).reshape(3, 3)


@pytest.mark.parametrize("make, name", [
    (lambda x, v: x + 1, "AddBackward0"), (lambda x, v: x - v, "SubBackward0"), (lambda x, v: 1 - x, "RsubBackward1"),
    (lambda x, v: x * 2, "MulBackward0"), (lambda x, v: x / v, "DivBackward0"), (lambda x, v: 2 / x, "MulBackward0"),
    (lambda x, v: -x, "NegBackward0"), (lambda x, v: x ** 2, "PowBackward0"), (lambda x, v: x ** 3, "PowBackward0"),
    (lambda x, v: x.square(), "PowBackward0"), (lambda x, v: x ** v, "PowBackward1"), (lambda x, v: 2 ** x, "PowBackward2"),
    (lambda x, v: x.exp(), "ExpBackward0"), (lambda x, v: x.log(), "LogBackward0"), (lambda x, v: x.sqrt(), "SqrtBackward0"),
    (lambda x, v: x.sigmoid(), "SigmoidBackward0"), (lambda x, v: x.tanh(), "TanhBackward0"),
    (lambda x, v: x.relu(), "ReluBackward0"), (lambda x, v: x.abs(), "AbsBackward0"),
    (lambda x, v: x.clamp(0, 1), "ClampBackward1"), (lambda x, v: x.clamp(v, v + 1), "ClampBackward0"),
    (lambda x, v: x.sum(), "SumBackward0"), (lambda x, v: x.sum(0), "SumBackward1"),
    (lambda x, v: x.mean(), "MeanBackward0"), (lambda x, v: x.mean(1), "MeanBackward1"),
    (lambda x, v: x.max(), "MaxBackward1"), (lambda x, v: x.max(0).values, "MaxBackward0"),
    (lambda x, v: x.min(1)[0], "MinBackward0"), (lambda x, v: x.prod(), "ProdBackward0"),
    (lambda x, v: x.std(), "StdBackward0"), (lambda x, v: x.var(0), "VarBackward0"),
    (lambda x, v: x.norm(), "LinalgVectorNormBackward0"), (lambda x, v: x.logsumexp(0), "LogsumexpBackward0"),
    (lambda x, v: x.cumsum(0), "CumsumBackward0"), (lambda x, v: x.amax(0), "AmaxBackward0"),
    (lambda x, v: x.view(9), "ViewBackward0"), (lambda x, v: x.reshape(9), "ViewBackward0"),
    (lambda x, v: x.t().reshape(9), "UnsafeViewBackward0"), (lambda x, v: x.flatten(), "ViewBackward0"),
    (lambda x, v: x.t(), "TBackward0"), (lambda x, v: x.transpose(0, 1), "TransposeBackward0"),
    (lambda x, v: x.permute(1, 0), "PermuteBackward0"), (lambda x, v: x.unsqueeze(0), "UnsqueezeBackward0"),
    (lambda x, v: x[None].squeeze(), "SqueezeBackward0"), (lambda x, v: x[None].squeeze(0), "SqueezeBackward1"),
    (lambda x, v: v.expand(2, 3), "ExpandBackward0"), (lambda x, v: x.t().contiguous(), "CloneBackward0"),
    (lambda x, v: x[0], "SelectBackward0"), (lambda x, v: x[1:], "SliceBackward0"),
    (lambda x, v: x[[0, 1]], "IndexBackward0"), (lambda x, v: x[x > 2], "IndexBackward0"),
    (lambda x, v: x.split(1)[0], "SplitBackward0"), (lambda x, v: x.unbind()[1], "UnbindBackward0"),
    (lambda x, v: x @ x, "MmBackward0"), (lambda x, v: x @ v, "MvBackward0"), (lambda x, v: v @ v, "DotBackward0"),
    (lambda x, v: plait.bmm(x[None], x[None]), "BmmBackward0"), (lambda x, v: plait.addmm(v, x, x), "AddmmBackward0"),
    (lambda x, v: plait.cat([x, x]), "CatBackward0"), (lambda x, v: plait.stack([x, x]), "StackBackward0"),
    (lambda x, v: x.clone(), "CloneBackward0"), (lambda x, v: x.float(), "ToCopyBackward0"),
    (lambda x, v: x.softmax(0), "SoftmaxBackward0"), (lambda x, v: x.log_softmax(1), "LogSoftmaxBackward0"),
    (lambda x, v: x.gather(0, plait.tensor([[0, 1, 2]])), "GatherBackward0"),
    (lambda x, v: x.index_select(0, plait.tensor([0])), "IndexSelectBackward0"),
    (lambda x, v: x.masked_fill(x > 2, 0.0), "MaskedFillBackward0"),
    (lambda x, v: x.scatter(0, plait.tensor([[0, 1, 2]]), 1.0), "ScatterBackward1"),
    (lambda x, v: plait.where(x > 2, x, v), "WhereBackward0"), (lambda x, v: x.repeat(2, 1), "RepeatBackward0"),
    (lambda x, v: x.flip(0), "FlipBackward0"), (lambda x, v: x.tril(), "TrilBackward0"),
])
def test_grad_fn_names_match_torch(make, name):
    x = plait.tensor(_X, requires_grad=True)
    v = plait.tensor([1.0, 2.0, 3.0], dtype=plait.float64, requires_grad=True)
    out = make(x, v)
    assert out.grad_fn.name() == name
    assert f"grad_fn=<{name}>" in repr(out)
    assert _addr(repr(out.grad_fn)) == f"<{name} object at 0x>"


def test_variable_examples_of_the_notes():
    x = Variable(plait.FloatTensor([1]), requires_grad=True)
    w = Variable(plait.FloatTensor([2]), requires_grad=True)
    b = Variable(plait.FloatTensor([3]), requires_grad=True)
    y = w * x + b
    y.backward()  # a one-element output needs no gradient argument
    assert repr(x.grad) == "tensor([2.])" and repr(w.grad) == "tensor([1.])" and repr(b.grad) == "tensor([1.])"
    assert isinstance(y, Variable) and not isinstance(3, Variable)
    x = Variable(plait.rand(1), requires_grad=True)
    y = 2 * x
    z = x + y
    z.backward(retain_graph=True)
    assert x.grad.tolist() == [3.0]
    z.backward()
    assert x.grad.tolist() == [6.0]  # accumulated


def test_requires_grad_setters():
    t = plait.zeros(2)
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad = False
    assert not t.requires_grad
    y = plait.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    y.requires_grad_(True)  # allowed: already true
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        plait.tensor([1, 2]).requires_grad = True
    d = y.detach().requires_grad_()
    assert d.is_leaf and d.requires_grad


# ---------------------------------------------------------------- backward
def test_scalar_backward_of_quadratic():
    x = plait.tensor(0.0, requires_grad=True)
    a, b, c = plait.tensor(1.0), plait.tensor(-2.0), plait.tensor(1.0)
    y = a * plait.pow(x, 2) + b * x + c
    y.backward()
    assert repr(x.grad) == "tensor(-2.)"


def test_non_scalar_backward_with_gradient(capsys):
    x = plait.tensor([[0.0, 0.0], [1.0, 2.0]], requires_grad=True)
    a, b, c = plait.tensor(1.0), plait.tensor(-2.0), plait.tensor(1.0)
    y = a * plait.pow(x, 2) + b * x + c
    gradient = plait.tensor([[1.0, 1.0], [1.0, 1.0]])
    print("x:\n", x)
    print("y:\n", y)
    y.backward(gradient=gradient)
    print("x_grad:\n", x.grad)
    assert capsys.readouterr().out == """x:
 tensor([[0., 0.],
        [1., 2.]], requires_grad=True)
y:
 tensor([[1., 1.],
        [0., 1.]], grad_fn=<AddBackward0>)
x_grad:
 tensor([[-2., -2.],
        [ 0.,  2.]])
"""
    x.grad = None
    y2 = a * plait.pow(x, 2) + b * x + c
    z = plait.sum(y2 * gradient)
    z.backward()
    assert repr(x.grad) == "tensor([[-2., -2.],\n        [ 0.,  2.]])"


def test_non_scalar_backward_without_gradient_is_a_clear_error():
    x = plait.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of"):
        (x * 2).backward(plait.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        plait.ones(2).sum().backward()


def test_root_gradient_of_another_dtype_is_cast_to_the_outputs_dtype():
    # torch 2.13: float32 x.grad, and the matmul's backward sees float32 (not a double/float mismatch)
    x = plait.ones(3, requires_grad=True)
    y = x @ plait.ones(3, 3)
    y.backward(plait.ones(3, dtype=plait.float64))
    assert x.grad.dtype == plait.float32 and x.grad.tolist() == [3.0, 3.0, 3.0]
    (g,) = plait.autograd.grad(x * 2, x, plait.ones(3, dtype=plait.float64))
    assert g.dtype == plait.float32


def test_backward_twice_raises_unless_retain_graph():
    x = plait.tensor(3.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 12.0
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        y.backward()
    w = plait.tensor([[3.0, 1.0]], requires_grad=True)
    b = plait.tensor([[3.0]], requires_grad=True)
    X, Y = plait.randn(10, 2), plait.randn(10, 1)
    Y_hat = X @ w.t() + b
    loss = plait.mean(plait.pow(Y_hat - Y, 2))
    loss.backward()
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        loss.backward()
    # a graph without saved tensors can be walked again, as in torch
    z = plait.ones(2, requires_grad=True)
    s = (z + 1).sum()
    s.backward()
    s.backward()
    assert z.grad.tolist() == [2.0, 2.0]


def test_saved_tensors_are_freed_after_backward():
    x = plait.tensor(2.0, requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.backward()
    assert node._saved_out is None
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        node.output


def test_gradients_accumulate_into_leaves():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad.zero_()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    g = x.grad
    (x * 2).sum().backward()
    assert x.grad is g and g.tolist() == [4.0, 4.0]  # accumulated in place, as torch does


def test_grad_is_not_shared_with_gradient_argument():
    x = plait.ones(2, requires_grad=True)
    v = plait.tensor([1.0, 2.0])
    (x * 1).backward(v)
    x.grad.add_(10)
    assert v.tolist() == [1.0, 2.0]


def test_backward_inputs_argument():
    x = plait.tensor(1.0, requires_grad=True)
    y = plait.tensor(2.0, requires_grad=True)
    (x * y).backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None
    h = x * 3
    (h * h).backward(inputs=[h, y])  # a non-leaf input gets its .grad filled too
    assert h.grad.item() == 6.0 and y.grad is None and x.grad.item() == 2.0


def test_backward_with_create_graph_gives_differentiable_grads():
    x = plait.tensor(3.0, requires_grad=True)
    y = x ** 3
    y.backward(create_graph=True)
    assert x.grad.item() == 27.0 and x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 18.0


def test_dtype_cast_gradient_returns_in_input_dtype():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * plait.tensor([3.0, 4.0], dtype=plait.float64)
    y.sum().backward()
    assert x.grad.dtype is plait.float32 and x.grad.tolist() == [3.0, 4.0]
    h = x * 1
    h.retain_grad()
    h.sum(dtype=plait.float64).backward()
    assert h.grad.dtype is plait.float32
    h = x * 1
    h.retain_grad()
    h.cumsum(0, dtype=plait.float64).sum().backward()
    assert h.grad.dtype is plait.float32 and h.grad.tolist() == [2.0, 1.0]


# ---------------------------------------------------------------- retain_grad and hooks
def test_leaf_and_non_leaf_grads(capsys):
    x = plait.tensor(3.0, requires_grad=True)
    y1 = x + 1
    y2 = 2 * x
    loss = (y1 - y2) ** 2
    loss.backward()
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor") as rec:
        print("loss.grad:", loss.grad)
        print("y1.grad:", y1.grad)
        print("y2.grad:", y2.grad)
    assert len(rec) == 3  # as torch: a warning for each read of a non-leaf's unset .grad
    print(x.grad)
    print(x.is_leaf)
    print(y1.is_leaf)
    print(y2.is_leaf)
    print(loss.is_leaf)
    assert capsys.readouterr().out == ("loss.grad: None\ny1.grad: None\ny2.grad: None\ntensor(4.)\n"
                                       "True\nFalse\nFalse\nFalse\n")


def test_retain_grad_and_register_hook_example(capsys):
    x = plait.tensor(3.0, requires_grad=True)
    y1 = x + 1
    y2 = 2 * x
    loss = (y1 - y2) ** 2
    y1.register_hook(lambda grad: print('y1 grad: ', grad))
    y2.register_hook(lambda grad: print('y2 grad: ', grad))
    loss.retain_grad()
    loss.backward()
    print("loss.grad:", loss.grad)
    print("x.grad:", x.grad)
    assert capsys.readouterr().out == ("y2 grad:  tensor(4.)\ny1 grad:  tensor(-4.)\nloss.grad: tensor(1.)\n"
                                       "x.grad: tensor(4.)\n")
    assert loss.retains_grad and not y1.retains_grad


def test_hooks_can_replace_gradients_and_be_removed():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    h = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    # a hook on a leaf changes what is accumulated
    seen = []
    leaf = plait.tensor([1.0], requires_grad=True)
    leaf.register_hook(lambda g: seen.append(g.item()))
    leaf.register_hook(lambda g: g + 100)
    (leaf * 3).sum().backward()
    assert seen == [3.0] and leaf.grad.tolist() == [103.0]
    # retain_grad sees the hooked gradient, as in torch
    z = plait.tensor([1.0], requires_grad=True) * 1
    z.retain_grad()
    z.register_hook(lambda g: g * 2)
    z.sum().backward()
    assert z.grad.tolist() == [2.0]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        plait.ones(1).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        plait.ones(1).retain_grad()


def test_node_hooks():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    calls = []
    y.grad_fn.register_prehook(lambda grads: calls.append("pre"))
    y.grad_fn.register_hook(lambda gin, gout: calls.append("post") or (gin[0] * 0, gin[1]))
    y.sum().backward()
    assert calls == ["pre", "post"] and x.grad.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- autograd.grad
def test_autograd_grad_and_second_derivative():
    x = plait.tensor(0.0, requires_grad=True)
    a, b, c = plait.tensor(1.0), plait.tensor(-2.0), plait.tensor(1.0)
    y = a * plait.pow(x, 2) + b * x + c
    dy_dx = plait.autograd.grad(y, x, create_graph=True)[0]
    assert repr(dy_dx.data) == "tensor(-2.)"
    dy2_dx2 = plait.autograd.grad(dy_dx, x)[0]
    assert repr(dy2_dx2.data) == "tensor(2.)"
    assert x.grad is None  # grad() leaves .grad alone


def test_higher_order_derivatives_of_cube():
    x = plait.tensor([1.0, 2.0, -3.0], dtype=plait.float64, requires_grad=True)
    y = (x ** 3).sum()
    (g1,) = plait.autograd.grad(y, x, create_graph=True)
    assert_close(g1, 3 * to_np(x) ** 2)
    (g2,) = plait.autograd.grad(g1.sum(), x, create_graph=True)
    assert_close(g2, 6 * to_np(x))
    (g3,) = plait.autograd.grad(g2.sum(), x)
    assert_close(g3, [6.0, 6.0, 6.0])
    # the same through backward(create_graph=True)
    z = plait.tensor(2.0, requires_grad=True)
    (d,) = plait.autograd.grad(z ** 3, z, create_graph=True)
    (dd,) = plait.autograd.grad(d, z, create_graph=True)
    dd.backward()
    assert d.item() == 12.0 and dd.item() == 12.0 and z.grad.item() == 6.0


@pytest.mark.parametrize("fn, dfn, d2fn", [
    (lambda x: x.sin(), np.cos, lambda v: -np.sin(v)),
    (lambda x: x.exp(), np.exp, np.exp),
    (lambda x: x.tanh(), lambda v: 1 - np.tanh(v) ** 2, lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    (lambda x: x.sigmoid(), lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s),
     lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s)),
    (lambda x: x.log(), lambda v: 1 / v, lambda v: -1 / v ** 2),
    (lambda x: x.sqrt(), lambda v: 0.5 / np.sqrt(v), lambda v: -0.25 * v ** -1.5),
    (lambda x: 1 / x, lambda v: -1 / v ** 2, lambda v: 2 / v ** 3),
    (lambda x: x.softmax(0)[0], None, None),
])
def test_second_derivatives_of_common_functions(fn, dfn, d2fn):
    v = np.array([0.3, 0.7, 1.9])
    x = plait.tensor(v, requires_grad=True)
    (g,) = plait.autograd.grad(fn(x).sum(), x, create_graph=True)
    (g2,) = plait.autograd.grad(g.sum(), x)
    if dfn is None:  # softmax: check against finite differences of the first derivative
        assert plait.autograd.gradgradcheck(lambda t: fn(t), (x,))
        return
    assert_close(g, dfn(v), rtol=1e-10)
    assert_close(g2, d2fn(v), rtol=1e-10)


def test_grad_several_inputs_and_outputs():
    x1 = plait.tensor(1.0, requires_grad=True)
    x2 = plait.tensor(2.0, requires_grad=True)
    y1 = x1 * x2
    y2 = x1 + x2
    (dy1_dx1, dy1_dx2) = plait.autograd.grad(outputs=y1, inputs=[x1, x2], retain_graph=True)
    assert f"{dy1_dx1!r} {dy1_dx2!r}" == "tensor(2.) tensor(1.)"
    (dy12_dx1, dy12_dx2) = plait.autograd.grad(outputs=[y1, y2], inputs=[x1, x2])
    assert f"{dy12_dx1!r} {dy12_dx2!r}" == "tensor(3.) tensor(2.)"


def test_grad_with_grad_outputs_and_non_leaf_inputs():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = h ** 2
    (gh, gx) = plait.autograd.grad(y, [h, x], grad_outputs=plait.tensor([1.0, 0.5]), retain_graph=True)
    assert gh.tolist() == [6.0, 6.0] and gx.tolist() == [18.0, 18.0]
    (g,) = plait.autograd.grad([y], [x], grad_outputs=[plait.ones(2)], retain_graph=False)
    assert g.tolist() == [18.0, 36.0]


def test_grad_allow_unused_and_errors():
    x = plait.tensor(1.0, requires_grad=True)
    unused = plait.tensor(1.0, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        plait.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = plait.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gx.item() == 2.0 and gu is None
    gx, gu = plait.autograd.grad(y, [x, unused], materialize_grads=True, retain_graph=True)
    assert gu.item() == 0.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        plait.autograd.grad(y, plait.tensor(1.0))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        plait.autograd.grad(x * plait.ones(2), x)
    z = x.exp()
    plait.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        plait.autograd.grad(z, x)


def test_autograd_backward_function():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 2, x * 3
    plait.autograd.backward([a, b], [plait.ones(2), plait.ones(2)])
    assert x.grad.tolist() == [5.0, 5.0]


def test_jacobian_example_of_the_notes():
    x = plait.tensor([[2, 3]], dtype=plait.float, requires_grad=True)
    J = plait.zeros(2, 2)
    y = plait.zeros(1, 2)
    y[0, 0] = x[0, 0] ** 2 + 3 * x[0, 1]
    y[0, 1] = x[0, 1] ** 2 + 2 * x[0, 0]
    assert y.requires_grad and y.grad_fn is not None
    y.backward(plait.Tensor([[1, 1]]), retain_graph=True)
    assert repr(x.grad) == "tensor([[6., 9.]])"
    x.grad = plait.zeros_like(x.grad)
    y.backward(plait.Tensor([[1, 0]]), retain_graph=True)
    J[0] = x.grad
    x.grad = plait.zeros_like(x.grad)
    y.backward(plait.Tensor([[0, 1]]))
    J[1] = x.grad
    assert repr(J) == "tensor([[4., 3.],\n        [2., 6.]])"


def test_minimise_a_function_with_plain_gradient_descent():
    x = plait.tensor(0.0, requires_grad=True)
    a, b, c = plait.tensor(1.0), plait.tensor(-2.0), plait.tensor(1.0)

    def f(x):
        return a * plait.pow(x, 2) + b * x + c

    for _ in range(500):
        if x.grad is not None:
            x.grad.zero_()
        y = f(x)
        y.backward()
        with plait.no_grad():
            x.add_(x.grad, alpha=-0.01)
    assert x.is_leaf and x.requires_grad
    assert f"y= {f(x).data!r} ; x= {x.data!r}" == "y= tensor(0.) ; x= tensor(1.0000)"


def test_minimise_a_function_with_plait_optim_sgd():
    optim = pytest.importorskip("plait.optim", reason="the plait-optim distribution is not installed")
    x = plait.tensor(0.0, requires_grad=True)
    a, b, c = plait.tensor(1.0), plait.tensor(-2.0), plait.tensor(1.0)
    optimizer = optim.SGD(params=[x], lr=0.01)

    def f(x):
        result = a * plait.pow(x, 2) + b * x + c
        return result

    for i in range(500):
        optimizer.zero_grad()
        y = f(x)
        y.backward()
        optimizer.step()
    assert f"y= {f(x).data!r} ; x= {x.data!r}" == "y= tensor(0.) ; x= tensor(1.0000)"


def test_blitz_autograd_example():
    x = plait.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    assert repr(x.grad) == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"
    x.grad = None
    out = (((x + 2) * (x + 2)) * 3).mean()
    out.backward(plait.tensor(1.0))
    assert x.grad.tolist() == [[4.5, 4.5], [4.5, 4.5]]


# ---------------------------------------------------------------- custom Function
class MyReLU(plait.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def test_custom_function_example_of_the_notes():
    w = plait.tensor([[3.0, 1.0]], requires_grad=True)
    b = plait.tensor([[3.0]], requires_grad=True)
    X = plait.tensor([[-1.0, -1.0], [1.0, 1.0]])
    Y = plait.tensor([[2.0, 3.0]])
    relu = MyReLU.apply
    Y_hat = relu(X @ w.t() + b)
    loss = plait.mean(plait.pow(Y_hat - Y, 2))
    loss.backward()
    assert repr(w.grad) == "tensor([[4.5000, 4.5000]])"
    assert repr(b.grad) == "tensor([[4.5000]])"
    assert _addr(repr(Y_hat.grad_fn)) == "<plait.autograd.function.MyReLUBackward object at 0x>"
    assert "grad_fn=<MyReLUBackward>" in repr(Y_hat)
    assert Y_hat.grad_fn.next_functions[0][0].name() == "AddBackward0"


class ScaleAndShift(plait.autograd.Function):
    """Two tensor inputs, a non-tensor argument, two outputs (one non-differentiable)."""

    @staticmethod
    def forward(ctx, x, y, scale):
        ctx.save_for_backward(x, y)
        ctx.scale = scale
        ctx.seen_needs = ctx.needs_input_grad
        out = x * y * scale
        idx = out.argmax()
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        x, y = ctx.saved_tensors
        gx = g * y * ctx.scale if ctx.needs_input_grad[0] else None
        gy = g * x * ctx.scale if ctx.needs_input_grad[1] else None
        return gx, gy, None


def test_custom_function_several_inputs_outputs_and_needs_input_grad():
    x = plait.tensor([1.0, 2.0], dtype=plait.float64, requires_grad=True)
    y = plait.tensor([3.0, 4.0], dtype=plait.float64)
    out, idx = ScaleAndShift.apply(x, y, 2.0)
    assert out.grad_fn.needs_input_grad == (True, False, False)
    assert out.requires_grad and not idx.requires_grad and idx.item() == 1
    out.sum().backward()
    assert x.grad.tolist() == [6.0, 8.0] and y.grad is None
    yy = y.clone().requires_grad_()
    assert plait.autograd.gradcheck(lambda a, b: ScaleAndShift.apply(a, b, 0.5)[0], (x, yy))
    with plait.no_grad():
        out, _ = ScaleAndShift.apply(x, y, 2.0)
    assert not out.requires_grad and out.grad_fn is None


def test_custom_function_errors():
    class WrongCount(plait.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    a = plait.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        WrongCount.apply(a, a).sum().backward()

    class SavesNumber(plait.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(3)
            return x

    with pytest.raises(TypeError, match="save_for_backward can only save tensors"):
        SavesNumber.apply(a)
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        MyReLU()


def test_custom_function_saved_tensors_freed_and_version_checked():
    x = plait.tensor([-1.0, 2.0], requires_grad=True)
    h = x * 1
    y = MyReLU.apply(h)
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [0.0, 1.0]
    with plait.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_once_differentiable():
    class Square(plait.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @plait.autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = plait.tensor(3.0, requires_grad=True)
    Square.apply(x).backward()
    assert x.grad.item() == 6.0


# ---------------------------------------------------------------- grad modes
def test_no_grad_enable_grad_set_grad_enabled_context_managers():
    x = plait.ones(2, requires_grad=True)
    with plait.no_grad():
        y = x * 2
        assert not plait.is_grad_enabled()
        with plait.enable_grad():
            z = x * 2
            assert plait.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad
    with plait.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert plait.is_grad_enabled()
    plait.set_grad_enabled(False)  # as a plain call it switches right away
    assert not (x * 2).requires_grad
    plait.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with plait.inference_mode():
        assert not (x * 2).requires_grad
    with plait.autograd.no_grad():
        assert not plait.autograd.is_grad_enabled()
    with pytest.raises(TypeError, match="must be bool"):
        plait.set_grad_enabled("yes")


def test_grad_modes_as_decorators():
    x = plait.ones(2, requires_grad=True)

    @plait.no_grad()
    def f(t):
        return t * 2

    @plait.no_grad
    def f2(t):
        return t * 2

    @plait.enable_grad()
    def g(t):
        return t * 2

    @plait.set_grad_enabled(False)
    def h(t):
        return t * 2

    assert plait.is_grad_enabled()  # decorating with set_grad_enabled does not switch the mode
    assert not f(x).requires_grad and not f2(x).requires_grad and not h(x).requires_grad
    with plait.no_grad():
        assert g(x).requires_grad
    assert f.__name__ == "f"


def test_no_grad_restores_mode_after_exceptions():
    with pytest.raises(ValueError):
        with plait.no_grad():
            raise ValueError("boom")
    assert plait.is_grad_enabled()


# ---------------------------------------------------------------- in-place checks
def test_leaf_inplace_error():
    x = plait.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x[0] = 5.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.zero_()
    with plait.no_grad():
        x.add_(1)
        x[0] = 5.0
    assert x.tolist() == [5.0, 2.0] and x.requires_grad and x.is_leaf


def test_inplace_modification_of_saved_tensor_is_detected():
    a = plait.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b.sin()   # saves b
    b.add_(1)     # bumps b's version
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[plait.FloatTensor \[2\]\].*"
                                           r"is at version 1; expected version 0 instead"):
        c.sum().backward()
    x = plait.tensor([1.0], requires_grad=True)
    y = x.exp()   # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    w = plait.tensor([1.0, 2.0], requires_grad=True)
    p = w * w
    with plait.no_grad():
        w.mul_(3)  # a saved leaf modified under no_grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        p.sum().backward()


def test_inplace_on_non_leaf_is_differentiated():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0"
    y.mul_(plait.tensor([2.0, 3.0]))
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]
    # as in torch, multiplying in place by a detached alias invalidates the saved alias
    u = x * 2
    u.mul_(u.detach())
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        u.sum().backward()
    z = x * 1
    z[0] = z[1] * 3
    assert z.grad_fn.name() == "CopySlices"
    x.grad = None
    z.sum().backward()
    assert x.grad.tolist() == [0.0, 4.0]
    w = x * 1
    w[plait.tensor([True, False])] = 0.0
    x.grad = None
    w.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]


def test_inplace_on_a_view_is_seen_by_its_base():
    x = plait.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    v.mul_(10)
    assert y.tolist() == [1.0, 20.0, 30.0] and y.grad_fn.name() == "CopySlices"
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [1.0, 10.0, 10.0]
    x.grad = None
    (v * 1).sum().backward()  # and through the view itself
    assert x.grad.tolist() == [0.0, 10.0, 10.0]


def test_views_created_before_an_inplace_change_of_their_base():
    x = plait.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    y.mul_(10)
    v.sum().backward()
    assert x.grad.tolist() == [0.0, 10.0, 10.0]
    x.grad = None
    y = x * 1
    a, b = y[0:2], y[1:3]
    a.mul_(2)
    b.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 1.0]


def test_copy_into_views():
    x = plait.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 3
    y[:2].copy_(plait.zeros(2))  # constants: no gradient reaches x there
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 3.0]
    x.grad = None
    z = plait.zeros(3)
    z[1:].copy_(x[:2] * 5)  # a tensor that needed no grad now depends on x
    assert z.requires_grad and z.grad_fn.name() == "CopySlices"
    z.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0, 0.0]


def test_inplace_through_chained_views():
    x = plait.arange(6.0).requires_grad_()
    y = x * 1
    v = y.view(2, 3).t()[1]
    v.add_(plait.tensor([100.0, 200.0], requires_grad=True) * 1)
    assert y.tolist() == [0.0, 101.0, 2.0, 3.0, 204.0, 5.0]
    (y * plait.arange(6.0)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    x.grad = None
    y = x - 3
    y.view(2, 3).unsqueeze(0).relu_()
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    x.grad = None
    y = x * 1
    y.view(2, 3).t().unsqueeze(0)[0, 1:].mul_(plait.tensor([[2.0, 3.0], [4.0, 5.0]]))
    (y * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 4.0, 1.0, 3.0, 5.0]


def test_inplace_on_a_view_of_a_leaf_is_an_error():
    x = plait.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        x[0:2].mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.view(3)[0] = 1.0
    with plait.no_grad():
        x[0:2].mul_(2)
    assert x.tolist() == [2.0, 4.0, 3.0]


def test_inplace_on_expanded_tensor_is_an_error():
    e = plait.zeros(3).expand(2, 3)
    for op in (lambda: e.add_(1), lambda: e.fill_(1.0), lambda: e.__setitem__(0, 1.0), lambda: e.zero_()):
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single "
                                               "memory location"):
            op()
    same = plait.zeros(3).expand(3)  # no element is repeated
    same.add_(1)
    assert same.tolist() == [1.0, 1.0, 1.0]


def test_data_has_its_own_version_counter():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    y = x * x   # saves x
    x.data.mul_(1)  # torch: changes through .data are not seen by autograd's checks
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    d = x.detach()
    z = x * x
    d.mul_(1)  # ...but changes through detach() are
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# ---------------------------------------------------------------- broadcasting, deep graphs, misc
def test_broadcasting_is_reduced_in_backward():
    a = np.arange(3.0).reshape(3, 1)
    b = np.arange(4.0) + 1
    x = plait.tensor(a, requires_grad=True)
    y = plait.tensor(b, requires_grad=True)
    s = plait.tensor(2.0, requires_grad=True)
    out = (x * y + s).sum()
    out.backward()
    assert x.grad.shape == (3, 1) and y.grad.shape == (4,) and s.grad.shape == ()
    assert_close(x.grad, np.full((3, 1), b.sum()))
    assert_close(y.grad, np.full(4, a.sum()))
    assert s.grad.item() == 12.0
    e = plait.tensor([[1.0, 2.0]], requires_grad=True)
    (e.expand(3, 2) * plait.arange(6.0).view(3, 2)).sum().backward()
    assert e.grad.tolist() == [[6.0, 9.0]]


def test_deep_chain_backpropagates_without_recursion_error():
    x = plait.tensor(1.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = -y
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_with_shared_subexpressions():
    x = plait.tensor(2.0, requires_grad=True)
    h = x * x
    y = h * h + h  # h used twice: x**4 + x**2
    y.backward()
    assert x.grad.item() == 4 * 8 + 2 * 2


def test_dynamic_graph_built_per_call():
    w = plait.tensor([[3.0, 1.0]], requires_grad=True)
    b = plait.tensor([[3.0]], requires_grad=True)
    X, Y = plait.randn(10, 2), plait.randn(10, 1)
    Y_hat = X @ w.t() + b
    loss = plait.mean(plait.pow(Y_hat - Y, 2))
    xn, yn, wn = to_np(X), to_np(Y), np.array([[3.0, 1.0]])
    expected = np.mean((xn @ wn.T + 3.0 - yn) ** 2)
    assert abs(loss.item() - expected) < 1e-4
    loss.backward()
    gw = 2 * ((xn @ wn.T + 3.0 - yn) * xn).mean(0, keepdims=True)
    assert_close(w.grad, gw, rtol=1e-4, atol=1e-5)


def test_grad_of_integer_output_ops_is_none():
    x = plait.tensor([1.0, 3.0, 2.0], requires_grad=True)
    assert not x.argmax().requires_grad
    assert not (x > 1).requires_grad
    assert not x.long().requires_grad
    assert not x.sort().indices.requires_grad and x.sort().values.requires_grad


def test_deepcopy_keeps_requires_grad_and_grad():
    import copy
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.grad.tolist() == [2.0, 2.0] and y is not x
    y.grad.add_(1)
    assert x.grad.tolist() == [2.0, 2.0]


def test_queue_callback_runs_once_after_the_backward_pass():
    from plait.autograd import engine
    order = []
    w = plait.ones(3, requires_grad=True)

    def hook(grad):
        engine.queue_callback(lambda: order.append(("callback", w.grad is not None)))
        order.append("hook")
        return grad
    w.register_hook(hook)
    (w * 2).sum().backward()
    assert order == ["hook", ("callback", True)]  # after accumulation into .grad
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass"):
        engine.queue_callback(lambda: None)
