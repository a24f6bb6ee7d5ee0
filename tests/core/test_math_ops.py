"""Elementwise math and comparisons with broadcasting, in-place variants, reductions with dim/keepdim,
max/min with indices, sort/argsort/topk and the matmul family, forward against NumPy."""
import math

import numpy as np
import pytest

import plait
from core_helpers import to_np, assert_close

R = np.random.default_rng(7)
X = R.standard_normal((3, 4)).astype(np.float32)
Y = R.standard_normal((4,)).astype(np.float32)
P = (R.random((3, 4)) + 0.5).astype(np.float32)   # positive
U = (R.random((3, 4)) * 1.6 - 0.8).astype(np.float32)  # in (-0.8, 0.8)

BINARY = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: a / b, np.divide),
    ("pow", lambda a, b: a.abs() ** b, lambda a, b: np.abs(a) ** b),
    ("maximum", plait.maximum, np.maximum),
    ("minimum", plait.minimum, np.minimum),
    ("atan2", plait.atan2, np.arctan2),
    ("remainder", plait.remainder, np.remainder),
    ("fmod", plait.fmod, np.fmod),
    ("floor_divide", lambda a, b: a // b, np.floor_divide),
    ("add_alpha", lambda a, b: plait.add(a, b, alpha=2), lambda a, b: a + 2 * b),
    ("sub_alpha", lambda a, b: plait.sub(a, b, alpha=0.5), lambda a, b: a - 0.5 * b),
]


@pytest.mark.parametrize("name, fn, ref", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 1), (1, 4)), ((3, 4), (3, 4)), ((), (3, 4))],
                         ids=["row", "outer", "same", "scalar"])
def test_binary_broadcasting(name, fn, ref, shapes):
    sa, sb = shapes
    a = R.standard_normal(sa).astype(np.float32)
    b = (R.random(sb) + 0.5).astype(np.float32) * np.where(R.random(sb) > 0.5, 1, -1).astype(np.float32)
    out = fn(plait.tensor(a), plait.tensor(b))
    assert_close(out, ref(a, b).astype(np.float32), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, fn, ref", BINARY[:4], ids=[b[0] for b in BINARY[:4]])
def test_binary_with_python_scalars_both_sides(name, fn, ref):
    a = plait.tensor(X)
    assert_close(fn(a, 2.5), ref(X, np.float32(2.5)), rtol=1e-6)
    assert_close(fn(2.5, a), ref(np.float32(2.5), X), rtol=1e-5)
    assert_close(fn(a, 3), ref(X, np.float32(3)), rtol=1e-6)


def test_rpow_and_integer_pow():
    a = plait.tensor([1.0, 2.0, 3.0])
    assert_close(2 ** a, [2.0, 4.0, 8.0])
    assert_close(a ** 2, [1.0, 4.0, 9.0])
    assert_close(a ** 0.5, np.sqrt([1.0, 2.0, 3.0]), rtol=1e-6)
    assert_close(a ** -1, [1.0, 0.5, 1 / 3], rtol=1e-6)
    assert_close(a.pow(a), [1.0, 4.0, 27.0])
    i = plait.tensor([1, 2, 3])
    assert (i ** 2).dtype is plait.int64 and (i ** 2).tolist() == [1, 4, 9]
    assert (i ** 0.5).dtype is plait.float32
    assert (2 ** i).tolist() == [2, 4, 8] and (2 ** i).dtype is plait.int64
    assert (2.0 ** i).dtype is plait.float32
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i ** -1
    assert plait.pow(2, a).tolist() == [2.0, 4.0, 8.0]


UNARY = [
    ("exp", X, np.exp), ("expm1", X, np.expm1), ("log", P, np.log), ("log2", P, np.log2), ("log10", P, np.log10),
    ("log1p", P, np.log1p), ("sqrt", P, np.sqrt), ("rsqrt", P, lambda a: 1 / np.sqrt(a)), ("sin", X, np.sin),
    ("cos", X, np.cos), ("tan", U, np.tan), ("asin", U, np.arcsin), ("acos", U, np.arccos), ("atan", X, np.arctan),
    ("sinh", X, np.sinh), ("cosh", X, np.cosh), ("tanh", X, np.tanh),
    ("sigmoid", X, lambda a: 1 / (1 + np.exp(-a))), ("relu", X, lambda a: np.maximum(a, 0)),
    ("reciprocal", P, np.reciprocal), ("neg", X, np.negative), ("abs", X, np.abs), ("square", X, np.square),
    ("sign", X, np.sign), ("floor", X * 3, np.floor), ("ceil", X * 3, np.ceil), ("round", X * 3, np.round),
    ("trunc", X * 3, np.trunc), ("erf", X, np.vectorize(math.erf)),
]


@pytest.mark.parametrize("name, data, ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_math(name, data, ref):
    t = plait.tensor(data)
    expected = ref(data.astype(np.float64)).astype(np.float32)
    assert_close(getattr(t, name)(), expected, rtol=2e-6, atol=2e-6)
    assert_close(getattr(plait, name)(t), expected, rtol=2e-6, atol=2e-6)


def test_erf_float64_accuracy():
    v = np.linspace(-7, 7, 141)
    assert_close(plait.tensor(v).erf(), np.vectorize(math.erf)(v), rtol=1e-13, atol=1e-15)


def test_sigmoid_is_stable_for_large_inputs():
    out = plait.tensor([-1000.0, 0.0, 1000.0]).sigmoid()
    assert out.tolist() == [0.0, 0.5, 1.0]


def test_round_decimals_and_integer_rounding():
    assert_close(plait.tensor([1.234, 5.678]).round(decimals=1), [1.2, 5.7], rtol=1e-6)
    assert plait.tensor([1, 2]).floor().tolist() == [1, 2]


def test_clamp_variants():
    t = plait.tensor(X)
    assert_close(t.clamp(-0.5, 0.5), np.clip(X, -0.5, 0.5))
    assert_close(t.clamp(min=0), np.maximum(X, 0))
    assert_close(plait.clamp(t, max=0.1), np.minimum(X, 0.1))
    assert_close(t.clip(0, 1), np.clip(X, 0, 1))
    lo, hi = plait.full((4,), -0.2), plait.full((3, 1), 0.3)
    assert_close(t.clamp(lo, hi), np.clip(X, -0.2, 0.3))
    assert_close(t.clamp(min=lo), np.maximum(X, -0.2))
    assert_close(t.clamp_min(0.0), np.maximum(X, 0))
    assert_close(t.clamp_max(0.0), np.minimum(X, 0))
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        t.clamp()
    i = plait.tensor([1, 5, 9]).clamp(2, 6)
    assert i.dtype is plait.int64 and i.tolist() == [2, 5, 6]
    assert plait.tensor([1, 5]).clamp(max=2.5).dtype is plait.float32


def test_comparisons_and_logical_with_broadcasting():
    a, b = plait.tensor(X), plait.tensor(Y)
    for op, ref in ((plait.eq, np.equal), (plait.ne, np.not_equal), (plait.lt, np.less), (plait.le, np.less_equal),
                    (plait.gt, np.greater), (plait.ge, np.greater_equal)):
        out = op(a, b)
        assert out.dtype is plait.bool
        np.testing.assert_array_equal(to_np(out), ref(X, Y))
    np.testing.assert_array_equal(to_np(a > 0), X > 0)
    np.testing.assert_array_equal(to_np(0 < a), X > 0)
    np.testing.assert_array_equal(to_np(0.5 >= a), X <= 0.5)
    np.testing.assert_array_equal(to_np(a == a), np.ones_like(X, dtype=bool))
    m1, m2 = a > 0, b > 0
    np.testing.assert_array_equal(to_np(m1 & m2), (X > 0) & (Y > 0))
    np.testing.assert_array_equal(to_np(m1 | m2), (X > 0) | (Y > 0))
    np.testing.assert_array_equal(to_np(m1 ^ m2), (X > 0) ^ (Y > 0))
    np.testing.assert_array_equal(to_np(~m1), ~(X > 0))
    np.testing.assert_array_equal(to_np(plait.logical_and(a, b)), np.logical_and(X, Y))
    np.testing.assert_array_equal(to_np(plait.logical_not(plait.tensor([0, 2]))), [True, False])
    i = plait.tensor([0b1100, 0b1010])
    assert (i & 0b1000).tolist() == [8, 8] and (i | 1).tolist() == [13, 11] and (~i).tolist() == [-13, -11]
    assert (plait.tensor([True, False]) + True).tolist() == [True, True]
    assert (plait.tensor([True, False]) * True).tolist() == [True, False]
    assert (plait.tensor([True, False]) + plait.tensor([False, False])).dtype is plait.bool
    n = plait.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    assert n.isnan().tolist() == [False, True, False, False]
    assert n.isinf().tolist() == [False, False, True, True]
    assert n.isfinite().tolist() == [True, False, False, False]
    assert n.nan_to_num(posinf=9.0, neginf=-9.0).tolist() == [1.0, 0.0, 9.0, -9.0]


def test_broadcasting_shape_mismatch_message():
    with pytest.raises((RuntimeError, ValueError)) as err:
        plait.zeros(2, 3) + plait.zeros(4)
    msg = str(err.value)
    assert "3" in msg and "4" in msg
    assert "[2, 3]" in msg and "[4]" in msg


def test_lerp_addcmul_addcdiv():
    a, b = plait.tensor([0.0, 10.0]), plait.tensor([10.0, 20.0])
    assert plait.lerp(a, b, 0.25).tolist() == [2.5, 12.5]
    assert a.lerp(b, plait.tensor([0.5, 1.0])).tolist() == [5.0, 20.0]
    t, t1, t2 = plait.tensor(X[0]), plait.tensor(P[0]), plait.tensor(P[1])
    assert_close(plait.addcdiv(t, t1, t2, value=0.1), X[0] + 0.1 * (P[0] / P[1]), rtol=1e-6)
    assert_close(t.addcmul(t1, t2, value=2), X[0] + 2 * P[0] * P[1], rtol=1e-6)


# ---------------------------------------------------------------- in-place
INPLACE = [
    ("add_", (1.5,), lambda a: a + 1.5), ("sub_", (2,), lambda a: a - 2), ("mul_", (3,), lambda a: a * 3),
    ("div_", (4,), lambda a: a / 4), ("pow_", (2,), lambda a: a ** 2), ("clamp_", (-0.3, 0.3), lambda a: np.clip(a, -0.3, 0.3)),
    ("neg_", (), np.negative), ("abs_", (), np.abs), ("exp_", (), np.exp), ("sin_", (), np.sin), ("tanh_", (), np.tanh),
    ("sigmoid_", (), lambda a: 1 / (1 + np.exp(-a))), ("relu_", (), lambda a: np.maximum(a, 0)),
    ("floor_", (), np.floor), ("zero_", (), np.zeros_like), ("fill_", (7.0,), lambda a: np.full_like(a, 7.0)),
    ("clamp_min_", (0.0,), lambda a: np.maximum(a, 0)), ("square_", (), np.square),
]


@pytest.mark.parametrize("name, args, ref", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_ops(name, args, ref):
    t = plait.tensor(X)
    view = t[1:]
    out = getattr(t, name)(*args)
    assert out is t
    assert_close(t, ref(X.astype(np.float64)).astype(np.float32), rtol=1e-6, atol=1e-6)
    assert_close(view, to_np(t)[1:])  # views see the change
    assert t._version == 1 and view._version == 1


def test_inplace_with_tensors_and_broadcasting():
    t = plait.tensor(X)
    t.add_(plait.tensor(Y))
    assert_close(t, X + Y)
    t.mul_(plait.tensor(Y))
    assert_close(t, (X + Y) * Y, rtol=1e-6)
    t.sub_(plait.tensor(Y), alpha=2)
    assert_close(t, (X + Y) * Y - 2 * Y, rtol=1e-6)
    t += 1
    t -= 1
    t *= 2
    t /= 2
    assert_close(t, (X + Y) * Y - 2 * Y, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match=r"output with shape \[4\] doesn't match the broadcast shape \[3, 4\]"):
        plait.tensor(Y).add_(plait.tensor(X))


def test_copy_():
    t = plait.zeros(2, 3)
    t.copy_(plait.tensor([1, 2, 3]))  # broadcast and cast
    assert t.tolist() == [[1.0, 2.0, 3.0]] * 2 and t.dtype is plait.float32
    t.copy_(plait.ones(2, 3, dtype=plait.float64) * 5)
    assert t.tolist() == [[5.0] * 3] * 2
    s = plait.zeros(2, device="strict")
    s.copy_(plait.tensor([1.0, 2.0]))  # across devices
    assert s.device == plait.device("strict") and s.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError):
        t.copy_(plait.zeros(4))


def test_inplace_on_integer_tensors():
    i = plait.tensor([1, 2, 3])
    i.add_(2)
    i.mul_(plait.tensor([2, 2, 2]))
    assert i.tolist() == [6, 8, 10] and i.dtype is plait.int64
    i[0] = 2.7  # a Python float is cast to the tensor's dtype
    assert i.tolist() == [2, 8, 10]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.div_(2)
    b = plait.tensor([True, False])
    b[1] = 1
    assert b.tolist() == [True, True]


def test_random_inplace_fills():
    plait.manual_seed(3)
    t = plait.zeros(1000)
    t.uniform_(2, 3)
    assert 2 <= t.min().item() and t.max().item() < 3
    t.normal_(5, 0.1)
    assert abs(t.mean().item() - 5) < 0.05
    t.bernoulli_(0.5)
    assert set(to_np(t).tolist()) == {0.0, 1.0}
    t.random_(0, 4)
    assert set(to_np(t).tolist()) <= {0.0, 1.0, 2.0, 3.0}
    t.exponential_()
    assert t.min().item() >= 0


# ---------------------------------------------------------------- reductions
Z = R.standard_normal((2, 3, 4)).astype(np.float32)

REDUCTIONS = [
    ("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("amax", np.max), ("amin", np.min),
    ("std", lambda a, axis=None, keepdims=False: np.std(a, axis=axis, keepdims=keepdims, ddof=1)),
    ("var", lambda a, axis=None, keepdims=False: np.var(a, axis=axis, keepdims=keepdims, ddof=1)),
    ("logsumexp", lambda a, axis=None, keepdims=False: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))),
    ("norm", lambda a, axis=None, keepdims=False: np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))),
]


@pytest.mark.parametrize("name, ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2), [1, 2]], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions(name, ref, dim, keepdim):
    t = plait.tensor(Z)
    axis = tuple(dim) if isinstance(dim, list) else dim
    expected = np.asarray(ref(Z.astype(np.float64), axis=axis, keepdims=keepdim)).astype(np.float32)
    if dim is None and name == "logsumexp":
        dim = tuple(range(3))
    if dim is None:
        out = getattr(t, name)() if not keepdim else getattr(t, name)(dim=(0, 1, 2), keepdim=True)
    else:
        out = getattr(t, name)(dim=dim, keepdim=keepdim)
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_seed_sum_keepdim_examples():
    a = plait.linspace(0, 10, 6)
    a = a.view((2, 3))
    b = a.sum(dim=0)
    assert b.shape == (3,) and b.tolist() == [6.0, 10.0, 14.0]
    b = a.sum(dim=0, keepdim=True)
    assert b.shape == (1, 3)
    assert plait.sum(a, 1).tolist() == [6.0, 24.0]


def test_std_var_corrections():
    t = plait.tensor(Z)
    assert_close(t.std(unbiased=False), np.std(Z), rtol=1e-5)
    assert_close(t.var(1, correction=0), np.var(Z, axis=1), rtol=1e-5)
    assert_close(plait.var(t, False), np.var(Z), rtol=1e-5)
    v, m = plait.var_mean(t, 0)
    assert_close(v, np.var(Z, 0, ddof=1), rtol=1e-5)
    assert_close(m, np.mean(Z, 0), rtol=1e-5)
    assert math.isnan(plait.tensor([1.0]).std().item())


def test_norm_orders():
    v = plait.tensor([3.0, -4.0])
    assert v.norm().item() == 5.0
    assert v.norm(1).item() == 7.0
    assert v.norm(float("inf")).item() == 4.0
    assert v.norm(0).item() == 2.0
    assert abs(v.norm(3).item() - (27 + 64) ** (1 / 3)) < 1e-5
    assert_close(plait.tensor(X).norm(dim=1), np.linalg.norm(X, axis=1), rtol=1e-5)
    with pytest.raises(RuntimeError, match="singular value decomposition"):
        v.norm("nuc")


def test_all_any_count_nonzero_cumsum_cumprod():
    m = plait.tensor([[True, False], [True, True]])
    assert m.all().item() is False and m.any().item() is True
    assert m.all(dim=1).tolist() == [False, True] and m.any(0, keepdim=True).tolist() == [[True, True]]
    assert plait.tensor([1, 0, 2]).all().item() is False
    assert plait.count_nonzero(plait.tensor([[0, 1], [2, 3]])).item() == 3
    assert plait.tensor([[0, 1], [2, 3]]).count_nonzero(dim=0).tolist() == [1, 2]
    c = plait.tensor([[1, 2], [3, 4]])
    assert c.cumsum(0).tolist() == [[1, 2], [4, 6]] and c.cumsum(1).dtype is plait.int64
    assert c.cumprod(dim=1).tolist() == [[1, 2], [3, 12]]
    assert_close(plait.tensor(X).cumsum(-1), np.cumsum(X, -1), rtol=1e-5, atol=1e-6)
    assert plait.tensor([True, True]).cumsum(0).tolist() == [1, 2]


def test_reductions_on_integers_and_nan_variants():
    i = plait.tensor([[1, 2], [3, 4]])
    assert i.sum().item() == 10 and i.prod().item() == 24 and i.max().item() == 4
    assert i.sum(1).tolist() == [3, 7]
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        i.mean()
    assert i.float().mean().item() == 2.5
    assert i.mean(dtype=plait.float64).item() == 2.5
    n = plait.tensor([1.0, float("nan"), 3.0])
    assert n.nansum().item() == 4.0 and n.nanmean().item() == 2.0


def test_max_min_with_and_without_dim():
    x = plait.linspace(0, 10, 6).view(2, 3)
    assert plait.max(x).item() == 10.0 and x.min().item() == 0.0
    values, indices = plait.max(x, dim=0)
    assert values.tolist() == [6.0, 8.0, 10.0] and indices.tolist() == [1, 1, 1]
    r = x.max(dim=1, keepdim=True)
    assert r.values.shape == (2, 1) and r.indices.tolist() == [[2], [2]]
    r = x.min(1)
    assert r.values.tolist() == [0.0, 6.0] and r.indices.tolist() == [0, 0]
    assert plait.max(x, plait.full((3,), 5.0)).tolist() == [[5.0, 5.0, 5.0], [6.0, 8.0, 10.0]]
    t = plait.tensor(Z)
    v, i = t.max(-1)
    assert_close(v, Z.max(-1))
    assert_close(i, Z.argmax(-1))
    assert_close(t.argmax(), np.argmax(Z))
    assert_close(t.argmin(dim=1), Z.argmin(1))
    assert_close(t.argmax(1, keepdim=True), Z.argmax(1)[:, None])
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        plait.zeros(0).max()
    mn, mx = plait.aminmax(t)
    assert mn.item() == Z.min() and mx.item() == Z.max()


def test_topk_sort_argsort_kthvalue():
    x = plait.linspace(0, 10, 6).view(2, 3)
    top = plait.topk(x, 1, dim=0)
    assert top.values.tolist() == [[6.0, 8.0, 10.0]] and top.indices.tolist() == [[1, 1, 1]]
    t = plait.tensor(Z)
    v, i = t.topk(2)
    order = np.argsort(-Z, axis=-1, kind="stable")[..., :2]
    assert_close(i, order)
    assert_close(v, np.take_along_axis(Z, order, -1))
    v, i = t.topk(2, dim=0, largest=False)
    assert_close(v, np.sort(Z, 0)[:2])
    s = t.sort(dim=1)
    assert_close(s.values, np.sort(Z, 1))
    assert_close(s.indices, np.argsort(Z, 1, kind="stable"))
    sd = plait.sort(t, descending=True)
    assert_close(sd.values, -np.sort(-Z, -1))
    assert_close(t.argsort(0), np.argsort(Z, 0, kind="stable"))
    assert_close(plait.argsort(t, descending=True), np.argsort(-Z, -1, kind="stable"))
    stable = plait.tensor([2, 1, 2, 1, 0]).sort(stable=True)
    assert stable.indices.tolist() == [4, 1, 3, 0, 2]
    k = plait.tensor([[3.0, 1.0, 2.0]]).kthvalue(2)
    assert k.values.tolist() == [2.0] and k.indices.tolist() == [2]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        t.topk(5)


# ---------------------------------------------------------------- matrix products
def test_matmul_family(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 5)).astype(np.float32)
    v = rng.standard_normal(4).astype(np.float32)
    ba = rng.standard_normal((2, 3, 4)).astype(np.float32)
    bb = rng.standard_normal((2, 4, 5)).astype(np.float32)
    ta, tb, tv = plait.tensor(a), plait.tensor(b), plait.tensor(v)
    assert_close(ta @ tb, a @ b, rtol=1e-5, atol=1e-5)
    assert_close(plait.mm(ta, tb), a @ b, rtol=1e-5, atol=1e-5)
    assert_close(ta.matmul(tv), a @ v, rtol=1e-5, atol=1e-5)
    assert_close(plait.mv(ta, tv), a @ v, rtol=1e-5, atol=1e-5)
    assert_close(tv @ tb, v @ b, rtol=1e-5, atol=1e-5)
    assert_close(tv @ tv, v @ v, rtol=1e-5)
    assert_close(plait.dot(tv, tv), np.dot(v, v), rtol=1e-5)
    assert plait.dot(tv, tv).shape == ()
    assert_close(plait.bmm(plait.tensor(ba), plait.tensor(bb)), ba @ bb, rtol=1e-5, atol=1e-5)
    assert_close(plait.tensor(ba) @ tb, ba @ b, rtol=1e-5, atol=1e-5)  # broadcast batch
    assert_close(plait.outer(tv, tv), np.outer(v, v), rtol=1e-6)
    assert_close(plait.addmm(plait.ones(5), ta, tb, beta=2, alpha=0.5), 2 + 0.5 * (a @ b), rtol=1e-5, atol=1e-5)
    assert_close(plait.einsum("ij,jk->ik", ta, tb), a @ b, rtol=1e-5, atol=1e-5)
    assert_close(plait.einsum("bij,bjk->bik", plait.tensor(ba), plait.tensor(bb)), ba @ bb, rtol=1e-5, atol=1e-5)
    assert_close(plait.einsum("ii", plait.tensor(a[:3, :3])), np.trace(a[:3, :3]), rtol=1e-5)
    assert_close(plait.tensordot(plait.tensor(ba), tb, dims=1), np.tensordot(ba, b, axes=1), rtol=1e-5, atol=1e-5)
    i = plait.tensor([[1, 2], [3, 4]])
    assert (i @ i).tolist() == [[7, 10], [15, 22]] and (i @ i).dtype is plait.int64


@pytest.mark.parametrize("lead", [(3, 2), (2, 1, 3), (0, 2)])
def test_linear_on_stacked_rows_folds_them_into_one_product(lead):
    """plait.linear reads (*, in) input as rows of one matrix product, forward and backward."""
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((*lead, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    g = rng.standard_normal((*lead, 5))
    tx, tw, tb = (plait.tensor(a, requires_grad=True) for a in (x, w, b))
    out = plait.linear(tx, tw, tb)
    assert out.shape == (*lead, 5)
    assert_close(out.detach(), x @ w.T + b, rtol=1e-12, atol=1e-12)
    out.backward(plait.tensor(g))
    assert_close(tx.grad, g @ w, rtol=1e-12, atol=1e-12)
    assert_close(tw.grad, g.reshape(-1, 5).T @ x.reshape(-1, 4), rtol=1e-12, atol=1e-12)
    assert_close(tb.grad, g.reshape(-1, 5).sum(0), rtol=1e-12, atol=1e-12)
    if 0 not in lead:
        assert plait.autograd.gradcheck(plait.linear, (tx, tw, tb))


def test_matmul_shape_errors_name_both_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x6\)"):
        plait.zeros(3, 4) @ plait.zeros(5, 6)
    with pytest.raises(RuntimeError, match=r"\[2, 3, 4\] and \[2, 5, 6\]"):
        plait.zeros(2, 3, 4) @ plait.zeros(2, 5, 6)
    with pytest.raises(RuntimeError, match=r"\[4\].*\[5\]"):
        plait.dot(plait.zeros(4), plait.zeros(5))
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        plait.dot(plait.zeros(2, 2), plait.zeros(2))
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        plait.bmm(plait.zeros(2, 2), plait.zeros(2, 2))
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        plait.mm(plait.zeros(2), plait.zeros(2, 2))
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        plait.tensor(1.0) @ plait.zeros(2)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        plait.zeros(2, 2) @ plait.zeros(2, 2, dtype=plait.float64)


def test_softmax_log_softmax_forward():
    t = plait.tensor(X)
    e = np.exp(X - X.max(1, keepdims=True))
    sm = e / e.sum(1, keepdims=True)
    assert_close(t.softmax(1), sm, rtol=1e-5)
    assert_close(plait.softmax(t, dim=-1), sm, rtol=1e-5)
    assert_close(plait.log_softmax(t, 1), np.log(sm), rtol=1e-5, atol=1e-6)
    assert_close(plait.tensor([1000.0, 0.0]).softmax(0), [1.0, 0.0])


@pytest.mark.parametrize("reduce", [
    lambda t: t.sum(), lambda t: t.mean(), lambda t: t.prod(), lambda t: t.cumsum(0), lambda t: t.cumprod(0),
    lambda t: t.max(), lambda t: t.amax(), lambda t: t.logsumexp(0), lambda t: t.norm(),
])
def test_reductions_of_zero_dim_tensors_do_not_alias_their_input(reduce):
    x = plait.tensor(2.0)
    y = reduce(x)
    assert y.shape == ()
    y.add_(1)
    assert x.item() == 2.0
