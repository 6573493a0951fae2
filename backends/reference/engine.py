"""The numpy reference engine: the semantics every other backend is checked against.

All IF neurons of all populations live in flat (batch, n) arrays; a step is a fixed handful
of array operations whatever the network's shape. Static synapses are a CSR table by pre
neuron and are delivered event by event into a ring buffer of future input.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from spikemem.flat import FlatNetwork
from spikemem.spike_log import merge_sources

from spikemem.stdp_engine import HistorySTDP, make_stdp, see_post_spikes


class Engine:
    def __init__(self, c: FlatNetwork, batch: int):
        self.c, self.B = c, batch
        p, n = c.params, c.n_if
        # Where every neuron's exc and inh synapses share tau_syn, one signed current does the
        # work of two (half the memory traffic of the hot loop); otherwise columns are exc | inh.
        self.merged = all(np.array_equal(p[k][:n], p[k][n:]) for k in ("decay", "init", "p21"))
        self.width = n if self.merged else 2 * n
        self.csr, self.cols = self._current_columns(c)
        self.V = np.repeat(p["v_start"][None], batch, axis=0)
        self.I = np.zeros((batch, self.width))                    # currents, nA
        self.a = np.empty((batch, n))                             # scratch buffers
        self.b = np.empty((batch, n))
        self.ring = np.zeros((c.ring_len, batch, self.width))
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

    def _current_columns(self, c):
        """Static synapse table and, per plastic block, (column slice, sign) in the current array."""
        indptr, col, w, d = c.csr
        n = c.n_if
        cols = [(slice(b.col_off % self.width, b.col_off % self.width + b.n_post),
                 -1.0 if self.merged and b.col_off >= n else 1.0) for b in c.plastic]
        if self.merged:
            inh = col >= n
            col, w = np.where(inh, col - n, col), np.where(inh, -w, w)
        return (indptr, col, w, d), cols

    # -- one step -------------------------------------------------------------------------
    def neuron_step(self, arrived: np.ndarray, t: int):
        """Update every IF neuron; returns the (trials, neurons) that fired at step t."""
        p, n, V, I, a, b = self.c.params, self.c.n_if, self.V, self.I, self.a, self.b
        w = self.width
        if self.c.scheme == "spinnaker":
            np.multiply(arrived, p["init"][:w], out=arrived)
            I += arrived
            if self.merged:
                np.multiply(I, p["R"], out=a)
            else:
                np.subtract(I[:, :n], I[:, n:], out=a)
                a *= p["R"]
            a += self.offset                                      # a = v_rest + (I_E - I_I + i_offset) R
            np.subtract(a, V, out=b)
            b *= p["alpha"]
            np.subtract(a, b, out=V)                              # V = a - exp(-dt/tau_m) (a - V)
            I *= p["decay"][:w]
        else:
            V -= p["v_rest"]
            V *= p["alpha"]
            V += p["v_rest"]
            np.multiply(I[:, :n], p["p21"][:n], out=a)
            if not self.merged:
                np.multiply(I[:, n:], p["p21"][n:], out=b)
                a -= b
            a += self.leak_offset
            V += a
            I *= p["decay"][:w]
            I += arrived
        self._refractory_and_threshold(t)
        return self._fire()

    def _refractory_and_threshold(self, t):
        p, V = self.c.params, self.V
        # Refractory neurons keep V = v_reset: they fired at most max_ref steps ago.
        for s, fb, fi in self.recent:
            if t - s > self.max_ref:
                continue
            if not self.uniform_ref:
                k = p["refrac"][fi] >= t - s
                fb, fi = fb[k], fi[k]
            V[fb, fi] = p["v_reset"][fi]
        np.greater_equal(V, p["v_thresh"], out=self.fired)

    def _fire(self):
        p, V = self.c.params, self.V
        if not self.fired.any():
            return None
        fb, fi = np.nonzero(self.fired)
        V[fb, fi] = p["v_reset"][fi]
        return fb, fi

    def deliver_static(self, bs, ns, t):
        indptr, col, w, d = self.csr
        start = indptr[ns]
        lens = indptr[ns + 1] - start
        total = int(lens.sum())
        if not total:
            return
        pos = np.repeat(start - np.cumsum(lens) + lens, lens) + np.arange(total)
        slot = (t + d[pos]) % self.c.ring_len
        flat = (slot * self.B + np.repeat(bs, lens)) * self.width + col[pos]
        np.add.at(self.ring_flat, flat, w[pos])

    def deliver_plastic(self, stdp, cols, sign, bs, ns, t, open_):
        b = stdp.block
        sel = (ns >= b.pre_off) & (ns < b.pre_off + b.n_pre)
        if not sel.any():
            return
        bs, is_ = bs[sel], ns[sel] - b.pre_off
        rows = stdp.pre(bs, is_, t, open_)
        slot = self.ring[(t + b.delay) % self.c.ring_len]
        if self.B == 1:
            summed = rows.sum(axis=0, keepdims=True)
            ub = np.zeros(1, dtype=np.int64)
        else:
            ub, first = np.unique(bs, return_index=True)
            summed = np.add.reduceat(rows, first, axis=0)
        if sign < 0:
            summed = -summed
        slot[ub, cols] += summed

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

    # -- the run --------------------------------------------------------------------------
    def run(self, steps: int, source_events: dict, record_v) -> tuple:
        c = self.c
        trial, step, neuron = merge_sources(c, source_events)
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
                see_post_spikes(self.plastic, self.recent, t, gates)
                if parts:
                    for s, (cols, sign) in zip(self.plastic, self.cols):
                        self.deliver_plastic(s, cols, sign, bs, ns, t, gates.get(id(s)))
            if v_idx is not None:
                vs.append(self.V[:, v_idx].copy())
            if parts:
                spikes.append((t, bs.astype(np.int32), ns.astype(np.int32)))
                self.deliver_static(bs, ns, t)
        for s in self.plastic:
            if isinstance(s, HistorySTDP):
                s.flush(steps)
        return _flat_log(spikes), (np.stack(vs, axis=1) if vs else None)


def _flat_log(spikes) -> tuple:
    """The per-step (step, trials, neurons) entries as flat (trial, step, neuron) arrays."""
    if not spikes:
        z = np.zeros(0, dtype=np.int32)
        return z, z, z
    lens = np.array([len(b) for _, b, _ in spikes])
    ts = np.repeat(np.array([t for t, _, _ in spikes], dtype=np.int32), lens)
    return np.concatenate([b for _, b, _ in spikes]), ts, np.concatenate([n for _, _, n in spikes])
