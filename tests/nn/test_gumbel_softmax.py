"""F.gumbel_softmax: soft samples on the simplex, hard one-hot samples with the soft sample's gradient
(straight-through), Gumbel-max frequencies equal to softmax(logits), torch's eps deprecation warning."""
import math

import pytest

import plait
import plait.nn.functional as F


def test_soft_samples_lie_on_the_simplex():
    plait.manual_seed(0)
    y = F.gumbel_softmax(plait.zeros(5, 3, dtype=plait.float64), tau=0.5)
    assert y.shape == (5, 3) and bool((y >= 0).all())
    assert max(abs(v - 1.0) for v in y.sum(-1).tolist()) < 1e-12
    z = F.gumbel_softmax(plait.zeros(3, 4, dtype=plait.float64), dim=0)
    assert max(abs(v - 1.0) for v in z.sum(0).tolist()) < 1e-12


def test_hard_samples_are_one_hot_at_the_argmax_with_straight_through_gradient():
    plait.manual_seed(1)
    logits = plait.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=plait.float64, requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.7, hard=True)
    assert sorted(y.detach().reshape(-1).tolist()) == [0.0] * 4 + [1.0] * 2
    (y * plait.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=plait.float64)).sum().backward()
    # the soft sample's Jacobian: each row of the gradient sums to zero, and it is not all zero
    assert all(abs(v) < 1e-12 for v in logits.grad.sum(-1).tolist())
    assert bool((logits.grad != 0).any())


def test_gumbel_max_frequencies_follow_softmax():
    plait.manual_seed(2)
    logits = plait.tensor([0.0, 1.0, 2.0], dtype=plait.float64)
    picks = F.gumbel_softmax(logits.expand(4000, 3), hard=True).sum(0) / 4000
    expected = [math.exp(v) / sum(math.exp(u) for u in (0.0, 1.0, 2.0)) for v in (0.0, 1.0, 2.0)]
    assert all(abs(p - e) < 0.03 for p, e in zip(picks.tolist(), expected))


def test_eps_is_deprecated():
    with pytest.warns(UserWarning, match=r"^`eps` parameter is deprecated and has no effect\.$"):
        F.gumbel_softmax(plait.zeros(2, 3), eps=1e-3)
