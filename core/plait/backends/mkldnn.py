"""``plait.backends.mkldnn``: torch's oneDNN switches ``enabled`` and ``deterministic`` (bool), stored and
validated as in torch. No plait backend calls oneDNN (convolution is im2col plus a matrix product on every
backend), so :func:`is_available` is False and the switches change nothing."""
import contextlib

from ._flag_module import Flag, flag_module


def is_available():
    """False: none of plait's backends runs oneDNN kernels."""
    return False


@contextlib.contextmanager
def flags(enabled=False, deterministic=False):
    """Set both switches inside a ``with`` block and restore them after it."""
    previous = (_module.enabled, _module.deterministic)
    try:
        _module.enabled, _module.deterministic = enabled, deterministic
        yield
    finally:
        _module.enabled, _module.deterministic = previous


_module = flag_module(__name__,
                      enabled=Flag(True, bool, "set_enabled_mkldnn"),
                      deterministic=Flag(False, bool, "set_deterministic_mkldnn"))
