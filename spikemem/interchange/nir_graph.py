"""NIR interchange: a Network with frozen weights to a NIR graph and back (nir >= 1.0).

Node mapping (NIR's CubaLIF: tau_syn dI/dt = -I + w_in S, tau_mem dv/dt = (v_leak - v) + r I,
spikes S as Dirac deltas, so one spike of Linear weight W moves I by w_in W / tau_syn):

  SpikeSourceArray population -> Input (shape n)
  IFCurrExp population        -> CubaLIF: tau_syn = tau_syn_E [s], tau_mem = tau_m [s],
                                 r = tau_m / cm [MOhm], v_leak = v_rest + r i_offset [mV],
                                 v_threshold, v_reset [mV], w_in = tau_syn [s]
                                 (so that W stays the PyNN weight in nA: a spike jumps I by W)
  Projection                  -> Linear (n_post, n_pre), weights in nA, negative if inhibitory,
                                 followed by Delay (n_post,) [s]; one Linear + Delay per
                                 distinct delay when a projection's delays differ
  recorded population         -> Output

Times are in seconds (SI, as NIR's examples and Norse use), voltages in mV, currents in nA.
What NIR's CubaLIF cannot hold travels in node metadata and is optional on import:
tau_refrac_ms and v_init_mV per CubaLIF, dt_ms and scheme on the graph (defaults: no
refractory period, start at v_leak, dt 1 ms, the 'exact' scheme, i.e. NIR's continuous
dynamics). NIR's threshold is 'v > v_threshold', the IR's is '>=': they differ only on exact
ties. CubaLIF has one synaptic current, so tau_syn_E != tau_syn_I cannot be exported.
"""
from __future__ import annotations

import numpy as np

from ..description.cells import IFCurrExp, SpikeSourceArray
from ..description.connectors import FromListConnector
from ..description.network import Network, Population, Projection, Recording, Simulation
from ..errors import UnsupportedFeature, ValidationError
from ..optional import require

MS = 1e-3   # seconds per ms


def to_nir(network: Network, freeze: bool = False, weights: dict | None = None):
    """The NIR graph of `network`.

    Plastic projections are refused unless freeze=True, which exports their weights as
    static: the initial ones, or weights[name] (n_pre, n_post), e.g. a trial of
    Result.weights[name] (NaN marks an absent synapse).
    """
    nir = require("nir", "nir")
    weights = dict(weights or {})
    for name in weights:
        pr = network.projection(name)
        if pr.plasticity is None:
            raise ValidationError("weights", name, "only plastic projections take learned weights")
    nodes, edges = {}, []
    for p in network.populations:
        if p.is_source:
            nodes[p.name] = nir.Input(input_type=np.array([p.size]))
        else:
            nodes[p.name] = _cuba_lif(p)
    for pr in network.projections:
        if pr.plasticity is not None and not freeze:
            raise UnsupportedFeature(f"projection '{pr.name}' is plastic (STDP) and NIR holds static weights: "
                                     "pass freeze=True to export its weights as they are")
        pre_pop, post_pop = network.population(pr.pre), network.population(pr.post)
        pre, post, w, d = pr.connections(pre_pop.size, post_pop.size)
        if pr.name in weights:
            learned = np.asarray(weights[pr.name], dtype=float)
            if learned.shape != (pre_pop.size, post_pop.size):
                raise ValidationError(f"weights[{pr.name}]", f"shape {learned.shape}",
                                      f"must be ({pre_pop.size}, {post_pop.size})")
            w = np.nan_to_num(learned[pre, post])
        sign = -1.0 if pr.receptor == "inhibitory" else 1.0
        groups = np.unique(d)
        for k, delay in enumerate(groups):
            sel = d == delay
            W = np.zeros((post_pop.size, pre_pop.size))
            np.add.at(W, (post[sel], pre[sel]), sign * w[sel])
            lin = pr.name if len(groups) == 1 else f"{pr.name}-d{k}"
            nodes[lin] = nir.Linear(weight=W)
            nodes[f"{lin}-delay"] = nir.Delay(delay=np.full(post_pop.size, delay * MS))
            edges += [(pr.pre, lin), (lin, f"{lin}-delay"), (f"{lin}-delay", pr.post)]
    for name in network.recorded_spikes:
        nodes[f"{name}-out"] = nir.Output(output_type=np.array([network.population(name).size]))
        edges.append((name, f"{name}-out"))
    meta = {"dt_ms": float(network.simulation.dt), "scheme": network.simulation.scheme, "name": network.name}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def _cuba_lif(p):
    import nir
    c, n = p.cell, p.size
    if c.tau_syn_E != c.tau_syn_I:
        raise UnsupportedFeature(f"population '{p.name}': tau_syn_E={c.tau_syn_E} != tau_syn_I={c.tau_syn_I}; "
                                 "NIR's CubaLIF has one synaptic current")
    r = c.tau_m / c.cm
    full = (lambda v: np.full(n, float(v)))
    return nir.CubaLIF(tau_syn=full(c.tau_syn_E * MS), tau_mem=full(c.tau_m * MS), r=full(r),
                       v_leak=full(c.v_rest + r * c.i_offset), v_threshold=full(c.v_thresh),
                       v_reset=full(c.v_reset), w_in=full(c.tau_syn_E * MS),
                       metadata={"tau_refrac_ms": float(c.tau_refrac), "v_init_mV": float(c.v_start)})


def from_nir(graph, dt: float | None = None, scheme: str | None = None, name: str | None = None) -> Network:
    """A Network from a NIR graph of Input, Output, CubaLIF, Linear, Affine (zero bias) and Delay nodes."""
    nir = require("nir", "nir")
    meta = dict(getattr(graph, "metadata", None) or {})
    dt = float(dt if dt is not None else _scalar(meta.get("dt_ms", 1.0)))
    scheme = scheme or _text(meta.get("scheme", "exact"))
    pops, neuron_nodes = [], {}
    for key, node in graph.nodes.items():
        if isinstance(node, nir.Input):
            pops.append(Population(key, _size(node.input_type["input"], key), SpikeSourceArray()))
            neuron_nodes[key] = node
        elif isinstance(node, nir.CubaLIF):
            pops.append(Population(key, len(np.atleast_1d(node.v_threshold)), _cell(key, node)))
            neuron_nodes[key] = node
        elif not isinstance(node, (nir.Output, nir.Linear, nir.Affine, nir.Delay)):
            raise UnsupportedFeature(f"NIR node '{key}' of type {type(node).__name__}: spikemem imports Input, Output, "
                                     "CubaLIF, Linear, Affine (zero bias) and Delay")
    succ = {}
    for a, b in graph.edges:
        succ.setdefault(a, []).append(b)
    projections, recorded = [], []
    for src in neuron_nodes:
        for first in succ.get(src, []):
            if isinstance(graph.nodes[first], nir.Output):
                recorded.append(src)
                continue
            for target, wkey, W, delay in _walk(graph, succ, first, neuron_nodes):
                projections += _projections(wkey, src, target, W, delay, graph.nodes[target], dt)
    return Network(pops, projections, Simulation(dt, scheme), Recording(spikes=recorded or None),
                   name=name or _text(meta.get("name", "nir_network")))


def _walk(graph, succ, key, neuron_nodes, wkey=None, W=None, delay_pre=None):
    """Follow Linear/Affine/Delay nodes from `key` to the next neuron nodes: (target, weight node, W, delay)."""
    import nir
    node = graph.nodes[key]
    if key in neuron_nodes:
        yield key, wkey, W, delay_pre
        return
    if isinstance(node, nir.Output):
        return
    if isinstance(node, (nir.Linear, nir.Affine)):
        if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
            raise UnsupportedFeature(f"NIR node '{key}': an Affine bias (a constant input) has no spikemem projection")
        if W is not None:
            raise UnsupportedFeature(f"NIR node '{key}': two weight layers in a row between neurons")
        W, wkey = np.asarray(node.weight, dtype=float), key
        if W.ndim != 2:
            raise UnsupportedFeature(f"NIR node '{key}': weight of shape {W.shape}; only 2-D Linear/Affine")
        if delay_pre is not None:   # a Delay before the weights: per pre neuron -> per synapse
            delay_pre = np.broadcast_to(np.asarray(delay_pre)[None, :], W.shape)
    elif isinstance(node, nir.Delay):
        d = np.asarray(node.delay, dtype=float)
        if W is None:
            delay_pre = d if delay_pre is None else delay_pre + d
        else:
            add = np.broadcast_to(d[:, None], W.shape)
            delay_pre = add if delay_pre is None else delay_pre + add
    for nxt in succ.get(key, []):
        yield from _walk(graph, succ, nxt, neuron_nodes, wkey, W, delay_pre)


def _projections(key, src, target, W, delay, post_node, dt):
    """Excitatory and inhibitory projections for one weight matrix (n_post, n_pre), named after its node."""
    import nir
    if W is None:
        raise UnsupportedFeature(f"NIR edge from '{src}' reaches '{target}' without a Linear/Affine weight node")
    if not isinstance(post_node, nir.CubaLIF):
        raise UnsupportedFeature(f"NIR node '{target}': only CubaLIF neurons receive projections")
    # A spike of weight W moves I by w_in W / tau_syn (nA): the IR's weight.
    gain = np.asarray(post_node.w_in, dtype=float) / np.asarray(post_node.tau_syn, dtype=float)
    W = W * np.broadcast_to(gain, (W.shape[0],))[:, None]
    delay_ms = np.zeros(W.shape) if delay is None else np.round(np.broadcast_to(delay, W.shape) / MS, 9)
    delay_ms = np.where(delay_ms > 0, delay_ms, dt)   # the IR needs >= one step; no Delay node means dt
    out = []
    for receptor, sel in (("excitatory", W > 0), ("inhibitory", W < 0)):
        post, pre = np.nonzero(sel)
        if not len(pre):
            continue
        both = np.any(W > 0) and np.any(W < 0)
        name = f"{key}_{receptor[:3]}" if both else key
        out.append(Projection(name, src, target, FromListConnector(tuple(zip(pre.tolist(), post.tolist()))),
                              np.abs(W[post, pre]), delay_ms[post, pre], receptor))
    return out


def _cell(key, node) -> IFCurrExp:
    one = (lambda field: _uniform(key, field, getattr(node, field)))
    tau_syn, tau_mem, r = one("tau_syn") / MS, one("tau_mem") / MS, one("r")
    meta = dict(node.metadata or {})
    v_leak = one("v_leak")
    return IFCurrExp(cm=_clean(tau_mem / r), tau_m=_clean(tau_mem), tau_syn_E=_clean(tau_syn), tau_syn_I=_clean(tau_syn),
                     v_rest=v_leak, v_reset=one("v_reset"), v_thresh=one("v_threshold"),
                     tau_refrac=_scalar(meta.get("tau_refrac_ms", 0.0)), i_offset=0.0,
                     v_init=_scalar(meta["v_init_mV"]) if "v_init_mV" in meta else None)


def _uniform(key, field, value) -> float:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if not np.all(arr == arr[0]):
        raise UnsupportedFeature(f"NIR node '{key}': {field} varies across neurons; a spikemem population has one cell type")
    return float(arr[0])


def _clean(x: float) -> float:
    """Undo the ms <-> s rounding of a round trip (12 significant digits)."""
    return float(f"{x:.12g}")


def _size(shape, key) -> int:
    arr = np.atleast_1d(np.asarray(shape))
    if arr.size != 1:
        raise UnsupportedFeature(f"NIR node '{key}': input shape {arr.tolist()}; only flat populations")
    return int(arr[0])


def _scalar(v) -> float:
    return float(np.asarray(v).item())


def _text(v) -> str:
    v = np.asarray(v).item() if isinstance(v, np.ndarray) else v
    return v.decode() if isinstance(v, bytes) else str(v)


def save_nir(network: Network, path, freeze: bool = False, weights: dict | None = None) -> None:
    nir = require("nir", "nir")
    nir.write(str(path), to_nir(network, freeze=freeze, weights=weights))


def load_nir(path, dt: float | None = None, scheme: str | None = None) -> Network:
    nir = require("nir", "nir")
    return from_nir(nir.read(str(path)), dt=dt, scheme=scheme)
