"""Softmax family as single ops: numerically stable (max-shifted) and with compact backward formulas."""
from ..autograd.graph import Op
from ._common import float_input
from .reduction import normalize_dims


class Softmax(Op):
    save_output = True

    def forward(self, x, axis):
        xp = self.xp
        self.axis = axis
        e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
        return e / xp.sum(e, axis=axis, keepdims=True)

    def backward(self, g):
        out = self.output
        return out * (g - (g * out).sum(dim=self.axis, keepdim=True)), None


class LogSoftmax(Op):
    save_output = True

    def forward(self, x, axis):
        xp = self.xp
        self.axis = axis
        shifted = x - xp.max(x, axis=axis, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))

    def backward(self, g):
        out = self.output
        return g - out.exp() * g.sum(dim=self.axis, keepdim=True), None


def _axis(x, dim):
    if dim is None:
        # torch's legacy implicit dim choice
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return normalize_dims(dim, x.ndim)[0] if x.ndim else 0


def softmax(input, dim=None, dtype=None):
    x = float_input(input if dtype is None else input.to(dtype))
    if x.ndim == 0:
        return x * 0 + 1
    return Softmax.apply(x, _axis(x, dim))


def log_softmax(input, dim=None, dtype=None):
    x = float_input(input if dtype is None else input.to(dtype))
    if x.ndim == 0:
        return x * 0
    return LogSoftmax.apply(x, _axis(x, dim))


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over dims (dim1, dim2), appended as the last dim (torch.diagonal)."""
    from ..creation import arange
    d1, d2 = normalize_dims(dim1, input.ndim)[0], normalize_dims(dim2, input.ndim)[0]
    x = input.movedim((d1, d2), (-2, -1))
    rows, cols = x.shape[-2], x.shape[-1]
    n = max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))
    r = arange(n, device=input.device) + max(-offset, 0)
    c = arange(n, device=input.device) + max(offset, 0)
    return x[(Ellipsis, r, c)]


def diag(input, diagonal_=0):
    if input.ndim == 1:
        n = input.shape[0] + abs(diagonal_)
        out = input.new_zeros((n, n))
        from ..creation import arange
        r = arange(input.shape[0], device=input.device) + max(-diagonal_, 0)
        c = arange(input.shape[0], device=input.device) + max(diagonal_, 0)
        return _scatter_diag(out, r, c, input)
    return diagonal(input, diagonal_)


def _scatter_diag(out, r, c, values):
    from .indexing import index_put_flat
    n = out.shape[1]
    pos = r * n + c
    return index_put_flat(out.reshape(-1), pos, values).reshape(out.shape)


def trace(input):
    return diagonal(input).sum()
