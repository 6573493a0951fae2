"""Hebbian lateral subspace neurons of one shared layer (docs/hlop.md, 2).

Rows of H are the lateral neurons' weights. Oja's subspace rule drives them to an orthonormal
basis of the principal subspace of the presynaptic activity; rows of finished tasks are frozen
and HᵀH of those rows is the projector that weight updates are made orthogonal to.
"""
from __future__ import annotations

import torch

MOMENTUM = 0.9
CLAMP = 10.0


class Lateral:
    def __init__(self, n_in: int, lr: float, spiking: bool = False, scale: float = 20.0, steps: float = 1000.0):
        self.n_in, self.lr = int(n_in), float(lr)
        self.spiking, self.scale, self.steps = bool(spiking), float(scale), float(steps)
        self.H = torch.zeros(0, self.n_in)
        self.D = torch.zeros(0, self.n_in)
        self.n_old = 0          # rows of merged (frozen) groups; the rest is being learned

    # -- growth ---------------------------------------------------------------------------
    def add(self, k: int, generator: torch.Generator, against_old: bool = False) -> None:
        """k new rows, orthonormal among themselves (not against the old rows), as torch's orthogonal_.

        against_old: start them orthogonal to the frozen rows too. Oja's rule only slowly removes a
        new row's component along the old subspace (at the rate of the variance the new rows
        capture); started there, the rows stay orthogonal and HᵀH stays a projector
        (docs/continual_learning.md, new lateral rows).
        """
        if k <= 0:
            return
        new = _orthogonal(k, self.n_in, generator).to(self.H)
        if against_old and self.n_old:
            Q, _ = torch.linalg.qr(self.H[:self.n_old].double().T)        # orthonormal basis of their span
            resid = new.double() - (new.double() @ Q) @ Q.T
            q, r = torch.linalg.qr(resid.T)
            new = (q * torch.sign(torch.diagonal(r))).T.to(self.H)
        self.H = torch.cat([self.H, new])
        self.D = torch.cat([self.D, torch.zeros_like(new)])

    def merge(self) -> None:
        self.n_old = self.H.shape[0]

    @property
    def quantises(self) -> bool:
        return self.spiking

    def old_rows(self) -> torch.Tensor:
        """The frozen rows Ho whose span weight updates are kept out of."""
        return self.H[:self.n_old]

    # -- lateral passes -------------------------------------------------------------------
    def quantise(self, y: torch.Tensor) -> torch.Tensor:
        """Rate-coded lateral neurons: signed counts over `steps` steps quantise y in [-scale, scale]."""
        if not self.spiking:
            return y
        s, n = self.scale, self.steps
        return torch.round(y.clamp(-s, s) / s * n) / n * s

    def project_out(self, x: torch.Tensor) -> torch.Tensor:
        """x − HoldᵀHold x: the part of x orthogonal to the old tasks' subspace."""
        if self.n_old == 0:
            return x
        Ho = self.H[:self.n_old]
        return x - self.quantise(x @ Ho.T) @ Ho

    @torch.no_grad()
    def hebb(self, R: torch.Tensor, iterations: int = 5) -> None:
        """Oja subspace steps on one minibatch R (B×N); old rows take part but stay fixed.

        y and x̂ use all rows; the old rows' share of them does not change between the
        iterations (R and H_old are fixed), so it is computed once.
        """
        n_old, M = self.n_old, self.H.shape[0]
        if M == n_old or R.shape[0] == 0:
            return
        B = R.shape[0]
        Ho = self.H[:n_old]
        res = R - self.quantise(R @ Ho.T) @ Ho if n_old else R
        Dn = self.D[n_old:]
        for _ in range(iterations):
            Hn = self.H[n_old:]
            y = self.quantise(R @ Hn.T)
            dH = (y.T @ (res - y @ Hn) / B).clamp_(-CLAMP, CLAMP)
            Dn.mul_(MOMENTUM).add_(dH, alpha=1.0 - MOMENTUM)
            Hn.add_(Dn, alpha=self.lr)

    def orthonormality_error(self) -> float:
        """‖HHᵀ − I‖_max over all rows: the projector is only valid when this is small."""
        if self.H.shape[0] == 0:
            return 0.0
        G = self.H @ self.H.T
        return float((G - torch.eye(G.shape[0], dtype=G.dtype)).abs().max())

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"H": self.H.clone(), "D": self.D.clone(), "n_old": self.n_old}

    def load_state_dict(self, d: dict) -> None:
        self.H, self.D, self.n_old = d["H"].clone(), d["D"].clone(), int(d["n_old"])

    def to(self, device) -> "Lateral":
        self.H, self.D = self.H.to(device), self.D.to(device)
        return self


def _orthogonal(rows: int, cols: int, generator: torch.Generator) -> torch.Tensor:
    """A rows×cols matrix with orthonormal rows (or columns when rows > cols), QR of a Gaussian."""
    flat = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(flat)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    q = q if rows >= cols else q.T
    return q.to(torch.float32)
