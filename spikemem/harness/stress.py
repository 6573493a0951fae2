"""Random-sequence stress runs and capacity sweeps of any memory model, batched.

Both are sweeps of independent chunks of trials (spikemem.sweeps): in-process by default, on a
Dask cluster with workers=N or scheduler=ADDRESS, with the same seeds and the same results. A
chunk names its model, so a worker finds it by name (the `spikemem.memories` entry points).
What a model tells the sweep beyond spikemem.contracts.MemoryModel (all optional):
`content_queries` (the random recalls by content it has; the last is the default), `oracle`
(its ideal memory; IdealCAM), `max_gap_ms` and `window_ms` (its longest minimum spacing and
its decode window; 7 ms each) and `spikes_per_op(N)` (input spikes of one operation) for the
memory estimate, and `valid_size(C, N)` for the capacity sweep.
"""
from __future__ import annotations

import numpy as np

from ..description import validation
from ..engine import budget
from ..sweeps import run_chunks
from .operations import KINDS, LEARN
from .oracle import IdealCAM
from .runner import memory_model

CHUNK = 64   # trials per backend call: progress granularity and a memory bound
OP_BYTES = 600   # one scheduled operation as Python objects (time, op, frozenset of bits) and its input spikes
LOAD_EDGES = np.array([0, 0.25, 0.5, 1, 2, 4, 8, 16, 1e9])


def default_content(mem) -> str:
    return getattr(mem, "content_queries", ("single", "mixed"))[-1]


def _spikes_per_op(mem, N: int) -> int:
    f = getattr(mem, "spikes_per_op", None)
    return f(N) if f is not None else 3 * (1 + max(1, N // 4))     # a learn: 3 x (cue + its bits)


def require_memory(model: str, C, N, n_ops, spacing, batch, variant) -> None:
    """Refuse, before any case is generated, a sweep whose chunk of trials cannot fit in memory."""
    mem = memory_model(model)
    net, trials = mem.network(C, N, variant), min(batch, CHUNK)
    gap = max(getattr(mem, "max_gap_ms", 7.0), spacing or 0)
    window, dt = getattr(mem, "window_ms", 7.0), net.simulation.dt

    def est(ops):
        steps = int((ops * gap + window + 1) / dt) + 1
        spikes = trials * ops * _spikes_per_op(mem, N)
        return budget.estimate(net, trials, steps, spikes) + budget.objects(trials * ops, OP_BYTES, "operation lists")

    lim = budget.limit()
    if lim is None or est(n_ops).total <= lim:
        return
    lo, hi = 0, n_ops                      # the most operations that fit: est() grows with ops
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if est(mid).total <= lim else (lo, mid - 1)
    budget.require(est(n_ops), f"a {C}x{N} memory with {trials} sequence(s) of {n_ops} operations", dt,
                   hint=f"at most {lo} operations per sequence fit" if lo else None)


def stress(model: str, C, N, n_ops, spacing, seed, batch=1, backend=None, variant="faithful", content=None,
           progress=None, numerics=None, workers=None, scheduler=None, **backend_options) -> dict:
    """Accuracy per operation kind over `batch` seeded random sequences (seeds seed..seed+batch-1)."""
    validation.integer("seed", seed, lo=0)
    validation.integer("batch", batch, lo=1, hi=2**63 - seed)       # every seed must be a valid seed
    content = content or default_content(memory_model(model))
    require_memory(model, C, N, n_ops, spacing, batch, variant)
    counts = {k: [0, 0] for k in (*KINDS, "overall")}
    chunks = [(model, C, N, n_ops, spacing, seed + lo, seed + min(batch, lo + CHUNK), backend, variant, content,
               backend_options, numerics) for lo in range(0, batch, CHUNK)]
    label = {}
    for label, part in run_chunks(stress_chunk, chunks, workers=workers, scheduler=scheduler,
                                  label=f"stress {C}x{N}", sizes=[c[6] - c[5] for c in chunks], progress=progress):
        for k, (c, n) in part.items():
            counts[k][0] += c
            counts[k][1] += n
    return {**label, "model": model, "memories": C, "bits": N, "spacing_ms": spacing, "seed": seed, "batch": batch,
            "content_queries": content,
            "accuracy": {k: (c / n if n else None) for k, (c, n) in counts.items()},
            "counts": {k: v for k, v in counts.items()}, "operations": counts["overall"][1]}


def stress_chunk(model, C, N, n_ops, spacing, seed_lo, seed_hi, backend, variant, content, backend_options,
                 numerics=None):
    """One chunk of a stress sweep: (report label, counts per kind) of seeds [seed_lo, seed_hi)."""
    mem = memory_model(model)
    cases = [mem.random_case(C, N, n_ops, s, spacing, content) for s in range(seed_lo, seed_hi)]
    report = mem.run_cases(cases, backend, variant=variant, numerics=numerics, **backend_options)
    return report.label, report.counts()


def op_loads(case, oracle=IdealCAM) -> np.ndarray:
    """Per operation: the bits the ideal memory holds before it, over N (memories per content bit)."""
    ideal = oracle(case.C, case.N)
    loads = []
    for op in case.ops:
        loads.append(ideal.load())
        ideal.apply(op)
    return np.array(loads)


def bin_by_load(loads: np.ndarray, correct: np.ndarray, edges: np.ndarray = LOAD_EDGES) -> list:
    idx = np.clip(np.digitize(loads, edges) - 1, 0, len(edges) - 2)
    return [float(correct[idx == i].mean()) if (idx == i).any() else None for i in range(len(edges) - 1)]


def capacity(model: str, sizes, n_seqs, n_ops, spacing, seed=0, backend=None, variant="faithful", progress=None,
             workers=None, scheduler=None, content=None, **backend_options) -> list:
    """One row per (C, N): accuracy per kind and recall accuracy by load; a chunk per (C, N). A
    model's `valid_size(C, N)` (optional) leaves out pairs it cannot be built with."""
    valid = getattr(memory_model(model), "valid_size", lambda C, N: True)
    combos = [(C, N) for C in sizes for N in sizes if valid(C, N)]
    for C, N in combos:
        require_memory(model, C, N, n_ops, spacing, n_seqs, variant)
    content = content or default_content(memory_model(model))
    chunks = [(model, C, N, n_seqs, n_ops, spacing, seed, backend, variant, backend_options, content) for C, N in combos]
    return run_chunks(capacity_row, chunks, workers=workers, scheduler=scheduler, label="capacity",
                      sizes=[n_seqs] * len(chunks), progress=progress)


def capacity_row(model, C, N, n_seqs, n_ops, spacing, seed, backend, variant, backend_options, content) -> dict:
    mem = memory_model(model)
    cases = [mem.random_case(C, N, n_ops, seed + s, spacing, content) for s in range(n_seqs)]
    report = mem.run_cases(cases, backend, variant=variant, **backend_options)
    loads = np.array([op_loads(c, getattr(mem, "oracle", IdealCAM)) for c in cases])
    recall = (report.kinds != LEARN) & (report.kinds != "")
    acc = report.accuracy()
    return {"C": C, "N": N, "sequences": n_seqs, "operations": int((report.kinds != "").sum()),
            **{k: acc[k] for k in (*KINDS, "overall")},
            "load_bins": [float(x) for x in (LOAD_EDGES[:-1] + np.minimum(LOAD_EDGES[1:], 32)) / 2],
            "recall_accuracy_by_load": bin_by_load(loads[recall], report.correct[recall])}
