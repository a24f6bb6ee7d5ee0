"""``plait.autograd.gradcheck`` (float64, central differences) on every differentiable op of the core: unary
math, binary ops with broadcasting, reductions with dims, shape ops, indexing/gather/scatter/masked ops,
the matmul family, softmax/log_softmax, cat/stack/split, where, clamp, pow with a tensor exponent,
sort/topk values, cumsum/cumprod, norm, std/var, logsumexp... Shapes are tiny to keep the suite fast.
Inputs stay away from points where an op is not differentiable (|x| = 0 for abs, ties for max, ...)."""
import numpy as np
import pytest

import plait
from plait.autograd import gradcheck, gradgradcheck

_RNG = np.random.default_rng(1234)


def T(*shape, lo=-1.0, hi=1.0, away=0.1, grad=True):
    """A float64 leaf with values in [lo, hi] kept at least ``away`` from 0 (and from each other)."""
    n = int(np.prod(shape)) if shape else 1
    vals = _RNG.uniform(lo, hi, size=n)
    if away:
        vals = np.where(np.abs(vals) < away, np.sign(vals + 1e-12) * away * (1 + _RNG.random(n)), vals)
    # distinct values, so max/sort/topk have no ties
    vals = vals + np.arange(n) * 1e-3
    return plait.tensor(vals.reshape(shape), dtype=plait.float64, requires_grad=grad)


def P(*shape, lo=0.5, hi=2.0):
    return T(*shape, lo=lo, hi=hi, away=0.0)


def idx(values):
    return plait.tensor(values)


def mask(values):
    return plait.tensor(values, dtype=plait.bool)


class _Twice(plait.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y * 2

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * 2, g * x * 2


def _set_basic(x, v):
    y = x * 1
    y[0, 1:] = v
    return y


def _set_advanced(x, v):
    y = x * 1
    y[idx([2, 0])] = v
    return y


def _set_mask(x):
    y = x * 1
    y[y > 0.2] = 0.0
    return y


CASES = [
    # ---- unary math
    ("neg", lambda x: -x, lambda: [T(2, 3)]),
    ("abs", lambda x: x.abs(), lambda: [T(2, 3)]),
    ("exp", lambda x: x.exp(), lambda: [T(2, 3)]),
    ("expm1", plait.expm1, lambda: [T(2, 3)]),
    ("log", lambda x: x.log(), lambda: [P(2, 3)]),
    ("log2", plait.log2, lambda: [P(2, 3)]),
    ("log10", plait.log10, lambda: [P(2, 3)]),
    ("log1p", plait.log1p, lambda: [P(2, 3)]),
    ("sqrt", lambda x: x.sqrt(), lambda: [P(2, 3)]),
    ("rsqrt", plait.rsqrt, lambda: [P(2, 3)]),
    ("sin", plait.sin, lambda: [T(2, 3)]),
    ("cos", plait.cos, lambda: [T(2, 3)]),
    ("tan", plait.tan, lambda: [T(2, 3)]),
    ("asin", plait.asin, lambda: [T(2, 3, lo=-0.8, hi=0.8)]),
    ("acos", plait.acos, lambda: [T(2, 3, lo=-0.8, hi=0.8)]),
    ("atan", plait.atan, lambda: [T(2, 3)]),
    ("sinh", plait.sinh, lambda: [T(2, 3)]),
    ("cosh", plait.cosh, lambda: [T(2, 3)]),
    ("tanh", plait.tanh, lambda: [T(2, 3)]),
    ("sigmoid", plait.sigmoid, lambda: [T(2, 3, lo=-3, hi=3)]),
    ("relu", plait.relu, lambda: [T(2, 3)]),
    ("reciprocal", plait.reciprocal, lambda: [P(2, 3)]),
    ("erf", plait.erf, lambda: [T(2, 3, lo=-2, hi=2)]),
    ("square", plait.square, lambda: [T(2, 3)]),
    ("sign_floor_round_have_zero_grad", lambda x: x.sign() + (x * 3).floor() + (x * 3).round() + x.ceil() + x.trunc(),
     lambda: [T(2, 3, lo=0.05, hi=0.3, away=0.0)]),
    ("pow_scalar_3", lambda x: x ** 3, lambda: [T(2, 3)]),
    ("pow_scalar_2", lambda x: plait.pow(x, 2), lambda: [T(2, 3)]),
    ("pow_scalar_half", lambda x: x ** 0.5, lambda: [P(2, 3)]),
    ("pow_scalar_negative", lambda x: x ** -1.5, lambda: [P(2, 3)]),
    ("pow_scalar_0", lambda x: x ** 0, lambda: [T(2, 3)]),
    ("pow_scalar_1", lambda x: x ** 1, lambda: [T(2, 3)]),
    ("rpow", lambda x: 2.5 ** x, lambda: [T(2, 3)]),
    ("pow_tensor_exponent", lambda a, b: a ** b, lambda: [P(2, 3), T(3)]),
    ("pow_tensor_exponent_zero_base", lambda b: plait.tensor([0.0, 2.0], dtype=plait.float64) ** b,
     lambda: [P(2)]),
    ("clamp_scalars", lambda x: x.clamp(-0.5, 0.5), lambda: [T(3, 4)]),
    ("clamp_min_only", lambda x: x.clamp(min=0.25), lambda: [T(3, 4)]),
    ("clamp_tensor_bounds", lambda x, lo, hi: x.clamp(lo, hi),
     lambda: [T(3, 4), T(4, lo=-0.6, hi=-0.3, away=0), T(3, 1, lo=0.3, hi=0.6, away=0)]),
    ("nan_to_num", lambda x: x.nan_to_num(), lambda: [T(2, 3)]),
    ("float_cast_roundtrip", lambda x: x.to(plait.float64) * 1, lambda: [T(3)]),
    ("to_other_device_and_back", lambda x: (x.to("strict") * 2).to("cpu"), lambda: [T(2, 3)]),
    # ---- binary, with broadcasting
    ("add", lambda a, b: a + b, lambda: [T(2, 3), T(3)]),
    ("add_alpha", lambda a, b: plait.add(a, b, alpha=-2.5), lambda: [T(2, 3), T(2, 1)]),
    ("sub", lambda a, b: a - b, lambda: [T(2, 1), T(1, 3)]),
    ("rsub", lambda a: 3 - a, lambda: [T(2, 3)]),
    ("mul", lambda a, b: a * b, lambda: [T(2, 3), T(3)]),
    ("mul_scalar", lambda a: a * 1.5, lambda: [T(2, 3)]),
    ("div", lambda a, b: a / b, lambda: [T(2, 3), P(2, 1)]),
    ("rdiv", lambda a: 2 / a, lambda: [P(2, 3)]),
    ("maximum", plait.maximum, lambda: [T(2, 3), T(3)]),
    ("minimum", plait.minimum, lambda: [T(2, 3), T(2, 1)]),
    ("atan2", plait.atan2, lambda: [T(2, 3), T(3)]),
    ("remainder", lambda a, b: plait.remainder(a, b), lambda: [T(2, 3, lo=0.1, hi=0.9), P(3, lo=1.5, hi=2)]),
    ("fmod", lambda a: plait.fmod(a, 1.5), lambda: [T(2, 3, lo=0.1, hi=1.4)]),
    ("lerp", plait.lerp, lambda: [T(2, 3), T(3), T(2, 3, lo=0.1, hi=0.9)]),
    ("addcmul", lambda a, b, c: plait.addcmul(a, b, c, value=0.5), lambda: [T(2, 3), T(3), T(2, 1)]),
    ("addcdiv", lambda a, b, c: plait.addcdiv(a, b, c, value=2), lambda: [T(2, 3), T(3), P(2, 1)]),
    ("where", lambda a, b: plait.where(mask([[True, False, True], [False, False, True]]), a, b),
     lambda: [T(2, 3), T(3)]),
    ("where_scalar_other", lambda a: plait.where(a > 0, a, 0.0), lambda: [T(2, 3)]),
    ("custom_function", _Twice.apply, lambda: [T(2, 3), T(3)]),
    # ---- reductions
    ("sum_all", lambda x: x.sum(), lambda: [T(2, 3)]),
    ("sum_dim", lambda x: x.sum(1), lambda: [T(2, 3, 2)]),
    ("sum_dims_keepdim", lambda x: x.sum((0, 2), keepdim=True), lambda: [T(2, 3, 2)]),
    ("mean_all", lambda x: x.mean(), lambda: [T(2, 3)]),
    ("mean_dim_keepdim", lambda x: x.mean(-1, keepdim=True), lambda: [T(2, 3)]),
    ("prod_all", lambda x: x.prod(), lambda: [T(2, 3)]),
    ("prod_dim", lambda x: x.prod(1), lambda: [T(2, 3)]),
    ("prod_with_zero", lambda x: (x * plait.tensor([1.0, 0.0, 1.0], dtype=plait.float64)).prod(), lambda: [T(3)]),
    ("max_all", lambda x: x.max(), lambda: [T(2, 3)]),
    ("min_all", lambda x: plait.min(x), lambda: [T(2, 3)]),
    ("max_dim_values", lambda x: x.max(0).values, lambda: [T(3, 2)]),
    ("min_dim_keepdim", lambda x: x.min(1, keepdim=True)[0], lambda: [T(2, 3)]),
    ("amax_dims", lambda x: x.amax((0, 1)), lambda: [T(2, 2, 2)]),
    ("amin", lambda x: x.amin(-1), lambda: [T(2, 3)]),
    ("std", lambda x: x.std(), lambda: [T(2, 3)]),
    ("std_dim_unbiased_false", lambda x: x.std(1, unbiased=False), lambda: [T(2, 3)]),
    ("var_dim_keepdim", lambda x: x.var(0, keepdim=True), lambda: [T(3, 2)]),
    ("norm_2", lambda x: x.norm(), lambda: [T(2, 3)]),
    ("norm_dim", lambda x: x.norm(dim=1, keepdim=True), lambda: [T(2, 3)]),
    ("norm_1", lambda x: x.norm(1), lambda: [T(2, 3)]),
    ("norm_3", lambda x: x.norm(3, dim=0), lambda: [T(2, 3)]),
    ("norm_inf", lambda x: x.norm(float("inf")), lambda: [T(2, 3)]),
    ("logsumexp", lambda x: x.logsumexp(1), lambda: [T(2, 3)]),
    ("logsumexp_keepdim", lambda x: plait.logsumexp(x, (0, 1), keepdim=True), lambda: [T(2, 3)]),
    ("cumsum", lambda x: x.cumsum(1), lambda: [T(2, 3)]),
    ("cumprod", lambda x: x.cumprod(0), lambda: [T(3, 2)]),
    ("cumprod_with_zeros", lambda x: (x * plait.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0]],
                                                       dtype=plait.float64)).cumprod(1), lambda: [T(2, 4)]),
    ("softmax", lambda x: x.softmax(1), lambda: [T(2, 3)]),
    ("softmax_dim0", lambda x: plait.softmax(x, 0), lambda: [T(2, 3)]),
    ("log_softmax", lambda x: x.log_softmax(-1), lambda: [T(2, 3)]),
    ("nansum_nanmean", lambda x: x.nansum() + x.nanmean(), lambda: [T(2, 3)]),
    # ---- shape ops
    ("view", lambda x: x.view(3, 2), lambda: [T(2, 3)]),
    ("view_infer", lambda x: x.view(-1), lambda: [T(2, 3)]),
    ("reshape_noncontiguous", lambda x: x.t().reshape(6), lambda: [T(2, 3)]),
    ("contiguous", lambda x: x.t().contiguous(), lambda: [T(2, 3)]),
    ("t", lambda x: x.t(), lambda: [T(2, 3)]),
    ("T", lambda x: x.T, lambda: [T(2, 3, 2)]),
    ("transpose", lambda x: x.transpose(0, 2), lambda: [T(2, 3, 2)]),
    ("permute", lambda x: x.permute(2, 0, 1), lambda: [T(2, 3, 2)]),
    ("movedim", lambda x: x.movedim(0, -1), lambda: [T(2, 3, 2)]),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda: [T(2, 3)]),
    ("squeeze", lambda x: x.squeeze(), lambda: [T(2, 1, 3)]),
    ("squeeze_dim", lambda x: x.squeeze(1), lambda: [T(2, 1, 3)]),
    ("flatten", lambda x: x.flatten(1), lambda: [T(2, 2, 2)]),
    ("unflatten", lambda x: x.unflatten(1, (2, 2)), lambda: [T(2, 4)]),
    ("expand", lambda x: x.expand(2, 3, 3), lambda: [T(3, 1)]),
    ("expand_as", lambda x, y: x.expand_as(y) * y, lambda: [T(1, 3), T(2, 3)]),
    ("broadcast_to", lambda x: plait.broadcast_to(x, (2, 3)), lambda: [T(3)]),
    ("repeat", lambda x: x.repeat(2, 1, 2), lambda: [T(2, 2)]),
    ("tile", lambda x: x.tile((2,)), lambda: [T(2, 2)]),
    ("repeat_interleave", lambda x: x.repeat_interleave(2, dim=0), lambda: [T(2, 2)]),
    ("repeat_interleave_counts", lambda x: x.repeat_interleave(idx([0, 2, 1]), dim=0), lambda: [T(3, 2)]),
    ("flip", lambda x: x.flip((0, 1)), lambda: [T(2, 3)]),
    ("roll", lambda x: x.roll(1, 1), lambda: [T(2, 3)]),
    ("roll_flat", lambda x: x.roll(2), lambda: [T(2, 3)]),
    ("tril", lambda x: x.tril(), lambda: [T(3, 3)]),
    ("triu", lambda x: x.triu(1), lambda: [T(3, 3)]),
    ("narrow", lambda x: x.narrow(1, 1, 2), lambda: [T(2, 3)]),
    ("select", lambda x: x.select(1, -1), lambda: [T(2, 3)]),
    ("unbind", lambda x: x.unbind(1), lambda: [T(2, 3)]),
    ("split", lambda x: x.split(2, dim=1), lambda: [T(2, 3)]),
    ("split_sizes", lambda x: plait.split(x, [1, 2], dim=1), lambda: [T(2, 3)]),
    ("chunk", lambda x: x.chunk(2), lambda: [T(3, 2)]),
    ("tensor_split", lambda x: plait.tensor_split(x, 2, dim=1), lambda: [T(2, 3)]),
    ("cat", lambda a, b: plait.cat([a, b, a], dim=1), lambda: [T(2, 1), T(2, 2)]),
    ("stack", lambda a, b: plait.stack([a, b], dim=1), lambda: [T(2, 2), T(2, 2)]),
    ("hstack_vstack", lambda a, b: plait.hstack([a, b]).sum() + plait.vstack([a, b]), lambda: [T(2), T(2)]),
    ("diagonal", lambda x: x.diagonal(1), lambda: [T(3, 3)]),
    ("trace", lambda x: x.trace(), lambda: [T(3, 3)]),
    ("diag_vector", lambda x: plait.diag(x, 1), lambda: [T(2)]),
    # ---- indexing
    ("getitem_basic", lambda x: x[1, ::2, None], lambda: [T(2, 3)]),
    ("getitem_ellipsis", lambda x: x[..., 1:], lambda: [T(2, 2, 3)]),
    ("getitem_int_tensor_duplicates", lambda x: x[idx([0, 2, 0, 0])], lambda: [T(3, 2)]),
    ("getitem_two_int_tensors", lambda x: x[idx([0, 1, 1]), idx([2, 0, 2])], lambda: [T(2, 3)]),
    ("getitem_bool_mask", lambda x: x[mask([[True, False, True], [False, True, True]])], lambda: [T(2, 3)]),
    ("getitem_list_and_slice", lambda x: x[:, [2, 0, 2]], lambda: [T(2, 3)]),
    ("setitem_basic", _set_basic, lambda: [T(2, 3), T(2)]),
    ("setitem_advanced", _set_advanced, lambda: [T(3, 2), T(2, 2)]),
    ("setitem_mask_scalar", _set_mask, lambda: [T(2, 3)]),
    ("gather", lambda x: x.gather(1, idx([[0, 0, 2], [1, 2, 1]])), lambda: [T(2, 3)]),
    ("gather_dim0", lambda x: plait.gather(x, 0, idx([[1, 0], [1, 1], [0, 1]])), lambda: [T(2, 2)]),
    ("take_along_dim", lambda x: plait.take_along_dim(x, idx([[1], [0]]), 1), lambda: [T(2, 3)]),
    ("take", lambda x: x.take(idx([5, 0, 5])), lambda: [T(2, 3)]),
    ("scatter_src", lambda x, s: x.scatter(1, idx([[0, 2], [1, 0]]), s), lambda: [T(2, 3), T(2, 2)]),
    ("scatter_value", lambda x: x.scatter(0, idx([[1, 0, 1]]), 0.5), lambda: [T(2, 3)]),
    ("scatter_add", lambda x, s: x.scatter_add(0, idx([[1, 1, 0], [1, 0, 0]]), s), lambda: [T(2, 3), T(2, 3)]),
    ("scatter_reduce_sum", lambda x, s: x.scatter_reduce(0, idx([1, 1, 0]), s, "sum"), lambda: [T(2), T(3)]),
    ("index_select_duplicates", lambda x: x.index_select(1, idx([2, 0, 2])), lambda: [T(2, 3)]),
    ("index_add", lambda x, s: x.index_add(0, idx([1, 1]), s, alpha=2), lambda: [T(2, 3), T(2, 3)]),
    ("index_fill", lambda x: x.index_fill(1, idx([0]), -1.0), lambda: [T(2, 3)]),
    ("masked_fill", lambda x: x.masked_fill(mask([True, False, True]), 0.0), lambda: [T(2, 3)]),
    ("masked_fill_tensor_value", lambda x, v: x.masked_fill(mask([False, True, False]), v),
     lambda: [T(2, 3), T()]),
    ("masked_select", lambda x: x.masked_select(mask([[True, False, True], [False, True, False]])),
     lambda: [T(2, 3)]),
    ("masked_scatter", lambda x, s: x.masked_scatter(mask([True, False, True]), s), lambda: [T(2, 3), T(4)]),
    ("sort_values", lambda x: x.sort(1).values, lambda: [T(2, 3)]),
    ("sort_descending", lambda x: plait.sort(x, 0, descending=True)[0], lambda: [T(3, 2)]),
    ("topk_values", lambda x: x.topk(2).values, lambda: [T(2, 3)]),
    ("topk_smallest", lambda x: plait.topk(x, 1, dim=0, largest=False)[0], lambda: [T(3, 2)]),
    ("kthvalue", lambda x: x.kthvalue(2, 1).values, lambda: [T(2, 3)]),
    # ---- matrix products
    ("matmul_2d", lambda a, b: a @ b, lambda: [T(2, 3), T(3, 2)]),
    ("matmul_batched_broadcast", plait.matmul, lambda: [T(2, 2, 3), T(3, 2)]),
    ("matmul_vec_mat", lambda v, m: v @ m, lambda: [T(3), T(3, 2)]),
    ("mv", plait.mv, lambda: [T(2, 3), T(3)]),
    ("dot", plait.dot, lambda: [T(3), T(3)]),
    ("mm", plait.mm, lambda: [T(2, 3), T(3, 2)]),
    ("bmm", plait.bmm, lambda: [T(2, 2, 3), T(2, 3, 2)]),
    ("outer", plait.outer, lambda: [T(2), T(3)]),
    ("addmm", lambda c, a, b: plait.addmm(c, a, b, beta=0.5, alpha=2), lambda: [T(2), T(2, 3), T(3, 2)]),
    ("addmv_baddbmm", lambda c, m, v: plait.addmv(c, m, v) + plait.baddbmm(c, m[None], m.t()[None])[0].sum(1),
     lambda: [T(2), T(2, 3), T(3)]),
    ("einsum", lambda a, b: plait.einsum("bij,jk->bik", a, b), lambda: [T(2, 2, 3), T(3, 2)]),
    ("tensordot", lambda a, b: plait.tensordot(a, b, dims=([1], [0])), lambda: [T(2, 3), T(3, 2)]),
]


@pytest.mark.parametrize("name, fn, make", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn, make):
    inputs = make()
    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("name, fn, make", [c for c in CASES if c[0] in {
    "exp", "log", "sigmoid", "tanh", "mul", "div", "pow_tensor_exponent", "softmax", "log_softmax", "matmul_2d",
    "sum_dim", "mean_all", "std", "norm_2", "logsumexp", "gather", "getitem_int_tensor_duplicates", "cat",
    "where", "clamp_scalars", "maximum", "prod_all", "cumprod", "index_add", "masked_fill", "addmm", "expand",
    "sqrt", "rdiv", "sin", "erf", "scatter_src", "setitem_basic",
}], ids=lambda c: c if isinstance(c, str) else None)
def test_gradgradcheck(name, fn, make):
    inputs = make()
    assert gradgradcheck(fn, inputs, eps=1e-6, atol=1e-4, rtol=1e-3)


def test_gradcheck_detects_a_wrong_backward():
    class Wrong(plait.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 * x * g

    with pytest.raises(plait.autograd.GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(Wrong.apply, (T(3),))
    assert gradcheck(Wrong.apply, (T(3),), raise_exception=False) is False


def test_gradcheck_warns_on_single_precision_and_needs_a_grad_input():
    x = plait.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="is not a double precision"):
        gradcheck(lambda t: t * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda t: t * 2, (plait.ones(2, dtype=plait.float64),))
