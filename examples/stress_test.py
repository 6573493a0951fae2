"""The pyramidal stress test (docs/ca3_protocol.md, 11) and seeded random sequences, scored per operation.

    python examples/stress_test.py [--backend NAME] [--variant faithful|gated]
"""
import argparse

from spikemem.models.ca3 import cases
from spikemem.models.ca3.memory import CA3Memory

parser = argparse.ArgumentParser()
parser.add_argument("--backend", default=None)
parser.add_argument("--variant", default="faithful")
args = parser.parse_args()

report = CA3Memory.run_cases([cases.stress_pyramidal()], args.backend, variant=args.variant)
print("pyramidal stress test:", report.counts())

for spacing in (None, 14):
    batch = [cases.random_case(5, 10, 60, seed=s, spacing=spacing, content="mixed") for s in range(16)]
    report = CA3Memory.run_cases(batch, args.backend, variant=args.variant)   # one batched run
    label = "minimum spacing" if spacing is None else f"{spacing} ms spacing"
    print(f"16 random sequences, {label}:", {k: f"{c}/{n}" for k, (c, n) in report.counts().items()})
