#!/usr/bin/env bash
# Create .venv (if missing) and install every plait distribution from this checkout into it, plus the
# tools the demo and the tests use. Safe to run again: it reinstalls plait's own packages only.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check "setuptools>=61" wheel
.venv/bin/python -m pip install -q --disable-pip-version-check \
  "pluggy>=1.3" "array-api-compat>=1.9" "numpy>=1.26" "tensorboard>=2.12" "scikit-learn>=1.3" "tqdm>=4" \
  "pytest>=7" "array-api-strict>=2.3" "safetensors>=0.4" "mpi4py>=4" "mpich" \
  "onnx>=1.15" "onnxruntime>=1.17" ${PLAIT_EXTRA_PACKAGES:-}
# PyTorch's CPU build, for the plait-torch backend (a second third-party-style backend the tests check).
# Set PLAIT_SKIP_TORCH=1 to leave it out; its tests then skip with a reason.
if [ -z "${PLAIT_SKIP_TORCH:-}" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0"
fi
# The plait distributions themselves: core, backends, plugins, and the test-only strict backend.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall \
  . ./backends/numpy_backend ./backends/cupy_backend ./backends/torch_backend ./plugins/nn ./plugins/optim \
  ./plugins/tensorboard ./tests/strict_backend
