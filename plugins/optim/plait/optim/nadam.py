"""NAdam: Adam with Nesterov momentum, whose momentum coefficient warms up over the steps."""
import plait

from .optimizer import (Optimizer, _advance_step, _check_hyper_parameters, _check_implementation_flags,
                        _decay_weights, _effective_grad, _new_step, _no_grad_step, _params_with_grad,
                        _scalar_dtype)

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
            lr, weight_decay, momentum_decay = group["lr"], group["weight_decay"], group["momentum_decay"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step(p, group)
                    device = p.device if group["capturable"] else None
                    state["mu_product"] = plait.ones((), dtype=_scalar_dtype(), device=device)
                    state["exp_avg"] = plait.zeros_like(p)
                    state["exp_avg_sq"] = plait.zeros_like(p)
                step = _advance_step(state)

                if group["decoupled_weight_decay"]:
                    _decay_weights(p, lr, weight_decay)
                    grad = _effective_grad(p, p.grad, 0, group["maximize"])
                else:
                    grad = _effective_grad(p, p.grad, weight_decay, group["maximize"])

                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product_t = state["mu_product"]
                mu_product_t.mul_(mu)
                mu_product = mu_product_t.item()
                mu_product_next = mu_product * mu_next

                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(1 - beta2 ** step).sqrt().add(group["eps"])

                p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
                p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - mu_product_next))

        return loss
