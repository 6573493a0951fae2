"""DSR LIF neurons (docs/hlop.md, 4): LIF spikes forward, a rate map backward.

Under DSR every time step of a layer receives the same error (δ/T), so a dense layer followed by
DSR LIF neurons has the weight gradient δᵀ·mean_t(x_t): the layer below is fused with the
neuron here and its weight gradient is taken on one aggregated input row per sample. That
row is where HLOP's orthogonal projection applies (passed in already projected).
"""
from __future__ import annotations

import math

import torch

TAU = 1.0
DT = 0.05
ALPHA = 0.3
VTH_INIT = 0.3
VTH_BOUND = 0.0005


def rate_weights(T: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """w_t = exp(−(T·Δt − t·Δt)/τ), t = 1..T, normalised to sum 1."""
    t = torch.arange(1, T + 1, device=device, dtype=dtype)
    w = torch.exp(-(T * DT - t * DT) / TAU)
    return w / w.sum()


def weighted_rate(seq: torch.Tensor) -> torch.Tensor:
    """Weighted firing rate of a (T, B, N) sequence."""
    w = rate_weights(seq.shape[0], seq.device, seq.dtype)
    return torch.tensordot(w, seq, dims=1)


def lif_forward(current: torch.Tensor, vth: float, T: int) -> torch.Tensor:
    """Spikes (T, B, O) of amplitude Vth/Δt; current is (T, B, O) or constant (B, O)."""
    return lif_sequence(current, vth, T, current.dim() == 2)


class DenseDSR(torch.autograd.Function):
    """spikes = LIF(x W ᵀ) over T steps; x is (T, B, N) spikes or a constant (B, N) input.

    x_grad_row (B, N): the aggregated input used for the weight gradient (mean_t x_t, or x for
    a constant input), already projected orthogonally to the old subspace when HLOP is on.
    """

    @staticmethod
    def forward(ctx, x, weight, vth, x_grad_row, T):
        const = x.dim() == 2
        current = x @ weight.T
        v = float(vth.clamp(min=VTH_BOUND))
        out = lif_forward(current, v, T)
        a = current if const else weighted_rate(current)
        ctx.save_for_backward(weight, x_grad_row, a, vth)
        ctx.T, ctx.const, ctx.v = T, const, v
        return out

    @staticmethod
    def backward(ctx, grad_out):
        weight, x_row, a, vth = ctx.saved_tensors
        T, v = ctx.T, ctx.v
        g = weighted_rate(grad_out) * T
        upper = v * TAU / DT
        d = g / TAU * ((a > 0) & (a < upper)).to(g.dtype)          # Σ_t of δ_in,t (= T · δ/T)
        grad_w = d.T @ x_row
        grad_x = d @ weight
        if not ctx.const:
            grad_x = (grad_x / T).unsqueeze(0).expand(T, *grad_x.shape)
        grad_vth = None
        if ctx.needs_input_grad[2]:
            grad_vth = (DT * (g * (a > upper).to(g.dtype)).sum()).reshape(vth.shape)
        return grad_x, grad_w, grad_vth, None, None


class LinearGradRow(torch.autograd.Function):
    """y = x Wᵀ whose weight gradient uses another (projected) copy of x."""

    @staticmethod
    def forward(ctx, x, weight, x_grad_row):
        ctx.save_for_backward(weight, x_grad_row)
        return x @ weight.T

    @staticmethod
    def backward(ctx, grad_out):
        weight, x_row = ctx.saved_tensors
        return grad_out @ weight, grad_out.T @ x_row, None


def lif_sequence(current: torch.Tensor, vth: float, T: int, const: bool) -> torch.Tensor:
    """LIF spikes (T, *shape) for a current (T, *shape), or a constant one (*shape) when const."""
    beta = math.exp(-DT / TAU)
    shape = tuple(current.shape) if const else tuple(current.shape[1:])
    u = torch.zeros(shape, dtype=current.dtype, device=current.device)
    out = torch.empty((T,) + shape, dtype=current.dtype, device=current.device)
    for t in range(T):
        u.mul_(beta).add_(current if const else current[t], alpha=1.0 - beta)
        spk = u >= ALPHA * vth
        u.sub_(spk.to(u.dtype) * vth)
        out[t] = spk.to(u.dtype) * (vth / DT)
    return out


class LIF(torch.autograd.Function):
    """DSR LIF neurons of any layout: current (T, B, ...) or constant (B, ...) → spikes (T, B, ...).

    Backward is the rate map of the dense layers above: every step of the input receives
    g/τ·1[0 < a < Vth·τ/Δt]/T with a = wfr(current) and g = T·wfr(δ_out).
    """

    @staticmethod
    def forward(ctx, current, vth, T, const):
        v = float(vth.clamp(min=VTH_BOUND))
        out = lif_sequence(current, v, T, const)
        a = current if const else weighted_rate(current)
        ctx.save_for_backward(a, vth)
        ctx.T, ctx.const, ctx.v = T, const, v
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, vth = ctx.saved_tensors
        T, v = ctx.T, ctx.v
        g = weighted_rate(grad_out) * T
        upper = v * TAU / DT
        d = g / TAU * ((a > 0) & (a < upper)).to(g.dtype)
        grad_cur = d if ctx.const else (d / T).unsqueeze(0).expand(T, *d.shape)
        grad_vth = None
        if ctx.needs_input_grad[1]:
            grad_vth = (DT * (g * (a > upper).to(g.dtype)).sum()).reshape(vth.shape)
        return grad_cur, grad_vth, None, None
