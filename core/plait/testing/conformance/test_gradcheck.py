"""Every differentiable op's gradient against central finite differences (``plait.autograd.gradcheck`` on
float64 inputs of the backend under test), and second derivatives (``gradgradcheck``) for a subset."""
import pytest

from ._cases import GRAD_CASES, GG_CASES


def _inputs(case, np, rng, T):
    out = []
    for spec in case.inputs:
        a = spec.make(np, rng, np.float64)
        out.append(T(a, requires_grad=bool(spec.is_float and spec.grad)))
    return out


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.name for c in GRAD_CASES])
def test_gradcheck(case, np, rng, T):
    import plait
    inputs = _inputs(case, np, rng, T)
    assert plait.autograd.gradcheck(case.fn, inputs, eps=1e-6, atol=case.gc_atol or 1e-5, rtol=1e-3)


@pytest.mark.parametrize("case", GG_CASES, ids=[c.name for c in GG_CASES])
def test_gradgradcheck(case, np, rng, T):
    import plait
    inputs = _inputs(case, np, rng, T)
    plait.manual_seed(0)
    assert plait.autograd.gradgradcheck(case.fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
