#!/usr/bin/env bash
# The GPU check of plait-cupy (issue 16): install plait from wheels, then run the conformance suite, the
# test suite, the CuPy backend's own tests, the demo and the CUDA benchmarks, one log per step.
#
#   bash scripts/gpu_wheels.sh                           # here: plait's wheels + array-api-compat into .whl/
#   bash scripts/gpu_check.sh --wheels .whl --out "$OUT" # on the GPU machine (about 8 minutes)
#   bash scripts/gpu_check.sh --wheels .whl --device cpu --quick   # the same steps on a CPU, to test the script
#
# Options: --wheels DIR (install these into a private folder on PYTHONPATH; without it, use the plait
# already importable), --out DIR (logs; default ./gpu_check_out), --device cuda|cpu (default cuda),
# --quick (smaller benchmarks, the test subset tests/core only), --steps 1,2,... (default all five).
# Each step runs under its own time limit (475 s in all, inside the device tool's 600 s per command);
# summary.txt lists each step's exit status (124: it ran past its limit) and log.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
wheels="" out=./gpu_check_out device=cuda quick="" steps=1,2,3,4,5
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels) wheels=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --steps) steps=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$device" in cuda|cpu) ;; *) echo "gpu_check.sh: --device must be cuda or cpu, got '$device'" >&2; exit 2 ;; esac
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
summary="$out/summary.txt"
: > "$summary"

if [ -n "$wheels" ]; then
  ls "$wheels"/*.whl >/dev/null 2>&1 || { echo "gpu_check.sh: no wheels in '$wheels' (run scripts/gpu_wheels.sh)" >&2; exit 2; }
  site=$(mktemp -d /tmp/plait-site.XXXXXX)
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$wheels"/*.whl \
    > "$out/0_install.log" 2>&1 || { echo "install failed, see $out/0_install.log" >&2; cat "$out/0_install.log" >&2; exit 2; }
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
backend=$([ "$device" = cuda ] && echo cupy || echo numpy)
"$PY" - "$device" <<'EOF' 2>&1 | tee "$out/0_environment.log"
import sys, plait
print("python", sys.version.split()[0], "| plait from", plait.__file__)
for name, info in sorted(plait.backends.available().items()):
    print(f"  backend {name}: usable={info['usable']} {info.get('error') or ''}")
if sys.argv[1] == "cuda":
    print("cuda available:", plait.cuda.is_available(), "| devices:", plait.cuda.device_count())
EOF

run_step() {  # run_step NUMBER NAME LIMIT_S COMMAND...
  local n=$1 name=$2 limit=$3; shift 3
  case ",$steps," in *",$n,"*) ;; *) return 0 ;; esac
  local log="$out/${n}_${name}.log" t0=$SECONDS
  echo "== step $n: $name (limit ${limit}s) ==" | tee -a "$summary"
  timeout -k 10 "$limit" "$@" > "$log" 2>&1
  local rc=$?
  local last
  last=$(grep -E 'passed|failed|error|CONFORMS|accuracy' "$log" | tail -n 1)
  echo "   exit $rc after $((SECONDS - t0)) s; $log; ${last:-$(tail -n 1 "$log")}" | tee -a "$summary"
}

pytest_args=(-q -p no:cacheprovider -rfEs)
tests=(tests/core tests/nn tests/optim)
[ -n "$quick" ] && tests=(tests/core)
run_step 1 conformance 60 "$PY" -m pytest --pyargs plait.testing.conformance --plait-backend="$backend" "${pytest_args[@]}"
run_step 2 test_suite 210 env PLAIT_DEVICE="$device" "$PY" -m pytest "${tests[@]}" "${pytest_args[@]}" --maxfail=50
run_step 3 cupy_backend_tests 45 "$PY" -m pytest tests/backends/test_cupy_backend.py "${pytest_args[@]}"
run_step 4 demo 60 "$PY" examples/demo.py --device "$device" --epochs 3 --no-progress \
  --logdir "$out/runs" --checkpoint "$out/digits_cnn.pt"
run_step 5 benchmarks 100 "$PY" benchmarks/bench_cuda.py --device "$device" ${quick:+--quick}
echo "== summary: $summary =="
cat "$summary"
! grep -qE '^   exit [1-9]' "$summary"
