"""Sliding-window primitives for convolution and pooling (used by plait.nn): ``im2col`` and its adjoint
``col2im``. They compute on raw backend arrays and record no graph; the nn plugin wraps them in autograd
Functions, each the other's backward. A backend may provide faster ``"im2col"``/``"col2im"`` kernels
(NumPy's uses one strided-window copy); the portable versions below take one strided slice per kernel
offset, never a loop over batch, channels or pixels.

Two layouts of the columns: ``(N, C, kh*kw, Ho, Wo)`` (pooling and ``unfold`` reduce over the window axis)
and, with ``batch_inside=True``, ``(C, kh*kw, N, Ho, Wo)``: read as the ``(C*kh*kw, N*Ho*Wo)`` matrix, a
whole convolution, forward and both gradients, is one matrix product each instead of one per sample."""
from ..autograd import graph as _graph


def _window_slices(kernel, dilation, stride, out_hw):
    (kh, kw), (dh, dw), (sh, sw), (ho, wo) = kernel, dilation, stride, out_hw
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            yield rows, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)


def _device(a):
    return getattr(a, "device", None)


def im2col_portable(xp, a, kernel, dilation, padding, stride, out_hw, pad_value=0.0, batch_inside=False):
    n, c, h, w = a.shape
    pt, pb, pl, pr = padding
    if batch_inside:
        a = xp.permute_dims(a, (1, 0, 2, 3))  # windows of the (C, N, H, W) planes stack into (C, k, N, Ho, Wo)
    if pt or pb or pl or pr:
        buf = xp.full(a.shape[:2] + (h + pt + pb, w + pl + pr), pad_value, dtype=a.dtype, device=_device(a))
        buf[:, :, pt:pt + h, pl:pl + w] = a
        a = buf
    slices = [a[:, :, r, cc] for r, cc in _window_slices(kernel, dilation, stride, out_hw)]
    return xp.stack(slices, axis=1 if batch_inside else 2)


def col2im_portable(xp, cols, in_hw, kernel, dilation, padding, stride, batch_inside=False):
    if batch_inside:
        cols = xp.permute_dims(cols, (2, 0, 1, 3, 4))
    n, c, _, ho, wo = cols.shape
    (h, w), (kh, kw), (dh, dw), (sh, sw) = in_hw, kernel, dilation, stride
    pt, pb, pl, pr = padding
    # windows may reach past the padded input (ceil mode, output_padding): the buffer covers them
    hp = max(h + pt + pb, sh * (ho - 1) + dh * (kh - 1) + 1)
    wp = max(w + pl + pr, sw * (wo - 1) + dw * (kw - 1) + 1)
    out = xp.zeros((n, c, hp, wp), dtype=cols.dtype, device=_device(cols))
    for k, (r, cc) in enumerate(_window_slices(kernel, dilation, stride, (ho, wo))):
        out[:, :, r, cc] = out[:, :, r, cc] + cols[:, :, k, :, :]
    return out[:, :, pt:pt + h, pl:pl + w]


def im2col(x, kernel, dilation, padding, stride, out_hw, pad_value=0.0, batch_inside=False):
    """(N, C, H, W) -> (N, C, kh*kw, Ho, Wo), or (C, kh*kw, N, Ho, Wo) with ``batch_inside``; ``padding`` is
    (top, bottom, left, right), filled with ``pad_value``."""
    backend = x._backend
    fast = backend.kernels.get("im2col")
    args = (tuple(kernel), tuple(dilation), tuple(padding), tuple(stride), tuple(out_hw), pad_value)
    arr = fast(x._data, *args, batch_inside=batch_inside) if fast is not None else \
        im2col_portable(backend.xp, x._data, *args, batch_inside=batch_inside)
    return _graph._make(arr, backend, x._device, x._dtype)


def col2im(cols, in_hw, kernel, dilation, padding, stride, batch_inside=False):
    """(N, C, kh*kw, Ho, Wo), or (C, kh*kw, N, Ho, Wo) with ``batch_inside``, -> (N, C, H, W): the adjoint
    of :func:`im2col`; overlapping windows add up."""
    backend = cols._backend
    fast = backend.kernels.get("col2im")
    args = (tuple(in_hw), tuple(kernel), tuple(dilation), tuple(padding), tuple(stride))
    arr = fast(cols._data, *args, batch_inside=batch_inside) if fast is not None else \
        col2im_portable(backend.xp, cols._data, *args, batch_inside=batch_inside)
    return _graph._make(arr, backend, cols._device, cols._dtype)
