"""plait-numpy specifics the conformance suite cannot see: the malloc tuning it applies on Linux."""
import sys

import pytest

plait_numpy = pytest.importorskip("plait_numpy")


class _FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the malloc tuning is Linux/glibc only")
@pytest.mark.parametrize("setting,expected", [
    (None, [(-3, 32 << 20), (-1, 64 << 20)]),  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
    ("0", []), ("off", []), ("False", []), ("no", []),
])
def test_malloc_keeps_freed_blocks_unless_opted_out(monkeypatch, setting, expected):
    libc = _FakeLibc()
    monkeypatch.setattr(plait_numpy.ctypes, "CDLL", lambda name: libc)
    if setting is None:
        monkeypatch.delenv("PLAIT_NUMPY_MALLOC_TUNING", raising=False)
    else:
        monkeypatch.setenv("PLAIT_NUMPY_MALLOC_TUNING", setting)
    plait_numpy._keep_freed_blocks_for_reuse()
    assert libc.calls == expected


def test_malloc_tuning_is_skipped_without_glibc(monkeypatch):
    def no_mallopt(name):
        raise OSError("no C library here")
    monkeypatch.setattr(plait_numpy.ctypes, "CDLL", no_mallopt)
    monkeypatch.delenv("PLAIT_NUMPY_MALLOC_TUNING", raising=False)
    plait_numpy._keep_freed_blocks_for_reuse()  # must not raise
