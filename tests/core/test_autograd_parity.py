"""Autograd behaviour matched to torch 2.13 (same exception types and messages): grad-mode decorators on
generator functions, validation of what tensor hooks return, the ``.grad`` setter, the warning on reading a
non-leaf's ``.grad``, ``detach_()`` on views, and ``register_post_accumulate_grad_hook``."""
import functools
import re
import warnings

import pytest

import plait


def _grad_modes():
    return [
        ("no_grad()", lambda: plait.no_grad(), False),
        ("no_grad", None, False),
        ("set_grad_enabled(False)", lambda: plait.set_grad_enabled(False), False),
        ("inference_mode()", lambda: plait.inference_mode(), False),
        ("inference_mode", None, False),
    ]


# ---------------------------------------------------------------- 1. grad-mode decorators on generators
def _decorate(name, make, fn):
    if make is not None:
        return make()(fn)
    return getattr(plait, name)(fn)  # bare decorator: @plait.no_grad / @plait.inference_mode


@pytest.mark.parametrize("name, make, inside", _grad_modes())
def test_grad_mode_decorator_applies_inside_generator_on_every_resumption(name, make, inside):
    x = plait.ones(2, requires_grad=True)
    seen = []

    def gen(n):
        for i in range(n):
            got = yield (x * 2).requires_grad
            seen.append((got, plait.is_grad_enabled()))
        return "done"

    wrapped = _decorate(name, make, gen)
    assert wrapped.__name__ == "gen"
    assert plait.is_grad_enabled()
    it = wrapped(3)
    assert plait.is_grad_enabled()  # creating the generator runs none of its body
    assert next(it) is inside
    assert plait.is_grad_enabled()  # restored while the generator is suspended
    assert (x * 2).requires_grad
    assert it.send("a") is inside
    assert plait.is_grad_enabled()
    with plait.set_grad_enabled(not inside):  # whatever the caller's mode, the body gets the decorator's
        assert it.send("b") is inside
        assert plait.is_grad_enabled() is (not inside)
    with pytest.raises(StopIteration) as stop:
        it.send("c")
    assert stop.value.value == "done"
    assert seen == [("a", inside), ("b", inside), ("c", inside)]
    assert plait.is_grad_enabled()


def test_enable_grad_decorator_on_generator_inside_no_grad():
    @plait.enable_grad()
    def gen():
        yield plait.is_grad_enabled()
        yield plait.is_grad_enabled()

    with plait.no_grad():
        it = gen()
        assert next(it) is True and not plait.is_grad_enabled()
        assert next(it) is True and not plait.is_grad_enabled()

    @plait.enable_grad
    def bare():
        yield plait.is_grad_enabled()

    with plait.no_grad():
        assert list(bare()) == [True] and not plait.is_grad_enabled()


def test_grad_mode_generator_throw_and_close_run_under_the_mode():
    log = []

    @plait.no_grad()
    def gen():
        try:
            yield 1
        except ValueError:
            log.append(("caught", plait.is_grad_enabled()))
            yield 2
        finally:
            log.append(("finally", plait.is_grad_enabled()))

    it = gen()
    assert next(it) == 1
    assert it.throw(ValueError("x")) == 2 and plait.is_grad_enabled()
    it.close()
    assert plait.is_grad_enabled()
    assert log == [("caught", False), ("finally", False)]

    @plait.no_grad()
    def raising():
        yield 1
        raise KeyError("boom")

    it = raising()
    next(it)
    with pytest.raises(KeyError, match="boom"):
        next(it)
    assert plait.is_grad_enabled()


def test_grad_mode_decorator_on_plain_function_and_class():
    @plait.set_grad_enabled(False)
    def f():
        return plait.is_grad_enabled()

    assert plait.is_grad_enabled() and f() is False and plait.is_grad_enabled()

    class A:
        def __init__(self):
            self.mode = plait.is_grad_enabled()

    with pytest.warns(FutureWarning, match="Decorating classes is deprecated"):
        make = plait.no_grad()(A)
    assert make().mode is False and plait.is_grad_enabled()


# ---------------------------------------------------------------- 2. what tensor hooks may return
def _shrink(g):
    return g[:2]


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_changing_the_size_raises(leaf):
    x = plait.ones(3, requires_grad=True)
    t = x if leaf else x * 2
    t.register_hook(_shrink)
    with pytest.raises(RuntimeError, match=re.escape("hook '_shrink' has changed the size of value")):
        (t * 3).sum().backward()


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_names_in_messages(leaf):
    x = plait.ones(3, requires_grad=True)
    t = x if leaf else x * 2
    h = t.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match=re.escape("hook '<lambda>' has changed the size of value")):
        (t * 3).sum().backward(retain_graph=True)
    h.remove()
    t.register_hook(functools.partial(_shrink))  # no __name__
    with pytest.raises(RuntimeError, match=re.escape("hook '<unknown>' has changed the size of value")):
        (t * 3).sum().backward()


@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("value, name", [(5, "int"), ([1.0, 2.0, 3.0], "list"), ("a", "str")])
def test_hook_returning_a_non_tensor_raises_type_error(leaf, value, name):
    x = plait.ones(3, requires_grad=True)
    t = x if leaf else x * 2
    t.register_hook(lambda g: value)
    with pytest.raises(TypeError, match=re.escape(f"expected Variable, but hook returned '{name}'")):
        (t * 3).sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_changing_the_dtype_raises(leaf):
    x = plait.ones(3, requires_grad=True)
    t = x if leaf else x * 2
    t.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match=re.escape(
            "hook '<lambda>' has changed the type of value (was plait.FloatTensor got plait.DoubleTensor)")):
        (t * 3).sum().backward()


def test_valid_hook_results_still_replace_the_gradient():
    x = plait.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: None)
    x.register_hook(lambda g: g + 1)
    y.sum().backward()
    assert x.grad.tolist() == [21.0, 21.0, 21.0]


def test_leaf_hooks_apply_to_autograd_grad_and_see_the_leaf_dtype():
    x = plait.ones(3, requires_grad=True)
    y = plait.ones(3, requires_grad=True)
    calls = []
    x.register_hook(lambda g: g * 10)
    y.register_hook(lambda g: calls.append("y"))
    (g,) = plait.autograd.grad((x * 2 * y).sum(), x)
    assert g.tolist() == [20.0, 20.0, 20.0] and x.grad is None
    assert calls == []  # y was not asked for: its hook does not run (as torch)
    z = plait.ones(3, requires_grad=True)
    dtypes = []
    z.register_hook(lambda g: dtypes.append(g.dtype))
    (z.double() * 2).sum().backward()
    assert dtypes == [plait.float32] and z.grad.dtype is plait.float32


# ---------------------------------------------------------------- 3. the .grad setter
@pytest.mark.parametrize("make, exc, msg", [
    (lambda: plait.ones(2), RuntimeError,
     "attempting to assign a gradient of size '[2]' to a tensor of size '[3]'. Please ensure that the gradient "
     "and the tensor are the same size"),
    (lambda: plait.ones(3, 1), RuntimeError,
     "attempting to assign a gradient of size '[3, 1]' to a tensor of size '[3]'. Please ensure that the "
     "gradient and the tensor are the same size"),
    (lambda: plait.ones(3, dtype=plait.float64), RuntimeError,
     "attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype 'Float'. The gradient must "
     "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
     "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the "
     "dtypes of a tensor and its gradient may break downstream systems that assume they match."),
    (lambda: plait.ones(2, dtype=plait.int64), RuntimeError,  # dtype is checked before size
     "attempting to assign a gradient with dtype 'long int' to a tensor with grad_dtype 'Float'."),
    (lambda: 5, TypeError, "assigned grad expected to be a Tensor or None but got grad of type int"),
    (lambda: [1.0, 2.0, 3.0], TypeError, "assigned grad expected to be a Tensor or None but got grad of type list"),
])
def test_grad_setter_validates_like_torch(make, exc, msg):
    x = plait.ones(3, requires_grad=True)
    with pytest.raises(exc) as info:
        x.grad = make()
    assert str(info.value).startswith(msg)
    assert x.grad is None


def test_grad_setter_other_cases():
    x = plait.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^can't assign Variable as its own grad$"):
        x.grad = x
    d = plait.zeros(3, dtype=plait.float64)
    with pytest.raises(RuntimeError, match="with dtype 'float' to a tensor with grad_dtype 'Double'"):
        d.grad = plait.zeros(3)  # checked on tensors that do not require grad too
    g = plait.full((3,), 2.0)
    x.grad = g
    assert x.grad is g
    x.grad = None
    assert x.grad is None
    x.grad = g
    del x.grad
    assert x.grad is None
    x.grad = plait.ones(3, requires_grad=True)  # a grad that itself requires grad is allowed
    assert x.grad.requires_grad


@pytest.mark.gpu
def test_grad_setter_device_type():
    if not plait.cuda.is_available():
        pytest.skip("needs a CUDA device")
    x = plait.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(
            "attempting to assign a gradient with device type 'cuda' to a tensor with device type 'cpu'. Please "
            "ensure that the gradient and the tensor are on the same device")):
        x.grad = plait.ones(3, device="cuda")


# ---------------------------------------------------------------- 4. reading a non-leaf's .grad
NON_LEAF = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"


def test_non_leaf_grad_read_warns_at_the_caller():
    x = plait.ones(3, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match=re.escape(NON_LEAF)) as rec:
        assert y.grad is None
    assert rec[0].filename == __file__
    assert str(rec[0].message).endswith(
        "Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to "
        "be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf "
        "Tensor by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
        "for more information.")


def test_no_non_leaf_warning_for_leaves_retained_or_set_grads():
    x = plait.ones(3, requires_grad=True)
    y = x * 2
    z = x * 3
    z.retain_grad()
    w = x * 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and z.grad is None
        assert plait.ones(3).grad is None and (plait.ones(3) * 2).grad is None  # no grad_fn: a leaf
        with plait.no_grad():
            assert (x * 2).grad is None
        (y.sum() + z.sum() + w.sum()).backward(inputs=[x, z, w])  # backward's own reads do not warn
        assert x.grad.tolist() == [9.0] * 3 and z.grad.tolist() == [1.0] * 3
        assert w.grad.tolist() == [1.0] * 3  # set by backward(inputs=): no warning once set
        w.grad = None
        y = x * 2
        y.retain_grad()
        (y * y).sum().backward()
        assert y.grad.tolist() == [4.0] * 3


def test_retained_non_leaf_in_backward_inputs_is_filled_once():
    x = plait.ones(3, requires_grad=True)
    z = x * 3
    z.retain_grad()
    z.sum().backward(inputs=[x, z], retain_graph=True)
    assert z.grad.tolist() == [1.0] * 3 and x.grad.tolist() == [3.0] * 3
    z.sum().backward(inputs=[z])
    assert z.grad.tolist() == [2.0] * 3 and x.grad.tolist() == [3.0] * 3


def test_engine_never_reads_non_leaf_grads_through_the_warning():
    x = plait.ones(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 1)
        z = (y * y).sum()
        z.backward(create_graph=True)
        (g,) = plait.autograd.grad((x * x).sum(), x, create_graph=True)
        g.sum().backward()
        plait.autograd.backward([(x * 5).sum()], inputs=[x])


# ---------------------------------------------------------------- 5. detach_() on views
DETACH_VIEW = ("Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
               "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
               "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
               "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")


@pytest.mark.parametrize("make", [lambda x: x[0], lambda x: x.view(12), lambda x: x.t(), lambda x: x[:, :2],
                                  lambda x: x.unsqueeze(0), lambda x: (x * 2).view(12), lambda x: x.detach()[0]])
def test_detach_in_place_on_a_view_raises(make):
    x = plait.ones(3, 4, requires_grad=True)
    v = make(x)
    with pytest.raises(RuntimeError) as info:
        v.detach_()
    assert str(info.value) == DETACH_VIEW


def test_detach_in_place_on_non_views():
    x = plait.ones(3, 4, requires_grad=True)
    y = x * 2
    assert y.detach_() is y and y.grad_fn is None and not y.requires_grad and y.is_leaf
    d = x.detach()
    assert d.detach_() is d
    c = x[[0, 1]]  # advanced indexing copies: not a view
    assert c.detach_() is c and not c.requires_grad


# ---------------------------------------------------------------- 6. register_post_accumulate_grad_hook
def test_post_accumulate_grad_hook_runs_after_accumulation():
    x = plait.ones(3, requires_grad=True)
    log = []
    x.register_hook(lambda g: log.append("hook"))
    h = x.register_post_accumulate_grad_hook(lambda t: log.append(("post", t is x, t.grad.tolist())))
    (x * 2).sum().backward()
    assert log == ["hook", ("post", True, [2.0, 2.0, 2.0])]
    (x * 2).sum().backward()
    assert log[-1] == ("post", True, [4.0, 4.0, 4.0])
    h.remove()
    (x * 2).sum().backward()
    assert log[-1] == "hook" and x.grad.tolist() == [6.0] * 3


def test_post_accumulate_grad_hook_not_run_without_accumulation():
    x = plait.ones(3, requires_grad=True)
    y = plait.ones(3, requires_grad=True)
    log = []
    x.register_post_accumulate_grad_hook(lambda t: log.append("x"))
    y.register_post_accumulate_grad_hook(lambda t: log.append("y"))
    plait.autograd.grad((x * y).sum(), [x, y])
    assert log == []
    (x * y).sum().backward(inputs=[y])
    assert log == ["y"] and x.grad is None


def test_post_accumulate_grad_hook_can_consume_the_grad():
    p = plait.ones(3, requires_grad=True)

    def step(t):  # an optimizer step fused into backward
        with plait.no_grad():
            t.sub_(t.grad * 0.5)
        t.grad = None

    p.register_post_accumulate_grad_hook(step)
    (p * 2).sum().backward()
    assert p.grad is None and p.tolist() == [0.0, 0.0, 0.0]


def test_post_accumulate_grad_hook_grad_mode_follows_create_graph():
    x = plait.ones(3, requires_grad=True)
    modes = []
    x.register_post_accumulate_grad_hook(lambda t: modes.append((plait.is_grad_enabled(), t.grad.requires_grad)))
    (x * x).sum().backward()
    x.grad = None
    (x * x).sum().backward(create_graph=True)
    assert modes == [(False, False), (True, True)]


def test_post_accumulate_grad_hook_registration_errors():
    x = plait.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^post accumulate grad hooks cannot be registered on non-leaf tensors$"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="^cannot register a hook on a tensor that doesn't require gradient$"):
        plait.ones(3).register_post_accumulate_grad_hook(lambda t: None)


@pytest.mark.parametrize("ret, exc, msg", [
    (lambda t: t, None, None),
    (lambda t: t.grad, RuntimeError, "Tensor post accumulate grad hooks should return None."),
    (lambda t: t * 1, RuntimeError, "Tensor post accumulate grad hooks should return None."),
    (lambda t: t[:2], RuntimeError, "hook '<lambda>' has changed the size of value"),
    (lambda t: "a", TypeError, "expected Variable, but hook returned 'str'"),
])
def test_post_accumulate_grad_hook_return_values(ret, exc, msg):
    z = plait.ones(3, requires_grad=True)
    z.register_post_accumulate_grad_hook(ret)
    if exc is None:
        (z * 2).sum().backward()
        assert z.grad.tolist() == [2.0] * 3
    else:
        with pytest.raises(exc) as info:
            (z * 2).sum().backward()
        assert str(info.value) == msg


def test_leaf_hook_order_matches_torch():
    x = plait.ones(2, requires_grad=True)
    y = x * 2
    acc = y.grad_fn.next_functions[0][0]
    log = []
    x.register_hook(lambda g: log.append(("tensor", g.tolist())) or g * 10)
    acc.register_prehook(lambda go: log.append(("pre", [t.tolist() for t in go])) or (go[0] + 1,))
    acc.register_hook(lambda gi, go: log.append(("post", gi, [t.tolist() for t in go])))
    x.register_post_accumulate_grad_hook(lambda t: log.append(("postacc", t.grad.tolist())))
    y.sum().backward(retain_graph=True)
    assert log == [("tensor", [2.0, 2.0]), ("pre", [[20.0, 20.0]]), ("postacc", [21.0, 21.0]),
                   ("post", (), [[21.0, 21.0]])]
    assert x.grad.tolist() == [21.0, 21.0]
    log.clear()
    (g,) = plait.autograd.grad(y.sum(), x)  # a captured leaf gets its tensor hooks only, as in torch
    assert g.tolist() == [20.0, 20.0] and log == [("tensor", [2.0, 2.0])]


def test_function_gradients_take_their_inputs_dtype_like_torch():
    class Widening(plait.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            return z * 1

        @staticmethod
        def backward(ctx, g):
            return g.double()  # torch casts this back to the input's float32

    x = plait.ones(3, requires_grad=True)
    z = x * 2
    z.register_hook(lambda g: plait.ones(3))  # a float32 gradient is what the hook must see and may return
    Widening.apply(z).sum().backward()
    assert x.grad.dtype == plait.float32 and x.grad.tolist() == [2.0, 2.0, 2.0]
    z = x * 2
    Widening.apply(z).sum().backward(inputs=[z])
    assert z.grad.dtype == plait.float32
