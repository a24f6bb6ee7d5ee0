"""Every loss against an independent NumPy formula for each reduction, gradchecks in float64, torch's
weighted-mean / ignore_index / label-smoothing semantics, numerical safety, and the error messages."""
import math
import warnings

import numpy as np
import pytest

import plait
import plait.nn as nn
import plait.nn.functional as F
from plait.autograd import gradcheck

RNG = np.random.default_rng(1)
REDUCTIONS = ["none", "mean", "sum"]


def _t(a, requires_grad=False):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a.astype(np.float64)
    return plait.tensor(a, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


def _reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _close(out, ref):
    np.testing.assert_allclose(_np(out), ref, rtol=1e-9, atol=1e-12)


def _grad(fn, *arrays):
    inputs = tuple(_t(a, requires_grad=True) for a in arrays)
    assert gradcheck(fn, inputs, eps=1e-6, atol=1e-5)


# --------------------------------------------------------------------------- regression losses
def _np_quad_lin(d, cut, quad, lin):
    a = np.abs(d)
    return np.where(a < cut, 0.5 * quad * d * d, lin * (a - 0.5 * cut))


POINTWISE = [
    ("mse", nn.MSELoss, F.mse_loss, {}, lambda d: d * d),
    ("l1", nn.L1Loss, F.l1_loss, {}, np.abs),
    ("smooth_l1", nn.SmoothL1Loss, F.smooth_l1_loss, {}, lambda d: _np_quad_lin(d, 1.0, 1.0, 1.0)),
    ("smooth_l1_beta", nn.SmoothL1Loss, F.smooth_l1_loss, {"beta": 0.5}, lambda d: _np_quad_lin(d, 0.5, 2.0, 1.0)),
    ("huber", nn.HuberLoss, F.huber_loss, {"delta": 0.7}, lambda d: _np_quad_lin(d, 0.7, 1.0, 0.7)),
]


def _pair():
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    d = x - y
    # keep differences off the kinks at 0 and +-beta/delta
    for k in (0.0, 0.5, 0.7, 1.0):
        for s in (1, -1):
            near = np.abs(d - s * k) < 0.05
            x[near] += 0.2
            d = x - y
    return x, y


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,cls,fn,kw,ref", POINTWISE, ids=[p[0] for p in POINTWISE])
def test_pointwise_losses(name, cls, fn, kw, ref, reduction):
    x, y = _pair()
    expected = _reduce(ref(x - y), reduction)
    _close(cls(reduction=reduction, **kw)(_t(x), _t(y)), expected)
    _close(fn(_t(x), _t(y), reduction=reduction, **kw), expected)


@pytest.mark.parametrize("name,cls,fn,kw,ref", POINTWISE, ids=[p[0] for p in POINTWISE])
def test_pointwise_loss_gradcheck(name, cls, fn, kw, ref):
    x, y = _pair()
    _grad(lambda a, b: fn(a, b, **kw), x, y)
    _grad(lambda a, b: fn(a, b, reduction="none", **kw), x[:1], y[:1])


def test_smooth_l1_beta_zero_is_l1():
    x, y = _pair()
    _close(F.smooth_l1_loss(_t(x), _t(y), beta=0.0), np.abs(x - y).mean())


def test_mse_broadcast_warns_like_torch():
    with pytest.warns(UserWarning, match=r"Using a target size .* that is different to the input size"):
        out = F.mse_loss(_t(np.ones((2, 3))), _t(np.zeros(3)))
    assert out.item() == 1.0
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4\]|cannot be broadcast"):
        F.mse_loss(_t(np.ones((2, 3))), _t(np.zeros(4)))


def test_invalid_reduction_and_legacy_flags():
    with pytest.raises(ValueError, match="meanx is not a valid value for reduction"):
        F.mse_loss(plait.ones(2), plait.ones(2), reduction="meanx")
    x, y = _pair()
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                         "reduction='sum' instead."):
        m = nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    _close(m(_t(x), _t(y)), ((x - y) ** 2).sum())
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(_t(x), _t(y), reduce=False).shape == (3, 4)


def test_blitz_mse_example():
    # 60-minute blitz: criterion(output, target) on a (1, 10) output and a target reshaped by view(1, -1)
    output = plait.randn(1, 10, requires_grad=True)
    target = plait.randn(10).view(1, -1)
    loss = nn.MSELoss()(output, target)
    assert loss.shape == () and loss.grad_fn is not None
    np.testing.assert_allclose(loss.item(), ((_np(output) - _np(target)) ** 2).mean(), rtol=1e-6)
    loss.backward()
    np.testing.assert_allclose(output.grad.numpy(), 2 * (_np(output) - _np(target)) / 10, rtol=1e-5)


# --------------------------------------------------------------------------- classification
def _np_log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def _np_ce(x, t, weight=None, ignore_index=-100, reduction="mean", ls=0.0, log_probs=False):
    """Class-index cross entropy (or NLL when log_probs) written out sample by sample."""
    c = x.shape[1]
    logp = x if log_probs else _np_log_softmax(x, 1)
    logp = np.moveaxis(logp, 1, -1).reshape(-1, c)
    tf = t.reshape(-1)
    w = np.ones(c) if weight is None else weight
    nll, smooth, wsum = [], [], 0.0
    for i, k in enumerate(tf):
        if k == ignore_index:
            nll.append(0.0)
            smooth.append(0.0)
            continue
        nll.append(-logp[i, k] * w[k])
        smooth.append(-(logp[i] * w).sum())
        wsum += w[k]
    nll, smooth = np.array(nll), np.array(smooth)
    if reduction == "none":
        return ((1 - ls) * nll + ls / c * smooth).reshape(t.shape)
    if reduction == "sum":
        return (1 - ls) * nll.sum() + ls / c * smooth.sum()
    return ((1 - ls) * nll.sum() + ls / c * smooth.sum()) / wsum


CE_CASES = [
    {},
    {"weight": np.array([0.2, 1.0, 3.0, 0.5])},
    {"ignore_index": 1},
    {"weight": np.array([0.2, 1.0, 3.0, 0.5]), "ignore_index": 2},
    {"ls": 0.1},
    {"ls": 0.2, "weight": np.array([0.2, 1.0, 3.0, 0.5]), "ignore_index": 0},
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CE_CASES, ids=lambda c: "-".join(c) or "plain")
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3), (2, 4, 2, 3)], ids=["NC", "NCd", "NCdd"])
def test_cross_entropy_class_indices(shape, case, reduction):
    x = RNG.standard_normal(shape)
    t = RNG.integers(0, 4, (shape[0], *shape[2:]))
    t.reshape(-1)[:4] = [0, 1, 2, 3]
    kw = dict(ignore_index=case.get("ignore_index", -100), reduction=reduction,
              label_smoothing=case.get("ls", 0.0))
    w = case.get("weight")
    expected = _np_ce(x, t, w, kw["ignore_index"], reduction, kw["label_smoothing"])
    _close(F.cross_entropy(_t(x), _t(t), weight=None if w is None else _t(w), **kw), expected)
    _close(nn.CrossEntropyLoss(weight=None if w is None else _t(w), **kw)(_t(x), _t(t)), expected)


def test_cross_entropy_unbatched_and_grad():
    x = RNG.standard_normal(5)
    _close(F.cross_entropy(_t(x), _t(np.array(3))), -_np_log_softmax(x, 0)[3])
    assert F.cross_entropy(_t(x), _t(np.array(3)), reduction="none").shape == ()
    t = np.array([0, 2, 1])
    w = np.array([0.5, 2.0, 1.0])
    _grad(lambda a: F.cross_entropy(a, _t(t), weight=_t(w), ignore_index=1), RNG.standard_normal((3, 3)))
    _grad(lambda a: F.cross_entropy(a, _t(t), label_smoothing=0.3, reduction="none"), RNG.standard_normal((3, 3)))
    _grad(lambda a, ww: F.cross_entropy(a, _t(t), weight=ww), RNG.standard_normal((3, 3)), w)
    _grad(lambda a: F.cross_entropy(a, _t(np.array([[1, 0]]))), RNG.standard_normal((1, 3, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 2], ids=["no-ignore", "ignore-2"])
def test_cross_entropy_single_node_path_matches_log_softmax_nll(reduction, ignore_index):
    # Unweighted, unsmoothed class-index cross entropy runs as one node; it must agree with the composition
    # torch defines it as, in value, gradient and second-order gradient.
    x = RNG.standard_normal((5, 4, 3))
    t = _t(RNG.integers(0, 4, (5, 3)))
    fused = lambda a: F.cross_entropy(a, t, ignore_index=ignore_index, reduction=reduction)
    composed = lambda a: F.nll_loss(F.log_softmax(a, 1), t, ignore_index=ignore_index, reduction=reduction)
    a, b = _t(x, requires_grad=True), _t(x, requires_grad=True)
    out_a, out_b = fused(a), composed(b)
    assert out_a.grad_fn.name() == "NllLoss2DBackward0"  # torch names it so for (N, C, d1...) input
    _close(out_a, _np(out_b))
    g = _t(RNG.standard_normal(tuple(out_a.shape)))
    (ga,) = plait.autograd.grad(out_a, a, g, create_graph=True)
    (gb,) = plait.autograd.grad(out_b, b, g, create_graph=True)
    _close(ga, _np(gb))
    v = _t(RNG.standard_normal(x.shape))
    (ha,) = plait.autograd.grad((ga * v).sum(), a)
    (hb,) = plait.autograd.grad((gb * v).sum(), b)
    _close(ha, _np(hb))
    small = lambda a: F.cross_entropy(a, t[:2], ignore_index=ignore_index, reduction=reduction)
    _grad(small, x[:2])
    assert plait.autograd.gradgradcheck(small, (_t(x[:2], requires_grad=True),), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(reduction):
    x = RNG.standard_normal((3, 4, 2))
    p = np.exp(_np_log_softmax(RNG.standard_normal((3, 4, 2)), 1))
    w = np.array([1.0, 2.0, 0.5, 1.5])
    for ls in (0.0, 0.25):
        pt = p * (1 - ls) + ls / 4
        ref = _reduce(-(_np_log_softmax(x, 1) * pt * w[None, :, None]).sum(1), reduction)
        _close(F.cross_entropy(_t(x), _t(p), weight=_t(w), reduction=reduction, label_smoothing=ls), ref)
    _grad(lambda a, b: F.cross_entropy(a, b, reduction=reduction), x[:1], p[:1])


def test_cross_entropy_large_logits_are_finite():
    x = _t([[1000.0, -1000.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, _t(np.array([1])))
    np.testing.assert_allclose(loss.item(), 2000.0)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0, 0.0]], atol=1e-12)


# 0/0 is the documented result; NumPy-based backends warn about it where torch stays silent
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    out = F.cross_entropy(_t(np.zeros((2, 3))), _t(np.array([-100, -100])))
    assert math.isnan(out.item())


def test_cross_entropy_errors():
    x = plait.randn(3, 3)
    with pytest.raises(IndexError, match=r"Target 5 is out of bounds: expected class indices in \[0, 3\) "
                                         r"\(input has 3 classes\)"):
        F.cross_entropy(x, plait.tensor([0, 5, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        nn.CrossEntropyLoss()(x, plait.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(4\)"):
        F.cross_entropy(x, plait.tensor([0, 1, 1, 2]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 5\], got \[2, 4\] \(input shape \[2, 3, 5\]\)"):
        F.cross_entropy(plait.randn(2, 3, 5), plait.zeros(2, 4, dtype=plait.int64))
    with pytest.raises(RuntimeError, match=r"Expected target of shape \[3, 3\] for class probabilities"):
        F.cross_entropy(x, plait.rand(3, 2))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 3 classes"):
        F.cross_entropy(x, plait.tensor([0, 1, 2]), weight=plait.ones(2))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, plait.tensor([0, 1, 2]), label_smoothing=1.5)
    # ignore_index may lie outside [0, C)
    F.cross_entropy(x, plait.tensor([0, 7, 1]), ignore_index=7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    x = _np_log_softmax(RNG.standard_normal((5, 3)), 1)
    t = np.array([0, 2, 1, 1, 2])
    w = np.array([1.0, 0.5, 2.0])
    ref = _np_ce(x, t, w, 2, reduction, log_probs=True)
    _close(F.nll_loss(_t(x), _t(t), weight=_t(w), ignore_index=2, reduction=reduction), ref)
    _close(nn.NLLLoss(weight=_t(w), ignore_index=2, reduction=reduction)(_t(x), _t(t)), ref)
    _grad(lambda a: F.nll_loss(a, _t(t), reduction=reduction), x)
    assert repr(nn.NLLLoss()) == "NLLLoss()"


def test_nll_loss_rejects_float_targets():
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        F.nll_loss(plait.randn(2, 3), plait.tensor([0.0, 1.0]))


# --------------------------------------------------------------------------- binary and KL
def _np_bce(x, t, w=None):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return loss if w is None else loss * w


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(reduction):
    x = RNG.uniform(0.05, 0.95, (3, 4))
    t = RNG.uniform(0, 1, (3, 4))
    w = RNG.uniform(0.5, 2, (3, 4))
    _close(F.binary_cross_entropy(_t(x), _t(t), reduction=reduction), _reduce(_np_bce(x, t), reduction))
    _close(nn.BCELoss(weight=_t(w), reduction=reduction)(_t(x), _t(t)), _reduce(_np_bce(x, t, w), reduction))
    _grad(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), x[:2], t[:2])


def test_bce_clamps_log_and_keeps_grads_finite():
    with np.errstate(divide="ignore"):
        ref = _np_bce(np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    x = _t([0.0, 1.0, 0.0], requires_grad=True)
    loss = F.binary_cross_entropy(x, _t([1.0, 0.0, 0.0]), reduction="none")
    np.testing.assert_allclose(_np(loss), ref)
    np.testing.assert_allclose(_np(loss), [100.0, 100.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    # float32 sigmoid saturates to exactly 1.0: the loss and its gradient stay finite
    z = plait.tensor([30.0], requires_grad=True)
    F.binary_cross_entropy(z.sigmoid(), plait.tensor([0.0])).backward()
    assert np.isfinite(z.grad.numpy()).all()


def test_bce_errors():
    with pytest.raises(ValueError, match=r"Using a target size .* that is different to the input size"):
        F.binary_cross_entropy(plait.rand(3), plait.rand(3, 1))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(plait.tensor([1.5]), plait.tensor([1.0]))


def _np_bce_logits(x, t, w=None, pw=None):
    log_sig = -np.logaddexp(0, -x)
    log_one_minus = -np.logaddexp(0, x)
    pw = 1.0 if pw is None else pw
    loss = -(pw * t * log_sig + (1 - t) * log_one_minus)
    return loss if w is None else loss * w


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    x = RNG.standard_normal((3, 4)) * 4
    t = RNG.uniform(0, 1, (3, 4))
    w = RNG.uniform(0.5, 2, (4,))
    pw = RNG.uniform(0.5, 3, (4,))
    _close(F.binary_cross_entropy_with_logits(_t(x), _t(t), reduction=reduction),
           _reduce(_np_bce_logits(x, t), reduction))
    _close(nn.BCEWithLogitsLoss(weight=_t(w), pos_weight=_t(pw), reduction=reduction)(_t(x), _t(t)),
           _reduce(_np_bce_logits(x, t, w, pw), reduction))
    _grad(lambda a, b, p: F.binary_cross_entropy_with_logits(a, b, pos_weight=p, reduction=reduction),
          x[:2], t[:2], pw)


def test_bce_with_logits_is_stable_and_checks_shapes():
    x = _t([1000.0, -1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, _t([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(_np(loss), [1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0])
    with pytest.raises(ValueError, match=r"Target size \(.*\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(plait.rand(3), plait.rand(2))


@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = _np_log_softmax(RNG.standard_normal((3, 4)), 1)
    p = np.exp(_np_log_softmax(RNG.standard_normal((3, 4)), 1))
    p[0, 0] = 0.0
    target = np.log(p + 1e-300) if log_target else p
    pointwise = (np.exp(target) * (target - x) if log_target
                 else np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0) - p * x)
    ref = {"none": pointwise, "sum": pointwise.sum(), "batchmean": pointwise.sum() / 3,
           "mean": pointwise.mean()}[reduction]
    ctx = pytest.warns(UserWarning, match="'batchmean' divides only by the batch size") if reduction == "mean" \
        else warnings.catch_warnings()
    with ctx:
        out = nn.KLDivLoss(reduction=reduction, log_target=log_target)(_t(x), _t(target))
    np.testing.assert_allclose(_np(out), ref, rtol=1e-9, atol=1e-12)
    if reduction != "mean":
        t2 = target if log_target else p + 0.1
        _grad(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), x[:2], t2[:2])


def test_loss_reprs_and_weight_buffers():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    ce = nn.CrossEntropyLoss(weight=plait.ones(3))
    assert [n for n, _ in ce.named_buffers()] == ["weight"]
    assert ce.double().weight.dtype == plait.float64
    bl = nn.BCEWithLogitsLoss(pos_weight=plait.ones(2))
    assert [n for n, _ in bl.named_buffers()] == ["pos_weight"]


def test_bce_with_logits_gradient_at_zero_logits_is_torchs():
    # A zero-initialised head starts with logits exactly 0: d/dx = sigmoid(0) - y, with pos_weight too.
    x = plait.zeros(4, dtype=plait.float64, requires_grad=True)
    y = _t([1.0, 0.0, 0.3, 0.3])
    pw = _t([1.0, 1.0, 1.0, 2.0])
    F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.5, 0.5, 0.2, 0.05], atol=1e-12)  # torch 2.13's values


def test_bce_gradient_for_saturated_probabilities_is_torchs():
    p = _t([0.0, 1.0, 0.0, 1e-20, 0.25], requires_grad=True)
    y = _t([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="sum")
    np.testing.assert_allclose(loss.item(), 100 + 100 + 0 + 46.0517018599 + np.log(4), rtol=1e-9)
    loss.backward()
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0.0, -1e12, -4.0], rtol=1e-9)
    _grad(lambda a: F.binary_cross_entropy(a, _t(y.numpy())), np.array([0.1, 0.5, 0.7, 0.2, 0.9]))


def test_class_index_targets_must_be_long_or_byte():
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.cross_entropy(plait.randn(3, 4), plait.tensor([1, 2, 3], dtype=plait.int32))
    F.cross_entropy(plait.randn(3, 4), plait.tensor([1, 2, 3], dtype=plait.uint8))
