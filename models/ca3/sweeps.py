"""Random-sequence stress runs and capacity sweeps of the CA3 memory: the CA3 CAM's rows of the
shared sweeps of spikemem.harness.stress (the published experiments are in cases.py)."""
from __future__ import annotations

from spikemem.harness import stress as shared

MODEL = "ca3"


def require_memory(C, N, n_ops, spacing, batch, variant) -> None:
    shared.require_memory(MODEL, C, N, n_ops, spacing, batch, variant)


def stress(C, N, n_ops, spacing, seed, batch=1, backend=None, variant="faithful", content="mixed",
           progress=None, numerics=None, workers=None, scheduler=None, **backend_options) -> dict:
    """Accuracy per operation kind over `batch` seeded random sequences (seeds seed..seed+batch-1)."""
    return shared.stress(MODEL, C, N, n_ops, spacing, seed, batch, backend, variant, content, progress, numerics,
                         workers, scheduler, **backend_options)


def stress_chunk(C, N, n_ops, spacing, seed_lo, seed_hi, backend, variant, content, backend_options, numerics=None):
    return shared.stress_chunk(MODEL, C, N, n_ops, spacing, seed_lo, seed_hi, backend, variant, content,
                               backend_options, numerics)


def capacity(sizes, n_seqs, n_ops, spacing, seed=0, backend=None, variant="faithful", progress=None,
             workers=None, scheduler=None, **backend_options) -> list:
    """One row per (C, N): accuracy per kind and recall accuracy by load; a chunk per (C, N)."""
    return shared.capacity(MODEL, sizes, n_seqs, n_ops, spacing, seed, backend, variant, progress, workers,
                           scheduler, "mixed", **backend_options)
