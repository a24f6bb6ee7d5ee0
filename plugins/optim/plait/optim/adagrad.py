"""Adagrad: per-coordinate learning rates shrinking with the accumulated squared gradients."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _effective_grad, _new_step)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Implements Adagrad, like ``torch.optim.Adagrad``.

    .. math::
        \tilde\gamma = \frac{\gamma}{1 + (t-1)\eta}, \quad s_t = s_{t-1} + g_t^2, \quad
        \theta_t = \theta_{t-1} - \tilde\gamma \frac{g_t}{\sqrt{s_t} + \epsilon}

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 1e-2)
        lr_decay (float): learning rate decay :math:`\eta` (default: 0)
        weight_decay (float): weight decay (L2 penalty) (default: 0)
        initial_accumulator_value (float): starting value of the sum of squares :math:`s_0` (default: 0)
        eps (float): term added to the denominator for numerical stability (default: 1e-10)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        differentiable (bool): must be False
        fused (bool, optional): must be unset or False
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_hyper_parameters(lr=lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        _check_hyper_parameters(weight_decay=weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check_hyper_parameters(eps=eps)
        _check_implementation_flags(differentiable, fused)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

        # torch creates Adagrad's state up front (its state_dict is complete before the first step)
        for group in self.param_groups:
            for p in group["params"]:
                self._state_for(p, group)

    def _initial_state(self, p, group):
        return {"step": _new_step(p, group), "sum": plait.full_like(p, group["initial_accumulator_value"])}

    def _step_group(self, group):
        for p, state, step in self._stepped_params(group):
            grad = _effective_grad(p, p.grad, group["weight_decay"], group["maximize"])
            clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
            state_sum = state["sum"]
            state_sum.addcmul_(grad, grad, value=1)
            std = state_sum.sqrt().add(group["eps"])
            p.addcdiv_(grad, std, value=-clr)
