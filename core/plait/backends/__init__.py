"""Backends: the one abstraction between plait's core and an array library.

``Backend`` is what a backend plugin subclasses and returns from its ``plait_backends`` hook
(see :mod:`plait.hookspecs`). The registry below finds plugins through entry points once, lazily, and
then answers ``device -> Backend`` from a dict, so no op ever pays a hook call.

``cudnn``, ``cuda``, ``mkldnn`` and ``mps`` are torch's flag modules (``plait.backends.cudnn.benchmark =
True``), kept beside the registry API as ``torch.backends`` keeps them.
"""
from .base import Backend
from .registry import (available, get_backend, backend_for_array, loaded_backends, set_backend,
                       extensions, registry_errors, reload)
from . import cuda, cudnn, mkldnn, mps  # noqa: E402,F401  (torch.backends' flag modules)

__all__ = ["Backend", "available", "get_backend", "backend_for_array", "loaded_backends", "set_backend",
           "extensions", "registry_errors", "reload", "cuda", "cudnn", "mkldnn", "mps"]
