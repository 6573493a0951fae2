"""What a NIR neuron node means, read four ways, and what each peer's importer needs to get a
spikemem cell back. The formulas are derived in docs/nir.md; this module only applies them.

Readings (`semantics`):
  nir             NIR's continuous equations, spikes as unit-area Dirac deltas (scheme 'exact').
  norse           a graph written by norse.torch.to_nir (Norse 1.1), run as the Norse model it came
                  from: forward Euler, a spike is an input of 1 for one step, taus written as dt * tau.
  norse.from_nir  as norse.torch.from_nir builds it (taus as written, synapse and membrane as two
                  Euler leaky integrators, reset to 0).
  snntorch        as snntorch.import_nir builds it (dt fixed at 1e-4 s, v_leak = 0, reset to 0);
                  snntorch.export_nir writes the same convention.
The peers update a layer's current and voltage from this step's input in the same step and
test v > threshold: their readings run under scheme 'spinnaker' with thresholds one float64
ulp up, so that spikemem's v >= threshold decides alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..description.cells import IFCurrDelta, IFCurrExp
from ..description.propagators import spinnaker_init
from ..errors import UnsupportedFeature

MS = 1e-3   # seconds per ms


@dataclass(frozen=True)
class Reading:
    name: str
    dt_ms: float           # the step the reading implies when none is given
    scheme: str
    strict: bool           # the reader fires on v > threshold
    zero_lag: bool         # a hop through Linear/Affine lands in the same step (no Delay nodes)


READINGS = {r.name: r for r in (
    Reading("nir", 1.0, "exact", False, False),
    Reading("norse", 1.0, "spinnaker", True, True),
    Reading("norse.from_nir", 1.0, "spinnaker", True, True),
    Reading("snntorch", 0.1, "spinnaker", True, True),
)}
TARGET_READING = {"generic": "nir", "norse": "norse.from_nir", "snntorch": "snntorch"}
SNNTORCH_DT_S = 1e-4    # snntorch.import_nir and export_nir hard-code it


@dataclass
class NodeCell:
    """A neuron node as a spikemem cell: weights W (NIR units) become gain * W in the cell's
    units (nA for IFCurrExp, mV for IFCurrDelta), a bias b becomes i_offset = bias_gain * b."""

    cell: object
    gain: np.ndarray
    bias_gain: float | None      # None: a bias cannot be expressed for this node


def next_up(x: float) -> float:
    return float(np.nextafter(x, np.inf))


def next_down(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def _step_tau(dt_ms: float, k: float, key: str, what: str) -> float:
    """The time constant (ms) whose exact decay over dt equals the Euler factor 1 - k."""
    if not 0.0 < k < 1.0:
        raise UnsupportedFeature(f"NIR node '{key}': {what} gives a per-step factor dt/tau = {k:.6g}; only "
                                 "0 < dt/tau < 1 has an exponential equivalent")
    return -dt_ms / math.log1p(-k)


def node_cell(reading: Reading, kind: str, key: str, p: dict, n: int, dt_ms: float, meta: dict) -> NodeCell:
    """The cell for neuron node `key` of type `kind` (uniform parameters `p`, SI units as written)."""
    fn = {"nir": _nir, "norse": _norse, "norse.from_nir": _norse_import, "snntorch": _snntorch}[reading.name]
    out = fn(kind, key, p, dt_ms, meta)
    out.gain = np.full(n, float(out.gain))
    return out


def _threshold(reading, v):
    return next_up(v) if reading.strict else float(v)


def _nir(kind, key, p, dt_ms, meta):
    extra = {"tau_refrac": float(meta.get("tau_refrac_ms", 0.0)), "onset": float(meta.get("onset_ms", 0.0))}
    if "v_init_mV" in meta:
        extra["v_init"] = float(meta["v_init_mV"])
    if kind == "CubaLIF":
        tau_m, tau_s = p["tau_mem"] / MS, p["tau_syn"] / MS
        cell = IFCurrExp(cm=_clean(tau_m / p["r"]), tau_m=_clean(tau_m), tau_syn_E=_clean(tau_s), tau_syn_I=_clean(tau_s),
                         v_rest=p["v_leak"], v_reset=p["v_reset"], v_thresh=p["v_threshold"], **extra)
        return NodeCell(cell, p["w_in"] / p["tau_syn"], None)        # a spike moves I by w_in W / tau_syn
    cm = float(meta.get("cm_nF", 1.0))
    if kind == "LIF":
        tau_m = _clean(p["tau"] / MS)
        cell = IFCurrDelta(cm=cm, tau_m=tau_m, v_rest=p["v_leak"], v_reset=p["v_reset"], v_thresh=p["v_threshold"],
                           **extra)
        # a spike moves v by r W / tau; tau dv/dt = r b is tau_m dV/dt = R i_offset with R = tau_m / cm
        return NodeCell(cell, p["r"] / p["tau"], cm * p["r"] / tau_m)
    v0 = float(meta.get("v_init_mV", 0.0))
    cell = IFCurrDelta(cm=cm, tau_m=math.inf, v_rest=v0, v_reset=p["v_reset"], v_thresh=p["v_threshold"], **extra)
    return NodeCell(cell, p["r"], cm * p["r"] * MS)                  # dv/dt = r b (per s) = i_offset / cm (per ms)


def _norse(kind, key, p, dt_ms, meta):
    """Norse 1.1's to_nir writes tau = dt / tau_inv = dt * tau (norse/norse#411): tau = written / dt."""
    dt_s = dt_ms * MS
    if kind == "LIF":        # LIFBoxCell: v += dt/tau (v_leak - v + x)
        k = dt_s * dt_s / p["tau"]
        tau_m = _step_tau(dt_ms, k, key, "tau")
        cell = IFCurrDelta(cm=tau_m, tau_m=tau_m, v_rest=p["v_leak"], v_reset=p["v_reset"],
                           v_thresh=next_up(p["v_threshold"]), tau_refrac=0.0)
        return NodeCell(cell, k, 1.0)
    if kind == "CubaLIF":    # LIFCell: i += x; v += dt/tau_m (v_leak - v + i); i *= 1 - dt/tau_syn
        km, ks = dt_s * dt_s / p["tau_mem"], dt_s * dt_s / p["tau_syn"]
        cell = _exp_cell(dt_ms, km, ks, key, p["v_leak"], p["v_reset"], next_up(p["v_threshold"]), r_p=1.0)
        return NodeCell(cell, p["w_in"] * p["r"] / _init(cell, dt_ms), None)
    cell = IFCurrDelta(cm=1.0, tau_m=math.inf, v_rest=p["v_reset"], v_reset=p["v_reset"],   # IAFCell starts at v_reset
                       v_thresh=next_up(p["v_threshold"]), tau_refrac=0.0)
    return NodeCell(cell, 1.0, 1.0 / dt_ms)


def _norse_import(kind, key, p, dt_ms, meta):
    """norse.torch.from_nir: r of LIF and IF is ignored, v_reset is never read (0)."""
    dt_s = dt_ms * MS
    if kind == "LIF":
        k = dt_s / p["tau"]
        tau_m = _step_tau(dt_ms, k, key, "tau")
        cell = IFCurrDelta(cm=tau_m, tau_m=tau_m, v_rest=p["v_leak"], v_reset=0.0,
                           v_thresh=next_up(p["v_threshold"]), tau_refrac=0.0)
        return NodeCell(cell, k, 1.0)
    if kind == "CubaLIF":
        if p["v_leak"] != 0:
            raise UnsupportedFeature(f"NIR node '{key}': norse.torch.from_nir lets a CubaLIF's synaptic current leak "
                                     f"toward v_leak={p['v_leak']:g} as well; only v_leak = 0 reads alike")
        km, ks = dt_s / p["tau_mem"], dt_s / p["tau_syn"]
        cell = _exp_cell(dt_ms, km, ks, key, 0.0, 0.0, next_up(p["v_threshold"]), r_p=1.0)
        return NodeCell(cell, p["r"] * ks * p["w_in"] / _init(cell, dt_ms), None)
    cell = IFCurrDelta(cm=1.0, tau_m=math.inf, v_rest=0.0, v_reset=0.0, v_thresh=next_up(p["v_threshold"]),
                       tau_refrac=0.0)
    return NodeCell(cell, 1.0, 1.0 / dt_ms)


def _snntorch(kind, key, p, dt_ms, meta):
    """snntorch.import_nir: Leaky / Synaptic with beta = 1 - dt/tau, the input scale w_scale moved
    into the threshold, reset to zero. spikemem's V is snnTorch's mem."""
    dt_s = SNNTORCH_DT_S
    if kind == "IF":
        raise UnsupportedFeature(f"NIR node '{key}' of type IF: snntorch.import_nir makes it a Leaky with beta 0.9, "
                                 "not an integrator; spikemem does not copy that")
    if p["v_leak"] != 0:
        raise UnsupportedFeature(f"NIR node '{key}': snntorch.import_nir needs v_leak = 0 (got {p['v_leak']:g})")
    if kind == "LIF":
        k = dt_s / p["tau"]
        tau_m = _step_tau(dt_ms, k, key, "tau")
        thr = _w_scaled(p["v_threshold"], p["r"] * k, key)
        cell = IFCurrDelta(cm=tau_m * k, tau_m=tau_m, v_rest=0.0, v_reset=0.0, v_thresh=next_up(thr), tau_refrac=0.0)
        return NodeCell(cell, 1.0, 1.0)
    if not math.isclose(p["r"], p["tau_mem"] / dt_s, rel_tol=1e-5):
        raise UnsupportedFeature(f"NIR node '{key}': snntorch.import_nir needs r = tau_mem / dt for a CubaLIF")
    km, ks = dt_s / p["tau_mem"], dt_s / p["tau_syn"]
    thr = _w_scaled(p["v_threshold"], p["w_in"] * ks, key)
    cell = _exp_cell(dt_ms, km, ks, key, 0.0, 0.0, next_up(thr), r_p=None)
    return NodeCell(cell, 1.0 / _init(cell, dt_ms), None)


def _w_scaled(threshold, w_scale, key):
    """snntorch.import_nir divides the threshold by the input scale unless it is close to 1."""
    if w_scale == 0:
        raise UnsupportedFeature(f"NIR node '{key}': an input scale of 0 (r or w_in is 0): snntorch.import_nir "
                                 "divides the threshold by it")
    return threshold if math.isclose(w_scale, 1.0, rel_tol=1e-5, abs_tol=1e-8) else threshold / w_scale


def _exp_cell(dt_ms, km, ks, key, v_rest, v_reset, v_thresh, r_p):
    """IFCurrExp whose exact decays equal the Euler factors 1 - km, 1 - ks; R = r_p, or (r_p None)
    R = 1 / km so that one step moves V by the whole current."""
    tau_m, tau_s = _step_tau(dt_ms, km, key, "tau_mem"), _step_tau(dt_ms, ks, key, "tau_syn")
    cm = tau_m / r_p if r_p is not None else tau_m * -math.expm1(-dt_ms / tau_m)
    return IFCurrExp(cm=cm, tau_m=tau_m, tau_syn_E=tau_s, tau_syn_I=tau_s, v_rest=v_rest, v_reset=v_reset,
                     v_thresh=v_thresh, tau_refrac=0.0)


def _init(cell, dt_ms):
    return float(spinnaker_init(cell.tau_syn_E, dt_ms))


def _clean(x: float) -> float:
    """Undo the ms <-> s rounding of a round trip (12 significant digits)."""
    return float(f"{x:.12g}")
