"""One PyNN backend class, parameterised by the simulator (nest, brian2, spinnaker).

A batch of B trials runs as B separate simulations (setup, build, run, end), because PyNN has
no notion of independent trials; results come back in the reference backend's layout and
time convention.
"""
from __future__ import annotations

import contextlib
import importlib
import warnings

import numpy as np

from spikemem.description import validation
from spikemem.engine.inputs import resolve_inputs
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.results import Result

from . import instantiate
from .lowering import check_option, lower, shift_steps, stimulus
from .neo_spikes import sort_trials, spike_arrays, v_array
from .simulators import PROFILES


class PyNNBackend:
    """Run a Network through pyNN.<simulator>.

    Options: simulator ('nest', 'brian2', 'spinnaker'); nest: spike_precision ('on_grid' =
    iaf_psc_exp, 'off_grid' = iaf_psc_exp_ps); brian2: codegen ('numpy' or 'cython');
    spinnaker: machine (board host) or spalloc (server URL), else a virtual board, which maps
    and loads nothing and records no spikes; every run gets its own config in a run folder
    (spinnaker_config), ~/.spynnaker.cfg is never touched.
    any simulator: foreign_scheme=True runs a network written for another update scheme with
    the simulator's own (to measure what that does to a model); without it that is an error.
    """

    def __init__(self, simulator: str = "nest", **options):
        check_option("simulator", simulator, PROFILES)
        self.profile = PROFILES[simulator]
        self.name = simulator
        self.unsupported = self.profile.unsupported
        allowed = {"foreign_scheme"} | {"nest": {"spike_precision"}, "brian2": {"codegen"},
                                        "spinnaker": {"machine", "spalloc", "version", "run_base"}}[simulator]
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
        self.run_folder = None
        if self.spike_precision == "off_grid":
            self.name = "nest_precise"
        self._sim = None

    @property
    def sim(self):
        if self._sim is None:
            try:
                self._sim = importlib.import_module(self.profile.module)
            except ImportError as e:
                raise UnsupportedFeature(f"backend {self.name!r} needs {self.profile.module} "
                                         f"(pip install spikemem[pynn,{self.profile.name}]): {e}") from e
        return self._sim

    def _announce(self, network):
        if network.simulation.scheme != self.profile.scheme:
            msg = (f"{network.name}: simulation.scheme={network.simulation.scheme!r} is not expressible on "
                   f"{self.profile.name}, which integrates with the {self.profile.scheme!r} scheme")
            if not self.foreign_scheme:
                raise UnsupportedFeature(msg + " (pass foreign_scheme=True to run it with that scheme anyway)")
            warnings.warn(msg, stacklevel=3)
        if self.profile.name == "spinnaker":
            for pr in network.projections:
                if pr.plasticity is not None and pr.plasticity.post_history is None:
                    warnings.warn(f"{pr.name}: sPyNNaker keeps 16 post spikes per neuron between pre-spike updates "
                                  "(post_history=None runs as post_history=16)", stacklevel=3)

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None) -> Result:
        dt = network.simulation.dt
        steps = validation.steps("duration_ms", validation.non_negative("duration_ms", duration_ms), dt)
        batch, events = resolve_inputs(network, inputs, batch)
        plain = lower(network, self.profile)
        self._announce(network)
        shift = shift_steps(events, self.profile, network)
        sizes = {p.name: p.size for p in network.populations}
        with self._environment():
            return self._run_trials(network, plain, events, batch, steps, shift, sizes)

    def _environment(self):
        if self.profile.name != "spinnaker":
            return contextlib.nullcontext()
        from .spinnaker_config import RunFolder
        virtual = not (self.board.get("machine") or self.board.get("spalloc"))
        if virtual:
            warnings.warn("sPyNNaker on a virtual board maps the network but records no spikes", stacklevel=3)
        self.run_folder = RunFolder.create(self.run_base, virtual=virtual, **self.board)
        return self.run_folder.active()

    def _run_trials(self, network, plain, events, batch, steps, shift, sizes):
        dt = plain["dt"]
        spikes = {name: [] for name in network.recorded_spikes}
        vs = {name: [] for name in network.recording.v}
        weights = {name: [] for name in network.recording.weights}
        for trial in range(batch):
            stim = stimulus(events, sizes, trial, dt, shift)
            try:
                pops, projs = self._run_one(plain, stim, (steps + shift) * dt)
            except BaseException:
                self._end_quietly()
                raise
            for name in spikes:
                s, i = spike_arrays(pops[name], dt, shift, steps)
                spikes[name].append((np.full(len(s), trial), s, i))
            for name in vs:
                vs[name].append(v_array(pops[name], dt, shift, steps))
            for name in weights:
                w = np.abs(np.asarray(projs[name].get("weight", format="array"), dtype=float))
                weights[name].append(w)
            self.sim.end()
        res = Result(dt=dt, steps=steps, batch=batch, sizes=sizes,
                     spikes={n: sort_trials(p) for n, p in spikes.items()}, backend=self.name)
        res.v = {n: np.stack(v) for n, v in vs.items()}
        res.weights = {n: np.stack(w) for n, w in weights.items()}
        return res

    def _run_one(self, plain, stim, duration):
        sim, dt = self.sim, plain["dt"]
        if self.profile.name == "nest":
            sim.setup(timestep=dt, min_delay=dt, spike_precision=self.spike_precision, verbosity="error")
        elif self.profile.name == "brian2":
            import brian2
            brian2.prefs.codegen.target = self.codegen
            brian2.BrianLogger.suppress_name("synapses_dt_mismatch")
            sim.setup(timestep=dt, min_delay=dt)
        else:
            sim.setup(timestep=dt)
        pops, projs = instantiate.build(sim, plain, stim)
        if self.profile.name == "brian2":
            _brian2_stdp_timing(plain, projs)
        if self.board.get("machine") or self.board.get("spalloc"):
            try:
                sim.run(duration)
            except Exception as e:   # sPyNNaker raises many kinds when no board answers
                from .spinnaker_config import BoardConnectionError
                where = self.board.get("machine") or self.board.get("spalloc")
                raise BoardConnectionError(f"no SpiNNaker board answered at {where!r} "
                                           f"({type(e).__name__}: {e}); run folder: {self.run_folder.path}") from e
        else:
            sim.run(duration)
        return pops, projs


    def _end_quietly(self):
        try:
            self.sim.end()
        except Exception:
            pass


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
