"""Rprop: per-coordinate step sizes adapted from the sign changes of the gradient."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _effective_grad, _new_step)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Implements the resilient backpropagation algorithm, like ``torch.optim.Rprop``.

    Each coordinate's step size :math:`\eta_i` grows by ``etas[1]`` while its gradient keeps its sign and
    shrinks by ``etas[0]`` when the sign flips (clamped to ``step_sizes``); after a flip that coordinate
    does not move and its gradient is forgotten. Otherwise :math:`\theta_i \leftarrow \theta_i -
    \eta_i\,\mathrm{sign}(g_i)`.

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): initial step size (default: 1e-2)
        etas (Tuple[float, float]): (etaminus, etaplus), the decrease and increase factors
            (default: (0.5, 1.2))
        step_sizes (Tuple[float, float]): minimal and maximal step sizes (default: (1e-6, 50))
        capturable (bool): keep the step counter on the parameter's device (default: False)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        differentiable (bool): must be False
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        _check_hyper_parameters(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_implementation_flags(differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _initial_state(self, p, group):
        return {"step": _new_step(p, group), "prev": plait.zeros_like(p),
                "step_size": plait.full_like(p, group["lr"])}

    def _step_group(self, group):
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for p, state, _ in self._stepped_params(group):

            grad = _effective_grad(p, p.grad, 0, group["maximize"])
            prev, step_size = state["prev"], state["step_size"]
            agreement = grad.mul(prev).sign()
            flipped = agreement < 0
            factor = plait.where(agreement > 0, plait.full_like(p, etaplus),
                                 plait.where(flipped, plait.full_like(p, etaminus), plait.ones_like(p)))
            step_size.mul_(factor).clamp_(step_size_min, step_size_max)
            # after a sign flip the coordinate stays put, and the next step starts afresh from it
            grad = plait.where(flipped, plait.zeros_like(grad), grad)
            p.addcmul_(grad.sign(), step_size, value=-1)
            prev.copy_(grad)
