"""
NIR: the same network in Norse and snnTorch
===========================================

NIR (the Neuromorphic Intermediate Representation) is a graph format that Norse, snnTorch and
other libraries read and write. spikemem exports a network *for* the library that will load it
(``to_nir(net, target=...)``) and imports a graph the way its writer *meant* it
(``from_nir(graph, semantics=...)``), because each library reads NIR's equations its own way. Here
a spikemem network runs in Norse and in snnTorch with the same spikes, and a Norse model runs in
spikemem with the same spikes. It needs the ``[nir]``, ``[norse]`` and ``[snntorch]`` extras.
"""
# %%
# A network to export
# -------------------
# A source of 4 random spike trains drives 6 neurons ``a`` (IF_curr_delta: an input jumps V by its
# weight), 5 neurons ``b`` (IF_curr_exp, with inhibition from ``a`` too) and 3 neurons ``c``.
from dataclasses import replace

import numpy as np
from matplotlib import pyplot as plt

from spikemem import (
    AllToAllConnector,
    IFCurrDelta,
    IFCurrExp,
    Network,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeSourceArray,
    get_backend,
)
from spikemem.optional import missing

rng = np.random.default_rng(5)
a = IFCurrDelta(cm=0.5, tau_m=8.0, v_rest=-65, v_reset=-65, v_thresh=-60, tau_refrac=0.0)
b = IFCurrExp(cm=0.4, tau_m=10.0, tau_syn_E=3.0, tau_syn_I=3.0, v_rest=-60, v_reset=-60, v_thresh=-56, tau_refrac=0.0)
c = IFCurrDelta(cm=1.0, tau_m=15.0, v_rest=-70, v_reset=-70, v_thresh=-66, tau_refrac=0.0)
net = Network(
    [Population("src", 4, SpikeSourceArray()), Population("a", 6, a), Population("b", 5, b), Population("c", 3, c)],
    [Projection("sa", "src", "a", AllToAllConnector(), rng.uniform(0, 3, (4, 6)), 1.0),
     Projection("ab", "a", "b", AllToAllConnector(), rng.uniform(0, 1.5, (6, 5)), 1.0),
     Projection("ab_i", "a", "b", AllToAllConnector(), rng.uniform(0, 0.5, (6, 5)), 1.0, "inhibitory"),
     Projection("bc", "b", "c", AllToAllConnector(), rng.uniform(0, 3, (5, 3)), 1.0)],
    Simulation(dt=1.0, scheme="spinnaker"), name="feedforward")
T = 160
x = rng.random((1, T, 4)) < 0.25          # one trial: (trial, step, neuron) input spikes

absent = missing(["nir", "torch", "norse", "snntorch"])
if absent:
    print(f"{', '.join(absent)} not installed here: pip install 'spikemem[nir,norse,snntorch]' to run this tutorial")

# %%
# Export for Norse and for snnTorch, load with their own importers
# ----------------------------------------------------------------
# A NIR edge takes no time, a spikemem projection at least one step: each spikemem population runs
# behind the graph by its depth, recorded in the graph as ``spikemem_skew_steps``.
# ``spikemem.interchange.nir_peers`` loads a graph with the peer's own importer, steps it, and
# lines its spikes up with a spikemem run.
if not absent:
    import tempfile
    from pathlib import Path

    import nir
    import torch

    from spikemem.interchange import nir_peers
    from spikemem.interchange.nir_graph import from_nir, save_nir

    torch.set_num_threads(1)
    folder = Path(tempfile.mkdtemp())           # where this tutorial keeps its files
    for target in ("norse", "snntorch"):
        path = folder / f"feedforward_{target}.nir"
        save_nir(net, path, target=target)                                # a file, as a user would share it
        graph = nir.read(str(path))
        shifts = {k: n.metadata["spikemem_skew_steps"] for k, n in graph.nodes.items()
                  if "spikemem_skew_steps" in n.metadata}
        module = nir_peers.load(graph, target)
        peer = nir_peers.run(module, target, nir_peers.peer_input(x, shifts["src"], T), {k: k for k in "abc"})
        ours = get_backend(target, dtype="float64").run(net, T + 5, inputs=nir_peers.inputs(x, "src", 1.0))
        for pop, spikes in peer.items():
            differ, mine, theirs = nir_peers.disagreement(ours, pop, spikes, shifts[pop])
            print(f"{target:<8} {pop}: spikemem {mine} spikes, {target} {theirs}, {differ} differ")

# %%
# A Norse model in spikemem
# -------------------------
# The other way: a Norse model (Linear - LIFBox - Linear - LIFBox) exported by Norse's own
# ``to_nir``, imported with ``semantics="norse"``, runs on spikemem's reference engine.
if not absent:
    import norse.torch as nt

    torch.manual_seed(3)
    model = nt.SequentialState(torch.nn.Linear(4, 6), nt.LIFBoxCell(), torch.nn.Linear(6, 5), nt.LIFBoxCell()).double()
    with torch.no_grad():
        for layer in (model[0], model[2]):
            layer.weight.abs_().mul_(8.0)        # excitatory enough to keep both layers firing
    imported = from_nir(nt.to_nir(model, torch.zeros(1, 4, dtype=torch.float64)), semantics="norse")
    imported = replace(imported, recording=Recording())          # record every population, not just the output
    print("imported:", [(p.name, p.size, p.cell.kind) for p in imported.populations])
    peer = nir_peers.run(model, "norse", torch.from_numpy(x.transpose(1, 0, 2).astype(float)), {"1": "1", "3": "3"})
    ours = get_backend("reference").run(imported, T + 2, inputs=nir_peers.inputs(x, "input", imported.simulation.dt))
    onset = {p.name: round(p.cell.onset / imported.simulation.dt) for p in imported.populations if not p.is_source}
    for pop, spikes in peer.items():
        differ, mine, theirs = nir_peers.disagreement(ours, pop, spikes, onset[pop])
        print(f"norse model, layer {pop}: spikemem {mine} spikes, Norse {theirs}, {differ} differ")

    fig, axes = plt.subplots(2, 1, figsize=(9, 3.6), sharex=True)
    for ax, pop in zip(axes, ("1", "3")):
        mine = ours.spike_matrix(pop)[0, onset[pop]:]
        t, n = np.nonzero(peer[pop][0])
        ax.plot(t, n, "o", mfc="none", color="#0072B2", ms=7, label="Norse")
        t, n = np.nonzero(mine)
        ax.plot(t, n, "|", color="#D55E00", ms=9, mew=2, label="spikemem (reference engine)")
        ax.set_ylabel(f"layer {pop}")
        ax.set_yticks(range(mine.shape[1]))
    axes[0].legend(loc="upper right", fontsize=8, ncol=2)
    axes[-1].set_xlabel("step (ms)")
    fig.tight_layout()
