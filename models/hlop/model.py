"""The spiking MLP n_in–h–h–n_out of the PMNIST experiments (docs/hlop.md, 5), bias-free, one shared head.

Every weight layer is shared across tasks and carries a Lateral module. `neuron='dsr'` is the
DSR LIF network; `neuron='bptt'` is a surrogate-gradient BPTT network on snnTorch Leaky neurons.
With `multi_head` (task-incremental scenario) the shared classifier gives way to one linear head
per task on the second hidden layer's rates; only the two hidden layers are then shared.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.optional import require

from . import dsr
from .config import NEURONS
from .net import ContinualNet, make_laterals


class SpikingMLP(ContinualNet):
    def __init__(self, n_in: int, hidden: int, n_out: int, T: int, neuron: str = "dsr",
                 hebb_lr=(0.001, 0.01, 0.01), spiking_lateral: bool = False, lateral_steps: float = 1000.0,
                 generator: torch.Generator | None = None, multi_head: bool = False):
        super().__init__()
        if neuron not in NEURONS:
            raise ValidationError("neuron", neuron, f"must be one of {NEURONS}")
        if neuron == "bptt" and spiking_lateral:
            raise UnsupportedFeature("spiking lateral neurons with the BPTT variant (its projection is the "
                                     "weight-gradient form, exact only for unquantised lateral rates)")
        self.sizes = (n_in, hidden, hidden) if multi_head else (n_in, hidden, hidden, n_out)
        self.T, self.neuron = int(T), neuron
        self._init_common(hidden, n_out, multi_head)
        self.weights = nn.ParameterList([nn.Parameter(_linear_init(o, i, generator))
                                         for i, o in zip(self.sizes[:-1], self.sizes[1:])])
        self.vth = nn.ParameterList([nn.Parameter(torch.tensor(dsr.VTH_INIT)) for _ in range(2)])
        self.laterals = make_laterals(self.sizes[:-1], hebb_lr, spiking_lateral, lateral_steps)
        self._snn = None
        if neuron == "bptt":
            self._snn = _snntorch_neurons()

    # -- forward --------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, task=0, project: bool = False):
        """Logits (B, n_out) and the per-layer presynaptic rates the Hebbian rule learns from."""
        x = x.reshape(x.shape[0], -1)
        if self.neuron == "bptt":
            return self._forward_bptt(x, task)
        W1, W2 = self.weights[0], self.weights[1]
        s1 = dsr.DenseDSR.apply(x, W1, self.vth[0], self._grad_row(0, x, project), self.T)
        with torch.no_grad():
            m1, r1 = s1.mean(0), dsr.weighted_rate(s1)
        s2 = dsr.DenseDSR.apply(s1, W2, self.vth[1], self._grad_row(1, m1, project), self.T)
        r2 = dsr.weighted_rate(s2)
        r2d = r2.detach()
        # Hebbian inputs: the analog input, then the weighted firing rates (docs/hlop.md, 5)
        if self.multi_head:
            return self.heads(r2, task), [x.detach(), r1]
        logits = dsr.LinearGradRow.apply(r2, self.weights[2], self._grad_row(2, r2d, project))
        return logits, [x.detach(), r1, r2d]

    def _grad_row(self, layer: int, row: torch.Tensor, project: bool) -> torch.Tensor:
        p = self.projector(layer, project)
        with torch.no_grad():
            return p.project_out(row) if p is not None else row

    def _forward_bptt(self, x, task):
        lif1, lif2 = self._snn
        W1, W2 = self.weights[0], self.weights[1]
        mem1, mem2 = lif1.init_leaky(), lif2.init_leaky()
        s2sum, s1s, s2s = 0.0, [], []
        c1 = x @ W1.T
        for _ in range(self.T):
            s1, mem1 = lif1(c1, mem1)
            s2, mem2 = lif2(s1 @ W2.T, mem2)
            s2sum = s2sum + s2
            s1s.append(s1.detach())
            s2s.append(s2.detach())
        feat = s2sum / self.T
        if self.multi_head:
            return self.heads(feat, task), [x, torch.cat(s1s)]
        return feat @ self.weights[2].T, [x, torch.cat(s1s), torch.cat(s2s)]

    def shared_weights(self) -> list:
        return list(self.weights)

    def weight_mode_layers(self) -> list:
        """The BPTT variant projects G − G HoᵀHo (per-step inputs, unquantised); DSR projects inputs."""
        return list(range(len(self.weights))) if self.neuron == "bptt" else []


def _linear_init(n_out: int, n_in: int, generator) -> torch.Tensor:
    """torch.nn.Linear's default init (kaiming uniform, a=√5 → U(±1/√n_in)) from a seeded generator."""
    bound = 1.0 / math.sqrt(n_in)
    return (torch.rand(n_out, n_in, generator=generator) * 2 - 1) * bound


def _snntorch_neurons():
    snn = require("snntorch", "snntorch")
    from snntorch import surrogate
    # docs/hlop.md, 4: tau=2 without input decay (beta 0.5), threshold 1, soft reset (snnTorch detaches
    # it), sigmoid surrogate with alpha 4
    return tuple(snn.Leaky(beta=0.5, threshold=1.0, spike_grad=surrogate.sigmoid(slope=4),
                           reset_mechanism="subtract") for _ in range(2))
