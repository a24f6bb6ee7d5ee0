"""Adamax: Adam with the infinity norm of past gradients in place of their root mean square."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _effective_grad, _new_step)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Implements Adamax, like ``torch.optim.Adamax``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\frac{m_t}{u_t}

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 2e-3)
        betas (Tuple[float, float]): coefficients of the running average of the gradient and of the
            decay of the infinity norm (default: (0.9, 0.999))
        eps (float): term added to the denominator for numerical stability (default: 1e-8)
        weight_decay (float): weight decay (L2 penalty) (default: 0)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        differentiable (bool): must be False
        capturable (bool): keep the step counter on the parameter's device (default: False)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_hyper_parameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _check_implementation_flags(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _initial_state(self, p, group):
        return {"step": _new_step(p, group), "exp_avg": plait.zeros_like(p), "exp_inf": plait.zeros_like(p)}

    def _step_group(self, group):
        beta1, beta2 = group["betas"]
        for p, state, step in self._stepped_params(group):

            grad = _effective_grad(p, p.grad, group["weight_decay"], group["maximize"])
            exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_inf.copy_(plait.maximum(exp_inf.mul(beta2), grad.abs().add(group["eps"])))
            clr = group["lr"] / (1 - beta1 ** step)
            p.addcdiv_(exp_avg, exp_inf, value=-clr)
