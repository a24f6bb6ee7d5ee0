"""scripts/gpu_check.sh is run on a lent GPU machine with no chance to debug it there: its argument handling
and its step bookkeeping are checked here, on the CPU."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_check.sh"


def _run(*args, timeout=120):
    env = dict(os.environ, PYTHON=sys.executable)
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=ROOT)


@pytest.mark.parametrize("args, message", [
    (("--device", "tpu"), "--device must be cuda or cpu, got 'tpu'"),
    (("--frobnicate",), "unknown argument '--frobnicate'"),
])
def test_bad_arguments_are_refused_with_the_reason(args, message, tmp_path):
    result = _run(*args, "--out", str(tmp_path))
    assert result.returncode == 2 and message in result.stderr


def test_missing_wheels_folder_is_refused(tmp_path):
    result = _run("--wheels", str(tmp_path / "nowhere"), "--out", str(tmp_path))
    assert result.returncode == 2 and "no wheels in" in result.stderr


def test_help_shows_the_usage():
    result = _run("--help")
    assert result.returncode == 0 and "--device cuda|cpu" in result.stdout and "gpu_wheels.sh" in result.stdout


def test_a_selected_step_runs_and_is_summarised(tmp_path):
    result = _run("--device", "cpu", "--steps", "3", "--out", str(tmp_path))
    summary = (tmp_path / "summary.txt").read_text()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "step 3: cupy_backend_tests" in summary and "exit 0" in summary and "step 1" not in summary
    assert "passed" in (tmp_path / "3_cupy_backend_tests.log").read_text()
    assert "backend numpy: usable=True" in (tmp_path / "0_environment.log").read_text()
