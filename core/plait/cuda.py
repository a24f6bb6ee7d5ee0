"""``plait.cuda``: whether a CUDA backend is usable, and its device/memory/seed functions (delegated to the
backend serving ``cuda``, e.g. plait-cupy)."""
from .backends import registry as _registry


def _backend():
    reg = _registry._registry
    reg.load()
    for b in reg.by_type.get("cuda", ()):
        if reg.ensure_ready(b):
            return b
    return None


def _require():
    b = _backend()
    if b is None:
        reg = _registry._registry
        reasons = "; ".join(f"{n}: {e}" for n, e in reg.failed.items() if "cuda" in reg.backends[n].device_types)
        raise RuntimeError("CUDA is not available: " + (reasons or "no backend serving 'cuda' is installed "
                                                        "(pip install plait-cupy and a CuPy wheel)"))
    return b


def is_available():
    b = _backend()
    return b is not None and b.device_count() > 0


def device_count():
    b = _backend()
    return 0 if b is None else b.device_count()


def current_device():
    return _require().current_device()


def set_device(index):
    _require().set_device(int(str(index).split(":")[-1]))


def synchronize(device=None):
    _require().synchronize(device)


def manual_seed(seed):
    _require().manual_seed(int(seed))


def manual_seed_all(seed):
    manual_seed(seed)


def memory_allocated(device=None):
    return _require().memory_allocated(device)


def max_memory_allocated(device=None):
    return _require().max_memory_allocated(device)


def memory_reserved(device=None):
    return _require().memory_reserved(device)


def reset_peak_memory_stats(device=None):
    _require().reset_peak_memory_stats(device)


def empty_cache():
    _require().empty_cache()


def get_device_name(device=None):
    return _require().get_device_name(device)
