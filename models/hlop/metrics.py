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
    return float(np.mean((m[-1] - np.diag(m))[:-1]))


def matrix_list(matrix) -> list:
    """Lower-triangular rows as lists (row i holds tasks 0..i), rounded to 0.01."""
    m = np.asarray(matrix, dtype=float)
    return [[round(float(v), 2) for v in m[i, :i + 1]] for i in range(m.shape[0])]


def format_matrix(rows) -> str:
    return "\n".join(" ".join(f"{v:5.1f}" for v in row) for row in rows)
