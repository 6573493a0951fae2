"""Live sessions on PyNN simulators: sim.run continues where the last window stopped.

Between windows the session sets the spike sources' future spike times (PopulationView.set), so
inputs can arrive window by window. What PyNN cannot do is declared, not faked:
- one trial (PyNN holds one simulation per process; batch > 1 is UnsupportedFeature);
- no rollback and no save/load (the simulator's state is not PyNN-visible);
- NEST: an input must lie at least `input_lead_ms` (2 steps) after the session's time, since
  pyNN.nest runs the kernel one min_delay ahead and routes sources through parrot neurons;
- sPyNNaker: no sessions (spike sources reload between runs, untested without a board).
One session or run at a time per process: a run while a session is open is refused.
"""
from __future__ import annotations

import numpy as np

from spikemem.description import validation
from spikemem.engine import poisson
from spikemem.engine.inputs import resolve_inputs
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.results import Result

from . import cond_substeps, deferred_stdp, zero_pairs
from .currents import first_current_step, plain_currents
from .lowering import check_sources, lower, native_poisson, shift_steps, starts_at_rest, stimulus
from .recordings import _v_array, read_spikes, read_weights
from .run_folder import RunFolder
from .simulator_output import captured

_LIVE = []          # the open session of this process, if any

LEAD_STEPS = {"nest": 2, "brian2": 0}


def check_no_live_session() -> None:
    if _LIVE:
        raise ValidationError("session", _LIVE[0].backend.name,
                              "a PyNN session is open in this process; close() it before another run")


class PyNNSession:
    rollback = False

    def __init__(self, backend, network, batch: int = 1):
        validation.network("network", network)
        name = backend.profile.name
        if name not in LEAD_STEPS:
            raise UnsupportedFeature(f"sessions on {name}: not offered (spike sources reload between runs on a "
                                     "board, which this project cannot test); run whole schedules instead")
        if batch != 1:
            raise UnsupportedFeature(f"batch={batch} in a {name} session: PyNN holds one simulation per process, "
                                     "so a session runs one trial")
        check_no_live_session()
        self.backend, self.network, self.batch = backend, network, 1
        self.dt = network.simulation.dt
        owed = [pr.name for pr in deferred_stdp.owed(network, backend.profile)]
        if owed:
            raise UnsupportedFeature(
                f"recording.weights={owed}: a {name} session reads plastic weights as the simulator holds them at a "
                "window's end, which lacks the potentiation it applies at each synapse's next pre spike and runs "
                "behind by the stimulus shift; record them in a whole run (backend.run), which completes them")
        self.watch = zero_pairs.watched(network, backend.profile)
        self.recorded = zero_pairs.recording_for(network, self.watch, cond_substeps.inputs(network, backend.profile))
        self.plain = lower(self.recorded, backend.profile, poisson=backend.poisson)
        backend._announce(network)
        self.lead = LEAD_STEPS[name]
        self.clears = name == "nest"     # pyNN.brian2 keeps its spike record: windows read past `start`
        self.input_lead_ms = self.lead * self.dt
        # pyNN.nest refuses source spikes before 2 steps: the whole session runs that much later
        # in the simulator where that changes nothing (every neuron at rest, no offset current),
        # else by the one step that reproduces the neurons' own first steps (lowering.shift_steps).
        self.shift = backend.profile.source_min_time_steps if starts_at_rest(network) else backend.profile.own_dynamics_shift
        if backend.poisson == "native":      # the simulator's own generators may need more
            self.shift = max(self.shift, shift_steps({}, backend.profile, network, "native"))
        self._check_currents(network, backend)
        self.sizes = {p.name: p.size for p in network.populations}
        self.early = backend.profile.source_early_steps
        # under MPI only rank 0 holds every neuron's spikes: it alone checks
        checks = self.watch and backend.sim.rank() == 0
        self.shadow = zero_pairs.Shadow(network, self.watch, backend.profile.scheme) if checks else None
        self.folder = RunFolder.create(backend.run_base, name)     # the simulator's output goes to its log
        backend.run_folder = self.folder
        self.reset()

    def _check_currents(self, network, backend) -> None:
        """Current sources are built with the session, whole: refused by name where that cannot be
        (a source that starts before the simulator can act, noise without an end drawn as arrays)."""
        profile = backend.profile
        first = first_current_step(network)
        if first is not None and first + self.shift < profile.current_min_time_steps:
            raise UnsupportedFeature(f"current_sources: a {profile.name} session starts a current source at the "
                                     f"earliest {(profile.current_min_time_steps - self.shift) * self.dt:g} ms "
                                     f"(it starts at {first * self.dt:g} ms)")
        for k, inj in enumerate(network.current_sources):
            if inj.source.kind == "NoisyCurrentSource" and inj.source.stop == float("inf") and backend.noise == "arrays":
                raise UnsupportedFeature(f"current_sources[{k}]: a NoisyCurrentSource without a stop cannot be drawn "
                                         "ahead of an open-ended session; give it a stop, or noise='native'")

    @property
    def time_ms(self) -> float:
        return self.t * self.dt

    def reset(self) -> None:
        """Back to time 0: a fresh simulation of the description (its sources' own spike_times)."""
        self.close()
        _, defaults = resolve_inputs(self.network, None, 1)
        check_sources(defaults, self.backend.profile, self.dt)
        if self.backend.poisson == "arrays":       # the engines' trains, whole (a source with an end)
            defaults.update(poisson.events(self.network, 1, None))
        self.trains = {name: [list(t) for t in trains] for name, trains in
                       stimulus(defaults, self.sizes, 0, self.dt, self.shift, self.early).items()}
        check_no_live_session()
        if self.backend._substepped(self.plain):     # the sub-steps the sources need; checked window by window
            self.backend.substeps = cond_substeps.first_guess(self.plain, defaults, 0, validation.MAX_STEPS)
        if self.backend.profile.name == "brian2":
            import brian2     # a source's past spikes stay in its generator: Brian2 skips them, as it should
            brian2.BrianLogger.suppress_name("ignored_spikes")
        with captured(self.folder.log):
            plain = dict(native_poisson(self.plain, self.shift, 0, self.backend.profile),
                         current_sources=plain_currents(self.network, self.backend.profile, 0, self.shift,
                                                        validation.MAX_STEPS, self.backend.noise))
            self.pops, self.projs = self.backend._build(plain, self.trains)
        self.t = 0
        self.held = {}         # cleared records: spikes read past the window's end, for the next one
        self.returned = {}     # uncleared records: step * size + neuron of every spike returned so far
        if self.shadow:
            self.shadow.reset()
        _LIVE.append(self)

    def close(self) -> None:
        """End the simulation (another session or run may start)."""
        if self in _LIVE:
            _LIVE.remove(self)
            self.backend._end_quietly()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, until_ms: float, inputs=None) -> Result:
        if self not in _LIVE:
            raise ValidationError("session", "closed", "reset() opens it again")
        until = validation.steps("until_ms", validation.finite("until_ms", until_ms), self.dt)
        if until < self.t:
            raise ValidationError("until_ms", until_ms, f"the session is already at {self.time_ms:g} ms")
        _, events = resolve_inputs(self.network, inputs, 1, defaults=False)
        check_sources(events, self.backend.profile, self.dt)
        first = self.t + self.lead if self.t else max(self.backend.profile.source_min_time_steps - self.shift, 0)
        for name, ev in events.items():
            if len(ev) and int(ev.step.min()) < first:
                raise ValidationError(f"inputs[{name}]", float(ev.step.min() * self.dt),
                                      f"must lie at >= {first * self.dt:g} ms ({self.backend.name} takes inputs "
                                      f"{self.input_lead_ms:g} ms after the session's time)")
        start = self.t
        with captured(self.folder.log):
            self._queue(events)
            self.backend._simulate((until - start) * self.dt)
            self.t = until
            res = self._window(start, until)
        self._check_substeps(until)
        if self.shadow:      # the last `shift` steps' spikes may come with the next window
            self.shadow.advance(until_ms, inputs, res.spikes, until - self.shift)
        zero_pairs.keep_requested(res, self.network)
        return res

    def _check_substeps(self, until: int) -> None:
        """Brian2 with IF_cond_exp: the sub-steps were chosen when the session opened; a window whose
        conductances needed more is refused (its spikes may be wrong), and the session closed."""
        if not self.backend._substepped(self.plain):
            return
        spikes = {name: self._spikes(name, False) for name in cond_substeps.inputs(self.network, self.backend.profile)}
        need, why = cond_substeps.needed(self.plain, spikes, until)
        if need > self.backend.substeps:
            self.close()
            raise UnsupportedFeature(
                f"IF_cond_exp in a brian2 session: {why}, which needs {need} Runge-Kutta sub-steps per "
                f"{self.dt:g} ms step; the session opened with {self.backend.substeps}, from its sources' "
                "spikes (cell.cond_exp.stiff); run it whole (backend.run picks the sub-steps), or use "
                "another backend")

    def _window(self, start: int, until: int) -> Result:
        res = Result(dt=self.dt, steps=until, batch=1, sizes=self.sizes, spikes={}, backend=self.backend.name,
                     start=start)
        for name in self.recorded.recorded_spikes:
            # the kernel runs a min_delay ahead: spikes past `until` wait for the next window
            clear = self._clears(name)
            s, i = self._spikes(name, clear)
            if clear:
                hs, hi = self.held.get(name, (s[:0], i[:0]))
                s, i = np.concatenate([hs, s]), np.concatenate([hi, i])
                now = s < until
                self.held[name] = (s[~now], i[~now])
            else:   # the whole record so far: what no window has returned (a shifted run's last steps come late)
                code = s * self.sizes[name] + i
                now = (s < until) & ~np.isin(code, self.returned.get(name, code[:0]))
                self.returned[name] = np.concatenate([self.returned.get(name, code[:0]), code[now]])
            s, i = s[now], i[now]
            order = np.lexsort((i, s))
            res.spikes[name] = (np.zeros(len(s), dtype=np.int64), s[order], i[order])
        rec = self.network.recording
        every = 1 if rec.sampling_interval is None else round(rec.sampling_interval / self.dt)
        res.sampling = every
        for signal, names in rec.analog().items():      # never cleared: pyNN.nest cannot read V again after a clear
            for name in names:
                sig = self.pops[name].get_data(signal, clear=False).segments[0].filter(name=signal)[0]
                lag = self.shift + self.backend.profile.analog_lag_steps
                getattr(res, signal)[name] = _v_array(sig, self.sizes[name], self.dt, lag, until, start, every)[0][None]
        for name in self.network.recording.weights:
            res.weights[name] = read_weights(self.projs, self.network.projection(name), self.network)[None]
        return res

    def _clears(self, name) -> bool:
        """Whether reading `name`'s spikes clears its record: on NEST, unless the population also
        records V or gsyn (a clear empties the population's whole recorder, and pyNN.nest cannot
        read them after one); pyNN.brian2 cannot clear."""
        return self.clears and not any(name in names for names in self.network.recording.analog().values())

    def _spikes(self, name, clear: bool):
        """(step, neuron) of the spikes recorded since the last read, or of all so far when the
        record is not cleared, the stimulus shift undone."""
        s, i = read_spikes(self.pops[name], self.dt, clear)
        s = s - self.shift
        return s[s >= 0], i[s >= 0]

    def _queue(self, events: dict) -> None:
        """Give each source neuron with new events its whole future train (set replaces it)."""
        from pyNN.parameters import Sequence
        now_ms = (self.t + self.shift) * self.dt
        for name, times in stimulus(events, self.sizes, 0, self.dt, self.shift, self.early).items():
            changed = [i for i, t in enumerate(times) if t]
            if not changed:
                continue
            trains = self.trains[name]
            for i in changed:
                trains[i] = sorted(x for x in trains[i] + times[i] if x >= now_ms)
            view = self.pops[name][changed]
            view.set(spike_times=[Sequence(trains[i]) for i in changed])

    @property
    def state(self) -> dict:
        """Time and the queued spike trains: the simulator's own state is not visible through PyNN."""
        return {"time_ms": self.time_ms, "step": self.t, "batch": 1,
                "queued": {k: [list(t) for t in v] for k, v in self.trains.items()}}

    def save(self, path) -> None:
        raise UnsupportedFeature(f"saving a {self.backend.name} session: PyNN does not expose the simulator's "
                                 "state (use an engine backend's session)")

    load = save
