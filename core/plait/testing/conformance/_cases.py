"""The op table of the conformance suite: every Tensor op with its inputs, its NumPy reference and whether
it is differentiable.

Each :class:`Case` gives ``fn(*tensors)`` (the plait call), ``ref(np, *arrays)`` (the same computation
with NumPy; NumPy is passed in so that this module imports no array library) and the inputs as specs that
make NumPy arrays. ``test_forward.py`` compares ``fn`` on float32 tensors of the backend under test with
``ref`` on float64 copies (values) and on the float32 arrays (result dtype); ``test_gradcheck.py`` runs
``plait.autograd.gradcheck`` on float64 tensors for every case with ``grad=True`` and ``gradgradcheck``
where ``gg=True``. A test id is the case name: ``test_forward[exp]``, ``test_gradcheck[matmul]``.
"""
import math

import plait


class In:
    """An input: ``kind`` f (random sign * U(0.25, 1.5): away from 0 and from kinks), p (U(0.5, 2)),
    u (U(-0.8, 0.8)), i (integers in [lo, hi)), b (random bools), c (the constant ``values``)."""

    def __init__(self, shape, kind, lo=None, hi=None, values=None, dtype=None, grad=True):
        self.shape, self.kind, self.lo, self.hi = shape, kind, lo, hi
        self.values, self.dtype, self.grad = values, dtype, grad

    @property
    def is_float(self):
        return self.kind in "fpu" or (self.kind == "c" and self.dtype in ("float32", "float64"))

    def make(self, np, rng, float_dtype):
        k = self.kind
        if k == "f":
            a = rng.uniform(0.25, 1.5, self.shape) * rng.choice([-1.0, 1.0], self.shape)
        elif k == "p":
            a = rng.uniform(0.5, 2.0, self.shape)
        elif k == "u":
            a = rng.uniform(-0.8, 0.8, self.shape)
        elif k == "i":
            return rng.integers(self.lo, self.hi, self.shape).astype(np.int64)
        elif k == "b":
            return rng.random(self.shape) < 0.5
        else:
            dtype = {"float32": float_dtype, "float64": float_dtype}.get(self.dtype, self.dtype)
            return np.array(self.values, dtype=dtype)
        return a.astype(float_dtype)


def F(*shape):
    return In(shape, "f")


def P(*shape):
    return In(shape, "p")


def U(*shape):
    return In(shape, "u")


def I(shape, lo, hi):  # noqa: E743
    return In(shape, "i", lo, hi)


def B(*shape):
    return In(shape, "b")


def C(values, dtype="int64"):
    return In(None, "c", values=values, dtype=dtype)


def Cf(values):
    """A constant float input (gets the test's float dtype); not differentiated."""
    return In(None, "c", values=values, dtype="float32", grad=False)


def NG(spec):
    """``spec`` without a gradient (e.g. a mask-like float input)."""
    spec.grad = False
    return spec


class Case:
    def __init__(self, name, fn, ref, inputs, *, grad=True, gg=False, out_dtype=None, atol=None, rtol=None,
                 gc_atol=None, ref32=False):
        self.name, self.fn, self.ref, self.inputs = name, fn, ref, list(inputs)
        self.grad = grad and any(s.is_float and s.grad for s in self.inputs)
        self.gg = gg
        self.out_dtype = out_dtype  # plait dtype name(s) of the output(s) where NumPy's differs from torch's
        self.atol, self.rtol, self.gc_atol = atol, rtol, gc_atol
        self.ref32 = ref32  # compare values with NumPy's float32 computation (e.g. float32's own limits)

    def __repr__(self):
        return f"Case({self.name})"


CASES = []


def case(name, fn, ref, *inputs, **kw):
    CASES.append(Case(name, fn, ref, inputs, **kw))


# ---------------------------------------------------------------- helpers for references
def _erf(np, a):
    return np.vectorize(math.erf, otypes=[a.dtype])(a)


def _softmax(np, a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _scatter_add_ref(np, a, idx, src, axis):
    out = a.copy()
    coords = list(np.indices(idx.shape))  # torch's scatter_add: the index replaces the coordinate along `axis`
    coords[axis] = idx
    np.add.at(out, tuple(coords), src[tuple(slice(0, s) for s in idx.shape)])
    return out


def _put_along(np, a, idx, src, axis):
    out = a.copy()
    np.put_along_axis(out, idx, src, axis=axis)
    return out


def _index_add(np, a, idx, src, alpha=1):
    out = a.copy()
    np.add.at(out, idx, src * alpha)
    return out


def _setitem(x, key, v):
    y = x.clone()
    y[key] = v
    return y


def _np_setitem(a, key, v):
    out = a.copy()
    out[key] = v
    return out


def _inplace(method, *args, **kw):
    def fn(x, *tensors):
        y = x.clone()
        getattr(y, method)(*tensors, *args, **kw)
        return y
    return fn


# ---------------------------------------------------------------- elementwise unary
UNARY = [
    ("neg", lambda x: -x, lambda np, a: -a, F),
    ("abs", lambda x: x.abs(), lambda np, a: np.abs(a), F),
    ("exp", plait.exp, lambda np, a: np.exp(a), F),
    ("expm1", plait.expm1, lambda np, a: np.expm1(a), F),
    ("log", plait.log, lambda np, a: np.log(a), P),
    ("log2", plait.log2, lambda np, a: np.log2(a), P),
    ("log10", plait.log10, lambda np, a: np.log10(a), P),
    ("log1p", plait.log1p, lambda np, a: np.log1p(a), P),
    ("sqrt", plait.sqrt, lambda np, a: np.sqrt(a), P),
    ("rsqrt", plait.rsqrt, lambda np, a: 1 / np.sqrt(a), P),
    ("sin", plait.sin, lambda np, a: np.sin(a), F),
    ("cos", plait.cos, lambda np, a: np.cos(a), F),
    ("tan", plait.tan, lambda np, a: np.tan(a), U),
    ("asin", plait.asin, lambda np, a: np.arcsin(a), U),
    ("acos", plait.acos, lambda np, a: np.arccos(a), U),
    ("atan", plait.atan, lambda np, a: np.arctan(a), F),
    ("sinh", plait.sinh, lambda np, a: np.sinh(a), F),
    ("cosh", plait.cosh, lambda np, a: np.cosh(a), F),
    ("tanh", plait.tanh, lambda np, a: np.tanh(a), F),
    ("sigmoid", plait.sigmoid, lambda np, a: 1 / (1 + np.exp(-a)), F),
    ("relu", plait.relu, lambda np, a: np.maximum(a, 0), F),
    ("square", plait.square, lambda np, a: a * a, F),
    ("reciprocal", plait.reciprocal, lambda np, a: 1 / a, F),
    ("erf", plait.erf, _erf, F),
    ("sign", plait.sign, lambda np, a: np.sign(a), F),
    ("floor", plait.floor, lambda np, a: np.floor(a), F),
    ("ceil", plait.ceil, lambda np, a: np.ceil(a), F),
    ("round", plait.round, lambda np, a: np.round(a), F),
    ("trunc", plait.trunc, lambda np, a: np.trunc(a), F),
]
for _name, _fn, _ref, _spec in UNARY:
    case(_name, _fn, _ref, _spec(2, 3), gg=_name in ("exp", "tanh", "sigmoid", "log", "sin"))

case("exp_of_int64_is_float32", plait.exp, lambda np, a: np.exp(a), I((2, 3), -3, 3), out_dtype="float32")
case("sqrt_of_bool_is_float32", plait.sqrt, lambda np, a: np.sqrt(a), B(5), out_dtype="float32")
case("round_half_to_even", plait.round, lambda np, a: np.round(a), Cf([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]))
case("nan_to_num", plait.nan_to_num, lambda np, a: np.nan_to_num(a),
     Cf([1.0, float("nan"), float("inf"), -float("inf"), -2.0]), ref32=True)
case("nan_to_num_values", lambda x: x.nan_to_num(nan=0.5, posinf=9.0, neginf=-9.0),
     lambda np, a: np.nan_to_num(a, nan=0.5, posinf=9.0, neginf=-9.0),
     Cf([1.0, float("nan"), float("inf"), -float("inf")]))
case("isnan", plait.isnan, lambda np, a: np.isnan(a), Cf([1.0, float("nan"), float("inf"), -float("inf")]))
case("isinf", plait.isinf, lambda np, a: np.isinf(a), Cf([1.0, float("nan"), float("inf"), -float("inf")]))
case("isfinite", plait.isfinite, lambda np, a: np.isfinite(a), Cf([1.0, float("nan"), float("inf"), -1.0]))
case("logical_not", plait.logical_not, lambda np, a: np.logical_not(a), B(2, 3))
case("bitwise_not_int", plait.bitwise_not, lambda np, a: np.invert(a), I((2, 3), -5, 5))
case("invert_bool", lambda x: ~x, lambda np, a: ~a, B(2, 3))

# ---------------------------------------------------------------- elementwise binary
case("add", plait.add, lambda np, a, b: a + b, F(2, 3), F(2, 3), gg=True)
case("add_broadcast", lambda x, y: x + y, lambda np, a, b: a + b, F(2, 3), F(3))
case("add_broadcast_both", lambda x, y: x + y, lambda np, a, b: a + b, F(2, 1, 3), F(4, 1))
case("add_scalar", lambda x: x + 2.5, lambda np, a: a + 2.5, F(2, 3))
case("radd_scalar", lambda x: 2 + x, lambda np, a: 2 + a, F(2, 3))
case("add_alpha", lambda x, y: plait.add(x, y, alpha=2), lambda np, a, b: a + 2 * b, F(2, 3), F(2, 3))
case("sub", lambda x, y: x - y, lambda np, a, b: a - b, F(2, 3), F(2, 3))
case("sub_alpha", lambda x, y: x.sub(y, alpha=0.5), lambda np, a, b: a - 0.5 * b, F(2, 3), F(2, 3))
case("rsub_scalar", lambda x: 3 - x, lambda np, a: 3 - a, F(2, 3))
case("mul", lambda x, y: x * y, lambda np, a, b: a * b, F(2, 3), F(2, 3), gg=True)
case("mul_broadcast", lambda x, y: x * y, lambda np, a, b: a * b, F(2, 1, 3), F(4, 1))
case("mul_scalar", lambda x: x * 1.5, lambda np, a: a * 1.5, F(2, 3))
case("div", lambda x, y: x / y, lambda np, a, b: a / b, F(2, 3), F(2, 3), gg=True)
case("div_scalar", lambda x: x / 4, lambda np, a: a / 4, F(2, 3))
case("rdiv_scalar", lambda x: 2 / x, lambda np, a: 2 / a, F(2, 3))
case("div_int_is_float32", lambda x, y: x / y, lambda np, a, b: a / b, I((2, 3), -9, 9), I((2, 3), 1, 4),
     out_dtype="float32")
case("div_rounding_trunc", lambda x, y: plait.div(x, y, rounding_mode="trunc"), lambda np, a, b: np.trunc(a / b),
     F(2, 3), NG(F(2, 3)), grad=False)
case("div_rounding_floor", lambda x, y: plait.div(x, y, rounding_mode="floor"), lambda np, a, b: np.floor(a / b),
     F(2, 3), NG(F(2, 3)), grad=False)
case("floor_divide_float", plait.floor_divide, lambda np, a, b: np.floor_divide(a, b), F(2, 3), F(2, 3), grad=False)
case("floor_divide_int", lambda x, y: x // y, lambda np, a, b: a // b, I((2, 3), -9, 9), I((2, 3), 1, 4))
case("remainder", plait.remainder, lambda np, a, b: np.remainder(a, b), F(2, 3), P(2, 3))
case("remainder_int", lambda x, y: x % y, lambda np, a, b: a % b, I((2, 3), -9, 9), I((2, 3), 1, 4))
case("fmod", plait.fmod, lambda np, a, b: np.fmod(a, b), F(2, 3), P(2, 3))
case("pow_tensor", plait.pow, lambda np, a, b: a ** b, P(2, 3), F(2, 3), gg=True)
case("pow_scalar_3", lambda x: x ** 3, lambda np, a: a ** 3, F(2, 3), gg=True)
case("pow_scalar_2", lambda x: x ** 2, lambda np, a: a ** 2, F(2, 3))
case("pow_scalar_half", lambda x: x ** 0.5, lambda np, a: a ** 0.5, P(2, 3))
case("pow_int", lambda x: x ** 2, lambda np, a: a ** 2, I((2, 3), -4, 4))
case("rpow", lambda x: 2 ** x, lambda np, a: 2.0 ** a, F(2, 3))
case("maximum", plait.maximum, lambda np, a, b: np.maximum(a, b), F(2, 3), F(2, 3))
case("minimum", plait.minimum, lambda np, a, b: np.minimum(a, b), F(2, 3), F(2, 3))
case("atan2", plait.atan2, lambda np, a, b: np.arctan2(a, b), F(2, 3), F(2, 3))
case("lerp_scalar", lambda x, y: plait.lerp(x, y, 0.3), lambda np, a, b: a + 0.3 * (b - a), F(2, 3), F(2, 3))
case("lerp_tensor", plait.lerp, lambda np, a, b, w: a + w * (b - a), F(2, 3), F(2, 3), U(2, 3))
case("where", lambda c, x, y: plait.where(c, x, y), lambda np, c, a, b: np.where(c, a, b), B(2, 3), F(2, 3),
     F(2, 3))
case("where_scalar", lambda c, x: plait.where(c, x, 0.5), lambda np, c, a: np.where(c, a, 0.5), B(2, 3), F(2, 3))
case("clamp", lambda x: x.clamp(-0.6, 0.7), lambda np, a: np.clip(a, -0.6, 0.7), F(3, 4))
case("clamp_min", lambda x: x.clamp(min=0.4), lambda np, a: np.maximum(a, 0.4), F(3, 4))
case("clamp_max_int", lambda x: x.clamp(max=2), lambda np, a: np.minimum(a, 2), I((3, 4), -5, 5))
case("clamp_tensor_bounds", lambda x, lo: x.clamp(min=lo), lambda np, a, lo: np.maximum(a, lo), F(3, 4), F(3, 4))
case("addcmul", lambda x, a, b: plait.addcmul(x, a, b, value=0.5), lambda np, x, a, b: x + 0.5 * a * b,
     F(2, 3), F(2, 3), F(2, 3))
case("addcdiv", lambda x, a, b: plait.addcdiv(x, a, b, value=2), lambda np, x, a, b: x + 2 * a / b,
     F(2, 3), F(2, 3), F(2, 3))
for _op, _npop in (("eq", "equal"), ("ne", "not_equal"), ("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                   ("ge", "greater_equal")):
    case(_op, getattr(plait, _op), (lambda f: lambda np, a, b: getattr(np, f)(a, b))(_npop), I((3, 4), 0, 3),
         I((3, 4), 0, 3))
case("lt_float_scalar", lambda x: x < 0.5, lambda np, a: a < 0.5, F(3, 4))
case("eq_mixed_dtypes", lambda x, y: x == y, lambda np, a, b: a == b, I((3, 4), 0, 3), Cf([0.0, 1.0, 2.0, 1.0]))
for _op in ("logical_and", "logical_or", "logical_xor"):
    case(_op, getattr(plait, _op), (lambda f: lambda np, a, b: getattr(np, f)(a, b))(_op), B(3, 4), B(3, 4))
for _op, _npop in (("bitwise_and", "&"), ("bitwise_or", "|"), ("bitwise_xor", "^")):
    case(_op + "_int", (lambda o: lambda x, y: eval("x " + o + " y"))(_npop),
         (lambda o: lambda np, a, b: eval("a " + o + " b"))(_npop), I((3, 4), 0, 16), I((3, 4), 0, 16))
case("and_bool_operator", lambda x, y: x & y, lambda np, a, b: a & b, B(3, 4), B(3, 4))

case("where_method", lambda c, x, y: x.where(c, y), lambda np, c, a, b: np.where(c, a, b), B(2, 3), F(2, 3),
     F(2, 3))
case("clamp_min_method", lambda x: x.clamp_min(0.3), lambda np, a: np.maximum(a, 0.3), F(3, 4))
case("clamp_max_method", lambda x: x.clamp_max(-0.3), lambda np, a: np.minimum(a, -0.3), F(3, 4))
case("isclose", lambda x, y: plait.isclose(x, y, atol=0.5), lambda np, a, b: np.isclose(a, b, atol=0.5),
     F(3, 4), F(3, 4))
case("rmod_scalar", lambda x: 5.0 % x, lambda np, a: np.remainder(5.0, a), P(2, 3))
case("rfloordiv_int", lambda x: 7 // x, lambda np, a: 7 // a, I((2, 3), 1, 4))
case("exp_zero_dim", plait.exp, lambda np, a: np.exp(a), F())
case("sum_zero_dim", lambda x: x.sum(), lambda np, a: a.sum(), F())
case("mul_zero_dim_and_matrix", lambda s, x: s * x, lambda np, s, a: s * a, F(), F(2, 3))

# ---------------------------------------------------------------- reductions
case("sum", lambda x: x.sum(), lambda np, a: a.sum(), F(3, 4), gg=True)
case("sum_dim", lambda x: x.sum(1), lambda np, a: a.sum(1), F(3, 4))
case("sum_dims_keepdim", lambda x: x.sum((0, 2), keepdim=True), lambda np, a: a.sum((0, 2), keepdims=True),
     F(2, 3, 4))
case("sum_negative_dim", lambda x: x.sum(-1), lambda np, a: a.sum(-1), F(2, 3, 4))
case("sum_int32_is_int64", lambda x: x.int().sum(), lambda np, a: a.astype(np.int32).sum(dtype=np.int64),
     I((3, 4), -9, 9))
case("sum_bool_is_int64", lambda x: x.sum(), lambda np, a: a.sum(), B(3, 4))
case("sum_dtype_float64", lambda x: x.sum(dtype=plait.float64), lambda np, a: a.sum(dtype=np.float64), F(3, 4))
case("nansum", lambda x: x.nansum(), lambda np, a: np.nansum(a), Cf([1.0, float("nan"), 2.5]))
case("mean", lambda x: x.mean(), lambda np, a: a.mean(), F(3, 4))
case("mean_dim_keepdim", lambda x: x.mean(0, keepdim=True), lambda np, a: a.mean(0, keepdims=True), F(3, 4))
case("nanmean", lambda x: x.nanmean(), lambda np, a: np.nanmean(a), Cf([1.0, float("nan"), 2.5]))
case("prod", lambda x: x.prod(), lambda np, a: a.prod(), F(2, 3))
case("prod_dim", lambda x: x.prod(1), lambda np, a: a.prod(1), F(3, 4))
case("max_all", lambda x: x.max(), lambda np, a: a.max(), F(3, 4))
case("min_all", lambda x: x.min(), lambda np, a: a.min(), F(3, 4))
case("max_dim", lambda x: x.max(1), lambda np, a: (a.max(1), a.argmax(1)), F(3, 4))
case("min_dim_keepdim", lambda x: x.min(0, keepdim=True),
     lambda np, a: (a.min(0, keepdims=True), a.argmin(0)[None]), F(3, 4))
case("max_binary", lambda x, y: plait.max(x, y), lambda np, a, b: np.maximum(a, b), F(3, 4), F(3, 4))
case("amax_dims", lambda x: x.amax((0, 2)), lambda np, a: a.max((0, 2)), F(2, 3, 4))
case("amin", lambda x: x.amin(1), lambda np, a: a.min(1), F(3, 4))
case("aminmax", lambda x: plait.aminmax(x, dim=1), lambda np, a: (a.min(1), a.max(1)), F(3, 4))
case("argmax", lambda x: x.argmax(), lambda np, a: a.argmax(), F(3, 4))
case("argmax_dim", lambda x: x.argmax(1), lambda np, a: a.argmax(1), F(3, 4))
case("argmin_dim_keepdim", lambda x: x.argmin(0, keepdim=True), lambda np, a: a.argmin(0)[None], F(3, 4))
case("all", lambda x: x.all(), lambda np, a: a.all(), B(3, 4))
case("all_dim", lambda x: x.all(1), lambda np, a: a.all(1), B(3, 4))
case("any_dim", lambda x: x.any(0), lambda np, a: a.any(0), B(3, 4))
case("any_int", lambda x: x.any(), lambda np, a: a.any(), I((3, 4), 0, 2))
case("var", lambda x: x.var(), lambda np, a: a.var(ddof=1), F(3, 4))
case("var_dim_correction0", lambda x: x.var(1, correction=0), lambda np, a: a.var(1), F(3, 4))
case("std", lambda x: x.std(), lambda np, a: a.std(ddof=1), F(3, 4))
case("std_dim_keepdim", lambda x: x.std(0, keepdim=True), lambda np, a: a.std(0, ddof=1, keepdims=True), F(3, 4))
case("var_mean", lambda x: plait.var_mean(x, 1), lambda np, a: (a.var(1, ddof=1), a.mean(1)), F(3, 4))
case("std_mean", lambda x: plait.std_mean(x), lambda np, a: (a.std(ddof=1), a.mean()), F(3, 4))
case("norm", lambda x: x.norm(), lambda np, a: np.sqrt((a * a).sum()), F(3, 4), gg=True)
case("norm_p1_dim", lambda x: x.norm(1, dim=1), lambda np, a: np.abs(a).sum(1), F(3, 4))
case("norm_inf", lambda x: x.norm(float("inf")), lambda np, a: np.abs(a).max(), F(3, 4))
case("norm_p3", lambda x: x.norm(3), lambda np, a: (np.abs(a) ** 3).sum() ** (1 / 3), F(3, 4))
case("logsumexp", lambda x: x.logsumexp(1), lambda np, a: np.log(np.exp(a).sum(1)), F(3, 4))
case("cumsum", lambda x: x.cumsum(1), lambda np, a: a.cumsum(1), F(3, 4))
case("cumsum_int", lambda x: x.cumsum(0), lambda np, a: a.cumsum(0), I((3, 4), -5, 5))
case("cumprod", lambda x: x.cumprod(0), lambda np, a: a.cumprod(0), F(3, 4))
case("count_nonzero", lambda x: x.count_nonzero(), lambda np, a: np.count_nonzero(a), I((3, 4), 0, 2))
case("count_nonzero_dim", lambda x: x.count_nonzero(1), lambda np, a: np.count_nonzero(a, axis=1),
     I((3, 4), 0, 2))

# ---------------------------------------------------------------- shape ops
case("view", lambda x: x.view(6, 4), lambda np, a: a.reshape(6, 4), F(2, 3, 4))
case("view_infer", lambda x: x.view(-1, 2), lambda np, a: a.reshape(-1, 2), F(2, 3, 4))
case("reshape", lambda x: x.reshape(4, -1), lambda np, a: a.reshape(4, -1), F(2, 3, 4))
case("reshape_noncontiguous", lambda x: x.t().reshape(-1), lambda np, a: a.T.reshape(-1), F(3, 4))
case("flatten", lambda x: x.flatten(1), lambda np, a: a.reshape(2, -1), F(2, 3, 4))
case("unflatten", lambda x: x.unflatten(1, (2, 2)), lambda np, a: a.reshape(3, 2, 2), F(3, 4))
case("permute", lambda x: x.permute(2, 0, 1), lambda np, a: a.transpose(2, 0, 1), F(2, 3, 4))
case("transpose", lambda x: x.transpose(0, 2), lambda np, a: a.swapaxes(0, 2), F(2, 3, 4))
case("t", lambda x: x.t(), lambda np, a: a.T, F(3, 4))
case("T_property", lambda x: x.T, lambda np, a: a.T, F(2, 3, 4))
case("mT_property", lambda x: x.mT, lambda np, a: a.swapaxes(-1, -2), F(2, 3, 4))
case("movedim", lambda x: x.movedim(0, -1), lambda np, a: np.moveaxis(a, 0, -1), F(2, 3, 4))
case("unsqueeze", lambda x: x.unsqueeze(1), lambda np, a: a[:, None], F(3, 4))
case("squeeze", lambda x: x.squeeze(), lambda np, a: a.squeeze(), F(2, 1, 3, 1))
case("squeeze_dim", lambda x: x.squeeze(1), lambda np, a: a.squeeze(1), F(2, 1, 3, 1))
case("expand", lambda x: x.expand(3, 4), lambda np, a: np.broadcast_to(a, (3, 4)), F(3, 1))
case("expand_new_dims", lambda x: x.expand(2, -1, 4), lambda np, a: np.broadcast_to(a, (2, 3, 4)), F(3, 1))
case("broadcast_to", lambda x: plait.broadcast_to(x, (2, 3, 4)), lambda np, a: np.broadcast_to(a, (2, 3, 4)),
     F(4))
case("broadcast_tensors", lambda x, y: plait.broadcast_tensors(x, y), lambda np, a, b: np.broadcast_arrays(a, b),
     F(3, 1), F(4))
case("cat", lambda x, y: plait.cat([x, y], dim=1), lambda np, a, b: np.concatenate([a, b], 1), F(2, 3), F(2, 2))
case("cat_dim0", lambda x, y: plait.cat([x, y]), lambda np, a, b: np.concatenate([a, b], 0), F(2, 3), F(1, 3))
case("stack", lambda x, y: plait.stack([x, y], dim=1), lambda np, a, b: np.stack([a, b], 1), F(2, 3), F(2, 3))
case("hstack", lambda x, y: plait.hstack([x, y]), lambda np, a, b: np.hstack([a, b]), F(2, 3), F(2, 1))
case("vstack", lambda x, y: plait.vstack([x, y]), lambda np, a, b: np.vstack([a, b]), F(2, 3), F(3))
case("narrow", lambda x: x.narrow(1, 1, 2), lambda np, a: a[:, 1:3], F(3, 4))
case("select", lambda x: x.select(1, 2), lambda np, a: a[:, 2], F(3, 4))
case("unbind", lambda x: x.unbind(1), lambda np, a: [a[:, i] for i in range(a.shape[1])], F(2, 3))
case("split_size", lambda x: x.split(2, dim=1), lambda np, a: np.split(a, [2, 4], axis=1), F(2, 5))
case("split_sections", lambda x: x.split([1, 3], dim=1), lambda np, a: np.split(a, [1], axis=1), F(2, 4))
case("chunk", lambda x: x.chunk(2, dim=0), lambda np, a: np.split(a, 2, axis=0), F(4, 3))
case("tensor_split", lambda x: x.tensor_split(3, dim=1), lambda np, a: np.array_split(a, 3, axis=1), F(2, 5))
case("flip", lambda x: x.flip((0, 2)), lambda np, a: a[::-1, :, ::-1], F(2, 3, 4))
case("fliplr", lambda x: x.fliplr(), lambda np, a: np.fliplr(a), F(3, 4))
case("flipud", lambda x: x.flipud(), lambda np, a: np.flipud(a), F(3, 4))
case("roll", lambda x: x.roll(1, 1), lambda np, a: np.roll(a, 1, 1), F(3, 4))
case("roll_flat", lambda x: x.roll(-2), lambda np, a: np.roll(a, -2), F(3, 4))
case("roll_dims", lambda x: x.roll((1, -1), (0, 1)), lambda np, a: np.roll(a, (1, -1), (0, 1)), F(3, 4))
case("repeat", lambda x: x.repeat(2, 1, 3), lambda np, a: np.tile(a, (2, 1, 3)), F(2, 3))
case("tile", lambda x: x.tile((2,)), lambda np, a: np.tile(a, 2), F(2, 3))
case("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1), lambda np, a: np.repeat(a, 2, axis=1), F(2, 3))
case("repeat_interleave_flat", lambda x: x.repeat_interleave(3), lambda np, a: np.repeat(a, 3), F(2, 2))
case("tril", lambda x: x.tril(), lambda np, a: np.tril(a), F(3, 4))
case("triu_diagonal", lambda x: x.triu(1), lambda np, a: np.triu(a, 1), F(3, 4))
case("atleast_2d", plait.atleast_2d, lambda np, a: np.atleast_2d(a), F(3))
case("atleast_1d_of_scalar", plait.atleast_1d, lambda np, a: np.atleast_1d(a), F())
case("view_as", lambda x, y: x.view_as(y), lambda np, a, b: a.reshape(b.shape), F(2, 3), NG(F(3, 2)))
case("reshape_as", lambda x, y: x.reshape_as(y), lambda np, a, b: a.reshape(b.shape), F(2, 3), NG(F(6)))
case("expand_as", lambda x, y: x.expand_as(y), lambda np, a, b: np.broadcast_to(a, b.shape), F(3, 1),
     NG(F(3, 4)))
case("contiguous", lambda x: x.t().contiguous(), lambda np, a: a.T, F(3, 4))
case("clone", lambda x: x.clone(), lambda np, a: a.copy(), F(3, 4))
case("to_float64", lambda x: x.double(), lambda np, a: a.astype(np.float64), F(3, 4))
case("to_int64_truncates", lambda x: (x * 3).long(), lambda np, a: np.trunc(a * 3).astype(np.int64), F(3, 4))
case("to_bool", lambda x: x.bool(), lambda np, a: a.astype(bool), Cf([0.0, -0.0, 0.5, -2.0]))

# ---------------------------------------------------------------- indexing
IDX3 = [2, 0, 2]          # duplicates: gradients accumulate
case("getitem_int", lambda x: x[1], lambda np, a: a[1], F(3, 4))
case("getitem_negative", lambda x: x[-1, -2:], lambda np, a: a[-1, -2:], F(3, 4))
case("getitem_slice", lambda x: x[:, 1:3], lambda np, a: a[:, 1:3], F(3, 4))
case("getitem_step", lambda x: x[::2, 1::2], lambda np, a: a[::2, 1::2], F(3, 4))
case("getitem_none_ellipsis", lambda x: x[None, ..., 1], lambda np, a: a[None, ..., 1], F(2, 3, 4))
case("getitem_index_tensor", lambda x, i: x[i], lambda np, a, i: a[i], F(3, 4), C(IDX3))
case("getitem_index_list", lambda x: x[[0, 2, 0]], lambda np, a: a[[0, 2, 0]], F(3, 4))
case("getitem_negative_index_tensor", lambda x, i: x[:, i], lambda np, a, i: a[:, i], F(3, 4), C([-1, 0, -1]))
case("getitem_two_index_tensors", lambda x, i, j: x[i, j], lambda np, a, i, j: a[i, j], F(3, 4), C(IDX3),
     C([3, 1, 3]))
case("getitem_index_2d", lambda x, i: x[i], lambda np, a, i: a[i], F(3, 4), C([[0, 1], [2, 2]]))
case("getitem_mask", lambda x, m: x[m], lambda np, a, m: a[m], F(3, 4),
     C([[True, False, True, False], [False, False, False, True], [True, True, False, False]], "bool"))
case("getitem_row_mask", lambda x, m: x[m], lambda np, a, m: a[m], F(3, 4), C([True, False, True], "bool"))
case("getitem_slice_and_index", lambda x, i: x[1:, i], lambda np, a, i: a[1:, i], F(3, 4), C([3, 0]))
case("getitem_separated_indices", lambda x, i: x[i, :, i], lambda np, a, i: a[i, :, i], F(3, 2, 3), C([0, 2]))
case("setitem_basic", lambda x, v: _setitem(x, 1, v), lambda np, a, v: _np_setitem(a, 1, v), F(3, 4), F(4))
case("setitem_slice_scalar", lambda x: _setitem(x, (slice(None), slice(1, 3)), 0.5),
     lambda np, a: _np_setitem(a, (slice(None), slice(1, 3)), 0.5), F(3, 4))
case("setitem_index_tensor", lambda x, i, v: _setitem(x, i, v), lambda np, a, i, v: _np_setitem(a, i, v),
     F(4, 3), C([3, 0]), F(2, 3))
case("setitem_mask", lambda x, m: _setitem(x, m, -1.0), lambda np, a, m: _np_setitem(a, m, -1.0), F(2, 3),
     C([[True, False, True], [False, False, True]], "bool"))
case("setitem_mask_tensor_values", lambda x, m, v: _setitem(x, m, v), lambda np, a, m, v: _np_setitem(a, m, v),
     F(2, 3), C([[True, False, True], [False, False, True]], "bool"), F(3))
GATHER_IDX = [[0, 3], [2, 2], [1, 0]]
case("gather", lambda x, i: x.gather(1, i), lambda np, a, i: np.take_along_axis(a, i, 1), F(3, 4), C(GATHER_IDX))
case("gather_dim0", lambda x, i: x.gather(0, i), lambda np, a, i: np.take_along_axis(a, i, 0), F(3, 4),
     C([[0, 2, 2, 1]]))
case("take_along_dim", lambda x, i: plait.take_along_dim(x, i, 1), lambda np, a, i: np.take_along_axis(a, i, 1),
     F(3, 4), C(GATHER_IDX))
case("take", lambda x, i: x.take(i), lambda np, a, i: np.take(a.reshape(-1), i), F(3, 4), C([[0, 11], [5, 5]]))
case("scatter", lambda x, i, s: x.scatter(1, i, s), lambda np, a, i, s: _put_along(np, a, i, s, 1), F(3, 4),
     C([[0, 3], [2, 1], [1, 0]]), F(3, 2))
case("scatter_value", lambda x, i: x.scatter(1, i, 0.25), lambda np, a, i: _put_along(np, a, i, 0.25, 1), F(3, 4),
     C([[0, 3], [2, 1], [1, 0]]))
case("scatter_add_duplicates", lambda x, i, s: x.scatter_add(1, i, s),
     lambda np, a, i, s: _scatter_add_ref(np, a, i, s, 1), F(3, 4), C(GATHER_IDX), F(3, 2))
case("scatter_reduce_sum", lambda x, i, s: x.scatter_reduce(1, i, s, "sum"),
     lambda np, a, i, s: _scatter_add_ref(np, a, i, s, 1), F(3, 4), C(GATHER_IDX), F(3, 2))
case("index_select", lambda x, i: x.index_select(0, i), lambda np, a, i: a[i], F(3, 4), C(IDX3))
case("index_select_dim1", lambda x, i: x.index_select(1, i), lambda np, a, i: a[:, i], F(3, 4), C([3, 3, 0]))
case("index_add_duplicates", lambda x, i, s: x.index_add(0, i, s), lambda np, a, i, s: _index_add(np, a, i, s),
     F(3, 4), C(IDX3), F(3, 4))
case("index_add_alpha", lambda x, i, s: x.index_add(0, i, s, alpha=2),
     lambda np, a, i, s: _index_add(np, a, i, s, 2), F(3, 4), C(IDX3), F(3, 4))
case("index_fill", lambda x, i: x.index_fill(1, i, -2.0), lambda np, a, i: _np_setitem(a, (slice(None), i), -2.0),
     F(3, 4), C([0, 2]))
MASK34 = [[True, False, True, False], [False, False, False, True], [True, True, False, False]]
case("masked_fill", lambda x, m: x.masked_fill(m, 0.5), lambda np, a, m: np.where(m, 0.5, a), F(3, 4),
     C(MASK34, "bool"))
case("masked_fill_broadcast_mask", lambda x, m: x.masked_fill(m, -1.0), lambda np, a, m: np.where(m, -1.0, a),
     F(3, 4), C([True, False, False, True], "bool"))
case("masked_select", lambda x, m: x.masked_select(m), lambda np, a, m: a[m], F(3, 4), C(MASK34, "bool"))
case("masked_scatter", lambda x, m, s: x.masked_scatter(m, s),
     lambda np, a, m, s: _np_setitem(a, m, s.reshape(-1)[:int(m.sum())]), F(3, 4), C(MASK34, "bool"), F(3, 4))
case("nonzero", lambda x: x.nonzero(), lambda np, a: np.argwhere(a), I((3, 4), 0, 2))
case("nonzero_as_tuple", lambda x: plait.nonzero(x, as_tuple=True), lambda np, a: np.nonzero(a), I((3, 4), 0, 2))
case("argwhere_bool", plait.argwhere, lambda np, a: np.argwhere(a), B(2, 3))

# ---------------------------------------------------------------- linear algebra
case("matmul", lambda x, y: x @ y, lambda np, a, b: a @ b, F(2, 3), F(3, 4), gg=True)
case("matmul_vector_matrix", plait.matmul, lambda np, a, b: a @ b, F(3), F(3, 4))
case("matmul_matrix_vector", plait.matmul, lambda np, a, b: a @ b, F(2, 3), F(3))
case("matmul_batched_broadcast", plait.matmul, lambda np, a, b: a @ b, F(2, 1, 2, 3), F(3, 3, 2))
case("mm", plait.mm, lambda np, a, b: a @ b, F(2, 3), F(3, 2))
case("bmm", plait.bmm, lambda np, a, b: a @ b, F(2, 2, 3), F(2, 3, 2))
case("mv", plait.mv, lambda np, a, b: a @ b, F(2, 3), F(3))
case("dot", plait.dot, lambda np, a, b: np.dot(a, b), F(4), F(4))
case("inner", plait.inner, lambda np, a, b: np.inner(a, b), F(4), F(4))
case("outer", plait.outer, lambda np, a, b: np.outer(a, b), F(3), F(2))
case("addmm", lambda m, a, b: plait.addmm(m, a, b, beta=0.5, alpha=2), lambda np, m, a, b: 0.5 * m + 2 * (a @ b),
     F(2, 2), F(2, 3), F(3, 2))
case("addmv", lambda m, a, b: plait.addmv(m, a, b), lambda np, m, a, b: m + a @ b, F(2), F(2, 3), F(3))
case("baddbmm", lambda m, a, b: plait.baddbmm(m, a, b, alpha=0.5), lambda np, m, a, b: m + 0.5 * (a @ b),
     F(2, 2, 2), F(2, 2, 3), F(2, 3, 2))
case("tensordot", lambda a, b: plait.tensordot(a, b, dims=2), lambda np, a, b: np.tensordot(a, b, axes=2),
     F(2, 3, 4), F(3, 4, 2))
case("tensordot_lists", lambda a, b: plait.tensordot(a, b, dims=([1], [0])),
     lambda np, a, b: np.tensordot(a, b, axes=([1], [0])), F(2, 3), F(3, 2))
case("einsum_matmul", lambda a, b: plait.einsum("ij,jk->ik", a, b), lambda np, a, b: np.einsum("ij,jk->ik", a, b),
     F(2, 3), F(3, 2))
case("einsum_batched", lambda a, b: plait.einsum("bij,bjk->bik", a, b),
     lambda np, a, b: np.einsum("bij,bjk->bik", a, b), F(2, 2, 3), F(2, 3, 2))
case("einsum_transpose_sum", lambda a: plait.einsum("ij->j", a), lambda np, a: np.einsum("ij->j", a), F(2, 3))
case("einsum_outer", lambda a, b: plait.einsum("i,j->ij", a, b), lambda np, a, b: np.einsum("i,j->ij", a, b),
     F(3), F(2))
case("einsum_full_contraction", lambda a, b: plait.einsum("ij,ij->", a, b),
     lambda np, a, b: np.einsum("ij,ij->", a, b), F(2, 3), F(2, 3))

# ---------------------------------------------------------------- softmax family, diagonals, sorting
case("softmax", lambda x: x.softmax(1), lambda np, a: _softmax(np, a, 1), F(3, 4), gg=True)
case("softmax_dim0", lambda x: plait.softmax(x, 0), lambda np, a: _softmax(np, a, 0), F(3, 4))
case("log_softmax", lambda x: x.log_softmax(-1), lambda np, a: np.log(_softmax(np, a, -1)), F(3, 4), gg=True)
case("diagonal", lambda x: x.diagonal(1), lambda np, a: np.diagonal(a, 1), F(3, 4))
case("diag_of_vector", lambda x: plait.diag(x), lambda np, a: np.diag(a), F(3))
case("diag_of_matrix", lambda x: plait.diag(x), lambda np, a: np.diag(a), F(3, 4))
case("trace", plait.trace, lambda np, a: np.trace(a), F(3, 3))
case("sort", lambda x: x.sort(1), lambda np, a: (np.sort(a, 1), np.argsort(a, 1)), F(3, 4))
case("sort_descending", lambda x: x.sort(0, descending=True),
     lambda np, a: (-np.sort(-a, 0), np.argsort(-a, 0)), F(3, 4))
case("argsort", lambda x: x.argsort(1), lambda np, a: np.argsort(a, 1), F(3, 4))
case("topk", lambda x: x.topk(2), lambda np, a: (-np.sort(-a, 1)[:, :2], np.argsort(-a, 1)[:, :2]), F(3, 4))
case("topk_smallest", lambda x: x.topk(2, dim=0, largest=False),
     lambda np, a: (np.sort(a, 0)[:2], np.argsort(a, 0)[:2]), F(3, 4))
case("kthvalue", lambda x: x.kthvalue(2, 1), lambda np, a: (np.sort(a, 1)[:, 1], np.argsort(a, 1)[:, 1]), F(3, 4))
case("unique", lambda x: plait.unique(x, return_inverse=True, return_counts=True),
     lambda np, a: np.unique(a, return_inverse=True, return_counts=True), I((3, 4), 0, 4))

# ---------------------------------------------------------------- in-place ops (on a clone, so they are
# differentiable with respect to the original)
case("add_", _inplace("add_"), lambda np, a, b: a + b, F(2, 3), F(2, 3))
case("add_alpha_", _inplace("add_", alpha=-2), lambda np, a, b: a - 2 * b, F(2, 3), F(3))
case("sub_", _inplace("sub_"), lambda np, a, b: a - b, F(2, 3), F(2, 3))
case("mul_scalar_", _inplace("mul_", 3.0), lambda np, a: a * 3, F(2, 3))
case("mul_", _inplace("mul_"), lambda np, a, b: a * b, F(2, 3), F(2, 3))
case("div_", _inplace("div_"), lambda np, a, b: a / b, F(2, 3), F(2, 3))
case("pow_", _inplace("pow_", 2), lambda np, a: a ** 2, F(2, 3))
case("exp_", _inplace("exp_"), lambda np, a: np.exp(a), F(2, 3))
case("clamp_", _inplace("clamp_", -0.6, 0.7), lambda np, a: np.clip(a, -0.6, 0.7), F(3, 4))
case("addcmul_", _inplace("addcmul_", value=2), lambda np, x, a, b: x + 2 * a * b, F(2, 3), F(2, 3), F(2, 3))
case("masked_fill_", lambda x, m: x.clone().masked_fill_(m, 0.0), lambda np, a, m: np.where(m, 0.0, a), F(3, 4),
     C(MASK34, "bool"))
case("index_add_", lambda x, i, s: x.clone().index_add_(0, i, s), lambda np, a, i, s: _index_add(np, a, i, s),
     F(3, 4), C(IDX3), F(3, 4))
case("scatter_add_", lambda x, i, s: x.clone().scatter_add_(1, i, s),
     lambda np, a, i, s: _scatter_add_ref(np, a, i, s, 1), F(3, 4), C(GATHER_IDX), F(3, 2))
case("copy_", lambda x, y: x.clone().copy_(y), lambda np, a, b: np.broadcast_to(b, a.shape).copy(), F(2, 3), F(3))
case("zero_", lambda x: (x * 1).zero_() + x, lambda np, a: a, F(2, 3))
case("fill_", lambda x: x.clone().fill_(0.25) * x, lambda np, a: 0.25 * a, F(2, 3))
case("iadd_operator", lambda x, y: _iadd(x, y), lambda np, a, b: a + 2 * b, F(2, 3), F(2, 3))


def _iadd(x, y):
    z = x.clone()
    z += y
    z += y
    return z


CASE_BY_NAME = {c.name: c for c in CASES}
assert len(CASE_BY_NAME) == len(CASES), "duplicate case names"
GRAD_CASES = [c for c in CASES if c.grad]
GG_CASES = [c for c in CASES if c.grad and c.gg]
