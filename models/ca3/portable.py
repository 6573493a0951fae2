"""The portable variant: the SpiNNaker circuit re-expressed so that exact integrators keep its timing
(the rules are spikemem.description.retiming's).

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

from dataclasses import replace

from spikemem.description import retiming
from spikemem.description.retiming import DT  # noqa: F401  (the variant's grid, for callers)

from .builder import build_cam
from .params import CA3Params


def portable(scheme: str = "exact", base: CA3Params | None = None) -> CA3Params:
    retiming.check_scheme(scheme)
    p = base or CA3Params()
    return replace(p, slow=retiming.retime_cell(p.slow, scheme), fast=retiming.retime_cell(p.fast, scheme),
                   out=retiming.retime_cell(p.out, scheme), stdp=retiming.retime_stdp(p.stdp, scheme),
                   dt=DT, scheme=scheme, delays=retiming.shortened_delays(build_cam(1, 1, p), scheme))
