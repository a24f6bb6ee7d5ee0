"""Pixel and channel shuffles, instance / local-response / RMS normalisation, alpha and 3-d dropout and the
randomised leaky ReLU (torch.nn.functional), composed from plait Tensor ops so every backend runs them.

The shuffles are one reshape-permute-reshape each; the normalisations reduce over whole dims at once (the
channel window of local response normalisation is one banded matrix product), so nothing loops over
elements, samples or channels.
"""
import numbers
import warnings

import plait

from ._functional_basic import _pointwise, _torch_node_name, leaky_relu
from ._functional_conv import _channel_dropout, _check_p, _matmul_along, _size_list

__all__ = [
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
    "instance_norm", "local_response_norm", "rms_norm",
    "dropout3d", "alpha_dropout", "feature_alpha_dropout", "rrelu", "rrelu_",
]


def _check_int_argument(fn, name, position, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not {type(value).__name__}")


# --------------------------------------------------------------------------- pixel and channel shuffles
def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): each group of r*r channels becomes an r x r block of pixels."""
    _check_int_argument("pixel_shuffle", "upscale_factor", 2, upscale_factor)
    r = upscale_factor
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    blocks = input.reshape(*lead, c // (r * r), r, r, h, w)
    # (*, C, r_h, r_w, H, W) -> (*, C, H, r_h, W, r_w)
    order = (*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return blocks.permute(order).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of :func:`pixel_shuffle`."""
    _check_int_argument("pixel_unshuffle", "downscale_factor", 2, downscale_factor)
    r = downscale_factor
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r != 0:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r != 0:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    blocks = input.reshape(*lead, c, h // r, r, w // r, r)
    # (*, C, H, r_h, W, r_w) -> (*, C, r_h, r_w, H, W)
    order = (*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return blocks.permute(order).reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """(N, C, *) with C = g*k: channel i*k + j moves to j*g + i (ShuffleNet's interleaving of the groups)."""
    _check_int_argument("channel_shuffle", "groups", 2, groups)
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{_size_list(input)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % groups != 0:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(input.shape)


def native_channel_shuffle(input, groups):
    """torch's kernel-level form of :func:`channel_shuffle`: the same rearrangement and checks."""
    return channel_shuffle(input, groups)


# --------------------------------------------------------------------------- normalisation
def _verify_spatial_size(size):
    count = 1
    for s in size[2:]:
        count *= s
    if count == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")


def _check_instance_stat(name, tensor, n, c):
    """torch runs instance norm as a batch norm over N*C channels with per-channel tensors repeated N times,
    and reports a wrong size in those terms."""
    if tensor is not None and tensor.numel() != c:
        raise RuntimeError(f"{name} should contain {n * c} elements not {n * tensor.numel()}")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) over its spatial positions; with ``use_input_stats`` and running stats
    given, update them in place with the batch means of the per-instance mean and unbiased variance."""
    if use_input_stats:
        _verify_spatial_size(input.size())
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not use_input_stats and running_mean is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    n, c = input.shape[:2]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_instance_stat(name, t, n, c)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if use_input_stats:
        dims = list(range(2, input.dim()))
        mean = input.mean(dim=dims, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dim=dims, keepdim=True)
        if running_mean is not None:
            count = input.numel() // (n * c)
            with plait.no_grad():
                unbiased = var.detach().reshape(n, c) * (count / max(count - 1, 1))
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(n, c).mean(0).to(running_mean.dtype)
                                                     * momentum)
                running_var.mul_(1 - momentum).add_(unbiased.mean(0).to(running_var.dtype) * momentum)
    else:
        centred = input - running_mean.reshape(shape)
        var = running_var.reshape(shape)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over a window of ``size`` channels)^beta, the window running from
    ``size // 2`` channels before to ``(size - 1) // 2`` after, zero beyond the edges (torch's padding)."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {input.dim()} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    # One (C, C) band matrix sums each channel's window: a single matmul forward and backward.
    out_c = plait.arange(channels, device=input.device).reshape(-1, 1)
    in_c = plait.arange(channels, device=input.device).reshape(1, -1)
    band = ((in_c >= out_c - size // 2) & (in_c <= out_c + (size - 1) // 2)).to(input.dtype) / size
    div = _matmul_along(input * input, 1, band)
    return input / (div * alpha + k).pow(beta)


def _normalized_shape_tuple(fn, normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    return tuple(int(s) for s in normalized_shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing ``normalized_shape`` dims, times ``weight``; ``eps`` None
    means the machine epsilon of the input's dtype, as torch."""
    shape = _normalized_shape_tuple("rms_norm", normalized_shape)
    nd = len(shape)
    if input.dim() < nd:
        raise ValueError(f"Input tensor must have at least {nd} dimensions, but got {input.dim()}")
    if tuple(input.shape[input.dim() - nd:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in shape)}], but got input of size{_size_list(input)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{_size_list(weight)} and normalized_shape = {list(shape)}")
    if eps is None:
        eps = plait.finfo(input.dtype).eps
    dims = list(range(input.dim() - nd, input.dim()))
    out = input * ((input * input).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


# --------------------------------------------------------------------------- dropout
def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) input."""
    _check_p(p)
    if input.dim() not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.dim()}-D input to dropout3d, which is deprecated and will "
                      f"result in an error in a future release. To retain the behavior and silence this "
                      f"warning, please use dropout instead. Note that dropout3d exists to provide channel-wise "
                      f"dropout on inputs with 3 spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, 5)


# SELU's negative saturation value, -scale * alpha: where alpha dropout sends a dropped unit before rescaling
_SELU_SATURATION = 1.7580993408473766


def _alpha_dropout(input, p, training, inplace, feature):
    _check_p(p)
    if p == 0.0 or not training or input.numel() == 0:
        return input
    if p == 1.0:
        zero = input.new_zeros(())
        return input.mul_(zero) if inplace else input * zero
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        noise_shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        noise_shape = tuple(input.shape)
    keep = (plait.rand(noise_shape, dtype=input.dtype, device=input.device) >= p).to(input.dtype)
    # Kept units are scaled by a, dropped ones land on a * -saturation; the shift b restores zero mean and
    # unit variance for SELU-normalised inputs.
    a = 1.0 / ((_SELU_SATURATION ** 2 * p + 1) * (1 - p)) ** 0.5
    shift = (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
    scale = keep * a
    if inplace:
        return input.mul_(scale).add_(shift)
    return input * scale + shift


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps a SELU network's mean and variance (dropped units take SELU's saturation value)."""
    return _alpha_dropout(input, p, training, inplace, feature=False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: one draw per (sample, channel) of (N, C, *) input."""
    return _alpha_dropout(input, p, training, inplace, feature=True)


# --------------------------------------------------------------------------- randomised leaky ReLU
def _check_rrelu_bounds(lower, upper):
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")


def _rrelu_node_name(args, kwargs):
    inplace = args[4] if len(args) > 4 else kwargs.get("inplace", False)
    return "RreluWithNoiseBackward1" if inplace else "RreluWithNoiseBackward0"  # torch's names for the two forms


@_torch_node_name(_rrelu_node_name)
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU whose negative slope is drawn from U(lower, upper) per element in training, and is
    (lower + upper) / 2 in evaluation."""
    _check_rrelu_bounds(lower, upper)
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slopes = plait.rand(input.shape, dtype=input.dtype, device=input.device) * (upper - lower) + lower
    return _pointwise(lambda x: plait.where(x > 0, x, x * slopes), input, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)
