"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _effective_grad, _new_step)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""Implements RMSprop, like ``torch.optim.RMSprop``.

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        \tilde v_t = v_t - \bar g_t^2 \text{ if centered, with } \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t

    .. math::
        b_t = \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \quad \theta_t = \theta_{t-1} - \gamma b_t
        \quad (\text{without momentum: } \theta_t = \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon))

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 1e-2)
        alpha (float): smoothing constant (default: 0.99)
        eps (float): term added to the denominator for numerical stability (default: 1e-8)
        weight_decay (float): weight decay (L2 penalty) (default: 0)
        momentum (float): momentum factor (default: 0)
        centered (bool): normalize by an estimate of the gradient's variance (default: False)
        capturable (bool): keep the step counter on the parameter's device (default: False)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        differentiable (bool): must be False
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_hyper_parameters(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay)
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_implementation_flags(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _initial_state(self, p, group):
        state = {"step": _new_step(p, group), "square_avg": plait.zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = plait.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = plait.zeros_like(p)
        return state

    def _step_group(self, group):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        for p, state, _ in self._stepped_params(group):

            grad = _effective_grad(p, p.grad, group["weight_decay"], group["maximize"])
            square_avg = state["square_avg"]
            square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)

            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg.lerp_(grad, 1 - alpha)
                avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt()
            else:
                avg = square_avg.sqrt()
            avg = avg.add(eps)

            if momentum > 0:
                buf = state["momentum_buffer"]
                buf.mul_(momentum).addcdiv_(grad, avg)
                p.add_(buf, alpha=-lr)
            else:
                p.addcdiv_(grad, avg, value=-lr)
