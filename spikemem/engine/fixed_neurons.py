"""IF_curr_exp on a SpiNNaker core's integers: the fixed-point membrane of numerics="fixed".

A step of one neuron, as sPyNNaker 7.4 runs it (docs/fixed_point.md):
  I_e += decay_s1615(ring_e << shift_e, init_e)         (and I_i)   neuron.c (neuron_transfer),
                                                        synapse_row.h, exp_synapse_utils.h (add_input_exp)
  alpha = round(I_e - I_i + I_offset, R) + V_rest                  neuron_model_lif_impl.h
  V = alpha - round(exp_TC, alpha - V)                             (lif_neuron_closed_form)
  threshold, reset and refractory hold: the engine's (V >= V_thresh on the bits)
  I_e = decay_s1615(I_e, decay_e)                       (and I_i)   exp_synapse_utils.h (exp_shaping)
round() is the round-to-nearest, saturating accum multiply; every other operation truncates.
Values are raw s16.15 bits in int64 arrays, clamped to the accum range after each operation
that could leave it (a core's non-saturating additions would wrap instead: such steps are
counted per population as accum saturations, and a run that has any cannot be trusted).
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..description import realisation
from ..errors import UnsupportedFeature
from . import fixed_point as fx
from .board_weights import ring_buffer_shifts


def chip_params(net, if_pops) -> dict:
    """The per-neuron and per-current-column integers a core derives at start-up, for flatten().

    Cell values are taken as the spinnaker lowering sends them (tau_refrac rounded to whole
    steps, or 0), so a fixed run predicts the board spikemem deploys to.
    """
    dt = net.simulation.dt
    shifts = ring_buffer_shifts(net)
    neuron, column = {}, {k: [] for k in ("fx_decay", "fx_init", "fx_shift")}
    keys = ("fx_v_rest", "fx_v_reset", "fx_v_thresh", "fx_i_offset", "fx_v_start", "fx_R", "fx_exp_tc", "refrac")
    for k in keys:
        neuron[k] = []
    for p in if_pops:
        c = p.cell
        if c.kind != "IF_curr_exp":
            raise UnsupportedFeature(f"{p.name}.cell: numerics='fixed' models sPyNNaker's IF_curr_exp; "
                                     f"{c.kind} has no fixed-point model here (cell.delta)")
        if c.onset:
            raise UnsupportedFeature(f"{p.name}.cell.onset={c.onset!r}: a SpiNNaker core has no onset hold (cell.onset)")
        a = realisation.cell_arrays(p)             # a value per neuron (the same in most populations)
        lif = _per_unique(np.stack([a.tau_m, a.cm, a.tau_refrac], axis=1),
                          lambda row: _lif_constants(SimpleNamespace(tau_m=row[0], cm=row[1], tau_refrac=row[2]), dt))
        words = [_per_unique(getattr(a, f)[:, None], lambda row, f=f: (fx.s1615(row[0], f"{p.name}.{f}"),))[:, 0]
                 for f in ("v_rest", "v_reset", "v_thresh", "i_offset")]
        values = (*words, _per_unique(a.v_start[:, None], lambda row: (fx.s1615(row[0], f"{p.name}.v_init"),))[:, 0],
                  lif[:, 0], lif[:, 1], lif[:, 2])
        for k, v in zip(keys, values):
            neuron[k].append(np.broadcast_to(np.asarray(v, dtype=np.int64), (p.size,)).copy())
    for receptor, tau_of in ((0, lambda a: a.tau_syn_E), (1, lambda a: a.tau_syn_I)):
        for p in if_pops:
            tau = tau_of(realisation.cell_arrays(p))
            di = _per_unique(tau[:, None], lambda row: fx.synapse_decay_init(row[0], dt))
            for k, v in (("fx_decay", di[:, 0]), ("fx_init", di[:, 1]), ("fx_shift", shifts[p.name][receptor])):
                column[k].append(np.broadcast_to(np.asarray(v, dtype=np.int64), (p.size,)).copy())
    cat = (lambda parts: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64))
    out = {k: cat(v) for k, v in {**neuron, **column}.items()}
    out["fx_pop"] = cat([np.full(p.size, k, dtype=np.int64) for k, p in enumerate(if_pops)])
    out["fx_populations"] = [p.name for p in if_pops]
    return out


def _per_unique(rows: np.ndarray, fn) -> np.ndarray:
    """fn(row) (a tuple of ints) for every row, computed once per distinct row: (n, k) int64."""
    if not len(rows):
        return np.zeros((0, 3), dtype=np.int64)
    uniq, inv = np.unique(rows, axis=0, return_inverse=True)
    return np.array([fn(row) for row in uniq], dtype=np.int64).reshape(len(uniq), -1)[inv.ravel()]


def _lif_constants(cell, dt: float) -> tuple:
    """fx.lif_constants of `cell` with tau_refrac as the spinnaker lowering sends it (whole steps)."""
    steps = round(cell.tau_refrac / dt)
    return fx.lif_constants(cell.tau_m, cell.cm, steps * dt if steps else 0.0, dt)


class FixedIFNeurons:
    """Engine plug-in for numerics="fixed"; V and the currents are s16.15 bits (int64)."""

    def __init__(self, e):
        c, ops, p = e.c, e.ops, e.c.params
        n = self.n = c.n_if
        self.I = ops.zeros_int((e.B, 2 * n))               # >= 0: weights are unsigned
        self.shift, self.init, self.decay = (ops.ints(p[k]) for k in ("fx_shift", "fx_init", "fx_decay"))
        self.R, self.exp_tc = ops.ints(p["fx_R"]), ops.ints(p["fx_exp_tc"])
        # (entry << shift) * init == entry * (init << shift), one multiply, while the product fits
        self.init_shifted = ops.ints(p["fx_init"] << p["fx_shift"]) if n and p["fx_shift"].max() <= 15 else None
        # (x + 2^14) >> 15 + V_rest == (x + 2^14 + (V_rest << 15)) >> 15: the rounding and V_rest in one add
        self.round_rest = ops.ints((1 << (fx.FRAC_BITS - 1)) + (p["fx_v_rest"] << fx.FRAC_BITS))
        self.v_rest, self.i_offset = ops.ints(p["fx_v_rest"]), ops.ints(p["fx_i_offset"])
        self.offset = bool(np.any(p["fx_i_offset"]))
        small = ("fx_v_rest", "fx_i_offset", "fx_v_reset", "fx_v_start")
        self.fast = all(np.all(np.abs(p[k]) < _PARAM) for k in small)
        big = (lambda k: int(np.abs(p[k]).max()) if n else 0)
        self.r_max, self.off_max, self.rest_max = big("fx_R"), big("fx_i_offset"), big("fx_v_rest")
        self.v_large = False          # a clamped step left |V| >= _SAFE: stay on the clamping path
        self.pop_of, self.ops = p["fx_pop"], ops
        self.accum_saturations = np.zeros((e.B, len(p["fx_populations"])), dtype=np.int64)

    def membrane(self, e, arrived):
        """The step on unclamped int64 when no clamp of _saturating could act (then both give
        the same integers); otherwise _saturating."""
        n, half = self.n, 1 << (fx.FRAC_BITS - 1)
        if not n:
            return e.V
        if not self.fast or self.v_large:
            return self._saturating(e, arrived)
        if self.init_shifted is not None:
            I = arrived * self.init_shifted
        else:
            I = arrived << self.shift
            if int(I.max()) > fx.INT32_MAX:
                return self._saturating(e, arrived)    # an entry << shift must stay an accum
            I *= self.init
        I >>= 32
        I += self.I                                         # the currents with this step's input (>= 0)
        top = int(I.max())
        if top > _LIMIT:
            return self._saturating(e, arrived)
        v = I[:, :n] - I[:, n:]
        if self.offset:
            v += self.i_offset
        v *= self.R
        v += self.round_rest
        v >>= fx.FRAC_BITS                                  # alpha = round(total R) + V_rest
        if ((top + self.off_max) * self.r_max + half >> fx.FRAC_BITS) + self.rest_max >= _SAFE and \
                (int(v.max()) >= _SAFE or int(v.min()) <= -_SAFE):
            return self._saturating(e, arrived)            # (the bound spares the check when it can)
        d = v - e.V                                         # |alpha|, |V| < 2^30: an accum
        d *= self.exp_tc
        d += half
        d >>= fx.FRAC_BITS
        v -= d                                              # V = alpha - round(exp_TC (alpha - V))
        I *= self.decay
        I >>= 32
        self.I = I
        return v

    def _saturating(self, e, arrived):
        """The same step with every clamp: the saturating multiplies of a core, and a clamp after
        each addition or shift (where a core would wrap). Each clamp that acts is counted."""
        n, I, half = self.n, self.I, 1 << (fx.FRAC_BITS - 1)
        inp = arrived << self.shift
        self._rail(inp, both_halves=True)
        I += fx.decay_s1615(inp, self.init)
        self._rail(I, both_halves=True)
        total = I[:, :n] - I[:, n:]
        total += self.i_offset
        self._rail(total)
        alpha = total * self.R
        alpha += half
        alpha >>= fx.FRAC_BITS
        self._rail(alpha)                                  # round.h: the product saturates
        alpha += self.v_rest
        self._rail(alpha)
        diff = alpha - e.V
        self._rail(diff)
        alpha -= fx.mul_round_nearest(self.exp_tc, diff)   # |exp_TC| <= 1: cannot saturate
        self._rail(alpha)
        I *= self.decay
        I >>= 32
        self.v_large = int(alpha.max()) >= _SAFE or int(alpha.min()) <= -_SAFE
        return alpha

    def _rail(self, a, both_halves: bool = False):
        """Clamp to the accum range; count (trial, population) entries that had to be clamped."""
        if int(a.max()) <= fx.INT32_MAX and int(a.min()) >= fx.INT32_MIN:
            return
        out = self.ops.numpy((a > fx.INT32_MAX) | (a < fx.INT32_MIN)).astype(bool)
        if both_halves:
            out = out[:, :self.n] | out[:, self.n:]
        rows, cols = np.nonzero(out)
        np.add.at(self.accum_saturations, (rows, self.pop_of[cols]), 1)
        fx.saturate(a)


# The unclamped path is exact when no clamp of _saturating could act: with |V_rest|, |I_offset|,
# |V_reset|, |V_init| < 2^29, currents <= _LIMIT keep I_e - I_i + I_offset an accum, |alpha| <
# _SAFE keeps round(total R) one, and with |V| < _SAFE (kept: V moves between alpha and V, or is
# reset) alpha - V is one too.
_PARAM = 1 << 29
_SAFE = 1 << 30
_LIMIT = fx.INT32_MAX - _PARAM


# -- how far a core's constants are from float's (for spikemem spinnaker check and deploy tools) --
def membrane_gain(cell, dt: float) -> float:
    """A core's mV per nA per step over float's: (1 - exp_TC) R against (1 - exp(-dt/tau_m)) tau_m/cm.
    exp_TC has 15 fraction bits, so for tau_m >> dt the leak, hence the gain, is off by about
    one part in 2^15 dt / tau_m (22 % at tau_m = 10^4 dt)."""
    r, exp_tc, _ = _lif_constants(cell, dt)
    return ((1 - exp_tc / fx.ONE) * r / fx.ONE) / ((1 - math.exp(-dt / cell.tau_m)) * cell.tau_m / cell.cm)


def synapse_charge(tau: float, dt: float) -> float:
    """A core's total charge per unit weight over float's: init/(1 - decay) against tau/dt."""
    decay, init = fx.synapse_decay_init(tau, dt)
    return (init / 2 ** 32) / (1 - decay / 2 ** 32) / (tau / dt)


def board_tau_m(cell, dt: float, max_change: float = 0.25, tolerance: float = 1e-3) -> float:
    """A tau_m within max_change of cell.tau_m at which a core's membrane gain matches float's
    (just above a point 2^15 dt / L of the s16.15 grid, where expk's rounding cancels), or
    cell.tau_m itself when its gain is already within tolerance or no such point is near."""
    from dataclasses import replace
    best = (abs(membrane_gain(cell, dt) - 1), cell.tau_m)
    if best[0] <= tolerance:
        return cell.tau_m
    l0 = fx.ONE * dt / cell.tau_m
    for L in range(max(1, math.floor(l0) - 3), math.ceil(l0) + 4):
        tau = fx.ONE * dt / L * (1 + 2.0 ** -20)
        if abs(tau / cell.tau_m - 1) <= max_change:
            err = abs(membrane_gain(replace(cell, tau_m=tau), dt) - 1)
            best = min(best, (err, tau))
    return best[1]
