"""The live run behind spikemem.pynn's run(): one engine session that repeated run() calls continue.

The first run() lowers the script's objects (lowering.plan) and opens a session of `trials` trials on
the chosen engine backend (spikemem.engine.session). Spike sources feed it window by window, so
spike_times set between runs take effect from the current time on. Under numerics='fixed' (which
sessions do not carry yet) each run() replays the whole schedule from 0 on the backend and keeps the
new window: the same spikes as one long run, at the cost of the history.

A change between runs (a parameter, a weight, a recorded variable) rebuilds the session from the
changed objects and carries every state array over (V, currents, ring buffer, plastic weights and
traces); what cannot carry over (a new population, other delays) is an UnsupportedFeature that says
to call reset(). Everything recorded is kept here as arrays (recording.py turns it into neo).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..description import realisation, validation
from ..engine.inputs import SpikeEvents
from ..errors import UnsupportedFeature, ValidationError
from ..registry import get_backend
from . import lowering

ENGINE_BACKENDS = ("reference", "torch", "snntorch", "norse")
TORCH_FAMILY = ("torch", "snntorch", "norse")


def backend_of(options: dict):
    name = options.get("backend") or "reference"
    validation.choice("backend", name, set(ENGINE_BACKENDS))
    kwargs = {}
    if name in TORCH_FAMILY:
        kwargs["device"] = options.get("device") or "cpu"
        kwargs["dtype"] = options.get("dtype") or "float64"
    elif options.get("device") not in (None, "cpu"):
        raise ValidationError("device", options["device"], f"the {name} backend runs on the CPU (use backend='torch')")
    return get_backend(name, **kwargs)


def advance(state, tstop_ms: float) -> None:
    """Simulate up to tstop_ms (PyNN's run_until)."""
    steps = tstop_ms / state.dt
    k = int(round(steps))
    if abs(k - steps) > validation.GRID_TOL * max(1.0, abs(steps)):
        raise ValidationError("run time", tstop_ms, f"must be a multiple of the time step {state.dt:g} ms")
    live = state.live
    if live is None:
        live = state.live = Live(state)
    elif live.pending:
        state.live = live = live.rebuilt()
    live.run(k)
    state.t = k * state.dt


class Replay:
    """A session for numerics='fixed': every run() replays the schedule from 0 (see module doc)."""

    def __init__(self, backend, network, batch: int):
        self.backend, self.network, self.batch = backend, network, batch
        self.t = 0
        self.inputs = {}

    def run(self, until_ms: float, inputs):
        for name, ev in inputs.items():
            old = self.inputs.get(name)
            self.inputs[name] = ev if old is None else SpikeEvents(*(np.concatenate([a, b]) for a, b in
                                                                     zip((old.trial, old.step, old.neuron),
                                                                         (ev.trial, ev.step, ev.neuron))))
        res = self.backend.run(self.network, until_ms, inputs=self.inputs or None, batch=self.batch)
        start, self.t = self.t, res.steps
        for name, (tr, st, nr) in res.spikes.items():
            keep = st >= start
            res.spikes[name] = (tr[keep], st[keep], nr[keep])
        res.v = {name: v[:, start:] for name, v in res.v.items()}
        res.gsyn_exc = {name: g[:, start:] for name, g in res.gsyn_exc.items()}
        res.gsyn_inh = {name: g[:, start:] for name, g in res.gsyn_inh.items()}
        res.start = start
        return res


@dataclass
class Recorded:
    """What the run so far recorded of one description population."""
    spikes: list        # (trial, step, neuron) arrays per window
    v: list             # (first step, (batch, steps, size) array) per window
    v_start: np.ndarray
    gsyn: dict = None   # "gsyn_exc" / "gsyn_inh" -> windows as v (they start at 0: lowering refuses others)

    def __post_init__(self):
        self.gsyn = {"gsyn_exc": [], "gsyn_inh": []} if self.gsyn is None else self.gsyn


class Live:
    def __init__(self, state):
        self.state = state
        self.plan = lowering.plan(state)
        self.shift, self.batch = self.plan.shift, state.trials
        net = self.plan.run_network
        self.backend = backend_of(state.options)
        if net.simulation.numerics == "fixed":
            self.session = Replay(self.backend, net, self.batch)
        else:
            self.session = self.backend.session(net, batch=self.batch)
        self.t = 0
        self.recorded = {p.name: Recorded([], [], _start_v(p)) for p in net.populations}
        self.weights = {}
        self.cleared = {}       # id(PyNN population) -> the step its record was cleared at
        self.currents = {}      # id(PyNN current source) -> [(first step, values)] of its record()
        self.pending = []       # changes the next run must rebuild for: (what, object)
        self._cache = {}

    # -- running --------------------------------------------------------------------------------
    def run(self, until: int) -> None:
        if until < self.t:
            raise ValidationError("run time", until * self.state.dt, f"the simulation is at {self.t * self.state.dt:g} ms")
        if until == self.t:
            return
        res = self.session.run(until * self.state.dt, self._window_inputs(self.t, until))
        for name, rec in self.recorded.items():
            rec.spikes.append(res.spikes[name])
            if name in res.v:
                rec.v.append((self.t, res.v[name]))
            for signal, got in (("gsyn_exc", res.gsyn_exc), ("gsyn_inh", res.gsyn_inh)):
                if name in got:
                    rec.gsyn[signal].append((self.t, got[name]))
        self.weights.update(res.weights)
        self._record_currents(self.t, until)
        self.t = until
        self._cache = {}

    def _record_currents(self, t0: int, t1: int) -> None:
        """The current each recorded current source injects in steps [t0, t1), at its first target
        cell of trial 0 (the description's values: spikemem.engine.current_sources.injection_values)."""
        for src in self.state.current_sources:
            if src.__dict__.get("_recording"):
                self.currents.setdefault(id(src), []).append((t0, self._current_values(src, t0, t1)))

    def _current_values(self, src, t0: int, t1: int) -> np.ndarray:
        from ..engine.current_sources import injection_values
        where = src.__dict__.get("_injection")
        if where is None:           # an offset current (a DCSource from 0 that never stops)
            return np.full(t1 - t0, float(np.ravel(src._native["amplitude"])[0]) if src.targets else 0.0)
        return injection_values(self.plan.run_network, where[0], t0, t1, 0, where[2])

    def current_trace(self, src) -> tuple:
        """(times ms, currents nA) of a recorded current source: one sample per step so far and one at
        the current time (PyNN's length, as V), each the current of the step starting then."""
        parts = self.currents.get(id(src), [])
        if not parts:
            return np.zeros(0), np.zeros(0)
        values = np.concatenate([v for _, v in parts] + [self._current_values(src, self.t, self.t + 1)])
        steps = np.concatenate([first + np.arange(len(v)) for first, v in parts] + [np.array([self.t])])
        return steps * self.state.dt, values

    def _window_inputs(self, t0: int, t1: int) -> dict:
        out, B = {}, self.batch
        for name, (steps, neurons) in self.plan.sources.items():
            lo, hi = np.searchsorted(steps, [t0, t1])
            s, n = steps[lo:hi], neurons[lo:hi]
            if len(s):
                out[name] = SpikeEvents(np.repeat(np.arange(B), len(s)), np.tile(s, B), np.tile(n, B))
        return out

    # -- changes between runs ---------------------------------------------------------------------
    def changed(self, what, obj) -> None:
        if isinstance(what, tuple) and what[0] == "set" and set(what[1]) == {"spike_times"} \
                and id(obj) in self.plan.names and self.plan.names[id(obj)] in self.plan.sources:
            self._new_spike_times(obj)
            return
        if isinstance(what, tuple) and what[0] == "set weights":     # read the new values until the next run
            for part in self.plan.parts.get(id(obj), ()):
                self.weights.pop(part.name, None)
        self.pending.append((what, obj))

    def _new_spike_times(self, pop) -> None:
        """A source's new spike times replace its future ones (those before now are history)."""
        from .models import cell_mapping
        name = self.plan.names[id(pop)]
        cell = cell_mapping(pop.celltype).build(pop.label, {"spike_times": pop._parameters["spike_times"]}, {})
        steps, neurons, _ = lowering._source_times(pop.label, cell, self.state.dt, self.shift,
                                                   self.state.options.get("precise"))
        keep = steps >= self.t
        self.plan.sources[name] = (steps[keep], neurons[keep])

    def rebuilt(self) -> "Live":
        """A new session from the changed objects, carrying this one's state and recordings."""
        what = ", ".join(sorted({w if isinstance(w, str) else f"{w[0]} {'/'.join(w[1])}" for w, _ in self.pending}))
        if isinstance(self.session, Replay):
            raise UnsupportedFeature(f"{what} after run() with numerics='fixed': a fixed-point run replays from "
                                     "t = 0 and cannot change on the way; call reset() first")
        new = Live(self.state)
        reweighted = {part.name for w, obj in self.pending if isinstance(w, tuple) and w[0] == "set weights"
                      for part in new.plan.parts.get(id(obj), ())}
        _carry_state(self.session.engine, new.session.engine, reweighted, what)
        new.t, new.weights, new.cleared = self.t, dict(self.weights), dict(self.cleared)
        new.currents = {k: list(v) for k, v in self.currents.items()}
        for name, rec in new.recorded.items():
            old = self.recorded.get(name)
            if old is not None:
                rec.spikes, rec.v, rec.v_start = list(old.spikes), list(old.v), old.v_start
                rec.gsyn = {k: list(w) for k, w in old.gsyn.items()}
        for name, (steps, neurons) in new.plan.sources.items():     # sources continue from now
            keep = steps >= self.t
            new.plan.sources[name] = (steps[keep], neurons[keep])
        return new

    # -- reading ----------------------------------------------------------------------------------
    def _by_trial(self, name):
        """A population's spikes so far as (step, neuron) arrays grouped by trial, and each trial's bounds."""
        if name not in self._cache:
            parts = self.recorded[name].spikes
            tr, st, nr = (np.concatenate([p[k] for p in parts]).astype(np.int64) if parts else
                          np.zeros(0, np.int64) for k in range(3))
            order = np.argsort(tr, kind="stable")            # windows are in time order: stays by step
            bounds = np.searchsorted(tr[order], np.arange(self.batch + 1))
            self._cache[name] = (st[order], nr[order], bounds)
        return self._cache[name]

    def spikes(self, pop, trial: int):
        """(neuron, engine step) of one trial's spikes since the population's record was last cleared."""
        st, nr, bounds = self._by_trial(self.plan.names[id(pop)])
        st, nr = st[bounds[trial]:bounds[trial + 1]], nr[bounds[trial]:bounds[trial + 1]]
        keep = st >= self.cleared.get(id(pop), 0)
        return nr[keep], st[keep]

    def v_samples(self, pop, trial: int, k: np.ndarray, variable: str = "v") -> np.ndarray:
        """Samples k of V or gsyn (sample k is the value before step k, the start value at k = 0;
        NaN where it was not recorded): (len(k), size)."""
        rec = self.recorded[self.plan.names[id(pop)]]
        out = np.full((len(k), pop.size), np.nan)
        out[k == 0] = rec.v_start if variable == "v" else 0.0
        for first, v in (rec.v if variable == "v" else rec.gsyn[variable]):
            sel = (k >= first + 1) & (k <= first + v.shape[1])
            out[sel] = v[trial, k[sel] - 1 - first]
        return out

    def weights_of(self, proj, pre, post):
        """A plastic projection's weights now (trial 0), per connection (pre, post); None before a run."""
        parts = self.plan.parts.get(id(proj))
        if not parts or not parts[0].plastic or not all(p.name in self.weights for p in parts):
            return None
        if parts[0].select is None:
            return np.asarray(self.weights[parts[0].name][0][pre, post], dtype=float)
        out = np.full(len(pre), np.nan)
        for part in parts:
            out[part.select] = self.weights[part.name][0][part.pre_index, part.post_index]
        return out


def _start_v(pop) -> np.ndarray:
    if pop.is_source:
        return np.full(pop.size, np.nan)
    return realisation.neuron_values(pop, "v_init")          # per neuron (v_rest where v_init is None)


def _carry_state(old, new, reweighted: set, what: str) -> None:
    """Copy every state array of engine `old` into `new` (same network structure), except the
    weights of plastic projections the script set anew."""
    src, dst = old.state_arrays(), new.state_arrays()
    take = {}
    for key, arr in dst.items():
        parts = key.split(".")
        if parts[0] == "plastic" and parts[1] in reweighted and parts[-1] == "W":
            continue
        if key not in src:
            if parts[0] == "plastic":          # a new plastic projection starts fresh
                continue
            raise UnsupportedFeature(f"{what} after run(): the running network cannot take it; call reset() first")
        if tuple(src[key].shape) != tuple(arr.shape):
            raise UnsupportedFeature(f"{what} after run() changes the running network's {key} from shape "
                                     f"{tuple(src[key].shape)} to {tuple(arr.shape)}; call reset() first")
        take[key] = old.ops.host(src[key])
    new.load_state_arrays(take)
    new.t = old.t
    new.recent.clear()
    new.recent.extend(old.recent)
    for s in new.plastic:
        s.t_end = new.t
