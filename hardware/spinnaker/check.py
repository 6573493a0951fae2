"""`spikemem spinnaker check`: will a network run on a SpiNNaker board as it runs in float?

Static part (what sPyNNaker 7.4 will do to the description, docs/fixed_point.md): per population
the ring-buffer shifts, the weight step they give, what the buffers are sized for, and the
gain a core's rounded exp(-dt/tau_m) gives the membrane; per projection how many weights
round to zero or wrap past 16 bits and the largest relative rounding error; per plastic
projection the STDP lookup-table lengths against the time constants and the amplitudes in
weight steps. Dynamic part: the same stimulus in float and in fixed numerics under sPyNNaker's
update: spikes that differ per population, ring-buffer and accum saturations, the V range
against s16.15; for a memory or a classifier, the score in each. Then a one-line verdict; a run
in which no neuron fires in either numerics (an empty stimulus, say) compares nothing and says
so instead of YES.
"""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from spikemem import Recording, Simulation, get_backend
from spikemem.description import realisation
from spikemem.engine import fixed_point as fx
from spikemem.engine.board_weights import max_summed_weights, neuron_board_scales, quantise, ring_buffer_shifts, \
    weight_scale
from spikemem.engine.flatten import refuse_fixed_layers
from spikemem.engine.fixed_neurons import membrane_gain, synapse_charge

TYPES = ("excitatory", "inhibitory")
ACCUM_MV = 65536.0
NOTHING = "NOTHING TO CHECK"     # the verdict when no neuron fires in either numerics (exit status 1)


def board_version(net, numerics: str):
    """The network under sPyNNaker's update (scheme 'spinnaker') in float or fixed numerics."""
    return replace(net, simulation=Simulation(dt=net.simulation.dt, scheme="spinnaker", numerics=numerics))


def static_report(net) -> dict:
    refuse_fixed_layers(net)
    board = board_version(net, "fixed")
    shifts, sized = ring_buffer_shifts(board), max_summed_weights(board)
    dt = net.simulation.dt
    pops = {}
    for p in net.populations:
        if p.is_source:
            continue
        c = p.cell
        cells = realisation.cell_arrays(p)
        lif = c.kind != "Izhikevich"
        exp_synapses = c.kind in ("IF_curr_exp", "IF_cond_exp") or (c.kind == "Izhikevich" and not c.delta)
        # 16-bit units per description weight (IF_curr_alpha with tau_syn per neuron: the largest)
        unit = {t: _largest(neuron_board_scales(p, t)) for t in TYPES}
        pops[p.name] = {
            "size": p.size,
            "cell": c.kind,
            "ring_buffer_shifts": dict(zip(TYPES, shifts[p.name])),
            # in the description's unit of weight (nA, uS for IF_cond_exp), as all values here
            "weight_step_nA": {t: 1 / (weight_scale(s) * unit[t]) for t, s in zip(TYPES, shifts[p.name])},
            "sized_for_nA": {t: w / unit[t] for t, w in zip(TYPES, sized[p.name])},
            "max_expected_summed_weight": None if p.max_expected_summed_weight is None
            else list(p.max_expected_summed_weight),
            "membrane_gain": _worst(membrane_gain(SimpleNamespace(tau_m=m, cm=cm, tau_refrac=r), dt)
                                    for m, cm, r in _distinct(cells.tau_m, cells.cm, cells.tau_refrac)) if lif else None,
            "synapse_charge": {"excitatory": _worst(synapse_charge(t, dt) for (t,) in _distinct(cells.tau_syn_E)),
                               "inhibitory": _worst(synapse_charge(t, dt) for (t,) in _distinct(cells.tau_syn_I))}
            if exp_synapses else None}
    projs = {}
    for pr in net.projections:
        s = shifts[pr.post][TYPES.index(pr.receptor)]
        _, post, w, _ = pr.connections(net.population(pr.pre).size, net.population(pr.post).size, dt)
        units = neuron_board_scales(net.population(pr.post), pr.receptor)
        unit = units[post]
        scale = weight_scale(s) * unit                  # 16-bit units per description weight, per synapse
        step = weight_scale(s) * _largest(units)        # reported: at the post neuron with the largest scale
        live = w > 0
        raw = np.rint(np.abs(w) * scale)
        q = quantise(w, s, unit) / scale
        kept = live & (raw > 0) & (raw <= fx.RING_MAX)
        rel = np.abs(q[kept] - w[kept]) / w[kept]
        total = float(np.abs(w).sum())
        entry = {"post": pr.post, "receptor": pr.receptor, "synapses": int(len(w)), "nonzero": int(live.sum()),
                 "weight_step_nA": 1 / step, "round_to_zero": int((live & (raw == 0)).sum()),
                 "wrap_past_16_bits": int((raw > fx.RING_MAX).sum()),
                 "max_relative_error": float(rel.max()) if rel.size else 0.0,
                 "total_relative_error": float(np.abs(q - np.abs(w)).sum() / total) if total else 0.0}
        rule = pr.plasticity
        if rule is not None:
            lp, lm = len(fx.exp_lut(dt, rule.tau_plus)), len(fx.exp_lut(dt, rule.tau_minus))
            entry["stdp"] = {"tau_plus_ms": rule.tau_plus, "lut_plus_ms": lp * dt,
                             "tau_minus_ms": rule.tau_minus, "lut_minus_ms": lm * dt,
                             "w_max_steps": rule.w_max * step, "post_history": rule.post_history,
                             "weight_dependence": rule.weight_dependence}
            if rule.weight_dependence == "additive":
                entry["stdp"].update(A_plus_steps=rule.A_plus * step, A_minus_steps=rule.A_minus * step)
            else:                                           # multiplicative amplitudes have no unit
                entry["stdp"].update(A_plus=rule.A_plus, A_minus=rule.A_minus)
        projs[pr.name] = entry
    out = {"network": net.name, "dt": dt, "scheme": "spinnaker", "file_scheme": net.simulation.scheme,
           "populations": pops, "projections": projs}
    if net.current_sources:
        out["current_sources"] = [_current_entry(inj, net) for inj in net.current_sources]
    return out


def _current_entry(inj, net) -> dict:
    """What a core does to one current source: its amplitudes as s16.15 (the largest relative
    rounding error), and whether the fixed-point engine can compare it (docs/sources.md)."""
    src = inj.source
    amps = {"DCSource": [src.amplitude] if src.kind == "DCSource" else [],
            "StepCurrentSource": list(getattr(src, "amplitudes", ())),
            "ACSource": [getattr(src, "amplitude", 0.0), getattr(src, "offset", 0.0)],
            "NoisyCurrentSource": [getattr(src, "mean", 0.0), getattr(src, "stdev", 0.0)]}[src.kind]
    errs = [abs(fx.s1615(a) / fx.ONE - a) / abs(a) for a in amps if a]
    size = net.population(inj.population).size
    entry = {"population": inj.population, "kind": src.kind, "neurons": size if inj.neurons is None else len(inj.neurons),
             "max_relative_error": max(errs, default=0.0), "compared": src.kind != "ACSource"}
    if src.kind == "ACSource":
        entry["note"] = "a core computes the sine with sink(); not modelled in fixed point, left out of both runs"
    elif src.kind == "NoisyCurrentSource":
        entry["note"] = "a core draws its own noise (mars_kiss64, norminv_urt): statistically equal, not these values"
    return entry


def _distinct(*values) -> list:
    """The distinct rows of per-neuron values (one in a population with one value each)."""
    rows = np.stack(values, axis=1)
    return [tuple(r) for r in np.unique(rows, axis=0)] if len(rows) else [tuple(np.ones(len(values)))]


def _largest(values: np.ndarray) -> float:
    return float(values.max()) if len(values) else 1.0


def _worst(ratios) -> float:
    """The ratio farthest from 1 (a population whose neurons differ reports its worst neuron)."""
    return max(ratios, key=lambda x: abs(x - 1.0))


def _keys(res, pop):
    tr, st, nr = res.spikes[pop]
    return (tr * res.steps + st) * res.sizes[pop] + nr


def dynamic_report(net, inputs, duration_ms: float, report: dict) -> tuple:
    """Run float and fixed on the same stimulus; fill spikes, saturations and V ranges into report.
    Returns the two Results."""
    if_pops = tuple(p.name for p in net.populations if not p.is_source)
    sources = tuple(p.name for p in net.populations if p.is_source)
    rec = Recording(spikes=if_pops + sources, v=if_pops, weights=())
    be = get_backend("reference")
    compared = tuple(inj for inj in net.current_sources if inj.source.kind != "ACSource")    # _current_entry
    res = {num: be.run(replace(board_version(net, num), recording=rec, current_sources=compared), duration_ms,
                       inputs=inputs) for num in ("float", "fixed")}
    report["stimulus_spikes"] = sum(res["float"].count(name) for name in sources)
    total = {"float": 0, "fixed": 0, "differ": 0}
    for name in if_pops:
        a, b = _keys(res["float"], name), _keys(res["fixed"], name)
        d = {"float": int(len(a)), "fixed": int(len(b)), "differ": int(len(np.setxor1d(a, b)))}
        report["populations"][name]["spikes"] = d
        for k in total:
            total[k] += d[k]
    for name in if_pops:
        v = res["fixed"].v[name]
        sat = res["fixed"].saturations[name]
        report["populations"][name].update(
            saturations={"ring_buffer": int(sat["ring_buffer"].sum()), "accum": int(sat["accum"].sum())},
            v_range_mV=[float(v.min()), float(v.max())] if v.size else [0.0, 0.0],
            v_headroom=float(np.abs(v).max() / ACCUM_MV) if v.size else 0.0)
    report["spikes"] = total
    report["duration_ms"] = duration_ms
    return res["float"], res["fixed"]


def verdict(report: dict) -> str:
    pops, projs = report["populations"], report["projections"]
    acc = [n for n, p in pops.items() if p.get("saturations", {}).get("accum")]
    wrap = [n for n, p in projs.items() if p["wrap_past_16_bits"]]
    if acc or wrap:
        why = ([f"s16.15 overflow in {', '.join(acc)} (a core's additions wrap there)"] if acc else []) + \
              ([f"weights past 16 bits in {', '.join(wrap)} (stored wrapped)"] if wrap else [])
        return "NO: " + "; ".join(why)
    sp = report.get("spikes", {})
    if not sp.get("float") and not sp.get("fixed"):
        why = ("the stimulus is empty: no source spike within the run" if not report.get("stimulus_spikes")
               else f"no neuron fires in float or in fixed point ({report['stimulus_spikes']} stimulus spikes)")
        return f"{NOTHING}: {why}; give a stimulus that makes the network fire"
    notes = []
    rb = [n for n, p in pops.items() if p.get("saturations", {}).get("ring_buffer")]
    if rb:
        notes.append(f"ring buffers saturate in {', '.join(rb)}")
    zero = sum(p["round_to_zero"] for p in projs.values())
    if zero:
        notes.append(f"{zero} weights round to zero")
    score = report.get("classifier") or report.get("memory")
    what = "accuracy %" if "classifier" in report else "operations correct"
    tail = f" ({'; '.join(notes)})" if notes else ""
    spikes = f"{sp.get('differ', 0)} spikes differ (float {sp.get('float', 0)}, fixed point {sp.get('fixed', 0)})"
    if score is not None:          # a memory or a classifier: its score decides
        if score["fixed"] < score["float"]:
            return f"DIFFERS: {what} {score['float']:.4g} in float, {score['fixed']:.4g} in fixed point; {spikes}{tail}"
        if sp.get("differ") or score["fixed"] != score["float"]:
            same = (f"the same {what} ({score['float']:.4g})" if score["fixed"] == score["float"] else
                    f"{what} {score['float']:.4g} in float, {score['fixed']:.4g} in fixed point")
            return f"CLOSE: {same}; {spikes}{tail}"
    elif sp.get("differ"):
        word = "CLOSE" if sp["differ"] <= 0.01 * max(sp.get("float", 0), sp.get("fixed", 0)) else "DIFFERS"
        return f"{word}: {spikes}{tail}"
    return "YES: the same spikes in fixed point as in float" + tail


def format_report(r: dict) -> str:
    lines = [f"spinnaker check: {r['network']} (sPyNNaker 7.4 numerics, dt {r['dt']:g} ms"
             + (f"; the file's scheme '{r['file_scheme']}' runs as 'spinnaker' on a board" if r['file_scheme'] != 'spinnaker' else "")
             + ")"]
    if r.get("stimulus"):
        lines.append(f"stimulus: {r['stimulus']}, {r.get('duration_ms', 0):g} ms")
    lines.append(f"{'population':<20} {'shift e/i':>9} {'step nA e/i':>19} {'sized for nA e/i':>19} {'gain':>6} "
                 f"{'sat rb':>7} {'sat acc':>7} {'V range mV':>17} {'spikes float/fixed':>19} {'differ':>6}")
    for name, p in r["populations"].items():
        sh, st, sz = p["ring_buffer_shifts"], p["weight_step_nA"], p["sized_for_nA"]
        sat, sp = p.get("saturations", {}), p.get("spikes", {})
        vr = p.get("v_range_mV")
        gain = "-" if p["membrane_gain"] is None else f"{p['membrane_gain']:.3f}"
        lines.append(f"{name:<20} {sh['excitatory']:>4}/{sh['inhibitory']:<4} {st['excitatory']:>9.3g}/{st['inhibitory']:<9.3g}"
                     f" {sz['excitatory']:>9.4g}/{sz['inhibitory']:<9.4g} {gain:>6} "
                     f"{sat.get('ring_buffer', '-'):>7} {sat.get('accum', '-'):>7} "
                     f"{(f'{vr[0]:.0f}..{vr[1]:.0f}' if vr else '-'):>17} "
                     f"{(str(sp.get('float', '-')) + '/' + str(sp.get('fixed', '-'))):>19} {sp.get('differ', '-'):>6}")
    lines.append(f"{'projection':<30} {'post':<18} {'r':<1} {'synapses':>8} {'step nA':>9} {'->0':>6} {'wrap':>5} "
                 f"{'max rel err':>11} {'sum |err|':>9}  STDP")
    for name, p in r["projections"].items():
        stdp = p.get("stdp")
        extra = "" if stdp is None else (
            f"tau+ {stdp['tau_plus_ms']:g} ms table {stdp['lut_plus_ms']:g} ms, tau- {stdp['tau_minus_ms']:g} ms "
            f"table {stdp['lut_minus_ms']:g} ms, " + (
                f"A+ {stdp['A_plus_steps']:.4g} steps, A- {stdp['A_minus_steps']:.4g} steps" if "A_plus_steps" in stdp
                else f"multiplicative A+ {stdp['A_plus']:.4g}, A- {stdp['A_minus']:.4g} of the room left")
            + ("" if stdp["post_history"] == 16 else f", post_history={stdp['post_history']} (a core keeps 16)"))
        lines.append(f"{name:<30} {p['post']:<18} {p['receptor'][0]} {p['synapses']:>8} {p['weight_step_nA']:>9.3g} "
                     f"{p['round_to_zero']:>6} {p['wrap_past_16_bits']:>5} {p['max_relative_error']:>11.2%} "
                     f"{p['total_relative_error']:>9.3%}  {extra}")
    for c in r.get("current_sources", ()):
        lines.append(f"current source {c['kind']} into {c['population']} ({c['neurons']} neurons): amplitudes as "
                     f"s16.15 off by at most {c['max_relative_error']:.2e}" + (f"; {c['note']}" if "note" in c else ""))
    for key, what in (("memory", "operations correct"), ("classifier", "accuracy %")):
        if key in r:
            lines.append(f"{what}: float {r[key]['float']:.4g}, fixed point {r[key]['fixed']:.4g}"
                         + (f" ({r[key]['samples']} images)" if "samples" in r[key] else ""))
    hints = r.get("mapping_hints") or {}
    if hints.get("neurons_per_core") or hints.get("populations"):
        per_type = ", ".join(f"{k} {v}" for k, v in hints.get("neurons_per_core", {}).items())
        per_pop = "; ".join(f"{k}: {', '.join(f'{a}={b}' for a, b in v.items())}"
                            for k, v in hints.get("populations", {}).items())
        lines.append("mapping hints of the script (kept for a board, no effect on the numbers above): "
                     + "; ".join(x for x in (f"neurons per core: {per_type}" if per_type else "", per_pop) if x))
    lines.append(f"verdict: {r['verdict']}")
    return "\n".join(lines)


# -- the three kinds of target ----------------------------------------------------------------
def check_network(net, inputs=None, duration_ms=None, stimulus: str | None = None) -> dict:
    """A saved network: its SpikeSourceArray spike times are the stimulus unless inputs are given."""
    report = static_report(net)
    if duration_ms is None:
        last = max((t for p in net.populations if p.cell.kind == "SpikeSourceArray" for row in p.cell.spike_times
                    for t in row), default=0.0)
        ends = [t for inj in net.current_sources for t in (getattr(inj.source, "times", ()) or
                (inj.source.start, inj.source.stop)) if t != float("inf")]
        duration_ms = max([last] + ends) + 100.0
    dynamic_report(net, inputs, duration_ms, report)
    report["stimulus"] = stimulus or ("the network's spike-source times" if inputs is None else "the given stimulus")
    report["verdict"] = verdict(report)
    return report


def check_pynn_script(path, args=(), duration_ms=None) -> dict:
    """A PyNN / sPyNNaker script: run it (spikemem pynn run), then check the network it built, with
    its spike sources as the stimulus, for as long as the script simulated (or duration_ms)."""
    from spikemem.pynn_scripts.hook import run_script
    run_script(str(path), list(args))
    import spikemem.pynn as sim
    from spikemem.pynn.simulator import state
    report = check_network(sim.network(), None, duration_ms or state.t or None,
                           stimulus=f"the spike sources of {path}")
    report["mapping_hints"] = sim.hints()
    return report


def check_cam(C: int, N: int, variant: str = "faithful", ops: int = 100, seed: int = 0) -> dict:
    """The CA3 memory on a seeded random sequence of operations 14 ms apart, scored in each numerics."""
    return check_model("ca3", C, N, variant, ops, seed)


def check_model(model: str, C: int, N: int, variant: str = "faithful", ops: int = 100, seed: int = 0) -> dict:
    """A memory model (the `spikemem.memories` group) on a seeded random sequence at its robust
    spacing (the last of its harness spacings): the static report and the spikes of the
    network its operations run on (its `board_run`), and its operations scored in each numerics."""
    from spikemem.harness.runner import memory_model
    mem = memory_model(model)
    spacing = getattr(mem, "random_spacings", (None, 14))[-1]
    case = mem.random_case(C, N, ops, seed, spacing, getattr(mem, "content_queries", ("single", "mixed"))[-1])
    net, inputs, duration = mem.board_run(case, variant)
    report = static_report(net)
    dynamic_report(net, inputs, duration, report)
    scores = [mem.run_cases([case], "reference", variant=variant, numerics=n).counts()["overall"]
              for n in ("float", "fixed")]
    report["memory"] = {"float": scores[0][0], "fixed": scores[1][0], "operations": scores[0][1]}
    report["stimulus"] = f"random sequence of {ops} operations {spacing:g} ms apart (seed {seed})"
    report["verdict"] = verdict(report)
    return report


def check_hlop(run_dir, samples: int = 100, duration_ms: float = 100.0) -> dict:
    """An exported HLOP classifier: accuracy in float and fixed point on `samples` test images per
    task; spikes, saturations and V ranges on the first two images of each task."""
    from spikemem.models.hlop.export import board_accuracy, input_events, load_run, task_images
    net, data, tasks = load_run(run_dir)
    report = static_report(net)
    px, y = task_images(data, tasks, samples)
    report["classifier"] = {"float": board_accuracy(net, px, y, duration_ms, "float"),
                            "fixed": board_accuracy(net, px, y, duration_ms, "fixed"), "samples": int(len(y))}
    few, _ = task_images(data, tasks, 2)
    dynamic_report(net, input_events(few, duration_ms), duration_ms, report)
    report["stimulus"] = f"{len(few)} test images ({duration_ms:g} ms each) for spikes and saturations"
    report["verdict"] = verdict(report)
    return report
