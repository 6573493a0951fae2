"""What each PyNN simulator needs, stated once, as data (docs/update_schemes.md and
docs/stdp.md, "PyNN simulators", say why).

A profile says how a description is converted for one simulator (weight sign, STDP amplitude
convention, refractory rounding, stimulus shift), how the simulator is set up, and which
features it cannot express. The backend and the exported scripts (script.py) both read it.
"""
from __future__ import annotations

from dataclasses import dataclass

# `unsupported` uses the feature names of spikemem.description.features; the harness skips cases that need them.


@dataclass(frozen=True)
class Profile:
    name: str
    module: str                    # the pyNN.* simulator module
    scheme: str                    # the update scheme the simulator integrates with
    negative_inhibition: bool      # inhibitory weights must be given < 0
    stdp_amplitude_per_w_max: bool  # PyNN multiplies A+- by w_max on this simulator
    dendritic_delay_fraction: float
    refractory_extra_steps: int    # the simulator blocks tau_refrac/dt - this many steps
    source_min_time_steps: int     # source spikes at steps < this are refused by the simulator
    fixed_dt: float | None         # the only timestep the simulator accepts
    unsupported: frozenset
    delta_as_current: bool = False  # IF_curr_delta weights are a one-step current (sPyNNaker), not mV
    # OneToOne and AllToAll go to the simulator's own connectors where they mean the same as the
    # description (not AllToAll without self pairs between two populations: lowering.py)
    native_connectors: bool = False
    # steps a run whose neurons do not start at rest must be shifted by (and no more): NEST stamps
    # a spike at the end of its step and pyNN.nest's sources fire one min_delay early, so input-
    # driven spikes line up, but an offset current or a start voltage needs one more NEST step
    # before the description's first step
    own_dynamics_shift: int = 0
    # a pre spike depresses with a post event of the same time (zero_pairs.py: NEST does not)
    depresses_at_zero: bool = True
    # potentiation is applied at the synapse's next pre spike (deferred_stdp.py)
    defers_potentiation: bool = False
    # IF_curr_alpha weights are the charge of the current, e tau_syn times its peak (sPyNNaker)
    alpha_as_charge: bool = False
    # the simulator's Izhikevich current per description nA: pyNN.nest and pyNN.brian2 take a
    # 1 pF membrane (1 nA is 1000 mV/ms), spikemem and sPyNNaker 1 nF (docs/cells.md)
    izhikevich_current_scale: float = 1.0
    # an analog sample stamped k dt holds the state after step k - 1 - this (pyNN.brian2 prepends
    # the initial value to signals recorded at the end of each step)
    analog_lag_steps: int = 0
    # poisson="native": steps between a generator's start and its first recorded spike (NEST: its
    # exclusive start, the parrot neuron's delay and the end-of-step stamp), and whether it also
    # fires in the step at start + duration (pyNN.brian2's PoissonGroup)
    native_poisson_lag: int = 0
    native_poisson_closed: bool = False
    # a projection keeps one synapse per (pre, post) pair (pyNN.brian2 sets weights by pair, so a
    # repeated pair would share one weight): repeats are lowered as extra projections
    one_synapse_per_pair: bool = False
    # convolution and pooled dense layers go to the simulator's own local-only connectors where it
    # can express them (local_only.py); elsewhere they are lists
    local_only_layers: bool = False
    # steps the simulator subtracts from every source spike time (pyNN.nest: min_delay = dt, its
    # parrot neurons' delay) before it puts the time on the first step at or after it
    source_early_steps: int = 0
    # the simulator keeps STDP's tau_minus on the post neuron (NEST's archiving node): every plastic
    # projection into one population must share it
    tau_minus_per_post: bool = False
    # the simulator's weight unit for STDP's w_min and w_max onto cells whose weight is a jump of V
    # (mV): pyNN.nest scales weights by 1e-3 for them (receptor_scale) but not w_min and w_max
    jump_stdp_bound_scale: float = 1.0
    # a plastic projection's STDP events are applied its delay after the description's (Brian2's moved
    # post pathway): its weights are read that long after the run's end
    stdp_events_late_by_delay: bool = False
    # steps at the end of the simulator's run (to (steps + shift) dt: its last stamp is one step past
    # the description's last) whose STDP events must not enter the weights: they are read before them
    stdp_past_end_steps: int = 0
    # a plastic synapse's start weight outside [w_min, w_max] is clipped before it transmits, as the
    # description does (NEST and Brian2 transmit it unclipped: refused)
    clips_start_weights: bool = True
    # a source may list one time twice (pyNN.brian2's SpikeGeneratorGroup refuses a neuron twice in a step)
    repeated_source_times: bool = True
    # current sources: steps their times move by beside the stimulus shift, and the least
    # description step + shift at which one may start (pyNN.nest: a PyNN time T >= 2 dt acts in
    # the step of the description's T - dt; backends/pynn/currents.py)
    current_time_steps: int = 0
    current_min_time_steps: int = 0


NEST = Profile(
    "nest", "pyNN.nest", "exact", negative_inhibition=True, stdp_amplitude_per_w_max=True,
    dendritic_delay_fraction=1.0, refractory_extra_steps=0,
    # pyNN.nest drives sources through parrot neurons and subtracts min_delay (= dt) from
    # every spike time; a time <= min_delay is refused, so the stimulus is shifted.
    source_min_time_steps=2, fixed_dt=None,
    unsupported=frozenset({"scheme.spinnaker", "numerics.fixed", "stdp.gate", "stdp.dendritic_delay", "stdp.traces.nearest",
                           "stdp.clamp.per_update", "stdp.transmit.before_update", "stdp.potentiate_at_zero",
                           "stdp.post_history", "stdp.w_min_nonzero",
                           "stdp.inhibitory", "cell.no_leak", "cell.onset",
                           # NEST's izhikevich has voltage-jump synapses only
                           "cell.izhikevich.exp"}),
    native_connectors=True, own_dynamics_shift=1, depresses_at_zero=False, defers_potentiation=True,
    izhikevich_current_scale=1e-3, native_poisson_lag=3, source_early_steps=1, tau_minus_per_post=True,
    jump_stdp_bound_scale=1e-3, stdp_past_end_steps=1, clips_start_weights=False, current_time_steps=-1,
    current_min_time_steps=3)

BRIAN2 = Profile(
    "brian2", "pyNN.brian2", "exact", negative_inhibition=True, stdp_amplitude_per_w_max=True,
    # pyNN.brian2 ignores dendritic delays; the backend moves the post pathway instead.
    dendritic_delay_fraction=0.0,
    # Brian2 counts a neuron refractory while (t - lastspike) < tau_refrac, one step fewer
    # than NEST and sPyNNaker; tau_refrac is lengthened by one step to block the same steps.
    refractory_extra_steps=1, source_min_time_steps=0, fixed_dt=None,
    unsupported=frozenset({"scheme.spinnaker", "numerics.fixed", "stdp.gate", "stdp.dendritic_delay", "stdp.traces.nearest",
                           "stdp.clamp.per_update", "stdp.transmit.before_update", "stdp.potentiate_at_zero",
                           "stdp.no_depress_at_zero", "stdp.post_history", "stdp.inhibitory", "cell.no_leak",
                           "cell.onset",
                           # pyNN.brian2's IF_curr_delta adds the weight after the threshold test (seen one
                           # step late, after one more leak) and during the refractory period (docs/nir.md);
                           # its Izhikevich does the same with its voltage jumps and has no exponential synapses
                           "cell.delta", "cell.izhikevich.delta", "cell.izhikevich.exp",
                           # pyNN.brian2's IF_curr_alpha integrates its inhibitory current with tau_syn_E
                           "cell.alpha.distinct_tau_syn",
                           # Brian2's exact solutions divide by tau_m - tau_syn (the differential fuzzer's finding)
                           "cell.exp.tau_syn_near_tau_m", "cell.alpha.tau_syn_near_tau_m"}),
    izhikevich_current_scale=1e-3, analog_lag_steps=1, native_poisson_closed=True,
    one_synapse_per_pair=True, repeated_source_times=False, stdp_events_late_by_delay=True,
    clips_start_weights=False)

SPINNAKER = Profile(
    "spinnaker", "pyNN.spiNNaker", "spinnaker", negative_inhibition=False, stdp_amplitude_per_w_max=False,
    dendritic_delay_fraction=1.0, refractory_extra_steps=0, source_min_time_steps=0, fixed_dt=1.0,
    unsupported=frozenset({"scheme.exact", "stdp.gate", "stdp.dendritic_delay", "stdp.traces.nearest", "stdp.clamp.per_update",
                           "stdp.transmit.before_update", "stdp.potentiate_at_zero", "stdp.no_depress_at_zero",
                           "stdp.post_history.not16", "stdp.w_min_nonzero", "cell.no_leak", "cell.onset",
                           # sPyNNaker's Izhikevich has exponential current synapses only; its alpha synapse
                           # holds dt / tau_syn^2 in an unsigned fract (docs/cells.md)
                           "cell.izhikevich.delta", "cell.alpha.short_tau"}),
    delta_as_current=True, alpha_as_charge=True, local_only_layers=True)

PROFILES = {p.name: p for p in (NEST, BRIAN2, SPINNAKER)}


PYNN_MAX_DELAY = 10.0      # ms: PyNN's default max_delay (pyNN.nest refuses longer delays under it)


def setup_options(profile: Profile, dt: float, spike_precision: str = "on_grid", threads: int = 1,
                  max_delay: float = 0.0) -> dict:
    """Keyword arguments of sim.setup() for this simulator (the backend and exported scripts);
    max_delay: the network's longest delay (lowering.max_delay), raised above PyNN's default."""
    if profile.name == "nest":
        opts = {"timestep": dt, "min_delay": dt, "spike_precision": spike_precision, "verbosity": "error"}
        if max_delay > PYNN_MAX_DELAY:
            opts["max_delay"] = float(max_delay)
        return dict(opts, threads=threads) if threads != 1 else opts
    if profile.name == "brian2":
        return {"timestep": dt, "min_delay": dt}
    return {"timestep": dt}
