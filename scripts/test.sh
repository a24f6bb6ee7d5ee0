#!/usr/bin/env bash
# Install everything, then run the whole test suite: every test on the NumPy backend, then the core
# suite again on the array-api-strict backend (proof that the core uses only the Array API standard).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PYTHONDONTWRITEBYTECODE=1
echo "== plait test suite on the NumPy backend =="
.venv/bin/python -m pytest tests -q -p no:cacheprovider "$@"
echo "== plait core suite on the array-api-strict backend =="
PLAIT_BACKEND=array_api_strict .venv/bin/python -m pytest tests/core -q -p no:cacheprovider "$@"
