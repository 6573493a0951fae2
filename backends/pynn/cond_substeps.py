"""Runge-Kutta sub-steps for IF_cond_exp on Brian2 (docs/cells.md, IF_cond_exp).

The exact scheme integrates IF_cond_exp by classic Runge-Kutta 4 on sub-steps no longer than
min(tau) / 20 and 0.1 / (the membrane's decay rate g_L + g_E + g_I over cm), doubling them while a
conductance is strong (spikemem.engine.neuron_models). Brian2 has one integration method per
run, so the backend runs Runge-Kutta 4 on k sub-steps of each dt and, after the run, computes from
the run's own spikes the conductances every IF_cond_exp neuron had at every step: where a step
needed more than k, the trial runs again with that k. One Runge-Kutta step per dt under a strong
conductance puts V millivolts off and moves spikes (the differential fuzzer's finding).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from spikemem.engine.neuron_models import RK4_MAX_RATE_STEP, RK4_STEP_OF_TAU
from spikemem.errors import UnsupportedFeature

MAX_SUBSTEPS = 64        # Brian2 generates code for each sub-step; beyond this the network is refused
ATTEMPTS = 4             # runs of one trial, each with the sub-steps its predecessor's spikes needed


@functools.lru_cache(maxsize=None)
def runge_kutta(k: int):
    """Brian2's state updater: classic Runge-Kutta 4 on k equal sub-steps of dt."""
    return "rk4" if k == 1 else sub_stepped_rk4(k)


def sub_stepped_rk4(k):
    """Brian2's classic Runge-Kutta 4 on k equal sub-steps of dt, its abstract code written out
    directly (Brian2's ExplicitStateUpdater spends minutes in sympy at k = 32). Self-contained:
    exported scripts carry its source."""
    from brian2.stateupdaters.base import StateUpdateMethod
    from brian2.utils.stringtools import word_substitute

    class SubSteppedRK4(StateUpdateMethod):
        def __call__(self, equations, variables=None, method_options=None):
            rhs = [(var, expr.code) for var, expr in equations.get_substituted_expressions(variables)]
            h, lines, now = f"(dt/{k})", [], {var: var for var, _ in rhs}

            def f(state, shift, tag):
                for var, code in rhs:
                    lines.append(f"_{tag}_{var} = {h}*({word_substitute(code, dict(state, t=f'(t + {shift})'))})")
            for s in range(k):
                at = f"{s}*{h}"
                f(now, at, f"a{s}")
                f({v: f"({now[v]} + _a{s}_{v}/2)" for v in now}, f"{at} + {h}/2", f"b{s}")
                f({v: f"({now[v]} + _b{s}_{v}/2)" for v in now}, f"{at} + {h}/2", f"c{s}")
                f({v: f"({now[v]} + _c{s}_{v})" for v in now}, f"{at} + {h}", f"d{s}")
                for v in now:
                    lines.append(f"_y{s}_{v} = {now[v]} + (_a{s}_{v} + 2*_b{s}_{v} + 2*_c{s}_{v} + _d{s}_{v})/6")
                now = {v: f"_y{s}_{v}" for v in now}
            return "\n".join(lines + [f"{v} = {now[v]}" for v in now])

        def can_integrate(self, equations, variables, method_options=None):
            return not equations.is_stochastic

    return SubSteppedRK4()


def _values(params: dict, key: str, size: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(params[key], float), (size,))


def inputs(network, profile) -> set:
    """Populations whose spikes the check needs: those projecting into IF_cond_exp on Brian2."""
    if profile.name != "brian2":
        return set()
    cond = {p.name for p in network.populations if p.cell.kind == "IF_cond_exp"}
    return {pr.pre for pr in network.projections if pr.post in cond}


def cond_populations(plain) -> dict:
    return {p["name"]: p for p in plain["populations"] if p["kind"] == "IF_cond_exp" and p["size"]}


def base_substeps(plain) -> int:
    """Sub-steps the time constants alone need (the exact scheme's min(tau) / 20), a power of two."""
    cond = cond_populations(plain)
    if not cond:
        return 1
    shortest = min(float(np.min(_values(p["params"], k, p["size"]))) for p in cond.values()
                   for k in ("tau_m", "tau_syn_E", "tau_syn_I"))
    return _power_of_two(plain["dt"] * RK4_STEP_OF_TAU / shortest)


def _power_of_two(need: float) -> int:
    return 1 << max(0, math.ceil(math.log2(need))) if need > 1 else 1


def needed(plain, spikes: dict, steps: int) -> tuple[int, str]:
    """(sub-steps, why) the run whose spikes these are needed: at every step, dt / k at most 0.1 /
    (the largest g_E + g_I of any IF_cond_exp neuron / the least cm + 1 / the least tau_m), the
    exact scheme's bound; a plastic synapse counted at its w_max where that is larger.
    spikes: {population: (steps, neurons)} for every population projecting into an IF_cond_exp one."""
    cond = cond_populations(plain)
    k = base_substeps(plain)
    if not cond:
        return k, ""
    dt = plain["dt"]
    inv_cm = max(float(np.max(1.0 / _values(p["params"], "cm", p["size"]))) for p in cond.values())
    leak = max(float(np.max(1.0 / _values(p["params"], "tau_m", p["size"]))) for p in cond.values())
    g_peak, where = 0.0, ""
    for name, pop in cond.items():
        peak, t = _peak_conductance(plain, pop, spikes, steps)
        if peak > g_peak:
            g_peak, where = peak, f"{name} at {t * dt:g} ms"
    rate = g_peak * inv_cm + leak
    k = max(k, _power_of_two(dt * rate / RK4_MAX_RATE_STEP))
    return k, f"a conductance of {g_peak:.3g} uS ({where}) gives a membrane rate of {rate:.3g}/ms"


def _peak_conductance(plain, pop: dict, spikes: dict, steps: int) -> tuple[float, int]:
    """(largest g_E + g_I of one neuron of `pop`, its step) from the arrivals of the run's spikes."""
    n, dt = pop["size"], plain["dt"]
    parts = []                              # (arrival step, receptor row * n + post neuron, |weight|)
    for pr in plain["projections"]:
        if pr["post"] != pop["name"] or "connections" not in pr or pr["pre"] not in spikes:
            continue
        conn = np.asarray(pr["connections"], float).reshape(-1, 4)
        s, i = (np.asarray(a, np.int64) for a in spikes[pr["pre"]])
        if not len(conn) or not len(s):
            continue
        conn = conn[np.argsort(conn[:, 0], kind="stable")]
        first = np.searchsorted(conn[:, 0], i, side="left")
        count = np.searchsorted(conn[:, 0], i, side="right") - first
        rows = np.repeat(first - np.cumsum(np.r_[0, count[:-1]]), count) + np.arange(count.sum())
        w = np.abs(conn[rows, 2])
        if pr.get("stdp"):                  # a plastic weight may grow to w_max
            w = np.maximum(w, abs(pr["stdp"]["w_max"]))
        arrive = np.repeat(s, count) + np.rint(conn[rows, 3] / dt).astype(np.int64)
        keep = arrive < steps
        target = conn[rows, 1].astype(np.int64) + (n if pr["receptor"] == "inhibitory" else 0)
        parts.append((arrive[keep], target[keep], w[keep]))
    if not parts:
        return 0.0, 0
    t, target, w = (np.concatenate(a) for a in zip(*parts))
    order = np.argsort(t, kind="stable")
    t, target, w = t[order], target[order], w[order]
    times, starts = np.unique(t, return_index=True)
    bounds = np.r_[starts, len(t)]
    rate = -dt / np.concatenate([_values(pop["params"], "tau_syn_E", n), _values(pop["params"], "tau_syn_I", n)])
    g, peak, at, last = np.zeros(2 * n), 0.0, 0, 0
    for k, now in enumerate(times):         # g peaks only at a step with arrivals: those, every neuron at once
        g *= np.exp(rate * (now - last))
        np.add.at(g, target[bounds[k]:bounds[k + 1]], w[bounds[k]:bounds[k + 1]])
        last, top = now, float(np.max(g[:n] + g[n:]))
        if top > peak:
            peak, at = top, int(now)
    return peak, at


def first_guess(plain, events: dict, trial: int, steps: int) -> int:
    """Sub-steps the sources' own spikes need (the neurons' spikes come on top: known after the run)."""
    spikes = {name: (ev.step[ev.trial == trial], ev.neuron[ev.trial == trial]) for name, ev in events.items()}
    k, why = needed(plain, spikes, steps)
    if k > MAX_SUBSTEPS:
        refuse(k, why, plain["dt"])
    return k


def refuse(k: int, why: str, dt: float):
    raise UnsupportedFeature(
        f"IF_cond_exp on brian2: {why}, which needs {k} Runge-Kutta sub-steps per {dt:g} ms step, beyond the "
        f"{MAX_SUBSTEPS} Brian2 is given (cell.cond_exp.stiff); use a smaller dt or weights, or another backend "
        "(reference, torch, NEST)")
