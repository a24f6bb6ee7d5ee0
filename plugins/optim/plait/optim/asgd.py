"""Averaged SGD: SGD with a decaying step size that also keeps a running average of the iterates."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _effective_grad, _scalar_dtype)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Implements averaged stochastic gradient descent, like ``torch.optim.ASGD``.

    .. math::
        \theta_t = \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t, \quad
        a_t = a_{t-1} + \mu_{t-1}(\theta_t - a_{t-1}), \quad
        \eta_t = \frac{\gamma}{(1+\lambda\gamma t)^\alpha}, \quad \mu_t = \frac{1}{\max(1, t - t_0)}

    The average :math:`a_t` is kept in ``state['ax']``.

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 1e-2)
        lambd (float): decay term (default: 1e-4)
        alpha (float): power for the eta update (default: 0.75)
        t0 (float): point at which to start averaging (default: 1e6)
        weight_decay (float): weight decay (L2 penalty) (default: 0)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        differentiable (bool): must be False
        capturable (bool): accepted for torch compatibility (default: False)
    """

    _scalar_state_keys = ("step", "eta", "mu")
    _scalar_state_on_param_device = True

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_hyper_parameters(lr=lr, weight_decay=weight_decay)
        _check_implementation_flags(differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _initial_state(self, p, group):
        # torch keeps all three ASGD scalars on the parameter's device
        return {"step": plait.zeros((), dtype=_scalar_dtype(), device=p.device),
                "eta": plait.tensor(group["lr"], dtype=_scalar_dtype(), device=p.device),
                "mu": plait.ones((), dtype=_scalar_dtype(), device=p.device),
                "ax": plait.zeros_like(p)}

    def _step_group(self, group):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for p, state, step in self._stepped_params(group):

            grad = _effective_grad(p, p.grad, group["weight_decay"], group["maximize"])
            eta, mu, ax = state["eta"], state["mu"], state["ax"]
            eta_value = eta.item()
            p.mul_(1 - lambd * eta_value)
            p.add_(grad, alpha=-eta_value)

            mu_value = mu.item()
            if mu_value != 1:
                ax.add_(p.sub(ax).mul(mu_value))
            else:
                ax.copy_(p)

            eta.fill_(lr / ((1 + lambd * lr * step) ** alpha))
            mu.fill_(1 / max(1, step - t0))
