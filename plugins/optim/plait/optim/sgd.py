"""Stochastic gradient descent, optionally with (Nesterov) momentum."""
from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags, _effective_grad,
                        _params_with_grad)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Implements stochastic gradient descent (optionally with momentum), like ``torch.optim.SGD``.

    .. math::
        g_t = \pm\nabla f(\theta_{t-1}) + \lambda\theta_{t-1}, \quad
        b_t = \mu b_{t-1} + (1-\tau) g_t \;(b_1 = g_1), \quad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 1e-3)
        momentum (float): momentum factor (default: 0)
        dampening (float): dampening for momentum (default: 0)
        weight_decay (float): weight decay (L2 penalty) (default: 0)
        nesterov (bool): enables Nesterov momentum (default: False)
        maximize (bool): maximize the objective instead of minimizing (default: False)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        differentiable (bool): must be False
        fused (bool, optional): must be unset or False
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_hyper_parameters(lr=lr, momentum=momentum, weight_decay=weight_decay)
        _check_implementation_flags(differentiable, fused)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _step_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        # no _state_for here: the buffer starts as the first gradient, and without momentum torch keeps no state
        for p in _params_with_grad(group):
            grad = _effective_grad(p, p.grad, group["weight_decay"], group["maximize"])
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = grad.clone().detach()
                    state["momentum_buffer"] = buf
                else:
                    buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
            p.add_(grad, alpha=-lr)
