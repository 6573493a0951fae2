"""Pair STDP on a batch of weight matrices, event by event (docs/stdp.md).

One implementation for every array library: it comes in as an `ops` object (spikemem.engine.numpy_ops
for numpy, spikemem.engine.torch_ops for torch), so numpy and torch share each rule and each
rounding, and float64 runs agree exactly.

Per step the engine calls, in this order: decay(), post(bs, js, open_) with the (trial,
neuron) post spikes that STDP sees now (fired dendritic-delay steps ago), then
pre(bs, is_, t, open_) for the pre spikes of this step, which returns the weight rows they
transmit. open_ is None, or a (batch,) bool of the trials whose plasticity gate is open now.
Post events come before pre events of the same time, so a pair with dt = 0 depresses and
does not potentiate. Work is proportional to the spikes of a step.
"""
from __future__ import annotations

import math

import numpy as np

from .numpy_ops import NumpyOps


class OnlineSTDP:
    """Unlimited post history: potentiation is applied when the post event is seen."""

    def __init__(self, block, batch: int, dt: float, ops=None):
        r = block.rule
        self.ops = ops = ops or NumpyOps()
        self.block, self.rule = block, r
        self.W = ops.array(np.repeat(block.w0[None], batch, axis=0))
        self.mask = None if block.mask is None else ops.array(block.mask)
        self.x = ops.zeros((batch, block.n_pre))    # pre trace, spikes up to the last step
        self.y = ops.zeros((batch, block.n_post))   # post trace, seen post events up to now
        self.dec_x = math.exp(-dt / r.tau_plus)
        self.dec_y = math.exp(-dt / r.tau_minus)
        self.pending = ops.zeros(tuple(self.W.shape)) if r.clamp == "per_update" else None
        self.seen = None        # (B, n_post) bool of post events seen this step, or None
        self.y_before = None    # y before this step's post events (for depress_at_zero=False)

    def decay(self):
        self.x *= self.dec_x
        self.y *= self.dec_y
        self.seen = None

    def post(self, bs, js, open_=None):
        if not len(bs):
            return
        r = self.rule
        self.seen = self.ops.bools(tuple(self.y.shape))
        self.seen[bs, js] = True
        if not r.depress_at_zero:
            self.y_before = self.ops.copy(self.y)
        if open_ is None:
            self._potentiate(bs, js)
        else:
            k = open_[bs]
            if bool(k.any()):
                self._potentiate(bs[k], js[k])
        if r.traces == "all_to_all":
            self.y[bs, js] += 1.0
        else:
            self.y[bs, js] = 1.0

    def _potentiate(self, bs, js):
        inc = self.rule.A_plus * self.x[bs]                     # (K, n_pre)
        mask = None if self.mask is None else self.mask[:, js].T
        if mask is not None:
            inc *= mask
        if self.pending is not None:
            self.pending[bs, :, js] += inc
        else:
            self.W[bs, :, js] = self._clip(self.W[bs, :, js] + inc, mask)

    def _clip(self, rows, mask):
        rows = self.ops.clip_(rows, self.rule.w_min, self.rule.w_max)
        if mask is not None:
            rows *= mask
        return rows

    def pre(self, bs, is_, t, open_=None):
        if open_ is not None:
            k = open_[bs]
            if not bool(k.all()):
                if bool(k.any()):
                    self._update(bs[k], is_[k], t)
                self._pre_trace(bs[~k], is_[~k], t)
                return self.W[bs, is_]
        return self._update(bs, is_, t)

    def _update(self, bs, is_, t):
        r = self.rule
        rows = self.W[bs, is_]                                  # (K, n_post), a copy
        sent = self.ops.copy(rows) if r.transmit == "before_update" else None
        rows = self._apply_deferred(rows, bs, is_, t)
        if r.potentiate_at_zero and self.seen is not None:
            rows += r.A_plus * self.ops.floats(self.seen[bs])
            if self.pending is None:
                rows = self._clip(rows, None)
        y = self.y if (r.depress_at_zero or self.seen is None) else self.y_before
        rows -= r.A_minus * y[bs]
        if self.pending is not None:
            rows += self.pending[bs, is_]
            self.pending[bs, is_] = 0.0
        rows = self._clip(rows, self.mask[is_] if self.mask is not None else None)
        self.W[bs, is_] = rows
        self._pre_trace(bs, is_, t)
        return rows if sent is None else sent

    def _apply_deferred(self, rows, bs, is_, t):
        return rows

    def _pre_trace(self, bs, is_, t):
        if self.rule.traces == "all_to_all":
            self.x[bs, is_] += 1.0
        else:
            self.x[bs, is_] = 1.0

    def weights(self) -> np.ndarray:
        """Weights as if every pending update were applied now; absent synapses are NaN."""
        W = self.ops.copy(self.W)
        if self.pending is not None:
            W = self.ops.clip_(W + self.pending, self.rule.w_min, self.rule.w_max)
        W = self.ops.numpy(W).copy()
        if self.block.mask is not None:
            W[:, self.block.mask == 0] = np.nan
        return W


class HistorySTDP(OnlineSTDP):
    """sPyNNaker's deferred update with a bounded post history per neuron.

    Each post neuron keeps a placeholder plus the last (post_history - 1) events, added when
    the neuron fires. A synapse applies the potentiation of the events in (last pre, now]
    when its pre neuron fires; events pushed out of the history before that are lost.
    """

    def __init__(self, block, batch: int, dt: float, ops=None):
        super().__init__(block, batch, dt, ops)
        ops = self.ops
        H = self.H = self.rule.post_history
        self.hist = ops.full((batch, block.n_post, H), -ops.inf)     # seen times (steps)
        self.count = ops.ones_int((batch, block.n_post))
        self.x_last = ops.zeros((batch, block.n_pre))                # pre trace right after the last pre spike
        self.t_last = ops.full((batch, block.n_pre), -ops.inf)

    def fired(self, bs, js, t: int):
        """Record post spikes of step t; STDP will see them at t + dendritic delay."""
        if not len(bs):
            return
        cnt = self.count[bs, js]
        full = cnt >= self.H
        fb, fj = bs[full], js[full]
        self.hist[fb, fj, 1:-1] = self.hist[fb, fj, 2:]
        slot = self.ops.where(full, self.H - 1, cnt)
        self.hist[bs, js, slot] = float(t + self.block.dendritic)
        self.count[bs, js] = self.ops.where(full, self.H, cnt + 1)

    def _potentiate(self, bs, js):
        pass  # deferred to the next pre spike

    def _apply_deferred(self, rows, bs, is_, t):
        r, ops = self.rule, self.ops
        t_last, x_last = self.t_last[bs, is_][:, None], self.x_last[bs, is_][:, None]
        acc = ops.zeros(tuple(rows.shape)) if self.pending is not None else None
        mask = self.mask[is_] if self.mask is not None else None
        for s in range(1, self.H):
            te = self.hist[bs, :, s]                               # (K, n_post)
            valid = (te > t_last) & (te <= t)
            if not bool(valid.any()):
                continue
            gap = ops.where(valid, te - ops.where(valid, t_last, 0.0), 0.0)
            inc = ops.where(valid, r.A_plus * x_last * self.dec_x ** gap, 0.0)
            if acc is not None:
                acc += inc
            else:
                rows = self._clip(rows + inc, mask)
        if acc is not None:
            self.pending[bs, is_] += acc
        return rows

    def _pre_trace(self, bs, is_, t):
        if self.rule.traces == "all_to_all":
            never = self.t_last[bs, is_] == -self.ops.inf
            gap = self.ops.where(never, 0.0, t - self.t_last[bs, is_])
            decayed = self.x_last[bs, is_] * self.dec_x ** gap
            self.x_last[bs, is_] = self.ops.nan_to_num(decayed) + 1.0
        else:
            self.x_last[bs, is_] = 1.0
        self.t_last[bs, is_] = float(t)

    def flush(self, t_end: int):
        """Apply the potentiation still pending at the end of the run (for reading weights)."""
        bs, is_ = self.ops.pairs(*tuple(self.x_last.shape))
        self.W[bs, is_] = self._apply_deferred(self.W[bs, is_], bs, is_, t_end)
        self.t_last[:] = float(t_end)


def see_post_spikes(plastic, recent, t: int, gates: dict) -> None:
    """Step t's post events for every plastic block: decay the traces, record the spikes
    HistorySTDP keeps, and show each block the post spikes its dendritic delay makes due now.

    recent holds (step, trials, neurons) of the last IF spikes; gates maps id(block) to open_.
    """
    by_step = {s: (fb, fi) for s, fb, fi in recent}
    for s in plastic:
        b = s.block
        s.decay()
        lo, hi = b.post_off, b.post_off + b.n_post
        if isinstance(s, HistorySTDP) and t in by_step:
            fb, fi = by_step[t]
            fb, fi = s.ops.select((fi >= lo) & (fi < hi), fb, fi)
            s.fired(fb, fi - lo, t)
        if t - b.dendritic in by_step:
            fb, fi = by_step[t - b.dendritic]
            fb, fi = s.ops.select((fi >= lo) & (fi < hi), fb, fi)
            s.post(fb, fi - lo, gates.get(id(s)))


def make_stdp(block, batch: int, dt: float, ops=None):
    cls = OnlineSTDP if block.rule.post_history is None else HistorySTDP
    return cls(block, batch, dt, ops)
