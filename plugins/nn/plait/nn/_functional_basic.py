"""Stateless linear maps, activations and losses (the non-convolutional half of torch.nn.functional).

Everything is composed from plait Tensor ops, so it runs on every backend and autograd derives the
backward passes; the few places that guard numerics (log-sum-exp, clamped logs) say why.
"""
import functools
import math
import warnings

import plait
from plait._dtype import SCALAR_NAMES  # torch's type names, for its messages

__all__ = [
    "linear", "bilinear", "identity",
    "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu", "gelu", "silu", "mish",
    "sigmoid", "tanh", "hardtanh", "hardtanh_", "relu6", "hardsigmoid", "hardswish", "logsigmoid",
    "softsign", "tanhshrink", "softshrink", "hardshrink", "threshold", "prelu", "glu",
    "softmax", "softmin", "log_softmax", "softplus",
    "normalize", "one_hot", "pairwise_distance", "cosine_similarity", "gumbel_softmax",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]


# --------------------------------------------------------------------------- linear maps
def _mat_shape(t):
    """How torch's matmul error prints an operand: leading dims folded into rows."""
    if t.dim() == 1:
        return f"1x{t.shape[0]}"
    rows = 1
    for s in t.shape[:-1]:
        rows *= s
    return f"{rows}x{t.shape[-1]}"


def linear(input, weight, bias=None):
    """y = x W^T + b for x of shape (*, in_features) and W of shape (out_features, in_features)."""
    if input.dim() == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and "
                           f"{weight.dim()}D")
    if input.shape[-1] != weight.shape[-1]:
        w_t = f"{weight.shape[-1]}x{weight.shape[0]}" if weight.dim() == 2 else f"{weight.shape[-1]}"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_mat_shape(input)} and {w_t})")
    if weight.dim() == 2:
        return plait.linear(input, weight, bias)  # one fused node (torch records AddmmBackward0)
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T A_k x2 + b_k for x1 (*, in1), x2 (*, in2) and A (out, in1, in2)."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {in2}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} "
                           f"and {list(input2.shape[:-1])}")
    # (*, in1) @ (in1, out*in2) -> (*, out, in2), then contract in2 with x2
    tmp = input1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2))
    tmp = tmp.reshape(*input1.shape[:-1], out_f, in2)
    out = (tmp * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


def identity(input):
    return input


# --------------------------------------------------------------------------- activations
def _pointwise(fn, input, inplace):
    """Run ``fn(input)``; with ``inplace`` write the result into ``input`` and return it, as torch does.

    When autograd records, ``fn`` runs on a clone: the composed ops save their inputs for backward, and
    overwriting the very tensor they saved would make that backward fail the version check.
    """
    if not inplace:
        return fn(input)
    src = input.clone() if (input.requires_grad and plait.is_grad_enabled()) else input
    return input.copy_(fn(src))


def relu(input, inplace=False):
    # the core's relu saves its output, so its in-place form needs no clone
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _pointwise(lambda x: plait.where(x > 0, x, x * negative_slope), input, inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def _neg_part_expm1(input, alpha):
    # clamp before expm1: the discarded branch of where must stay finite or its zero gradient becomes NaN
    return alpha * input.clamp(max=0).expm1()


def elu(input, alpha=1.0, inplace=False):
    return _pointwise(lambda x: plait.where(x > 0, x, _neg_part_expm1(x, alpha)), input, inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _pointwise(lambda x: _SELU_SCALE * elu(x, _SELU_ALPHA), input, inplace)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _pointwise(lambda x: plait.where(x > 0, x, alpha * (x.clamp(max=0) / alpha).expm1()), input, inplace)


def gelu(input, approximate="none"):
    if approximate == "none":
        return 0.5 * input * (1.0 + (input * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + inner.tanh())
    raise RuntimeError(f"approximate argument must be either none or tanh, got '{approximate}'")


def silu(input, inplace=False):
    return _pointwise(lambda x: x * x.sigmoid(), input, inplace)


def mish(input, inplace=False):
    return _pointwise(lambda x: x * softplus(x).tanh(), input, inplace)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def _clip(x, low, high, inside):
    """``inside`` strictly between the clip points, the clamped constant elsewhere: torch's clip-style
    activations pass no gradient at the clip points themselves (a plain clamp would pass it)."""
    strictly = (x > low) & (x < high)
    return plait.where(strictly, inside, inside.clamp(low, high).detach())


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _pointwise(lambda x: _clip(x, min_val, max_val, x), input, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    return _pointwise(lambda x: plait.where((x > -3.0) & (x < 3.0), x / 6.0 + 0.5,
                                            (x / 6.0 + 0.5).clamp(0.0, 1.0).detach()), input, inplace)


def hardswish(input, inplace=False):
    # torch's gradient: 0 up to -3, 1 from 3 on, x/3 + 1/2 between
    return _pointwise(lambda x: plait.where(x <= -3.0, x.new_zeros(()),
                                            plait.where(x >= 3.0, x, x * (x + 3.0) / 6.0)), input, inplace)


def logsigmoid(input):
    """log(sigmoid(x)), finite for any x: x - log1p(exp(x)) below 0, -log1p(exp(-x)) from 0 on. Each branch
    sees its input clamped to its own side, so neither overflows (nor sends NaN through the unused branch's
    gradient), and the gradient at 0 is sigmoid(0) = 1/2 as torch's."""
    below = input.clamp(max=0.0)
    above = input.clamp(min=0.0)
    return plait.where(input < 0, below - below.exp().log1p(), -(-above).exp().log1p())


def softsign(input):
    return input / (1.0 + input.abs())


def tanhshrink(input):
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    zero = input * 0
    return plait.where(input > lambd, input - lambd, plait.where(input < -lambd, input + lambd, zero))


def hardshrink(input, lambd=0.5):
    return plait.where(input.abs() > lambd, input, input * 0)


def threshold(input, threshold, value, inplace=False):
    return _pointwise(lambda x: plait.where(x > threshold, x, plait.full_like(x, value)), input, inplace)


def prelu(input, weight):
    if weight.numel() != 1:
        channels = input.shape[1] if input.dim() >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
        if input.dim() >= 2:
            weight = weight.reshape(channels, *([1] * (input.dim() - 2)))
    return plait.where(input > 0, input, input * weight)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {n}")
    a, b = input.split(n // 2, dim)
    return a * b.sigmoid()


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _shifted(input, dim):
    # Softmax is invariant to the shift, so the max needs no gradient; subtracting it keeps exp() <= 1.
    if input.dim() == 0:
        return input - input.detach()
    return input - input.amax(dim, keepdim=True).detach()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    e = _shifted(input, dim).exp()
    return e / e.sum(dim, keepdim=True)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    z = _shifted(input, dim)
    return z - z.exp().sum(dim, keepdim=True).log()


def softplus(input, beta=1.0, threshold=20.0):
    bx = input * beta
    # Above the threshold torch returns x itself; the clamp keeps exp() of the unused branch finite.
    soft = bx.clamp(max=threshold).exp().log1p() / beta
    return plait.where(bx > threshold, input, soft)


# --------------------------------------------------------------------------- misc
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    result = input / denom
    return result if out is None else out.copy_(result)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def _norm_floored(x, dim, eps):
    """||x|| along ``dim`` (kept) with its value floored at ``eps`` but its gradient that of the plain norm:
    torch clamps a clone of the norm under no_grad."""
    norm = x.norm(2, dim, keepdim=True)
    return norm + (norm.clamp(min=eps) - norm).detach()


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Sum over ``dim`` of (x1 / ||x1||) * (x2 / ||x2||), each norm floored at ``eps``: normalising first
    keeps the result within [-1, 1], as torch's."""
    common = plait.promote_types(x1.dtype, x2.dtype)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{SCALAR_NAMES[common]}")
    x1, x2 = plait.broadcast_tensors(x1, x2)
    return ((x1 / _norm_floored(x1, dim, eps)) * (x2 / _norm_floored(x2, dim, eps))).sum(dim)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype != plait.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    if tensor.numel() > 0:
        if tensor.min().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if tensor.max().item() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = plait.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with ``g`` standard
    Gumbel noise; ``hard`` returns one-hot vectors whose gradient is the soft sample's (straight-through)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -plait.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = plait.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# --------------------------------------------------------------------------- losses: shared pieces
_REDUCTIONS = ("none", "mean", "sum")


def _get_reduction(size_average, reduce, reduction):
    """The reduction a loss applies, translating torch's deprecated size_average/reduce flags."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _safe_count(count):
    """``count`` with 0 replaced by 1, and a term that is NaN where it was 0 (else 0)."""
    empty = count == 0
    safe = plait.where(empty, plait.ones_like(count), count)
    return safe, plait.where(empty, count.new_full((), float("nan")), count.new_zeros(()))


def _divide_by_count(total, count):
    """``total / count`` for a weighted mean whose ``count`` may be 0 (every target ignored): the value is
    NaN, torch's 0/0, but the gradient is 0 as torch's is, never NaN (nor a division warning)."""
    safe, nan_if_empty = _safe_count(count)
    return total / safe + nan_if_empty


def _reduce(loss, reduction, denominator=None):
    """Apply a validated reduction; ``denominator`` replaces the element count of 'mean' (weighted means)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if denominator is not None:
        return _divide_by_count(loss.sum(), denominator)
    return loss.mean()


def _broadcast_pair(input, target):
    """Pointwise losses broadcast like torch: warn when the shapes differ, fail naming both if they can't."""
    if input.shape == target.shape:
        return input, target
    warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                  "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                  "same size.", stacklevel=3)
    try:
        shape = plait.broadcast_shapes(input.shape, target.shape)
    except RuntimeError:
        raise RuntimeError(f"The size of input {input.shape} and target {target.shape} cannot be broadcast "
                           "together") from None
    return input.expand(shape), target.expand(shape)


def _pointwise_loss(fn, input, target, size_average, reduce, reduction):
    reduction = _get_reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target)
    return _reduce(fn(input - target), reduction)



def _torch_node_name(node_name):
    """Composite functions name their final graph node as torch names its fused op (``MseLossBackward0``,
    ``ConvolutionBackward0``...), so ``out.grad_fn`` prints as in torch. ``node_name`` is a string, or a
    function of the call's ``(args, kwargs)`` returning the name or None (leave it)."""
    from plait.ops._common import label

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            out = fn(*args, **kwargs)
            name = node_name(args, kwargs) if callable(node_name) else node_name
            if name is not None:
                label(out[0] if isinstance(out, tuple) else out, name)
            return out
        return wrapper
    return decorate


def _argument(args, kwargs, position, name):
    """A call's argument, given by position or keyword."""
    return args[position] if len(args) > position else kwargs[name]


def _nll_node_name(args, kwargs):
    if _argument(args, kwargs, 1, "target").is_floating_point():
        return None  # class probabilities: torch composes them too
    return "NllLoss2DBackward0" if _argument(args, kwargs, 0, "input").dim() >= 3 else "NllLossBackward0"


@_torch_node_name("MseLossBackward0")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if weight is not None:
        return _pointwise_loss(lambda d: d * d * weight, input, target, size_average, reduce, reduction)
    return _pointwise_loss(lambda d: d * d, input, target, size_average, reduce, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _pointwise_loss(lambda d: d.abs(), input, target, size_average, reduce, reduction)


def _quadratic_then_linear(d, cut, quad_scale, lin_scale):
    """Shared body of smooth-L1 and Huber: quad_scale*d^2/2 below |d| < cut, lin_scale*(|d| - cut/2) above."""
    a = d.abs()
    return plait.where(a < cut, 0.5 * quad_scale * d * d, lin_scale * (a - 0.5 * cut))


@_torch_node_name("SmoothL1LossBackward0")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, size_average, reduce, reduction)
    return _pointwise_loss(lambda d: _quadratic_then_linear(d, beta, 1.0 / beta, 1.0), input, target,
                           size_average, reduce, reduction)


@_torch_node_name("HuberLossBackward0")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _pointwise_loss(lambda d: _quadratic_then_linear(d, delta, 1.0, delta), input, target, None, None,
                               reduction)
    return _pointwise_loss(lambda d: _quadratic_then_linear(d, delta, 1.0, delta) * weight, input, target, None,
                           None, reduction)


# --------------------------------------------------------------------------- losses: classification
def _class_weight_view(weight, ndim, class_dim):
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.reshape(shape)


def _check_class_targets(target, n_classes, ignore_index):
    """Class indices must lie in [0, C) (ignore_index aside); one host sync, as torch's CPU kernel makes."""
    if target.numel() == 0:
        return
    bad = ((target < 0) | (target >= n_classes)) & (target != ignore_index)
    if bad.any().item():
        value = int(target[bad].reshape(-1)[0].item())
        raise IndexError(f"Target {value} is out of bounds: expected class indices in [0, {n_classes}) "
                         f"(input has {n_classes} classes)")


def _check_nll_args(input, target, weight, ignore_index):
    """torch's checks for class-index targets against (N, C, d1, ...) input; returns the targets as int64
    (uint8 ones widened, so that comparing them with a negative ignore_index is well defined)."""
    if target.dtype.is_floating_point or target.dtype == plait.bool:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype} (class-index targets must be "
                           "integers)")
    if target.dtype not in (plait.int64, plait.uint8):
        legacy = target.type().rsplit(".", 1)[-1][:-len("Tensor")]  # plait.IntTensor -> Int
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {legacy}")
    if target.dtype == plait.uint8:
        target = target.to(plait.int64)
    n_classes = input.shape[1]
    if input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    expected = (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)} (input shape "
                         f"{list(input.shape)})")
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    _check_class_targets(target, n_classes, ignore_index)
    return target


def _target_hits(input, target, ignore_index):
    """(one-hot mask of each target class over dim 1, mask of the targets that count)."""
    n_classes = input.shape[1]
    keep = target != ignore_index
    classes = plait.arange(n_classes, device=input.device).reshape((1, n_classes) + (1,) * (input.dim() - 2))
    hit = target.unsqueeze(1) == classes
    if 0 <= ignore_index < n_classes:
        hit = hit & keep.unsqueeze(1)
    return hit, keep


@_torch_node_name(_nll_node_name)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices; input is (N, C, d1, ...) or (C,) log-probabilities."""
    reduction = _get_reduction(size_average, reduce, reduction)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    unbatched = input.dim() == 1
    if unbatched:
        if target.dim() != 0 and not (target.dtype.is_floating_point or target.dtype == plait.bool):
            raise ValueError(f"Expected target of shape [] for input of shape {list(input.shape)}, got "
                             f"{list(target.shape)}")
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    target = _check_nll_args(input, target, weight, ignore_index)
    # Pick each target's log-probability with a one-hot mask: elementwise forward and backward, where a
    # gather would need index bounds syncs and a scatter-add in backward.
    hit, keep = _target_hits(input, target, ignore_index)
    picked = -plait.where(hit, input, input.new_zeros(())).sum(1)
    if weight is not None:
        w = (hit.to(weight.dtype) * _class_weight_view(weight, input.dim(), 1)).sum(1)
    else:
        w = keep.to(input.dtype)
    loss = picked * w
    if unbatched and reduction == "none":
        loss = loss.squeeze(0)
    return _reduce(loss, reduction, denominator=w.sum())


class _CrossEntropyIndices(plait.autograd.Function):
    """Cross entropy of (N, C, d1, ...) logits and class indices, without class weights or smoothing (what
    a classifier's training loop calls every step): one node whose backward is ``softmax - one_hot``,
    instead of the ~20 nodes of log_softmax + nll_loss. The backward recomputes the softmax from the
    saved logits with tensor ops, so higher-order gradients stay exact."""

    @staticmethod
    def forward(ctx, logits, target, ignore_index, reduction):
        hit, keep = _target_hits(logits, target, ignore_index)
        loss = -plait.where(hit, log_softmax(logits, 1), logits.new_zeros(())).sum(1)
        ctx.save_for_backward(logits)
        ctx.hit, ctx.keep, ctx.reduction = hit, keep, reduction
        if reduction == "none":
            return loss
        if reduction == "sum":
            return loss.sum()
        ctx.count, nan_if_empty = _safe_count(keep.sum().to(logits.dtype))
        return loss.sum() / ctx.count + nan_if_empty

    @staticmethod
    def backward(ctx, grad):
        (logits,) = ctx.saved_tensors
        dtype = logits.dtype
        d = softmax(logits, 1) * ctx.keep.unsqueeze(1).to(dtype) - ctx.hit.to(dtype)
        if ctx.reduction == "none":
            scale = grad.unsqueeze(1)
        else:
            scale = grad / ctx.count if ctx.reduction == "mean" else grad
        return d * scale, None, None, None


@_torch_node_name(_nll_node_name)
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between logits ``input`` (N, C, d1, ...) or (C,) and class indices or class probabilities.

    Follows torch exactly, including its label-smoothing and weighted-mean normalisations.
    """
    reduction = _get_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    if target.dtype == plait.uint8:  # torch's Byte targets; int64 compares with a negative ignore_index
        target = target.to(plait.int64)
    if input.dim() >= 2 and weight is None and label_smoothing == 0.0 and not target.dtype.is_floating_point:
        target = _check_nll_args(input, target, None, ignore_index)
        return _CrossEntropyIndices.apply(input, target, ignore_index, reduction)
    logp = log_softmax(input, class_dim)

    if target.dtype.is_floating_point:
        if target.shape != input.shape:
            raise RuntimeError(f"Expected target of shape {list(input.shape)} for class probabilities (same as "
                             f"input), got {list(target.shape)}; class-index targets must be integers")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target
        if weight is not None:
            prod = prod * _class_weight_view(weight, input.dim(), class_dim)
        # 'mean' averages over the N*d1*... samples, which is loss.mean()
        return _reduce(-prod.sum(class_dim), reduction)

    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    keep = target != ignore_index
    if weight is not None:
        smooth = -(logp * _class_weight_view(weight, input.dim(), class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth * keep.to(smooth.dtype)
    if reduction == "mean":
        if weight is not None:
            safe_target = plait.where(keep, target, plait.zeros_like(target))
            denom = (weight.gather(0, safe_target.reshape(-1)) * keep.reshape(-1).to(weight.dtype)).sum()
        else:
            denom = keep.to(smooth.dtype).sum()
        smooth = _divide_by_count(smooth.sum(), denom)
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _clamped_log(x):
    """log(x) floored at -100 like torch's BCE, with a zero (not NaN) gradient where x == 0."""
    positive = x > 0
    safe = plait.where(positive, x, plait.ones_like(x))
    return plait.where(positive, safe.log(), plait.full_like(x, -100.0)).clamp(min=-100.0)


class _BinaryCrossEntropy(plait.autograd.Function):
    """Elementwise -(y log x + (1 - y) log(1 - x)), logs floored at -100 as torch's; the input gradient is
    torch's (x - y) / max(x (1 - x), 1e-12), so a confidently wrong probability (x = 0, y = 1) still gets a
    large gradient where the floored logs would give none."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return -(y * _clamped_log(x) + (1 - y) * _clamped_log(1 - x))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gx = grad * (x - y) / ((1 - x) * x).clamp(min=1e-12) if ctx.needs_input_grad[0] else None
        gy = grad * (_clamped_log(1 - x) - _clamped_log(x)) if ctx.needs_input_grad[1] else None
        return gx, gy


@_torch_node_name("BinaryCrossEntropyBackward0")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _get_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if input.numel() and ((input < 0) | (input > 1)).any().item():
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@_torch_node_name("BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _get_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    softplus_neg = -logsigmoid(input)  # log(1 + exp(-x)), finite, with torch's gradient at 0
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: input holds log-probabilities."""
    if size_average is not None or reduce is not None:
        reduction = _get_reduction(size_average, reduce, "mean")
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in (*_REDUCTIONS, "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy: 0 * log 0 is 0
        positive = target > 0
        safe = plait.where(positive, target, plait.ones_like(target))
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() != 0 else loss.sum()
    return _reduce(loss, reduction)
