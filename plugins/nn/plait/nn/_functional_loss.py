"""Margin, embedding, probabilistic and sequence losses (the rest of torch.nn.functional's losses).

All follow torch 2.13: the same formulas (including its epsilons), reductions, legacy size_average/reduce
flags and error texts. They are composed from plait Tensor ops, except ``ctc_loss``, whose forward runs
the CTC alpha/beta recursions (one Python loop over time each, vectorised over batch and label positions)
inside one autograd Function with torch's gradient.
"""
import math

import plait
from plait.ops._common import label

from ._functional_basic import (_get_reduction, _reduce, _torch_node_name, logsigmoid,
                                pairwise_distance)

__all__ = [
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss",
]


def _check_reduction(reduction, message):
    """torch's Python-side losses validate ``reduction`` themselves, each with its own wording."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(message.format(reduction))


# --------------------------------------------------------------------------- margin losses
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -y (x1 - x2) + margin) elementwise."""
    reduction = _get_reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where y == 1, max(0, margin - x) where y == -1 (torch adds both terms for any other y)."""
    reduction = _get_reduction(size_average, reduce, reduction)
    zero = input.new_zeros(())
    margin_part = plait.where(target != 1, (margin - input).clamp_min(0), zero)
    self_part = plait.where(target != -1, input, zero)
    return _reduce(margin_part + self_part, reduction)


@_torch_node_name("SoftMarginLossBackward0")
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)) elementwise, computed as -logsigmoid(y x) so that it never overflows."""
    reduction = _get_reduction(size_average, reduce, reduction)
    shape = plait.broadcast_shapes(input.shape, target.shape)
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")
    return _reduce(-logsigmoid(target * input), reduction)


_COSINE_EPS = 1e-12  # torch's, added to each squared magnitude


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1 (0 for any other y)."""
    reduction = _get_reduction(size_average, reduce, reduction)
    target_dim = target.dim()
    if target_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = target_dim + 1
    if input1.dim() != expected or input2.dim() != expected:
        raise RuntimeError(f"{target_dim}D target tensor expects {expected}D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    dot = (input1 * input2).sum(target_dim)
    square1 = (input1 * input1).sum(target_dim) + _COSINE_EPS
    square2 = (input2 * input2).sum(target_dim) + _COSINE_EPS
    cos = dot / (square1 * square2).sqrt()
    zero = cos.new_zeros(())
    loss = (plait.where(target == 1, 1 - cos, zero)
            + plait.where(target == -1, (cos - margin).clamp_min(0), zero))
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per-sample mean over classes of the binary logistic loss."""
    if size_average is not None or reduce is not None:
        reduction = _get_reduction(size_average, reduce, "mean")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    _check_reduction(reduction, "{} is not valid")
    return _reduce(loss, reduction)


def _check_vector_or_matrix(input):
    """(N, C) with N possibly 0, or (C,) with C > 0; torch treats a 0-dim input as one class."""
    ndim = input.dim()
    if not (ndim <= 1 and input.numel() > 0) and not (ndim == 2 and input.shape[1] > 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")


def _check_long(target):
    if target.dtype != plait.int64:
        legacy = target.type().rsplit(".", 1)[-1][:-len("Tensor")]  # plait.FloatTensor -> Float
        raise RuntimeError(f"expected scalar type Long but found {legacy}")


@_torch_node_name("MultiMarginLossBackward0")
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Per sample, sum over the classes j != y of max(0, margin - x[y] + x[j])^p * weight[y], over C."""
    reduction = _get_reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _check_vector_or_matrix(input)
    _check_long(target)
    n_samples = input.shape[0] if input.dim() == 2 else 1
    n_classes = input.shape[-1] if input.dim() else 1
    if target.numel() != n_samples or target.dim() > 1:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n_samples}], but got "
                           f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"inconsistent weight size, expected {n_classes} but got {list(weight.shape)}")
    if target.numel() and ((target < 0) | (target >= n_classes)).any().item():
        raise RuntimeError("target out of range")
    x = input.reshape(n_samples, n_classes)
    y = target.reshape(n_samples, 1)
    is_target = y == plait.arange(n_classes, device=input.device)
    x_target = plait.where(is_target, x, x.new_zeros(())).sum(1, keepdim=True)
    z = (margin - x_target + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * (is_target.to(weight.dtype) * weight).sum(1, keepdim=True)
    loss = plait.where(is_target, z.new_zeros(()), z).sum(1) / n_classes
    if input.dim() < 2:
        loss = loss.reshape(target.shape)
    return _reduce(loss, reduction)


@_torch_node_name("MultilabelMarginLossBackward0")
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Per sample, sum over its target classes j (the entries before the first negative one) and the
    non-target classes k of max(0, 1 - (x[j] - x[k])), over C."""
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_vector_or_matrix(input)
    if target.shape != input.shape or (input.dim() == 0 and target.numel() != 1):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    _check_long(target)
    n_samples = input.shape[0] if input.dim() == 2 else 1
    n_classes = input.shape[-1] if input.dim() else 1
    x = input.reshape(n_samples, n_classes)
    y = target.reshape(n_samples, n_classes)
    # a target position counts while no negative entry precedes it (torch stops at the first one)
    valid = (y < 0).to(plait.int64).cumsum(1) == 0
    if (valid & (y >= n_classes)).any().item():
        raise RuntimeError("argument #2 'target' is out of range")
    safe_y = plait.where(valid, y, plait.zeros_like(y))
    classes = plait.arange(n_classes, device=input.device)
    hits = (safe_y.unsqueeze(2) == classes) & valid.unsqueeze(2)  # (N, target position, class)
    is_target = hits.any(1)
    x_target = x.gather(1, safe_y)  # (N, target position)
    z = (1 - x_target.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)
    counted = valid.unsqueeze(2) & ~is_target.unsqueeze(1)
    loss = plait.where(counted, z, z.new_zeros(())).sum((1, 2)) / n_classes
    if input.dim() < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- embedding losses
def _check_triplet(anchor, positive, negative, margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D "
                           "inputs")


def _triplet(dist_pos, dist_neg, dist_swap, margin, reduction):
    if dist_swap is not None:
        dist_neg = plait.minimum(dist_neg, dist_swap)
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with the p-norm pairwise distance (optionally swapping in d(p, n))."""
    reduction = _get_reduction(size_average, reduce, reduction)
    _check_triplet(anchor, positive, negative, margin)
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    dist_swap = pairwise_distance(positive, negative, p, eps) if swap else None
    return _triplet(dist_pos, dist_neg, dist_swap, margin, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """triplet_margin_loss with any distance function (pairwise_distance by default)."""
    _check_reduction(reduction, "{} is not a valid value for reduction")
    _check_triplet(anchor, positive, negative, margin)
    distance = pairwise_distance if distance_function is None else distance_function
    dist_swap = distance(positive, negative) if swap else None
    return _triplet(distance(anchor, positive), distance(anchor, negative), dist_swap, margin, reduction)


# --------------------------------------------------------------------------- probabilistic losses
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log-likelihood of ``target`` with rate exp(input) (log_input) or input."""
    if size_average is not None or reduce is not None:
        reduction = _get_reduction(size_average, reduce, "mean")
    _check_reduction(reduction, "{} is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(target!), applied where target > 1 only; the others see a safe
        # stand-in, so that 0 * log(0) neither warns nor sends NaN into the target's gradient
        large = target > 1
        safe = plait.where(large, target, plait.full_like(target, 2.0))
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + plait.where(large, stirling, stirling.new_zeros(()))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi with ``full``), var clamped at ``eps``."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * plait.ones_like(input)
    elif (var < 0).any().item():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            # homoscedastic over the last dim: one variance per row
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            # torch accepts a var that differs from input in exactly one dim, where its size is 1
            raise ValueError("var is of incorrect size")
    _check_reduction(reduction, "{} is not valid")
    # The clamp is not differentiated through (torch clamps in place under no_grad): the gradient reaches
    # var unchanged, as if the clamped value were var itself.
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- CTC
_CTC_CHECK = " (while checking arguments for ctc_loss_allocate_outputs)"


def _log_add(*terms):
    """Elementwise log(sum(exp(terms))), -inf where every term is -inf (without NaN or warnings)."""
    top = terms[0]
    for t in terms[1:]:
        top = plait.maximum(top, t)
    finite = top.isfinite()
    shift = plait.where(finite, top, top.new_zeros(()))
    total = terms[0].sub(shift).exp()
    for t in terms[1:]:
        total = total + (t - shift).exp()
    safe_total = plait.where(finite, total, plait.ones_like(total))
    return plait.where(finite, shift + safe_total.log(), top)


def _shift_right(x, by, fill):
    """x[:, s - by] at position s (``fill`` in the first ``by`` positions)."""
    pad = x.new_full((x.shape[0], by), fill)
    return plait.cat([pad, x[:, :x.shape[1] - by]], 1)


def _shift_left(x, by, fill):
    """x[:, s + by] at position s (``fill`` in the last ``by`` positions)."""
    pad = x.new_full((x.shape[0], by), fill)
    return plait.cat([x[:, by:], pad], 1)


def _log_add_rows(x):
    """log(sum(exp(x), 1)) of a 2-D x, -inf for rows of -inf."""
    top = x.amax(1, keepdim=True)
    finite = top.isfinite()
    shift = plait.where(finite, top, top.new_zeros(()))
    total = (x - shift).exp().sum(1, keepdim=True)
    safe_total = plait.where(finite, total, plait.ones_like(total))
    return plait.where(finite, shift + safe_total.log(), top).squeeze(1)


class _CtcLoss(plait.autograd.Function):
    """Per-sample CTC negative log-likelihood of (T, N, C) log-probabilities.

    ``labels`` (N, 2S+1) is each target with blanks interleaved. The forward runs the alpha recursion
    forward in time over all samples and label positions at once and, when log_probs needs a gradient, the
    beta recursion backward in time, and keeps the gradient, which is torch's: exp(log_probs) - exp(log(sum of alpha*beta over the positions of each
    class) + nll - log_probs) for t below the input length, 0 after it. (The first term is what makes
    torch's gradient right when log_probs come from log_softmax, which sums each step's gradient away.)
    """

    @staticmethod
    def forward(ctx, log_probs, labels, input_lengths, target_lengths, blank, zero_infinity):
        n_steps, batch, n_classes = log_probs.shape
        n_positions = labels.shape[1]
        neg_inf = float("-inf")
        emit = log_probs.gather(2, labels.unsqueeze(0).expand(n_steps, batch, n_positions))
        # a label may be reached from two positions back unless it is a blank or repeats that label
        skip_tail = (labels[:, 2:] != blank) & (labels[:, 2:] != labels[:, :-2])
        can_skip = plait.cat([labels.new_zeros((batch, min(2, n_positions)), dtype=plait.bool), skip_tail], 1)
        positions = plait.arange(n_positions, device=log_probs.device)
        last = 2 * target_lengths  # the final blank; the final label sits one before it
        is_end = (positions == last.unsqueeze(1)) | ((positions == (last - 1).unsqueeze(1))
                                                     & (target_lengths > 0).unsqueeze(1))
        steps_left = input_lengths.unsqueeze(1)

        alphas = []
        alpha = plait.where((positions <= 1) & (steps_left > 0), emit[0], emit.new_full((), neg_inf))
        alphas.append(alpha)
        for t in range(1, n_steps):
            step = _log_add(alpha, _shift_right(alpha, 1, neg_inf),
                            plait.where(can_skip, _shift_right(alpha, 2, neg_inf), alpha.new_full((), neg_inf)))
            alpha = plait.where(steps_left > t, step + emit[t], alpha)  # frozen after the sample's end
            alphas.append(alpha)
        ends = plait.where(is_end, alpha, alpha.new_full((), neg_inf))
        log_likelihood = _log_add_rows(ends)
        # no time steps: the empty target has probability 1, any other 0
        empty = input_lengths == 0
        log_likelihood = plait.where(empty, plait.where(target_lengths == 0, log_likelihood.new_zeros(()),
                                                        log_likelihood.new_full((), neg_inf)), log_likelihood)
        nll = -log_likelihood

        if zero_infinity:
            nll = plait.where(nll.isinf(), nll.new_zeros(()), nll)
        if ctx.needs_input_grad[0]:
            ctx.grad = _ctc_gradient(log_probs, labels, emit, can_skip, is_end, input_lengths, alphas,
                                     -log_likelihood, zero_infinity)
            ctx.save_for_backward(log_probs)
        return nll

    @staticmethod
    def backward(ctx, grad_nll):
        (log_probs,) = ctx.saved_tensors
        return _CtcGradient.apply(ctx.grad, grad_nll, log_probs), None, None, None, None, None


def _ctc_gradient(log_probs, labels, emit, can_skip, is_end, input_lengths, alphas, nll, zero_infinity):
    """torch's CTC gradient with respect to log_probs, from the alphas and a backward (beta) recursion."""
    n_steps, batch, n_classes = log_probs.shape
    n_positions = labels.shape[1]
    neg_inf = float("-inf")
    steps_left = input_lengths.unsqueeze(1)
    can_skip_from = _shift_left(can_skip, 2, False)  # the transition s -> s + 2
    betas = [None] * n_steps
    beta = emit.new_full((batch, n_positions), neg_inf)
    for t in range(n_steps - 1, -1, -1):
        start = plait.where(is_end, emit[t], beta.new_full((), neg_inf))
        step = _log_add(beta, _shift_left(beta, 1, neg_inf),
                        plait.where(can_skip_from, _shift_left(beta, 2, neg_inf), beta.new_full((), neg_inf)))
        beta = plait.where(steps_left == t + 1, start,
                           plait.where(steps_left > t + 1, step + emit[t], beta.new_full((), neg_inf)))
        betas[t] = beta

    occupancy = plait.stack(alphas) + plait.stack(betas)  # (T, N, 2S+1), -inf past each input length
    top = occupancy.amax(2, keepdim=True)
    shift = plait.where(top.isfinite(), top, top.new_zeros(()))
    one_hot = (labels.unsqueeze(2) == plait.arange(n_classes, device=log_probs.device)).to(log_probs.dtype)
    # sum over the positions of each class, for every step: one batched product (N, T, S') @ (N, S', C)
    per_class = (occupancy - shift).exp().permute(1, 0, 2).matmul(one_hot).permute(1, 0, 2)
    exponent = plait.where(per_class > 0, shift + nll.reshape(1, batch, 1) - log_probs,
                           log_probs.new_zeros(()))
    grad = log_probs.exp() - plait.where(per_class > 0, per_class * exponent.exp(), per_class)
    time = plait.arange(n_steps, device=log_probs.device).reshape(n_steps, 1)
    grad = plait.where((time < input_lengths).unsqueeze(2), grad, grad.new_zeros(()))
    # an impossible alignment (infinite loss) has NaN gradients in torch, unless zero_infinity zeroes them
    infinite = nll.isinf().reshape(1, batch, 1)
    if zero_infinity:
        grad = plait.where(infinite, grad.new_zeros(()), grad)
    else:
        grad = plait.where(infinite & (time < input_lengths).unsqueeze(2), grad.new_full((), float("nan")), grad)
    return grad


class _CtcGradient(plait.autograd.Function):
    """The CTC gradient scaled by the incoming one. Like torch's, it depends on log_probs but has no
    derivative of its own: differentiating it again raises rather than silently dropping that term."""

    @staticmethod
    def forward(ctx, grad, grad_nll, log_probs):
        return grad * grad_nll.reshape(1, -1, 1)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


def _lengths(lengths, name):
    """Lengths given as a tensor of integers or a sequence of ints, as a Python list."""
    if isinstance(lengths, plait.Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype == plait.bool:
            raise RuntimeError(f"{name} must be integral")
        return [int(v) for v in lengths.reshape(-1).tolist()]
    if isinstance(lengths, (list, tuple)):
        return [int(v) for v in lengths]
    raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor or a tuple of ints, not "
                    f"{type(lengths).__name__}")


def _check_range(values, name, high):
    for v in values:
        if v < 0:
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value {v}{_CTC_CHECK}")
        if v > high:
            raise RuntimeError(f"Expected {name} to have value at most {high}, but got value {v}{_CTC_CHECK}")


def _padded_targets(targets, target_lengths, batch):
    """(N, S) targets (positions past each length unused) from padded or concatenated targets."""
    max_length = max(target_lengths, default=0)
    if targets.dim() == 1:
        total = sum(target_lengths)
        if targets.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets'{_CTC_CHECK}")
        offsets, start = [], 0
        for length in target_lengths:
            offsets.append(start)
            start += length
        if total == 0 or max_length == 0:
            return targets.new_zeros((batch, 0))
        index = (plait.tensor(offsets, device=targets.device).unsqueeze(1)
                 + plait.arange(max_length, device=targets.device))
        index = index.clamp(max=total - 1)  # positions past a target's length read any valid entry
        return targets[index]
    if targets.shape[0] != batch:
        raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got size {targets.shape[0]} "
                           f"for argument #2 'targets'{_CTC_CHECK}")
    if targets.shape[1] < max_length:
        raise RuntimeError(f"Expected tensor to have size at least {max_length} at dimension 1, but got size "
                           f"{targets.shape[1]} for argument #2 'targets'{_CTC_CHECK}")
    return targets[:, :max_length]


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist temporal classification loss of (T, N, C) (or unbatched (T, C)) log-probabilities and
    padded (N, S) or concatenated 1-D targets; 'mean' divides each loss by its target length first."""
    _check_reduction(reduction, "{} is not a valid value for reduction")
    unbatched = log_probs.dim() == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        if targets.dim() == 1:
            targets = targets.unsqueeze(0)
    if log_probs.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.dim()}-dimensional tensor for "
                           f"argument #1 'log_probs'{_CTC_CHECK}")
    if targets.dim() not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional tensor for argument #2 "
                           f"'targets'{_CTC_CHECK}")
    n_steps, batch, n_classes = log_probs.shape
    input_list = _lengths(input_lengths, "input_lengths")
    target_list = _lengths(target_lengths, "target_lengths")
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    if len(input_list) != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_list) != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    _check_range(target_list, "target_lengths", float("inf"))
    _check_range(input_list, "input_lengths", n_steps)
    targets = _padded_targets(targets, target_list, batch).to(plait.int64)
    device = log_probs.device
    in_len = plait.tensor(input_list, dtype=plait.int64, device=device)
    tgt_len = plait.tensor(target_list, dtype=plait.int64, device=device)
    max_length = targets.shape[1]
    used = plait.arange(max_length, device=device) < tgt_len.unsqueeze(1)
    if max_length and (used & ((targets < 0) | (targets >= n_classes))).any().item():
        raise RuntimeError(f"ctc_loss: targets must be class indices in [0, {n_classes}) (the labels of "
                           "log_probs' last dimension)")
    targets = plait.where(used, targets, plait.full_like(targets, blank))
    # blank, label 1, blank, label 2, ..., blank
    labels = plait.full((batch, 2 * max_length + 1), blank, dtype=plait.int64, device=device)
    if max_length:
        labels = plait.stack([labels[:, :max_length], targets], 2).reshape(batch, 2 * max_length)
        labels = plait.cat([labels, labels.new_full((batch, 1), blank)], 1)
    nll = label(_CtcLoss.apply(log_probs, labels, in_len, tgt_len, blank, bool(zero_infinity)), "CtcLossBackward0")
    if reduction == "mean":
        return (nll / tgt_len.clamp_min(1).to(nll.dtype)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.squeeze(0) if unbatched else nll
