"""Convolution, pooling, normalisation, dropout, embedding, padding and resampling (torch.nn.functional).

Everything here is written against plait's Tensor API alone, so it runs unchanged on every backend.
Convolution, pooling, ``unfold`` and ``fold`` share one pair of adjoint linear maps, ``_Im2Col`` and
``_Col2Im``: im2col gathers every kernel offset as one strided slice (a handful of vectorised ops, never a
loop over batch, channels or pixels) and col2im adds the slices back. Each is the other's backward, so
gradients of any order stay O(kernel offsets) vectorised ops.
"""
import math
import numbers
import warnings
from itertools import repeat

import plait
from plait.ops import window  # the core's im2col/col2im (backends may provide fast kernels)

from plait._dtype import CPP_NAMES, SCALAR_NAMES  # torch's type names, for its messages

from ._functional_basic import _argument, _torch_node_name


def _when_batched(node_name, batched_dim):
    """torch's node name for a batched call; an unbatched one ends in torch's squeeze, as plait's does."""
    return _torch_node_name(lambda args, kwargs: node_name if _argument(args, kwargs, 0, "input").dim() == batched_dim
                            else None)

__all__ = [
    "conv1d", "conv2d", "conv_transpose2d", "unfold", "fold",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d",
    "batch_norm", "layer_norm", "group_norm",
    "dropout", "dropout1d", "dropout2d", "embedding", "pad", "interpolate",
]


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, (list, tuple)):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")


def _reverse_repeat_tuple(t, n):
    """``(a, b)`` -> ``(b, b, a, a)`` for n=2: the per-dimension padding turned into F.pad's layout."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _size_list(t):
    return list(t.shape)


# --------------------------------------------------------------------------------------------------
# im2col / col2im
# --------------------------------------------------------------------------------------------------

class _Im2Col(plait.autograd.Function):
    """(N, C, H, W) -> (N, C, kh*kw, Ho, Wo): every kernel offset as one strided slice of the padded input;
    (C, kh*kw, N, Ho, Wo) with ``batch_inside``, the layout one matrix product turns into a convolution.

    ``padding`` is (top, bottom, left, right) so that ceil-mode pooling and "same" convolution with an
    even kernel can pad one side more. ``pad_value`` is 0 for convolution and -inf for max pooling.
    """

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride, out_hw, pad_value=0.0, batch_inside=False):
        ctx.geometry = (tuple(x.shape[-2:]), kernel, dilation, padding, stride, batch_inside)
        return window.im2col(x, kernel, dilation, padding, stride, out_hw, pad_value, batch_inside)

    @staticmethod
    def backward(ctx, grad):
        return (_Col2Im.apply(grad, *ctx.geometry),) + (None,) * 7


class _Col2Im(plait.autograd.Function):
    """Columns in either layout -> (N, C, H, W): the adjoint of ``_Im2Col``; overlapping windows add up."""

    @staticmethod
    def forward(ctx, cols, out_hw, kernel, dilation, padding, stride, batch_inside=False):
        ctx.geometry = (kernel, dilation, padding, stride, tuple(cols.shape[-2:]), 0.0, batch_inside)
        return window.col2im(cols, out_hw, kernel, dilation, padding, stride, batch_inside)

    @staticmethod
    def backward(ctx, grad):
        return (_Im2Col.apply(grad, *ctx.geometry),) + (None,) * 6


def _out_len(size, k, d, s, p_lo, p_hi):
    return (size + p_lo + p_hi - d * (k - 1) - 1) // s + 1


def _im2col(x, kernel, dilation, padding, stride, pad_value=0.0, batch_inside=False):
    """Differentiable im2col of a 4-D tensor; ``padding`` as (top, bottom, left, right)."""
    h, w = x.shape[-2:]
    ho = _out_len(h, kernel[0], dilation[0], stride[0], padding[0], padding[1])
    wo = _out_len(w, kernel[1], dilation[1], stride[1], padding[2], padding[3])
    if ho <= 0 or wo <= 0:
        raise RuntimeError(
            f"Given input size: ({'x'.join(str(s) for s in x.shape[1:])}). Calculated output size: "
            f"({x.shape[1]}x{ho}x{wo}). Output size is too small")
    return _Im2Col.apply(x, tuple(kernel), tuple(dilation), tuple(padding), tuple(stride), (ho, wo), pad_value,
                         batch_inside)


def _depth_slices(x, dim, kernel, dilation, stride, out_len):
    """The ``kernel`` strided slices along ``dim`` that a window's depth offsets read."""
    for i in range(kernel):
        start = i * dilation
        yield x.narrow(dim, start, stride * (out_len - 1) + 1)[(slice(None),) * dim + (slice(None, None, stride),)]


def _window_sizes(x, kernel, dilation, pads, stride):
    return tuple(_out_len(size, k, d, s, pads[2 * i], pads[2 * i + 1])
                 for i, (size, k, d, s) in enumerate(zip(x.shape[-3:], kernel, dilation, stride)))


def _im2col3d(x, kernel, dilation, pads, stride, pad_value=0.0, batch_inside=False):
    """Windows of a (N, C, D, H, W) tensor, stacked from the 2-d ones over the kernel's depth offsets:
    (N, C, Do, kd*kh*kw, Ho, Wo) (pooling reduces axis 3), or with
    ``batch_inside`` (C, kd*kh*kw, N*Do, Ho, Wo), read as the (C*K, N*Do*Ho*Wo) matrix of a convolution.

    ``pads`` is (front, back, top, bottom, left, right); the output sizes must be positive (callers check
    with their own messages)."""
    (kd, kh, kw), (dd, dh, dw), (sd, sh, sw) = kernel, dilation, stride
    do, ho, wo = _window_sizes(x, kernel, dilation, pads, stride)
    if pads[0] or pads[1]:
        x = _constant_pad_dim(x, 2, pads[0], pads[1], pad_value)
    plane_pads = pads[2:]
    n, c = x.shape[:2]
    if batch_inside:
        # (N, D, C, H, W): a depth slice folds into the 2-d batch as N*Do, so the columns of every depth
        # offset stack straight into the convolution's matrix.
        planes = x.permute(0, 2, 1, 3, 4)
        cols = [_im2col(s.reshape(n * do, c, *s.shape[-2:]), (kh, kw), (dh, dw), plane_pads, (sh, sw), pad_value,
                        batch_inside=True)
                for s in _depth_slices(planes, 1, kd, dd, sd, do)]
        return plait.stack(cols, dim=1).reshape(c, kd * kh * kw, n * do, ho, wo)
    cols = [_im2col(s.reshape(n, c * do, *s.shape[-2:]), (kh, kw), (dh, dw), plane_pads, (sh, sw), pad_value)
            .reshape(n, c, do, kh * kw, ho, wo)
            for s in _depth_slices(x, 2, kd, dd, sd, do)]
    return plait.stack(cols, dim=3).reshape(n, c, do, kd * kh * kw, ho, wo)


@_when_batched("Im2ColBackward0", 4)
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L), like ``torch.nn.functional.unfold``."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    (ph, pw) = _pair(padding)
    cols = _im2col(x, _pair(kernel_size), _pair(dilation), (ph, ph, pw, pw), _pair(stride))
    n, c, k, ho, wo = cols.shape
    out = cols.reshape(n, c * k, ho * wo)
    return out.squeeze(0) if unbatched else out


@_when_batched("Col2ImBackward0", 3)
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding blocks into a tensor, summing overlaps: the adjoint of :func:`unfold`."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {input.dim()}D)")
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(output_size), _pair(kernel_size), _pair(dilation),
                                                      _pair(padding), _pair(stride))
    ho, wo = _out_len(h, kh, dh, sh, ph, ph), _out_len(w, kw, dw, sw, pw, pw)
    n, ck, length = x.shape
    if ck % (kh * kw) != 0:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={ck} and kernel_size=({kh}, {kw}).")
    if length != ho * wo:
        raise RuntimeError(f"Given output_size=({h}, {w}), kernel_size=({kh}, {kw}), dilation=({dh}, {dw}), "
                           f"padding=({ph}, {pw}), stride=({sh}, {sw}), expected size of input's dimension 2 "
                           f"to match the calculated number of sliding blocks {ho} * {wo} = {ho * wo}, but got "
                           f"input.size(2)={length}.")
    cols = x.reshape(n, ck // (kh * kw), kh * kw, ho, wo)
    out = _Col2Im.apply(cols, (h, w), (kh, kw), (dh, dw), (ph, ph, pw, pw), (sh, sw))
    return out.squeeze(0) if unbatched else out


# --------------------------------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------------------------------

class _WindowProduct(plait.autograd.Function):
    """``weights (G, M, K) @ columns (G, K, L)``, a convolution's one product per group, with L (every
    output position of every sample) long. The weights' gradient, a product over L, is formed so that
    its result has at least as many rows as columns: ``grad @ columns^T`` when M >= K, else
    ``(columns @ grad^T)^T``. Same numbers, but OpenBLAS runs the wide form (few rows, a long inner
    dimension, a transposed operand) about ten times slower."""

    @staticmethod
    def forward(ctx, weights, columns):
        ctx.save_for_backward(weights, columns)
        return weights.matmul(columns)

    @staticmethod
    def backward(ctx, grad):
        weights, columns = ctx.saved_tensors
        grad_weights = grad_columns = None
        if ctx.needs_input_grad[0]:
            if weights.shape[1] >= weights.shape[2]:
                grad_weights = grad.matmul(columns.transpose(1, 2))
            else:
                grad_weights = columns.matmul(grad.transpose(1, 2)).transpose(1, 2)
        if ctx.needs_input_grad[1]:
            grad_columns = weights.transpose(1, 2).matmul(grad)
        return grad_weights, grad_columns


def _check_conv_input(input, weight, groups, nd, name, transposed=False):
    """torch's shape checks and messages; returns the input with a batch dimension."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, "
                           f"but got input of size: {_size_list(input)}")
    if weight.dim() != nd + 2:
        raise RuntimeError("weight should have at least three dimensions" if weight.dim() < 3 else
                           f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input "
                           f"{_size_list(input)}, but got {weight.dim()}-dimensional weight of size "
                           f"{_size_list(weight)} instead")
    x = input.unsqueeze(0) if input.dim() == nd + 1 else input
    if transposed:
        if x.shape[1] != weight.shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {_size_list(weight)}, expected input"
                               f"{_size_list(x)} to have {weight.shape[0]} channels, but got {x.shape[1]} "
                               f"channels instead")
        if weight.shape[0] % groups != 0:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                               f"dimension 0, but got weight of size {_size_list(weight)} instead")
    else:
        if weight.shape[0] % groups != 0:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                               f"dimension 0, but got weight of size {_size_list(weight)} instead")
        if x.shape[1] != weight.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {_size_list(weight)}, expected input"
                               f"{_size_list(x)} to have {weight.shape[1] * groups} channels, but got "
                               f"{x.shape[1]} channels instead")
    return x


def _conv_padding(padding, kernel, dilation, stride, nd):
    """Per-dimension (low, high) padding, resolving "same" (extra on the high side, like torch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * nd
        if padding != "same":
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in total]
    return [(p, p) for p in _ntuple(nd)(padding)]


def _check_conv_geometry(x, w, bias, pads, dilation, nd):
    """torch's dtype and kernel-size checks for a convolution (``x``/``w`` in their 2-d form)."""
    if w.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {SCALAR_NAMES[x.dtype]} but found {SCALAR_NAMES[w.dtype]}")
    if bias is not None and bias.dtype != x.dtype:
        raise RuntimeError(f"Input type ({CPP_NAMES[x.dtype]}) and bias type ({CPP_NAMES[bias.dtype]}) should be "
                           "the same")
    padded = [size + lo + hi for size, (lo, hi) in zip(x.shape[2:], pads)][-nd:]
    kernel = [d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation)][-nd:]
    if any(k > p for k, p in zip(kernel, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input size")


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, nd):
    name = f"conv{nd}d"
    x = _check_conv_input(input, weight, groups, nd, name)
    stride, dilation = _ntuple(nd)(stride), _ntuple(nd)(dilation)
    pads = _conv_padding(padding, weight.shape[2:], dilation, stride, nd)
    w = weight
    if nd == 1:
        # A 1-d convolution is a 2-d one over a unit height.
        x, w = x.unsqueeze(2), weight.unsqueeze(2)
        stride, dilation, pads = (1, *stride), (1, *dilation), [(0, 0), *pads]
    out_ch, in_per_group, kh, kw = w.shape
    _check_conv_geometry(x, w, bias, pads, dilation, nd)
    # Columns as one (C*kh*kw, N*Ho*Wo) matrix per group: the forward and both gradients are one matrix
    # product each (per-sample products are many small, slow ones).
    cols = _im2col(x, (kh, kw), dilation, (*pads[0], *pads[1]), stride, batch_inside=True)
    c, k, n, ho, wo = cols.shape
    cols = cols.reshape(groups, (c // groups) * k, n * ho * wo)
    out = _WindowProduct.apply(w.reshape(groups, out_ch // groups, in_per_group * k), cols)
    if bias is not None:
        out = out + bias.reshape(groups, out_ch // groups, 1)
    # (C_out, N, Ho, Wo) -> (N, C_out, Ho, Wo), copied to the row-major layout torch's conv returns
    out = out.reshape(out_ch, n, ho, wo).permute(1, 0, 2, 3).contiguous()
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if input.dim() == nd + 1 else out


@_when_batched("ConvolutionBackward0", 3)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d cross-correlation over (N, C_in, L) or unbatched (C_in, L); weight (C_out, C_in/groups, k)."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1)


@_when_batched("ConvolutionBackward0", 4)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d cross-correlation over (N, C_in, H, W) or unbatched (C_in, H, W); weight (C_out, C_in/groups, kh, kw).

    ``padding`` is an int, a pair, "valid" or "same" (stride 1 only), as in torch.
    """
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2)


def _check_transposed_size(in_sizes, out_sizes):
    if any(s <= 0 for s in out_sizes):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, in_sizes))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, out_sizes))}). Output size is too small")


@_when_batched("ConvolutionBackward0", 4)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution (the gradient of conv2d w.r.t. its input); weight (C_in, C_out/groups, kh, kw)."""
    x = _check_conv_input(input, weight, groups, 2, "conv_transpose2d", transposed=True)
    if weight.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {SCALAR_NAMES[x.dtype]} but found {SCALAR_NAMES[weight.dtype]}")
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    if oph >= max(sh, dh) or opw >= max(sw, dw):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding_height: {oph} output_padding_width: {opw} stride_height: {sh} "
                           f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}")
    n, c_in, h, w = x.shape
    _, out_per_group, kh, kw = weight.shape
    k = kh * kw
    hout = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    wout = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    _check_transposed_size((h, w), (hout, wout))
    wg = weight.reshape(groups, c_in // groups, out_per_group * k).transpose(1, 2)
    # one matrix product per group over every sample, into columns laid out (C_out, kh*kw, N, H, W)
    planes = x.permute(1, 0, 2, 3).reshape(groups, c_in // groups, n * h * w)
    cols = _WindowProduct.apply(wg, planes).reshape(groups * out_per_group, k, n, h, w)
    out = _Col2Im.apply(cols, (hout, wout), (kh, kw), (dh, dw), (ph, ph, pw, pw), (sh, sw), True)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    out = out.contiguous()  # col2im may leave the (C, N) memory order; torch's result is row-major
    return out.squeeze(0) if input.dim() == 3 else out


# --------------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------------

def _pool_out_len(size, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    out = (-(-num // s) if ceil_mode else num // s) + 1
    # The last window must start inside the input or its left padding (torch's rule).
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool_padding(kernel, padding, dilation, name):
    """torch's padding checks for 1-d and 2-d pooling (1-d runs as 2-d over a unit height)."""
    one_d = name.endswith("1d")
    for k, p in list(zip(kernel, padding))[one_d:]:
        if p > k // 2:
            if one_d and name.startswith("max"):
                raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                                   f"padding={p} and kernel_size={k}")
            if any(d != 1 for d in dilation):
                raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                                   f"padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}")
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={dilation[-1]}")


def _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode, name):
    """Padding (front, back,) top, bottom, left, right whose windows give exactly torch's pooled size;
    torch's checks and messages (``name`` is e.g. "max_pool1d"; 1-d pooling runs as 2-d over a unit
    height)."""
    one_d = name.endswith("1d")
    if name.endswith("3d"):
        _check_pool3d_padding(x, kernel, padding, dilation, name)
    else:
        _check_pool_padding(kernel, padding, dilation, name)
    spatial = x.shape[-len(kernel):]
    outs = [_pool_out_len(size, k, s, p, d, ceil_mode)
            for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)]
    if min(outs) <= 0:
        if one_d and name.startswith("max"):
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {outs[1]}")
        # as torch, the sizes of the (C, H, W) planes; 1-d input shows as (C, 1, L)
        raise RuntimeError(f"Given input size: ({'x'.join(str(v) for v in x.shape[1:])}). Calculated output size: "
                           f"({'x'.join(str(v) for v in (x.shape[1], *outs))}). Output size is too small")
    pads = []
    for size, out, k, s, p, d in zip(spatial, outs, kernel, stride, padding, dilation):
        pads += [p, max(p, (out - 1) * s + d * (k - 1) + 1 - size - p)]
    return tuple(pads)


def _check_pool3d_padding(x, kernel, padding, dilation, name):
    """torch's order of checks for 3-d pooling: each dim's padding against its effective kernel, the
    input against the kernel (average pooling), then the padding against the kernel itself."""
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    (kt, kh, kw), (pt, ph, pw) = kernel, padding
    if name.startswith("avg") and any(size < k for size, k in zip(x.shape[-3:], kernel)):
        t, h, w = x.shape[-3:]
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size (kT: {kt} kH: {kh} kW: {kw})")
    if any(p > k // 2 for k, p in zip(kernel, padding)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {kt} kW: {kw} "
                           f"kH: {kh} padT: {pt} padW: {pw} padH: {ph}")


def _pool_input(input, nd, name):
    if nd == 3:
        if input.dim() not in (4, 5):
            raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
        return input.unsqueeze(0) if input.dim() == 4 else input
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got: {_size_list(input)}" if nd == 2 else
                           f"{name}: Expected 2D or 3D (batch mode) tensor for input, but got: "
                           f"{_size_list(input)}")
    x = input.unsqueeze(0) if input.dim() == nd + 1 else input
    return x.unsqueeze(2) if nd == 1 else x


def _pool_output(out, input, nd):
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if input.dim() == nd + 1 else out


class _WindowMax(plait.autograd.Function):
    """Max over one axis of short windows (and, with ``want_offset``, the offset of the element chosen):
    torch's rule for pooling, where the gradient goes to the first maximum only, or to the last NaN when
    the window holds NaNs (torch's kernels scan with ``val > max || isnan(val)``).

    The choice is made without an argmax, which runs one tiny reduction per window on CPU backends: every
    element equal to the maximum is keyed ``size - offset``, every NaN ``size + 1 + offset``, and the
    largest key wins. That is a few vectorised passes; the backward is one multiply by the saved mask.
    ``inside`` (1 for input cells, 0 for padding, broadcastable to ``windows``) keeps a padded cell from
    being chosen when it ties with the maximum, as torch never picks padding.
    """

    @staticmethod
    def forward(ctx, windows, dim, inside=None, want_offset=False):
        values = windows.amax(dim=dim, keepdim=True)
        ctx.set_materialize_grads(False)
        if not (ctx.needs_input_grad[0] or want_offset):
            return values.squeeze(dim), None
        size = windows.shape[dim]
        shape = [1] * windows.dim()
        shape[dim] = size
        key_dtype = plait.uint8 if 2 * size < 256 else plait.int64
        offsets = plait.arange(size, dtype=key_dtype, device=windows.device).reshape(shape)
        key = (windows == values).to(key_dtype) * (size - offsets)
        if windows.dtype.is_floating_point and values.isnan().any().item():  # amax is NaN where a window has one
            key = key + windows.isnan().to(key_dtype) * (offsets + (size + 1))
        if inside is not None:
            key = key * inside.to(key_dtype)
        best = key.amax(dim=dim, keepdim=True)
        ctx.first, ctx.dim = key == best, dim
        offset = None
        if want_offset:
            best = best.to(plait.int64).squeeze(dim)
            offset = plait.where(best > size, best - (size + 1), size - best)
            ctx.mark_non_differentiable(offset)
        return values.squeeze(dim), offset

    @staticmethod
    def backward(ctx, grad, _):
        if grad is None:
            return None, None, None, None
        return grad.unsqueeze(ctx.dim) * ctx.first, None, None, None


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd):
    name = f"max_pool{nd}d"
    expand = _ntuple(nd)
    kernel = expand(kernel_size)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else expand(stride)
    padding, dilation = expand(padding), expand(dilation)
    x = _pool_input(input, nd, name)
    if nd == 1:
        kernel, stride, padding, dilation = (1, *kernel), (1, *stride), (0, *padding), (1, *dilation)
    pads = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode, name)
    fill = float("-inf") if x.dtype.is_floating_point else _int_min(x.dtype)
    cols, axis = _pool_windows(x, kernel, dilation, pads, stride, fill)
    inside = None
    if any(pads):
        with plait.no_grad():
            ones = plait.ones((1, 1, *x.shape[2:]), dtype=plait.uint8, device=x.device)
            inside = _pool_windows(ones, kernel, dilation, pads, stride, 0)[0]
    out, arg = _WindowMax.apply(cols, axis, inside, return_indices)
    out = _pool_output(out, input, nd)
    if not return_indices:
        return out
    # Flat index into each input plane, as torch returns it (row-major over the spatial dims), from the
    # window offset chosen and the window's start in every spatial dim.
    flat = None
    out_sizes = out.shape[-len(kernel):] if nd != 1 else (1, out.shape[-1])
    for j, (k, s, d, size) in enumerate(zip(kernel, stride, dilation, x.shape[2:])):
        inner = math.prod(kernel[j + 1:])
        offset = (arg // inner) % k if j else arg // inner
        start = plait.arange(out_sizes[j], device=x.device).reshape((-1,) + (1,) * (len(kernel) - 1 - j))
        pos = start * s - pads[2 * j] + offset * d
        flat = pos if flat is None else flat * size + pos
    return out, _pool_output(flat, input, nd)


def _pool_windows(x, kernel, dilation, pads, stride, pad_value=0.0):
    """Pooling windows of (N, C, H, W) or (N, C, D, H, W) input and the axis that runs over each window."""
    if len(kernel) == 3:
        return _im2col3d(x, kernel, dilation, pads, stride, pad_value), 3
    return _im2col(x, kernel, dilation, pads, stride, pad_value), 2


def _int_min(dtype):
    # The lowest value of an integer dtype, from its width (plait has no iinfo).
    if dtype == plait.bool:
        return False
    return -(1 << (8 * dtype.itemsize - 1)) if dtype.is_signed else 0


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max pooling over (N, C, L) or (C, L)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


@_when_batched("MaxPool2DWithIndicesBackward0", 4)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling over (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd):
    expand = _ntuple(nd)
    kernel = expand(kernel_size)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else expand(stride)
    padding = expand(padding)
    x = _pool_input(input, nd, f"avg_pool{nd}d")
    if nd == 1:
        kernel, stride, padding = (1, *kernel), (1, *stride), (0, *padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    dilation = (1,) * len(kernel)
    pads = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode, f"avg_pool{nd}d")
    cols, axis = _pool_windows(x, kernel, dilation, pads, stride)
    total = cols.sum(dim=axis)
    if divisor_override:
        out = total / divisor_override
    else:
        # The divisor varies only near the border: count, per window, the cells of a ones-plane that
        # torch counts (the input, plus the symmetric padding when count_include_pad, never the
        # extra cells ceil_mode adds).
        if count_include_pad:
            ones = x.new_ones((1, 1, *(size + 2 * p for size, p in zip(x.shape[2:], padding))))
            extra = tuple(v for j, p in enumerate(padding) for v in (0, pads[2 * j + 1] - p))
        else:
            ones = x.new_ones((1, 1, *x.shape[2:]))
            extra = pads
        with plait.no_grad():
            windows, axis = _pool_windows(ones, kernel, dilation, extra, stride)
            count = windows.sum(dim=axis)
        out = total / count
    return _pool_output(out, input, nd)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling over (N, C, L) or (C, L)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


@_when_batched("AvgPool2DBackward0", 4)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling over (N, C, H, W) or (C, H, W)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def _adaptive_bounds(in_size, out_size, device):
    """torch's adaptive windows: [floor(i*in/out), ceil((i+1)*in/out)) for each output i."""
    i = plait.arange(out_size, device=device)
    start = (i * in_size) // out_size
    end = ((i + 1) * in_size + out_size - 1) // out_size
    return start, end


def _adaptive_sizes(x, output_size, nd):
    sizes = _ntuple(nd)(output_size)
    return tuple(x.shape[-nd + k] if s is None else s for k, s in enumerate(sizes))


def _adaptive_avg(input, output_size, nd):
    _check_adaptive_input(input, nd, f"adaptive_avg_pool{nd}d")
    out = input
    sizes = _adaptive_sizes(input, output_size, nd)
    # Adaptive averaging is separable and linear: one (out, in) averaging matrix per spatial dim.
    for k, out_size in enumerate(sizes):
        dim = input.dim() - nd + k
        in_size = input.shape[dim]
        start, end = _adaptive_bounds(in_size, out_size, input.device)
        pos = plait.arange(in_size, device=input.device).reshape(1, in_size)
        inside = (pos >= start.reshape(-1, 1)) & (pos < end.reshape(-1, 1))
        weights = inside.to(input.dtype) / (end - start).reshape(-1, 1).to(input.dtype)
        out = _matmul_along(out, dim, weights)
    return out


def _repeat_along(x, dim, times):
    """Repeat each element of dimension ``dim`` ``times`` times in a row (aabbcc for abc, times=2)."""
    if times == 1:
        return x
    shape = list(x.shape)
    expanded = list(shape)
    expanded.insert(dim + 1, times)
    shape[dim] *= times
    return x.unsqueeze(dim + 1).expand(*expanded).reshape(*shape)


def _matmul_along(x, dim, matrix):
    """Apply an (out, in) matrix to dimension ``dim`` of ``x``."""
    return x.transpose(dim, -1).matmul(matrix.transpose(0, 1)).transpose(dim, -1)


@_torch_node_name("SqueezeBackward1")  # torch runs it as a 2-d pooling over a unit height
def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length, with torch's (possibly overlapping) windows."""
    return _adaptive_avg(input, output_size, 1)


@_when_batched("AdaptiveAvgPool2DBackward0", 4)
def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (H_out, W_out) (``None`` keeps that size), with torch's windows."""
    return _adaptive_avg(input, output_size, 2)


def _check_adaptive_input(input, nd, name):
    if nd == 1 and input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {name})")
    if input.dim() not in (nd + 1, nd + 2):
        got = "got: " if name.startswith("adaptive_max") else "got "
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but {got}{_size_list(input)}")


def _adaptive_max(input, output_size, return_indices, nd):
    _check_adaptive_input(input, nd, f"adaptive_max_pool{nd}d")
    x = _pool_input(input, nd, f"adaptive_max_pool{nd}d")
    sizes = (1, *_adaptive_sizes(input, output_size, nd)) if nd == 1 else _adaptive_sizes(input, output_size, nd)
    if all(size % out == 0 for size, out in zip(x.shape[2:], sizes)):
        # Divisible sizes make torch's adaptive windows the plain non-overlapping ones.
        kernel = tuple(size // out for size, out in zip(x.shape[2:], sizes))
        result = _max_pool(x, kernel, kernel, 0, 1, False, return_indices, len(kernel))
        if return_indices:
            return _pool_output(result[0], input, nd), _pool_output(result[1], input, nd)
        return _pool_output(result, input, nd)
    n, c = x.shape[:2]
    gathered, positions, longest = x, [], []
    # Pad every window to the longest one by repeating its last element (harmless for a max), then
    # gather each spatial dim with one index_select.
    for k, out_size in enumerate(sizes):
        in_size = x.shape[2 + k]
        longest.append(in_size // out_size if in_size % out_size == 0 else -(-in_size // out_size) + 1)
        start, end = _adaptive_bounds(in_size, out_size, x.device)
        pos = start.reshape(-1, 1) + plait.arange(longest[k], device=x.device).reshape(1, -1)
        positions.append(plait.minimum(pos, (end - 1).reshape(-1, 1)))
        gathered = gathered.index_select(2 + k, positions[k].reshape(-1))
    m = len(sizes)
    # (N, C, o1, l1, o2, l2, ...) -> (N, C, o1, o2, ..., l1*l2*...)
    interleaved = [v for pair in zip(sizes, longest) for v in pair]
    order = (0, 1, *range(2, 2 + 2 * m, 2), *range(3, 3 + 2 * m, 2))
    windows = gathered.reshape(n, c, *interleaved).permute(*order).reshape(n, c, *sizes, math.prod(longest))
    out, arg = _WindowMax.apply(windows, -1, None, return_indices)
    out = _pool_output(out, input, nd)
    if not return_indices:
        return out
    flat = None
    for j, (pos, size) in enumerate(zip(positions, x.shape[2:])):
        offset = (arg // math.prod(longest[j + 1:])) % longest[j]
        row = plait.arange(sizes[j], device=x.device).reshape((-1,) + (1,) * (m - 1 - j)) * longest[j]
        where = pos.reshape(-1).index_select(0, (row + offset).reshape(-1)).reshape(offset.shape)
        flat = where if flat is None else flat * size + where
    return out, _pool_output(flat, input, nd)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a fixed output length, with torch's adaptive windows."""
    return _adaptive_max(input, output_size, return_indices, 1)


@_when_batched("AdaptiveMaxPool2DBackward0", 4)
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed (H_out, W_out), with torch's adaptive windows."""
    return _adaptive_max(input, output_size, return_indices, 2)


# --------------------------------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------------------------------

def _verify_batch_size(size):
    size_prods = size[0]
    for s in size[2:]:
        size_prods *= s
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _check_num_features(name, expected, tensor):
    """at::batch_norm's check that a per-channel tensor has one element per input channel."""
    if tensor is not None and tensor.numel() != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {tensor.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Batch normalisation over every dim but 1; in training updates the running stats in place
    (running_var with the unbiased batch variance, as torch does)."""
    if input.dim() < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")
    c = input.shape[1]
    if training:
        _verify_batch_size(input.size())
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    if input.numel() == 0:
        return input.clone()  # torch returns an empty result and leaves the running stats alone
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_num_features(name, c, t)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if training or running_mean is None or running_var is None:
        dims = [0, *range(2, input.dim())]
        mean = input.mean(dim=dims, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dim=dims, keepdim=True)
        if training and running_mean is not None and running_var is not None:
            count = input.numel() // c
            with plait.no_grad():
                m = 0.0 if momentum is None else momentum
                running_mean.mul_(1 - m).add_(mean.detach().reshape(c).to(running_mean.dtype) * m)
                unbiased = var.detach().reshape(c) * (count / max(count - 1, 1))
                running_var.mul_(1 - m).add_(unbiased.to(running_var.dtype) * m)
    else:
        mean = running_mean.reshape(shape)
        centred = input - mean
        var = running_var.reshape(shape)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims (biased variance), then scale and shift."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    nd = len(normalized_shape)
    if input.dim() < nd or tuple(input.shape[input.dim() - nd:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
                           f"{_size_list(input)}")
    dims = list(range(input.dim() - nd, input.dim()))
    mean = input.mean(dim=dims, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of ``C/num_groups`` channels (with all spatial positions) per sample."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    _verify_batch_size([input.shape[0] * input.shape[1] // num_groups, num_groups] + list(input.shape[2:]))
    n, c = input.shape[:2]
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {_size_list(input)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {_size_list(t)} and input of shape {_size_list(input)}")
    grouped = input.reshape(n, num_groups, -1)
    mean = grouped.mean(dim=-1, keepdim=True)
    centred = grouped - mean
    var = (centred * centred).mean(dim=-1, keepdim=True)
    out = (centred * (var + eps).rsqrt()).reshape(input.shape)
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# --------------------------------------------------------------------------------------------------
# dropout, embedding
# --------------------------------------------------------------------------------------------------

def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input, keep, p, inplace):
    scale = keep.to(input.dtype) / (1.0 - p) if p < 1.0 else keep.to(input.dtype)
    return input.mul_(scale) if inplace else input * scale


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p); identity when not training."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    keep = plait.rand(input.shape, dtype=input.dtype, device=input.device) >= p
    return _apply_mask(input, keep, p, inplace)


def _channel_dropout(input, p, training, inplace, batched_dim):
    _check_p(p)
    if not training or p == 0.0:
        return input
    # One draw per (sample, channel) broadcast over the spatial positions; unbatched input has no
    # sample dim.
    lead = 2 if input.dim() == batched_dim else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.dim() - lead)
    keep = plait.rand(shape, dtype=input.dtype, device=input.device) >= p
    return _apply_mask(input, keep, p, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note "
                           f"that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
                           f"dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
                           f"inputs).")
    return _channel_dropout(input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input; 3-D input is read as (N, C, L), as torch currently does."""
    if input.dim() not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will "
                      f"result in an error in a future release. To retain the behavior and silence this "
                      f"warning, please use dropout instead. Note that dropout2d exists to provide channel-wise "
                      f"dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 3D or 4D inputs).")
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.")
        return _channel_dropout(input, p, training, inplace, 3)
    return _channel_dropout(input, p, training, inplace, 4)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` picked by the integer ``input``; row ``padding_idx`` receives no gradient.

    ``max_norm`` renormalises the looked-up rows of ``weight`` in place, as torch does;
    ``scale_grad_by_freq`` divides each row's gradient by its index's count in the batch. ``sparse`` is
    accepted for compatibility; the gradient is dense.
    """
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    flat = input.reshape(-1)
    if flat.numel() and ((flat < 0) | (flat >= weight.shape[0])).any().item():
        raise IndexError("index out of range in self")  # torch's text; negative indices do not wrap
    if max_norm is not None:
        with plait.no_grad():
            rows = weight.index_select(0, flat)
            norms = rows.abs().pow(norm_type).sum(dim=1, keepdim=True).pow(1.0 / norm_type)
            scale = plait.where(norms > max_norm, max_norm / (norms + 1e-7), plait.ones_like(norms))
            weight[flat] = rows * scale
    rows = weight.index_select(0, flat)
    if scale_grad_by_freq:
        # Same values; each lookup's gradient divided by how often its index occurs in this batch.
        with plait.no_grad():
            ones = plait.ones(flat.shape, dtype=weight.dtype, device=weight.device)
            counts = plait.zeros(weight.shape[0], dtype=weight.dtype, device=weight.device)
            counts = counts.index_add(0, flat, ones).index_select(0, flat).reshape(-1, 1)
        fixed = rows.detach()
        rows = fixed + (rows - fixed) / counts
    if padding_idx is not None:
        # Same values, but the padding row's lookups are cut from the graph, so its gradient stays zero.
        pad = (flat == padding_idx).reshape(-1, 1)
        rows = plait.where(pad, rows.detach(), rows)
    return rows.reshape(*input.shape, weight.shape[1])


# --------------------------------------------------------------------------------------------------
# padding and resampling
# --------------------------------------------------------------------------------------------------

def _constant_pad_dim(x, dim, lo, hi, value):
    if lo < 0 or hi < 0:
        size = x.shape[dim]
        x = x.narrow(dim, max(-lo, 0), size - max(-lo, 0) - max(-hi, 0))
    parts = []
    for amount in (lo, hi):
        if amount > 0:
            shape = list(x.shape)
            shape[dim] = amount
            parts.append(x.new_full(shape, value))
        else:
            parts.append(None)
    if parts[0] is None and parts[1] is None:
        return x
    return plait.cat([t for t in (parts[0], x, parts[1]) if t is not None], dim=dim)


def _index_pad_dim(x, dim, lo, hi, mode):
    """Reflect / replicate / wrap one dim by gathering source positions; a negative amount crops.

    Reflection and replication read every output position straight from the input (so a crop on one
    side can reflect or replicate what the crop removed, as torch's kernels do); circular padding crops
    first and then wraps what is left, as torch's ``_pad_circular``.
    """
    if mode == "circular" and (lo < 0 or hi < 0):
        x = x.narrow(dim, max(-lo, 0), max(x.shape[dim] - max(-lo, 0) - max(-hi, 0), 0))
        lo, hi = max(lo, 0), max(hi, 0)
    size = x.shape[dim]
    pos = plait.arange(-lo, size + hi, device=x.device)
    if mode == "reflect":
        pos = (size - 1) - ((size - 1) - pos.abs()).abs()
    elif mode == "replicate":
        pos = pos.clamp(0, size - 1)
    elif size:
        pos = pos % size
    return x.index_select(dim, pos)


def _check_index_pad(input, pad, mode):
    """torch's checks for reflect / replicate / circular padding, against the input's original sizes."""
    k = len(pad) // 2
    if mode == "circular":
        for i in range(k):
            size = input.shape[input.dim() - 1 - i]
            if pad[2 * i] > size or pad[2 * i + 1] > size:
                raise RuntimeError("Padding value causes wrapping around more than once.")
        return
    if mode == "reflect":
        for i in range(k):  # width, height, depth: torch's arguments #4, #6, #8
            dim = input.dim() - 1 - i
            lo, hi = int(pad[2 * i]), int(pad[2 * i + 1])
            if lo >= input.shape[dim] or hi >= input.shape[dim]:
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                                   f"input dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                                   f"{_size_list(input)}")
    width = input.shape[-1]
    if k == 1 and width + pad[0] + pad[1] < 1:
        raise RuntimeError(f"input (W: {width}) is too small. Calculated output W: {width + pad[0] + pad[1]}")


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dims; ``pad`` lists (left, right) for the last dim, then the one before, like torch.

    Modes: "constant" (negative amounts crop), "reflect", "replicate", "circular".
    """
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.dim()}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
        # torch's rule: padding k trailing dims (k <= 3) takes a (C, *k dims) or (N, C, *k dims) input
        k = len(pad) // 2
        if not 1 <= k <= 3 or input.dim() not in (k + 1, k + 2):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
        _check_index_pad(input, pad, mode)
    out = input
    for k in range(len(pad) // 2):
        dim = input.dim() - 1 - k
        lo, hi = int(pad[2 * k]), int(pad[2 * k + 1])
        if mode == "constant":
            out = _constant_pad_dim(out, dim, lo, hi, 0.0 if value is None else value)
        elif lo or hi:
            out = _index_pad_dim(out, dim, lo, hi, mode)
    return out


_CUBIC_A = -0.75


def _cubic_near(t):
    return ((_CUBIC_A + 2) * t - (_CUBIC_A + 3)) * t * t + 1


def _cubic_far(t):
    return ((_CUBIC_A * t - 5 * _CUBIC_A) * t + 8 * _CUBIC_A) * t - 4 * _CUBIC_A


def _source_coords(out_size, in_size, scale, align_corners, device, dtype):
    """torch's area_pixel_compute_source_index for every output position along one dim."""
    dst = plait.arange(out_size, device=device, dtype=dtype)
    if align_corners:
        ratio = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        return dst * ratio
    ratio = (1.0 / scale) if scale is not None and scale > 0 else in_size / out_size
    return (dst + 0.5) * ratio - 0.5


def _taps(mode, in_size, out_size, scale, align_corners, device, dtype):
    """(indices, weights) pairs whose weighted sum resamples one dim; weights None means 1."""
    last = in_size - 1
    if mode in ("nearest", "nearest-exact"):
        ratio = (1.0 / scale) if scale is not None and scale > 0 else in_size / out_size
        dst = plait.arange(out_size, device=device, dtype=plait.float32)
        if mode == "nearest-exact":
            dst = dst + 0.5
        idx = (dst * ratio).floor().to(plait.int64).clamp(max=last)
        return [(idx, None)]
    src = _source_coords(out_size, in_size, scale, align_corners, device, dtype)
    if mode == "linear":
        src = src.clamp(min=0.0)
        lo = src.floor().to(plait.int64).clamp(max=last)
        frac = src - lo.to(dtype)
        hi = (lo + 1).clamp(max=last)
        return [(lo, 1.0 - frac), (hi, frac)]
    base = src.floor()
    t = src - base
    base = base.to(plait.int64)
    weights = (_cubic_far(t + 1.0), _cubic_near(t), _cubic_near(1.0 - t), _cubic_far(2.0 - t))
    return [((base + off).clamp(0, last), wt) for off, wt in zip((-1, 0, 1, 2), weights)]


# Above this many (out, in) entries a dense resampling matrix costs more than gathering the taps.
_DENSE_RESAMPLE_LIMIT = 1 << 16

_INTERP_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of (N, C, *spatial) input to ``size`` or by ``scale_factor``.

    Modes: nearest, nearest-exact, linear, bilinear, bicubic, trilinear (separable, one dim at a time)
    and area (adaptive average pooling), with torch's coordinate conventions.
    """
    nd = input.dim() - 2
    modes = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
    if mode not in modes:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the "
                         f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                         f"(got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if nd < 1 or nd > 3 or (mode in _INTERP_DIMS and _INTERP_DIMS[mode] != nd):
        expected = _INTERP_DIMS.get(mode)
        if expected is not None and 1 <= nd <= 3:
            raise ValueError(f"Got {input.dim()}D input, but {mode} mode needs {expected + 2}D input")
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the "
                         f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                         f"(got {mode})")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    if size is not None:
        out_sizes = _ntuple(nd)(size)
        if len(out_sizes) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(in_sizes)} and output size of {size}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             f"(o1, o2, ...,oK) format.")
        scales = (None,) * nd
    elif scale_factor is not None:
        scales = _ntuple(nd)(scale_factor)
        if len(scales) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {list(in_sizes)} and scale_factor of shape "
                             f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             f"scale_factor in (s1, s2, ...,sK) format.")
        out_sizes = tuple(int(math.floor(float(s) * float(f))) for s, f in zip(in_sizes, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    else:
        raise ValueError("either size or scale_factor should be defined")
    if min(in_sizes) <= 0 or min(out_sizes) <= 0:
        axes = ("D", "H", "W")[3 - nd:]
        shown_in = ", ".join(f"{a}: {v}" for a, v in zip(axes, in_sizes))
        shown_out = ", ".join(f"{a}: {v}" for a, v in zip(axes, out_sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({shown_in})"
                           f"{' and' if nd == 1 else ''} output ({shown_out})")
    if mode == "area":
        return _adaptive_avg(input, out_sizes, nd)
    kind = "nearest" if mode == "nearest" else "nearest-exact" if mode == "nearest-exact" else \
        "cubic" if mode == "bicubic" else "linear"
    dtype = input.dtype if input.dtype.is_floating_point else plait.float32
    out = input
    for k in range(nd):
        dim = 2 + k
        if out_sizes[k] == in_sizes[k] and kind != "cubic":
            continue  # torch's nearest and linear kernels copy a dim whose size does not change
        if kind.startswith("nearest") and out_sizes[k] % in_sizes[k] == 0 and \
                scales[k] in (None, out_sizes[k] // in_sizes[k]):
            # An integer upscale repeats every element: expand + reshape, whose backward is a sum.
            out = _repeat_along(out, dim, out_sizes[k] // in_sizes[k])
            continue
        taps = _taps(kind, in_sizes[k], out_sizes[k], scales[k], align_corners, input.device, dtype)
        if input.dtype.is_floating_point and in_sizes[k] * out_sizes[k] <= _DENSE_RESAMPLE_LIMIT:
            # A small dense (out, in) matrix applied by matmul: its backward is another matmul, where
            # gathering the taps would need a scatter-add.
            pos = plait.arange(in_sizes[k], device=input.device).reshape(1, -1)
            matrix = None
            for idx, wt in taps:
                hit = (idx.reshape(-1, 1) == pos).to(input.dtype)
                term = hit if wt is None else hit * wt.to(input.dtype).reshape(-1, 1)
                matrix = term if matrix is None else matrix + term
            out = _matmul_along(out, dim, matrix)
            continue
        resampled = None
        for idx, wt in taps:
            term = out.index_select(dim, idx)
            if wt is not None:
                shape = [1] * input.dim()
                shape[dim] = out_sizes[k]
                term = term * wt.to(input.dtype).reshape(shape)
            resampled = term if resampled is None else resampled + term
        out = resampled
    return out

