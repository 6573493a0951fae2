"""The memory of the deploy step of `spikemem continual`, estimated from the architecture alone.

The deploy step exports the trained classifier as a spikemem Network (export.py: dense
all-to-all weight arrays for the MLP; export_conv.py: a ConvolutionConnector per conv and a
PoolDenseConnector per head, kept as structure, and a listed bias synapse per neuron), writes
network.json, and scores it on the reference engine (the MLP of PMNIST in a core's fixed point
too). This module counts its parts from the layer shapes, before anything is trained or built,
and refuses with spikemem.engine.budget's ResourceError when the estimate exceeds the memory
limit (docs/hlop.md, "Deploy step").

Bytes per element, measured with tracemalloc on exported networks: a listed synapse keeps about
120 B in the Network (its pair as Python ints in tuples, its weight), writing it to network.json
takes about 480 B more at the peak (the dict and the JSON text); a dense pair keeps 16 B (an
excitatory and an inhibitory weight) and takes about 256 B while written; a kernel value keeps
about 32 B (the excitatory and the inhibitory part of a signed kernel, 8 B each, and the export's
copies) and takes about 448 B while written. The check runs on the reference engine: synapse tables cost budget.SYNAPSE_BUILD /
SYNAPSE_KEPT per table entry (one per listed synapse, two per dense pair), layers their
delivery's copy of the kernels and a trial's scratch (spikemem.engine.layers.per_trial_bytes).
"""
from __future__ import annotations

import math

from spikemem.description import validation
from spikemem.engine import budget

LISTED_KEPT, LISTED_SAVE = 120, 480        # bytes per listed synapse: in the Network, and on top while saved
DENSE_KEPT, DENSE_SAVE = 16, 256           # bytes per dense weight pair, likewise
LAYER_KEPT, LAYER_SAVE = 32, 448           # bytes per kernel value of a conv or head, likewise
RATE = 0.2                                  # spikes per ms of an input at pixel 1 (export.RATE)
INPUT_TRAINS = 4 * 8                        # bytes per input neuron and step while the input trains are made


def cnn_counts(in_shape, channels, n_out: int, heads: int, k: int = 3, pad: int = 1) -> tuple:
    """(kernel values, listed synapses, neurons, layer scratch per image) of export_conv.cnn_to_network
    for a SpikingCNN: stride-1 convs of kernel k, each after the 2x2 average pooling of the layer
    before (the connector's own), a listed bias synapse per neuron, `heads` PoolDense output
    layers; the scratch is the largest layer delivery's (layers.per_trial_bytes)."""
    c, h, w = in_shape
    values, listed, neurons, scratch = 0, 0, c * h * w + 1, 0
    pooled = False
    for c_out in channels:
        hp, wp = (h // 2, w // 2) if pooled else (h, w)         # the map the conv reads
        ho, wo = hp + 2 * pad - k + 1, wp + 2 * pad - k + 1
        values += c_out * c * k * k
        listed += c_out * ho * wo                                # a bias per neuron
        neurons += c_out * ho * wo
        scratch = max(scratch, 8 * (c * h * w + c * (hp + 2 * pad) * (wp + 2 * pad) + c * ho * wo + 3 * c_out * ho * wo))
        c, h, w, pooled = c_out, ho, wo, True
    hp, wp = h // 2, w // 2
    values += heads * n_out * c * hp * wp
    listed += heads * n_out
    scratch = max(scratch, 8 * (c * h * w + c * hp * wp + 2 * n_out))
    return values, listed, neurons + heads * n_out, scratch


def mlp_counts(n_in: int, hidden: int, n_out: int, heads: int) -> tuple:
    """(dense weight pairs, neurons) of export.to_network: input and bias -> hidden1 -> hidden2 -> heads,
    with a bias per output neuron (which a shared head has not: an upper bound by n_out)."""
    pairs = n_in * hidden + hidden + hidden * hidden + heads * (hidden * n_out + n_out)
    return pairs, n_in + 1 + 2 * hidden + heads * n_out


def deploy_estimate(kind: str, pairs: int, neurons: int, n_in: int, n_outputs: int, duration_ms: float,
                    chunk: int, listed: int = 0, scratch: int = 0) -> budget.Estimate:
    """The deploy step's memory in budget's terms: the exported network and the check run's
    tables are fixed, neuron state per image of a chunk, recorded V, spikes and input per image
    and step; the peak is the network plus the larger of writing it and building the check's
    synapse tables. pairs: an MLP's dense weight pairs or a CNN's kernel values; listed: a CNN's
    listed (bias) synapses; scratch: a CNN's layer delivery per image."""
    steps = validation.steps("export_duration", duration_ms, 1.0)
    cnn = kind == "cnn"
    kept = (LAYER_KEPT * pairs + LISTED_KEPT * listed) if cnn else DENSE_KEPT * pairs
    save = (LAYER_SAVE * pairs + LISTED_SAVE * listed) if cnn else DENSE_SAVE * pairs
    table = listed if cnn else 2 * pairs
    n_if = neurons - n_in - 1
    est = budget.Estimate(chunk, steps)
    est.fixed = {"exported network": kept, "synapse tables of the check": budget.SYNAPSE_KEPT * table,
                 "network tables": budget.PER_NEURON * neurons}
    if cnn:                                    # the delivery's copy of the kernels (engine/layers.py)
        est.fixed["layer weights"] = 8 * pairs
    est.per_trial = {"neuron state": 8 * 6 * n_if + n_if, "ring buffer": 8 * 2 * 2 * n_if}
    if cnn:
        est.per_trial["layer delivery"] = scratch
    est.per_trial_step = {"recorded V": 2 * 8 * n_outputs, "spikes (assumed rate)": budget.SPIKE * budget.ASSUMED_RATE * n_if,
                          "input events": budget.EVENT * (1 + RATE * n_in), "input spike trains": INPUT_TRAINS * n_in}
    build = {"the exported network": kept, "writing network.json": save,
             "the check's synapse tables": budget.SYNAPSE_BUILD * table}
    est.peak_build = kept + max(save, build["the check's synapse tables"]) + est.fixed["network tables"]
    est.build_parts = build
    est.synapses = table
    return est


def require_deploy(arch: str, shape, hidden: int, channels, n_out: int, heads: int, samples: int,
                   duration_ms: float) -> budget.Estimate:
    """Refuse, before training or building anything, a deploy step that cannot fit in memory.
    shape: one image, (C, H, W) or (n,); samples: test images per task the check classifies."""
    n_in = int(math.prod(shape))
    chunk = max(1, min(samples, 100))
    if arch == "cnn":
        values, listed, neurons, scratch = cnn_counts(shape, channels, n_out, heads)
        est = deploy_estimate(arch, values, neurons, n_in, heads * n_out, duration_ms, chunk, listed, scratch)
        what = (f"cnn {'x'.join(map(str, shape))} (channels {','.join(map(str, channels))}) network ({values:,} "
                f"kernel values, {listed:,} listed synapses: export, network.json, check on the reference engine)")
    else:
        pairs, neurons = mlp_counts(n_in, hidden, n_out, heads)
        est = deploy_estimate(arch, pairs, neurons, n_in, heads * n_out, duration_ms, chunk)
        what = (f"mlp {n_in}-{hidden}-{hidden}-{n_out} network ({pairs:,} synapses: export, network.json, float "
                f"and fixed-point check on the reference engine)")
    budget.require(est, f"the deploy step of the {what}", 1.0,
                   hint="--export-samples 0 skips the deploy step" + (", smaller --channels shrink it" if arch == "cnn" else ""))
    return est
