"""``Distribution``: the shapes, argument validation and ``repr`` every distribution shares (torch's
``torch.distributions.Distribution``)."""
from .. import _dtype
from ..tensor import Size


class Distribution:
    """Base class: ``batch_shape`` (independent draws) + ``event_shape`` (one draw), validation switched
    globally by ``Distribution.set_default_validate_args`` or per instance by ``validate_args=``."""

    has_rsample = False
    _validate_default = __debug__

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError
        Distribution._validate_default = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        self._validate_args = Distribution._validate_default if validate_args is None else validate_args

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _parameter_names(self):
        return [k for k in self.arg_constraints if k in self.__dict__]

    def _check_parameter(self, name, value, valid, constraint):
        """Raise torch's message when ``valid`` (a bool tensor over ``value``) is not all true."""
        if not bool(valid.all()):
            raise ValueError(
                f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) of distribution "
                f"{self!r} to satisfy the constraint {constraint}, but found invalid values:\n{value!r}")

    def _check_sample(self, value, valid):
        if not bool(valid.all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be within the "
                f"support ({self.support!r}) of the distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self):
        shown = []
        for name in self._parameter_names():
            param = self.__dict__[name]
            shown.append(f"{name}: {param.shape if param.numel() != 1 else param}")
        args = ", ".join(shown)
        return f"{type(self).__name__}({args})"


def float_eps(t):
    return _dtype.finfo(t._dtype).eps
