"""Lower a Network to a plain, JSON-able PyNN description for one simulator profile.

Every connector becomes an explicit (pre, post, weight, delay) list: this is how the IR's
AllToAll(allow_self_connections=False) keeps dropping i -> i between two different
populations on every simulator, and it sidesteps sPyNNaker's OneToOne-on-view bug. Weights
get the sign the simulator wants; STDP amplitudes get its convention.
"""
from __future__ import annotations

import numpy as np

from spikemem.description.features import FEATURES, plasticity_features
from spikemem.description.validation import refractory_steps
from spikemem.errors import UnsupportedFeature, ValidationError

from .simulators import Profile

CELL_PARAMS = ("cm", "tau_m", "tau_syn_E", "tau_syn_I", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")
DELTA_PARAMS = ("cm", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")


def check_features(network, profile: Profile) -> None:
    """Refuse what the simulator cannot express, naming the population or projection and the feature."""
    dt = network.simulation.dt
    if network.simulation.numerics == "fixed" and "numerics.fixed" in profile.unsupported:
        raise UnsupportedFeature(f"simulation.numerics='fixed': {profile.name} computes in floating point "
                                 "(SpiNNaker's fixed point runs on the reference and torch engines and on a board)")
    if profile.fixed_dt is not None and dt != profile.fixed_dt:
        raise UnsupportedFeature(f"simulation.dt={dt!r}: {profile.name} needs a {profile.fixed_dt:g} ms timestep")
    for p in network.populations:
        if p.is_source:
            continue
        used = {"cell.delta": p.cell.kind == "IF_curr_delta", "cell.no_leak": p.cell.tau_m == float("inf"),
                "cell.onset": bool(p.cell.onset)}
        need = sorted(f for f, u in used.items() if u and f in profile.unsupported)
        if need:
            raise UnsupportedFeature(f"{p.name}.cell: {profile.name} cannot express {FEATURES[need[0]]} ({need[0]})")
    for pr in network.projections:
        if pr.plasticity is None:
            continue
        need = plasticity_features(pr) & profile.unsupported
        if need:
            f = sorted(need)[0]
            raise UnsupportedFeature(f"{pr.name}.plasticity: {profile.name} cannot express {FEATURES[f]} ({f})")


def check_scheme(network, profile: Profile, foreign_scheme: bool = False) -> str | None:
    """None, or the notice for a network written for another update scheme (refused unless
    foreign_scheme: the simulator can only integrate with its own, docs/update_schemes.md)."""
    if network.simulation.scheme == profile.scheme:
        return None
    msg = (f"{network.name}: simulation.scheme={network.simulation.scheme!r} is not expressible on "
           f"{profile.name}, which integrates with the {profile.scheme!r} scheme")
    if not foreign_scheme:
        raise UnsupportedFeature(msg + " (pass foreign_scheme=True, or --foreign-scheme on the command "
                                       "line, to run it with that scheme anyway)")
    return msg


def _cell(cell, profile: Profile, dt: float) -> dict:
    p = {k: float(getattr(cell, k)) if np.ndim(getattr(cell, k)) == 0 else [float(v) for v in getattr(cell, k)]
         for k in (DELTA_PARAMS if cell.kind == "IF_curr_delta" else CELL_PARAMS)}   # per-neuron i_offset: a list
    steps = refractory_steps(cell.tau_refrac, dt)      # the IR's rule, passed on the grid to every simulator
    p["tau_refrac"] = (steps + profile.refractory_extra_steps) * dt if steps else 0.0
    return p


def _stdp(rule, profile: Profile) -> dict:
    scale = 1.0
    if profile.stdp_amplitude_per_w_max:
        if rule.w_max <= 0 and (rule.A_plus or rule.A_minus):
            raise UnsupportedFeature(f"stdp.w_max={rule.w_max!r}: {profile.name} scales A+- by w_max, "
                                     "so nonzero amplitudes need w_max > 0")
        scale = 1.0 / rule.w_max if rule.w_max > 0 else 1.0
    return {"tau_plus": rule.tau_plus, "tau_minus": rule.tau_minus, "A_plus": rule.A_plus * scale,
            "A_minus": rule.A_minus * scale, "w_min": rule.w_min, "w_max": rule.w_max,
            "dendritic_delay_fraction": profile.dendritic_delay_fraction}


def lower(network, profile: Profile) -> dict:
    """The plain description: populations and explicit connection lists, in PyNN units."""
    check_features(network, profile)
    dt = network.simulation.dt
    recorded, rec_v = set(network.recorded_spikes), set(network.recording.v)
    pops = []
    for p in network.populations:
        entry = {"name": p.name, "size": p.size, "record_spikes": p.name in recorded, "record_v": p.name in rec_v}
        if p.is_source:
            entry.update(kind="SpikeSourceArray")
        else:
            entry.update(kind=p.cell.kind, params=_cell(p.cell, profile, dt), v_init=float(p.cell.v_start))
            if p.max_expected_summed_weight is not None:   # sPyNNaker's ring-buffer sizing override
                entry["max_expected_summed_weight"] = list(p.max_expected_summed_weight)
        pops.append(entry)
    projs = []
    for pr in network.projections:
        pre, post, w, d = pr.connections(network.population(pr.pre).size, network.population(pr.post).size)
        if pr.receptor == "inhibitory" and profile.negative_inhibition:
            w = -w
        w = w * _delta_weight_scale(network.population(pr.post).cell, profile, dt)
        conn = np.column_stack([pre, post, w, d]).tolist()
        for row in conn:
            row[0], row[1] = int(row[0]), int(row[1])
        projs.append({"name": pr.name, "pre": pr.pre, "post": pr.post, "receptor": pr.receptor,
                      "connections": conn, "delay": float(np.max(d)) if len(d) else float(np.max(pr.delay)),
                      "stdp": _stdp(pr.plasticity, profile) if pr.plasticity is not None else None})
    return {"format": "spikemem-pynn/1", "simulator": profile.name, "dt": dt, "name": network.name,
            "populations": pops, "projections": projs}


def _delta_weight_scale(cell, profile: Profile, dt: float) -> float:
    """The description's IFCurrDelta weight is the jump of V in mV, as NEST's and Brian2's. sPyNNaker
    holds a delta weight w as a current w/dt for one step, which moves V by (1 - exp(-dt/tau_m)) R w/dt;
    its weight is scaled so that the jump is the description's (docs/nir.md, "IFCurrDelta")."""
    if cell.kind != "IF_curr_delta" or not profile.delta_as_current:
        return 1.0
    return dt / (-np.expm1(-dt / cell.tau_m) * cell.tau_m / cell.cm)


def shift_steps(events: dict, profile: Profile, network) -> int:
    """Steps to delay the whole run by so that no source spike falls where the simulator refuses it.

    Exact only when every neuron starts at rest with no offset current: then the extra steps
    change nothing. Otherwise a needed shift is refused rather than silently changing the run.
    """
    need = profile.source_min_time_steps
    if not need:
        return 0
    first = min((int(ev.step.min()) for ev in events.values() if len(ev)), default=need)
    if first >= need:
        return 0
    for p in network.populations:
        if not p.is_source and (np.any(np.asarray(p.cell.i_offset) != 0) or p.cell.v_start != p.cell.v_rest):
            raise UnsupportedFeature(
                f"{p.name}: {profile.name} refuses source spikes before {need} steps, and shifting the stimulus "
                f"would change a neuron that does not start at rest (i_offset={p.cell.i_offset}, "
                f"v_init={p.cell.v_init}); start stimuli at >= {need * network.simulation.dt:g} ms")
    return need - first


def stimulus(events: dict, sizes: dict, trial: int, dt: float, shift: int) -> dict:
    """Spike times in ms per source neuron for one trial: {source: [[t, ...], ...]}."""
    out = {}
    for name, ev in events.items():
        sel = ev.trial == trial
        steps, neurons = ev.step[sel] + shift, ev.neuron[sel]
        order = np.lexsort((steps, neurons))
        counts = np.bincount(neurons, minlength=sizes[name])
        # round to the decimal grid: 82 * 0.1 = 8.200000000000001, which NEST moves to the next step
        times = np.round(steps[order] * dt, 9)
        out[name] = [a.tolist() for a in np.split(times, np.cumsum(counts)[:-1])]
    return out


def check_option(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValidationError(name, value, f"must be one of {sorted(allowed)}")
