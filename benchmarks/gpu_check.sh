#!/usr/bin/env bash
# Issue 5's CUDA checks in one run, for a machine with an NVIDIA GPU and no internet: the device
# tool's image has python3 with a CUDA build of torch, numpy and pytest, but not snnTorch, Norse
# or NIR. Those are pure Python; --prepare copies them from this checkout's .venv.
#
#   here:            bash benchmarks/gpu_check.sh --prepare      # writes .gpu_site/ (git-ignored)
#   on the GPU box:  bash benchmarks/gpu_check.sh [RESULTS_DIR]  # carry .gpu_site; default $OUT or ./gpu_results
#
# It runs the gpu-marked tests (torch float64/float32 against the reference, golden recordings,
# snnTorch and Norse functional tests on CUDA), the whole CA3 harness on torch-cuda, a short HLOP
# run on CUDA and on CPU, and `spikemem bench backends` with torch-cuda beside the CPU engines,
# and saves logs and the benchmark's JSON in RESULTS_DIR. Budget: about 7 minutes on an H100.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
    site=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    rm -rf .gpu_site && mkdir .gpu_site
    for pkg in snntorch norse nir nirtorch; do
        cp -r "$site/$pkg" "$site/$pkg"-*.dist-info .gpu_site/
    done
    grep -qx '/.gpu_site/' .git/info/exclude 2>/dev/null || echo '/.gpu_site/' >> .git/info/exclude
    du -sh .gpu_site
    exit 0
fi

results=${1:-${OUT:-gpu_results}}
mkdir -p "$results"
export PYTHONPATH="$PWD/.gpu_site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python3 -m pip install -q --no-deps --no-build-isolation --no-index -e . || exit 1
python3 - <<'PY' || exit 1
import torch
assert torch.cuda.is_available(), "no CUDA device visible to torch"
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
PY
status=0
python3 -m pytest -q -p no:cacheprovider -m gpu tests/test_torch_backend.py tests/test_snntorch_norse.py tests/test_sessions.py 2>&1 \
    | tee "$results/gpu_tests.log" || status=1
python3 -m pytest -q -p no:cacheprovider tests/test_harness_ca3.py --spikemem-backend=torch --spikemem-device=cuda 2>&1 \
    | tee "$results/harness_torch_cuda.log" || status=1
for dev in cpu cuda; do     # HLOP (docs/hlop.md) on CUDA beside CPU: a 3-task digits smoke run each
    python3 -m spikemem continual --dataset digits --tasks 3 --epochs 2 --device $dev --no-plot \
        --export-samples 0 --out "$(mktemp -d)/hlop_$dev" 2>&1 | tee "$results/hlop_$dev.log" || status=1
done
# The full 10-split CIFAR-100 HLOP run (reference settings: CNN 64/128/256, T=20, 200 epochs per task,
# SGD momentum 0.9, cosine schedule) on CUDA, when CIFAR-100 is at hand: set HLOP_CIFAR100_DIR to
# the folder holding cifar-100-python/. Hours on one GPU; never run by CI, and not yet run anywhere.
if [ -n "${HLOP_CIFAR100_DIR:-}" ]; then
    python3 -m spikemem continual --dataset cifar100 --data-dir "$HLOP_CIFAR100_DIR" --method hlop --device cuda \
        --threads 4 --no-plot --export-samples 0 --out "$results/cifar100_hlop" 2>&1 \
        | tee "$results/cifar100_hlop.log" || status=1
else
    echo "cifar100 HLOP run skipped: set HLOP_CIFAR100_DIR=DIR (DIR/cifar-100-python/{train,test,meta})" \
        | tee "$results/cifar100_hlop.log"
fi
python3 -m spikemem bench backends --budget 100 --json > "$results/bench_backends.json" 2> "$results/bench_backends.err" \
    || status=1
python3 - "$results/bench_backends.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
for r in rows:
    fig = (f"{r['sim_ms_per_s']:>14,.0f} sim ms/s  x ref {r.get('x_reference', float('nan')):7.2f}  "
           f"peak GPU MiB {r.get('peak_gpu_mib') or 0:8.0f}") if "wall_s" in r else r.get("skipped", r.get("error"))
    print(f"{r['backend']:<11} {r['batch']:>5}  {fig}")
PY
exit $status
