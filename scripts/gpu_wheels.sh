#!/usr/bin/env bash
# Build every plait distribution as a wheel into .whl/ (git-ignored), with array-api-compat beside them:
# what scripts/gpu_check.sh installs on a GPU machine that has no network (its image has CuPy, PyTorch,
# NumPy, pluggy, pytest, tensorboard, scikit-learn and tqdm, but not array-api-compat).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
rm -rf .whl && mkdir -p .whl
"$PY" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w .whl \
  . ./backends/numpy_backend ./backends/cupy_backend ./backends/torch_backend ./plugins/nn ./plugins/optim \
  ./plugins/tensorboard
"$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: -d .whl "array-api-compat>=1.9"
ls .whl
