#!/usr/bin/env bash
# Install everything, then run the whole test suite:
#   1. the backend conformance suite (shipped in plait.testing) on every backend usable here, each with
#      its report;
#   2. the core, nn and ONNX suites on the array-api-strict backend (proof that the core and the layers use
#      only the Array API);
#   3. every test on the default (NumPy) backend.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PYTHONDONTWRITEBYTECODE=1
for backend in numpy array_api_strict torch cupy; do
  why=$(.venv/bin/python -c "import plait; b = plait.backends.available().get('$backend'); \
print('' if b and b['usable'] else (b and b['error']) or 'not installed')")
  if [ -z "$why" ]; then
    echo "== plait backend conformance: $backend =="
    .venv/bin/python -m pytest --pyargs plait.testing.conformance --plait-backend="$backend" -q -p no:cacheprovider
  else
    echo "== plait backend conformance: $backend skipped, not usable here: $why =="
  fi
done
echo "== plait core, nn and onnx suites on the array-api-strict backend =="
PLAIT_BACKEND=array_api_strict .venv/bin/python -m pytest tests/core tests/nn tests/onnx -q -p no:cacheprovider "$@"
echo "== plait test suite on the NumPy backend =="
.venv/bin/python -m pytest tests -q -p no:cacheprovider "$@"
