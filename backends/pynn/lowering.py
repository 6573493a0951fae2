"""Lower a Network to a plain PyNN description for one simulator profile (explicit=True: every
connector as a list of plain numbers, as exported scripts write them).

On simulators with native_connectors (NEST), OneToOne and AllToAll with one weight and one
delay stay the simulator's own connectors, built without per-synapse Python; AllToAll without
self connections does so only within one population, where NEST drops the same i -> i pairs.
Between two populations the description drops i -> i too (sPyNNaker's behaviour, which the CA3
model relies on) and PyNN's AllToAll would not, so that one becomes an explicit (pre, post,
weight, delay) array, as every connector does on the other simulators (which also sidesteps
sPyNNaker's OneToOne-on-view bug). Weights get the sign the simulator wants; STDP amplitudes
get its convention.
"""
from __future__ import annotations

import numpy as np

from spikemem.description.features import FEATURES, cell_features, plasticity_features
from spikemem.description.validation import refractory_steps
from spikemem.engine.board_weights import board_weight_factor
from spikemem.errors import UnsupportedFeature, ValidationError

from .simulators import Profile

CELL_PARAMS = ("cm", "tau_m", "tau_syn_E", "tau_syn_I", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")
DELTA_PARAMS = ("cm", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")
PARAMS = {"IF_curr_exp": CELL_PARAMS, "IF_curr_delta": DELTA_PARAMS, "IF_curr_alpha": CELL_PARAMS,
          "IF_cond_exp": CELL_PARAMS + ("e_rev_E", "e_rev_I"), "Izhikevich": ("a", "b", "c", "d", "i_offset")}
GSYN = ("gsyn_exc", "gsyn_inh")


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
        used = {"cell.delta": p.cell.kind == "IF_curr_delta", "cell.no_leak": getattr(p.cell, "tau_m", 1) == float("inf"),
                "cell.onset": bool(p.cell.onset), **dict.fromkeys(cell_features(p.cell, dt), True)}
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
         for k in PARAMS[cell.kind]}   # per-neuron i_offset: a list
    if cell.kind == "Izhikevich":
        scale = profile.izhikevich_current_scale
        p["i_offset"] = [v * scale for v in p["i_offset"]] if isinstance(p["i_offset"], list) else p["i_offset"] * scale
        if not cell.delta:             # sPyNNaker's IZK_curr_exp (NEST and Brian2 refuse it by feature)
            p.update(tau_syn_E=float(cell.tau_syn_E), tau_syn_I=float(cell.tau_syn_I))
        return p
    steps = refractory_steps(cell.tau_refrac, dt)      # the IR's rule, passed on the grid to every simulator
    p["tau_refrac"] = (steps + profile.refractory_extra_steps) * dt if steps else 0.0
    return p


def _stdp(rule, profile: Profile, weight_scale: float = 1.0) -> dict:
    """The rule in the simulator's convention; weight_scale: its weight per description weight
    (every weight quantity of an additive rule scales with it)."""
    scale = 1.0
    if profile.stdp_amplitude_per_w_max:
        if rule.w_max <= 0 and (rule.A_plus or rule.A_minus):
            raise UnsupportedFeature(f"stdp.w_max={rule.w_max!r}: {profile.name} scales A+- by w_max, "
                                     "so nonzero amplitudes need w_max > 0")
        scale = 1.0 / rule.w_max if rule.w_max > 0 else 1.0
    k = weight_scale
    return {"tau_plus": rule.tau_plus, "tau_minus": rule.tau_minus, "A_plus": rule.A_plus * scale * k,
            "A_minus": rule.A_minus * scale * k, "w_min": rule.w_min * k, "w_max": rule.w_max * k,
            "dendritic_delay_fraction": profile.dendritic_delay_fraction}


def lower(network, profile: Profile, explicit: bool = False) -> dict:
    """The plain description in PyNN units: populations, and per projection either the
    simulator's own connector (native_connectors, module docstring) or a connection array
    (explicit=True: always a list of plain numbers)."""
    check_features(network, profile)
    dt = network.simulation.dt
    recorded, rec = set(network.recorded_spikes), network.recording
    pops = []
    for p in network.populations:
        entry = {"name": p.name, "size": p.size, "record_spikes": p.name in recorded, "record_v": p.name in rec.v,
                 "record_gsyn": [g for g in GSYN if p.name in getattr(rec, g)]}
        if p.is_source:
            entry.update(kind="SpikeSourceArray")
        else:
            entry.update(kind=p.cell.kind, params=_cell(p.cell, profile, dt), v_init=float(p.cell.v_start))
            if p.cell.kind == "Izhikevich":
                entry["u_init"] = float(p.cell.u_init)
            if p.max_expected_summed_weight is not None:   # sPyNNaker's ring-buffer sizing override
                entry["max_expected_summed_weight"] = [
                    w * _weight_scale(p.cell, r, profile, dt) for w, r in zip(p.max_expected_summed_weight,
                                                                              ("excitatory", "inhibitory"))]
        pops.append(entry)
    projs = []
    for pr in network.projections:
        n_pre, n_post = network.population(pr.pre).size, network.population(pr.post).size
        post_cell = network.population(pr.post).cell
        scale = _weight_scale(post_cell, pr.receptor, profile, dt)
        # (PyNN takes conductances positive, and negates inhibitory ones itself where NEST wants it)
        negative = pr.receptor == "inhibitory" and profile.negative_inhibition and post_cell.kind != "IF_cond_exp"
        sign = (-1.0 if negative else 1.0) * scale
        entry = {"name": pr.name, "pre": pr.pre, "post": pr.post, "receptor": pr.receptor,
                 "stdp": _stdp(pr.plasticity, profile, scale) if pr.plasticity is not None else None}
        kind = None if explicit else _native(pr, profile)
        if kind:
            entry.update(connector=kind, allow_self_connections=pr.connector.kind == "one_to_one"
                         or pr.connector.allow_self_connections, weight=sign * float(pr.weight),
                         delay=float(pr.delay), synapses=n_pre if kind == "one_to_one" else
                         n_pre * n_post - (0 if pr.connector.allow_self_connections else n_pre))
        else:
            pre, post, w, d = pr.connections(n_pre, n_post)
            conn = np.column_stack([pre, post, sign * w, d])
            if explicit:       # plain Python numbers, for a script's literal lists
                conn = [[int(a), int(b), c, e] for a, b, c, e in conn.tolist()]
            entry.update(connector="from_list", connections=conn,
                         delay=float(np.max(d)) if len(d) else float(np.max(pr.delay)), synapses=len(pre))
        projs.append(entry)
    return {"format": "spikemem-pynn/1", "simulator": profile.name, "dt": dt, "name": network.name,
            "populations": pops, "projections": projs,
            # only a simulator that never shifts the run samples itself (its samples fall on the
            # description's); the others record every step and are sampled on reading
            "sampling_interval": rec.sampling_interval if not (profile.own_dynamics_shift or
                                                               profile.source_min_time_steps) else None}


def _weight_scale(cell, receptor: str, profile: Profile, dt: float) -> float:
    """The simulator's weight per description weight (a magnitude; the sign is the receptor's).

    The description's IFCurrDelta weight is the jump of V in mV, as NEST's and Brian2's. sPyNNaker
    holds a delta weight w as a current w/dt for one step, which moves V by (1 - exp(-dt/tau_m)) R w/dt;
    its weight is scaled so that the jump is the description's (docs/nir.md, "IFCurrDelta").
    IFCurrAlpha's weight is the peak of its current (PyNN, NEST, Brian2); sPyNNaker's alpha synapse
    takes the current's charge, e tau_syn times that (docs/cells.md)."""
    if cell.kind == "IF_curr_delta" and profile.delta_as_current:
        return dt / (-np.expm1(-dt / cell.tau_m) * cell.tau_m / cell.cm)
    if cell.kind == "IF_curr_alpha" and profile.alpha_as_charge:
        return board_weight_factor(cell, receptor)
    return 1.0


def _native(pr, profile: Profile):
    """'one_to_one' or 'all_to_all' where the simulator's own connector means the same, else None."""
    if not profile.native_connectors or np.ndim(pr.weight) or np.ndim(pr.delay):
        return None
    kind = pr.connector.kind
    if kind == "one_to_one" or (kind == "all_to_all" and (pr.connector.allow_self_connections or pr.pre == pr.post)):
        return kind
    return None


def _at_rest(p) -> bool:
    """A population that delaying the whole run changes nothing in: a source, or neurons that start
    at rest with no offset current (scalar or per neuron)."""
    if p.is_source:
        return True
    if p.cell.kind == "Izhikevich":       # its v and u move on their own from any start
        return False
    return not np.any(np.asarray(p.cell.i_offset) != 0) and p.cell.v_start == p.cell.v_rest


def starts_at_rest(network) -> bool:
    return all(_at_rest(p) for p in network.populations)


def shift_steps(events: dict, profile: Profile, network) -> int:
    """Steps to delay the whole run by in the simulator (spikes are moved back).

    Where every neuron starts at rest with no offset current, any delay changes nothing: the
    stimulus is delayed just enough that no source spike falls where the simulator refuses it.
    Otherwise the delay is the profile's `own_dynamics_shift`, the one that reproduces the
    description's first steps, and a stimulus that would need more is refused.
    """
    need = profile.source_min_time_steps
    first = min((int(ev.step.min()) for ev in events.values() if len(ev)), default=need)
    if starts_at_rest(network):
        return max(need - first, 0)
    shift = profile.own_dynamics_shift
    if first + shift < need:
        p = next(p for p in network.populations if not _at_rest(p))
        raise UnsupportedFeature(
            f"{p.name}: {profile.name} refuses source spikes before {need} steps, and shifting the stimulus "
            f"would change a neuron that does not start at rest (i_offset={p.cell.i_offset}, "
            f"v_init={p.cell.v_init}); start stimuli at >= {(need - shift) * network.simulation.dt:g} ms")
    return shift


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
