"""Deploy a trained spiking CNN as a spikemem Network: convs as explicit connection lists.

The rate conversion of export.py, layer by layer: conv layer i (inference batch norm folded
into a per-channel gain a and offset b) drives a population of C·H·W IF neurons, one per
pre-pooling position, firing at ρ·f with f = clamp(c·Δt/(τ·Vth_i), 0, 1). Average pooling is a
fixed linear map, folded into the connection list of the projection that reads it (each of the
four pooled neurons contributes a quarter), so it needs no neurons of its own. The
normalisation offset and batch-norm shift come from the bias source, per target neuron (zero
padding makes the offset position-dependent at the border). A head per task becomes an output
population per task. Residual networks are refused: a shortcut adds the block's input current,
not spikes, which the description cannot carry.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from spikemem import FromListConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation, SpikeSourceArray
from spikemem.errors import UnsupportedFeature, ValidationError

from . import dsr
from .export import CM, RATE, TAU_M, TAU_SYN, THETA, V_OUT_THRESH, V_REST


def _bn_affine(bn) -> tuple:
    """Inference batch norm as y = a·z + b per channel."""
    a = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double().cpu().numpy()
    b = (bn.bias.detach().double().cpu().numpy() - a * bn.running_mean.detach().double().cpu().numpy())
    return a, b


def _conv_pairs(W: np.ndarray, in_hw: tuple, out_hw: tuple, pad: int, pooled_from: tuple | None):
    """(pre, post, weight) of a stride-1 conv; with pooled_from=(H, W) the input is the 2×2 average of a
    pre-pooling map of that size, and the pairs run from the pre-pooling neurons."""
    C_out, C_in, k, _ = W.shape
    Ho, Wo = out_hw
    co, y, x, ci, dy, dx = (a.ravel() for a in np.meshgrid(np.arange(C_out), np.arange(Ho), np.arange(Wo),
                                                             np.arange(C_in), np.arange(k), np.arange(k), indexing="ij"))
    iy, ix = y + dy - pad, x + dx - pad
    ok = (iy >= 0) & (iy < in_hw[0]) & (ix >= 0) & (ix < in_hw[1])
    co, y, x, ci, dy, dx, iy, ix = (a[ok] for a in (co, y, x, ci, dy, dx, iy, ix))
    w = W[co, ci, dy, dx]
    post = (co * Ho + y) * Wo + x
    if pooled_from is None:
        return (ci * in_hw[0] + iy) * in_hw[1] + ix, post, w
    Hp, Wp = pooled_from
    pre = [(ci * Hp + 2 * iy + a) * Wp + 2 * ix + b for a in (0, 1) for b in (0, 1)]
    return np.concatenate(pre), np.tile(post, 4), np.tile(w / 4.0, 4)


def _pool_dense(W: np.ndarray, C: int, pooled_hw: tuple, pre_hw: tuple):
    """(pre, post, weight) of a dense layer reading the flattened 2×2 average of a C×pre_hw map."""
    n_out = W.shape[0]
    c, py, px, o = (a.ravel() for a in np.meshgrid(np.arange(C), np.arange(pooled_hw[0]), np.arange(pooled_hw[1]),
                                                   np.arange(n_out), indexing="ij"))
    feat = (c * pooled_hw[0] + py) * pooled_hw[1] + px
    w = W[o, feat]
    pre = [(c * pre_hw[0] + 2 * py + a) * pre_hw[1] + 2 * px + b for a in (0, 1) for b in (0, 1)]
    return np.concatenate(pre), np.tile(o, 4), np.tile(w / 4.0, 4)


def _signed(name, pre_pop, post_pop, pre, post, w) -> list:
    out = []
    for receptor, sel in (("excitatory", w > 0), ("inhibitory", w < 0)):
        if sel.any():
            conn = FromListConnector(np.stack([pre[sel], post[sel]], axis=1).tolist())
            out.append(Projection(f"{name}_{receptor[:3]}", pre_pop, post_pop, conn, weight=np.abs(w[sel]),
                                  delay=1.0, receptor=receptor))
    return out


def _bias(name, post_pop, values) -> list:
    n = len(values)
    return _signed(name, "bias", post_pop, np.zeros(n, dtype=np.int64), np.arange(n), np.asarray(values, dtype=float))


def cnn_to_network(model, mean, std, in_shape, rate: float = RATE, scheme: str = "exact",
                   name: str = "hlop_cnn") -> Network:
    """The trained SpikingCNN with static weights: input (+ bias) → conv1 → conv2 → conv3 → output(s)."""
    from .convnets import SpikingCNN
    if not isinstance(model, SpikingCNN):
        layer = "blocks.0 (residual shortcut)" if hasattr(model, "blocks") else type(model).__name__
        raise UnsupportedFeature(f"export of layer {layer}: a residual shortcut adds the block's input current, "
                                 "which a spikemem Network cannot carry (only spikes travel between populations)")
    if not 0 < rate <= 1:
        raise ValidationError("rate", rate, "must be in (0, 1] spikes per ms")
    C, H, W = in_shape
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (C,))
    std = np.broadcast_to(np.asarray(std, dtype=float), (C,))
    gain = CM * THETA / TAU_SYN
    cell = dict(cm=CM, tau_m=TAU_M, tau_syn_E=TAU_SYN, tau_syn_I=TAU_SYN, v_rest=V_REST, v_reset=V_REST,
                v_thresh=V_REST + THETA, tau_refrac=0.0)      # the rate map has no refractory period
    pops = [Population("input", C * H * W, SpikeSourceArray()), Population("bias", 1, SpikeSourceArray())]
    projs = []
    hw, prev, prev_hw, v_prev = (H, W), "input", None, None
    for i, spec in enumerate(model.specs):
        Wc = model.convs[i].detach().double().cpu().numpy()
        a, b = _bn_affine(model.bns[i])
        v = max(float(model.vth[i].detach()), dsr.VTH_BOUND)
        k = dsr.DT / (dsr.TAU * v)
        pop = f"conv{i + 1}"
        pops.append(Population(pop, spec.c_out * hw[0] * hw[1], IFCurrExp(**cell)))
        if i == 0:
            Wn = Wc * (a[:, None, None, None] / std[None, :, None, None])
            pre, post, w = _conv_pairs(Wn * k * gain, hw, hw, spec.padding, None)
            offset = F.conv2d(torch.as_tensor((mean / std)[None, :, None, None] * np.ones((1, C, H, W))),
                              torch.as_tensor(Wc), padding=spec.padding)[0].numpy() * a[:, None, None]
            shift = (b[:, None, None] - offset).ravel()
        else:
            Wn = Wc * (a[:, None, None, None] * v_prev / (dsr.TAU * v))
            pre, post, w = _conv_pairs(Wn * gain, hw, hw, spec.padding, prev_hw)
            shift = np.repeat(b, hw[0] * hw[1])
        projs += _signed(f"{prev}_{pop}", prev, pop, pre, post, w)
        projs += _bias(f"bias_{pop}", pop, rate * k * shift * gain)
        prev, prev_hw, v_prev = pop, hw, v
        hw = (hw[0] // 2, hw[1] // 2)
    heads = ([(model.classifier.detach().double().cpu().numpy(), None)] if model.classifier is not None else
             [(w.detach().double().cpu().numpy(), b.detach().double().cpu().numpy())
              for w, b in zip(model.head_w, model.head_b)])
    for t, (Wh, bh) in enumerate(heads):
        out = "output" if len(heads) == 1 and model.classifier is not None else f"output{t}"
        pops.append(Population(out, Wh.shape[0], IFCurrExp(**{**cell, "v_thresh": V_OUT_THRESH})))
        pre, post, w = _pool_dense(Wh * (v_prev / dsr.DT) * CM / TAU_SYN, model.specs[-1].c_out, hw, prev_hw)
        projs += _signed(f"{prev}_{out}", prev, out, pre, post, w)
        if bh is not None:
            projs += _bias(f"bias_{out}", out, rate * bh * CM / TAU_SYN)
    outputs = tuple(p.name for p in pops if p.name.startswith("output"))
    return Network(pops, projs, Simulation(dt=1.0, scheme=scheme), Recording(spikes=(), v=outputs), name=name)
