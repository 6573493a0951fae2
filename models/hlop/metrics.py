"""ACC and BWT of an accuracy matrix A[i, j] = test accuracy on task j after training task i (docs/hlop.md, 9)."""
from __future__ import annotations

import numpy as np


def acc(matrix) -> float:
    """Mean accuracy over all tasks after the last one."""
    m = np.asarray(matrix, dtype=float)
    return float(m[-1].mean()) if m.size else float("nan")


def bwt(matrix) -> float:
    """Backward transfer: mean over j < K−1 of A[K−1, j] − A[j, j]; 0 for a single task."""
    m = np.asarray(matrix, dtype=float)
    if m.shape[0] < 2:
        return 0.0
    if np.isnan(np.diag(m)).any():          # a joint-only multitask run has no per-task rows
        return float("nan")
    return float(np.mean((m[-1] - np.diag(m))[:-1]))


def matrix_list(matrix) -> list:
    """Lower-triangular rows as lists (row i holds tasks 0..i), rounded to 0.01."""
    m = np.asarray(matrix, dtype=float)
    return [[round(float(v), 2) if np.isfinite(v) else None for v in m[i, :i + 1]] for i in range(m.shape[0])]


def format_matrix(rows) -> str:
    return "\n".join(" ".join("    -" if v is None else f"{v:5.1f}" for v in row) for row in rows)


def signed(v) -> str:
    """A BWT figure for text: '+1.23', or '-' when the run has none (joint-only multitask)."""
    return "-" if v is None or not np.isfinite(v) else f"{v:+.2f}"
