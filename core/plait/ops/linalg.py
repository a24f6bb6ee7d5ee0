"""Matrix products: matmul with broadcasting, mm/bmm/mv/dot/outer, addmm (what Linear uses)."""
import math

from .. import _dtype
from .._layout import strided
from ..autograd.graph import Op
from ._common import Tensor, check_same_device, label, needs_other


def _shape_str(s):
    return "x".join(str(d) for d in s)


class Matmul(Op):
    save_inputs = True
    saved_needs = staticmethod(needs_other)

    def forward(self, a, b):
        return self.xp.matmul(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        ga = g.matmul(b.mT) if self.needs_input_grad[0] else None
        gb = a.mT.matmul(g) if self.needs_input_grad[1] else None
        return ga, gb

    def _name(self):
        return "MmBackward0" if self._shapes and len(self._shapes[0]) == 2 else "BmmBackward0" \
            if self._shapes and len(self._shapes[0]) == 3 else "MatmulBackward0"


class Addmm(Op):
    save_inputs = True
    # the bias is never read; a is read for b's gradient and b for a's
    saved_needs = staticmethod(lambda inputs: (False,) + needs_other(inputs[1:]))

    def forward(self, bias, a, b, beta, alpha):
        xp = self.xp
        prod = xp.matmul(a, b)
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return prod
        return prod + (bias if beta == 1 else bias * beta)

    def backward(self, g):
        bias, a, b, beta, alpha = self.saved_tensors
        gbias = (g if beta == 1 else g * beta) if self.needs_input_grad[0] else None
        ga = gb = None
        if self.needs_input_grad[1]:
            ga = g.matmul(b.mT)
            ga = ga if alpha == 1 else ga * alpha
        if self.needs_input_grad[2]:
            gb = a.mT.matmul(g)
            gb = gb if alpha == 1 else gb * alpha
        return gbias, ga, gb, None, None


def _check_mm(a, b):
    if a.shape[-1] != b.shape[-2]:
        if a.ndim == 2 and b.ndim == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and "
                               f"{_shape_str(b.shape)})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{', '.join(map(str, b.shape[:-2] or (a.shape[-1],)))}] but got: "
                           f"[{', '.join(map(str, b.shape[:-2] or (b.shape[-2],)))}]; matmul shapes "
                           f"{list(a.shape)} and {list(b.shape)} do not fit: {a.shape[-1]} != {b.shape[-2]}")


def _promote(a, b, name):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'other' must be Tensor, not "
                        f"{type(b if isinstance(a, Tensor) else a).__name__}")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dtype.CPP_NAMES[a._dtype]} != "
                           f"{_dtype.CPP_NAMES[b._dtype]}"
                           if a.ndim == 2 and b.ndim == 2 else
                           f"expected scalar type {_dtype.SCALAR_NAMES[a._dtype]} but found "
                           f"{_dtype.SCALAR_NAMES[b._dtype]}")
    check_same_device(a, b)
    return a, b


def matmul(input, other):
    a, b = _promote(input, other, "matmul")
    if a.layout is not strided or b.layout is not strided:  # a sparse COO operand
        return a.matmul(b) if a.layout is not strided else b.__rmatmul__(a)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                           f"{b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return dot(a, b)
    squeeze_front = a.ndim == 1
    squeeze_back = b.ndim == 1
    if squeeze_front:
        a = a.unsqueeze(0)
    if squeeze_back:
        b = b.unsqueeze(-1)
    _check_mm(a, b)
    if a.ndim > 2 or b.ndim > 2:
        from .shape import broadcast_shapes
        try:
            broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except RuntimeError:
            raise RuntimeError(f"matmul: batch dimensions {list(a.shape[:-2])} and {list(b.shape[:-2])} cannot be "
                               "broadcast together") from None
    out = Matmul.apply(a, b)
    if squeeze_front:
        out = out.squeeze(-2)
    if squeeze_back:
        out = out.squeeze(-1)
        if a.ndim == 2 and not squeeze_front:
            label(out, "MvBackward0")
    return out


def mm(input, mat2):
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix (got a {input.ndim}-D tensor)")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (got a {mat2.ndim}-D tensor)")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got {input.ndim}-D)")
    if mat2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor (got {mat2.ndim}-D)")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2)


def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {vec.ndim}, {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got {input.shape[0]} "
                           f"and {other.shape[0]} elements respectively")
    a, b = _promote(input, other, "dot")
    return label(Matmul.apply(a.unsqueeze(0), b.unsqueeze(-1)).reshape(()), "DotBackward0")


inner = dot
vdot = dot


def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    a, b = _promote(mat1, mat2, "addmm")
    if a.layout is not strided:
        from ..sparse import addmm as sparse_addmm
        return sparse_addmm(input, a, b, beta=beta, alpha=alpha)
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {a.ndim}-D tensor" if a.ndim != 2 else
                           f"mat2 must be a matrix, got {b.ndim}-D tensor")
    _check_mm(a, b)
    if isinstance(input, Tensor) and input._dtype is not a._dtype:
        input = input.to(a._dtype)
    out_shape = (a.shape[0], b.shape[1])
    from .shape import broadcast_shapes
    bshape = broadcast_shapes(input.shape, out_shape)
    if bshape != out_shape:
        raise RuntimeError(f"The expanded size of the tensor ({out_shape[-1]}) must match the existing size "
                           f"({input.shape[-1]}) at non-singleton dimension 1.  Target sizes: {list(out_shape)}.  "
                           f"Tensor sizes: {list(input.shape)}")
    return Addmm.apply(input, a, b, beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return input * beta + matmul(mat, vec) * alpha


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return input * beta + bmm(batch1, batch2) * alpha


def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        axes_a = list(range(a.ndim - dims, a.ndim))
        axes_b = list(range(dims))
    else:
        axes_a, axes_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    axes_a = [d % a.ndim for d in axes_a]
    axes_b = [d % b.ndim for d in axes_b]
    free_a = [d for d in range(a.ndim) if d not in axes_a]
    free_b = [d for d in range(b.ndim) if d not in axes_b]
    import math
    k = math.prod(a.shape[d] for d in axes_a)
    am = a.permute(free_a + axes_a).reshape(-1, k)
    bm = b.permute(axes_b + free_b).reshape(k, -1)
    return matmul(am, bm).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def einsum(equation, *operands):
    """Einstein summation for two-operand (or one-operand) equations, via permute/reshape/matmul."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError(f"einsum(): {len(terms)} operand subscripts given for {len(operands)} operands")
    if "." in eq:
        raise RuntimeError("einsum(): ellipsis ('...') subscripts are not supported by plait's einsum")
    for t, x in zip(terms, operands):
        if len(t) != x.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does not match the "
                               f"number of dimensions ({x.ndim}) for operand {terms.index(t)}")
    result, sub = operands[0], terms[0]
    result, sub = _einsum_reduce_single(result, sub, out + "".join(terms[1:]))
    for t, x in zip(terms[1:], operands[1:]):
        x, t = _einsum_reduce_single(x, t, out + sub)
        result, sub = _einsum_pair(result, sub, x, t, out)
    # final: sum letters not in out, then permute
    extra = [i for i, c in enumerate(sub) if c not in out]
    if extra:
        result = result.sum(dim=tuple(extra))
        sub = "".join(c for c in sub if c in out)
    return result.permute([sub.index(c) for c in out]) if out else result


def _einsum_reduce_single(x, sub, keep):
    # repeated letters within one operand: take the diagonal
    while len(set(sub)) != len(sub):
        for c in sub:
            if sub.count(c) > 1:
                i = sub.index(c)
                j = sub.index(c, i + 1)
                x = x.diagonal(0, i, j)
                sub = sub[:i] + sub[i + 1:j] + sub[j + 1:] + c
                break
    drop = [i for i, c in enumerate(sub) if c not in keep]
    if drop:
        x = x.sum(dim=tuple(drop))
        sub = "".join(c for i, c in enumerate(sub) if i not in drop)
    return x, sub


def _einsum_pair(a, sa, b, sb, out):
    batch = [c for c in sa if c in sb and c in out]
    contract = [c for c in sa if c in sb and c not in out]
    only_a = [c for c in sa if c not in sb]
    only_b = [c for c in sb if c not in sa]
    import math
    sizes = {c: a.shape[sa.index(c)] for c in sa}
    sizes.update({c: b.shape[sb.index(c)] for c in sb})
    am = a.permute([sa.index(c) for c in batch + only_a + contract]).reshape(
        [sizes[c] for c in batch] + [math.prod(sizes[c] for c in only_a), math.prod(sizes[c] for c in contract)])
    bm = b.permute([sb.index(c) for c in batch + contract + only_b]).reshape(
        [sizes[c] for c in batch] + [math.prod(sizes[c] for c in contract), math.prod(sizes[c] for c in only_b)])
    r = matmul(am, bm).reshape([sizes[c] for c in batch + only_a + only_b])
    return r, "".join(batch + only_a + only_b)


class Linear(Op):
    """``x @ w.T + b`` in one node (what ``nn.Linear`` runs). The weight gradient is computed as
    ``g.T @ x``, so it comes out in the weight's own row-major layout (no transposed copy)."""
    save_inputs = True

    def forward(self, x, w, b):
        self.has_bias = b is not None
        xp = self.xp
        lead = x.shape[:-1]
        if x.ndim > 2:
            # (*, in) as one (rows, in) matrix: one BLAS product, where a stacked matmul makes one per leading
            # index (NumPy's), several times slower for the (batch, seq, features) inputs of sequence models
            x = xp.reshape(x, (math.prod(lead), x.shape[-1]))
        out = xp.matmul(x, xp.matrix_transpose(w))
        if b is not None:
            out = out + b
        return xp.reshape(out, (*lead, out.shape[-1])) if len(lead) > 1 else out

    def backward(self, g):
        x, w, b = self.saved_tensors
        needs = self.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])  # (rows, out), as the forward's product
        gx = None
        if needs[0]:
            gx = g2.matmul(w)
            gx = gx if g.ndim == 2 else gx.reshape(*g.shape[:-1], w.shape[1])
        gw = gb = None
        if needs[1] or (b is not None and needs[2]):
            if needs[1]:
                x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
                gw = g2.mT.matmul(x2)
            if b is not None and needs[2]:
                gb = g2.sum(0)
        return gx, gw, gb

    def name(self):
        return "AddmmBackward0" if self.has_bias else "MmBackward0"


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (torch.nn.functional.linear) for a 2-D ``weight``."""
    if input.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are 0D and {weight.ndim}D")
    if weight.ndim != 2:
        out = matmul(input, weight.t() if weight.ndim == 2 else weight)
        return out if bias is None else out + bias
    if input.shape[-1] != weight.shape[1]:
        rows = math.prod(input.shape[:-1]) if input.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    x, w = _promote(input, weight, "linear")
    if bias is not None:
        check_same_device(x, bias)
        if bias._dtype is not x._dtype:
            bias = bias.to(x._dtype)
    return Linear.apply(x, w, bias)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def _root_with_zero_gradient(total, p):
    """``total ** (1/p)`` whose gradient is 0 (not inf * 0) where ``total`` is 0, as torch's cdist backward."""
    from .elementwise import where
    positive = total > 0
    safe = where(positive, total, total.new_ones(()))
    root = safe.sqrt() if p == 2 else safe.pow(1.0 / p)
    return where(positive, root, total.new_zeros(()))


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of ``x1`` (..., P, M) and of ``x2`` (..., R, M): (..., P, R). For
    p=2 with more than 25 rows (or ``compute_mode="use_mm_for_euclid_dist"``) through one matrix product,
    as torch does; otherwise from the explicit differences."""
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x._dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_dtype.SCALAR_NAMES[x._dtype]}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: "
                           f"{x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1._dtype is not x2._dtype:
        raise RuntimeError(f"expected scalar type {_dtype.SCALAR_NAMES[x1._dtype]} but found "
                           f"{_dtype.SCALAR_NAMES[x2._dtype]}")
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary" and (x1.shape[-2] > 25 or x2.shape[-2] > 25)))
    if use_mm:
        squares = (x1 * x1).sum(-1, keepdim=True) + (x2 * x2).sum(-1).unsqueeze(-2) - 2 * matmul(x1, x2.mT)
        return _root_with_zero_gradient(squares.clamp(min=0), 2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:
        return (diff != 0).sum(-1).to(x1._dtype)
    if p == math.inf:
        return diff.abs().amax(-1)
    if p == 1:
        return diff.abs().sum(-1)
    total = (diff * diff).sum(-1) if p == 2 else diff.abs().pow(p).sum(-1)
    return _root_with_zero_gradient(total, p)
