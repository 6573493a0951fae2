"""The features a Network uses, by name: backends declare the ones they cannot run.

A backend's `unsupported` is a set of these names; the harness skips (and reports) what a
backend cannot run instead of letting it fail or silently change the model.
"""
from __future__ import annotations

import numpy as np

from .random import RandomDistribution

EXP_NEAR_TAU = 1e-6        # relative |tau_syn - tau_m| below which IFCurrExp has cell.exp.tau_syn_near_tau_m
ALPHA_NEAR_TAU = 0.1       # ... IFCurrAlpha has cell.alpha.tau_syn_near_tau_m (docs/cells.md, Brian2)

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
    "cell.exp.tau_syn_near_tau_m": f"IFCurrExp with tau_syn_E or tau_syn_I within {EXP_NEAR_TAU:g} x tau_m of tau_m (an exact "
                                   "solution written for distinct time constants divides by their difference: "
                                   "Brian2's V is NaN at equality and mV off just beside it)",
    "cell.alpha": "alpha-shaped current synapses (IFCurrAlpha)",
    "cell.alpha.tau_syn_near_tau_m": f"IFCurrAlpha with tau_syn within {ALPHA_NEAR_TAU:.0%} of tau_m (Brian2's exact "
                                     "solution loses digits to cancellation: NaN at equality, 0.04 mV off at 0.1 %, "
                                     "5e-6 mV at 5 %)",
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


def cell_features(cell, dt: float) -> set:
    """What a cell model needs beyond the LIF cells every backend runs."""
    if cell.kind == "IF_cond_exp":
        return {"cell.cond_exp"}
    if cell.kind == "IF_curr_exp":
        return {"cell.exp.tau_syn_near_tau_m"} if _near_tau_m(cell, EXP_NEAR_TAU) else set()
    if cell.kind == "IF_curr_alpha":
        checks = {"cell.alpha.distinct_tau_syn": _may_differ(cell.tau_syn_E, cell.tau_syn_I),
                  "cell.alpha.short_tau": min(_lowest(cell.tau_syn_E), _lowest(cell.tau_syn_I)) ** 2 <= dt,
                  "cell.alpha.tau_syn_near_tau_m": _near_tau_m(cell, ALPHA_NEAR_TAU)}
        return {"cell.alpha"} | {k for k, used in checks.items() if used}
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


def _near_tau_m(cell, rel: float) -> bool:
    """Whether some neuron's tau_syn_E or tau_syn_I may lie within rel x tau_m of its tau_m
    (a distribution: anywhere in its support)."""
    return any(_may_be_near(getattr(cell, k), cell.tau_m, rel) for k in ("tau_syn_E", "tau_syn_I"))


def _may_be_near(a, b, rel: float) -> bool:
    if isinstance(a, RandomDistribution) or isinstance(b, RandomDistribution):
        (alo, ahi), (blo, bhi) = (x.support if isinstance(x, RandomDistribution) else (np.min(x), np.max(x))
                                  for x in (a, b))
        return bool(alo <= bhi * (1 + rel) and ahi >= blo * (1 - rel))
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return bool(np.any(np.abs(a - b) <= rel * b))


def _lowest(value) -> float:
    """The smallest value a per-neuron value (a number, a tuple or a distribution) can take."""
    if isinstance(value, RandomDistribution):
        return value.support[0]
    return float(np.min(value))


def missing_features(backend, net) -> list:
    return sorted(required_features(net) & set(getattr(backend, "unsupported", ())))
