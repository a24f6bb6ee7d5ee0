"""Padding layers (torch.nn.ReflectionPad*, ReplicationPad*, ZeroPad*, ConstantPad*, CircularPad*).

Each stores ``padding`` in F.pad's layout ((left, right) for the last dim, then the one before); an int
pads every side by that amount.
"""
from .. import functional as F
from .._functional_conv import _ntuple
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


def _padding_tuple(padding, spatial_dims):
    return _ntuple(2 * spatial_dims)(padding)


class _IndexPadNd(Module):
    """Reflection, replication or circular padding of ``_spatial_dims`` trailing dims."""

    _mode = None
    _spatial_dims = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding_tuple(padding, self._spatial_dims)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ReflectionPadNd(_IndexPadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    _spatial_dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    _spatial_dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    _spatial_dims = 3


class _ReplicationPadNd(_IndexPadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    _spatial_dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    _spatial_dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    _spatial_dims = 3


class _CircularPadNd(_IndexPadNd):
    """Circular padding checks the input's rank itself (the (C, *) or (N, C, *) forms), as torch does."""

    _mode = "circular"

    def forward(self, input):
        allowed = (self._spatial_dims + 1, self._spatial_dims + 2)
        if input.dim() not in allowed:
            raise ValueError(f"expected {allowed[0]}D or {allowed[1]}D input (got {input.dim()}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    _spatial_dims = 1


class CircularPad2d(_CircularPadNd):
    _spatial_dims = 2


class CircularPad3d(_CircularPadNd):
    _spatial_dims = 3


class _ConstantPadNd(Module):
    _spatial_dims = None

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _padding_tuple(padding, self._spatial_dims)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    _spatial_dims = 1


class ConstantPad2d(_ConstantPadNd):
    _spatial_dims = 2


class ConstantPad3d(_ConstantPadNd):
    _spatial_dims = 3


class _ZeroPad:
    """Constant padding with 0; the repr shows only the padding."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    pass


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    pass


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    pass
