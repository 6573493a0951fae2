"""The portable variants of the hippocampus family: each circuit retimed so that exact
integrators (NEST, Brian2) keep its SpiNNaker timing, by the rules of
spikemem.description.retiming (the way models/ca3/portable.py retimes the CAM): dt = 0.1 ms,
delta-like synapses, every delay shortened by the scheme's one-hop latency, cm recalibrated to
the original 1 ms gain, refractory periods of r ms held r + 0.5 ms, STDP amplitudes rescaled.

The sPyBlocks gates (tau_m = tau_syn = 0.1 ms, tau_refrac 0) keep tau_m, so their V keeps
exp(-10) of itself from one millisecond to the next, as at dt = 1 ms: still memoryless; their
refractory half millisecond only guards against a second spike from the leftover current.
"""
from __future__ import annotations

from dataclasses import fields, replace

from spikemem import STDP, IFCurrExp
from spikemem.description import retiming


def portable(params, build, scheme: str = "exact"):
    """`params` (any params class of the family) retimed for `scheme`; `build(C, N, params)` is
    the model's builder (a small network of it gives the projections' delays)."""
    retiming.check_scheme(scheme)
    changes = {}
    for f in fields(params):
        value = getattr(params, f.name)
        if isinstance(value, IFCurrExp):
            changes[f.name] = retiming.retime_cell(value, scheme, params.dt)
        elif isinstance(value, STDP):
            changes[f.name] = retiming.retime_stdp(value, scheme)
    delays = retiming.shortened_delays(build(2, 2, params), scheme)
    return replace(params, **changes, dt=retiming.DT, scheme=scheme, delays=delays)

