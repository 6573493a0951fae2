"""
Your first network, on three backends
=====================================

A network is a *description*: populations, projections, plasticity, a time step and an update
scheme. Here we describe a small network with STDP, run it on the reference engine (numpy), on
torch and on NEST, and check that all three give the same spikes.
"""
# %%
# The description
# ---------------
# Two inputs drive two neurons ``a``; both project onto one neuron ``b`` through plastic synapses
# of 2.5 nA, too weak for one ``a`` neuron alone to fire ``b``. When both fire together, ``b`` fires,
# and STDP (pre before post) strengthens the synapses, so that afterwards ``a0`` alone fires ``b``.
#
# The network integrates with ``scheme="exact"``, the exact integration NEST computes, so that NEST
# can run it too (``scheme="spinnaker"`` is sPyNNaker's update, which NEST cannot express).
# ``depress_at_zero=False`` is NEST's own STDP rule for a pre and a post spike in the same step.
import numpy as np
from matplotlib import pyplot as plt

import spikemem
from spikemem import (
    STDP,
    AllToAllConnector,
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeSourceArray,
    get_backend,
)

cell = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60, v_reset=-60,
                 v_thresh=-57, tau_refrac=1.0)
stdp = STDP(tau_plus=3, tau_minus=3, A_plus=4, A_minus=4, w_min=0, w_max=6, depress_at_zero=False)
net = Network(
    [Population("in", 2, SpikeSourceArray()), Population("a", 2, cell), Population("b", 1, cell)],
    [Projection("in_a", "in", "a", OneToOneConnector(), weight=6.0, delay=1.0),
     Projection("a_b", "a", "b", AllToAllConnector(), weight=2.5, delay=1.0, plasticity=stdp)],
    Simulation(dt=1.0, scheme="exact"),
    Recording(spikes=("a", "b"), v=("b",), weights=("a_b",)))
print(net.name, [(p.name, p.size) for p in net.populations])

# %%
# Inputs: trial, then neuron, then spike times
# --------------------------------------------
# ``inputs[source][trial][neuron]`` is a list of spike times in ms. A run simulates every trial at
# once, as independent copies of the network. Trial 0 pairs the two inputs at 10 ms; trial 1 never
# does.
inputs = {"in": [[[0, 10, 20], [10]],      # trial 0: in0 at 0, 10 and 20 ms, in1 at 10 ms
                 [[0, 20], []]]}           # trial 1: in0 at 0 and 20 ms, in1 silent

reference = get_backend("reference").run(net, 30.0, inputs=inputs)
for trial in (0, 1):
    print(f"trial {trial}: a {reference.spike_list('a', trial)}  b {reference.spike_list('b', trial)}")
print("a->b weights at the end, per trial:", reference.weights["a_b"][:, :, 0].round(2).tolist())

# %%
# The same network on torch and NEST
# ----------------------------------
# ``spikemem.available_backends()`` says which backends are installed; a missing one is named with
# the command that installs it.
results = {"reference": reference}
installed = spikemem.available_backends()
for name, options, extra in (("torch", {"dtype": "float64"}, "torch"), ("nest", {}, "nest")):
    if name not in installed:
        print(f"{name} is not installed here: pip install 'spikemem[{extra}]' to run this part")
        continue
    results[name] = get_backend(name, **options).run(net, 30.0, inputs=inputs)

for name, res in results.items():
    same = all(res.spike_list(p, t) == reference.spike_list(p, t) for p in ("a", "b") for t in (0, 1))
    weights = np.allclose(res.weights["a_b"], reference.weights["a_b"])
    print(f"{name:<9} spikes {'the same as' if same else 'DIFFERENT from'} the reference; "
          f"weights {'equal' if weights else 'DIFFERENT'}")

# %%
# The raster of every backend, and b's membrane
# ---------------------------------------------
fig, axes = plt.subplots(len(results), 2, figsize=(10, 1.8 * len(results) + 0.6), sharex=True, squeeze=False)
for row, (name, res) in zip(axes, results.items()):
    for trial, ax in zip((0, 1), row):
        for y, pop in enumerate(("a", "b")):
            for t, n in res.spike_list(pop, trial):
                ax.plot(t, y * 2 + n, "|", color=("#0072B2", "#D55E00")[y], ms=12, mew=2)
        ax.set_yticks([0, 1, 2], ["a0", "a1", "b0"])
        ax.set_ylim(-0.7, 2.7)
        ax.set_title(f"{name}, trial {trial}", fontsize=9)
for ax in axes[-1]:
    ax.set_xlabel("time (ms)")
fig.tight_layout()

fig, ax = plt.subplots(figsize=(8, 2.6))
for name, res in results.items():
    ax.plot(np.arange(res.steps) * res.dt, res.v["b"][0, :, 0], label=name, lw=2 if name == "reference" else 1,
            ls="-" if name == "reference" else "--")
ax.set_xlabel("time (ms)")
ax.set_ylabel("V of b0 (mV), trial 0")
ax.legend()
fig.tight_layout()

# %%
# What a backend cannot do, it refuses by name
# --------------------------------------------
# The same network written for SpiNNaker's update (``scheme="spinnaker"``) is refused on NEST,
# which integrates exactly, rather than run with other semantics.
from dataclasses import replace  # noqa: E402

from spikemem import UnsupportedFeature  # noqa: E402

if "nest" in results:
    try:
        get_backend("nest").run(replace(net, simulation=Simulation(dt=1.0, scheme="spinnaker")), 30.0, inputs=inputs)
    except UnsupportedFeature as e:
        print("refused:", e)
