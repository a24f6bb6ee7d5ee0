"""Adam and AdamW (Adam with decoupled weight decay)."""
import plait

from .optimizer import (Optimizer, _check_hyper_parameters, _check_implementation_flags,
                        _maybe_decoupled_grad, _new_moment_state, _update_moments)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Implements Adam, like ``torch.optim.Adam``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    With ``amsgrad``, :math:`v_t` in the denominator is replaced by its running maximum. With
    ``decoupled_weight_decay`` the parameter is multiplied by :math:`1-\gamma\lambda` before the update
    (AdamW) instead of adding :math:`\lambda\theta` to the gradient.

    Args:
        params (iterable): parameters to optimize or dicts defining parameter groups
        lr (float): learning rate (default: 1e-3)
        betas (Tuple[float, float]): coefficients of the running averages of the gradient and its
            square (default: (0.9, 0.999))
        eps (float): term added to the denominator for numerical stability (default: 1e-8)
        weight_decay (float): weight decay (default: 0)
        amsgrad (bool): use the AMSGrad variant (default: False)
        foreach (bool, optional): accepted for torch compatibility; plait has a single implementation
        maximize (bool): maximize the objective instead of minimizing (default: False)
        capturable (bool): keep the step counter on the parameter's device (default: False)
        differentiable (bool): must be False
        fused (bool, optional): must be unset or False
        decoupled_weight_decay (bool): AdamW-style weight decay (default: False)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_hyper_parameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        _check_implementation_flags(differentiable, fused)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _initial_state(self, p, group):
        state = _new_moment_state(p, group)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = plait.zeros_like(p)
        return state

    def _step_group(self, group):
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        for p, state, step in self._stepped_params(group):
            grad = _maybe_decoupled_grad(p, group)
            exp_avg, exp_avg_sq = _update_moments(state, grad, beta1, beta2)

            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            if group["amsgrad"]:
                max_exp_avg_sq = state["max_exp_avg_sq"]
                max_exp_avg_sq.copy_(plait.maximum(max_exp_avg_sq, exp_avg_sq))
                denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add(eps)
            else:
                denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add(eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)


class AdamW(Adam):
    r"""Implements AdamW: Adam whose weight decay shrinks the parameters directly, like ``torch.optim.AdamW``.

    .. math::
        \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda), \text{ then the Adam update}

    Same arguments as :class:`Adam`, except ``weight_decay`` defaults to 1e-2 and is always decoupled.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        # An AdamW state dict from before the option existed must still decay decoupled.
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
