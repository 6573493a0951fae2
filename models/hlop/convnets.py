"""Convolutional spiking networks on DSR LIF neurons (docs/continual_learning.md), with a lateral module per conv.

- SpikingCNN: [conv3×3 → BN → LIF → AvgPool2] × 3 (64/128/256 channels by default), flatten,
  head(s) on the weighted firing rates: the 10-split CIFAR-100 network.
- SpikingResNet18: pre-activation ResNet-18 [2, 2, 2, 2] with nf base channels (20), blocks
  BN → LIF → conv3×3 → BN → LIF → conv3×3 plus the identity or a 1×1 conv of the activated
  input; final BN → LIF → global average pool → head(s): the miniImageNet / 5-Datasets network.

Tensors run time-major, (T·B, C, H, W), so conv and batch norm see every step as a sample, as
the official code does. The image input is constant over time: the first conv runs once.
Hebbian rows of a conv layer are the unfolded patches of its input's weighted firing rate.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import dsr
from .conv import conv, patches
from .net import ContinualNet, kaiming_conv, make_laterals


class _ConvSpec:
    """One shared conv layer: weight index, kernel, stride, padding (and its lateral's input size)."""

    def __init__(self, c_in, c_out, k, stride, padding):
        self.c_in, self.c_out, self.k, self.stride, self.padding = c_in, c_out, k, stride, padding

    @property
    def n_in(self) -> int:
        return self.c_in * self.k * self.k


class _ConvNet(ContinualNet):
    """Shared helpers: the conv weights, their laterals, projected convs and the classifier."""

    def _build(self, specs, n_features, n_out, multi_head, hebb_lr, spiking, steps, generator, proj_type):
        self.specs = specs
        self.proj_type = proj_type
        self._init_common(n_features, n_out, multi_head)
        self.convs = nn.ParameterList([nn.Parameter(kaiming_conv(s.c_out, s.c_in, s.k, generator)) for s in specs])
        sizes = [s.n_in for s in specs]
        self.classifier = None
        if not multi_head:                      # shared classifier: bias-free and projected (docs/hlop.md, 5)
            self.classifier = nn.Parameter(torch.randn(n_out, n_features, generator=generator) * 0.01)
            sizes.append(n_features)
        self.laterals = make_laterals(sizes, hebb_lr, spiking, steps)

    def shared_weights(self) -> list:
        return list(self.convs) + ([self.classifier] if self.classifier is not None else [])

    def weight_mode_layers(self) -> list:
        return list(range(len(self.specs))) if self.proj_type == "weight" else []

    def _conv(self, i: int, x: torch.Tensor, project: bool, T: int) -> torch.Tensor:
        s = self.specs[i]
        p = self.projector(i, project) if self.proj_type == "input" else None
        return conv(x, self.convs[i], s.stride, s.padding, p, T)

    def _rows(self, i: int, rate: torch.Tensor) -> torch.Tensor:
        s = self.specs[i]
        with torch.no_grad():
            return patches(rate.detach(), s.k, s.stride, s.padding)

    def _classify(self, feat: torch.Tensor, task, project: bool, rows: list):
        if self.multi_head:
            return self.heads(feat, task)
        n = len(self.specs)
        fd = feat.detach()
        rows.append(fd)
        p = self.projector(n, project)
        with torch.no_grad():
            row = p.project_out(fd) if p is not None else fd
        return dsr.LinearGradRow.apply(feat, self.classifier, row)


def _lif(current: torch.Tensor, vth, T: int, const: bool) -> torch.Tensor:
    """LIF on (T·B, ...) or constant (B, ...) currents; spikes (T·B, ...)."""
    if const:
        return dsr.LIF.apply(current, vth, T, True).flatten(0, 1)
    return dsr.LIF.apply(current.reshape(T, -1, *current.shape[1:]), vth, T, False).flatten(0, 1)


def _rate(spikes: torch.Tensor, T: int) -> torch.Tensor:
    return dsr.weighted_rate(spikes.reshape(T, -1, *spikes.shape[1:]))


class SpikingCNN(_ConvNet):
    def __init__(self, in_shape, n_out: int, T: int, channels=(64, 128, 256), multi_head: bool = True,
                 hebb_lr=(0.01,), spiking_lateral: bool = False, lateral_steps: float = 1000.0,
                 generator: torch.Generator | None = None, proj_type: str = "input"):
        super().__init__()
        c, h, w = in_shape
        self.T = int(T)
        specs, c_in = [], c
        for c_out in channels:
            specs.append(_ConvSpec(c_in, c_out, 3, 1, 1))
            c_in = c_out
            h, w = h // 2, w // 2
        n_features = c_in * h * w
        self._build(specs, n_features, n_out, multi_head, hebb_lr, spiking_lateral, lateral_steps, generator, proj_type)
        self.bns = nn.ModuleList([nn.BatchNorm2d(s.c_out) for s in specs])
        self.vth = nn.ParameterList([nn.Parameter(torch.tensor(dsr.VTH_INIT)) for _ in specs])

    def forward(self, x: torch.Tensor, task=0, project: bool = False):
        T = self.T
        rows, rate, h = [], x, x
        for i in range(len(self.specs)):
            rows.append(self._rows(i, rate))
            const = i == 0
            cur = self.bns[i](self._conv(i, h, project, 1 if const else T))
            s = F.avg_pool2d(_lif(cur, self.vth[i], T, const), 2)
            rate = _rate(s, T)
            h = s
        feat = rate.flatten(1)                    # wfr of the pooled spikes; the head is linear
        return self._classify(feat, task, project, rows), rows


class _Block(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(c_in), nn.BatchNorm2d(c_out)
        self.specs = [_ConvSpec(c_in, c_out, 3, stride, 1), _ConvSpec(c_out, c_out, 3, 1, 1)]
        if stride != 1 or c_in != c_out:
            self.specs.append(_ConvSpec(c_in, c_out, 1, stride, 0))


class SpikingResNet18(_ConvNet):
    """Pre-activation spiking ResNet-18; laterals in the reference order: first conv, then per block
    [conv1, conv2(, downsample)]. first_kernel 5 (stride 2, padding 2) is miniImageNet's stem."""

    def __init__(self, in_shape, n_out: int, T: int, nf: int = 20, multi_head: bool = True, hebb_lr=(0.01,),
                 spiking_lateral: bool = False, lateral_steps: float = 1000.0,
                 generator: torch.Generator | None = None, proj_type: str = "input", first_kernel: int = 3):
        super().__init__()
        c = in_shape[0]
        self.T = int(T)
        stem = _ConvSpec(c, nf, 5, 2, 2) if first_kernel == 5 else _ConvSpec(c, nf, 3, 1, 1)
        blocks, c_in = [], nf
        for width, stride in ((nf, 1), (2 * nf, 2), (4 * nf, 2), (8 * nf, 2)):
            for s in (stride, 1):
                blocks.append(_Block(c_in, width, s))
                c_in = width
        self.blocks = nn.ModuleList(blocks)
        specs = [stem] + [s for b in blocks for s in b.specs]
        self._build(specs, c_in, n_out, multi_head, hebb_lr, spiking_lateral, lateral_steps, generator, proj_type)
        self.bn_out = nn.BatchNorm2d(c_in)
        self.vth = nn.ParameterList([nn.Parameter(torch.tensor(dsr.VTH_INIT)) for _ in range(2 * len(blocks) + 1)])

    def forward(self, x: torch.Tensor, task=0, project: bool = False):
        T = self.T
        rows = [self._rows(0, x)]
        out = self._conv(0, x, project, 1)
        out = out.unsqueeze(0).expand(T, *out.shape).flatten(0, 1)       # constant current, T copies
        li, vi = 1, 0
        for b in self.blocks:
            s1 = _lif(b.bn1(out), self.vth[vi], T, False)
            r1 = _rate(s1, T)
            if len(b.specs) == 3:
                identity = self._conv(li + 2, s1, project, T)
            else:
                identity = out
            rows.append(self._rows(li, r1))
            h = self._conv(li, s1, project, T)
            s2 = _lif(b.bn2(h), self.vth[vi + 1], T, False)
            rows.append(self._rows(li + 1, _rate(s2, T)))
            if len(b.specs) == 3:
                rows.append(self._rows(li + 2, r1))
            out = self._conv(li + 1, s2, project, T) + identity
            li += len(b.specs)
            vi += 2
        s = _lif(self.bn_out(out), self.vth[vi], T, False)
        feat = _rate(s, T).mean(dim=(2, 3))         # global average pool of the weighted rates
        return self._classify(feat, task, project, rows), rows
