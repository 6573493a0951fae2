"""One PyNN backend class, parameterised by the simulator (nest, brian2, spinnaker).

A batch of B trials runs as B separate simulations (setup, build, run, end), because PyNN has
no notion of independent trials; results come back in the reference backend's layout and
time convention, with PyNN's own neo recordings kept beside them (Result.to_neo()).
Everything the simulator prints goes to the run folder's log (simulator_output); the
terminal gets one summary line on the "spikemem" logger.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np

from spikemem.description import validation
from spikemem.engine import budget, poisson
from spikemem.engine.inputs import resolve_inputs
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.log import get_logger
from spikemem.optional import Extra, require
from spikemem.results import Result

from . import cond_substeps, deferred_stdp, instantiate, nest_speed, zero_pairs
from .currents import NOISE, plain_currents
from .lowering import (POISSON, check_option, check_scheme, check_sources, lower, max_delay, native_poisson, shift_steps,
                       stimulus)
from .recordings import read_weights, record_trial, sort_trials
from .run_folder import RunFolder
from .simulator_output import captured
from .simulators import PROFILES, setup_options
from .spinnaker_config import board_error, drain_exit_messages

logger = get_logger(__name__)


class PyNNBackend(Extra):
    """Run a Network through pyNN.<simulator>.

    Options: simulator ('nest', 'brian2', 'spinnaker'); nest: spike_precision ('on_grid' =
    iaf_psc_exp, 'off_grid' = iaf_psc_exp_ps); brian2: codegen ('numpy' or 'cython');
    spinnaker: machine (board host) or spalloc (server URL), else a virtual board, which maps
    and loads nothing and records no spikes; version (board: 3 or 5); nest: threads (NEST's
    local_num_threads; spikes do not depend on it).
    any simulator: run_base (where run folders go, see run_folder); foreign_scheme=True runs a
    network written for another update scheme with the simulator's own (to measure what that
    does to a model); without it that is an error; poisson ('arrays', the default: every
    SpikeSourcePoisson sends the trains the engines draw, as spike arrays; 'native': the
    simulator's own Poisson generator, statistically equal, docs/sources.md); noise ('arrays',
    the default: a NoisyCurrentSource sends the engines' draws as step currents; 'native': the
    simulator's own NoisyCurrentSource, statistically equal).
    """

    requires, extra = ("pyNN",), "pynn"

    def __init__(self, simulator: str = "nest", **options):
        check_option("simulator", simulator, PROFILES)
        self.profile = PROFILES[simulator]
        self.name = simulator
        self.unsupported = self.profile.unsupported
        allowed = {"foreign_scheme", "run_base", "poisson", "noise"} | {"nest": {"spike_precision", "threads"}, "brian2": {"codegen"},
                                                    "spinnaker": {"machine", "spalloc", "version"}}[simulator]
        unknown = set(options) - allowed
        if unknown:
            raise ValidationError("backend option", sorted(unknown), f"{simulator} takes {sorted(allowed)}")
        self.spike_precision = options.get("spike_precision", "on_grid")
        check_option("spike_precision", self.spike_precision, {"on_grid", "off_grid"})
        self.codegen = options.get("codegen", "numpy")
        check_option("codegen", self.codegen, {"numpy", "cython"})
        self.board = {k: options[k] for k in ("machine", "spalloc", "version") if options.get(k) is not None}
        self.run_base = options.get("run_base")
        self.foreign_scheme = options.get("foreign_scheme", False)
        check_option("foreign_scheme", self.foreign_scheme, {True, False})
        if self.foreign_scheme:     # the other scheme runs with the simulator's own (check_scheme warns)
            self.unsupported = self.unsupported - {"scheme.spinnaker", "scheme.exact"}
        self.poisson = options.get("poisson", "arrays")
        self.substeps = 1          # Brian2's Runge-Kutta sub-steps per dt for IF_cond_exp (cond_substeps)
        check_option("poisson", self.poisson, POISSON)
        self.noise = options.get("noise", "arrays")
        check_option("noise", self.noise, NOISE)
        self.threads = options.get("threads", 1)
        validation.threads("threads", self.threads)
        self.run_folder = None
        if self.spike_precision == "off_grid":
            self.name = "nest_precise"
        self._sim = None

    @property
    def sim(self):
        """The pyNN.<simulator> module (imported on first use, inside the run's log capture)."""
        if self._sim is None:
            self._sim = require(self.profile.module, self.profile.name)
        return self._sim

    @property
    def on_board(self) -> bool:
        return bool(self.board.get("machine") or self.board.get("spalloc"))

    def _announce(self, network):
        msg = check_scheme(network, self.profile, self.foreign_scheme)
        if msg:
            logger.warning("%s; running it with %s's scheme (foreign_scheme=True)", msg, self.profile.name)
        if self.profile.name == "spinnaker":
            unbounded = [pr.name for pr in network.projections
                         if pr.plasticity is not None and pr.plasticity.post_history is None]
            if unbounded:
                logger.warning("%s: sPyNNaker keeps 16 post spikes per neuron between pre-spike updates "
                               "(post_history=None runs as post_history=16)", ", ".join(unbounded))
            if not self.on_board:
                logger.warning("sPyNNaker on a virtual board maps the network but records no spikes")

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None) -> Result:
        from .session import check_no_live_session
        check_no_live_session()
        validation.network("network", network)
        dt = network.simulation.dt
        steps = validation.steps("duration_ms", validation.non_negative("duration_ms", duration_ms), dt)
        batch, events = resolve_inputs(network, inputs, batch)
        # Lowering lists every synapse as Python numbers and the simulator keeps its own copy.
        est = budget.estimate(network, 1, steps, sum(len(e) for e in events.values()),
                              synapse_build=budget.PYNN_SYNAPSE, synapse_kept=budget.PYNN_SYNAPSE)
        budget.require(est, f"running {network.name} on {self.name} ({steps} steps per trial)", dt)
        if self.poisson == "arrays":            # the engines' trains, as spike arrays
            events.update(poisson.events(network, batch, steps))
        watch = zero_pairs.watched(network, self.profile)
        owed = deferred_stdp.owed(network, self.profile)
        recorded = zero_pairs.recording_for(network, watch + owed, cond_substeps.inputs(network, self.profile))
        plain = lower(recorded, self.profile, poisson=self.poisson)
        check_sources(events, self.profile, dt)
        self._announce(network)
        shift = shift_steps(events, self.profile, network, self.poisson)
        sizes = {p.name: p.size for p in network.populations}
        spinnaker = self.profile.name == "spinnaker"
        self.run_folder = RunFolder.create(self.run_base, self.profile.name,
                                           **({"virtual": not self.on_board, **self.board} if spinnaker else {}))
        t0 = time.perf_counter()
        try:
            # sPyNNaker reads its config from the folder; the other simulators only log into it
            with captured(self.run_folder.log), self.run_folder.active() if spinnaker else contextlib.nullcontext():
                res = self._run_trials(recorded, plain, events, batch, steps, shift, sizes, {pr.name for pr in owed})
        finally:
            if spinnaker:
                drain_exit_messages()
        # under MPI only rank 0 holds every neuron's spikes (the other ranks hold their own part)
        hit = zero_pairs.find(network, watch, res.spikes) if watch and self.sim.rank() == 0 else None
        if hit is not None:
            zero_pairs.confirm(recorded, hit, res, self.profile.scheme, duration_ms, inputs, batch)
        zero_pairs.keep_requested(res, network)
        logger.info("%s: %d trial(s) of %g ms, %d spikes in %.1f s; simulator log: %s", self.name, batch,
                    steps * dt, res.count(), time.perf_counter() - t0, self.run_folder.log)
        return res

    def _run_trials(self, network, plain, events, batch, steps, shift, sizes, owed):
        dt = plain["dt"]
        spike_names, analog = list(network.recorded_spikes), network.recording.analog()
        every = 1 if network.recording.sampling_interval is None else round(network.recording.sampling_interval / dt)
        spikes = {name: [] for name in spike_names}
        signals = {signal: {name: [] for name in names} for signal, names in analog.items()}
        weights = {name: [] for name in network.recording.weights}
        segments = []
        substepped = self._substepped(plain)
        for trial in range(batch):
            stim = stimulus(events, sizes, trial, dt, shift, self.profile.source_early_steps, steps)
            trial_plain = dict(native_poisson(plain, shift, trial, self.profile),
                               current_sources=plain_currents(network, self.profile, trial, shift, steps, self.noise))
            self.substeps = cond_substeps.first_guess(plain, events, trial, steps) if substepped else 1
            for attempt in range(cond_substeps.ATTEMPTS):
                try:
                    seg, trial_spikes, trial_analog, trial_weights = self._trial(
                        network, trial_plain, stim, weights, steps, shift, trial, every, spike_names, analog, owed)
                except BaseException:
                    self._end_quietly()
                    raise
                need, why = cond_substeps.needed(plain, trial_spikes, steps) if substepped else (1, "")
                if need <= self.substeps:
                    break
                self._end_quietly()
                if need > cond_substeps.MAX_SUBSTEPS or attempt == cond_substeps.ATTEMPTS - 1:
                    cond_substeps.refuse(need, why, dt)
                self.substeps = need        # the trial again, finer: its spikes may move
            for name, w in trial_weights.items():
                weights[name].append(w)
            segments.append(seg)
            for name, (s, i) in trial_spikes.items():
                spikes[name].append((np.full(len(s), trial), s, i))
            for signal, names in signals.items():
                for name in names:
                    names[name].append(trial_analog[signal][name])
            self.sim.end()
        res = Result(dt=dt, steps=steps, batch=batch, sizes=sizes,
                     spikes={n: sort_trials(p) for n, p in spikes.items()}, backend=self.name, sampling=every)
        for signal, names in signals.items():
            setattr(res, signal, {n: np.stack(v) for n, v in names.items()})
        res.gsyn_units = {p.name: "uS" for p in network.populations if p.cell.kind == "IF_cond_exp"}
        res.weights = {n: np.stack(w) for n, w in weights.items()}
        res.neo_segments = segments
        return res

    def session(self, network, batch: int = 1):
        """A live session (nest, brian2): sim.run continues, spike sources are updated between windows;
        batch=1, no rollback, no save (spikemem.backends.pynn.session)."""
        from .session import PyNNSession
        return PyNNSession(self, network, batch)

    def _build(self, plain, stim):
        """setup() and the network in the simulator, not run yet."""
        sim = self.sim
        if self.profile.name == "brian2":
            import brian2
            brian2.prefs.codegen.target = self.codegen
            brian2.BrianLogger.suppress_name("synapses_dt_mismatch")
            _brian2_one_neuron_sources()
        seeds = [p["trial_seed"] for p in plain["populations"] if "trial_seed" in p]
        extra = {"rng_seed": seeds[0]} if seeds and self.profile.name == "nest" else {}
        if seeds and self.profile.name == "brian2":
            import brian2
            brian2.seed(seeds[0])
        sim.setup(**setup_options(self.profile, plain["dt"], self.spike_precision, self.threads, max_delay(plain)), **extra)
        _gsyn_of_current_cells(sim, self.profile.name)
        if self.profile.name == "brian2":
            _brian2_cond_rk4(sim, self.substeps)
        if self.profile.name == "nest":
            nest_speed.install()
            _nest_delta_state(sim)
            _nest_one_neuron_masks()
            _pynn_partial_recordings()
            _nest_local_ids()
        pops, projs = instantiate.build(sim, plain, stim)
        if self.profile.name == "brian2":
            _brian2_stdp_timing(plain, projs)
            brian2_multiplicative(plain, projs)
        return pops, projs

    def _simulate(self, duration):
        """sim.run for `duration` ms more (on a board: a clear error when none answers)."""
        sim = self.sim
        if self.on_board:
            try:
                sim.run(duration)
            except Exception as e:   # sPyNNaker raises many kinds when no board answers
                raise board_error(self.board.get("machine") or self.board.get("spalloc"), e,
                                  self.run_folder.log) from e
        else:
            sim.run(duration)

    def _trial(self, network, plain, stim, weights, steps, shift, trial, every, spike_names, analog, owed):
        """One trial: build, run, read (neo segment, spikes, analog signals, weights)."""
        dt = plain["dt"]
        pops, projs = self._build(plain, stim)
        total, last = steps + shift, min(self.profile.stdp_past_end_steps, steps + shift) if weights else 0
        if last:        # NEST: the weights before its last step, whose STDP events are past the end
            self._simulate((total - last) * dt)
            early = {name: read_weights(projs, network.projection(name), network) for name in weights}
        self._simulate(last * dt if last else total * dt)
        seg, trial_spikes, trial_analog = record_trial(pops, spike_names, analog, dt, shift, steps, trial,
                                                       every, self.profile.analog_lag_steps)
        ran, out = 0.0, {}
        for name in sorted(weights, key=lambda n: _stdp_lag_ms(plain, n, self.profile)):
            pr = network.projection(name)
            lag = _stdp_lag_ms(plain, name, self.profile)
            if lag > ran:             # Brian2's STDP events come `lag` late: let them arrive
                self._simulate(lag - ran)
                ran = lag
            w = early[name] if last else read_weights(projs, pr, network)
            if name in owed:          # deferred_stdp
                w = deferred_stdp.complete(w, pr, dt, steps, trial_spikes[pr.pre], trial_spikes[pr.post])
            out[name] = w
        return seg, trial_spikes, trial_analog, out

    def _substepped(self, plain) -> bool:
        """Brian2 with IF_cond_exp: Runge-Kutta sub-steps chosen from the run's conductances (cond_substeps)."""
        return self.profile.name == "brian2" and bool(cond_substeps.cond_populations(plain))

    def _end_quietly(self):
        try:
            self.sim.end()
        except Exception:
            pass


def _stdp_lag_ms(plain, name: str, profile) -> float:
    """How late the simulator applies the STDP events of projection `name` (ms): on Brian2 the pre
    and post pathways run the projection's delay behind the description's event times
    (_brian2_stdp_timing), so its weights are read that much after the run's end (events the
    description has before the end are then in, none after it: a spike at or after the end arrives
    at or after the reading)."""
    if not profile.stdp_events_late_by_delay:
        return 0.0
    return max((float(pr["delay"]) for pr in plain["projections"]
                if pr["name"].split("~")[0] == name and pr["stdp"] is not None), default=0.0)


def brian2_multiplicative(plain, projs):
    """pyNN.brian2 0.13 writes additive STDP equations for every weight dependence (weight += w_max *
    trace, its amplitudes divided by w_max); the multiplicative rule's steps scale with the room
    left instead: w += (w_max - w) P on a post event, w += (w - w_min) M on a pre spike (M < 0)."""
    for pr in plain["projections"]:
        rule = pr["stdp"]
        if rule is None or rule["weight_dependence"] != "multiplicative" or pr["name"] not in projs:
            continue
        for row in projs[pr["name"]]._brian2_synapses.values():
            for syn in row.values():
                for path, old, new in ((syn.pre, "weight + w_max * M", "weight + (weight - w_min) * M"),
                                       (syn.post, "weight + w_max * P", "weight + (w_max - weight) * P")):
                    if old not in path.code:
                        raise UnsupportedFeature(f"{pr['name']}: pyNN.brian2's STDP equations are not the ones "
                                                 "spikemem rewrites for multiplicative weights (a PyNN version change)")
                    path.code = path.code.replace(old, new)


def _brian2_stdp_timing(plain, projs):
    """Give Brian2 the IR's STDP timing: pyNN.brian2 sees a pre spike on arrival (after the
    axonal delay d) and a post spike at once. Delaying the post pathway by 2d puts a post at
    t_post + d relative to a pre at t_pre, and running it first makes a delayed post and a
    pre at the same time depress, not potentiate (the IR's dt = 0 convention)."""
    import brian2
    for pr in plain["projections"]:
        if pr["stdp"] is None or pr["name"] not in projs:
            continue
        for row in projs[pr["name"]]._brian2_synapses.values():
            for syn in row.values():
                syn.post.delay = 2 * pr["delay"] * brian2.ms
                syn.post.order = syn.pre.order - 1


def _brian2_one_neuron_sources():
    """pyNN.brian2 0.13 evaluates the spike times of a one-neuron SpikeSourceArray to a single
    Sequence, not an array of one, and its SpikeGeneratorGroup then fails (AttributeError: no
    'size'): give it the array of one it expects."""
    from pyNN.brian2.cells import SpikeGeneratorGroup as group
    if getattr(group, "_spikemem_one", False):
        return
    original = group.__init__

    def init(self, n, equations, spike_time_sequences=None):
        if n == 1 and not isinstance(spike_time_sequences, np.ndarray):
            one = np.empty(1, dtype=object)
            one[0] = spike_time_sequences
            spike_time_sequences = one
        original(self, n, equations, spike_time_sequences)
    group.__init__ = init
    group._spikemem_one = True


def _nest_delta_state(sim):
    """pyNN.nest 0.13 maps no state variables for IF_curr_delta, so v can be neither initialised
    nor recorded; iaf_psc_delta calls it V_m, in mV, as iaf_psc_exp does."""
    cls = sim.IF_curr_delta
    if not getattr(cls, "variable_map", None):
        cls.variable_map, cls.scale_factors = {"v": "V_m"}, {"v": 1}


def _gsyn_of_current_cells(sim, simulator: str):
    """PyNN 0.13 lists no gsyn for current-based cells; NEST records their currents as I_syn_ex /
    I_syn_in (pA, the inhibitory one negative) and Brian2 as ie / ii (the inhibitory one negative:
    its weights are): record those as gsyn_exc / gsyn_inh in nA, both positive as spikemem and
    sPyNNaker give them. sPyNNaker records gsyn of every cell itself."""
    if simulator == "spinnaker":
        return
    for name in ("IF_curr_exp", "IF_curr_alpha"):
        cls = getattr(sim, name)
        if "gsyn_exc" in cls.recordable:
            continue
        cls.recordable = list(cls.recordable) + ["gsyn_exc", "gsyn_inh"]
        cls.units = dict(cls.units, gsyn_exc="nA", gsyn_inh="nA")
        if simulator == "nest":
            cls.variable_map = dict(cls.variable_map, gsyn_exc="I_syn_ex", gsyn_inh="I_syn_in")
            cls.scale_factors = dict(cls.scale_factors, gsyn_exc=0.001, gsyn_inh=-0.001)
        else:
            import brian2
            from pyNN.standardmodels import build_translations
            cls.state_variable_translations = dict(cls.state_variable_translations, **build_translations(
                ("gsyn_exc", "ie", brian2.nA), ("gsyn_inh", "ii", -brian2.nA)))
            # (pyNN.brian2 prepends each signal's initial value)
            cls.default_initial_values = dict(cls.default_initial_values, gsyn_exc=0.0, gsyn_inh=0.0)


def _brian2_cond_rk4(sim, substeps: int):
    """pyNN.brian2 lets Brian2 pick forward Euler for IF_cond_exp (its equations are not linear),
    which drifts a tonic neuron's spikes by steps within 50 ms at dt = 0.1 ms; classic Runge-Kutta
    on `substeps` sub-steps of the run's dt integrates them as the exact scheme means (docs/cells.md,
    cond_substeps)."""
    import functools
    cls = sim.IF_cond_exp
    model = cls.brian2_model.func if isinstance(cls.brian2_model, functools.partial) else cls.brian2_model
    cls.brian2_model = functools.partial(model, method=cond_substeps.runge_kutta(substeps))


def _nest_one_neuron_masks():
    """pyNN.nest 0.13 under MPI: a one-neuron population's local mask is 0-d on a rank, and
    setting its initial values indexes it with [0] (IndexError); give the mask one dimension."""
    from pyNN.nest.populations import Population
    if getattr(Population, "_spikemem_masks", False):
        return
    original = Population._set_initial_value_array

    def set_initial_value_array(self, variable, value):
        if np.ndim(self._mask_local) == 0:
            self._mask_local = np.atleast_1d(self._mask_local)
        return original(self, variable, value)
    Population._set_initial_value_array = set_initial_value_array
    Population._spikemem_masks = True


def _nest_local_ids():
    """pyNN.nest asks NEST whether each cell is local, one call per cell (PyNN's record() asks it of
    every recorded cell: about 1 s for 11,000). In one process every cell is."""
    from pyNN.nest import simulator
    if getattr(simulator.ID, "_spikemem_local", False):
        return
    ask = simulator.ID.local.fget
    simulator.ID.local = property(lambda self: True if simulator.state.num_processes == 1 else ask(self))
    simulator.ID._spikemem_local = True


def _pynn_partial_recordings():
    """PyNN 0.13 under MPI merges the gathered recordings on rank 0 only, then expects every
    neuron's spike train on every rank (KeyError elsewhere), and where two ranks sent a train of
    one neuron keeps the last, which may be the empty one of the rank that does not hold it:
    keep the train with the spikes, and let the other ranks keep their own part. Rank 0 holds
    the whole result; only it should write (docs/scale.md, NEST)."""
    import pyNN.recording as rec
    if getattr(rec, "_spikemem_partial", False):
        return

    def remove_duplicate_spiketrains(data):
        for segment in data.segments:
            trains = {}
            for st in segment.spiketrains:      # a neuron's train, and empty ones from ranks that lack it
                i = st.annotations["source_index"]
                if i not in trains or len(st) > len(trains[i]):
                    trains[i] = st
            segment.spiketrains = [trains[i] for i in sorted(trains)]
        return data
    rec.remove_duplicate_spiketrains = remove_duplicate_spiketrains
    rec._spikemem_partial = True
    from pyNN.common.populations import Population      # a rank without neurons of a population reads none
    original = Population.id_to_index

    def id_to_index(self, id):
        if np.iterable(id) and not isinstance(id, str) and len(np.asarray(id)) == 0:
            return np.zeros(0, dtype=int)
        return original(self, id)
    Population.id_to_index = id_to_index

