"""NAdam: Adam with Nesterov momentum, whose momentum coefficient warms up over the steps."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _maybe_decoupled_grad, _new_step, _scalar_dtype, _update_moments)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""Implements NAdam, like ``torch.optim.NAdam``.

    .. math::
        \mu_t = \beta_1\left(1 - \tfrac12 0.96^{t\psi}\right), \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

    .. math::
        \theta_t = \theta_{t-1} - \gamma\left(\frac{(1-\mu_t) g_t}{1-\prod_{i\le t}\mu_i}
            + \frac{\mu_{t+1} m_t}{1-\prod_{i\le t+1}\mu_i}\right) \Big/ \left(\sqrt{v_t/(1-\beta_2^t)}+\epsilon\right)

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 2e-3)
        betas (Tuple[float, float]): coefficients of the running averages (default: (0.9, 0.999))
        eps (float): term added to the denominator for numerical stability (default: 1e-8)
        weight_decay (float): weight decay (default: 0)
        momentum_decay (float): momentum decay :math:`\psi` (default: 4e-3)
        decoupled_weight_decay (bool): AdamW-style weight decay, giving NAdamW (default: False)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        capturable (bool): keep the step counter and mu_product on the parameter's device (default: False)
        differentiable (bool): must be False
    """

    _scalar_state_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_hyper_parameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_implementation_flags(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _initial_state(self, p, group):
        device = p.device if group["capturable"] else None
        return {"step": _new_step(p, group), "mu_product": plait.ones((), dtype=_scalar_dtype(), device=device),
                "exp_avg": plait.zeros_like(p), "exp_avg_sq": plait.zeros_like(p)}

    def _step_group(self, group):
        beta1, beta2 = group["betas"]
        lr, momentum_decay = group["lr"], group["momentum_decay"]
        for p, state, step in self._stepped_params(group):
            grad = _maybe_decoupled_grad(p, group)

            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product_t = state["mu_product"]
            mu_product_t.mul_(mu)
            mu_product = mu_product_t.item()
            mu_product_next = mu_product * mu_next

            exp_avg, exp_avg_sq = _update_moments(state, grad, beta1, beta2)
            denom = exp_avg_sq.div(1 - beta2 ** step).sqrt().add(group["eps"])

            p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
            p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - mu_product_next))
