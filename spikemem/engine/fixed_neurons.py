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
from functools import partial
from types import SimpleNamespace

import numpy as np

from ..description import realisation
from ..description.validation import refractory_steps
from ..errors import UnsupportedFeature, ValidationError
from . import fixed_point as fx
from .board_weights import neuron_board_scales, ring_buffer_shifts


def chip_params(net, if_pops) -> dict:
    """The per-neuron and per-current-column integers a core derives at start-up, for flatten().

    Cell values are taken as the spinnaker lowering sends them (tau_refrac as ceil(tau_refrac / dt)
    whole steps), so a fixed run predicts the board spikemem deploys to. IF_curr_exp,
    IF_cond_exp and IF_curr_alpha share the LIF constants; Izhikevich has its own (fx_a, fx_b,
    fx_d, fx_u_start; docs/fixed_point.md). fx_wscale is a column's 16-bit units per
    description weight before the shift (board_weights.board_scale). Every value may differ
    per neuron (spikemem.description.realisation): each constant is derived once per distinct value.
    """
    dt = net.simulation.dt
    shifts = ring_buffer_shifts(net)
    keys = ("fx_v_rest", "fx_v_reset", "fx_v_thresh", "fx_i_offset", "fx_v_start", "fx_R", "fx_exp_tc", "refrac",
            "fx_a", "fx_b", "fx_d", "fx_u_start")
    neuron = {k: [] for k in keys}
    column = {k: [] for k in ("fx_decay", "fx_init", "fx_shift", "fx_e_rev")}
    scales = []
    arrays = {p.name: realisation.cell_arrays(p) for p in if_pops}     # a value per neuron
    for p in if_pops:
        a = arrays[p.name]
        _check_cell(p, a, dt)
        word = partial(_words, a, p.name)
        if p.cell.kind == "Izhikevich":
            values = (0, word("c"), word("v_thresh"), word("i_offset"), word("v_start", "v_init"), 0, 0, 0,
                      word("a"), word("b"), word("d"), word("u_init"))
        else:
            lif = _per_unique(np.stack([a.tau_m, a.cm, a.tau_refrac], axis=1), lambda row: _lif_constants(
                SimpleNamespace(tau_m=row[0], cm=row[1], tau_refrac=row[2]), dt, p.name))
            values = (word("v_rest"), word("v_reset"), word("v_thresh"), word("i_offset"), word("v_start", "v_init"),
                      lif[:, 0], lif[:, 1], lif[:, 2], 0, 0, 0, 0)
        for k, v in zip(keys, values):
            neuron[k].append(np.broadcast_to(np.asarray(v, dtype=np.int64), (p.size,)).copy())
    for receptor, (kind, tau_field, rev_field) in enumerate((("excitatory", "tau_syn_E", "e_rev_E"),
                                                             ("inhibitory", "tau_syn_I", "e_rev_I"))):
        for p in if_pops:
            a = arrays[p.name]
            make = fx.alpha_decay_init if p.cell.kind == "IF_curr_alpha" else fx.synapse_decay_init
            di = _per_unique(getattr(a, tau_field)[:, None],
                             lambda row: _named(f"{p.name}.{tau_field}", make, row[0], dt), width=2)
            rev = _words(a, p.name, rev_field) if hasattr(a, rev_field) else 0
            for k, v in (("fx_decay", di[:, 0]), ("fx_init", di[:, 1]), ("fx_shift", shifts[p.name][receptor]),
                         ("fx_e_rev", rev)):
                column[k].append(np.broadcast_to(np.asarray(v, dtype=np.int64), (p.size,)).copy())
            scales.append(neuron_board_scales(p, kind))
    cat = (lambda parts, dtype=np.int64: np.concatenate(parts) if parts else np.zeros(0, dtype=dtype))
    out = {k: cat(v) for k, v in {**neuron, **column}.items()}
    out["fx_wscale"] = cat(scales, float)
    out["fx_pop"] = cat([np.full(p.size, k, dtype=np.int64) for k, p in enumerate(if_pops)])
    out["fx_populations"] = [p.name for p in if_pops]
    return out


def _words(a, pop: str, name: str, field: str | None = None) -> np.ndarray:
    """The s16.15 words of one per-neuron value (converted once per distinct value)."""
    return _per_unique(getattr(a, name)[:, None], lambda row: (fx.s1615(row[0], f"{pop}.{field or name}"),), width=1)[:, 0]


def _per_unique(rows: np.ndarray, fn, width: int = 3) -> np.ndarray:
    """fn(row) (a tuple of `width` ints) for every row, computed once per distinct row: (n, width) int64."""
    if not len(rows):
        return np.zeros((0, width), dtype=np.int64)
    uniq, inv = np.unique(rows, axis=0, return_inverse=True)
    return np.array([fn(row) for row in uniq], dtype=np.int64).reshape(len(uniq), width)[inv.ravel()]


def _check_cell(p, a, dt: float) -> None:
    """Refuse, by name, what sPyNNaker 7.4 has no fixed-point model for (a: the cell's per-neuron arrays)."""
    c = p.cell
    if c.kind == "IF_curr_delta":
        raise UnsupportedFeature(f"{p.name}.cell: numerics='fixed' models sPyNNaker's IF_curr_exp, IF_cond_exp, "
                                 f"IF_curr_alpha and Izhikevich; {c.kind} has no fixed-point model here (cell.delta)")
    if c.kind == "Izhikevich" and c.delta:
        raise UnsupportedFeature(f"{p.name}.cell: sPyNNaker's Izhikevich has exponential current synapses; one with "
                                 "voltage jumps (tau_syn_E = tau_syn_I = None) has no fixed-point model "
                                 "(cell.izhikevich.delta)")
    if c.onset:
        raise UnsupportedFeature(f"{p.name}.cell.onset={c.onset!r}: a SpiNNaker core has no onset hold (cell.onset)")
    if c.kind == "IF_curr_alpha":
        for f in ("tau_syn_E", "tau_syn_I"):
            for tau in np.unique(getattr(a, f)).tolist():
                if _named(f"{p.name}.{f}", fx.alpha_decay_init, tau, dt)[1] >= fx.ONE:
                    raise UnsupportedFeature(alpha_wrap_message(p.name, f, tau, dt))


def alpha_wrap_message(pop: str, field: str, tau: float, dt: float) -> str:
    return (f"{pop}.cell.{field}={tau!r}: sPyNNaker's alpha synapse keeps dt/tau^2 = {dt / tau ** 2:.3g} in an unsigned "
            f"fract, which holds values below 1 only (synapse_types_alpha_impl.h); a board would apply a wrapped "
            f"fraction of every input. Use tau_syn > {math.sqrt(dt):.3g} ms at dt = {dt:g} ms (cell.alpha.short_tau)")


def _lif_constants(cell, dt: float, pop: str = "") -> tuple:
    """fx.lif_constants of `cell` with tau_refrac as the spinnaker lowering sends it: whole steps,
    ceil(tau_refrac / dt) (validation.refractory_steps; a core takes the same ceiling of what it
    is sent)."""
    steps = refractory_steps(cell.tau_refrac, dt)
    return _named(pop, fx.lif_constants, cell.tau_m, cell.cm, steps * dt if steps else 0.0, dt)


def _named(where: str, fn, *args):
    """fn(*args) with a refusal's field named from `where`: a population (its field is then
    prefixed) or a population's field (which replaces it); a core's start-up constants."""
    try:
        return fn(*args)
    except ValidationError as e:
        field = where if "." in where else f"{where}.{e.local_field}"
        raise ValidationError(field, e.value, e.reason) from None


class FixedIFNeurons:
    """Engine plug-in for numerics="fixed"; V and the currents are s16.15 bits (int64).
    inject: the current sources' s16.15 bits of this step (B, n) or None, added beside
    I_offset (neuron_model_lif_impl.h: total_exc - total_inh + I_offset + current_offset)."""

    inject = None

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
        self.keep, self.syn_now = c.gsyn, None       # gsyn: the currents with this step's input

    def membrane(self, e, arrived):
        """The step on unclamped int64 when no clamp of _saturating could act (then both give
        the same integers); otherwise _saturating."""
        n, half = self.n, 1 << (fx.FRAC_BITS - 1)
        if not n:
            return e.V
        if not self.fast or self.v_large:
            return self._saturating(e, arrived)
        inj_max = 0
        if self.inject is not None:
            inj_max = int(abs(self.inject).max())
            if inj_max >= _PARAM:
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
        if top > _LIMIT - inj_max:                          # I_e - I_i + I_offset + injected stays an accum
            return self._saturating(e, arrived)
        if self.keep:
            self.syn_now = self.ops.copy(I)
        v = I[:, :n] - I[:, n:]
        if self.offset:
            v += self.i_offset
        if self.inject is not None:
            v += self.inject
        v *= self.R
        v += self.round_rest
        v >>= fx.FRAC_BITS                                  # alpha = round(total R) + V_rest
        if ((top + self.off_max + inj_max) * self.r_max + half >> fx.FRAC_BITS) + self.rest_max >= _SAFE and \
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
        if self.keep:
            self.syn_now = self.ops.copy(I)
        total = I[:, :n] - I[:, n:]
        total += self.i_offset
        if self.inject is not None:
            total += self.inject
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
