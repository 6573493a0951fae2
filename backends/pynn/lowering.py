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

from spikemem.description import realisation
from spikemem.description.features import FEATURES, cell_features, plasticity_features
from spikemem.description.random import RandomDistribution
from spikemem.description.validation import refractory_steps
from spikemem.engine.board_weights import neuron_weight_factors
from spikemem.engine.poisson import block as poisson_block
from spikemem.engine.poisson import mix
from spikemem.errors import UnsupportedFeature, ValidationError

from . import local_only
from .currents import check_currents, first_current_step
from .simulators import Profile

POISSON = ("arrays", "native")
NATIVE_FOREVER = 1e10          # ms: PyNN's default duration of a SpikeSourcePoisson (the description's inf)
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
    if profile.tau_minus_per_post:
        _one_tau_minus(network, profile)
    for pr in network.projections:
        if pr.plasticity is None:
            continue
        need = plasticity_features(pr) & profile.unsupported
        if need:
            f = sorted(need)[0]
            raise UnsupportedFeature(f"{pr.name}.plasticity: {profile.name} cannot express {FEATURES[f]} ({f})")


def _one_tau_minus(network, profile: Profile) -> None:
    """Refuse plastic projections into one population with different tau_minus where the simulator
    keeps tau_minus on the post neuron (NEST: one value would silently serve them all)."""
    seen = {}
    for pr in network.projections:
        if pr.plasticity is None:
            continue
        first = seen.setdefault(pr.post, pr)
        if first.plasticity.tau_minus != pr.plasticity.tau_minus:
            raise UnsupportedFeature(
                f"{pr.name}.plasticity.tau_minus={pr.plasticity.tau_minus!r}: {profile.name} keeps tau_minus on the post "
                f"neuron, and {first.name} into the same population {pr.post} has tau_minus={first.plasticity.tau_minus!r}; "
                "give plastic projections into one population one tau_minus")


def check_sources(events: dict, profile: Profile, dt: float) -> None:
    """Refuse a source neuron that lists one time twice where the simulator cannot send it twice."""
    if profile.repeated_source_times:
        return
    for name, ev in events.items():
        code = (np.asarray(ev.trial, dtype=np.int64) * (int(ev.step.max(initial=0)) + 1) + ev.step) * \
            (int(ev.neuron.max(initial=0)) + 1) + ev.neuron
        _, first, counts = np.unique(code, return_index=True, return_counts=True)
        if np.any(counts > 1):
            k = first[np.argmax(counts > 1)]
            raise UnsupportedFeature(
                f"{name}: neuron {int(ev.neuron[k])} lists {float(ev.step[k]) * dt:g} ms twice (a repeated source time); "
                f"{profile.name} sends one spike per neuron and step (pyNN.brian2's SpikeGeneratorGroup), the "
                "description two; list each time once, or use another backend (reference, torch, NEST)")


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


def _cell(pop, profile: Profile, dt: float) -> dict:
    """PyNN parameters: one number where every neuron has the same value, else a list (per-neuron
    tuples and distributions as realised by spikemem.description.realisation)."""
    c, kind = realisation.cell_arrays(pop), pop.cell.kind
    values = {k: getattr(c, k) for k in PARAMS[kind]}
    if kind == "Izhikevich":
        values["i_offset"] = values["i_offset"] * profile.izhikevich_current_scale
        if not pop.cell.delta:         # sPyNNaker's IZK_curr_exp (NEST and Brian2 refuse it by feature)
            values.update(tau_syn_E=c.tau_syn_E, tau_syn_I=c.tau_syn_I)
    else:
        steps = refractory_steps(c.tau_refrac, dt)      # the IR's rule, passed on the grid to every simulator
        values["tau_refrac"] = np.where(steps > 0, (steps + profile.refractory_extra_steps) * dt, 0.0)
    return {k: _one_or_list(v, getattr(pop.cell, k)) for k, v in values.items()}


def _one_or_list(values: np.ndarray, empty=0.0):
    """One float where all values agree (`empty`'s for no neuron at all), else a list."""
    if not len(values):
        return float(empty) if isinstance(empty, (int, float)) else 0.0
    return float(values[0]) if np.all(values == values[0]) else [float(x) for x in values]


def _stdp(rule, profile: Profile, weight_scale: float = 1.0, bound_scale: float = 1.0) -> dict:
    """The rule in the simulator's convention; weight_scale: its weight per description weight
    (every weight quantity of an additive rule scales with it); bound_scale: what w_min and w_max
    are multiplied by besides (the profile's jump_stdp_bound_scale onto voltage-jump cells)."""
    scale = 1.0
    multiplicative = rule.weight_dependence == "multiplicative"
    if profile.stdp_amplitude_per_w_max and not multiplicative:    # multiplicative amplitudes have no unit
        if rule.w_max <= 0 and (rule.A_plus or rule.A_minus):
            raise UnsupportedFeature(f"stdp.w_max={rule.w_max!r}: {profile.name} scales A+- by w_max, "
                                     "so nonzero amplitudes need w_max > 0")
        scale = 1.0 / rule.w_max if rule.w_max > 0 else 1.0
    if profile.name == "nest" and rule.A_minus and not rule.A_plus:
        raise UnsupportedFeature(f"stdp.A_plus=0 with A_minus={rule.A_minus!r}: NEST's stdp_synapse scales depression by "
                                 "lambda = A_plus (PyNN's A_minus is its alpha = A_minus / A_plus), so STDP without "
                                 "potentiation would not depress there either")
    k, ka = weight_scale, (1.0 if multiplicative else weight_scale)
    if profile.stdp_amplitude_per_w_max:      # amplitudes relative to w_max: the weight unit cancels
        ka = 1.0
    kb = k * bound_scale
    return {"tau_plus": rule.tau_plus, "tau_minus": rule.tau_minus, "A_plus": rule.A_plus * scale * ka,
            "A_minus": rule.A_minus * scale * ka, "w_min": rule.w_min * kb, "w_max": rule.w_max * kb,
            "dendritic_delay_fraction": profile.dendritic_delay_fraction,
            "weight_dependence": rule.weight_dependence}


def lower(network, profile: Profile, explicit: bool = False, poisson: str = "arrays") -> dict:
    """The plain description in PyNN units: populations, and per projection either the
    simulator's own connector (native_connectors, module docstring) or a connection array
    (explicit=True: always a list of plain numbers). A SpikeSourcePoisson becomes a
    SpikeSourceArray of the trains the engines draw (spikemem.engine.poisson.events), or with poisson="native" the
    simulator's own SpikeSourcePoisson (statistically equal, not the same spikes; docs/sources.md)."""
    check_option("poisson", poisson, POISSON)
    check_features(network, profile)
    check_currents(network, profile)
    dt = network.simulation.dt
    recorded, rec = set(network.recorded_spikes), network.recording
    pops = []
    for p in network.populations:
        entry = {"name": p.name, "size": p.size, "record_spikes": p.name in recorded, "record_v": p.name in rec.v,
                 "record_gsyn": [g for g in GSYN if p.name in getattr(rec, g)]}
        if p.cell.kind == "SpikeSourcePoisson" and poisson == "native":
            entry.update(kind="SpikeSourcePoisson", seed=p.cell.seed, params={
                k: _one_or_list(np.minimum(realisation.neuron_values(p, k), NATIVE_FOREVER))
                for k in ("rate", "start", "duration")})
        elif p.is_source:
            entry.update(kind="SpikeSourceArray")
        else:
            entry.update(kind=p.cell.kind, params=_cell(p, profile, dt),
                         v_init=_one_or_list(realisation.neuron_values(p, "v_init")))
            if p.cell.kind == "Izhikevich":
                entry["u_init"] = _one_or_list(realisation.neuron_values(p, "u_init"))
            if p.max_expected_summed_weight is not None:   # sPyNNaker's ring-buffer sizing override
                entry["max_expected_summed_weight"] = [  # sized for the neuron with the largest scale
                    w * _largest(_weight_scales(p, r, profile, dt)) for w, r in zip(p.max_expected_summed_weight,
                                                                                    ("excitatory", "inhibitory"))]
        pops.append(entry)
    layers, shapes = local_only.native_layers(network) if profile.local_only_layers else ({}, {})
    projs = []
    for pr in network.projections:
        n_pre, n_post = network.population(pr.pre).size, network.population(pr.post).size
        if pr.name in layers:          # sPyNNaker's own connector: local_only.split writes it
            projs.append({"name": pr.name, "pre": pr.pre, "post": pr.post, "receptor": pr.receptor, "stdp": None})
            continue
        post_pop = network.population(pr.post)
        scales = _weight_scales(post_pop, pr.receptor, profile, dt)       # per post neuron
        uniform = not len(scales) or bool(np.all(scales == scales[0]))
        scale = float(scales[0]) if len(scales) else 1.0
        if pr.plasticity is not None and not uniform:
            raise UnsupportedFeature(f"{pr.name}: {profile.name} takes its post neurons' weights in different units "
                                     f"({post_pop.cell.kind} with per-neuron values that set them), which one STDP "
                                     "rule's w_min and w_max cannot follow; give the population one value")
        # (PyNN takes conductances positive, and negates inhibitory ones itself where NEST wants it)
        negative = pr.receptor == "inhibitory" and profile.negative_inhibition and post_pop.cell.kind != "IF_cond_exp"
        sign = (-1.0 if negative else 1.0) * (scale if uniform else scales)
        bounds = profile.jump_stdp_bound_scale if _jump_cell(post_pop) else 1.0
        entry = {"name": pr.name, "pre": pr.pre, "post": pr.post, "receptor": pr.receptor,
                 "stdp": _stdp(pr.plasticity, profile, scale, bounds) if pr.plasticity is not None else None}
        kind = None if explicit or not uniform else _native(pr, profile)
        if kind:
            _check_bounds(pr, np.asarray([float(pr.weight)]), profile)
            entry.update(connector=kind, allow_self_connections=pr.connector.kind == "one_to_one"
                         or pr.connector.allow_self_connections, weight=sign * float(pr.weight),
                         delay=float(pr.delay), synapses=n_pre if kind == "one_to_one" else
                         n_pre * n_post - (0 if pr.connector.allow_self_connections else n_pre))
        else:
            pre, post, w, d = pr.connections(n_pre, n_post, dt)
            _check_bounds(pr, w, profile)
            conn = np.column_stack([pre, post, (sign if uniform else sign[post]) * w, d])
            for k, part in enumerate(_one_per_pair(conn, n_post) if profile.one_synapse_per_pair else [conn]):
                if explicit:       # plain Python numbers, for a script's literal lists
                    part = [[int(a), int(b), c, e] for a, b, c, e in part.tolist()]
                projs.append(dict(entry, name=pr.name if not k else f"{pr.name}~{k}", connector="from_list",
                                  connections=part, synapses=len(part), delay=_list_delay(part, pr, dt)))
            continue
        projs.append(entry)
    plain = {"format": "spikemem-pynn/1", "simulator": profile.name, "dt": dt, "name": network.name,
             "populations": pops, "projections": projs,
             # only a simulator that never shifts the run samples itself (its samples fall on the
             # description's); the others record every step and are sampled on reading
             "sampling_interval": rec.sampling_interval if not (profile.own_dynamics_shift or
                                                                profile.source_min_time_steps) else None}
    return local_only.split(plain, network, layers, shapes) if layers else plain


def _check_bounds(pr, weights: np.ndarray, profile: Profile) -> None:
    """Refuse a plastic projection's start weight outside [w_min, w_max] where the simulator would
    transmit it unclipped: the description clips a weight at its synapse's first update, which
    comes before its first transmission (NEST's stdp_synapse clips only at w_min on depression,
    pyNN.brian2 transmits before it clips)."""
    rule = pr.plasticity
    if rule is None or profile.clips_start_weights or not len(weights):
        return
    w = np.abs(weights)
    out = (w > rule.w_max) | (w < rule.w_min)
    if out.any():
        raise UnsupportedFeature(
            f"{pr.name}.weight={float(w[np.argmax(out)])!r}: outside the STDP bounds [{rule.w_min!r}, {rule.w_max!r}], "
            f"which the description clips at the synapse's first update and {profile.name} does not before it "
            "transmits; start plastic weights within [w_min, w_max]")


def _jump_cell(pop) -> bool:
    """Whether the population's synaptic weight is a jump of V in mV (IF_curr_delta, voltage-jump Izhikevich)."""
    return pop.cell.kind == "IF_curr_delta" or (pop.cell.kind == "Izhikevich" and bool(pop.cell.delta))


def max_delay(plain) -> float:
    """The longest delay of a plain description's projections (ms), for the simulator's max_delay."""
    return max((float(pr.get("delay", 0.0)) for pr in plain["projections"]), default=0.0)


def _one_per_pair(conn: np.ndarray, n_post: int) -> list:
    """Connection rows split so that no (pre, post) pair repeats within one: the k-th part holds the
    k-th synapse of every pair (a multapse of a random connector drawn with replacement), for
    simulators that keep one synapse per pair in a projection (one_synapse_per_pair)."""
    code = conn[:, 0].astype(np.int64) * n_post + conn[:, 1].astype(np.int64)
    order = np.argsort(code, kind="stable")
    start = np.r_[True, code[order][1:] != code[order][:-1]]
    rank = np.empty(len(code), dtype=np.int64)
    rank[order] = np.arange(len(code)) - np.maximum.accumulate(np.where(start, np.arange(len(code)), 0))
    return [conn[rank == k] for k in range(int(rank.max()) + 1)] if len(code) else [conn]


def _list_delay(rows, pr, dt: float) -> float:
    """The delay PyNN's synapse type is built with (the rows carry their own)."""
    if len(rows):
        return float(np.max(np.asarray(rows, dtype=float)[:, 3]))
    return dt if isinstance(pr.delay, RandomDistribution) else float(np.max(pr.delay))


def _weight_scales(pop, receptor: str, profile: Profile, dt: float) -> np.ndarray:
    """The simulator's weight per description weight of every neuron of `pop` (a magnitude; the
    sign is the receptor's): the cell values it depends on may differ per neuron.

    The description's IFCurrDelta weight is the jump of V in mV, as NEST's and Brian2's. sPyNNaker
    holds a delta weight w as a current w/dt for one step, which moves V by (1 - exp(-dt/tau_m)) R w/dt;
    its weight is scaled so that the jump is the description's (docs/nir.md, "IFCurrDelta").
    IFCurrAlpha's weight is the peak of its current (PyNN, NEST, Brian2); sPyNNaker's alpha synapse
    takes the current's charge, e tau_syn times that (docs/cells.md)."""
    kind = pop.cell.kind
    if kind == "IF_curr_delta" and profile.delta_as_current:
        c = realisation.cell_arrays(pop)
        return dt / (-np.expm1(-dt / c.tau_m) * c.tau_m / c.cm)
    if kind == "IF_curr_alpha" and profile.alpha_as_charge:
        return neuron_weight_factors(pop, receptor)
    return np.ones(pop.size)


def _largest(scales: np.ndarray) -> float:
    return float(scales.max()) if len(scales) else 1.0


def _native(pr, profile: Profile):
    """'one_to_one' or 'all_to_all' where the simulator's own connector means the same, else None."""
    if not profile.native_connectors or not (realisation.is_scalar(pr.weight) and realisation.is_scalar(pr.delay)):
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
    c = realisation.cell_arrays(p)
    return not np.any(c.i_offset != 0) and np.all(c.v_start == c.v_rest)


def starts_at_rest(network) -> bool:
    return all(_at_rest(p) for p in network.populations)


def shift_steps(events: dict, profile: Profile, network, poisson: str = "arrays") -> int:
    """Steps to delay the whole run by in the simulator (spikes are moved back).

    Where every neuron starts at rest with no offset current, any delay changes nothing: the
    stimulus is delayed just enough that no source spike falls where the simulator refuses it.
    Otherwise the delay is the profile's `own_dynamics_shift`, the one that reproduces the
    description's first steps, and a stimulus that would need more is refused. The simulator's own
    Poisson generators (poisson="native") must be able to start native_poisson_lag steps early.
    """
    need = profile.source_min_time_steps
    first = min((int(ev.step.min()) for ev in events.values() if len(ev)), default=need)
    current = first_current_step(network)
    if current is not None:           # a current source as a stimulus that needs its own lead
        first = min(first, current - (profile.current_min_time_steps - need))
    if poisson == "native":
        starts = [int(poisson_block(p, 0, network.simulation.dt).first.min()) for p in network.populations
                  if p.cell.kind == "SpikeSourcePoisson" and p.size]
        first = min([first] + [s - profile.native_poisson_lag + need for s in starts])
    if starts_at_rest(network):
        return max(need - first, 0)
    shift = profile.own_dynamics_shift
    if first + shift < need:
        p = next(p for p in network.populations if not _at_rest(p))
        if current is not None and current + shift < profile.current_min_time_steps:
            raise UnsupportedFeature(
                f"current_sources: {profile.name} starts a current source at the earliest {profile.current_min_time_steps - shift} "
                f"steps into a run whose neurons do not start at rest (i_offset or v_init); start it at >= "
                f"{(profile.current_min_time_steps - shift) * network.simulation.dt:g} ms")
        raise UnsupportedFeature(
            f"{p.name}: {profile.name} refuses source spikes before {need} steps" + (
                f" (its own Poisson generators start {profile.native_poisson_lag} steps early)" if poisson == "native"
                else "") + ", and shifting the stimulus would change a neuron that does not start at rest "
            f"(i_offset={p.cell.i_offset}, v_init={p.cell.v_init}); start stimuli at >= "
            f"{(need - shift) * network.simulation.dt:g} ms")
    return shift


def native_poisson(plain, shift: int, trial: int, profile: Profile) -> dict:
    """The plain description for one trial with the simulator's own Poisson sources (poisson="native"):
    they start `shift` steps late with the rest of the stimulus, less the steps the simulator's
    generators lag behind their start (native_poisson_lag), end one half step early where the
    simulator counts the last step in (native_poisson_closed), and each trial has its own seed."""
    dt, pops = plain["dt"], []
    for p in plain["populations"]:
        if p["kind"] == "SpikeSourcePoisson":
            start = np.asarray(p["params"]["start"], dtype=float) + (shift - profile.native_poisson_lag) * dt
            duration = np.asarray(p["params"]["duration"], dtype=float) - (dt / 2 if profile.native_poisson_closed else 0)
            p = dict(p, params=dict(p["params"], start=_one_or_list(np.atleast_1d(start)),
                                    duration=_one_or_list(np.atleast_1d(np.maximum(duration, 0.0)))),
                     trial_seed=int(mix(mix(p["seed"] & 0xFFFFFFFF) ^ trial) % (2**31 - 2)) + 1)
        pops.append(p)
    return dict(plain, populations=pops)


def stimulus(events: dict, sizes: dict, trial: int, dt: float, shift: int, early: int = 0,
             end: int | None = None) -> dict:
    """Spike times in ms per source neuron for one trial: {source: [[t, ...], ...]}; early: the
    profile's source_early_steps; end: the run's steps (an event at or after it is never delivered
    in the description, and would still enter STDP in the simulator)."""
    out = {}
    for name, ev in events.items():
        sel = ev.trial == trial
        if end is not None:
            sel = sel & (ev.step < end)
        steps, neurons = ev.step[sel] + shift, ev.neuron[sel]
        order = np.lexsort((steps, neurons))
        counts = np.bincount(neurons, minlength=sizes[name])
        times = _grid_times(steps[order], dt, early)
        out[name] = [a.tolist() for a in np.split(times, np.cumsum(counts)[:-1])]
    return out


def _grid_times(steps: np.ndarray, dt: float, early: int) -> np.ndarray:
    """Times (ms) that land on `steps` in a simulator that takes away `early` steps (early * dt) and
    puts a time on the first step at or after it (NEST: step k where k * dt >= t, in floating
    point). Rounded to the decimal grid (82 * 0.1 = 8.200000000000001 lands a step late), then,
    where taking away early * dt leaves a value past the step (4.4 - 0.1 = 4.300000000000001),
    lowered by an ulp at a time until it does not."""
    times = np.round(steps * dt, 9)
    if not early or not len(times):
        return times
    off, grid = early * dt, (steps - early) * dt
    for _ in range(64):
        late = times - off > grid
        if not late.any():
            return times
        times = np.where(late, np.nextafter(times, -np.inf), times)
    raise AssertionError("source times: no float lands on the simulator's step")   # never: grid >> ulp


def check_option(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValidationError(name, value, f"must be one of {sorted(allowed)}")
