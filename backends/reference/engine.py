"""The numpy reference engine: the semantics every other backend is checked against.

All IF neurons of all populations live in flat (batch, n) arrays; a step is a fixed handful
of array operations whatever the network's shape. Static synapses are a CSR table by pre
neuron and are delivered event by event into a ring buffer of future input.
"""
from __future__ import annotations

import numpy as np

from spikemem.results import Result

from spikemem.flat import FlatNetwork
from .stdp import HistorySTDP, make_stdp


class Engine:
    def __init__(self, c: FlatNetwork, batch: int):
        self.c, self.B = c, batch
        p, n = c.params, c.n_if
        self.V = np.repeat(p["v_start"][None], batch, axis=0)
        self.I = np.zeros((batch, 2 * n))                         # exc | inh currents, nA
        self.refrac = np.zeros((batch, n), dtype=np.int64)
        self.ring = np.zeros((c.ring_len, batch, 2 * n))
        self.ring_flat = self.ring.reshape(-1)
        self.spk = np.zeros((batch, c.n_all), dtype=bool)
        self.plastic = [make_stdp(b, batch, c.dt) for b in c.plastic]
        hist_len = 1 + max([b.dendritic for b in c.plastic], default=0)
        self.hist = np.zeros((hist_len, batch, n), dtype=bool)    # IF spikes of recent steps
        self.ioff_R = p["i_offset"] * p["R"]

    # -- one step -------------------------------------------------------------------------
    def neuron_step(self, arrived: np.ndarray):
        p, n, V, I = self.c.params, self.c.n_if, self.V, self.I
        if self.c.scheme == "spinnaker":
            I += arrived * p["init"]
            a = (I[:, :n] - I[:, n:]) * p["R"]
            a += self.ioff_R
            a += p["v_rest"]
            Vn = a - p["alpha"] * (a - V)
            I *= p["decay"]
        else:
            Vn = (V - p["v_rest"]) * p["alpha"]
            Vn += p["v_rest"]
            Vn += I[:, :n] * p["p21"][:n]
            Vn -= I[:, n:] * p["p21"][n:]
            Vn += self.ioff_R * (1.0 - p["alpha"])
            I *= p["decay"]
            I += arrived
        active = self.refrac == 0
        np.copyto(V, Vn, where=active)
        np.subtract(self.refrac, 1, out=self.refrac, where=~active)
        fired = self.spk[:, :n]
        np.greater_equal(V, p["v_thresh"], out=fired)
        if fired.any():
            np.copyto(V, p["v_reset"], where=fired)
            np.copyto(self.refrac, p["refrac"], where=fired)

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

    def deliver_plastic(self, stdp, t):
        b = stdp.block
        pre_spk = self.spk[:, b.pre_off:b.pre_off + b.n_pre]
        if not pre_spk.any():
            return
        bs, is_ = np.nonzero(pre_spk)
        rows = stdp.pre(bs, is_, t)
        slot = self.ring[(t + b.delay) % self.c.ring_len]
        cols = slice(b.col_off, b.col_off + b.n_post)
        if self.B == 1:
            slot[0, cols] += rows.sum(axis=0)
        else:
            ub, first = np.unique(bs, return_index=True)
            slot[ub, cols] += np.add.reduceat(rows, first, axis=0)

    def stdp_post(self, t):
        n = self.c.n_if
        self.hist[t % len(self.hist)] = self.spk[:, :n]
        for s in self.plastic:
            b = s.block
            s.decay()
            if isinstance(s, HistorySTDP):
                s.fired(self.spk[:, b.post_off:b.post_off + b.n_post], t)
            if t >= b.dendritic:
                seen = self.hist[(t - b.dendritic) % len(self.hist), :, b.post_off:b.post_off + b.n_post]
                if seen.any():
                    s.post(seen)

    # -- the run --------------------------------------------------------------------------
    def run(self, steps: int, source_events: dict, record_spikes, record_v) -> tuple:
        c, n = self.c, self.c.n_if
        trial, step, neuron = _merge_sources(c, source_events)
        bounds = np.searchsorted(step, np.arange(steps + 1))
        v_idx = np.concatenate([np.arange(c.offsets[p], c.offsets[p] + c.sizes[p]) for p in record_v]) \
            if record_v else None
        spikes, vs = [], []
        src = self.spk[:, n:]
        for t in range(steps):
            slot = t % c.ring_len
            arrived = self.ring[slot]
            self.neuron_step(arrived)
            arrived.fill(0.0)
            src.fill(False)
            lo, hi = bounds[t], bounds[t + 1]
            if hi > lo:
                self.spk[trial[lo:hi], neuron[lo:hi]] = True
            if self.plastic:
                self.stdp_post(t)
                for s in self.plastic:
                    self.deliver_plastic(s, t)
            if v_idx is not None:
                vs.append(self.V[:, v_idx].copy())
            if self.spk.any():
                bs, ns = np.nonzero(self.spk)
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
