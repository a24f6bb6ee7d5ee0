"""Adadelta: an adaptive learning rate from running averages of squared gradients and updates."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _effective_grad, _new_step)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Implements Adadelta, like ``torch.optim.Adadelta``.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta x_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t, \quad
        u_t = \rho u_{t-1} + (1-\rho)\Delta x_t^2, \quad \theta_t = \theta_{t-1} - \gamma\Delta x_t

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): coefficient that scales delta before it is applied (default: 1.0)
        rho (float): coefficient of the running averages (default: 0.9)
        eps (float): term added inside the square roots for numerical stability (default: 1e-6)
        weight_decay (float): weight decay (L2 penalty) (default: 0)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        capturable (bool): keep the step counter on the parameter's device (default: False)
        maximize (bool): maximize the objective instead of minimizing (default: False)
        differentiable (bool): must be False
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_hyper_parameters(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_hyper_parameters(eps=eps, weight_decay=weight_decay)
        _check_implementation_flags(differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _initial_state(self, p, group):
        return {"step": _new_step(p, group), "square_avg": plait.zeros_like(p), "acc_delta": plait.zeros_like(p)}

    def _step_group(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, state, _ in self._stepped_params(group):

            grad = _effective_grad(p, p.grad, group["weight_decay"], group["maximize"])
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            std = square_avg.add(eps).sqrt()
            delta = acc_delta.add(eps).sqrt().div(std).mul(grad)
            acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            p.add_(delta, alpha=-lr)
