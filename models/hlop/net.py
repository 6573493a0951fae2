"""What every continual-learning network here shares: lateral modules, projectors, task heads, freezing.

A network has shared weight layers (each with a Lateral module of its presynaptic size) and,
in the task-incremental scenario, one linear head per task selected by the task id. The
projectors are what the projected gradients use: the Hebbian laterals for HLOP, the SVD bases
for GPM (same interface: project_out, old_rows, quantises).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from . import dsr
from .config import per_layer
from .conv import project_weight_grad
from .lateral import Lateral

HEAD_STD = 0.01          # task heads start N(0, 0.01) with zero bias (docs/continual_learning.md)


class ContinualNet(nn.Module):
    """Base: subclasses build `shared` (weights with a lateral each), `vth`, `laterals` and forward()."""

    proj_type = "input"

    def _init_common(self, n_features: int, n_out: int, multi_head: bool):
        self.n_features, self.n_out, self.multi_head = int(n_features), int(n_out), bool(multi_head)
        self.head_w = nn.ParameterList()
        self.head_b = nn.ParameterList()
        self.projectors = None

    # -- heads --------------------------------------------------------------------------------
    def add_head(self, generator: torch.Generator | None = None) -> None:
        w = torch.randn(self.n_out, self.n_features, generator=generator) * HEAD_STD
        dev = self.vth[0].device
        self.head_w.append(nn.Parameter(w.to(dev)))
        self.head_b.append(nn.Parameter(torch.zeros(self.n_out, device=dev)))

    def heads(self, feat: torch.Tensor, task) -> torch.Tensor:
        """Logits of the head of `task` (an int, or one task id per row)."""
        if isinstance(task, int):
            return feat @ self.head_w[task].T + self.head_b[task]
        out = feat.new_empty(feat.shape[0], self.n_out)
        for k in torch.unique(task).tolist():
            sel = task == k
            out[sel] = feat[sel] @ self.head_w[k].T + self.head_b[k]
        return out

    # -- projection ---------------------------------------------------------------------------
    def projector(self, layer: int, project: bool):
        if not project:
            return None
        p = (self.projectors or self.laterals)[layer]
        return p if p.old_rows().shape[0] else None

    def project_weight_grads(self) -> None:
        """Weight-mode layers: G − (G Hoᵀ) Ho after backward (input-mode layers were projected in it)."""
        for i in self.weight_mode_layers():
            project_weight_grad(self.shared_weights()[i], (self.projectors or self.laterals)[i])

    def weight_mode_layers(self) -> list:
        return []

    # -- HLOP bookkeeping ------------------------------------------------------------------------
    def hebb(self, rows, iterations: int) -> None:
        for lat, r in zip(self.laterals, rows):
            lat.hebb(r, iterations)

    def laterals_to(self, device):
        for lat in self.laterals:
            lat.to(device)

    def lateral_state(self) -> list:
        return [lat.state_dict() for lat in self.laterals]

    def load_lateral_state(self, states) -> None:
        for lat, st in zip(self.laterals, states):
            lat.load_state_dict(st)

    def shared_weights(self) -> list:
        raise NotImplementedError

    def batchnorms(self) -> list:
        return [m for m in self.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def freeze_after_first_task(self) -> None:
        """Batch norm to inference statistics and fixed affine, thresholds fixed (docs/continual_learning.md, freezing)."""
        for bn in self.batchnorms():
            bn.eval()
            for p in bn.parameters():
                p.requires_grad_(False)
        for v in self.vth:
            v.requires_grad_(False)

    def clip_thresholds(self) -> None:
        with torch.no_grad():
            for v in self.vth:
                v.clamp_(min=dsr.VTH_BOUND)


def make_laterals(sizes, hebb_lr, spiking: bool, steps: float) -> list:
    lrs = per_layer(hebb_lr, len(sizes), "hebb_lr")
    return [Lateral(n, lr, spiking, steps=steps) for n, lr in zip(sizes, lrs)]


def kaiming_conv(c_out: int, c_in: int, k: int, generator) -> torch.Tensor:
    """N(0, √(2/(k·k·C_out))): kaiming normal, fan_out, as the reference CNN and ResNet initialise convs."""
    return torch.randn(c_out, c_in, k, k, generator=generator) * math.sqrt(2.0 / (k * k * c_out))
