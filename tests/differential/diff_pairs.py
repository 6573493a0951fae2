"""The backend pairs of the differential fuzzer, and how an outcome is classified.

A pair runs one network two ways that the docs promise agree: two backends, a batch and its
trials alone, a session's windows and one run, a network and its JSON, NIR or neo round trip.
The outcome is one of
- agree: the same spikes, and V and weights within the pair's tolerance (0: bit-identical);
- refused: spikemem's UnsupportedFeature, ValidationError or ResourceError (a named refusal);
- n/a: the pair has nothing to compare for this network (a batch needs array sources);
- silent: both sides ran and differ (a SILENT DIFFERENCE);
- crash: any other exception (an UNDECLARED EXCEPTION).
A pair's needs are modules: a pair whose modules are missing is left out of PAIRS' available list.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import tempfile
import traceback
from dataclasses import dataclass

import numpy as np

AGREE, REFUSED, NA, SILENT, CRASH = "agree", "refused", "n/a", "silent", "crash"


@dataclass(frozen=True)
class Tolerance:
    v_atol: float = 0.0             # mV
    w_rtol: float = 0.0
    w_atol: float = 0.0


EXACT = Tolerance()
NEST_TOL = Tolerance(v_atol=1e-9, w_rtol=1e-9, w_atol=1e-12)     # tests/test_pynn_cells.py, test_pynn_differential.py
BRIAN2_TOL = Tolerance(v_atol=1e-4, w_rtol=1e-9, w_atol=1e-12)


def differences(a, b, tol=EXACT, trials=((0, 0),), v_offset_b=0) -> list:
    """What differs between Result a and Result b (trial ka of a against kb of b)."""
    out = []
    for ka, kb in trials:
        for pop in sorted(set(a.spikes) | set(b.spikes)):
            if pop not in a.spikes or pop not in b.spikes:
                out.append(f"spikes[{pop}] recorded on one side only")
            elif a.spike_list(pop, trial=ka) != b.spike_list(pop, trial=kb):
                x, y = a.spike_list(pop, trial=ka), b.spike_list(pop, trial=kb)
                first = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
                out.append(f"spikes[{pop}] trial {ka}: {len(x)} vs {len(y)}, first differing "
                           f"{x[first] if first < len(x) else None} vs {y[first] if first < len(y) else None} ([step, neuron])")
        for what, rtol, atol in (("v", 0.0, tol.v_atol), ("weights", tol.w_rtol, tol.w_atol)):
            da, db = getattr(a, what), getattr(b, what)
            for name in sorted(set(da) & set(db)):
                x, y = np.asarray(da[name][ka], float), np.asarray(db[name][kb], float)
                if x.shape != y.shape:
                    out.append(f"{what}[{name}] shape {x.shape} vs {y.shape}")
                elif not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True) or (
                        rtol == atol == 0 and not np.array_equal(x, y, equal_nan=True)):
                    err = np.nanmax(np.abs(x - y)) if x.size else 0
                    out.append(f"{what}[{name}] trial {ka}: max |difference| {err:.3g}")
            if set(da) != set(db):
                out.append(f"{what} recorded for {sorted(set(da) ^ set(db))} on one side only")
    return out


def _backend(name, **kw):
    from spikemem import get_backend
    return get_backend(name, **kw)


def _run(name, net, duration, inputs=None, **kw):
    return _backend(name, **kw).run(net, duration, inputs=inputs)


# -- the pairs: each returns a list of differences, or NA ------------------------------------------
def backends(other, tol, trials=1, **kw):
    """reference against `other`; with trials > 1 a batch of per-trial inputs where the network allows."""
    def pair(net, duration, rng):
        if trials > 1 and _array_sources(net) and not any(p.cell.kind == "SpikeSourcePoisson" for p in net.populations):
            inputs = _trial_inputs(net, duration, rng, trials)
            a, b = _run("reference", net, duration, inputs), _run(other, net, duration, inputs, **kw)
            return differences(a, b, tol, trials=[(k, k) for k in range(trials)])
        return differences(_run("reference", net, duration), _run(other, net, duration, **kw), tol)
    return pair


NEAR_MV = 0.01       # docs/cells.md: a spike only one side has, where the other side's V is this near threshold


def _first_difference_allowed(net, duration, name) -> list:
    """docs/cells.md's promise for IFCondExp on NEST's adaptive solver, at the runs' first spike
    difference: a spike one step off, or a spike only one side has where the other side's V is
    within NEAR_MV of the threshold (both runs again with every neuron population's V recorded).
    After such a step the runs may go apart; a first difference of another kind is a finding."""
    cells = tuple(p.name for p in net.populations if not p.is_source)
    net = dataclasses.replace(net, recording=dataclasses.replace(net.recording, spikes=None, v=cells))
    a, b = _run("reference", net, duration), _run(name, net, duration)
    dt = net.simulation.dt
    steps = {side: {(pop, i): {round(t / dt) for t in train} for pop in cells
                    for i, train in enumerate(res.spike_trains(pop))} for side, res in (("a", a), ("b", b))}
    differ = [(min(steps["a"][k] ^ steps["b"][k]), k) for k in steps["a"] if steps["a"][k] != steps["b"][k]]
    if not differ:
        return []
    first = min(s for s, _ in differ)
    out = []
    for s, (pop, i) in differ:
        if s != first:
            continue
        mine, other = (steps["a"], b) if s in steps["a"][(pop, i)] else (steps["b"], a)
        theirs = steps["b" if mine is steps["a"] else "a"][(pop, i)]
        if theirs & {s - 1, s + 1}:
            continue                                   # one step off
        gap = float(np.broadcast_to(net.population(pop).cell.v_thresh, (net.population(pop).size,))[i]
                    - other.v[pop][0, s, i])
        if gap > NEAR_MV:
            out.append(f"spikes[{pop}] neuron {i}: a spike at step {s} only one side has, the other's V "
                       f"{gap:.3g} mV below threshold")
    return out


def simulator_pair(name, tol, adaptive_cond_exp=False):
    """NEST and Brian2 against the reference: the same spikes, V and weights within tol. IFCondExp on
    NEST's adaptive GSL solver is held to docs/cells.md's looser promise (_first_difference_allowed);
    Brian2 runs it on the sub-steps the run's conductances need (cond_substeps) and is held to tol."""
    def check(net, duration, rng):
        if adaptive_cond_exp and any(p.cell.kind == "IF_cond_exp" for p in net.populations):
            return _first_difference_allowed(net, duration, name)
        return differences(_run("reference", net, duration), _run(name, net, duration), tol)
    return check


def fixed_engines(net, duration, rng):
    """Fixed-point numerics: reference and torch give the same bits."""
    from spikemem import Simulation
    net = dataclasses.replace(net, simulation=Simulation(net.simulation.dt, "spinnaker", "fixed"))
    return differences(_run("reference", net, duration), _run("torch", net, duration, dtype="float64"))


def _array_sources(net):
    return [p for p in net.populations if p.cell.kind == "SpikeSourceArray"]


def _trial_inputs(net, duration, rng, trials):
    """Per-trial trains for every array source: the description's own in trial 0; after it each
    source keeps them, loses them or draws new ones, so trials differ in a few sources only (a
    gate shut in one trial and open in another, the same stimulus beside)."""
    dt = net.simulation.dt
    steps = int(round(duration / dt))
    out = {}
    for p in _array_sources(net):
        own = [list(tr) for tr in p.cell.spike_times] + [[] for _ in range(p.size - len(p.cell.spike_times))]
        rows = [own]
        for _ in range(trials - 1):
            how = rng.integers(0, 3)
            rows.append(own if how == 0 else [[] for _ in own] if how == 1 else
                        [sorted({round(float(k) * dt, 6) for k in rng.integers(0, steps, rng.integers(0, max(2, steps // 2)))})
                         for _ in range(p.size)])
        out[p.name] = rows
    return out


def batch_single(engine, **kw):
    def pair(net, duration, rng):
        if any(p.cell.kind == "SpikeSourcePoisson" for p in net.populations) or not _array_sources(net):
            return NA                                           # a Poisson trial k has no run of its own
        inputs = _trial_inputs(net, duration, rng, 3)
        batch = _run(engine, net, duration, inputs, **kw)
        out = []
        # noise is drawn per trial (docs/sources.md): a run alone is trial 0, so only trial 0 has its twin
        noisy = any(i.source.kind == "NoisyCurrentSource" for i in getattr(net, "current_sources", ()))
        for k in range(1 if noisy else 3):
            alone = _run(engine, net, duration, {n: [t[k]] for n, t in inputs.items()}, **kw)
            out += differences(batch, alone, EXACT, trials=((k, 0),))
        return out
    return pair


def session_windows(net, duration, rng):
    """A session run in 2-4 windows gives one run's spikes, V (window by window) and final weights."""
    dt = net.simulation.dt
    steps = int(round(duration / dt))
    cuts = sorted(set(int(x) for x in rng.integers(1, steps, rng.integers(1, 4)))) + [steps]
    one = _run("reference", net, duration)
    s = _backend("reference").session(net)
    windows = [s.run(round(c * dt, 6)) for c in cuts]
    out = []
    for pop in one.spikes:
        got = sorted(x for w in windows for x in w.spike_list(pop))
        if got != sorted(one.spike_list(pop)):
            out.append(f"spikes[{pop}]: windows {len(got)} vs one run {one.count(pop)}")
    for pop in one.v:
        got = np.concatenate([w.v[pop] for w in windows], axis=1)
        if not np.array_equal(got, one.v[pop]):
            out.append(f"v[{pop}]: windows differ from one run")
    for name in one.weights:
        if not np.array_equal(windows[-1].weights[name], one.weights[name], equal_nan=True):
            out.append(f"weights[{name}]: last window differs from one run")
    return out


def json_round_trip(net, duration, rng):
    from spikemem.interchange.json_format import network_from_dict
    back = network_from_dict(json.loads(json.dumps(net.to_dict())))
    out = [] if json.dumps(back.to_dict()) == json.dumps(net.to_dict()) else ["the description changed"]
    return out + differences(_run("reference", net, duration), _run("reference", back, duration))


def nir_round_trip(net, duration, rng):
    """save_nir/load_nir, both run on the reference with the description's spike times as inputs
    (a NIR graph holds no stimulus); every recorded population's spikes equal."""
    from spikemem.interchange.nir_graph import load_nir, save_nir
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "net.nir")
        save_nir(net, path)
        back = load_nir(path)
    inputs = {p.name: [[list(t) for t in p.cell.spike_times] + [[]] * (p.size - len(p.cell.spike_times))]
              for p in _array_sources(net)}
    a = _run("reference", net, duration, inputs)
    b = _run("reference", back, duration, {k: v for k, v in inputs.items() if k in {p.name for p in back.populations}})
    out = []
    for pop in a.spikes:
        if net.population(pop).is_source:
            continue
        if pop not in b.spikes:
            out.append(f"spikes[{pop}] not recorded after the round trip")
        elif a.spike_list(pop) != b.spike_list(pop):
            out.append(f"spikes[{pop}]: {a.count(pop)} vs {b.count(pop)} after the round trip")
    return out


def neo_round_trip(net, duration, rng):
    from spikemem.interchange.neo_block import block_to_result
    a = _run("reference", net, duration)
    b = block_to_result(a.to_neo(), net.simulation.dt)
    b = dataclasses.replace(b, weights=a.weights)              # a neo block holds no weights
    return differences(a, b, EXACT)


@dataclass(frozen=True)
class Pair:
    name: str
    run: object
    needs: tuple = ()
    examples: int = 60             # CI examples
    slow: bool = False
    bias: frozenset | None = None  # the features it runs: half the examples are drawn from them

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.needs)


def _without(*features):
    from diff_networks import FULL
    return FULL - set(features)


PYNN = ("scheme.spinnaker", "numerics.fixed", "stdp.gate", "stdp.conventions", "source.array.early",
        "connector.convolution")
NIR = ("source.poisson", "cell.izhikevich", "cell.alpha", "cell.cond_exp", "stdp.additive", "stdp.multiplicative",
       "numerics.fixed", "connector.convolution", "stdp.zero_pairs", "current.dc", "current.step", "current.ac",
       "current.noisy")
FIXED = ("current.ac", "cell.delta", "stdp.gate", "connector.convolution", "cell.izhikevich")

PAIRS = [
    Pair("reference/torch float64", backends("torch", EXACT, trials=3, dtype="float64"), ("torch",)),
    Pair("fixed: reference/torch", fixed_engines, ("torch",), bias=_without(*FIXED)),
    Pair("reference/nest", simulator_pair("nest", NEST_TOL, adaptive_cond_exp=True), ("pyNN", "nest"), examples=25, bias=_without(*PYNN)),
    Pair("reference/brian2", simulator_pair("brian2", BRIAN2_TOL), ("pyNN", "brian2"), examples=10,
         slow=True, bias=_without(*PYNN, "cell.delta", "cell.izhikevich", "stdp.zero_pairs", "source.array.repeated")),
    Pair("batch/single: reference", batch_single("reference"), examples=50),
    Pair("batch/single: torch float64", batch_single("torch", dtype="float64"), ("torch",), examples=30),
    Pair("session windows/one run", session_windows, examples=50),
    Pair("JSON round trip", json_round_trip, examples=50),
    Pair("NIR round trip", nir_round_trip, ("nir",), examples=50, bias=_without(*NIR)),
    Pair("neo round trip", neo_round_trip, ("neo",), examples=40),
]
BY_NAME = {p.name: p for p in PAIRS}


def classify(pair, net, duration, seed=0) -> tuple:
    """(outcome, detail) of one network on one pair."""
    from spikemem.errors import ResourceError, UnsupportedFeature, ValidationError
    rng = np.random.default_rng(seed)
    try:
        diffs = pair.run(net, duration, rng)
    except (UnsupportedFeature, ValidationError, ResourceError) as e:
        return REFUSED, f"{type(e).__name__}: {str(e)[:300]}"
    except Exception as e:                     # anything else is the fuzzer's finding
        return CRASH, f"{type(e).__name__}: {str(e)[:300]}\n{traceback.format_exc(limit=-4)}"
    if diffs is NA:
        return NA, ""
    return (SILENT, "; ".join(diffs)[:600]) if diffs else (AGREE, "")


def describe(net, duration) -> str:
    """The network as JSON (for a finding's minimal network)."""
    return json.dumps({"duration": duration, "network": net.to_dict()}, default=lambda o: o.tolist()
                      if hasattr(o, "tolist") else str(o))
