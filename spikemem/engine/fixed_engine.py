"""The shared engine on a SpiNNaker core's integers: what runs for Simulation(numerics="fixed").

Same steps, order and batching as spikemem.engine.array_engine.Engine; the numbers are
sPyNNaker 7.4's (docs/fixed_point.md): V and the synaptic currents are s16.15 bits
(spikemem.engine.fixed_neurons), every weight is a 16-bit integer scaled by its post
population's ring-buffer shift (spikemem.engine.board_weights), ring-buffer entries are 16 bits
and saturate, each saturating addition counted per population as sPyNNaker's provenance
counts it (neural_modelling/src/neuron/synapses.c, process_fixed_synapses; the plastic path
in synapse_dynamics_stdp_mad_impl.c does the same), and STDP is spikemem.engine.fixed_stdp.
Counts follow the engine's delivery order; on a board, packets from several cores arrive in
no fixed order, so a count can differ there when an entry saturates more than once (the
saturated value does not: additions are non-negative).
"""
from __future__ import annotations

from collections import deque

import numpy as np

from ..errors import UnsupportedFeature
from . import fixed_point as fx
from .array_engine import Engine
from .board_weights import quantise
from .fixed_models import fixed_neurons
from .fixed_stdp import check_block, make_fixed_stdp
from .numpy_ops import NumpyOps


class FixedEngine(Engine):
    def __init__(self, c, batch: int, ops=None, neurons=None, label: str = "this"):
        if neurons is not None:
            raise UnsupportedFeature(
                f"simulation.numerics='fixed': the {label} backend drives the membrane with its own cell, "
                "which has no fixed-point model (numerics.fixed); use the reference or torch backend")
        for b in c.plastic:
            check_block(b)
        ops = ops or NumpyOps()
        super().__init__(c, batch, ops, fixed_neurons)
        p = c.params
        self.V = ops.ints(np.repeat(p["fx_v_start"][None], batch, axis=0))
        self.v_thresh, self.v_reset = ops.ints(p["fx_v_thresh"]), ops.ints(p["fx_v_reset"])
        self.ring = ops.zeros_int((c.ring_len, batch, self.width))
        self.ring_flat = self.ring.reshape(-1)
        self.col_pop = np.concatenate([p["fx_pop"], p["fx_pop"]])
        self.ring_saturations = np.zeros((batch, len(p["fx_populations"])), dtype=np.int64)
        self._log = deque(maxlen=c.ring_len)      # per step: the ring-buffer additions it made

    def _inject_array(self, cur):
        """s16.15 bits, one row per trial (the clamps count per trial)."""
        return self.ops.ints(np.ascontiguousarray(np.broadcast_to(cur, (self.B, cur.shape[1]))))

    def _make_plastic(self, c, batch: int) -> list:
        return [make_fixed_stdp(b, batch, c, self.ops) for b in c.plastic]

    def _synapse_tables(self, c):
        indptr, col, w, d = c.csr
        ops = self.ops
        cols = [(slice(b.col_off, b.col_off + b.n_post), 1.0) for b in c.plastic]
        w16 = quantise(w, c.params["fx_shift"][col], c.params["fx_wscale"][col])
        return (ops.index(indptr), ops.index(col), ops.ints(w16), ops.index(d)), cols

    # -- 16-bit ring buffer ------------------------------------------------------------------
    # Entries hold exact sums until their step comes; one that passed 0xFFFF is then replayed
    # addition by addition from the log of the last ring_len steps' deliveries (rare), its
    # saturating additions counted, and clamped before the neurons read it.
    def step(self, t: int, src_trials, src_neurons, repeats=None):
        self._settle(t)
        self._log.append([])
        return super().step(t, src_trials, src_neurons, repeats)

    def _ring_add(self, flat, values):
        self.ops.scatter_add(self.ring_flat, flat, values)
        self._log[-1].append((flat, values))

    def _ring_add_rows(self, slot, trials, cols, sums, rows, row_trials):
        self.ring[slot][trials, cols] += sums
        self._log[-1].append((slot, cols, rows, row_trials))

    def _settle(self, t: int) -> None:
        s = t % self.c.ring_len
        row = self.ring[s]
        if not self.width or int(row.max()) <= fx.RING_MAX:
            return
        ops, size = self.ops, self.B * self.width
        idx, vals = [], []                          # additions into this slot, in delivery order
        for step in self._log:
            for entry in step:
                if len(entry) == 2:
                    f, v = ops.int_numpy(entry[0]), ops.int_numpy(entry[1])
                    here = f // size == s
                    idx.append(f[here] - s * size)
                    vals.append(v[here])
                elif entry[0] == s:
                    _, cols, rows, rt = entry
                    r, rt = ops.int_numpy(rows), ops.int_numpy(rt)
                    idx.append((rt[:, None] * self.width + np.arange(cols.start, cols.stop)[None]).ravel())
                    vals.append(r.ravel())
        idx, vals = np.concatenate(idx), np.concatenate(vals)
        over = np.flatnonzero(ops.int_numpy(row).ravel() > fx.RING_MAX)
        sel = np.isin(idx, over)
        idx, vals = idx[sel], vals[sel]
        order = np.argsort(idx, kind="stable")
        idx, vals = idx[order], vals[order]
        start = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
        hit = (vals > 0) & (_group_cumsum(vals, start) > fx.RING_MAX)
        np.add.at(self.ring_saturations, (idx[hit] // self.width, self.col_pop[idx[hit] % self.width]), 1)
        row.reshape(-1)[ops.index(over)] = fx.RING_MAX

    def saturations(self) -> dict:
        """{population: {"ring_buffer": (batch,), "accum": (batch,)}} counts of this run."""
        acc = self.neurons.accum_saturations
        return {name: {"ring_buffer": self.ring_saturations[:, k].copy(), "accum": acc[:, k].copy()}
                for k, name in enumerate(self.c.params["fx_populations"])}

    def run(self, steps: int, source_events: dict, record=()) -> tuple:
        log, analog = super().run(steps, source_events, record)
        for s in self.plastic:         # the deferred potentiation, into the weights this run reports
            if hasattr(s, "flush"):
                s.flush(steps)
        for t in range(steps, steps + self.c.ring_len - 1):   # input still in flight is counted too
            self._settle(t)
            self._log.append([])
        return log, to_units(analog)


def to_units(analog: dict) -> dict:
    """Recorded accum bits as mV, nA or uS."""
    out = dict(analog, v=None if analog["v"] is None else analog["v"] / fx.ONE)
    for signal in ("gsyn_exc", "gsyn_inh"):
        out[signal] = {pop: a / fx.ONE for pop, a in analog[signal].items()}
    return out


def _group_cumsum(values, start):
    """Cumulative sums along axis 0 restarting at each index in `start` (groups are contiguous)."""
    cs = np.cumsum(values, axis=0)
    offset = np.zeros_like(cs)
    prev = cs[start[1:] - 1] if len(start) > 1 else cs[:0]
    lens = np.diff(np.append(start, len(values)))
    offset[start[0]:] = np.repeat(np.concatenate([np.zeros_like(cs[:1]), prev]), lens, axis=0)
    return cs - offset
