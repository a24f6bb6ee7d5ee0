"""3-d, power-average and adaptive 3-d pooling, and max unpooling (torch.nn.functional).

Max and average pooling of every rank share ``_max_pool``/``_avg_pool`` (3-d windows come from
``_im2col3d``); power-average pooling is average pooling of ``x**p``, as torch composes it. Unpooling
scatters each pooled value back to the flat position its index names, one ``scatter`` over all planes.
"""
import math

import plait
from plait._dtype import SCALAR_NAMES

from ._functional_basic import _torch_node_name
from ._functional_conv import (_adaptive_avg, _adaptive_max, _avg_pool, _max_pool, _ntuple, _pair, _single,
                               _size_list, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)

__all__ = [
    "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
]

_triple = _ntuple(3, "_triple")


@_torch_node_name("MaxPool3DWithIndicesBackward0")
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W); ``stride`` defaults to ``kernel_size``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


@_torch_node_name("AvgPool3DBackward0")
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3)


@_torch_node_name("AdaptiveAvgPool3DBackward0")
def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed (D_out, H_out, W_out) (``None`` keeps that size), with torch's windows."""
    return _adaptive_avg(input, output_size, 3)


@_torch_node_name("AdaptiveMaxPool3DBackward0")
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed (D_out, H_out, W_out), with torch's adaptive windows."""
    return _adaptive_max(input, output_size, return_indices, 3)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool, avg_pool, nd):
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    # torch multiplies by sign(out) * relu(|out|): the same values, but a window whose powers sum to zero
    # passes no gradient (rather than 0 * inf from the root)
    out = plait.where(out == 0, plait.zeros_like(out), out)
    return out.mul(math.prod(_ntuple(nd)(kernel_size))).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, L) or (C, L): the ``norm_type``-norm of each window."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool1d, avg_pool1d, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, H, W) or (C, H, W): the ``norm_type``-norm of each window."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool2d, avg_pool2d, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, D, H, W) or (C, D, H, W): the ``norm_type``-norm of each window."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool3d, avg_pool3d, 3)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's output size of max unpooling: the pooled input's size by default, else ``output_size``
    checked against the sizes that pooling could have come from."""
    nd = len(kernel_size)
    default = [(input.shape[-nd + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d] for d in range(nd)]
    if output_size is None:
        sizes = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and '
                                 f'{hi})')
        sizes = list(output_size)
    for d in range(nd):
        if sizes[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={sizes[d]}")
    return sizes


def _max_unpool(input, indices, output_size, nd):
    """Scatter each value of (N, C, *spatial) ``input`` to the flat position ``indices`` names in its
    (N, C) plane of an output of ``output_size``; the rest is zero."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a "
                           f"tensor with {input.dim()} dimensions.")
    if indices.dtype != plait.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {SCALAR_NAMES[indices.dtype]}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({_size_list(input)}) "
                           f"but got indices tensor with shape: {_size_list(indices)}")
    lead = tuple(input.shape[:-nd])
    plane = math.prod(output_size)
    flat_idx = indices.reshape(*lead, -1)
    if flat_idx.numel():
        bad = (flat_idx < 0) | (flat_idx >= plane)
        if bad.any().item():
            # torch names whichever offending index its threads meet; this is the first in memory order
            first = bad.reshape(-1).nonzero().reshape(-1)[0]
            raise RuntimeError(f"Found an invalid max index: {flat_idx.reshape(-1)[first].item()} (output volumes are "
                               f"of size {'x'.join(map(str, output_size))})")
    out = input.new_zeros((*lead, plane)).scatter(-1, flat_idx, input.reshape(*lead, -1))
    return out.reshape(*lead, *output_size)


def _unpool_args(kernel_size, stride, padding, expand):
    kernel = expand(kernel_size)
    return kernel, (kernel if stride is None else expand(stride)), expand(padding)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: values back at their indices, zeros elsewhere."""
    kernel, stride, padding = _unpool_args(kernel_size, stride, padding, _single)
    size = _unpool_output_size(input, kernel, stride, padding, output_size)
    # as torch: a 2-d unpooling over a trailing unit dim
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (*size, 1), 2).squeeze(-1)


@_torch_node_name("MaxUnpool2DBackward0")
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: values back at their indices, zeros elsewhere."""
    kernel, stride, padding = _unpool_args(kernel_size, stride, padding, _pair)
    return _max_unpool(input, indices, _unpool_output_size(input, kernel, stride, padding, output_size), 2)


@_torch_node_name("MaxUnpool3DBackward0")
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d: values back at their indices, zeros elsewhere."""
    kernel, stride, padding = _unpool_args(kernel_size, stride, padding, _triple)
    return _max_unpool(input, indices, _unpool_output_size(input, kernel, stride, padding, output_size), 3)
