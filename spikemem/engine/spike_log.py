"""Plumbing every array engine shares: source events in step order, and the Result it returns.

An engine keeps its spike log in step order with each step's spikes in (trial, neuron) order,
the order a row-major nonzero gives; assemble_result turns that into per-population arrays.
"""
from __future__ import annotations

import numpy as np

from ..results import Result
from .flatten import FlatNetwork


def merge_sources(c: FlatNetwork, source_events: dict):
    """(trial, step, neuron) of every source spike, neurons in the all-neuron index space, by step."""
    if not source_events:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    parts = [(ev.trial, ev.step, ev.neuron + c.offsets[name]) for name, ev in source_events.items()]
    trial, step, neuron = (np.concatenate(x) for x in zip(*parts))
    order = np.argsort(step, kind="stable")
    return trial[order], step[order], neuron[order]


def split_log(c: FlatNetwork, batch: int, log, names) -> dict:
    """(trial, step, neuron) per population from the log's flat (trial, step, neuron) arrays.

    One stable sort by (population, trial) puts every population in (trial, step, neuron) order.
    """
    bs, ts, ns = log
    pop_of = np.full(c.n_all, len(names), dtype=np.int32)
    for rank, name in enumerate(names):
        pop_of[c.offsets[name]:c.offsets[name] + c.sizes[name]] = rank
    key = pop_of[ns] * batch + bs
    key = key.astype(np.int16) if (len(names) + 1) * batch < 2**15 else key
    order = np.argsort(key, kind="stable")
    key = key[order]
    out = {}
    for rank, name in enumerate(names):
        lo, hi = np.searchsorted(key, [rank * batch, (rank + 1) * batch])
        sel = order[lo:hi]
        out[name] = (bs[sel].astype(np.int64), ts[sel].astype(np.int64), (ns[sel] - c.offsets[name]).astype(np.int64))
    return out


def assemble_result(c: FlatNetwork, batch: int, steps: int, log, analog, plastic, recording, backend: str) -> Result:
    """log: flat (trial, step, neuron) arrays; analog: AnalogRecorder.result() (v of the populations
    in recording.v, gsyn per population, the sampling step); plastic: objects with .block.name
    and .weights()."""
    res = Result(dt=c.dt, steps=steps, batch=batch, sizes=dict(c.sizes),
                 spikes=split_log(c, batch, log, recording.spikes), backend=backend)
    k, v = 0, analog["v"]
    for name in recording.v:
        res.v[name] = v[:, :, k:k + c.sizes[name]]
        k += c.sizes[name]
    res.gsyn_exc, res.gsyn_inh, res.sampling = dict(analog["gsyn_exc"]), dict(analog["gsyn_inh"]), analog["every"]
    res.gsyn_units = {pop: "uS" for m in c.models or () if m.kind == "cond" for pop in m.populations}
    by_name = {s.block.name: s for s in plastic}
    for name in recording.weights:
        res.weights[name] = by_name[name].weights()
    return res
