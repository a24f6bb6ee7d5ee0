"""plait.distributions.Categorical against torch 2.13's numbers and messages."""
import pytest

import plait
from plait.distributions import Categorical, Distribution
from core_helpers import assert_close

F64 = plait.float64


def test_normalises_probs_and_logits():
    d = Categorical(probs=plait.tensor([1.0, 3.0], dtype=F64))
    assert_close(d.probs, [0.25, 0.75], atol=1e-10)
    assert_close(d.logits, [-1.3862943611198906, -0.2876820724517809], atol=1e-10)
    e = Categorical(logits=plait.tensor([1.0, 3.0], dtype=F64))
    assert_close(e.probs, [0.11920292202211755, 0.8807970779778823], atol=1e-10)
    assert_close(e.logits, [-2.1269280110429727, -0.12692801104297263], atol=1e-10)


def test_shapes_and_properties():
    d = Categorical(probs=plait.tensor([[0.1, 0.9], [0.5, 0.5]]))
    assert d.batch_shape == (2,) and d.event_shape == () and d.param_shape == (2, 2)
    assert d.sample().shape == (2,) and d.sample((3,)).shape == (3, 2) and d.sample().dtype is plait.int64
    assert d.mode.tolist() == [1, 0]
    assert d.mean.shape == (2,) and bool(d.mean.isnan().all()) and bool(d.variance.isnan().all())
    assert repr(d.support) == "IntegerInterval(lower_bound=0, upper_bound=1)"
    assert d.enumerate_support().tolist() == [[0, 0], [1, 1]]
    assert d.enumerate_support(expand=False).tolist() == [[0], [1]]
    assert repr(Categorical(logits=plait.tensor([[0.1, 0.9]]))) == "Categorical(logits: plait.Size([1, 2]))"
    assert repr(Categorical(probs=plait.tensor([0.5]))) == "Categorical(probs: tensor([1.]))"


def test_log_prob_and_entropy_values():
    d = Categorical(probs=plait.tensor([[0.1, 0.9], [0.5, 0.5]], dtype=F64))
    assert_close(d.log_prob(plait.tensor([1, 0])), [-0.10536051565782628, -0.6931471805599453], atol=1e-10)
    # a value of shape (2, 1) broadcasts against the batch (2,)
    assert_close(d.log_prob(plait.tensor([[1], [0]])),
                 [[-0.10536051565782628, -0.6931471805599453], [-2.3025850929940455, -0.6931471805599453]],
                 atol=1e-10)
    assert_close(d.entropy(), [0.3250829733914482, 0.6931471805599453], atol=1e-10)
    # zero-probability categories contribute nothing (torch clamps logits at finfo.min)
    assert_close(Categorical(probs=plait.tensor([0.0, 1.0])).entropy(), 1.1920928955078125e-07, atol=1e-12)


def test_gradients_match_torch():
    p = plait.tensor([[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]], dtype=F64, requires_grad=True)
    (Categorical(probs=p).log_prob(plait.tensor([2, 0])) * plait.tensor([1.0, 2.0], dtype=F64)).sum().backward()
    assert_close(p.grad, [[-1.0, -1.0, 1.0], [1.5, -0.5, -0.5]], atol=1e-10)
    logits = plait.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 1.0]], dtype=F64, requires_grad=True)
    d = Categorical(logits=logits)
    (d.entropy() + d.log_prob(plait.tensor([[1, 2]]))).sum().backward()
    assert_close(logits.grad, [[0.02098693878643243, 1.0633516789184732, -1.0843386177049057],
                               [-0.08983844769031271, -0.08983844769031271, 0.17967689538062542]], atol=1e-10)


def test_gradcheck_log_prob_and_entropy():
    value = plait.tensor([2, 0])

    def f(logits):
        d = Categorical(logits=logits)
        return d.log_prob(value) + d.entropy()
    logits = plait.tensor([[0.5, -1.0, 2.0], [0.0, 0.3, 1.0]], dtype=F64, requires_grad=True)
    assert plait.autograd.gradcheck(f, (logits,))


def test_sample_frequencies_and_no_graph():
    plait.manual_seed(0)
    p = plait.tensor([0.2, 0.8], dtype=F64, requires_grad=True)
    draws = Categorical(probs=p).sample((4000,))
    assert draws.shape == (4000,) and not draws.requires_grad
    assert abs(draws.double().mean().item() - 0.8) < 0.03


def test_reachable_from_plait():
    assert plait.distributions.Categorical is Categorical
    assert issubclass(Categorical, Distribution)


def test_errors():
    with pytest.raises(ValueError, match=r"^Either `probs` or `logits` must be specified, but not both\.$"):
        Categorical()
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both"):
        Categorical(probs=plait.tensor([0.2, 0.8]), logits=plait.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^`probs` parameter must be at least one-dimensional\.$"):
        Categorical(probs=plait.tensor(0.5))
    with pytest.raises(ValueError, match=r"Expected parameter probs \(Tensor of shape \(2,\)\) of distribution "
                                         r"Categorical\(probs: plait.Size\(\[2\]\)\) to satisfy the constraint "
                                         r"Simplex\(\), but found invalid values:\ntensor\(\[-0.3333,  1.3333\]\)"):
        Categorical(probs=plait.tensor([-0.2, 0.8]))
    with pytest.raises(ValueError, match=r"constraint IndependentConstraint\(Real\(\), 1\), but found invalid"):
        Categorical(logits=plait.tensor([0.0, float("nan")]))
    d = Categorical(probs=plait.tensor([0.2, 0.8]))
    for bad, shown in ((plait.tensor(2), "2"), (plait.tensor(0.5), "0.5")):
        with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(\)\) to be within the "
                                             r"support \(IntegerInterval\(lower_bound=0, upper_bound=1\)\) of the "
                                             rf"distribution Categorical\(probs: plait.Size\(\[2\]\)\), but found "
                                             rf"invalid values:\n{shown}$"):
            d.log_prob(bad)
    # validation off: torch then truncates a float value and indexes
    lenient = Categorical(probs=plait.tensor([0.2, 0.8], dtype=F64), validate_args=False)
    assert_close(lenient.log_prob(plait.tensor(0.7)), -1.6094379124341003, atol=1e-10)
