"""Gradient clipping and flat-vector conversion of parameters (torch.nn.utils); packed sequences in ``rnn``."""
import plait

from . import rnn  # noqa: F401

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters", "rnn"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, plait.Tensor) else list(tensors)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Norm of the norms of ``tensors``: the norm of all their elements viewed as one vector."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return plait.tensor(0.0)
    device = tensors[0].device
    with plait.no_grad():
        norms = plait.stack([t.norm(norm_type).to(device) for t in tensors])
        total_norm = norms.norm(norm_type)
    if error_if_nonfinite and not bool(total_norm.isfinite().item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return total_norm


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with plait.no_grad():
        # the coefficient stays a tensor: no host sync, as in torch
        clip_coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef.to(g.device, g.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradient norm of ``parameters`` (as one vector) to ``max_norm``; returns the norm before."""
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_, kept because torch keeps it."""
    import warnings
    warnings.warn("`plait.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`plait.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with plait.no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


def _check_same_device(param, old_device):
    if old_device is not None and param.device != old_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters):
    """Concatenate the parameters, flattened, into one 1-D tensor."""
    device = None
    vec = []
    for param in parameters:
        device = _check_same_device(param, device)
        vec.append(param.reshape(-1))
    return plait.cat(vec)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (inverse of parameters_to_vector)."""
    if not isinstance(vec, plait.Tensor):
        raise TypeError(f"expected plait.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of {total} elements (the parameters' "
                           f"total), got shape {list(vec.shape)}")
    device = None
    pointer = 0
    for param in params:
        device = _check_same_device(param, device)
        num_param = param.numel()
        # as in torch, each parameter becomes a view of ``vec`` (same object, new data)
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param

from . import parametrize, parametrizations  # noqa: E402,F401
from .weight_norm import weight_norm, remove_weight_norm  # noqa: E402
from .spectral_norm import spectral_norm, remove_spectral_norm  # noqa: E402
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights  # noqa: E402

__all__ += ["parametrize", "parametrizations", "weight_norm", "remove_weight_norm", "spectral_norm",
            "remove_spectral_norm", "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
            "fuse_linear_bn_weights"]
