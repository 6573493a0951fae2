"""NIR node types x direction x peer, each cell measured; and how far NIR's continuous equations
and each library's reading of the same graph differ, on the reference engine.

    .venv/bin/python benchmarks/nir_matrix.py            # prints two markdown tables (~20 s)

A cell says 'same spikes' only after running both sides on the same input (float64, every
layer compared spike for spike after the time shift, docs/nir.md); otherwise it says what
happened (what the peer's exporter writes instead, or the error).
"""
from __future__ import annotations

import math
import sys
from dataclasses import replace

import numpy as np
import torch

from spikemem import (AllToAllConnector, IFCurrDelta, IFCurrExp, Network, Population, Projection, Recording,
                      Simulation, SpikeSourceArray, get_backend)
from spikemem.interchange import nir_peers
from spikemem.interchange.nir_graph import from_nir, to_nir

T, BATCH = 120, 2
NODES = ["Input (batch dim)", "Affine", "Linear", "Scale", "LIF", "CubaLIF", "IF", "Delay", "Flatten", "Output"]


def spikes(n, seed=0, p=0.3):
    return np.random.default_rng(seed).random((BATCH, T, n)) < p


def agree(res, peer, shifts):
    diff = total = 0
    for pop, sp in peer.items():
        d, mine, _ = nir_peers.disagreement(res, pop, sp, shifts[pop])
        diff, total = diff + d, total + mine
    return f"same spikes ({total})" if diff == 0 and total else f"{diff} of {total} spikes differ"


def attempt(fn):
    try:
        return fn()
    except Exception as e:   # a measurement: the error is the result
        return f"{type(e).__name__}: {str(e)[:90]}"


# -- import: the peer's exporter writes a model, spikemem runs it ---------------------------------
def norse_import(cells, flat=False, bias=True):
    import norse.torch as nt
    torch.manual_seed(3)
    layers, sizes = ([torch.nn.Flatten()] if flat else []), [4, 6, 5, 3]
    for i, cell in enumerate(cells):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1], bias=bias and cell != "LIFCell")
        with torch.no_grad():
            lin.weight.abs_().mul_({"LIFBoxCell": 8.0, "IAFCell": 0.6, "LIFCell": 4.0}[cell])
        layers += [lin, getattr(nt, cell)()]
    model = nt.SequentialState(*layers).double()
    graph = nt.to_nir(model, torch.zeros(1, 4, dtype=torch.float64))
    net = replace(from_nir(graph, semantics="norse"), recording=Recording())
    x = spikes(4)
    peer = nir_peers.run(model, "norse", torch.from_numpy(x.transpose(1, 0, 2).astype(float)),
                         {str(i): str(i) for i in range(1 + flat, len(model), 2)})
    backend = "reference" if "IAFCell" in cells else "norse"
    res = get_backend(backend, **({"dtype": "float64"} if backend == "norse" else {})).run(
        net, T + 3, inputs=nir_peers.inputs(x, "input", 1.0))
    return agree(res, peer, {p.name: round(p.cell.onset) for p in net.populations if not p.is_source})


def snntorch_import(kind, linear=False):
    import snntorch as snn
    from snntorch.export_nir import export_to_nir
    torch.manual_seed(1)
    opts = dict(init_hidden=True, reset_mechanism="zero", reset_delay=False)
    fc1, fc2 = torch.nn.Linear(4, 6, bias=not linear), torch.nn.Linear(6, 3, bias=False)
    with torch.no_grad():
        fc1.weight.abs_().mul_(0.8)
        fc2.weight.abs_().mul_(0.5)
    second = (snn.Synaptic(alpha=torch.full((3,), 0.7), beta=torch.full((3,), 0.9), threshold=torch.ones(3), output=True,
                           **opts) if kind == "CubaLIF" else
              snn.Leaky(beta=torch.full((3,), 0.9), threshold=torch.ones(3), output=True, **opts))
    model = torch.nn.Sequential(fc1, snn.Leaky(beta=torch.full((6,), 0.8), threshold=torch.ones(6), **opts), fc2, second)
    graph = export_to_nir(model, torch.zeros(4))
    model = nir_peers.cast_linear_inputs(model.double())
    net = replace(from_nir(graph, semantics="snntorch"), recording=Recording())
    x = spikes(4)
    peer = nir_peers.run(model, "snntorch", torch.from_numpy(x.transpose(1, 0, 2).astype(float)), {"1": "1", "3": "3"})
    res = get_backend("snntorch", dtype="float64").run(net, (T + 3) * net.simulation.dt,
                                                       inputs=nir_peers.inputs(x, "input", net.simulation.dt))
    return agree(res, peer, {p.name: round(p.cell.onset / net.simulation.dt) for p in net.populations
                             if not p.is_source})


def snntorch_exporter_fails(model_kind):
    import snntorch as snn
    from snntorch.export_nir import export_to_nir
    if model_kind == "scalar":
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), snn.Leaky(beta=0.9, init_hidden=True, output=True))
        return attempt(lambda: export_to_nir(model, torch.zeros(1, 4)) and "exports")
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3),
                                snn.Leaky(beta=torch.full((3,), 0.9), threshold=torch.ones(3), init_hidden=True, output=True))
    return attempt(lambda: export_to_nir(model, torch.zeros(1, 2, 2)) and "exports")


def import_row():
    n = {}
    n["Input (batch dim)"] = n["Affine"] = n["LIF"] = n["Output"] = norse_import(("LIFBoxCell", "LIFBoxCell"))
    n["Linear"] = "written as Affine (zero bias); " + norse_import(("LIFBoxCell", "LIFBoxCell"), bias=False)
    n["CubaLIF"] = norse_import(("LIFBoxCell", "LIFBoxCell", "LIFCell"))
    n["IF"] = norse_import(("LIFBoxCell", "IAFCell")) + " (reference engine)"
    n["Scale"] = n["Delay"] = "no Norse module writes it"
    n["Flatten"] = "torch Flatten is written as a None node: " + attempt(
        lambda: norse_import(("LIFBoxCell", "LIFBoxCell"), flat=True))
    s = {}
    s["Input (batch dim)"] = "a batch sample fails to export: " + snntorch_exporter_fails("scalar")
    s["Affine"] = s["LIF"] = s["CubaLIF"] = s["Output"] = snntorch_import("CubaLIF") + " (per-neuron beta, flat sample)"
    s["Linear"] = snntorch_import("LIF", linear=True)
    s["IF"] = "no snnTorch module writes it"
    s["Scale"] = s["Delay"] = "no snnTorch module writes it"
    s["Flatten"] = snntorch_exporter_fails("flatten")
    return n, s


# -- export: spikemem writes, the peer's importer loads and runs ----------------------------------
def exportable(kinds, scheme="spinnaker", bias=False, delay=1.0, skip=False):
    rng = np.random.default_rng(5)
    cells = {"LIF": IFCurrDelta(cm=0.5, tau_m=8.0, v_rest=-65, v_reset=-65, v_thresh=-60, tau_refrac=0.0),
             "CubaLIF": IFCurrExp(cm=0.4, tau_m=10.0, tau_syn_E=3.0, tau_syn_I=3.0, v_rest=-60, v_reset=-60,
                                  v_thresh=-57, tau_refrac=0.0),
             "IF": IFCurrDelta(cm=1.0, tau_m=math.inf, v_rest=0, v_reset=0, v_thresh=4, tau_refrac=0.0)}
    pops = [Population("src", 4, SpikeSourceArray())] + [Population(f"p{i}", 5, cells[k]) for i, k in enumerate(kinds)]
    if bias:       # only the first layer: the peer starts every layer at once (docs/nir.md, "Time")
        pops[1] = replace(pops[1], cell=replace(pops[1].cell, i_offset=tuple(rng.uniform(0, 0.3, 5))))
    projs = [Projection(f"w{i}", pops[i].name, pops[i + 1].name, AllToAllConnector(), rng.uniform(0, 2.5, (pops[i].size, 5)),
                        delay if i == 1 else 1.0) for i in range(len(kinds))]
    if skip:
        projs.append(Projection("skip", "src", pops[-1].name, AllToAllConnector(), 0.5, 1.0))
    return Network(pops, projs, Simulation(1.0, scheme))


def export_case(target, kinds, **kw):
    net = exportable(kinds, **kw)
    graph = to_nir(net, target=target)
    shifts = {k: n.metadata["spikemem_skew_steps"] for k, n in graph.nodes.items() if "spikemem_skew_steps" in n.metadata}
    module = nir_peers.load(graph, target)
    x = spikes(4, 4, p=0.25)
    layers = {p.name: p.name for p in net.populations if not p.is_source}
    peer = nir_peers.run(module, target, nir_peers.peer_input(x, shifts["src"], T), layers)
    backend = "reference" if "IF" in kinds else target
    res = get_backend(backend, **({"dtype": "float64"} if backend != "reference" else {})).run(
        net, T + 6, inputs=nir_peers.inputs(x, "src", 1.0))
    return agree(res, peer, shifts)


def export_row(target):
    out = {}
    out["Input (batch dim)"] = out["Linear"] = out["LIF"] = out["Output"] = export_case(target, ["LIF", "LIF"])
    out["Affine"] = export_case(target, ["LIF", "LIF"], bias=True) + " (i_offset as bias)"
    out["CubaLIF"] = " / ".join(f"{s}: " + export_case(target, ["LIF", "CubaLIF"], scheme=s)
                                for s in ("spinnaker", "exact"))
    out["IF"] = attempt(lambda: export_case(target, ["LIF", "IF"]) + " (vs the reference engine)")
    out["Delay"] = ("folded, delay 2 ms: " + export_case(target, ["LIF", "LIF"], delay=2.0) + "; uneven routes: "
                    + attempt(lambda: export_case(target, ["LIF", "LIF"], skip=True)))
    out["Scale"] = out["Flatten"] = "not written (not needed)"
    return out


# -- NIR's equations against each library's reading, on the reference engine ----------------------
def readings_row():
    """One fixed graph in the convention all readers accept (v_leak 0, snnTorch's r and w_in),
    read four ways at its dt of 0.1 ms and run on the reference engine."""
    import nir
    rng = np.random.default_rng(7)
    dt, n1, n2 = 1e-4, 8, 4
    tau, tm, ts = 2e-3, 3e-3, 1e-3
    full = (lambda v, n: np.full(n, v))
    graph = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([5])),
        "w1": nir.Linear(weight=rng.uniform(0, 0.3, (n1, 5))),
        "lif": nir.LIF(tau=full(tau, n1), r=full(tau / dt, n1), v_leak=full(0.0, n1), v_threshold=full(1.0, n1)),
        "w2": nir.Linear(weight=rng.uniform(0, 0.1, (n2, n1))),
        "cuba": nir.CubaLIF(tau_syn=full(ts, n2), tau_mem=full(tm, n2), r=full(tm / dt, n2), v_leak=full(0.0, n2),
                            v_threshold=full(1.0, n2), w_in=full(ts / dt, n2)),
        "output": nir.Output(output_type=np.array([n2]))},
        edges=[("input", "w1"), ("w1", "lif"), ("lif", "w2"), ("w2", "cuba"), ("cuba", "output")])
    x = spikes(5, 9, p=0.1)
    runs = {}
    for sem in ("nir", "norse.from_nir", "snntorch"):
        net = replace(from_nir(graph, semantics=sem, dt=0.1), recording=Recording())
        res = get_backend("reference").run(net, (T + 3) * 0.1, inputs=nir_peers.inputs(x, "input", 0.1))
        runs[sem] = {p: res.spike_matrix(p)[:, round(net.population(p).cell.onset / 0.1):][:, :T] for p in ("lif", "cuba")}
    rows = []
    for sem in ("norse.from_nir", "snntorch"):
        for pop in ("lif", "cuba"):
            a, b = runs["nir"][pop], runs[sem][pop]
            both, either = int((a & b).sum()), int((a | b).sum())
            rows.append((sem, pop, int(a.sum()), int(b.sum()), both, f"{100 * both / either:.1f} %" if either else "-"))
    return rows


def main() -> int:
    torch.set_num_threads(1)
    norse_in, snn_in = import_row()
    norse_out, snn_out = export_row("norse"), export_row("snntorch")
    print("| node | Norse -> spikemem | snnTorch -> spikemem | spikemem -> Norse | spikemem -> snnTorch |")
    print("|---|---|---|---|---|")
    for node in NODES:
        print(f"| {node} | {norse_in[node]} | {snn_in[node]} | {norse_out[node]} | {snn_out[node]} |")
    print()
    print("| reading | layer | spikes, NIR equations | spikes, reading | both | agreement (both / either) |")
    print("|---|---|---|---|---|---|")
    for row in readings_row():
        print("| " + " | ".join(str(c) for c in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
