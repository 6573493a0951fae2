"""Pair STDP on a batch of weight matrices in torch, event by event.

A line-for-line port of the reference backend's STDP (same call order per step: decay(),
post(bs, js, open_) with the post spikes seen now, pre(bs, is_, t, open_) with this step's
pre spikes) so that float64 runs give the reference's spikes exactly. open_ is None or a
(batch,) bool of the trials whose plasticity gate spikes now.
Work is proportional to the spikes of a step, not to the size of the weight matrices.
"""
from __future__ import annotations

import math

import torch


class OnlineSTDP:
    """Unlimited post history: potentiation is applied when the post event is seen."""

    def __init__(self, block, batch: int, dt: float, device, dtype):
        r = block.rule
        self.block, self.rule, self.dtype = block, r, dtype
        w0 = torch.as_tensor(block.w0, dtype=dtype, device=device)
        self.W = w0.unsqueeze(0).repeat(batch, 1, 1)
        self.mask = None if block.mask is None else torch.as_tensor(block.mask, dtype=dtype, device=device)
        self.x = torch.zeros(batch, block.n_pre, dtype=dtype, device=device)
        self.y = torch.zeros(batch, block.n_post, dtype=dtype, device=device)
        self.dec_x = math.exp(-dt / r.tau_plus)
        self.dec_y = math.exp(-dt / r.tau_minus)
        self.pending = torch.zeros_like(self.W) if r.clamp == "per_update" else None
        self.seen = None
        self.y_before = None

    def decay(self):
        self.x *= self.dec_x
        self.y *= self.dec_y
        self.seen = None

    def post(self, bs, js, open_=None):
        if not len(bs):
            return
        r = self.rule
        seen = self.seen = torch.zeros(self.y.shape, dtype=torch.bool, device=self.y.device)
        seen[bs, js] = True
        if not r.depress_at_zero:
            self.y_before = self.y.clone()
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
        inc = self.rule.A_plus * self.x[bs]
        if self.mask is not None:
            inc *= self.mask[:, js].T
        if self.pending is not None:
            self.pending[bs, :, js] += inc
        else:
            self.W[bs, :, js] = self._clip(self.W[bs, :, js] + inc, self.mask[:, js].T if self.mask is not None else None)

    def _clip(self, rows, mask):
        rows = rows.clamp_(self.rule.w_min, self.rule.w_max)
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
        rows = self.W[bs, is_]
        sent = rows.clone() if r.transmit == "before_update" else None
        rows = self._apply_deferred(rows, bs, is_, t)
        if r.potentiate_at_zero and self.seen is not None:
            rows += r.A_plus * self.seen[bs].to(self.dtype)
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

    def weights(self):
        """Weights as if every pending update were applied now; absent synapses are NaN."""
        W = self.W.clone()
        if self.pending is not None:
            W = (W + self.pending).clamp_(self.rule.w_min, self.rule.w_max)
        if self.mask is not None:
            W[:, self.mask == 0] = float("nan")
        return W.cpu().double().numpy()


class HistorySTDP(OnlineSTDP):
    """sPyNNaker's deferred update with a bounded post history per neuron (see the reference)."""

    def __init__(self, block, batch: int, dt: float, device, dtype):
        super().__init__(block, batch, dt, device, dtype)
        H = self.H = self.rule.post_history
        self.hist = torch.full((batch, block.n_post, H), -math.inf, dtype=dtype, device=device)
        self.count = torch.ones(batch, block.n_post, dtype=torch.int64, device=device)
        self.x_last = torch.zeros(batch, block.n_pre, dtype=dtype, device=device)
        self.t_last = torch.full((batch, block.n_pre), -math.inf, dtype=dtype, device=device)

    def fired(self, bs, js, t: int):
        """Record post spikes of step t; STDP will see them at t + dendritic delay."""
        if not len(bs):
            return
        cnt = self.count[bs, js]
        full = cnt >= self.H
        fb, fj = bs[full], js[full]
        self.hist[fb, fj, 1:-1] = self.hist[fb, fj, 2:]
        slot = torch.where(full, torch.full_like(cnt, self.H - 1), cnt)
        self.hist[bs, js, slot] = float(t + self.block.dendritic)
        self.count[bs, js] = torch.clamp(cnt + 1, max=self.H)

    def _potentiate(self, bs, js):
        pass  # deferred to the next pre spike

    def _apply_deferred(self, rows, bs, is_, t):
        r = self.rule
        t_last, x_last = self.t_last[bs, is_][:, None], self.x_last[bs, is_][:, None]
        acc = torch.zeros_like(rows) if self.pending is not None else None
        mask = self.mask[is_] if self.mask is not None else None
        for s in range(1, self.H):
            te = self.hist[bs, :, s]
            valid = (te > t_last) & (te <= t)
            if not bool(valid.any()):
                continue
            gap = torch.where(valid, te - t_last, torch.zeros_like(te))
            inc = torch.where(valid, r.A_plus * x_last * self.dec_x ** gap, torch.zeros_like(te))
            if acc is not None:
                acc += inc
            else:
                rows = self._clip(rows + inc, mask)
        if acc is not None:
            self.pending[bs, is_] += acc
        return rows

    def _pre_trace(self, bs, is_, t):
        if self.rule.traces == "all_to_all":
            gap = t - self.t_last[bs, is_]
            decayed = self.x_last[bs, is_] * self.dec_x ** gap
            self.x_last[bs, is_] = torch.nan_to_num(decayed) + 1.0
        else:
            self.x_last[bs, is_] = 1.0
        self.t_last[bs, is_] = float(t)

    def flush(self, t_end: int):
        B, n_pre = self.x_last.shape
        dev = self.W.device
        bs = torch.arange(B, device=dev).repeat_interleave(n_pre)
        is_ = torch.arange(n_pre, device=dev).repeat(B)
        self.W[bs, is_] = self._apply_deferred(self.W[bs, is_], bs, is_, t_end)
        self.t_last.fill_(float(t_end))


def make_stdp(block, batch: int, dt: float, device, dtype):
    cls = OnlineSTDP if block.rule.post_history is None else HistorySTDP
    return cls(block, batch, dt, device, dtype)
