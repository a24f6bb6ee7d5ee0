"""RAdam: Adam with the variance of its adaptive learning rate rectified in the first steps."""
import math

import plait

from .optimizer import (Optimizer, _advance_step, _check_hyper_parameters, _check_implementation_flags,
                        _decay_weights, _effective_grad, _new_step, _no_grad_step, _params_with_grad)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""Implements RAdam, like ``torch.optim.RAdam``.

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}, \quad \hat m_t = \frac{m_t}{1-\beta_1^t}

    .. math::
        \theta_t = \theta_{t-1} - \gamma \hat m_t r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}
        \text{ if } \rho_t > 5, \text{ else } \theta_{t-1} - \gamma\hat m_t, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 1e-3)
        betas (Tuple[float, float]): coefficients of the running averages (default: (0.9, 0.999))
        eps (float): term added to the denominator for numerical stability (default: 1e-8)
        weight_decay (float): weight decay (default: 0)
        decoupled_weight_decay (bool): AdamW-style weight decay, giving RAdamW (default: False)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        capturable (bool): keep the step counter on the parameter's device (default: False)
        differentiable (bool): must be False
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_hyper_parameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _check_implementation_flags(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): a closure that reevaluates the model and returns the loss.
        """
        loss = None
        if closure is not None:
            with plait.enable_grad():
                loss = closure()

        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, weight_decay = group["lr"], group["weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step(p, group)
                    state["exp_avg"] = plait.zeros_like(p)
                    state["exp_avg_sq"] = plait.zeros_like(p)
                step = _advance_step(state)

                if group["decoupled_weight_decay"]:
                    _decay_weights(p, lr, weight_decay)
                    grad = _effective_grad(p, p.grad, 0, group["maximize"])
                else:
                    grad = _effective_grad(p, p.grad, weight_decay, group["maximize"])

                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                bias_corrected_exp_avg = exp_avg / bias_correction1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2

                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive_lr = (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add(group["eps"])
                    p.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
                else:
                    p.add_(bias_corrected_exp_avg * lr, alpha=-1.0)

        return loss
