"""The conformance suite's pytest plugin (plait.testing.conformance): it catches a broken backend, shows
declared known gaps separately (and fails when a declared gap passes), lists every skip with its reason,
and reports bad input (unknown backend, plugin that raises on import or is malformed, a malformed gap list)
clearly. Each run is a fresh ``pytest --pyargs plait.testing.conformance`` process, limited with ``-k``."""
import os
import subprocess
import sys
import textwrap

import pytest

BACKEND_MODULE = '''
from plait.hookspecs import hookimpl
from plait_numpy import NumpyBackend


class Variant(NumpyBackend):
    name = {name!r}
    device_types = ("{name}dev",)
    priority = 0
    distribution = None
    conformance_xfail = {gaps!r}

    def device_of(self, array):
        return self.default_device("{name}dev")

{body}

@hookimpl
def plait_backends():
    return [Variant()]
'''

DROPS_DUPLICATES = '''
    def scatter_add(self, target, index, src):
        out = target.copy()
        out[index] += src      # the classic bug: a duplicate index is written once instead of summed
        return out
'''


def _write(tmp_path, module, text):
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(text), encoding="utf-8")


def _backend(tmp_path, module, name, gaps=None, body="    pass\n"):
    _write(tmp_path, module, BACKEND_MODULE.format(name=name, gaps=gaps or {}, body=body))


def _run(tmp_path, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.pop("PLAIT_BACKEND", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "plait.testing.conformance", "-q",
                           "-p", "no:cacheprovider", *args], capture_output=True, text=True, timeout=600,
                          env=env, cwd=tmp_path)
    return proc.returncode, proc.stdout + proc.stderr


DUPLICATE_TESTS = "scatter_add_sums_duplicate or duplicate_index_gradients or index_add_duplicates"


def test_a_broken_backend_does_not_conform(tmp_path):
    _backend(tmp_path, "broken_backend_for_tests", "brokenscatter", body=DROPS_DUPLICATES)
    rc, out = _run(tmp_path, "--plait-plugin=broken_backend_for_tests", "-k", DUPLICATE_TESTS)
    assert rc == 1, out
    assert "plait backend conformance report: backend 'brokenscatter'" in out
    assert "plait conformance of backend 'brokenscatter': DOES NOT CONFORM" in out
    assert "FAIL test_hooks.py::test_scatter_add_sums_duplicate_indices[1d-float32]" in out
    assert "FAIL test_gradcheck.py::test_gradcheck[index_add_duplicates]" in out
    assert "FAIL test_forward.py::test_forward[index_add_duplicates]" in out


def test_declared_gaps_are_expected_failures_listed_with_their_reasons(tmp_path):
    gaps = {"duplicate": "our scatter kernel drops duplicate indices (tracked upstream)",
            "no_such_test_id": "an entry matching nothing is shown as such"}
    _backend(tmp_path, "gappy_backend_for_tests", "gappy", gaps=gaps, body=DROPS_DUPLICATES)
    rc, out = _run(tmp_path, "--plait-plugin=gappy_backend_for_tests", "--plait-backend=gappy", "-k",
                   DUPLICATE_TESTS)
    assert rc == 0, out
    assert "known gaps declared by the backend (Variant.conformance_xfail): 2 entries" in out
    assert "'duplicate': our scatter kernel drops duplicate indices (tracked upstream)  [" in out
    assert "'no_such_test_id': an entry matching nothing is shown as such  [matches no collected test]" in out
    assert "test_gradcheck.py::test_gradcheck[index_add_duplicates]: xfailed" in out
    assert "plait conformance of backend 'gappy': CONFORMS: 0 passed" in out and "known gap(s)" in out


def test_a_declared_gap_that_passes_fails_the_run(tmp_path):
    _backend(tmp_path, "honest_backend_for_tests", "overcautious", gaps={"test_forward[exp]": "claimed broken"})
    rc, out = _run(tmp_path, "--plait-plugin=honest_backend_for_tests", "-k", "test_forward and exp")
    assert rc == 1, out
    assert "declared as a known gap but passed: remove it from conformance_xfail" in out
    assert "DOES NOT CONFORM" in out


def test_a_malformed_gap_list_is_reported(tmp_path):
    _backend(tmp_path, "badgaps_backend_for_tests", "badgaps", gaps=["test_forward"])
    rc, out = _run(tmp_path, "--plait-plugin=badgaps_backend_for_tests", "-k", "test_forward and exp")
    assert rc == 1, out
    assert "Variant.conformance_xfail must be a dict of non-empty 'test id substring' -> 'reason' strings" in out


def test_skips_are_listed_with_reasons(tmp_path):
    rc, out = _run(tmp_path, "--plait-backend=array_api_strict", "-k", "float16 and test_hooks")
    assert rc == 0, out
    assert "skipped (4), each with its reason:" in out
    assert ("test_hooks.py::test_from_bytes[float16]: backend 'array_api_strict' has no float16 dtype (optional: "
            "the Array API standard has none)") in out


def test_unknown_backend_is_a_usage_error(tmp_path):
    rc, out = _run(tmp_path, "--plait-backend=no_such_backend")
    assert rc == 4, out
    assert "--plait-backend=no_such_backend: no plait backend of that name is installed. Installed backends:" in out
    assert "'numpy'" in out


def test_plugin_raising_on_import_is_a_usage_error(tmp_path):
    _write(tmp_path, "raising_plugin_for_tests", "raise ImportError('deliberately broken')\n")
    rc, out = _run(tmp_path, "--plait-plugin=raising_plugin_for_tests")
    assert rc == 4, out
    assert ("--plait-plugin=raising_plugin_for_tests: importing 'raising_plugin_for_tests' failed: ImportError: "
            "deliberately broken") in out


def test_malformed_plugin_is_named(tmp_path):
    _write(tmp_path, "malformed_plugin_for_tests", '''
        from plait.hookspecs import hookimpl

        @hookimpl
        def plait_backends():
            return [{"name": "not a Backend instance"}]
    ''')
    rc, out = _run(tmp_path, "--plait-plugin=malformed_plugin_for_tests")
    assert rc == 4, out
    assert "--plait-plugin registered 0 new backend(s) []" in out
    assert "plugin 'malformed_plugin_for_tests': returned a malformed backend" in out


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_first_party_backends_conform(backend, tmp_path):
    rc, out = _run(tmp_path, f"--plait-backend={backend}", "-x")
    assert rc == 0, out[-6000:]
    assert f"plait conformance of backend {backend!r}: CONFORMS:" in out
