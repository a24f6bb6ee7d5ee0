"""Volumetric windows (3-d im2col/col2im) and the convolutions built on them: conv3d, conv_transpose1d,
conv_transpose3d (torch.nn.functional).

A 3-d window is a stack of 2-d ones: for each depth offset of the kernel, one strided depth slice of the
(depth-padded) input goes through the core's 2-d im2col with the depth folded into a 2-d batch axis. That
is ``kd`` calls of the vectorised 2-d primitive (each backend's fast kernel where it has one), never a
loop over batch, channels or voxels, and the gradients come from the 2-d primitives' own adjoints.
"""
import plait

from ._functional_basic import _argument, _torch_node_name
from ._functional_conv import (_Col2Im, _WindowProduct, _check_conv_geometry, _check_conv_input, _constant_pad_dim,
                               _check_transposed_size, _conv_padding, _im2col3d, _ntuple, _window_sizes,
                               conv_transpose2d)
from plait._dtype import SCALAR_NAMES

__all__ = ["conv3d", "conv_transpose1d", "conv_transpose3d"]

_triple = _ntuple(3, "_triple")


def _when_batched(node_name, batched_dim):
    return _torch_node_name(lambda args, kwargs: node_name if _argument(args, kwargs, 0, "input").dim() == batched_dim
                            else None)


def _col2im3d(cols, out_size, kernel, dilation, padding, stride):
    """The adjoint of the convolution layout of :func:`_im2col3d`: columns (C, kd, kh*kw, N, D, H, W) ->
    (N, C, *out_size), overlapping windows adding up; ``padding`` (per dim, symmetric) is cut from the
    full result, which may also end short of or past the last window (output_padding)."""
    (kd, kh, kw), (dd, dh, dw), (pd, ph, pw), (sd, sh, sw) = kernel, dilation, padding, stride
    c, _, _, n, d, h, w = cols.shape
    d_out, h_out, w_out = out_size
    span = sd * (d - 1) + 1
    total = None
    for i in range(kd):
        planes = _Col2Im.apply(cols[:, i].reshape(c, kh * kw, n * d, h, w), (h_out, w_out), (kh, kw), (dh, dw),
                               (ph, ph, pw, pw), (sh, sw), True).reshape(n, d, c, h_out, w_out)
        if sd > 1:  # the input's depth steps land sd apart: interleave zero planes
            gaps = planes.new_zeros((n, d, sd - 1, c, h_out, w_out))
            planes = plait.cat([planes.unsqueeze(2), gaps], dim=2).reshape(n, d * sd, c, h_out, w_out)
            planes = planes.narrow(1, 0, span)
        # depth offset i starts at i*dd of the full result, of which [pd, pd + d_out) is kept
        front = i * dd - pd
        placed = _constant_pad_dim(planes, 1, front, d_out - front - span, 0.0)
        total = placed if total is None else total + placed
    return total.permute(0, 2, 1, 3, 4)


@_when_batched("ConvolutionBackward0", 5)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d cross-correlation over (N, C_in, D, H, W) or unbatched (C_in, D, H, W); weight
    (C_out, C_in/groups, kd, kh, kw). ``padding`` is an int, a triple, "valid" or "same" (stride 1 only)."""
    x = _check_conv_input(input, weight, groups, 3, "conv3d")
    stride, dilation = _triple(stride), _triple(dilation)
    pads = _conv_padding(padding, weight.shape[2:], dilation, stride, 3)
    _check_conv_geometry(x, weight, bias, pads, dilation, 3)
    out_ch, in_per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    flat_pads = tuple(p for pair in pads for p in pair)
    do, ho, wo = _window_sizes(x, kernel, dilation, flat_pads, stride)
    cols = _im2col3d(x, kernel, dilation, flat_pads, stride, batch_inside=True)
    c, k = cols.shape[:2]
    n = x.shape[0]
    cols = cols.reshape(groups, (c // groups) * k, n * do * ho * wo)
    out = _WindowProduct.apply(weight.reshape(groups, out_ch // groups, in_per_group * k), cols)
    if bias is not None:
        out = out + bias.reshape(groups, out_ch // groups, 1)
    out = out.reshape(out_ch, n, do, ho, wo).permute(1, 0, 2, 3, 4).contiguous()
    return out.squeeze(0) if input.dim() == 4 else out


def _check_output_padding(output_padding, stride, dilation):
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        axes = ("depth", "height", "width")[3 - len(stride):]
        parts = [f"output_padding_{a}: {v}" for a, v in zip(axes, output_padding)]
        parts += [f"stride_{a}: {v}" for a, v in zip(axes, stride)]
        parts += [f"dilation_{a}: {v}" for a, v in zip(axes, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))


@_when_batched("ConvolutionBackward0", 3)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-d convolution over (N, C_in, L) or (C_in, L); weight (C_in, C_out/groups, k)."""
    x = _check_conv_input(input, weight, groups, 1, "conv_transpose1d", transposed=True)
    (s,), (p,), (op,), (d,) = (_ntuple(1)(v) for v in (stride, padding, output_padding, dilation))
    # a 1-d transposed convolution is a 2-d one over a unit height (torch's messages read the same)
    out = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), (0, p), (0, op), groups, (1, d))
    out = out.squeeze(2)
    return out.squeeze(0) if input.dim() == 2 else out


@_when_batched("ConvolutionBackward0", 5)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution (the gradient of conv3d w.r.t. its input) over (N, C_in, D, H, W) or
    (C_in, D, H, W); weight (C_in, C_out/groups, kd, kh, kw)."""
    x = _check_conv_input(input, weight, groups, 3, "conv_transpose3d", transposed=True)
    if weight.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {SCALAR_NAMES[x.dtype]} but found {SCALAR_NAMES[weight.dtype]}")
    stride, padding, output_padding, dilation = (_triple(v) for v in (stride, padding, output_padding, dilation))
    _check_output_padding(output_padding, stride, dilation)
    n, c_in = x.shape[:2]
    in_sizes = tuple(x.shape[2:])
    kernel = tuple(weight.shape[2:])
    out_per_group = weight.shape[1]
    out_sizes = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1
                      for i, s, p, d, k, op in zip(in_sizes, stride, padding, dilation, kernel, output_padding))
    _check_transposed_size(in_sizes, out_sizes)
    k = kernel[0] * kernel[1] * kernel[2]
    wg = weight.reshape(groups, c_in // groups, out_per_group * k).transpose(1, 2)
    # one matrix product per group over every sample, into columns (C_out, kd, kh*kw, N, D, H, W)
    planes = x.permute(1, 0, 2, 3, 4).reshape(groups, c_in // groups, -1)
    cols = _WindowProduct.apply(wg, planes)
    cols = cols.reshape(groups * out_per_group, kernel[0], kernel[1] * kernel[2], n, *in_sizes)
    out = _col2im3d(cols, out_sizes, kernel, dilation, padding, stride)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    out = out.contiguous()
    return out.squeeze(0) if input.dim() == 4 else out

