"""Pair STDP with additive or multiplicative weights on a SpiNNaker core's integers (numerics="fixed").

sPyNNaker 7.4's arithmetic (docs/fixed_point.md), with the event bookkeeping of the float rule
(spikemem.engine.stdp, docs/stdp.md) unchanged:
- a plastic weight is 16 bits, w16 = rint(|w| 2^(15 - shift)) with its post population's
  ring-buffer shift; an update lifts it to accum bits (w16 << shift), adds or subtracts
  a * trace, clamps to [w_min, w_max] after each term, and stores (bits >> shift) again
  (weight_additive_one_term_impl.h: weight_get_initial, *_apply_potentiation/depression,
  weight_get_final); a * trace is GCC's truncating accum product (stdp_typedefs.h,
  mul_accum_fixed); multiplicative weights (weight_multiplicative_impl.h) scale a by the room
  left first, scale = (w_max - w) * a+ or (w - w_min) * a- (a truncating accum product, a+- the
  dimensionless amplitudes as S16.15), add or subtract mul_accum_fixed(scale, trace), and are
  not clamped;
- traces are s4.11 int16 values kept per spike, not decayed per step: a pre trace after a
  spike is trace_prev * LUT[gap] + 1, a post trace likewise, and a term uses the last trace
  times LUT[time since it] (timing_pair_impl.h with maths.h: maths_lut_exponential_decay,
  maths_fixed_mul16); LUT[k] = floor(2048 exp(-k dt / tau)) ends after about ln(2048) tau,
  past which a trace counts as zero (get_exp_lut_array);
- potentiation needs a post event strictly after the last pre spike; depression uses the
  last post event seen, if there is one (synapse_dynamics_stdp_common.h,
  plasticity_update_synapse; post_events.h).
With post_history=None every post event is kept (potentiation applied when the event is
seen, which gives the same integers as the deferred update); with post_history=H the
deferred update of HistorySTDP runs on the last H-1 events, as a core does with H = 16.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedFeature
from . import fixed_point as fx
from .board_weights import quantise
from .stdp import HistorySTDP, OnlineSTDP

EMPTY = -(1 << 40)      # time of an empty post-history slot (and of "never")

# description fields that have no counterpart on a core's STDP: (check, what the core does instead)
_REFUSED = (
    (lambda r, pr: r.gate is not None, "stdp.gate", "a third-factor gate"),
    (lambda r, pr: r.traces != "all_to_all", "stdp.traces", "nearest-neighbour traces (this model is the all-to-all pair rule)"),
    (lambda r, pr: r.clamp != "per_event", "stdp.clamp", "clamping once per update (sPyNNaker 7 clamps after each term)"),
    (lambda r, pr: r.transmit != "after_update", "stdp.transmit", "transmitting the weight before its update"),
    (lambda r, pr: r.potentiate_at_zero, "stdp.potentiate_at_zero", "potentiation at dt = 0"),
    (lambda r, pr: not r.depress_at_zero, "stdp.depress_at_zero", "no depression at dt = 0"),
    (lambda r, pr: r.w_min < 0, "stdp.w_min", "negative weights (16-bit weights are unsigned)"),
)


def check_block(block) -> None:
    """Refuse, naming it, what sPyNNaker's pair rule on a core cannot express."""
    r = block.rule
    for test, feature, what in _REFUSED:
        if test(r, block):
            raise UnsupportedFeature(f"{block.name}.plasticity: numerics='fixed' emulates sPyNNaker 7.4's "
                                     f"pair STDP, which has no {what} ({feature})")
    if block.dendritic != block.delay:
        raise UnsupportedFeature(f"{block.name}.plasticity.dendritic_delay: numerics='fixed' emulates sPyNNaker, "
                                 "whose STDP sees a post spike after the synaptic delay (stdp.dendritic_delay)")


class _FixedArithmetic:
    """Shared integer state and terms of both fixed rules."""

    def _setup(self, block, batch: int, c, ops):
        """The integer state of a block FixedEngine has already checked (check_block)."""
        r = block.rule
        self.ops, self.block, self.rule, self.B = ops, block, r, batch
        self.shift = int(c.params["fx_shift"][block.col_off])
        # board units: sPyNNaker writes w_min and w_max times its weight scale (conductances: 1024;
        # weight_dependence_additive.py, _multiplicative.py), the additive rule's A too (the
        # multiplicative one's are dimensionless), and gets IF_curr_alpha's weights scaled to charge
        scales = c.params["fx_wscale"][block.col_off:block.col_off + block.n_post]
        if len(scales) and np.any(scales != scales[0]):
            raise UnsupportedFeature(f"{block.name}.plasticity: its post neurons' weights have different board scales "
                                     "(IF_curr_alpha with tau_syn per neuron: e tau_syn), which one rule's w_min and "
                                     "w_max on a core cannot follow; give the population one tau_syn")
        self.scale = k = float(scales[0]) if len(scales) else 1.0
        self.multiplicative = r.weight_dependence == "multiplicative"
        ka = 1.0 if self.multiplicative else k
        self.a_plus, self.a_minus = fx.s1615(r.A_plus * ka, "A_plus"), fx.s1615(r.A_minus * ka, "A_minus")
        self.w_min, self.w_max = fx.s1615(r.w_min * k, "w_min"), fx.s1615(r.w_max * k, "w_max")
        self.lut_plus = ops.ints(np.append(fx.exp_lut(c.dt, r.tau_plus), 0))
        self.lut_minus = ops.ints(np.append(fx.exp_lut(c.dt, r.tau_minus), 0))
        w16 = quantise(block.w0, self.shift, self.scale)
        self.W = ops.ints(np.repeat((w16 << self.shift)[None], batch, axis=0))   # accum bits
        self.mask = None if block.mask is None else ops.ints(block.mask) != 0
        self.x_last = ops.zeros_int((batch, block.n_pre))      # pre trace right after the last pre spike
        self.t_last = ops.zeros_int((batch, block.n_pre))      # a core starts with last_pre_time = 0
        self.now = -1

    @staticmethod
    def _decayed(lut, trace, gap):
        """trace * LUT[gap], zero past the table's end (gap >= 0 everywhere it is used)."""
        return fx.mul16(trace, lut[fx.at_most(gap, len(lut) - 1)])

    def _potentiate_rows(self, rows, x_last, gap, mask):
        """rows + a+ * x_last * LUT[gap] clamped at w_max, where gap > 0 (and the synapse exists)."""
        trace = self._decayed(self.lut_plus, x_last, gap)
        apply = gap > 0
        if mask is not None:
            apply = apply & mask
        if self.multiplicative:
            return self.ops.where(apply, rows + fx.mul_accum_fixed(fx.mul_accum(self.w_max - rows, self.a_plus), trace), rows)
        inc = fx.mul_accum_fixed(self.a_plus, trace)
        return self.ops.where(apply, fx.at_most(rows + inc, self.w_max), rows)

    def _depress_rows(self, rows, y, gap, valid):
        trace = self._decayed(self.lut_minus, y, gap)
        if self.multiplicative:
            return self.ops.where(valid, rows - fx.mul_accum_fixed(fx.mul_accum(rows - self.w_min, self.a_minus), trace),
                                  rows)
        dec = fx.mul_accum_fixed(self.a_minus, trace)
        return self.ops.where(valid, fx.at_least(rows - dec, self.w_min), rows)

    def decay(self):
        self.now += 1           # traces are not decayed per step; the engine calls this once per step

    def pre(self, bs, is_, t, open_=None):
        """Update the rows of this step's pre spikes; returns the 16-bit weights they transmit."""
        rows = self._apply_deferred(self.W[bs, is_], bs, is_, t)
        rows = self._depress(rows, bs, t)
        w16 = (rows >> self.shift) & fx.RING_MAX
        if self.mask is not None:
            w16 = w16 * self.mask[is_]
        self.W[bs, is_] = w16 << self.shift
        self._pre_trace(bs, is_, t)
        return w16

    def _apply_deferred(self, rows, bs, is_, t):
        return rows

    def _pre_trace(self, bs, is_, t):
        gap = t - self.t_last[bs, is_]
        self.x_last[bs, is_] = fx.wrap16(self._decayed(self.lut_plus, self.x_last[bs, is_], gap) + fx.STDP_ONE)
        self.t_last[bs, is_] = t

    def weights(self) -> np.ndarray:
        """The 16-bit weights in nA (what a core would store now); absent synapses are NaN."""
        W = self.ops.numpy(self.W >> self.shift) * 2.0 ** (self.shift - fx.FRAC_BITS) / self.scale
        if self.block.mask is not None:
            W[:, self.block.mask == 0] = np.nan
        return W


class FixedOnlineSTDP(_FixedArithmetic, OnlineSTDP):
    """post_history=None: every post event counts; potentiation when it is seen."""

    def __init__(self, block, batch: int, c, ops):
        self._setup(block, batch, c, ops)
        n = block.n_post
        self.y = ops.zeros_int((batch, n))           # post trace at the last seen post event
        self.y_time = ops.zeros_int((batch, n)) + EMPTY          # its time (EMPTY: none yet)
        self.pending = None

    def post(self, bs, js, open_=None):
        if not len(bs):
            return
        t = self.now
        mask = None if self.mask is None else self.mask[:, js].T
        self.W[bs, :, js] = self._potentiate_rows(self.W[bs, :, js], self.x_last[bs], t - self.t_last[bs], mask)
        gap = t - self.y_time[bs, js]
        self.y[bs, js] = fx.wrap16(self._decayed(self.lut_minus, self.y[bs, js], gap) + fx.STDP_ONE)
        self.y_time[bs, js] = t

    def _depress(self, rows, bs, t):
        seen = self.y_time[bs]
        return self._depress_rows(rows, self.y[bs], t - seen, seen > EMPTY)


class FixedHistorySTDP(_FixedArithmetic, HistorySTDP):
    """post_history=H: a placeholder plus the last H-1 post events, each with its trace."""

    def __init__(self, block, batch: int, c, ops):
        self._setup(block, batch, c, ops)
        H = self.H = block.rule.post_history
        self.hist = ops.zeros_int((batch, block.n_post, H)) + EMPTY       # seen times
        self.hist_trace = ops.zeros_int((batch, block.n_post, H))
        self.count = ops.ones_int((batch, block.n_post))
        self.pending = None

    def fired(self, bs, js, t: int):
        if not len(bs):
            return
        ops = self.ops
        cnt = self.count[bs, js]
        last_time, last_trace = self.hist[bs, js, cnt - 1], self.hist_trace[bs, js, cnt - 1]
        seen = t + self.block.dendritic
        trace = fx.wrap16(self._decayed(self.lut_minus, last_trace, seen - last_time) + fx.STDP_ONE)
        full = cnt >= self.H
        fb, fj = bs[full], js[full]
        self.hist[fb, fj, 1:-1] = self.hist[fb, fj, 2:]
        self.hist_trace[fb, fj, 1:-1] = self.hist_trace[fb, fj, 2:]
        slot = ops.where(full, self.H - 1, cnt)
        self.hist[bs, js, slot] = seen
        self.hist_trace[bs, js, slot] = trace
        self.count[bs, js] = ops.where(full, self.H, cnt + 1)

    def post(self, bs, js, open_=None):
        pass        # potentiation waits for the next pre spike (deferred, as on a core)

    def _apply_deferred(self, rows, bs, is_, t):
        t_last, x_last = self.t_last[bs, is_][:, None], self.x_last[bs, is_][:, None]
        mask = self.mask[is_] if self.mask is not None else None
        for s in range(1, self.H):
            te = self.hist[bs, :, s]                               # (K, n_post)
            gap = self.ops.where((te > t_last) & (te <= t), te - t_last, 0)
            if bool((gap > 0).any()):
                rows = self._potentiate_rows(rows, x_last, gap, mask)
        return rows

    def _depress(self, rows, bs, t):
        """Depression by the last post event in the history that STDP has seen by t."""
        prev_time = self.ops.zeros_int(tuple(rows.shape)) + EMPTY
        prev_trace = self.ops.zeros_int(tuple(rows.shape))
        for s in range(1, self.H):
            te = self.hist[bs, :, s]
            m = (te > EMPTY) & (te <= t)
            prev_time = self.ops.where(m, te, prev_time)
            prev_trace = self.ops.where(m, self.hist_trace[bs, :, s], prev_trace)
        return self._depress_rows(rows, prev_trace, t - prev_time, prev_time > EMPTY)

    def flush(self, t_end: int):
        """Apply the potentiation still pending at the end of the run (for reading weights)."""
        bs, is_ = self.ops.pairs(*tuple(self.x_last.shape))
        self.W[bs, is_] = self._apply_deferred(self.W[bs, is_], bs, is_, t_end)
        self.t_last[:] = t_end


def make_fixed_stdp(block, batch: int, c, ops):
    cls = FixedOnlineSTDP if block.rule.post_history is None else FixedHistorySTDP
    return cls(block, batch, c, ops)
