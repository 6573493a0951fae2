"""Deploy a trained DSR network as a spikemem Network of IF_curr_exp neurons (rate conversion).

A DSR LIF layer maps its input to a spike fraction per step f = clamp(I·Δt/(τ·Vth), 0, 1)
(the rate view its gradient uses). Here every layer fires at rate ρ·f spikes per ms: near
non-leaky integrators whose synapses deliver a charge w·τ_syn per spike, so
w = W·(scale of the layer)·cm·θ/τ_syn. The input is a regular spike train at ρ·pixel per ms;
the normalisation offset −W·μ/σ comes from a bias source that fires every ms. Signed weights
become an excitatory and an inhibitory projection. The class is the output neuron with the
highest membrane potential at the end (the output neurons never fire).
"""
from __future__ import annotations

import numpy as np

from spikemem import (AllToAllConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation,
                      SpikeEvents, SpikeSourceArray, get_backend)
from spikemem.errors import UnsupportedFeature, ValidationError

from . import dsr

V_REST = -65.0
THETA = 5.0          # mV between reset and threshold
TAU_SYN = 2.0        # ms
TAU_M = 1.0e4        # ms: leak negligible over a presentation
CM = 1.0             # nF
RATE = 0.2           # spikes per ms of a neuron at DSR spike fraction 1
V_OUT_THRESH = 3.0e4  # mV: output neurons never fire (SpiNNaker holds V as s16.15, |V| < 65536)


def to_network(model, mean: float, std: float, rate: float = RATE, scheme: str = "exact",
               name: str = "hlop_classifier") -> Network:
    """The trained classifier with static weights: input (+ bias source) → hidden1 → hidden2 → output."""
    if model.neuron != "dsr":
        raise UnsupportedFeature("export of the BPTT variant (only DSR networks have the rate map used here)")
    if not 0 < rate <= 1:
        raise ValidationError("rate", rate, "must be in (0, 1] spikes per ms")
    W1, W2, W3 = (w.detach().cpu().double().numpy() for w in model.weights)
    v1, v2 = (max(float(v.detach()), dsr.VTH_BOUND) for v in model.vth)
    gain = CM * THETA / TAU_SYN                       # weight giving one spike per input spike
    k1 = dsr.DT / (dsr.TAU * v1)
    # the bias source fires every ms; its charge w·τ_syn per ms replaces the input offset −W·μ/σ
    bias = -rate * k1 * W1.sum(axis=1, keepdims=True).T * (mean / std) * gain
    layers = [("input", "hidden1", W1.T * (k1 * gain / std)),
              ("bias", "hidden1", bias),
              ("hidden1", "hidden2", W2.T * (v1 / (dsr.TAU * v2)) * gain),
              ("hidden2", "output", W3.T * (v2 / dsr.DT) * CM / TAU_SYN)]
    cell = dict(cm=CM, tau_m=TAU_M, tau_syn_E=TAU_SYN, tau_syn_I=TAU_SYN, v_rest=V_REST, v_reset=V_REST,
                v_thresh=V_REST + THETA, tau_refrac=0.1)
    pops = [Population("input", W1.shape[1], SpikeSourceArray()), Population("bias", 1, SpikeSourceArray()),
            Population("hidden1", W1.shape[0], IFCurrExp(**cell)), Population("hidden2", W2.shape[0], IFCurrExp(**cell)),
            Population("output", W3.shape[0], IFCurrExp(**{**cell, "v_thresh": V_OUT_THRESH}))]
    projs = [Projection(f"{pre}_{post}_{receptor[:3]}", pre, post, AllToAllConnector(), weight=part,
                        delay=1.0, receptor=receptor)
             for pre, post, W in layers
             for receptor, part in (("excitatory", np.maximum(W, 0.0)), ("inhibitory", np.maximum(-W, 0.0)))]
    return Network(pops, projs, Simulation(dt=1.0, scheme=scheme), Recording(spikes=(), v=("output",)), name=name)


def input_events(pixels: np.ndarray, duration_ms: float, rate: float = RATE) -> dict:
    """Regular spike trains: input neuron i fires at rate·pixel_i per ms; the bias source every ms."""
    pixels = np.clip(np.asarray(pixels, dtype=float), 0.0, 1.0)
    B, n = pixels.shape
    steps = int(round(duration_ms))
    k = np.arange(1, steps + 1)[:, None, None]
    counts = np.floor(k * rate * pixels[None] + 1e-9)
    fire = np.diff(np.concatenate([np.zeros((1, B, n)), counts]), axis=0) > 0     # (steps, B, n)
    st, tr, nr = np.nonzero(fire)
    events = {"input": SpikeEvents.from_arrays(tr, st, nr, n, B, "inputs[input]")}
    bt, bs = np.meshgrid(np.arange(B), np.arange(steps), indexing="ij")
    events["bias"] = SpikeEvents.from_arrays(bt.ravel(), bs.ravel(), np.zeros(bt.size), 1, B, "inputs[bias]")
    return events


def classify(net: Network, pixels: np.ndarray, duration_ms: float = 200.0, rate: float = RATE,
             backend: str = "reference", chunk: int = 100, **options) -> np.ndarray:
    """Predicted classes of raw pixel rows (in [0, 1], already permuted) on a spikemem backend."""
    be = get_backend(backend, **options)
    out = []
    for b in range(0, len(pixels), chunk):
        res = be.run(net, duration_ms, inputs=input_events(pixels[b:b + chunk], duration_ms, rate))
        out.append(res.v["output"][:, -1, :].argmax(axis=1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
