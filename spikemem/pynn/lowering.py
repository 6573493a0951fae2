"""From the PyNN objects of a script to a spikemem Network (what spikemem.pynn.network() returns).

- Each Population is a description Population (its label made a valid name), its cell built by the
  table of models.py; a DCSource from t = 0 that never stops adds to i_offset.
- Every other current source (models.CURRENT_SOURCES: DCSource, StepCurrentSource, ACSource,
  NoisyCurrentSource) is a description CurrentInjection per population it feeds, its times as
  PyNN's (the description's times mean what pyNN.nest's and sPyNNaker's do, docs/sources.md); a
  NoisyCurrentSource's dt is rounded to whole steps (at least one: sPyNNaker draws every step).
- Each Projection is one description Projection per (pre population, post population) pair that its
  connections join (views and assemblies split), and one more per repeated (pre, post) pair;
  OneToOne/AllToAll between whole populations with one weight and delay stay structured.
- Delays are rounded to the dt grid (as NEST and sPyNNaker round them); spike-source times are
  rounded up onto it (NEST's rule for off-grid times).
- The script's scheme decides the time stamps (recording.py): under 'exact' the run is the
  description one step earlier, so source spikes enter the engine one step before their time.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
from pyNN import common

from ..description.connectors import AllToAllConnector, FromListConnector, OneToOneConnector
from ..description.network import Network, Population, Projection, Recording, Simulation
from ..description.validation import GRID_TOL
from ..errors import UnsupportedFeature, ValidationError
from . import models

DC_FOREVER = 1e11       # ms: a DCSource stopping later than this never stops in practice


@dataclass
class Plan:
    network: Network                 # the script's network, its sources holding their spike times
    run_network: Network             # the same with empty sources: their spikes come window by window
    names: dict                      # id(PyNN Population) -> description population name
    parts: dict                      # id(PyNN Projection) -> [Part]
    sources: dict = field(default_factory=dict)     # description name -> (engine step, neuron) arrays
    shift: int = 0                   # steps between an engine step and its time stamp (exact: 1)
    order: dict = field(default_factory=dict)       # id(PyNN Population) -> its position


@dataclass
class Part:
    """One description projection made from (some of) a PyNN projection's connections."""
    name: str
    select: np.ndarray | None        # indices into Projection.connection_arrays(); None: all (structured)
    pre_index: np.ndarray | None     # index in the description's pre population, per connection
    post_index: np.ndarray | None
    plastic: bool


def scheme_of(state) -> str:
    """The script's scheme: as setup() gave it, else sPyNNaker's for its dialect or for numerics='fixed'
    (a core's arithmetic), else NEST's."""
    spinnaker = state.dialect == "spinnaker" or state.options.get("numerics") == "fixed"
    return state.options.get("scheme") or ("spinnaker" if spinnaker else "exact")


def plan(state) -> Plan:
    dt = state.dt
    scheme = scheme_of(state)
    shift = 1 if scheme == "exact" else 0
    order = {id(p): k for k, p in enumerate(state.populations)}
    names = _unique([p.label for p in state.populations], "population")
    names = {id(p): n for p, n in zip(state.populations, names)}
    offsets = _dc_offsets(state, order)
    pops, run_pops, sources = [], [], {}
    for k, p in enumerate(state.populations):
        mapping = models.cell_mapping(p.celltype)
        params = {n: np.asarray(v) for n, v in p._parameters.items()}
        if k in offsets:
            params["i_offset"] = np.asarray(params["i_offset"], dtype=float) + offsets[k]
        initial = {v: np.broadcast_to(np.asarray(a.evaluate(simplify=False), dtype=float), (p.size,))
                   for v, a in p.initial_values.items()}        # (PyNN gives a size-1 array as a scalar)
        cell = mapping.build(p.label, params, initial)
        if mapping.drawn and p._spinnaker.get("seed") is not None:      # sPyNNaker's per-source seed
            cell = replace(cell, seed=int(p._spinnaker["seed"]))
        mesw = p._spinnaker.get("max_expected_summed_weight")
        name = names[id(p)]
        if mapping.source:
            steps, neurons, cell = _source_times(p.label, cell, dt, shift, state.options.get("precise"))
            sources[name] = (steps, neurons)
            pops.append(Population(name, p.size, cell))
            run_pops.append(Population(name, p.size, type(cell)()))
        else:
            pops.append(Population(name, p.size, cell, tuple(mesw) if mesw is not None else None))
            run_pops.append(pops[-1])
    projs, parts, taken = [], {}, set()
    for k, pr in enumerate(state.projections):
        base = _unique([pr.label], f"projection{k}")[0]
        made, part_list = _lower_projection(pr, base, state, names, order, dt, taken)
        projs.extend(made)
        parts[id(pr)] = part_list
    analog = {v: tuple(names[id(p)] for p in state.populations if _records(p, v)) for v in ("v",) + models.GSYN}
    rec = Recording(spikes=None, weights=tuple(pr.name for pr in projs if pr.plasticity is not None), **analog)
    sim = Simulation(dt=dt, scheme=scheme, numerics=state.options.get("numerics", "float"))
    label = state.options.get("name") or "pynn_script"
    currents = _current_sources(state, order, names, dt)
    network = Network(tuple(pops), tuple(projs), sim, rec, name=label, current_sources=currents)
    run_network = Network(tuple(run_pops), tuple(projs), sim, rec, name=label, current_sources=currents)
    return Plan(network, run_network, names, parts, sources, shift, order)


def _records(pop, variable) -> bool:
    return any(v.name == variable for v, ids in pop.recorder.recorded.items() if ids)


def _unique(labels, fallback):
    out, seen = [], set()
    for k, label in enumerate(labels):
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", str(label or "")).strip("_") or f"{fallback}{k}"
        name, n = base, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        out.append(name)
    return out


def addresses(cells, order):
    """(population position, index in that population) of every cell of a Population, view,
    Assembly or list of IDs, in the collection's own order."""
    if isinstance(cells, common.Assembly):
        got = [addresses(p, order) for p in cells.populations]
        return (np.concatenate([g[0] for g in got]).astype(np.int64) if got else np.zeros(0, np.int64),
                np.concatenate([g[1] for g in got]).astype(np.int64) if got else np.zeros(0, np.int64))
    if isinstance(cells, common.PopulationView):
        grand = cells.grandparent
        return np.full(cells.size, order[id(grand)], dtype=np.int64), \
            np.asarray(cells.index_in_grandparent(np.arange(cells.size)), dtype=np.int64)
    if isinstance(cells, common.Population):
        return np.full(cells.size, order[id(cells)], dtype=np.int64), np.arange(cells.size, dtype=np.int64)
    cells = list(cells)
    return (np.array([order[id(c.parent)] for c in cells], dtype=np.int64),
            np.array([c.parent.id_to_index(c) for c in cells], dtype=np.int64))


def _is_offset(src) -> bool:
    """A DCSource on from t = 0 that never stops: it adds to i_offset."""
    if type(src).__name__ != "DCSource":
        return False
    start, stop = (float(np.ravel(src._native[k])[0]) for k in ("start", "stop"))
    return start <= GRID_TOL and stop >= DC_FOREVER


def _current_sources(state, order, names, dt) -> list:
    """The description's CurrentInjections of every current source that is not an offset."""
    from ..description.current_sources import CURRENT_SOURCES, CurrentInjection
    out = []
    for src in state.current_sources:
        object.__setattr__(src, "_injection", None)         # (index, population, neuron) it is recorded at
        if _is_offset(src):
            continue
        source = _description_source(src, CURRENT_SOURCES, dt)
        for cells in src.targets:
            pos, idx = addresses(cells, order)
            for k in dict.fromkeys(pos.tolist()):
                ids = idx[pos == k]
                size = state.populations[k].size
                whole = len(ids) == size and np.array_equal(ids, np.arange(size))
                rank = _ranks(ids)
                for r in range(int(rank.max()) + 1 if len(rank) else 0):   # a cell listed twice: a second injection
                    mine = ids[rank == r]
                    if src._injection is None:
                        object.__setattr__(src, "_injection", (len(out), names[id(state.populations[k])], int(mine[0])))
                    out.append(CurrentInjection(source, names[id(state.populations[k])],
                                                None if whole and r == 0 else tuple(int(i) for i in mine)))
    return out


def _ranks(ids) -> np.ndarray:
    """How many times each entry of ids appeared before it."""
    order = np.argsort(ids, kind="stable")
    s = ids[order]
    start = np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(start, np.arange(len(s)), 0)) if len(s) else np.zeros(0, np.int64)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(s)) - first
    return rank


def _description_source(src, kinds, dt):
    """The description's source of a PyNN current source (its parameters as PyNN's, in ms, nA, Hz, deg)."""
    name = type(src).__name__
    native = {k: (np.asarray(getattr(v, "value", v), dtype=float).ravel()) for k, v in src._native.items()}
    one = (lambda k: float(native[k][0]))
    stop = (lambda: math.inf if one("stop") >= DC_FOREVER else one("stop"))
    if name == "StepCurrentSource":
        return kinds[name](times=native["times"].tolist(), amplitudes=native["amplitudes"].tolist())
    if name == "DCSource":
        return kinds[name](amplitude=one("amplitude"), start=one("start"), stop=stop())
    if name == "ACSource":
        return kinds[name](amplitude=one("amplitude"), offset=one("offset"), frequency=one("frequency"),
                           phase=one("phase"), start=one("start"), stop=stop())
    every = max(1, round(one("dt") / dt))
    return kinds[name](mean=one("mean"), stdev=one("stdev"), start=one("start"), stop=stop(), dt=every * dt,
                       seed=int(getattr(src, "seed", 0)))


def _dc_offsets(state, order) -> dict:
    """Population position -> per-neuron current added by DC sources (on from 0, never off)."""
    out = {}
    for src in state.current_sources:
        if not _is_offset(src):
            continue
        amp = float(np.ravel(src._native["amplitude"])[0])
        for cells in src.targets:
            pos, idx = addresses(cells, order)
            for k in np.unique(pos):
                extra = out.setdefault(int(k), np.zeros(state.populations[k].size))
                np.add.at(extra, idx[pos == k], amp)
    return out


def _source_times(label, cell, dt, shift, precise=False):
    """(engine steps, neurons) of a SpikeSourceArray, sorted by step, and the cell with its times on
    the grid. Times are rounded up onto the dt grid (NEST's on-grid rule, and sPyNNaker steps whole
    time steps); where the script asked NEST for precise times (spike_precision='off_grid'), a time
    off the grid is refused instead."""
    steps, neurons, rows = [], [], []
    for i, times in enumerate(cell.spike_times):
        t = np.asarray(times, dtype=float)
        if t.size and (not np.all(np.isfinite(t)) or np.any(t < 0)):
            bad = t[~np.isfinite(t) | (t < 0)][0]
            raise ValidationError(f"{label}.spike_times[{i}]", float(bad), "must be finite and >= 0 ms")
        s = np.ceil(t / dt - GRID_TOL * np.maximum(1.0, t / dt)).astype(np.int64)
        if precise and np.any(np.abs(s * dt - t) > GRID_TOL * np.maximum(1.0, t)):
            bad = t[np.abs(s * dt - t) > GRID_TOL * np.maximum(1.0, t)][0]
            raise UnsupportedFeature(f"{label}.spike_times[{i}]={bad:g} with spike_precision='off_grid': spike times "
                                     f"between the steps of dt={dt:g} ms (the description runs on the grid)")
        rows.append(tuple(np.round(np.unique(s) * dt, 9).tolist()))
        steps.append(np.unique(s))
        neurons.append(np.full(len(steps[-1]), i, dtype=np.int64))
    s = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    n = np.concatenate(neurons) if neurons else np.zeros(0, np.int64)
    if shift and len(s) and s.min() < shift:
        i = int(n[np.argmin(s)])
        raise ValidationError(f"{label}.spike_times[{i}]", 0.0,
                              "under scheme='exact' a source spike must lie at >= dt (a step's spikes are "
                              "stamped at its end, as in NEST, which refuses such times too)")
    order = np.lexsort((n, s))
    return s[order] - shift, n[order], type(cell)(spike_times=tuple(rows))


def _delays(label, d, dt):
    d = np.asarray(d, dtype=float)
    steps = np.rint(d / dt)
    if np.any(~np.isfinite(d)) or np.any(steps < 1):
        bad = d[~np.isfinite(d) | (steps < 1)].ravel()[0]
        raise ValidationError(f"{label}.delay", float(bad), f"must be at least one time step ({dt:g} ms)")
    return steps * dt


def _lower_projection(pr, base, state, names, order, dt, taken):
    label = pr.label or base
    models.check_synapse(pr.synapse_type)
    plastic = type(pr.synapse_type).__name__ == "STDPMechanism"
    receptor = pr.receptor_type
    if pr._structured is not None:
        kind, _, scalars = pr._structured
        rule = models.stdp_rule({k: np.array([v]) for k, v in scalars.items()}, label, state.dialect,
                                _dependence(pr)) if plastic else None
        connector = OneToOneConnector() if kind == "one_to_one" else \
            AllToAllConnector(allow_self_connections=not pr.self_pairs_dropped())
        name = _fresh(base, taken)
        d = float(_delays(label, scalars["delay"], dt))
        made = Projection(name, names[id(pr.pre)], names[id(pr.post)], connector, weight=abs(scalars["weight"]),
                          delay=d, receptor=receptor, plasticity=rule)
        return [made], [Part(name, None, None, None, plastic)]
    pre, post, values = pr.connection_arrays(live=False)
    pre_pos, pre_idx = (a[pre] for a in addresses(pr.pre, order))
    post_pos, post_idx = (a[post] for a in addresses(pr.post, order))
    delays = _delays(label, values["delay"], dt)
    made, parts = [], []
    if not len(pre):
        return made, parts
    ends = pre_pos * len(order) + post_pos
    key = (ends * (pre_idx.max() + 1) + pre_idx) * (post_idx.max() + 1) + post_idx
    sort = np.argsort(key, kind="stable")
    first = np.r_[True, key[sort][1:] != key[sort][:-1]]
    layer = np.empty(len(key), dtype=np.int64)
    starts = np.flatnonzero(first)
    layer[sort] = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rule = models.stdp_rule(values, label, state.dialect, _dependence(pr)) if plastic else None
    for group in np.unique(ends * (layer.max() + 1) + layer):
        sel = np.flatnonzero(ends * (layer.max() + 1) + layer == group)
        a, b = int(pre_pos[sel[0]]), int(post_pos[sel[0]])
        d = delays[sel]
        if plastic and not np.all(d == d[0]):
            raise UnsupportedFeature(f"{label}: plastic synapses with different delays; the description's STDP "
                                     "has one delay per projection")
        name = _fresh(base, taken)
        conn = FromListConnector(np.column_stack([pre_idx[sel], post_idx[sel]]).tolist())
        made.append(Projection(name, names[id(state.populations[a])], names[id(state.populations[b])], conn,
                               weight=np.abs(values["weight"][sel]), delay=float(d[0]) if plastic else d,
                               receptor=receptor, plasticity=rule))
        parts.append(Part(name, sel, pre_idx[sel], post_idx[sel], plastic))
    return made, parts


def _dependence(pr) -> str:
    return type(pr.synapse_type.weight_dependence).__name__


def _fresh(base, taken):
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name
