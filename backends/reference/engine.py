"""The numpy reference engine: the semantics every other backend is checked against.

All IF neurons of all populations live in flat (batch, n) arrays; a step is a fixed handful
of array operations whatever the network's shape. Static synapses are a CSR table by pre
neuron and are delivered event by event into a ring buffer of future input.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from spikemem.flat import FlatNetwork
from spikemem.results import Result

from .stdp import HistorySTDP, make_stdp


class Engine:
    def __init__(self, c: FlatNetwork, batch: int):
        self.c, self.B = c, batch
        p, n = c.params, c.n_if
        self.V = np.repeat(p["v_start"][None], batch, axis=0)
        self.I = np.zeros((batch, 2 * n))                         # exc | inh currents, nA
        self.a = np.empty((batch, n))                             # scratch buffers
        self.b = np.empty((batch, n))
        self.ring = np.zeros((c.ring_len, batch, 2 * n))
        self.ring_flat = self.ring.reshape(-1)
        self.fired = np.zeros((batch, n), dtype=bool)
        self.plastic = [make_stdp(b, batch, c.dt) for b in c.plastic]
        self.gated = any(b.gate is not None for b in c.plastic)
        self.max_ref = int(p["refrac"].max()) if n else 0
        self.uniform_ref = n == 0 or bool(np.all(p["refrac"] == self.max_ref))
        keep = max([self.max_ref] + [b.dendritic + 1 for b in c.plastic])
        self.recent = deque(maxlen=max(keep, 1))                  # (step, trials, neurons) of IF spikes
        self.offset = p["i_offset"] * p["R"] + p["v_rest"]        # a = v_rest + (I + i_offset) R
        self.leak_offset = p["i_offset"] * p["R"] * (1.0 - p["alpha"])

    # -- one step -------------------------------------------------------------------------
    def neuron_step(self, arrived: np.ndarray, t: int):
        """Update every IF neuron; returns the (trials, neurons) that fired at step t."""
        p, n, V, I, a, b = self.c.params, self.c.n_if, self.V, self.I, self.a, self.b
        if self.c.scheme == "spinnaker":
            np.multiply(arrived, p["init"], out=arrived)
            I += arrived
            np.subtract(I[:, :n], I[:, n:], out=a)
            a *= p["R"]
            a += self.offset                                      # a = v_rest + (I_E - I_I + i_offset) R
            np.subtract(a, V, out=b)
            b *= p["alpha"]
            np.subtract(a, b, out=V)                              # V = a - exp(-dt/tau_m) (a - V)
            I *= p["decay"]
        else:
            V -= p["v_rest"]
            V *= p["alpha"]
            V += p["v_rest"]
            np.multiply(I[:, :n], p["p21"][:n], out=a)
            np.multiply(I[:, n:], p["p21"][n:], out=b)
            a -= b
            a += self.leak_offset
            V += a
            I *= p["decay"]
            I += arrived
        # Refractory neurons keep V = v_reset: they fired at most max_ref steps ago.
        for s, fb, fi in self.recent:
            if t - s > self.max_ref:
                continue
            if not self.uniform_ref:
                k = p["refrac"][fi] >= t - s
                fb, fi = fb[k], fi[k]
            V[fb, fi] = p["v_reset"][fi]
        np.greater_equal(V, p["v_thresh"], out=self.fired)
        if not self.fired.any():
            return None
        fb, fi = np.nonzero(self.fired)
        V[fb, fi] = p["v_reset"][fi]
        return fb, fi

    def deliver_static(self, bs, ns, t):
        indptr, col, w, d = self.c.csr
        start = indptr[ns]
        lens = indptr[ns + 1] - start
        total = int(lens.sum())
        if not total:
            return
        pos = np.repeat(start - np.cumsum(lens) + lens, lens) + np.arange(total)
        slot = (t + d[pos]) % self.c.ring_len
        flat = (slot * self.B + np.repeat(bs, lens)) * (2 * self.c.n_if) + col[pos]
        np.add.at(self.ring_flat, flat, w[pos])

    def deliver_plastic(self, stdp, bs, ns, t, open_):
        b = stdp.block
        sel = (ns >= b.pre_off) & (ns < b.pre_off + b.n_pre)
        if not sel.any():
            return
        bs, is_ = bs[sel], ns[sel] - b.pre_off
        rows = stdp.pre(bs, is_, t, open_)
        slot = self.ring[(t + b.delay) % self.c.ring_len]
        cols = slice(b.col_off, b.col_off + b.n_post)
        if self.B == 1:
            slot[0, cols] += rows.sum(axis=0)
        else:
            ub, first = np.unique(bs, return_index=True)
            slot[ub, cols] += np.add.reduceat(rows, first, axis=0)

    def gates(self, src_trials, src_neurons) -> dict:
        """For each gated plastic block, the (batch,) bool of trials whose gate spikes now."""
        out = {}
        for s in self.plastic:
            g = s.block.gate
            if g is not None:
                open_ = np.zeros(self.B, dtype=bool)
                open_[src_trials[src_neurons == g]] = True
                out[id(s)] = open_
        return out

    def stdp_post(self, t, gates):
        """Post events: STDP sees a spike of step t - dendritic delay now."""
        by_step = {s: (fb, fi) for s, fb, fi in self.recent}
        for s in self.plastic:
            b = s.block
            s.decay()
            lo, hi = b.post_off, b.post_off + b.n_post
            if isinstance(s, HistorySTDP) and t in by_step:
                fb, fi = by_step[t]
                k = (fi >= lo) & (fi < hi)
                s.fired(fb[k], fi[k] - lo, t)
            if t - b.dendritic in by_step:
                fb, fi = by_step[t - b.dendritic]
                k = (fi >= lo) & (fi < hi)
                if k.any():
                    s.post(fb[k], fi[k] - lo, gates.get(id(s)))

    # -- the run --------------------------------------------------------------------------
    def run(self, steps: int, source_events: dict, record_v) -> tuple:
        c = self.c
        trial, step, neuron = _merge_sources(c, source_events)
        bounds = np.searchsorted(step, np.arange(steps + 1))
        v_idx = np.concatenate([np.arange(c.offsets[p], c.offsets[p] + c.sizes[p]) for p in record_v]) \
            if record_v else None
        spikes, vs = [], []
        for t in range(steps):
            arrived = self.ring[t % c.ring_len]
            fired = self.neuron_step(arrived, t)
            arrived.fill(0.0)
            if fired is not None:
                self.recent.append((t, *fired))
            lo, hi = bounds[t], bounds[t + 1]
            parts = ([fired] if fired is not None else []) + ([(trial[lo:hi], neuron[lo:hi])] if hi > lo else [])
            if len(parts) == 2:
                bs, ns = np.concatenate([parts[0][0], parts[1][0]]), np.concatenate([parts[0][1], parts[1][1]])
            elif parts:
                bs, ns = parts[0]
            if self.plastic:
                gates = self.gates(trial[lo:hi], neuron[lo:hi]) if self.gated else {}
                self.stdp_post(t, gates)
                if parts:
                    for s in self.plastic:
                        self.deliver_plastic(s, bs, ns, t, gates.get(id(s)))
            if v_idx is not None:
                vs.append(self.V[:, v_idx].copy())
            if parts:
                spikes.append((bs, np.full(len(bs), t), ns))
                self.deliver_static(bs, ns, t)
        for s in self.plastic:
            if isinstance(s, HistorySTDP):
                s.flush(steps)
        return spikes, (np.stack(vs, axis=1) if vs else None), v_idx


def _merge_sources(c: FlatNetwork, source_events: dict):
    if not source_events:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    parts = [(ev.trial, ev.step, ev.neuron + c.offsets[name]) for name, ev in source_events.items()]
    trial, step, neuron = (np.concatenate(x) for x in zip(*parts))
    order = np.argsort(step, kind="stable")
    return trial[order], step[order], neuron[order]


def collect(c: FlatNetwork, batch: int, steps: int, spikes, record_spikes) -> dict:
    """Split the flat spike log into (trial, step, neuron) per recorded population."""
    if spikes:
        bs, ts, ns = (np.concatenate(x) for x in zip(*spikes))
    else:
        bs = ts = ns = np.zeros(0, dtype=np.int64)
    out = {}
    for name in record_spikes:
        lo = c.offsets[name]
        sel = (ns >= lo) & (ns < lo + c.sizes[name])
        b, t, i = bs[sel], ts[sel], ns[sel] - lo
        order = np.lexsort((i, t, b))
        out[name] = (b[order].astype(np.int64), t[order].astype(np.int64), i[order].astype(np.int64))
    return out


def make_result(c: FlatNetwork, engine: Engine, steps: int, spikes, vs, v_idx, recording) -> Result:
    res = Result(dt=c.dt, steps=steps, batch=engine.B, sizes=dict(c.sizes),
                 spikes=collect(c, engine.B, steps, spikes, recording.spikes), backend="reference")
    if vs is not None:
        k = 0
        for name in recording.v:
            res.v[name] = vs[:, :, k:k + c.sizes[name]]
            k += c.sizes[name]
    by_name = {s.block.name: s for s in engine.plastic}
    for name in recording.weights:
        res.weights[name] = by_name[name].weights()
    return res
