"""Pair STDP on a batch of weight matrices, event by event (docs/stdp.md); additive or
multiplicative weight dependence (a step scaled by w_max - w or w - w_min).

One implementation for every array library: it comes in as an `ops` object (spikemem.engine.numpy_ops
for numpy, spikemem.engine.torch_ops for torch), so numpy and torch share each rule and each
rounding, and float64 runs agree exactly.

Per step the engine calls, in this order: decay(), post(bs, js, open_) with the (trial,
neuron) post spikes that STDP sees now (fired dendritic-delay steps ago), then
pre(bs, is_, t, open_) for the pre spikes of this step, which returns the weight rows they
transmit. open_ is None, or a (batch,) bool of the trials whose plasticity gate is open now.
Post events come before pre events of the same time, so a pair with dt = 0 depresses and
does not potentiate. Work is proportional to the spikes of a step.

Live sessions (docs/scale.md) need two more things: the state arrays by name (STATE, for
save/load and checkpoints) and an undo journal of the weight rows and columns a step
overwrites, so a tentative run can be taken back without copying the dense matrices.
"""
from __future__ import annotations

import math

import numpy as np

from ..description import validation
from .numpy_ops import NumpyOps


class OnlineSTDP:
    """Unlimited post history: potentiation is applied when the post event is seen."""

    STATE = ("W", "x", "y", "pending")     # what a step carries to the next (seen/y_before: within a step)

    def __init__(self, block, batch: int, dt: float, ops=None):
        r = block.rule
        self.ops = ops = ops or NumpyOps()
        self.block, self.rule = block, r
        self.W = initial_weights(block, batch, ops)
        self.mask = None if block.mask is None else ops.array(block.mask)
        self.x = ops.zeros((batch, block.n_pre))    # pre trace, spikes up to the last step
        self.y = ops.zeros((batch, block.n_post))   # post trace, seen post events up to now
        self.dec_x = math.exp(-dt / r.tau_plus)
        self.dec_y = math.exp(-dt / r.tau_minus)
        self.pending = ops.zeros(tuple(self.W.shape)) if r.clamp == "per_update" else None
        self.multiplicative = r.weight_dependence == "multiplicative"   # steps scale with the room left
        self.seen = None        # (B, n_post) bool of post events seen this step, or None
        self.y_before = None    # y before this step's post events (for depress_at_zero=False)
        self.journal = None     # a list while a tentative run records what it overwrites
        w0 = block.w0[:1, :1] if block.w0.strides == (0, 0) else block.w0    # a uniform start: one value
        w0 = w0 if block.mask is None else w0[block.mask != 0]
        # weights that start within [w_min, w_max] stay there: a clip then never acts where nothing changed
        self.in_bounds = bool(np.all((w0 >= r.w_min) & (w0 <= r.w_max)))
        self.sparse = getattr(ops, "gathers_rows", False) and self.in_bounds
        self.t_end = 0          # the step the engine has simulated up to (weights() reads at it)

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
        self._keep_columns(bs, js)
        rows = self._traced_rows()
        if rows is not None:
            return self._potentiate_rows(bs, js, rows)
        inc = self.rule.A_plus * self.x[bs]                     # (K, n_pre)
        if self.multiplicative:
            inc = inc * (self.rule.w_max - self.W[bs, :, js])
        mask = None if self.mask is None else self.mask[:, js].T
        if mask is not None:
            inc *= mask
        if self.pending is not None:
            self.pending[bs, :, js] += inc
        else:
            self.W[bs, :, js] = self._clip(self.W[bs, :, js] + inc, mask)

    def _traced_rows(self):
        """The pre neurons with a nonzero trace in any trial, when they are few: the others' weights
        would not change (W + 0, clipped, is W while W lies within [w_min, w_max], which
        `sparse` checked at the start), so potentiation gathers only these rows. numpy only: a
        gather of a data-dependent size costs torch a host sync."""
        if not self.sparse:
            return None
        rows = np.flatnonzero(self.x.any(axis=0))
        return rows if 2 * len(rows) < self.block.n_pre else None

    def _potentiate_rows(self, bs, js, rows):
        b, i, j = bs[:, None], rows[None, :], js[:, None]
        inc = self.rule.A_plus * self.x[b, i]                   # (K, R)
        if self.multiplicative:
            inc = inc * (self.rule.w_max - self.W[b, i, j])
        mask = None if self.mask is None else self.mask[i, j]
        if mask is not None:
            inc *= mask
        if self.pending is not None:
            self.pending[b, i, j] += inc
        else:
            self.W[b, i, j] = self._clip(self.W[b, i, j] + inc, mask)

    def _clip(self, rows, mask):
        rows = self.ops.clip_(rows, self.rule.w_min, self.rule.w_max)
        if mask is not None:
            rows *= mask
        return rows

    def pre(self, bs, is_, t, open_=None):
        if open_ is not None:
            k = open_[bs]
            if not bool(k.all()):
                # a closed trial sends its weight as it is, an open one what its own update sends
                before = self.rule.transmit == "before_update"
                sent = self.W[bs, is_] if before else None
                if bool(k.any()):
                    rows = self._update(bs[k], is_[k], t)
                    if before:
                        sent[k] = rows
                self._pre_trace(bs[~k], is_[~k], t)
                return sent if before else self.W[bs, is_]
        return self._update(bs, is_, t)

    def _update(self, bs, is_, t):
        r = self.rule
        self._keep_rows(bs, is_)
        rows = self.W[bs, is_]                                  # (K, n_post), a copy
        cols = self._traced_columns(r)
        if cols is not None:                                    # depression touches only these
            return self._depress_columns(rows, bs, is_, t, cols)
        sent = self.ops.copy(rows) if r.transmit == "before_update" else None
        rows = self._apply_deferred(rows, bs, is_, t)
        if r.potentiate_at_zero and self.seen is not None:
            at_zero = self.seen[bs]                # the synapses whose post event is now
            inc = r.A_plus * self.ops.floats(at_zero)
            if self.multiplicative:
                inc = inc * (r.w_max - rows)
            if self.pending is not None:
                rows += inc
            elif self.in_bounds:
                rows = self._clip(rows + inc, None)
            else:                                  # clipped where potentiated, and nowhere else
                rows = self.ops.where(at_zero, self._clip(rows + inc, None), rows)
        y = self.y if (r.depress_at_zero or self.seen is None) else self.y_before
        loss = r.A_minus * y[bs]
        rows -= loss * (rows - r.w_min) if self.multiplicative else loss
        if self.pending is not None:
            rows += self.pending[bs, is_]
            self.pending[bs, is_] = 0.0
        rows = self._clip(rows, self.mask[is_] if self.mask is not None else None)
        self.W[bs, is_] = rows
        self._pre_trace(bs, is_, t)
        return rows if sent is None else sent

    def _traced_columns(self, r):
        """Post neurons with a nonzero trace, when few and when depression is all a pre spike
        does to a row (the plain rule); as for _traced_rows, the other columns would not change."""
        if not self.sparse or self.pending is not None or r.potentiate_at_zero or type(self) is not OnlineSTDP:
            return None
        cols = np.flatnonzero(self.y.any(axis=0))
        return cols if 2 * len(cols) < self.block.n_post else None

    def _depress_columns(self, rows, bs, is_, t, cols):
        r = self.rule
        sent = self.ops.copy(rows) if r.transmit == "before_update" else None
        y = self.y if (r.depress_at_zero or self.seen is None) else self.y_before
        loss = r.A_minus * y[bs][:, cols]
        sub = rows[:, cols] - (loss * (rows[:, cols] - r.w_min) if self.multiplicative else loss)
        sub = self._clip(sub, self.mask[is_][:, cols] if self.mask is not None else None)
        rows[:, cols] = sub
        self.W[bs[:, None], is_[:, None], cols[None, :]] = sub
        self._pre_trace(bs, is_, t)
        return rows if sent is None else sent

    def _apply_deferred(self, rows, bs, is_, t):
        return rows

    def _pre_trace(self, bs, is_, t):
        if self.rule.traces == "all_to_all":
            self.x[bs, is_] += 1.0
        else:
            self.x[bs, is_] = 1.0

    # -- the undo journal of tentative runs ---------------------------------------------------
    def _keep_rows(self, bs, is_):
        if self.journal is not None:
            pend = None if self.pending is None else self.ops.copy(self.pending[bs, is_])
            self.journal.append((False, bs, is_, self.W[bs, is_], pend))

    def _keep_columns(self, bs, js):
        if self.journal is not None:
            pend = None if self.pending is None else self.ops.copy(self.pending[bs, :, js])
            self.journal.append((True, bs, js, self.W[bs, :, js], pend))

    def undo(self, journal):
        """Put back what the journal's writes overwrote, newest first."""
        for columns, bs, idx, w, pend in reversed(journal):
            if columns:
                self.W[bs, :, idx] = w
                if pend is not None:
                    self.pending[bs, :, idx] = pend
            else:
                self.W[bs, idx] = w
                if pend is not None:
                    self.pending[bs, idx] = pend

    def weights(self) -> np.ndarray:
        """Weights as if every pending update were applied now; absent synapses are NaN."""
        return self._finish_weights(self.ops.copy(self.W), self.pending)

    def _finish_weights(self, W, pending) -> np.ndarray:
        if pending is not None:
            W = self.ops.clip_(W + pending, self.rule.w_min, self.rule.w_max)
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

    STATE = OnlineSTDP.STATE + ("hist", "count", "x_last", "t_last")
    CHUNK = 1 << 22     # entries per slice when weights() applies the deferred potentiation

    def __init__(self, block, batch: int, dt: float, ops=None):
        super().__init__(block, batch, dt, ops)
        ops = self.ops
        H = self.H = self.rule.post_history
        self.hist = ops.full((batch, block.n_post, H), -ops.inf)     # seen times (steps)
        self.count = ops.ones_int((batch, block.n_post))
        self.x_last = ops.zeros((batch, block.n_pre))                # pre trace right after the last pre spike
        self.t_last = ops.full((batch, block.n_pre), -ops.inf)
        self.decayed = Powers(self.dec_x, ops)                       # dec_x ** gap

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
        rows, acc = self._deferred(rows, bs, is_, t)
        if acc is not None:
            self.pending[bs, is_] += acc
        return rows

    def _deferred(self, rows, bs, is_, t):
        """(rows with the potentiation of the post events in (last pre, t] applied, None); with
        per-update clamping (rows, the increments for `pending`) instead."""
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
            inc = ops.where(valid, r.A_plus * x_last * self.decayed(gap), 0.0)
            if self.multiplicative:
                inc = inc * (r.w_max - rows)
            if acc is not None:
                acc += inc
            elif self.in_bounds:
                rows = self._clip(rows + inc, mask)
            else:                        # clip only the synapses this event potentiates
                rows = ops.where(valid, self._clip(rows + inc, mask), rows)
        return rows, acc

    def _pre_trace(self, bs, is_, t):
        if self.rule.traces == "all_to_all":
            never = self.t_last[bs, is_] == -self.ops.inf
            gap = self.ops.where(never, 0.0, t - self.t_last[bs, is_])
            decayed = self.x_last[bs, is_] * self.decayed(gap)
            self.x_last[bs, is_] = self.ops.nan_to_num(decayed) + 1.0
        else:
            self.x_last[bs, is_] = 1.0
        self.t_last[bs, is_] = float(t)

    def weights(self) -> np.ndarray:
        """The weights with the potentiation still deferred at t_end applied, leaving the state
        as it is (a session goes on from it); a slice of synapses at a time, to bound memory."""
        ops = self.ops
        W, P = ops.copy(self.W), None if self.pending is None else ops.copy(self.pending)
        bs, is_ = ops.pairs(*tuple(self.x_last.shape))
        k = max(1, self.CHUNK // max(1, self.block.n_post))
        for lo in range(0, len(bs), k):
            b, i = bs[lo:lo + k], is_[lo:lo + k]
            W[b, i], acc = self._deferred(W[b, i], b, i, self.t_end)
            if acc is not None:
                P[b, i] += acc
        return self._finish_weights(W, P)


class Powers:
    """base ** k for whole numbers of steps k >= 0 (floats) from tables computed once, the same
    bits on every array library (numpy's and torch's `**` differ in the last bit): one table up
    to where the power underflows to 0, or, for time constants so long that this table would
    pass 2**18 entries, the product of base ** (k mod 4096) and base ** (4096 (k // 4096)).
    Past the table's end, and for an infinite k (no spike yet), the power is 0."""

    BITS, ONE_TABLE = 12, 1 << 18

    def __init__(self, base: float, ops):
        self.ops = ops
        # float64's smallest power is about exp(-745): the entries before it underflows
        span = validation.MAX_STEPS + 1 if base >= 1.0 else 1 if base == 0.0 else int(-745.2 / math.log(base)) + 2
        if span <= self.ONE_TABLE:
            self.low, self.high = ops.array(np.append(base ** np.arange(span, dtype=float), 0.0)), None
            self.top = float(span)                              # k at or past this reads the final 0
            return
        n = min((validation.MAX_STEPS >> self.BITS) + 2, (span >> self.BITS) + 2)
        self.low = ops.array(base ** np.arange(1 << self.BITS, dtype=float))
        self.high = ops.array(np.append(base ** (np.arange(n, dtype=float) * (1 << self.BITS)), 0.0))
        self.top = float(n << self.BITS)

    def __call__(self, k):
        """base ** k for k >= 0; k is a temporary and is capped in place."""
        k = self.ops.whole(self.ops.at_most_(k, self.top))
        if self.high is None:
            return self.low[k]
        return self.low[k & ((1 << self.BITS) - 1)] * self.high[k >> self.BITS]


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


def initial_weights(block, batch: int, ops):
    """(batch, n_pre, n_post) weights; a uniform start (a broadcast w0) is filled, not copied."""
    w0 = block.w0
    if w0.strides == (0, 0):
        return ops.full((batch,) + tuple(w0.shape), float(w0[0, 0]) if w0.size else 0.0)
    return ops.array(np.repeat(w0[None], batch, axis=0))


def make_stdp(block, batch: int, dt: float, ops=None):
    cls = OnlineSTDP if block.rule.post_history is None else HistorySTDP
    return cls(block, batch, dt, ops)
