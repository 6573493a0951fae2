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

import numpy as np

from ..errors import UnsupportedFeature
from . import fixed_point as fx
from .array_engine import Engine
from .board_weights import quantise
from .fixed_neurons import FixedIFNeurons
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
        super().__init__(c, batch, ops, FixedIFNeurons)
        p = c.params
        self.V = ops.ints(np.repeat(p["fx_v_start"][None], batch, axis=0))
        self.v_thresh, self.v_reset = ops.ints(p["fx_v_thresh"]), ops.ints(p["fx_v_reset"])
        self.ring = ops.zeros_int((c.ring_len, batch, self.width))
        self.ring_flat = self.ring.reshape(-1)
        self.col_pop = np.concatenate([p["fx_pop"], p["fx_pop"]])
        self.ring_saturations = np.zeros((batch, len(p["fx_populations"])), dtype=np.int64)

    def _make_plastic(self, c, batch: int) -> list:
        return [make_fixed_stdp(b, batch, c, self.ops) for b in c.plastic]

    def _synapse_tables(self, c):
        indptr, col, w, d = c.csr
        ops = self.ops
        cols = [(slice(b.col_off, b.col_off + b.n_post), 1.0) for b in c.plastic]
        w16 = quantise(w, c.params["fx_shift"][col])
        return (ops.index(indptr), ops.index(col), ops.ints(w16), ops.index(d)), cols

    # -- 16-bit ring buffer ------------------------------------------------------------------
    def _ring_add(self, flat, values):
        self.ops.scatter_add(self.ring_flat, flat, values)
        if len(flat) and int(self.ring_flat[flat].max()) > fx.RING_MAX:
            self._saturate_static(self.ops.int_numpy(flat), self.ops.int_numpy(values))

    def _saturate_static(self, flat, values):
        """Clamp the entries that passed 0xFFFF and count, in delivery order, the additions that
        found them full or filled them (the running sum reached 0x10000)."""
        ops = self.ops
        over = np.unique(flat[self.ops.int_numpy(self.ring_flat[ops.index(flat)]) > fx.RING_MAX])
        sel = np.isin(flat, over)
        f, v = flat[sel], values[sel]
        order = np.argsort(f, kind="stable")
        f, v = f[order], v[order]
        entries, start = np.unique(f, return_index=True)
        after = self.ops.int_numpy(self.ring_flat[ops.index(entries)])
        base = after - np.add.reduceat(v, start)
        running = np.repeat(base, np.diff(np.append(start, len(f)))) + _group_cumsum(v, start)
        hit = (v > 0) & (running > fx.RING_MAX)
        np.add.at(self.ring_saturations, ((f[hit] // self.width) % self.B, self.col_pop[f[hit] % self.width]), 1)
        self.ring_flat[ops.index(entries)] = fx.RING_MAX

    def _ring_add_rows(self, slot, trials, cols, sums, rows, row_trials):
        slot[trials, cols] += sums
        region = slot[trials, cols]
        if int(region.max()) <= fx.RING_MAX:
            return
        ops = self.ops
        tr = np.arange(self.B) if isinstance(trials, slice) else ops.int_numpy(trials)
        after, s = ops.int_numpy(region), ops.int_numpy(sums)
        r, rt = ops.int_numpy(rows), ops.int_numpy(row_trials)
        base = after - s                                     # (T, n_post), per trial in tr
        where = np.searchsorted(tr, rt)
        start = np.flatnonzero(np.r_[True, rt[1:] != rt[:-1]])
        running = base[where] + _group_cumsum(r, start)
        hit = (r > 0) & (running > fx.RING_MAX)
        k, j = np.nonzero(hit)
        np.add.at(self.ring_saturations, (rt[k], self.col_pop[np.arange(cols.start, cols.stop)[j]]), 1)
        region = region.clip(None, fx.RING_MAX)
        slot[trials, cols] = region

    def saturations(self) -> dict:
        """{population: {"ring_buffer": (batch,), "accum": (batch,)}} counts of this run."""
        acc = self.neurons.accum_saturations
        return {name: {"ring_buffer": self.ring_saturations[:, k].copy(), "accum": acc[:, k].copy()}
                for k, name in enumerate(self.c.params["fx_populations"])}

    def run(self, steps: int, source_events: dict, record_v) -> tuple:
        log, v = super().run(steps, source_events, record_v)
        return log, (None if v is None else v / fx.ONE)       # recorded V in mV


def _group_cumsum(values, start):
    """Cumulative sums along axis 0 restarting at each index in `start` (groups are contiguous)."""
    cs = np.cumsum(values, axis=0)
    offset = np.zeros_like(cs)
    prev = cs[start[1:] - 1] if len(start) > 1 else cs[:0]
    lens = np.diff(np.append(start, len(values)))
    offset[start[0]:] = np.repeat(np.concatenate([np.zeros_like(cs[:1]), prev]), lens, axis=0)
    return cs - offset
