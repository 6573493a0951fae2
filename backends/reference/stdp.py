"""Pair STDP on a batch of weight matrices, event by event (spec ca3_cam.md section 1.5).

Per step the engine calls, in this order: decay(), post(bs, js, open_) with the (trial,
neuron) post spikes that STDP sees now (fired dendritic-delay steps ago), then
pre(bs, is_, t, open_) for the pre spikes of this step, which returns the weight rows they
transmit. open_ is None, or a (batch,) bool of the trials whose plasticity gate is open now. Post events come before pre events
of the same time, so a pair with dt = 0 depresses and does not potentiate.
"""
from __future__ import annotations

import numpy as np


class OnlineSTDP:
    """Unlimited post history: potentiation is applied when the post event is seen."""

    def __init__(self, block, batch: int, dt: float):
        r = block.rule
        self.block, self.rule = block, r
        self.W = np.repeat(block.w0[None], batch, axis=0)
        self.mask = block.mask
        self.x = np.zeros((batch, block.n_pre))     # pre trace, spikes up to the last step
        self.y = np.zeros((batch, block.n_post))    # post trace, seen post events up to now
        self.dec_x = np.exp(-dt / r.tau_plus)
        self.dec_y = np.exp(-dt / r.tau_minus)
        self.pending = np.zeros_like(self.W) if r.clamp == "per_update" else None
        self.seen = None        # (B, n_post) bool of post events seen this step, or None
        self.y_before = None    # y before this step's post events (for depress_at_zero=False)

    def decay(self):
        self.x *= self.dec_x
        self.y *= self.dec_y
        self.seen = None

    def post(self, bs, js, open_=None):
        r = self.rule
        self.seen = np.zeros(self.y.shape, dtype=bool)
        self.seen[bs, js] = True
        if not r.depress_at_zero:
            self.y_before = self.y.copy()
        if open_ is None:
            self._potentiate(bs, js)
        else:
            k = open_[bs]
            if k.any():
                self._potentiate(bs[k], js[k])
        if r.traces == "all_to_all":
            self.y[bs, js] += 1.0
        else:
            self.y[bs, js] = 1.0

    def _potentiate(self, bs, js):
        inc = self.rule.A_plus * self.x[bs]                     # (K, n_pre)
        if self.mask is not None:
            inc *= self.mask[:, js].T
        if self.pending is not None:
            self.pending[bs, :, js] += inc
        else:
            self.W[bs, :, js] = self._clip(self.W[bs, :, js] + inc, self.mask[:, js].T if self.mask is not None else None)

    def _clip(self, rows, mask):
        np.clip(rows, self.rule.w_min, self.rule.w_max, out=rows)
        if mask is not None:
            rows *= mask
        return rows

    def pre(self, bs, is_, t, open_=None):
        if open_ is not None and not open_[bs].all():
            k = open_[bs]
            if k.any():
                self._update(bs[k], is_[k], t)
            self._pre_trace(bs[~k], is_[~k], t)
            return self.W[bs, is_]
        return self._update(bs, is_, t)

    def _update(self, bs, is_, t):
        r = self.rule
        rows = self.W[bs, is_]                                  # (K, n_post), a copy
        sent = rows.copy() if r.transmit == "before_update" else None
        rows = self._apply_deferred(rows, bs, is_, t)
        if r.potentiate_at_zero and self.seen is not None:
            rows += r.A_plus * self.seen[bs]
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
        W = self.W.copy()
        if self.pending is not None:
            W = np.clip(W + self.pending, self.rule.w_min, self.rule.w_max)
        if self.mask is not None:
            W[:, self.mask == 0] = np.nan
        return W


class HistorySTDP(OnlineSTDP):
    """sPyNNaker's deferred update with a bounded post history per neuron.

    Each post neuron keeps a placeholder plus the last (post_history - 1) events, added when
    the neuron fires. A synapse applies the potentiation of the events in (last pre, now]
    when its pre neuron fires; events pushed out of the history before that are lost.
    """

    def __init__(self, block, batch: int, dt: float):
        super().__init__(block, batch, dt)
        H = self.rule.post_history
        self.H = H
        self.hist = np.full((batch, block.n_post, H), -np.inf)   # seen times (steps)
        self.count = np.ones((batch, block.n_post), dtype=np.int64)
        self.x_last = np.zeros((batch, block.n_pre))             # pre trace right after the last pre spike
        self.t_last = np.full((batch, block.n_pre), -np.inf)

    def fired(self, bs, js, t: int):
        """Record post spikes of step t; STDP will see them at t + dendritic delay."""
        if not len(bs):
            return
        full = self.count[bs, js] >= self.H
        fb, fj = bs[full], js[full]
        self.hist[fb, fj, 1:-1] = self.hist[fb, fj, 2:]
        slot = np.where(full, self.H - 1, self.count[bs, js])
        self.hist[bs, js, slot] = t + self.block.dendritic
        self.count[bs, js] = np.minimum(self.count[bs, js] + 1, self.H)

    def _potentiate(self, bs, js):
        pass  # deferred to the next pre spike

    def _apply_deferred(self, rows, bs, is_, t):
        r = self.rule
        t_last, x_last = self.t_last[bs, is_][:, None], self.x_last[bs, is_][:, None]
        acc = np.zeros_like(rows) if self.pending is not None else None
        mask = self.mask[is_] if self.mask is not None else None
        for s in range(1, self.H):
            te = self.hist[bs, :, s]                               # (K, n_post)
            valid = (te > t_last) & (te <= t)
            if not valid.any():
                continue
            with np.errstate(invalid="ignore", over="ignore"):
                inc = np.where(valid, r.A_plus * x_last * self.dec_x ** (te - t_last), 0.0)
            if acc is not None:
                acc += inc
            else:
                rows = self._clip(rows + inc, mask)
        if acc is not None:
            self.pending[bs, is_] += acc
        return rows

    def _pre_trace(self, bs, is_, t):
        if self.rule.traces == "all_to_all":
            with np.errstate(over="ignore"):
                decayed = self.x_last[bs, is_] * self.dec_x ** (t - self.t_last[bs, is_])
            self.x_last[bs, is_] = np.nan_to_num(decayed) + 1.0
        else:
            self.x_last[bs, is_] = 1.0
        self.t_last[bs, is_] = t

    def flush(self, t_end: int):
        """Apply the potentiation still pending at the end of the run (for reading weights)."""
        B, n_pre = self.x_last.shape
        bs, is_ = np.meshgrid(np.arange(B), np.arange(n_pre), indexing="ij")
        bs, is_ = bs.ravel(), is_.ravel()
        rows = self._apply_deferred(self.W[bs, is_], bs, is_, t_end)
        self.W[bs, is_] = rows
        self.t_last[:] = t_end


def make_stdp(block, batch: int, dt: float):
    cls = OnlineSTDP if block.rule.post_history is None else HistorySTDP
    return cls(block, batch, dt)
