"""The memory of the deploy step of `spikemem continual`, estimated from the architecture alone.

The deploy step exports the trained classifier as a spikemem Network (export.py: dense
all-to-all weight arrays for the MLP; export_conv.py: an explicit (pre, post) list per conv),
writes network.json, and scores it on the reference engine in float and in a core's fixed
point. Its peak grows with the synapses of the export, which for a CNN on 32x32 colour
images are hundreds of millions: this module counts them from the layer shapes, before
anything is trained or built, and refuses with spikemem.engine.budget's ResourceError when
the estimate exceeds the memory limit (docs/hlop.md, "Deploy step").

Bytes per synapse, measured with tracemalloc on exported networks (a CNN of 405,600 synapses,
an MLP of 93,200 weight pairs): a listed synapse keeps about 120 B in the Network (its pair as
Python ints in tuples, its weight), writing it to network.json takes about 480 B more at the
peak (the dict and the JSON text); a dense pair keeps 16 B (an excitatory and an inhibitory
weight) and takes about 256 B while written. The check runs on the reference engine, whose
synapse tables cost budget.SYNAPSE_BUILD / SYNAPSE_KEPT per table entry (one per listed
synapse, two per dense pair: the excitatory and the inhibitory projection).
"""
from __future__ import annotations

import math

import numpy as np

from spikemem.description import validation
from spikemem.engine import budget

LISTED_KEPT, LISTED_SAVE = 120, 480        # bytes per listed synapse: in the Network, and on top while saved
DENSE_KEPT, DENSE_SAVE = 16, 256           # bytes per dense weight pair, likewise
RATE = 0.2                                  # spikes per ms of an input at pixel 1 (export.RATE)
INPUT_TRAINS = 4 * 8                        # bytes per input neuron and step while the input trains are made


def _valid(n: int, k: int, pad: int) -> int:
    """(position, kernel offset) pairs of a stride-1 conv along one axis that land inside."""
    y, d = np.arange(n)[:, None], np.arange(k)[None, :]
    return int(((y + d - pad >= 0) & (y + d - pad < n)).sum())


def cnn_counts(in_shape, channels, n_out: int, heads: int, k: int = 3, pad: int = 1) -> tuple:
    """(listed synapses, neurons) of export_conv.cnn_to_network for a SpikingCNN: stride-1 convs
    of kernel k, each followed by 2x2 average pooling folded into the next layer's list (four
    pre-pooling neurons per pooled input), a bias synapse per neuron, and `heads` output layers."""
    c, h, w = in_shape
    pairs, neurons = 0, c * h * w + 1
    pooled = False
    for c_out in channels:
        pairs += (4 if pooled else 1) * c_out * c * _valid(h, k, pad) * _valid(w, k, pad)
        pairs += c_out * h * w                                   # bias
        neurons += c_out * h * w
        c, h, w, pooled = c_out, h // 2, w // 2, True
    pairs += heads * (4 * c * h * w * n_out + n_out)
    return pairs, neurons + heads * n_out


def mlp_counts(n_in: int, hidden: int, n_out: int, heads: int) -> tuple:
    """(dense weight pairs, neurons) of export.to_network: input and bias -> hidden1 -> hidden2 -> heads,
    with a bias per output neuron (which a shared head has not: an upper bound by n_out)."""
    pairs = n_in * hidden + hidden + hidden * hidden + heads * (hidden * n_out + n_out)
    return pairs, n_in + 1 + 2 * hidden + heads * n_out


def deploy_estimate(kind: str, pairs: int, neurons: int, n_in: int, n_outputs: int, duration_ms: float,
                    chunk: int) -> budget.Estimate:
    """The deploy step's memory in budget's terms: the exported network and the check run's
    tables are fixed, neuron state per image of a chunk, recorded V, spikes and input per image
    and step; the peak is the network plus the larger of writing it and building the check's
    synapse tables."""
    steps = validation.steps("export_duration", duration_ms, 1.0)
    listed = kind == "cnn"
    kept = (LISTED_KEPT if listed else DENSE_KEPT) * pairs
    save = (LISTED_SAVE if listed else DENSE_SAVE) * pairs
    table = pairs if listed else 2 * pairs
    n_if = neurons - n_in - 1
    est = budget.Estimate(chunk, steps)
    est.fixed = {"exported network": kept, "synapse tables of the check": budget.SYNAPSE_KEPT * table,
                 "network tables": budget.PER_NEURON * neurons}
    est.per_trial = {"neuron state": 8 * 6 * n_if + n_if, "ring buffer": 8 * 2 * 2 * n_if}
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
    if arch == "cnn":
        pairs, neurons = cnn_counts(shape, channels, n_out, heads)
        what = f"cnn {'x'.join(map(str, shape))} (channels {','.join(map(str, channels))})"
    else:
        pairs, neurons = mlp_counts(n_in, hidden, n_out, heads)
        what = f"mlp {n_in}-{hidden}-{hidden}-{n_out}"
    est = deploy_estimate(arch, pairs, neurons, n_in, heads * n_out, duration_ms, max(1, min(samples, 100)))
    budget.require(est, f"the deploy step of the {what} network ({pairs:,} synapses: export, network.json, "
                        f"float and fixed-point check on the reference engine)", 1.0,
                   hint="--export-samples 0 skips the deploy step" + (", smaller --channels shrink it" if arch == "cnn" else ""))
    return est
