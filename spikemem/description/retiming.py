"""Retiming a circuit written for sPyNNaker's 1 ms update so that exact integrators keep its timing.

The memories of Casanueva-Morato et al. compute with coincidences inside one SpiNNaker
millisecond: a neuron fires in the very step its input arrives. Under exact integration (NEST
iaf_psc_exp, Brian2) input arriving at t moves V only from t + dt on, so every hop is one step
late and the coincidences fall apart. The portable variants of the memories (models/ca3/portable.py,
models/hippocampus/portable.py) keep each circuit and its weights and retime it with these rules:

- dt = 0.1 ms and delta-like synapses (tau_syn = 0.02 ms << dt): an input delivers its whole
  charge within one step, so a neuron fires in one well-defined step or not at all;
- every delay is shortened by the scheme's one-hop latency (0 for 'spinnaker', one step for
  'exact'), so every hop still takes exactly its published delay and spikes land on whole ms;
- cm is recalibrated per scheme so that one input's depolarisation equals the 1 ms SpiNNaker
  gain of the original cell; tau_m is kept (the same residue from one millisecond to the next);
- a refractory period of r whole ms becomes r + 0.5 ms, so input arriving r ms after a spike is
  lost and input one ms later counts, as on SpiNNaker;
- a start voltage off rest is relaxed by the rest of the original step: sPyNNaker's update lets V
  leak for the whole millisecond an input arrives in, the retimed cell fires one step into it;
- STDP sees a post spike after the (shortened) delay, as NEST does with dendritic_delay_fraction
  = 1: under 'exact' one step early, so A_plus * exp(-latency/tau_plus) and A_minus *
  exp(latency/tau_minus) give back the published weight changes, and a pair the original sees
  at dt = 0 is still "post first".
"""
from __future__ import annotations

import math
from dataclasses import replace

from ..errors import ValidationError
from . import validation

DT = 0.1
TAU_SYN = 0.02


def check_scheme(scheme: str) -> str:
    if scheme not in ("spinnaker", "exact"):
        raise ValidationError("scheme", scheme, "must be 'spinnaker' or 'exact'")
    return scheme


def latency(scheme: str) -> float:
    """The one-hop latency of an update scheme at DT: the delay each projection gives back."""
    return DT if check_scheme(scheme) == "exact" else 0.0


def spinnaker_gain(tau_m: float, tau_syn: float, cm: float, dt: float) -> float:
    """mV per nA that one input adds in its arrival step under sPyNNaker's update."""
    init = (tau_syn / dt) * (1 - math.exp(-dt / tau_syn))
    return init * tau_m / cm * (1 - math.exp(-dt / tau_m))


def unit_gain(tau_m: float, scheme: str) -> float:
    """Depolarisation per nA (times cm) that one input gives under `scheme` at DT, TAU_SYN."""
    if check_scheme(scheme) == "spinnaker":
        return spinnaker_gain(tau_m, TAU_SYN, 1.0, DT)
    return tau_m * TAU_SYN / (TAU_SYN - tau_m) * (math.exp(-DT / TAU_SYN) - math.exp(-DT / tau_m))


def retime_cell(cell, scheme: str, dt: float = 1.0, tau_refrac: float | None = None):
    """The cell at DT with delta-like synapses and the gain it had at `dt` under sPyNNaker's
    update; tau_refrac None: the original's whole steps plus half a millisecond."""
    cm = unit_gain(cell.tau_m, scheme) / spinnaker_gain(cell.tau_m, cell.tau_syn_E, cell.cm, dt)
    if tau_refrac is None:
        tau_refrac = validation.refractory_steps(cell.tau_refrac, dt) * dt + 0.5
    v_init = cell.v_init
    if v_init is not None and v_init != cell.v_rest:
        v_init = cell.v_rest + (v_init - cell.v_rest) * math.exp(-(dt - DT) / cell.tau_m)
    return replace(cell, cm=cm, tau_syn_E=TAU_SYN, tau_syn_I=TAU_SYN, tau_refrac=tau_refrac, v_init=v_init)


def retime_stdp(rule, scheme: str):
    lat = latency(scheme)
    return replace(rule, A_plus=rule.A_plus * math.exp(-lat / rule.tau_plus),
                   A_minus=rule.A_minus * math.exp(lat / rule.tau_minus))


def shortened_delays(network, scheme: str) -> tuple:
    """((projection, delay - latency), ...) for every projection of `network` (scalar delays)."""
    lat = latency(scheme)
    return tuple((pr.name, round(float(pr.delay) - lat, 6)) for pr in network.projections)
