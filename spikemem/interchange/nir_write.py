"""Network -> NIR graph, for NIR's own equations (target 'generic') or for what a peer's
importer reads (norse.torch.from_nir, snntorch.import_nir.import_from_nir). Formulas and their
derivation: docs/nir.md."""
from __future__ import annotations

import math
from dataclasses import fields

import numpy as np

from ..errors import UnsupportedFeature, ValidationError
from ..description import realisation
from ..description.features import cell_features
from ..description.propagators import exact_current_gain, spinnaker_init
from .nir_semantics import MS, SNNTORCH_DT_S, next_down

TARGETS = ("generic", "norse", "snntorch")


def write(network, target: str, freeze: bool, weights: dict | None):
    import nir
    if target not in TARGETS:
        raise ValidationError("target", target, f"must be one of {list(TARGETS)}")
    _check_exportable(network)
    _check_values(network)
    conns = _connections(network, freeze, dict(weights or {}))
    if target == "generic":
        nodes, edges = _generic(nir, network, conns)
        meta = {"dt_ms": float(network.simulation.dt), "scheme": network.simulation.scheme, "name": network.name}
        recorded = network.recorded_spikes
    else:
        nodes, edges, skew = _peer(nir, network, conns, target)
        meta = {"dt_ms": float(network.simulation.dt), "name": network.name, "spikemem_target": target}
        for k, s in skew.items():
            nodes[k].metadata = {**nodes[k].metadata, "spikemem_skew_steps": int(s)}
        # nirtorch's executors return one output: the recorded population furthest from the input
        rec = [n for n in network.recorded_spikes if not network.population(n).is_source]
        rec = rec or [n for n in skew if not network.population(n).is_source]
        if not rec:
            raise UnsupportedFeature(f"target={target!r}: the network has no IF population for the Output node "
                                     "that the peer's executor returns")
        recorded = [max(rec, key=lambda n: skew[n])]
    for name in recorded:
        nodes[f"{name}-out"] = nir.Output(output_type=np.array([network.population(name).size]))
        edges.append((name, f"{name}-out"))
    _check_typable(network, nodes, edges)
    return nir.NIRGraph(nodes=dict(nodes), edges=edges, metadata=meta)


class _Nodes(dict):
    """NIR nodes by name. A name that would stand for two nodes (a projection named like a
    population, or like a name derived here: NAME-delay, NAME-out, NAME-d0, ...) is refused,
    not silently overwritten."""

    def __setitem__(self, key, value):
        if key in self:
            raise UnsupportedFeature(f"NIR node name '{key}' would stand for two nodes ({type(self[key]).__name__} and "
                                     f"{type(value).__name__}): rename the population or projection of that name")
        super().__setitem__(key, value)


def _check_exportable(network) -> None:
    """What no NIR graph can hold, refused by name before anything is built."""
    if network.current_sources:
        inj = network.current_sources[0]
        raise UnsupportedFeature(f"current_sources: NIR has no node for a {inj.source.kind} (into '{inj.population}'); "
                                 "a constant current from t = 0 can be the cells' i_offset")
    for p in network.populations:
        if p.size == 0:
            raise UnsupportedFeature(f"population '{p.name}' has no neurons: a NIR node has at least one")
        if not p.is_source and p.cell.kind not in ("IF_curr_exp", "IF_curr_delta"):   # NIR: LIF, CubaLIF, IF
            feature = sorted(cell_features(p.cell, network.simulation.dt))[0]
            raise UnsupportedFeature(f"population '{p.name}': NIR has no node for {p.cell.kind} ({feature})")


def _check_typable(network, nodes, edges) -> None:
    """nir (1.0) infers a graph's types from the edges that leave its Input nodes to the nodes
    without outgoing edges (Output among them), and refuses a graph without either with its own
    ValueError: refused here by name instead."""
    import nir
    if not any(isinstance(nodes[a], nir.Input) for a, _ in edges):
        if all(p.is_source for p in network.populations):
            raise UnsupportedFeature(f"network '{network.name}' has no IF population: its NIR graph would be Input "
                                     "nodes alone, which nir cannot type")
        raise UnsupportedFeature(f"network '{network.name}' has no spike source: a NIR graph is typed from the edges "
                                 "that leave its Input nodes; add a SpikeSourceArray population (it may stay silent)")
    if not set(nodes) - {a for a, _ in edges}:
        raise UnsupportedFeature(f"network '{network.name}': every population feeds another and none is recorded "
                                 "(recording.spikes), so the NIR graph has no Output node nor any other end for "
                                 "nir's type inference; record the spikes of a population")


def _check_values(network) -> None:
    """NIR nodes here take one value per population for everything but i_offset, and NIR has no
    Poisson source: refuse the rest by name."""
    for p in network.populations:
        if p.cell.kind == "SpikeSourcePoisson":
            raise UnsupportedFeature(f"population '{p.name}': a SpikeSourcePoisson has no NIR node (source.poisson); "
                                     "give the graph its spikes as input")
        if p.is_source:
            continue
        for name in (f.name for f in fields(p.cell)):
            value = getattr(p.cell, name)
            if name != "i_offset" and value is not None and not isinstance(value, (int, float)):
                raise UnsupportedFeature(f"population '{p.name}': {name} is given per neuron, which the NIR export "
                                         "writes as one value per population (only i_offset is per neuron)")


def _connections(network, freeze, weights):
    """Per projection: (projection, dense signed W (n_post, n_pre) per delay, delays in ms)."""
    for name in weights:
        if network.projection(name).plasticity is None:
            raise ValidationError("weights", name, "only plastic projections take learned weights")
    out = []
    for pr in network.projections:
        if pr.plasticity is not None and not freeze:
            raise UnsupportedFeature(f"projection '{pr.name}' is plastic (STDP) and NIR holds static weights: "
                                     "pass freeze=True to export its weights as they are")
        n_pre, n_post = network.population(pr.pre).size, network.population(pr.post).size
        pre, post, w, d = pr.connections(n_pre, n_post, network.simulation.dt)
        if pr.name in weights:
            learned = np.asarray(weights[pr.name], dtype=float)
            if learned.shape != (n_pre, n_post):
                raise ValidationError(f"weights[{pr.name}]", f"shape {learned.shape}", f"must be ({n_pre}, {n_post})")
            w = np.nan_to_num(learned[pre, post])
        sign = -1.0 if pr.receptor == "inhibitory" else 1.0
        groups = []
        for delay in np.unique(d):
            sel = d == delay
            W = np.zeros((n_post, n_pre))
            np.add.at(W, (post[sel], pre[sel]), sign * w[sel])
            groups.append((float(delay), W))
        out.append((pr, groups))
    return out


# -- generic: NIR's continuous equations ----------------------------------------------------------
def _generic(nir, network, conns):
    nodes, edges = _Nodes(), []
    for p in network.populations:
        nodes[p.name] = nir.Input(input_type=np.array([p.size])) if p.is_source else _generic_cell(nir, p)
    for pr, groups in conns:
        for k, (delay, W) in enumerate(groups):
            lin = pr.name if len(groups) == 1 else f"{pr.name}-d{k}"
            nodes[lin] = nir.Linear(weight=W)     # into a LIF (r = tau) or IF (r = 1), W is the jump in mV
            nodes[f"{lin}-delay"] = nir.Delay(delay=np.full(W.shape[0], delay * MS))
            edges += [(pr.pre, lin), (lin, f"{lin}-delay"), (f"{lin}-delay", pr.post)]
    # nir gives a neuron node without incoming edges an Input node of its own, which no reader
    # maps back, and types a graph from the edges that leave Input nodes: such a population, or
    # the first one if no edge leaves a source, is fed zeros from the first source (read back:
    # no synapse)
    sources = [p for p in network.populations if p.is_source]
    cells = [p for p in network.populations if not p.is_source]
    fed = {b for _, b in edges}
    zero_fed = [p for p in cells if p.name not in fed]
    if not zero_fed and not any(a == s.name for a, _ in edges for s in sources):
        zero_fed = cells[:1]
    for p in zero_fed if sources else ():
        src, link = sources[0], f"{p.name}-unfed"
        nodes[link] = nir.Linear(weight=np.zeros((p.size, src.size)))
        nodes[f"{link}-delay"] = nir.Delay(delay=np.full(p.size, network.simulation.dt * MS))
        edges += [(src.name, link), (link, f"{link}-delay"), (f"{link}-delay", p.name)]
    return nodes, edges


def _generic_cell(nir, p):
    c, n = p.cell, p.size
    full = (lambda v: np.full(n, float(v)))
    i_off = _i_offset(p)
    meta = {"tau_refrac_ms": float(c.tau_refrac), "v_init_mV": float(c.v_start)}
    if np.any(i_off != i_off[0]):
        meta["v_rest_mV"] = float(c.v_rest)   # v_leak varies: v_rest + R i_offset per neuron
    if c.onset:
        meta["onset_ms"] = float(c.onset)
    if c.kind == "IF_curr_exp":
        if c.tau_syn_E != c.tau_syn_I:
            raise UnsupportedFeature(f"population '{p.name}': tau_syn_E={c.tau_syn_E} != tau_syn_I={c.tau_syn_I}; "
                                     "NIR's CubaLIF has one synaptic current")
        r = c.tau_m / c.cm
        return nir.CubaLIF(tau_syn=full(c.tau_syn_E * MS), tau_mem=full(c.tau_m * MS), r=full(r),
                           v_leak=c.v_rest + r * i_off, v_threshold=full(c.v_thresh),
                           v_reset=full(c.v_reset), w_in=full(c.tau_syn_E * MS), metadata=meta)
    meta["cm_nF"] = float(c.cm)
    if math.isinf(c.tau_m):    # dv/dt = r I: a drift of i_offset / cm per ms
        if np.any(i_off != 0):
            raise UnsupportedFeature(f"population '{p.name}': i_offset={c.i_offset} nA without leak; NIR's IF has no "
                                     "leak potential to hold it")
        return nir.IF(r=full(1.0), v_threshold=full(c.v_thresh), v_reset=full(c.v_reset), metadata=meta)
    return nir.LIF(tau=full(c.tau_m * MS), r=full(c.tau_m * MS), v_leak=c.v_rest + c.tau_m / c.cm * i_off,
                   v_threshold=full(c.v_thresh), v_reset=full(c.v_reset), metadata=meta)


# -- peers: what their importers read -------------------------------------------------------------
def _peer(nir, network, conns, target):
    """One Input, one weight node per (pre, post) pair, a bias on the first weight node into a
    population (Affine), one Output: what nirtorch's executors run. norse.torch.from_nir runs a
    node when its depth-first walk first reaches it, so a population fed by two others would
    see one of them a step late: refused for target 'norse'."""
    dt = network.simulation.dt
    sources = [p for p in network.populations if p.is_source]
    if len(sources) != 1:
        raise UnsupportedFeature(f"target={target!r}: the peer's graph executor feeds one Input node; the network "
                                 f"has {len(sources)} spike sources ({', '.join(p.name for p in sources)})")
    skew = _skews(network, conns, target)
    src = sources[0]
    pairs = {}
    for pr, ((_, W),) in conns:
        post = network.population(pr.post).cell
        key = (pr.pre, pr.post)
        W = W * _peer_weight_gain(post, dt, target, network.simulation.scheme)
        names, acc = pairs.get(key, ([], 0.0))
        pairs[key] = (names + [pr.name], acc + W)
    nodes, edges = _Nodes({src.name: nir.Input(input_type=np.array([src.size]))}), []
    for p in network.populations:
        if p.is_source:
            continue
        _check_peer_cell(p, network, target, skew[p.name])
        nodes[p.name] = _peer_cell(nir, p.cell, p.size, dt, target)
        feeds = [k for k in pairs if k[1] == p.name and k[0] != p.name]
        if target == "norse" and len(feeds) > 1:
            raise UnsupportedFeature(f"population '{p.name}' is fed by {len(feeds)} populations "
                                     f"({', '.join(k[0] for k in feeds)}); norse.torch.from_nir's executor runs a node "
                                     "when it first reaches it, so all but one input would arrive a step late")
        b = _peer_bias(p, dt, target)
        if b is not None and not feeds:
            pairs[(src.name, p.name)] = ([f"{p.name}-bias"], np.zeros((p.size, src.size)))
            feeds = [(src.name, p.name)]
        for k in pairs:
            if k[1] == p.name:
                names, W = pairs[k]
                name = names[0] if len(names) == 1 else f"{k[0]}-to-{k[1]}"
                if b is not None and k == feeds[0]:
                    nodes[name] = nir.Affine(weight=W, bias=b)
                else:
                    nodes[name] = nir.Linear(weight=W)
                edges += [(k[0], name), (name, k[1])]
    return nodes, edges, skew


def _skews(network, conns, target):
    """Each population's shift s (spikemem step = peer step + s). The peer runs a hop in the step
    its input spikes (a self-loop one step later); a projection of D steps (one more into an
    IFCurrExp under the 'exact' scheme) is folded into s_post = s_pre + D, and refused where
    two routes would need different shifts. The first layer gets s = 0: the peer's input at step
    t is what arrives at it at t."""
    dt, exact = network.simulation.dt, network.simulation.scheme == "exact"
    hops = []
    for pr, groups in conns:
        if len(groups) != 1:
            raise UnsupportedFeature(f"projection '{pr.name}': delays {[g[0] for g in groups]} ms differ within it; "
                                     f"target={target!r} has no Delay node")
        lag = round(groups[0][0] / dt) + (1 if exact and network.population(pr.post).cell.kind == "IF_curr_exp" else 0)
        if pr.pre == pr.post:
            if target == "snntorch":
                raise UnsupportedFeature(
                    f"projection '{pr.name}': a self-projection becomes the recurrent subgraph that "
                    "snntorch.import_nir cannot load (snnTorch 1.0 with nirtorch 2.6 fails in _construct_fx_graph: "
                    "'GraphModule' object has no attribute 'items')")
            if lag != 1:
                raise UnsupportedFeature(f"projection '{pr.name}': a self-projection reaches its neurons {lag} steps "
                                         f"later; the peer's recurrent update takes exactly one (target={target!r})")
            continue
        hops.append((pr, lag))
    s = {p.name: 0 for p in network.populations if p.is_source}
    changed = True
    while changed:
        changed = False
        for pr, lag in hops:
            if pr.pre not in s:
                continue
            if pr.post not in s:
                s[pr.post], changed = s[pr.pre] + lag, True
            elif s[pr.post] != s[pr.pre] + lag:
                raise UnsupportedFeature(
                    f"projection '{pr.name}' ({lag} steps) reaches '{pr.post}' {s[pr.pre] + lag - s[pr.post]:+d} "
                    f"steps off the other routes to it (or closes a cycle); target={target!r} has no Delay node, "
                    "so only delays that make every route to a population equally long fold into its time shift")
    missing = [p.name for p in network.populations if p.name not in s]
    if missing:
        raise UnsupportedFeature(f"population '{missing[0]}' is not reached from the input (or sits on a cycle); "
                                 f"target={target!r} runs the graph forward from its Input once per step")
    first = min((v for k, v in s.items() if not network.population(k).is_source), default=0)
    return {k: v - first for k, v in s.items()}


def _check_peer_cell(p, network, target, skew):
    """What the peers' importers cannot hold, by name."""
    c, dt = p.cell, network.simulation.dt
    if c.kind == "IF_curr_exp" and c.tau_syn_E != c.tau_syn_I:
        raise UnsupportedFeature(f"population '{p.name}': tau_syn_E != tau_syn_I; CubaLIF has one synaptic current")
    driven = bool(np.any(_i_offset(p) != 0))
    if c.kind == "IF_curr_exp" and driven:
        raise UnsupportedFeature(f"population '{p.name}': i_offset={c.i_offset} nA; the peer's CubaLIF takes a bias "
                                 "only through its synaptic current")
    if c.v_reset != c.v_rest:
        raise UnsupportedFeature(f"population '{p.name}': v_reset={c.v_reset} != v_rest={c.v_rest}; the {target} "
                                 "importer resets to its leak potential (0)")
    if round(c.tau_refrac / dt):
        raise UnsupportedFeature(f"population '{p.name}': tau_refrac={c.tau_refrac} ms; the {target} importer has no "
                                 "refractory period")
    if c.v_start != c.v_rest:
        raise UnsupportedFeature(f"population '{p.name}': v_init={c.v_init} != v_rest; the {target} importer starts "
                                 "at its leak potential")
    if c.onset != skew * dt and (c.onset or driven):
        raise UnsupportedFeature(f"population '{p.name}': it moves from step {round(c.onset / dt)} (onset, i_offset="
                                 f"{c.i_offset}) but its input puts it {skew} steps behind the peer's first layer")
    if math.isinf(c.tau_m) and target == "snntorch":
        raise UnsupportedFeature(f"population '{p.name}': snntorch.import_nir turns NIR's IF into a Leaky with beta "
                                 "0.9, so a membrane without leak cannot be exported to it")


def _peer_cell(nir, c, n, dt, target):
    full = (lambda v: np.full(n, float(v)))
    thr, zero = full(next_down(c.v_thresh - c.v_rest)), full(0.0)
    dt_s = dt * MS if target == "norse" else SNNTORCH_DT_S
    if math.isinf(c.tau_m):
        return nir.IF(r=full(1.0), v_threshold=thr, v_reset=zero)
    km = -math.expm1(-dt / c.tau_m)
    if c.kind == "IF_curr_delta":
        tau = dt_s / km
        return nir.LIF(tau=full(tau), r=full(1.0 if target == "norse" else tau / dt_s), v_leak=zero,
                       v_threshold=thr, v_reset=zero)
    ks = -math.expm1(-dt / c.tau_syn_E)
    tau_m, tau_s = dt_s / km, dt_s / ks
    if target == "norse":
        return nir.CubaLIF(tau_syn=full(tau_s), tau_mem=full(tau_m), r=full(1.0), v_leak=zero, v_threshold=thr,
                           v_reset=zero, w_in=full(1.0))
    return nir.CubaLIF(tau_syn=full(tau_s), tau_mem=full(tau_m), r=full(tau_m / dt_s), v_leak=zero,
                       v_threshold=thr, v_reset=zero, w_in=full(tau_s / dt_s))


def _peer_weight_gain(c, dt, target, scheme) -> float:
    """NIR weight per spikemem weight for a projection into cell c (docs/nir.md, "Export")."""
    if math.isinf(c.tau_m):
        return 1.0
    km = -math.expm1(-dt / c.tau_m)
    if c.kind == "IF_curr_delta":
        return 1.0 / km if target == "norse" else 1.0
    R = c.tau_m / c.cm
    ks = -math.expm1(-dt / c.tau_syn_E)
    if scheme == "spinnaker":
        init = float(spinnaker_init(c.tau_syn_E, dt))
        return R * init / ks if target == "norse" else km * R * init
    p21 = _p21(c, dt)
    return p21 / (km * ks) if target == "norse" else p21


def _p21(c, dt):
    return float(exact_current_gain(np.array([c.tau_m]), np.array([c.tau_syn_E]), np.array([c.cm]), dt)[0])


def _peer_bias(p, dt, target):
    c = p.cell
    i_off = _i_offset(p)
    if not np.any(i_off != 0):
        return None
    if math.isinf(c.tau_m):
        return dt / c.cm * i_off
    R = c.tau_m / c.cm
    return R * i_off if target == "norse" else -math.expm1(-dt / c.tau_m) * R * i_off


def _i_offset(p):
    """i_offset per neuron (a number, a tuple or a distribution, realised as every backend does)."""
    return realisation.neuron_values(p, "i_offset")
