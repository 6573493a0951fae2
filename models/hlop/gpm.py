"""Gradient Projection Memory (Saha, Garg & Roy, ICLR 2021), the SVD counterpart of HLOP's Hebbian subspace.

After each task a sample of the task's inputs to every shared layer (presynaptic rates; unfolded
patches for a conv layer) forms a representation matrix R (N × n). Its SVD gives the directions
that hold a fraction `threshold` of R's energy beyond what the stored basis already explains;
they are appended to the layer's basis (orthonormal columns, at most N). Later tasks' weight
gradients are projected orthogonally to the stored bases, with the same machinery as HLOP
(docs/continual_learning.md). Settings from the official code (github sahagobinda/GPM):
- main_pmnist.py: 300 random training examples per task; thresholds 0.95 / 0.99 / 0.99 for the
  three layers of the MLP, fixed over tasks;
- main_cifar100.py (conv net): 125 examples, of which the first 24 / 100 / 100 give the conv
  layers' patches; threshold 0.97 + 0.003·task for every layer;
- main_five_dataset.py (ResNet-18): 100 examples, 10 (early layers) to 100 (late layers)
  examples' patches per layer; threshold 0.965 fixed.
The energy criterion is the paper's Eq. 5 (first task) and Eq. 8–9 (later tasks).
"""
from __future__ import annotations

import numpy as np
import torch

from .config import per_layer
from .lateral import Lateral


class GPM:
    def __init__(self, sizes, thresholds, step: float = 0.0):
        self.bases = [Lateral(n, lr=0.0) for n in sizes]
        self.thresholds = per_layer(thresholds, len(sizes), "gpm_threshold")
        self.step = float(step)

    def threshold(self, layer: int, task: int) -> float:
        return min(self.thresholds[layer] + self.step * task, 1.0)

    @torch.no_grad()
    def update(self, reps, task: int) -> list:
        """Extend every layer's basis from its representation rows (n × N); returns the basis sizes."""
        for i, (basis, R) in enumerate(zip(self.bases, reps)):
            U = basis.old_rows().double().T.cpu()                            # N × r
            A = R.detach().double().cpu().T                                   # N × n
            new = energy_directions(A, U, self.threshold(i, task))
            if new.shape[1]:
                U = torch.cat([U, new], dim=1)[:, :A.shape[0]]
            basis.H = U.T.to(torch.float32).contiguous().to(basis.H.device if basis.H.numel() else R.device)
            basis.D = torch.zeros_like(basis.H)
            basis.n_old = basis.H.shape[0]
        return [b.n_old for b in self.bases]

    def to(self, device) -> "GPM":
        for b in self.bases:
            b.to(device)
        return self

    def state_dict(self) -> list:
        return [b.state_dict() for b in self.bases]

    def load_state_dict(self, states) -> None:
        for b, st in zip(self.bases, states):
            b.load_state_dict(st)


def energy_directions(A: torch.Tensor, U: torch.Tensor, threshold: float) -> torch.Tensor:
    """The new basis columns for representation A (N × n) given the stored basis U (N × r).

    Eq. 5: keep the top-k left singular vectors of A with k = #{cumulative energy < threshold}.
    Eq. 8–9: with a basis, take the residual Â = A − UUᵀA; its top directions are added while the
    energy explained so far ((‖A‖² − ‖Â‖²) plus theirs, over ‖A‖²) is below the threshold.
    """
    total = float((A * A).sum())
    if total == 0.0:
        return A.new_zeros(A.shape[0], 0)
    if U.shape[1] == 0:
        Uf, S, _ = torch.linalg.svd(A, full_matrices=False)
        ratio = (S * S) / total
        k = int((torch.cumsum(ratio, 0) < threshold).sum())
        return Uf[:, :k]
    R = A - U @ (U.T @ A)
    Ur, S, _ = torch.linalg.svd(R, full_matrices=False)
    explained = (total - float((R * R).sum())) / total
    steps = explained + np.cumsum((S * S).numpy() / total)
    before = np.concatenate([[explained], steps[:-1]])
    k = int((before < threshold).sum())
    return Ur[:, :k]
