"""The features a Network uses, by name: backends declare the ones they cannot run.

A backend's `unsupported` is a set of these names; the harness skips (and reports) what a
backend cannot run instead of letting it fail or silently change the model.
"""
from __future__ import annotations

import numpy as np

from .random import RandomDistribution

# name -> what it means (for error messages)
FEATURES = {
    "scheme.spinnaker": "sPyNNaker's discrete update (Simulation scheme='spinnaker')",
    "scheme.exact": "exact integration (Simulation scheme='exact')",
    "numerics.fixed": "a SpiNNaker core's fixed-point arithmetic (Simulation numerics='fixed')",
    "cell.i_offset": "a constant injected current",
    "cell.i_offset.exp": "a constant injected current into IFCurrExp cells (beside exponential synapses)",
    "cell.v_init": "a start voltage other than v_rest",
    "cell.delta": "delta-current synapses (IFCurrDelta: input jumps V by the weight in mV)",
    "cell.no_leak": "a membrane without leak (IFCurrDelta with tau_m = inf, NIR's IF)",
    "cell.onset": "a population held at its start voltage until an onset time",
    "cell.cond_exp": "conductance-based synapses with reversal potentials (IFCondExp)",
    "cell.cond_exp.coarse_dt": "IFCondExp above dt = 0.1 ms (one Runge-Kutta step per dt, without the reference's "
                               "sub-steps, is about a mV off at dt = 1 ms)",
    "cell.alpha": "alpha-shaped current synapses (IFCurrAlpha)",
    "cell.alpha.distinct_tau_syn": "IFCurrAlpha with tau_syn_I != tau_syn_E",
    "cell.alpha.short_tau": "IFCurrAlpha with tau_syn^2 <= dt (sPyNNaker's alpha synapse cannot hold dt/tau_syn^2 >= 1)",
    "cell.izhikevich": "Izhikevich neurons",
    "cell.izhikevich.delta": "Izhikevich neurons with voltage-jump synapses (PyNN's standard Izhikevich)",
    "cell.izhikevich.exp": "Izhikevich neurons with exponential current synapses (sPyNNaker's IZK_curr_exp)",
    "record.gsyn": "recording the synaptic current or conductance (gsyn_exc, gsyn_inh)",
    "record.sampling_interval": "analog recordings at a sampling interval",
    "connector.from_list": "explicit connection lists",
    "connector.convolution": "convolution and pooled dense connectors kept as structure (ConvolutionConnector, "
                             "PoolDenseConnector)",
    "connector.convolution.fixed": "convolution connectors in a SpiNNaker core's fixed point (sPyNNaker's local-only "
                                   "synapses, int16 kernels)",
    "source.poisson": "Poisson spike sources (SpikeSourcePoisson)",
    "current_source.dc": "DC current sources (DCSource)",
    "current_source.step": "step current sources (StepCurrentSource)",
    "current_source.ac": "sinusoidal current sources (ACSource)",
    "current_source.noisy": "noisy current sources (NoisyCurrentSource)",
    "current_source.ac.fixed": "an ACSource in a SpiNNaker core's fixed point (sPyNNaker's sink() table)",
    "stdp.multiplicative": "multiplicative weight dependence (PyNN's MultiplicativeWeightDependence)",
    "delay.heterogeneous": "different delays within one projection",
    "stdp": "STDP",
    "stdp.gate": "a third-factor gate on plasticity",
    "stdp.post_history": "a bounded post-spike history",
    "stdp.post_history.not16": "a post-spike history bound other than sPyNNaker's 16 events",
    "stdp.traces.nearest": "nearest-neighbour traces",
    "stdp.clamp.per_update": "clamping once per pre-spike update",
    "stdp.transmit.before_update": "delivering the weight before the spike's own update",
    "stdp.potentiate_at_zero": "potentiation of pairs with dt = 0",
    "stdp.no_depress_at_zero": "no depression of pairs with dt = 0",
    "stdp.dendritic_delay": "a dendritic delay other than the projection's delay",
    "stdp.w_min_nonzero": "w_min != 0",
    "stdp.inhibitory": "plastic inhibitory synapses",
}


CURRENT_FEATURES = {"DCSource": "current_source.dc", "StepCurrentSource": "current_source.step",
                    "ACSource": "current_source.ac", "NoisyCurrentSource": "current_source.noisy"}
CURRENT_SOURCE_FEATURES = tuple(CURRENT_FEATURES.values())


def plasticity_features(pr) -> set:
    """What the plastic projection `pr` needs beyond the plain pair rule."""
    r = pr.plasticity
    if r is None:
        return set()
    checks = {
        "stdp.gate": r.gate is not None,
        "stdp.post_history": r.post_history is not None,
        "stdp.post_history.not16": r.post_history not in (None, 16),
        "stdp.traces.nearest": r.traces == "nearest",
        "stdp.clamp.per_update": r.clamp == "per_update",
        "stdp.transmit.before_update": r.transmit == "before_update",
        "stdp.potentiate_at_zero": r.potentiate_at_zero,
        "stdp.no_depress_at_zero": not r.depress_at_zero,
        "stdp.dendritic_delay": r.dendritic_delay is not None and r.dendritic_delay != float(pr.delay),
        "stdp.w_min_nonzero": r.w_min != 0.0,
        "stdp.inhibitory": pr.receptor == "inhibitory",
    }
    checks["stdp.multiplicative"] = getattr(r, "weight_dependence", "additive") == "multiplicative"
    return {"stdp"} | {k for k, used in checks.items() if used}


COND_EXP_FINE_DT = 0.1 + 1e-12   # ms: the coarsest step at which one RK4 step per dt holds the reference's spikes


def cell_features(cell, dt: float) -> set:
    """What a cell model needs beyond the LIF cells every backend runs."""
    if cell.kind == "IF_cond_exp":
        return {"cell.cond_exp"} | ({"cell.cond_exp.coarse_dt"} if dt > COND_EXP_FINE_DT else set())
    if cell.kind == "IF_curr_alpha":
        return {"cell.alpha"} | ({"cell.alpha.distinct_tau_syn"} if _may_differ(cell.tau_syn_E, cell.tau_syn_I) else set()) | \
            ({"cell.alpha.short_tau"} if min(_lowest(cell.tau_syn_E), _lowest(cell.tau_syn_I)) ** 2 <= dt else set())
    if cell.kind == "Izhikevich":
        return {"cell.izhikevich", "cell.izhikevich.delta" if cell.delta else "cell.izhikevich.exp"}
    return set()


def required_features(net) -> set:
    f = {f"scheme.{net.simulation.scheme}"}
    if net.simulation.numerics == "fixed":
        f.add("numerics.fixed")
    for p in net.populations:
        if p.cell.kind == "SpikeSourcePoisson":
            f.add("source.poisson")
        if not p.is_source:
            if _may_differ(p.cell.i_offset, 0.0):
                f.add("cell.i_offset")
                if p.cell.kind == "IF_curr_exp":
                    f.add("cell.i_offset.exp")
            if p.cell.kind != "Izhikevich" and p.cell.v_init is not None and _may_differ(p.cell.v_init, p.cell.v_rest):
                f.add("cell.v_init")
            if p.cell.kind == "IF_curr_delta":
                f.add("cell.delta")
                if p.cell.tau_m == float("inf"):
                    f.add("cell.no_leak")
            if p.cell.onset:
                f.add("cell.onset")
            f |= cell_features(p.cell, net.simulation.dt)
    for inj in getattr(net, "current_sources", ()):
        kind = CURRENT_FEATURES[inj.source.kind]
        f.add(kind)
        if kind == "current_source.ac" and net.simulation.numerics == "fixed":
            f.add("current_source.ac.fixed")
    if net.recording.gsyn_exc or net.recording.gsyn_inh:
        f.add("record.gsyn")
    if net.recording.sampling_interval is not None and net.recording.analog():
        f.add("record.sampling_interval")
    for pr in net.projections:
        if pr.connector.kind == "from_list":
            f.add("connector.from_list")
        if pr.connector.kind in ("convolution", "pool_dense"):
            f.add("connector.convolution")
            if net.simulation.numerics == "fixed":
                f.add("connector.convolution.fixed")
        if isinstance(pr.delay, RandomDistribution) or (np.ndim(pr.delay) and len(np.unique(pr.delay)) > 1):
            f.add("delay.heterogeneous")
        f |= plasticity_features(pr)
    return f


def _may_differ(a, b) -> bool:
    """Whether per-neuron values a and b (numbers, tuples or distributions) can differ somewhere,
    without drawing them: a distribution that is not a single point may."""
    if isinstance(a, RandomDistribution) or isinstance(b, RandomDistribution):
        lo, hi = a.support if isinstance(a, RandomDistribution) else (a, a)
        return not (lo == hi and not isinstance(b, RandomDistribution) and np.all(np.asarray(b) == lo))
    return bool(np.any(np.asarray(a, dtype=float) != np.asarray(b, dtype=float)))


def _lowest(value) -> float:
    """The smallest value a per-neuron value (a number, a tuple or a distribution) can take."""
    if isinstance(value, RandomDistribution):
        return value.support[0]
    return float(np.min(value))


def missing_features(backend, net) -> list:
    return sorted(required_features(net) & set(getattr(backend, "unsupported", ())))
