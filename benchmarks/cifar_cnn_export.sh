#!/usr/bin/env bash
# The reference CIFAR CNN's export and deploy check, with the peak memory of the whole run:
# writes 800 images in the real CIFAR-100 format (6 train + 2 test per class, tests/hlop_samples.py),
# trains 2 tasks for 1 epoch and exports (`spikemem continual --dataset cifar100 --arch cnn`), under
# /usr/bin/time -v. The export writes the convolutions as ConvolutionConnectors (docs/connectivity.md);
# as explicit lists the same step grew past 18 GB.
#   bash benchmarks/cifar_cnn_export.sh [WORK_DIR]          (default /tmp/spikemem_cifar_cnn)
# OPENBLAS_NUM_THREADS=1 makes the layer products about twice as fast on a loaded 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/spikemem_cifar_cnn}
rm -rf "$work" && mkdir -p "$work"
.venv/bin/python -c "
import sys, pathlib; sys.path.insert(0, 'tests')
from hlop_samples import write_cifar100
write_cifar100(pathlib.Path('$work/data'), per_class_train=6, per_class_test=2)"
/usr/bin/time -v .venv/bin/spikemem continual --dataset cifar100 --arch cnn --tasks 2 --epochs 1 \
    --data-dir "$work/data" --out "$work/run" 2> "$work/time.log" | tee "$work/out.log"
grep -E "exported network|Maximum resident|Elapsed" "$work/out.log" "$work/time.log"
