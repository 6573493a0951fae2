"""The portable variant: the SpiNNaker circuit re-expressed so that exact integrators keep its timing.

The authors' parameters rely on sPyNNaker's discrete 1 ms update: a neuron fires in the very
step its input arrives, and every logical decision (the ContCond gate, the inhibitions, the
STDP pairs) is a sum of inputs landing in the same millisecond. Under exact integration (NEST
iaf_psc_exp, Brian2) input arriving at t moves V only from t + dt on, so each hop is one step
late and the coincidences fall apart (0/9 on the functional test).

Here the same circuit runs on a 0.1 ms grid with three changes:
- delta-like synapses (tau_syn = 0.02 ms << dt): an input delivers its whole charge within one
  step, so a neuron fires in one well-defined step or not at all;
- every delay is shortened by the scheme's one-hop latency (0 steps for 'spinnaker', one step
  for 'exact'), so every hop still takes exactly its published delay and spikes land on whole
  milliseconds as on SpiNNaker;
- cm is recalibrated per scheme so that one input's depolarisation equals the 1 ms SpiNNaker
  gain (0.911 mV/nA slow, 0.893 fast), and tau_refrac is 1.5 ms so that input arriving one
  millisecond after a spike is lost, as in the published model. tau_m is kept, so the membrane
  keeps the same residue from one millisecond to the next.
STDP sees a post spike after the (shortened) synaptic delay, as NEST does with
dendritic_delay_fraction = 1: under 'exact' that is one step early, so a pair the published
model sees at dt = 0 is seen at -0.1 ms (still post first: it still depresses and does not
potentiate), and every pair is 0.1 ms shorter. A_plus * exp(-0.1/tau_plus) and
A_minus * exp(0.1/tau_minus) give back exactly the published weight changes.
"""
from __future__ import annotations

import math
from dataclasses import replace

from spikemem import ValidationError

from .builder import build_cam
from .params import CA3Params

DT = 0.1
TAU_SYN = 0.02
TAU_REFRAC = 1.5


def _spinnaker_gain(tau_m: float, tau_syn: float, cm: float, dt: float) -> float:
    """mV per nA that one input adds in its arrival step under sPyNNaker's update."""
    init = (tau_syn / dt) * (1 - math.exp(-dt / tau_syn))
    return init * tau_m / cm * (1 - math.exp(-dt / tau_m))


def _unit_gain(tau_m: float, scheme: str) -> float:
    """Depolarisation per nA (times cm) that one input gives under `scheme` at DT, TAU_SYN."""
    if scheme == "spinnaker":
        return _spinnaker_gain(tau_m, TAU_SYN, 1.0, DT)
    return tau_m * TAU_SYN / (TAU_SYN - tau_m) * (math.exp(-DT / TAU_SYN) - math.exp(-DT / tau_m))


def _retime(cell, scheme: str):
    cm = _unit_gain(cell.tau_m, scheme) / _spinnaker_gain(cell.tau_m, cell.tau_syn_E, cell.cm, 1.0)
    return replace(cell, cm=cm, tau_syn_E=TAU_SYN, tau_syn_I=TAU_SYN, tau_refrac=TAU_REFRAC)


def portable(scheme: str = "exact", base: CA3Params | None = None) -> CA3Params:
    if scheme not in ("spinnaker", "exact"):
        raise ValidationError("scheme", scheme, "must be 'spinnaker' or 'exact'")
    p = base or CA3Params()
    latency = DT if scheme == "exact" else 0.0
    delays = tuple((pr.name, round(float(pr.delay) - latency, 6))
                   for pr in build_cam(1, 1, p).projections)
    r = p.stdp
    stdp = replace(r, A_plus=r.A_plus * math.exp(-latency / r.tau_plus), A_minus=r.A_minus * math.exp(latency / r.tau_minus))
    return replace(p, slow=_retime(p.slow, scheme), fast=_retime(p.fast, scheme), out=_retime(p.out, scheme),
                   stdp=stdp, dt=DT, scheme=scheme, delays=delays)
