"""Convolutions whose weight gradient is orthogonal to the old tasks' subspace (docs/continual_learning.md).

A shared conv layer's weight gradient is G = Σ_patches δ·uᵀ over the unfolded input patches u.
Two equivalent forms keep it out of a subspace with orthonormal rows Ho:
- input mode: each patch is projected, u − q(u Hoᵀ) Ho, before the gradient is formed (exact
  also when the lateral neurons quantise q, as spiking lateral neurons do);
- weight mode: the full gradient is corrected afterwards, G − (G Hoᵀ) Ho (one small matmul,
  no unfolding; equal to input mode when q is the identity).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def patches(x: torch.Tensor, kernel: int, stride: int, padding: int) -> torch.Tensor:
    """Unfolded input patches as rows: (N, C, H, W) → (N·L, C·k·k), the layer's presynaptic vectors."""
    cols = F.unfold(x, kernel, padding=padding, stride=stride)          # (N, C·k·k, L)
    return cols.transpose(1, 2).reshape(-1, cols.shape[1])


class ConvInputProj(torch.autograd.Function):
    """y = conv(x, W); grad_W uses the projected patches of x, grad_x is unchanged.

    x is (T·B, C, H, W). Under DSR with frozen batch norm every step of a sample receives the
    same output error; then Σ_t δ·P(u_t) = δ·P(Σ_t u_t) (P linear), so the patches of the
    time-summed input suffice and the T-fold unfolding is avoided. The check is exact
    (bitwise-equal errors), and the per-step path is used otherwise or when P quantises.
    """

    @staticmethod
    def forward(ctx, x, weight, stride, padding, projector, T):
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding, ctx.projector, ctx.T = stride, padding, projector, T
        return F.conv2d(x, weight, stride=stride, padding=padding)

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        s, p, proj, T = ctx.stride, ctx.padding, ctx.projector, ctx.T
        grad_x = torch.nn.grad.conv2d_input(x.shape, weight, gy, stride=s, padding=p)
        k = weight.shape[-1]
        N = x.shape[0]
        gyv = gy.reshape(T, N // T, *gy.shape[1:]) if T > 1 and N % T == 0 else None
        if gyv is not None and not proj.quantises and bool((gyv == gyv[:1]).all()):
            xs = x.reshape(T, N // T, *x.shape[1:]).sum(0)
            g = gyv[0]
        else:
            xs, g = x, gy
        u = proj.project_out(patches(xs, k, s, p))                         # (n·L, C·k·k)
        gflat = g.flatten(2).transpose(1, 2).reshape(-1, g.shape[1])      # (n·L, C_out)
        grad_w = (gflat.T @ u).reshape(weight.shape)
        return grad_x, grad_w, None, None, None, None


def conv(x, weight, stride: int, padding: int, projector=None, T: int = 1):
    """A bias-free conv; with a projector its weight gradient is taken in input mode."""
    if projector is None:
        return F.conv2d(x, weight, stride=stride, padding=padding)
    return ConvInputProj.apply(x, weight, stride, padding, projector, T)


def project_weight_grad(weight: torch.Tensor, projector) -> None:
    """Weight mode: G ← G − (G Hoᵀ) Ho on the (C_out, C_in·k·k) view of the gradient."""
    Ho = projector.old_rows()
    if weight.grad is None or Ho.shape[0] == 0:
        return
    G = weight.grad.reshape(weight.shape[0], -1)
    G.sub_((G @ Ho.T) @ Ho)
