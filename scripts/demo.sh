#!/usr/bin/env bash
# The main job: install everything, then train the digits CNN on the NumPy backend (flags pass through,
# e.g. `bash scripts/demo.sh --epochs 3 --device cpu`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python examples/demo.py "$@"
