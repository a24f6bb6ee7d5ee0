"""RAdam: Adam with the variance of its adaptive learning rate rectified in the first steps."""
import math

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _maybe_decoupled_grad, _new_moment_state, _update_moments)

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

    def _initial_state(self, p, group):
        return _new_moment_state(p, group)

    def _step_group(self, group):
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, state, step in self._stepped_params(group):
            grad = _maybe_decoupled_grad(p, group)
            exp_avg, exp_avg_sq = _update_moments(state, grad, beta1, beta2)

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
