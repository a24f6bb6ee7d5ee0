"""Elementwise ops: arithmetic with broadcasting and torch's type promotion, unary math, comparisons."""
import math

from .. import _dtype
from ..autograd.graph import Op, NonDifferentiable
from ..autograd.grad_mode import state as _grad_state
from ._common import Tensor, as_operands, float_input, check_same_device, make_like, label, needs_other, _requires


# ---------------------------------------------------------------- binary arithmetic
class Add(Op):
    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a + b if alpha == 1 else a + b * alpha

    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


class Sub(Op):
    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a - b if alpha == 1 else a - b * alpha

    def backward(self, g):
        return g, -g if self.alpha == 1 else g * (-self.alpha)


class RSub(Op):
    """scalar - tensor"""
    def forward(self, a, b):
        return b - a

    def _name(self):
        return "RsubBackward1"

    def backward(self, g):
        return -g, None


class Mul(Op):
    save_inputs = True
    saved_needs = staticmethod(needs_other)

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = g * b if self.needs_input_grad[0] else None
        gb = g * a if self.needs_input_grad[1] else None
        return ga, gb


class Div(Op):
    save_inputs = True
    saved_needs = staticmethod(lambda inputs: (_requires(inputs[1]), True))

    def forward(self, a, b):
        return a / b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = g / b if self.needs_input_grad[0] else None
        gb = -g * a / (b * b) if self.needs_input_grad[1] else None
        return ga, gb


class RDiv(Op):
    """scalar / tensor"""
    save_inputs = True

    def forward(self, a, s):
        return s / a

    def backward(self, g):
        a, s = self.saved_tensors
        return -g * s / (a * a), None

    def _name(self):
        return "MulBackward0"  # torch computes scalar / t as t.reciprocal() * scalar


class Pow(Op):
    save_inputs = True
    save_output = True

    def forward(self, a, b):
        self.tensor_exponent = not isinstance(b, (int, float))
        return a ** b

    def _name(self):
        return "PowBackward1" if self.tensor_exponent else "PowBackward0"

    def backward(self, g):
        a, b = self.saved_tensors
        ga = gb = None
        if self.needs_input_grad[0]:
            if isinstance(b, Tensor):
                ga = g * b * a ** (b - 1)
            elif b == 0:
                ga = g * 0
            else:
                ga = g * b * a ** (b - 1) if b != 2 else g * 2 * a
        if self.needs_input_grad[1]:
            # d(a**b)/db = a**b * log(a); torch defines it as 0 where a == 0 and b >= 0
            gb = g * self.output * where(a > 0, a, 1).log()
            gb = where((a == 0) & (b >= 0), 0.0, gb)
        return ga, gb


class RPow(Op):
    """scalar ** tensor"""
    save_output = True

    def forward(self, a, s):
        self.base = s
        return self.xp.asarray(s, dtype=a.dtype) ** a if not isinstance(s, (int, float)) else s ** a

    def backward(self, g):
        return g * self.output * math.log(self.base) if self.base > 0 else g * 0, None

    def _name(self):
        return "PowBackward2"


class Maximum(Op):
    save_inputs = True

    def forward(self, a, b):
        return self.xp.maximum(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        # ties share the gradient equally, as torch does
        ga = g * ((a > b).to(g.dtype) + (a == b).to(g.dtype) * 0.5)
        gb = g * ((b > a).to(g.dtype) + (a == b).to(g.dtype) * 0.5) if isinstance(b, Tensor) else None
        return ga, gb


class Minimum(Op):
    save_inputs = True

    def forward(self, a, b):
        return self.xp.minimum(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        ga = g * ((a < b).to(g.dtype) + (a == b).to(g.dtype) * 0.5)
        gb = g * ((b < a).to(g.dtype) + (a == b).to(g.dtype) * 0.5) if isinstance(b, Tensor) else None
        return ga, gb


class Atan2(Op):
    save_inputs = True

    def forward(self, a, b):
        return self.xp.atan2(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        denom = a * a + b * b
        return g * b / denom, -g * a / denom


class Remainder(Op):
    save_inputs = True

    def forward(self, a, b):
        return self.xp.remainder(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        gb = -g * (a / b).floor() if isinstance(b, Tensor) else None
        return g, gb


class FloorDivide(NonDifferentiable):
    def forward(self, a, b):
        return self.xp.floor_divide(a, b)


class Lerp(Op):
    save_inputs = True

    def forward(self, a, b, w):
        return a + w * (b - a)

    def backward(self, g):
        a, b, w = self.saved_tensors
        gw = g * (b - a) if isinstance(w, Tensor) else None
        return g * (1 - w), g * w, gw


class Where(Op):
    def forward(self, cond, a, b):
        self.cond = cond
        return self.xp.where(cond, a, b)

    def backward(self, g):
        cond = make_like(self.cond, g)
        zero = g.new_zeros(())
        ga = where(cond, g, zero) if self.needs_input_grad[1] else None
        gb = where(cond, zero, g) if self.needs_input_grad[2] else None
        return None, ga, gb


class Clamp(Op):
    save_inputs = True

    def _name(self):
        return "ClampBackward1" if self.scalar_bounds else "ClampBackward0"

    def forward(self, x, lo, hi):
        xp = self.xp
        self.scalar_bounds = all(v is None or isinstance(v, (int, float)) for v in (lo, hi))
        if lo is not None and hi is not None and not isinstance(lo, (int, float)):
            return xp.minimum(xp.maximum(x, lo), hi)
        if isinstance(lo, (int, float)) or isinstance(hi, (int, float)) or lo is None or hi is None:
            if (lo is None or isinstance(lo, (int, float))) and (hi is None or isinstance(hi, (int, float))):
                return xp.clip(x, lo, hi)
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out

    def backward(self, g):
        x, lo, hi = self.saved_tensors
        mask = None
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            m = x <= hi
            mask = m if mask is None else mask & m
        glo = ghi = None
        if isinstance(lo, Tensor) and self.needs_input_grad[1]:
            glo = g * (x < lo).to(g.dtype)
        if isinstance(hi, Tensor) and self.needs_input_grad[2]:
            ghi = g * (x > hi).to(g.dtype)
        return g * mask.to(g.dtype), glo, ghi


# ---------------------------------------------------------------- unary math
class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Abs(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g * x.sign()


class Exp(Op):
    save_output = True

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, g):
        return g * self.output


class Expm1(Op):
    save_output = True

    def forward(self, x):
        return self.xp.expm1(x)

    def backward(self, g):
        return g * (self.output + 1)


class Log(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g / x


class Log2(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.log2(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g / (x * math.log(2.0))


class Log10(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.log10(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g / (x * math.log(10.0))


class Log1p(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g / (x + 1)


class Sqrt(Op):
    save_output = True

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, g):
        return g / (self.output * 2)


class Rsqrt(Op):
    save_output = True

    def forward(self, x):
        return 1.0 / self.xp.sqrt(x)

    def backward(self, g):
        out = self.output
        return g * out * out * out * -0.5


class Sin(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g * x.cos()


class Cos(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, g):
        x, = self.saved_tensors
        return -g * x.sin()


class Tan(Op):
    save_output = True

    def forward(self, x):
        return self.xp.tan(x)

    def backward(self, g):
        out = self.output
        return g * (out * out + 1)


class Asin(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.asin(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g / (1 - x * x).sqrt()


class Acos(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.acos(x)

    def backward(self, g):
        x, = self.saved_tensors
        return -g / (1 - x * x).sqrt()


class Atan(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.atan(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g / (x * x + 1)


class Sinh(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.sinh(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g * x.cosh()


class Cosh(Op):
    save_inputs = True

    def forward(self, x):
        return self.xp.cosh(x)

    def backward(self, g):
        x, = self.saved_tensors
        return g * x.sinh()


class Tanh(Op):
    save_output = True

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, g):
        out = self.output
        return g * (1 - out * out)


class Sigmoid(Op):
    save_output = True

    def forward(self, x):
        xp = self.xp
        # split by sign so exp never overflows
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def backward(self, g):
        out = self.output
        return g * out * (1 - out)


class Relu(Op):
    save_output = True

    def forward(self, x):
        return self.xp.maximum(x, 0)

    def backward(self, g):
        return g * (self.output > 0).to(g.dtype)


class Square(Op):
    save_inputs = True

    def _name(self):
        return "PowBackward0"  # torch's square is pow(x, 2)

    def forward(self, x):
        return x * x

    def backward(self, g):
        x, = self.saved_tensors
        return g * 2 * x


class Reciprocal(Op):
    save_output = True

    def forward(self, x):
        return 1.0 / x

    def backward(self, g):
        out = self.output
        return -g * out * out


class Erf(Op):
    save_inputs = True

    def forward(self, x):
        kernel = self.backend.kernels.get("erf")
        return kernel(x) if kernel is not None else erf_array(self.xp, x)

    def backward(self, g):
        x, = self.saved_tensors
        return g * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()


def erf_array(xp, x):
    """erf from the standard's functions: fdlibm's rational approximations (accurate to float64)."""
    ax = xp.abs(x)
    # |x| < 0.84375
    pp = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
          -5.77027029648944159157e-03, -2.37630166566501626084e-05)
    qq = (3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
          1.32494738004321644526e-04, -3.96022827877536812320e-06)
    z = x * x
    r = pp[0] + z * (pp[1] + z * (pp[2] + z * (pp[3] + z * pp[4])))
    s = 1.0 + z * (qq[0] + z * (qq[1] + z * (qq[2] + z * (qq[3] + z * qq[4]))))
    small = x + x * (r / s)
    # 0.84375 <= |x| < 1.25
    pa = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
          3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
          -2.16637559486879084300e-03)
    qa = (1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
          1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
    s1 = ax - 1.0
    p = pa[0] + s1 * (pa[1] + s1 * (pa[2] + s1 * (pa[3] + s1 * (pa[4] + s1 * (pa[5] + s1 * pa[6])))))
    q = 1.0 + s1 * (qa[0] + s1 * (qa[1] + s1 * (qa[2] + s1 * (qa[3] + s1 * (qa[4] + s1 * qa[5])))))
    erx = 8.45062911510467529297e-01
    mid = erx + p / q
    # 1.25 <= |x| < 6: erf = 1 - erfc via exp(-z*z - 0.5625) * exp(R/S)
    ra = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
          -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
          -8.12874355063065934246e+01, -9.81432934416914548592e+00)
    sa = (1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
          6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
          6.57024977031928170135e+00, -6.04244152148580987438e-02)
    rb = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
          -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
          -4.83519191608651397019e+02)
    sb = (3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
          3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
          -2.24409524465858183362e+01)
    axc = xp.clip(ax, 1.25, 6.0)
    si = 1.0 / (axc * axc)

    def poly(c, t):
        acc = c[-1]
        for coef in reversed(c[:-1]):
            acc = coef + t * acc
        return acc
    r_lo = poly(ra, si)
    s_lo = 1.0 + si * poly(sa, si)
    r_hi = poly(rb, si)
    s_hi = 1.0 + si * poly(sb, si)
    use_lo = axc < 1.0 / 0.35
    rr = xp.where(use_lo, r_lo, r_hi)
    ss = xp.where(use_lo, s_lo, s_hi)
    big = 1.0 - xp.exp(-axc * axc - 0.5625 + rr / ss) / axc
    result = xp.where(ax < 0.84375, xp.abs(small), xp.where(ax < 1.25, mid, xp.where(ax < 6.0, big, 1.0)))
    return xp.where(x < 0, -result, result)


class ZeroGrad(Op):
    """sign/floor/ceil/round/trunc: piecewise constant, zero gradient (torch returns zeros, not None)."""
    def backward(self, g):
        return g * 0


class Sign(ZeroGrad):
    def forward(self, x):
        return self.xp.sign(x)


class Floor(ZeroGrad):
    def forward(self, x):
        return self.xp.floor(x)


class Ceil(ZeroGrad):
    def forward(self, x):
        return self.xp.ceil(x)


class Round(ZeroGrad):
    def forward(self, x, decimals=0):
        if decimals == 0:
            return self.xp.round(x)
        scale = 10.0 ** decimals
        return self.xp.round(x * scale) / scale


class Trunc(ZeroGrad):
    def forward(self, x):
        return self.xp.trunc(x)


class Cast(Op):
    """A dtype conversion; the gradient goes back in the input's dtype (torch's ToCopyBackward0)."""
    def forward(self, x, native, dtype_from):
        self.dtype_from = dtype_from
        return self.xp.astype(x, native)

    def backward(self, g):
        return g.to(self.dtype_from), None, None

    def _name(self):
        return "ToCopyBackward0"


# ---------------------------------------------------------------- comparisons, logic
class _Compare(NonDifferentiable):
    pass


def _cmp(name):
    cls = type(name, (_Compare,), {"forward": lambda self, a, b, _f=name: getattr(self.xp, _f)(a, b)})
    return cls


Equal = _cmp("equal")
NotEqual = _cmp("not_equal")
Less = _cmp("less")
LessEqual = _cmp("less_equal")
Greater = _cmp("greater")
GreaterEqual = _cmp("greater_equal")
LogicalAnd = _cmp("logical_and")
LogicalOr = _cmp("logical_or")
LogicalXor = _cmp("logical_xor")
BitwiseAnd = _cmp("bitwise_and")
BitwiseOr = _cmp("bitwise_or")
BitwiseXor = _cmp("bitwise_xor")


class LogicalNot(NonDifferentiable):
    def forward(self, a):
        return self.xp.logical_not(a)


class BitwiseNot(NonDifferentiable):
    def forward(self, a):
        return self.xp.bitwise_invert(a)


class IsNan(NonDifferentiable):
    def forward(self, a):
        return self.xp.isnan(a)


class IsInf(NonDifferentiable):
    def forward(self, a):
        return self.xp.isinf(a)


class IsFinite(NonDifferentiable):
    def forward(self, a):
        return self.xp.isfinite(a)


# ---------------------------------------------------------------- public functions
def _binary(cls, a, b, **kw):
    a, b = as_operands(a, b)
    return cls.apply(a, b, **kw)


def _out(result, out, name):
    """torch's ``out=``: write ``result`` into ``out`` (cast to its dtype; resized if the shape differs)."""
    if out is None:
        return result
    if result._requires_grad and _grad_state.enabled:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    check_same_device(out, result)
    if out.shape != result.shape:
        out._data = out._backend.xp.asarray(result.to(out._dtype)._data, copy=True)
        out._contig = True
        out._vc[0] += 1
        return out
    return out.copy_(result)


def add(input, other, *, alpha=1, out=None):
    if out is not None:
        return _out(add(input, other, alpha=alpha), out, "add")
    if not isinstance(input, Tensor):
        input, other = other, input
    a, b = as_operands(input, other)
    if a._dtype is _dtype.bool_:  # the standard has no bool arithmetic; torch's bool + is a logical or
        return LogicalOr.apply(a, b)
    return Add.apply(a, b, alpha=alpha)


def sub(input, other, *, alpha=1, out=None):
    if out is not None:
        return _out(sub(input, other, alpha=alpha), out, "sub")
    if not isinstance(input, Tensor):
        return rsub(other, input, alpha=alpha)
    return _binary(Sub, input, other, alpha=alpha)


def rsub(input, other, *, alpha=1):
    """other - alpha * input"""
    if alpha != 1:
        input = mul(input, alpha)
    if isinstance(other, Tensor):
        return sub(other, input)
    a, s = as_operands(input, other)
    return RSub.apply(a, s)


def mul(input, other, *, out=None):
    if out is not None:
        return _out(mul(input, other), out, "mul")
    if not isinstance(input, Tensor):
        input, other = other, input
    a, b = as_operands(input, other)
    if a._dtype is _dtype.bool_:  # torch's bool * is a logical and
        return LogicalAnd.apply(a, b)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None, out=None):
    if out is not None:
        return _out(div(input, other, rounding_mode=rounding_mode), out, "div")
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(input, other)
        if rounding_mode == "trunc":
            q = div(input, other)
            out = q.trunc()
            d = input._dtype if isinstance(input, Tensor) else other._dtype
            return out if d.is_floating_point else out.to(d)
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"'{rounding_mode}'")
    if not isinstance(input, Tensor):
        a = float_input(other)
        return RDiv.apply(a, input)
    a, b = as_operands(input, other)
    if not a._dtype.is_floating_point:
        a = a.to(_dtype.default_float.value)
        if isinstance(b, Tensor):
            b = b.to(a._dtype)
    return Div.apply(a, b)


true_divide = div


def floor_divide(input, other):
    if not isinstance(input, Tensor):
        from ..creation import _scalar_tensor_like
        input = _scalar_tensor_like(input, other)
    return _binary(FloorDivide, input, other)


def remainder(input, other):
    if not isinstance(input, Tensor):
        from ..creation import _scalar_tensor_like
        input = _scalar_tensor_like(input, other)
    return _binary(Remainder, input, other)


def fmod(input, other):
    q = div(input, other, rounding_mode="trunc")
    return input - q * other


def pow(input, exponent):
    if not isinstance(input, Tensor):
        e = float_input(exponent) if isinstance(input, float) else exponent
        if isinstance(input, (int, float)) and not isinstance(input, bool):
            if e._dtype.is_floating_point or isinstance(input, int):
                return RPow.apply(e, input)
        from ..creation import _scalar_tensor_like
        input = _scalar_tensor_like(input, exponent)
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if not input._dtype.is_floating_point and (isinstance(exponent, float) or exponent < 0):
            if isinstance(exponent, int) and exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            input = input.to(_dtype.default_float.value)
        if exponent == 2:
            return Square.apply(input)
        if exponent == 0.5:
            return label(Sqrt.apply(input), "PowBackward0")
    return _binary(Pow, input, exponent)


def maximum(input, other):
    return _binary(Maximum, input, other)


def minimum(input, other):
    return _binary(Minimum, input, other)


def atan2(input, other):
    a, b = as_operands(float_input(input), other)
    return Atan2.apply(a, b if not isinstance(b, Tensor) or b._dtype is a._dtype else b.to(a._dtype))


def lerp(input, end, weight):
    a, b = as_operands(input, end)
    return Lerp.apply(a, b, weight)


def where(condition, input=None, other=None):
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}")
    if condition._dtype is not _dtype.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition._dtype.name.capitalize()}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from ..creation import _scalar_tensor_like
        input = _scalar_tensor_like(input, condition, float_default=True)
    if isinstance(input, Tensor):
        a, b = as_operands(input, other)
    else:
        b, a = as_operands(other, input)
    check_same_device(condition, a if isinstance(a, Tensor) else b)
    return Where.apply(condition, a, b)


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo, hi = min, max
    if isinstance(lo, Tensor):
        input, lo = as_operands(input, lo)
    if isinstance(hi, Tensor):
        input, hi = as_operands(input, hi)
    if isinstance(lo, float) and not input._dtype.is_floating_point:
        input = input.to(_dtype.default_float.value)
    if isinstance(hi, float) and not input._dtype.is_floating_point:
        input = input.to(_dtype.default_float.value)
    return Clamp.apply(input, lo, hi)


clip = clamp


def _unary(cls):
    def fn(input):
        return cls.apply(float_input(input))
    fn.__name__ = cls.__name__.lower()
    return fn


exp, expm1, log, log2, log10, log1p, sqrt, rsqrt, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, \
    sigmoid, reciprocal, erf = (_unary(c) for c in (Exp, Expm1, Log, Log2, Log10, Log1p, Sqrt, Rsqrt, Sin, Cos, Tan,
                                                    Asin, Acos, Atan, Sinh, Cosh, Tanh, Sigmoid, Reciprocal, Erf))
arcsin, arccos, arctan = asin, acos, atan


def neg(input):
    return Neg.apply(input)


negative = neg


def abs(input):
    return Abs.apply(input)


def relu(input):
    return Relu.apply(input)


def square(input):
    return Square.apply(input)


def sign(input):
    return Sign.apply(input)


def _rounding(cls):
    def fn(input, **kw):
        if not input._dtype.is_floating_point:
            return input.clone()
        return cls.apply(input, **kw)
    fn.__name__ = cls.__name__.lower()
    return fn


floor, ceil, round, trunc = (_rounding(c) for c in (Floor, Ceil, Round, Trunc))
fix = trunc


def _compare(cls):
    def fn(input, other):
        if not isinstance(input, Tensor):
            input, other = other, input
            flipped = {Less: Greater, Greater: Less, LessEqual: GreaterEqual, GreaterEqual: LessEqual}
            return _binary(flipped.get(cls, cls), input, other)
        return _binary(cls, input, other)
    fn.__name__ = cls.__name__
    return fn


eq, ne, lt, le, gt, ge = (_compare(c) for c in (Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(cls):
    def fn(input, other):
        a, b = as_operands(input, other)
        return cls.apply(a.bool() if a._dtype is not _dtype.bool_ else a,
                         b.bool() if isinstance(b, Tensor) and b._dtype is not _dtype.bool_ else bool(b)
                         if not isinstance(b, Tensor) else b)
    return fn


logical_and, logical_or, logical_xor = (_logical(c) for c in (LogicalAnd, LogicalOr, LogicalXor))
def _bitwise(cls):
    def fn(input, other):
        return _binary(cls, input, other)
    return fn


bitwise_and, bitwise_or, bitwise_xor = (_bitwise(c) for c in (BitwiseAnd, BitwiseOr, BitwiseXor))


def logical_not(input):
    return LogicalNot.apply(input if input._dtype is _dtype.bool_ else input.bool())


def bitwise_not(input):
    return BitwiseNot.apply(input)


class BitwiseLeftShift(NonDifferentiable):
    def forward(self, a, b):
        return self.xp.bitwise_left_shift(a, b)


class BitwiseRightShift(NonDifferentiable):
    def forward(self, a, b):
        return self.xp.bitwise_right_shift(a, b)


def _shift(cls, kernel):
    def fn(input, other):
        if not isinstance(input, Tensor):  # 2 << tensor
            from ..creation import _scalar_tensor_like
            input = _scalar_tensor_like(input, other)
        a, b = as_operands(input, other)
        if a._dtype.is_floating_point or a._dtype is _dtype.bool_:
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{_dtype.SCALAR_NAMES[a._dtype]}\'')
        return cls.apply(a, b)
    return fn


bitwise_left_shift = _shift(BitwiseLeftShift, "lshift")
bitwise_right_shift = _shift(BitwiseRightShift, "rshift")


def isnan(input):
    return IsNan.apply(input)


def isinf(input):
    return IsInf.apply(input)


def isfinite(input):
    return IsFinite.apply(input)


def _value_first(tensor1, tensor2, rest, value):
    """torch's deprecated ``addcdiv(input, value, tensor1, tensor2)`` form."""
    if rest:
        return tensor2, rest[0], tensor1
    return tensor1, tensor2, value


def addcmul(input, tensor1, tensor2, *rest, value=1):
    tensor1, tensor2, value = _value_first(tensor1, tensor2, rest, value)
    return input + value * tensor1 * tensor2 if value != 1 else input + tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *rest, value=1):
    tensor1, tensor2, value = _value_first(tensor1, tensor2, rest, value)
    return input + value * (tensor1 / tensor2) if value != 1 else input + tensor1 / tensor2


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    big = 3.4028234663852886e38 if input._dtype.itemsize == 4 else 1.7976931348623157e308
    out = where(input.isnan(), nan, input)
    out = where(out == float("inf"), big if posinf is None else posinf, out)
    return where(out == float("-inf"), -big if neginf is None else neginf, out)

subtract = sub
multiply = mul
divide = div
