"""Pairs at dt = 0, which NEST's stdp_synapse does not depress.

NEST depresses a synapse at a pre spike with the post events strictly before it
(ArchivingNode::get_K_value), so a post event that lands exactly on a pre spike (the post spike
plus the dendritic delay equals the pre spike's time) is not paired. The description's default,
depress_at_zero=True (sPyNNaker's rule, docs/stdp.md), depresses it. Everywhere else the two
agree, so a NEST run is exact unless such a pair occurs. The backend records the populations of
these projections and looks for such pairs after the run. A run that has one is checked against
the reference engine (the missed depression is often clipped away: a weight already at w_min)
and refused if its spikes differ, naming the projection, the time and the way out. A session
cannot be re-run: it runs the description on the reference engine beside it (Shadow) and is
refused at the first spike that differs. depress_at_zero=False is NEST's own rule and runs as is.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from spikemem.description import realisation
from spikemem.errors import UnsupportedFeature

from .recordings import only_populations


def watched(network, profile) -> list:
    """The plastic projections whose dt = 0 pairs this simulator would treat differently."""
    if profile.depresses_at_zero:
        return []
    return [pr for pr in network.projections if pr.plasticity is not None and pr.plasticity.depress_at_zero]


def recording_for(network, watch, more=()):
    """The network with the spikes of the watched projections' populations (and `more`) recorded too."""
    need = ({n for pr in watch for n in (pr.pre, pr.post)} | set(more)) - set(network.recorded_spikes)
    if not need:
        return network
    spikes = tuple(network.recorded_spikes) + tuple(p.name for p in network.populations if p.name in need)
    return replace(network, recording=replace(network.recording, spikes=spikes))


def post_lag(pr, dt: float) -> int:
    """Steps after a post spike at which STDP sees it (the dendritic delay; docs/stdp.md)."""
    return int(round((pr.delay if pr.plasticity.dendritic_delay is None else pr.plasticity.dendritic_delay) / dt))


def keep_requested(res, network) -> None:
    """Drop the spikes recorded only for this check (recording_for)."""
    keep = set(network.recorded_spikes)
    res.spikes = {n: v for n, v in res.spikes.items() if n in keep}
    for seg in res.neo_segments or ():
        seg.spiketrains = only_populations(seg.spiketrains, keep)


def on_reference(network, scheme: str, **recording):
    """The description as the reference engine runs it beside the simulator: the simulator's
    update scheme, and `recording` changes if given."""
    return replace(network, simulation=replace(network.simulation, scheme=scheme),
                   recording=replace(network.recording, **recording))


def find(network, watch, spikes: dict):
    """(projection, trial, step) of the earliest pair at dt = 0 on a watched projection, or None.
    `spikes[name]` is (trial, step, neuron) arrays, as Result.spikes holds them."""
    dt, first = network.simulation.dt, None
    for pr in watch:
        n_pre, n_post = network.population(pr.pre).size, network.population(pr.post).size
        bp, sp, ip = spikes[pr.pre]
        bq, sq, jq = spikes[pr.post]
        hit = _first_pair(pr, n_pre, n_post, (bp, sp, ip), (bq, sq + post_lag(pr, dt), jq))
        if hit is not None and (first is None or hit < first[1:]):
            first = (pr, *hit)
    return first


def refusal(network, hit, since: str) -> UnsupportedFeature:
    pr, trial, step = hit
    return UnsupportedFeature(
        f"{pr.name}.plasticity: a pre spike met a post event of the same time (dt = 0; first at "
        f"{step * network.simulation.dt:g} ms, trial {trial}), which depress_at_zero=True depresses and NEST's "
        f"stdp_synapse does not; {since}. Use depress_at_zero=False (NEST's rule), or a backend that depresses "
        "at dt = 0 (reference, torch, Brian2, sPyNNaker)")


V_ATOL = 1e-9        # mV: the simulator's V beside the reference engine's (the same exact scheme)


def confirm(network, hit, res, scheme: str, duration_ms: float, inputs, batch: int) -> None:
    """A pair at dt = 0 changes nothing where the depression it misses is clipped away (a weight
    already at w_min, as the CA3 memory's unlearned synapses are): run the description on the
    reference engine, under the simulator's scheme, and refuse only if anything recorded differs
    (spikes, weights, V and gsyn). `network` records what `res` holds (recording_for: the watched
    populations' spikes too)."""
    from spikemem.engine.array_engine import run_engine
    ref = run_engine(on_reference(network, scheme), duration_ms, inputs, batch, "reference")
    for name, got in res.spikes.items():
        if not _same(got, ref.spikes[name]):
            raise refusal(network, hit, f"this run departs from the description ({name} differs)")
    for name, w in res.weights.items():
        if not np.allclose(w, ref.weights[name], rtol=1e-9, atol=1e-12, equal_nan=True):
            raise refusal(network, hit, f"this run departs from the description (the weights of {name})")
    for signal in ("v", "gsyn_exc", "gsyn_inh"):
        for name, x in (getattr(res, signal, None) or {}).items():
            if not np.allclose(x, getattr(ref, signal)[name], rtol=1e-9, atol=V_ATOL, equal_nan=True):
                raise refusal(network, hit, f"this run departs from the description (the {signal} of {name})")


def _same(a, b) -> bool:
    a, b = (np.stack([np.asarray(x, dtype=np.int64) for x in t]) for t in (a, b))
    if a.shape != b.shape:
        return False
    return np.array_equal(a[:, np.lexsort(a[::-1])], b[:, np.lexsort(b[::-1])])


def _first_pair(pr, n_pre, n_post, pre, post):
    """(trial, step) of the earliest connected (pre, post) pair of projection `pr` whose spike and
    event share a step, or None."""
    connector = pr.connector
    bp, sp, ip = (np.asarray(a, dtype=np.int64) for a in pre)
    bq, sq, jq = (np.asarray(a, dtype=np.int64) for a in post)
    span = int(max(sp.max(initial=0), sq.max(initial=0))) + 1
    tp, tq = bp * span + sp, bq * span + sq                 # one code per (trial, step)
    common = np.intersect1d(tp, tq)
    if not len(common):
        return None
    keep_p, keep_q = np.isin(tp, common), np.isin(tq, common)
    tp, ip, tq, jq = tp[keep_p], ip[keep_p], tq[keep_q], jq[keep_q]
    if connector.kind == "all_to_all" and connector.allow_self_connections:
        first = int(common[0])
    elif connector.kind == "all_to_all":
        # every pair is connected but i -> i: a time is clear only when both sides are one and the same neuron
        lo_p, hi_p = _per_code(tp, ip, common, np.minimum), _per_code(tp, ip, common, np.maximum)
        lo_q, hi_q = _per_code(tq, jq, common, np.minimum), _per_code(tq, jq, common, np.maximum)
        clash = ~((lo_p == hi_p) & (lo_q == hi_q) & (lo_p == lo_q))
        if not clash.any():
            return None
        first = int(common[np.argmax(clash)])
    else:
        # every (pre, post) candidate of a shared step, checked against the connector's pairs
        order_q = np.argsort(tq, kind="stable")
        tq, jq = tq[order_q], jq[order_q]
        start, stop = np.searchsorted(tq, tp, "left"), np.searchsorted(tq, tp, "right")
        reps = stop - start
        cand_t = np.repeat(tp, reps)
        cand_i = np.repeat(ip, reps)
        cand_j = jq[np.repeat(start - np.cumsum(reps) + reps, reps) + np.arange(reps.sum())]
        pre_idx, post_idx = realisation.pairs(pr, n_pre, n_post)
        connected = np.isin(cand_i * n_post + cand_j, pre_idx * n_post + post_idx)
        if not connected.any():
            return None
        first = int(cand_t[connected].min())
    return first // span, first % span


def _per_code(codes, values, common, reduce):
    """reduce (np.minimum or np.maximum) of values per code, for each code of `common`."""
    out = np.full(len(common), np.iinfo(np.int64).max if reduce is np.minimum else np.iinfo(np.int64).min)
    reduce.at(out, np.searchsorted(common, codes), values)
    return out


class Shadow:
    """The description on the reference engine, advanced beside a session window by window; the
    populations of the watched projections are compared once their spikes have settled (the
    simulator may hand a window's last steps over with the next one)."""

    def __init__(self, network, watch, scheme: str):
        from spikemem.engine.session import EngineSession
        self.network, self.watch = network, watch
        self.names = sorted({n for pr in watch for n in (pr.pre, pr.post)})
        exact = on_reference(network, scheme, spikes=tuple(self.names), v=(), weights=())
        self.session = EngineSession(exact, 1, label="reference")
        self.pending = {}

    def reset(self) -> None:
        self.session.reset()
        self.pending = {n: (np.zeros(0, dtype=np.int64),) * 2 for n in self.names}

    def advance(self, until_ms: float, inputs, spikes: dict, settled: int) -> None:
        """Run the reference to until_ms and compare every spike before step `settled`;
        `spikes[name]` is the session window's (trial, step, neuron) arrays."""
        ref = self.session.run(until_ms, inputs)
        for n in self.names:
            size = self.network.population(n).size
            ours, theirs = (np.concatenate([old, s * size + i]) for old, (_, s, i) in
                            zip(self.pending[n], (spikes[n], ref.spikes[n])))
            ready_o, ready_t = ours < settled * size, theirs < settled * size
            a, b = np.sort(ours[ready_o]), np.sort(theirs[ready_t])
            if not np.array_equal(a, b):
                diff = np.setxor1d(a, b)
                names = ", ".join(pr.name for pr in self.watch)
                raise UnsupportedFeature(
                    f"{names}: STDP pairs at dt = 0, which depress_at_zero=True depresses and NEST's stdp_synapse "
                    f"does not, changed this session: {n} departs from the description at "
                    f"{int(diff.min()) // size * self.network.simulation.dt:g} ms. Use depress_at_zero=False "
                    "(NEST's rule), or a backend that depresses at dt = 0 (reference, torch, Brian2, sPyNNaker)")
            self.pending[n] = (ours[~ready_o], theirs[~ready_t])
