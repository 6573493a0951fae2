"""Deploy a trained spiking CNN as a spikemem Network: convs as ConvolutionConnectors, heads as
PoolDenseConnectors (docs/connectivity.md), so no layer is expanded into synapse lists.

The rate conversion of export.py, layer by layer: conv layer i (inference batch norm folded
into a per-channel gain a and offset b) drives a population of C·H·W IF neurons, one per
pre-pooling position, firing at ρ·f with f = clamp(c·Δt/(τ·Vth_i), 0, 1). Average pooling is the
connectors' own (2 x 2, each pre neuron a quarter), so it needs no neurons. Signed kernels
become an excitatory and an inhibitory projection. The normalisation offset and batch-norm shift
come from the bias source, per target neuron (zero padding makes the offset position-dependent
at the border). A head per task becomes an output population per task. Residual networks are
refused: a shortcut adds the block's input current, not spikes, which the description cannot carry.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from spikemem import FromListConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation, SpikeSourceArray
from spikemem.description.layers import ConvolutionConnector, PoolDenseConnector
from spikemem.errors import UnsupportedFeature, ValidationError

from . import dsr
from .export import CM, RATE, TAU_M, TAU_SYN, THETA, V_OUT_THRESH, V_REST


def _bn_affine(bn) -> tuple:
    """Inference batch norm as y = a·z + b per channel."""
    a = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double().cpu().numpy()
    b = (bn.bias.detach().double().cpu().numpy() - a * bn.running_mean.detach().double().cpu().numpy())
    return a, b


def _layers(name, pre_pop, post_pop, weights, make) -> list:
    """An excitatory and an inhibitory projection of a signed kernel or matrix, through
    make(non-negative weights) -> connector; a part without any weight is left out."""
    out = []
    for receptor, part in (("excitatory", np.maximum(weights, 0.0)), ("inhibitory", np.maximum(-weights, 0.0))):
        if part.any():
            out.append(Projection(f"{name}_{receptor[:3]}", pre_pop, post_pop, make(part), weight=1.0, delay=1.0,
                                  receptor=receptor))
    return out


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
            Wn = Wc * (a[:, None, None, None] / std[None, :, None, None]) * k * gain
            conv = (lambda K, c=C, hw=hw, pad=spec.padding: ConvolutionConnector(K, (c, *hw), padding=pad))
            offset = F.conv2d(torch.as_tensor((mean / std)[None, :, None, None] * np.ones((1, C, H, W))),
                              torch.as_tensor(Wc), padding=spec.padding)[0].numpy() * a[:, None, None]
            shift = (b[:, None, None] - offset).ravel()
        else:
            Wn = Wc * (a[:, None, None, None] * v_prev / (dsr.TAU * v)) * gain
            conv = (lambda K, c=model.specs[i - 1].c_out, hw=prev_hw, pad=spec.padding:
                    ConvolutionConnector(K, (c, *hw), padding=pad, pool_shape=2))
            shift = np.repeat(b, hw[0] * hw[1])
        projs += _layers(f"{prev}_{pop}", prev, pop, Wn, conv)
        projs += _bias(f"bias_{pop}", pop, rate * k * shift * gain)
        prev, prev_hw, v_prev = pop, hw, v
        hw = (hw[0] // 2, hw[1] // 2)
    heads = ([(model.classifier.detach().double().cpu().numpy(), None)] if model.classifier is not None else
             [(w.detach().double().cpu().numpy(), b.detach().double().cpu().numpy())
              for w, b in zip(model.head_w, model.head_b)])
    for t, (Wh, bh) in enumerate(heads):
        out = "output" if len(heads) == 1 and model.classifier is not None else f"output{t}"
        pops.append(Population(out, Wh.shape[0], IFCurrExp(**{**cell, "v_thresh": V_OUT_THRESH})))
        dense = (lambda Wp, c=model.specs[-1].c_out, hw=prev_hw: PoolDenseConnector(Wp, (c, *hw), pool_shape=2))
        projs += _layers(f"{prev}_{out}", prev, out, Wh * (v_prev / dsr.DT) * CM / TAU_SYN, dense)
        if bh is not None:
            projs += _bias(f"bias_{out}", out, rate * bh * CM / TAU_SYN)
    outputs = tuple(p.name for p in pops if p.name.startswith("output"))
    return Network(pops, projs, Simulation(dt=1.0, scheme=scheme), Recording(spikes=(), v=outputs), name=name)
