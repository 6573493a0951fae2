"""Random-sequence stress runs and capacity sweeps of the CA3 memory, batched (the published
experiments are in cases.py).

Both are sweeps of independent chunks of trials (spikemem.sweeps): in-process by default, on a
Dask cluster with workers=N or scheduler=ADDRESS, with the same seeds and the same results.
"""
from __future__ import annotations

import numpy as np

from spikemem.engine import budget
from spikemem.harness.operations import KINDS, LEARN
from spikemem.harness.oracle import IdealCAM
from spikemem.sweeps import run_chunks

from . import cases as hc
from .builder import build_cam
from .memory import CA3Memory
from .variants import variant_params

CHUNK = 64   # trials per backend call: progress granularity and a memory bound
OP_BYTES = 600   # one scheduled operation as Python objects (time, op, frozenset of bits) and its input spikes


def require_memory(C, N, n_ops, spacing, batch, variant) -> None:
    """Refuse, before any case is generated, a sweep whose chunk of trials cannot fit in memory."""
    params = variant_params(variant)
    net, trials = build_cam(C, N, params), min(batch, CHUNK)
    gap = max(max(hc.MIN_GAP.values()), hc.check_spacing(spacing) or 0)

    def est(ops):
        steps = int((ops * gap + max(params.window_ms, hc.WINDOW) + 1) / params.dt) + 1
        spikes = trials * ops * 3 * (1 + max(1, N // 4))        # a learn: 3 x (cue + its bits)
        return budget.estimate(net, trials, steps, spikes) + budget.objects(trials * ops, OP_BYTES, "operation lists")

    lim = budget.limit()
    if lim is None or est(n_ops).total <= lim:
        return
    lo, hi = 0, n_ops                      # the most operations that fit: est() grows with ops
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if est(mid).total <= lim else (lo, mid - 1)
    budget.require(est(n_ops), f"a {C}x{N} memory with {trials} sequence(s) of {n_ops} operations", params.dt,
                   hint=f"at most {lo} operations per sequence fit" if lo else None)


def stress(C, N, n_ops, spacing, seed, batch=1, backend=None, variant="faithful", content="mixed",
           progress=None, numerics=None, workers=None, scheduler=None, **backend_options) -> dict:
    """Accuracy per operation kind over `batch` seeded random sequences (seeds seed..seed+batch-1)."""
    from spikemem.description import validation
    validation.integer("seed", seed, lo=0)
    validation.integer("batch", batch, lo=1, hi=2**63 - seed)       # every seed must be a valid seed
    require_memory(C, N, n_ops, spacing, batch, variant)
    counts = {k: [0, 0] for k in (*KINDS, "overall")}
    chunks = [(C, N, n_ops, spacing, seed + lo, seed + min(batch, lo + CHUNK), backend, variant, content,
               backend_options, numerics) for lo in range(0, batch, CHUNK)]
    label = {}
    for label, part in run_chunks(stress_chunk, chunks, workers=workers, scheduler=scheduler, label=f"stress {C}x{N}",
                                  sizes=[c[5] - c[4] for c in chunks], progress=progress):
        for k, (c, n) in part.items():
            counts[k][0] += c
            counts[k][1] += n
    return {**label, "memories": C, "bits": N, "spacing_ms": spacing, "seed": seed, "batch": batch,
            "content_queries": content,
            "accuracy": {k: (c / n if n else None) for k, (c, n) in counts.items()},
            "counts": {k: v for k, v in counts.items()}, "operations": counts["overall"][1]}


def stress_chunk(C, N, n_ops, spacing, seed_lo, seed_hi, backend, variant, content, backend_options, numerics=None):
    """One chunk of a stress sweep: (report label, counts per kind) of seeds [seed_lo, seed_hi)."""
    cases = [hc.random_case(C, N, n_ops, s, spacing, content) for s in range(seed_lo, seed_hi)]
    report = CA3Memory.run_cases(cases, backend, variant=variant, numerics=numerics, **backend_options)
    return report.label, report.counts()


def op_loads(case) -> np.ndarray:
    """Per operation: stored memories x their bits / N, before the operation (memories per bit)."""
    cam = IdealCAM(case.C, case.N)
    loads = []
    for op in case.ops:
        loads.append(sum(len(b) for b in cam.content.values()) / case.N)
        cam.apply(op)
    return np.array(loads)


def capacity(sizes, n_seqs, n_ops, spacing, seed=0, backend=None, variant="faithful", progress=None,
             workers=None, scheduler=None, **backend_options) -> list:
    """One row per (C, N): accuracy per kind and recall accuracy by load; a chunk per (C, N)."""
    combos = [(C, N) for C in sizes for N in sizes]
    for C, N in combos:
        require_memory(C, N, n_ops, spacing, n_seqs, variant)
    chunks = [(C, N, n_seqs, n_ops, spacing, seed, backend, variant, backend_options) for C, N in combos]
    return run_chunks(capacity_row, chunks, workers=workers, scheduler=scheduler, label="capacity",
                      sizes=[n_seqs] * len(chunks), progress=progress)


def capacity_row(C, N, n_seqs, n_ops, spacing, seed, backend, variant, backend_options) -> dict:
    from .plots import bin_by_load
    edges = np.array([0, 0.25, 0.5, 1, 2, 4, 8, 16, 1e9])
    cases = [hc.random_case(C, N, n_ops, seed + s, spacing, "mixed") for s in range(n_seqs)]
    report = CA3Memory.run_cases(cases, backend, variant=variant, **backend_options)
    loads = np.array([op_loads(c) for c in cases])
    recall = (report.kinds != LEARN) & (report.kinds != "")
    acc = report.accuracy()
    return {"C": C, "N": N, "sequences": n_seqs, "operations": int((report.kinds != "").sum()),
            **{k: acc[k] for k in (*KINDS, "overall")},
            "load_bins": [float(x) for x in (edges[:-1] + np.minimum(edges[1:], 32)) / 2],
            "recall_accuracy_by_load": bin_by_load(loads[recall], report.correct[recall], edges)}
