"""``plait.backends.mps``: whether a backend serving Apple's ``mps`` device type is installed and usable
(none of plait's own backends serves it)."""
from .. import _device_module as _dm


def is_built():
    return _dm.is_built("mps")


def is_available():
    return _dm.is_available("mps")
