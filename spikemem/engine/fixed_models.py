"""The neuron models of numerics="fixed" beside or beyond IF_curr_exp: a SpiNNaker core's integers.

A network of IF_curr_exp cells alone runs spikemem.engine.fixed_neurons.FixedIFNeurons (with its
unclamped fast path). Any other network runs these models, one per slice as the float engine
does (spikemem.engine.neuron_models), on s16.15 bits in int64 arrays, following sPyNNaker 7.4's
neuron_impl_standard.h step for each neuron:

  synapse type: add this step's input, then read the input      (exp_synapse_utils.h,
                                                                  synapse_types_alpha_impl.h)
  input type: conductance >> 10, then g (E_rev - V)              (input_type_conductance.h)
  neuron model: LIF closed form or Izhikevich midpoint step      (neuron_model_lif_impl.h,
                                                                  neuron_model_izh_impl.h)
  threshold and reset (the engine's), then the synapses' shaping

docs/fixed_point.md cites each rule. Products are GCC's accum * accum (truncated: floor of the
64-bit product >> 15); the LIF closed form rounds (MULT_ROUND_NEAREST_ACCUM). Every value that
leaves the accum range is clamped and counted per population (Result.saturations[pop]["accum"]),
where a core would wrap: a run with such counts cannot be trusted (spikemem spinnaker check).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from . import fixed_point as fx
from .fixed_neurons import FixedIFNeurons
from .neuron_models import ModelSet

IZH_MAGIC = 1311                 # REAL_CONST(0.040008544921875): neuron_model_izh_impl.h, MAGIC_MULTIPLIER
IZH_TQ_OFFSET = 60620            # REAL_CONST(1.85) as GCC converts the literal (truncated: 1.85 * 2^15 = 60620.8)
K140, K5 = 140 << fx.FRAC_BITS, 5 << fx.FRAC_BITS
HALF = 1 << (fx.FRAC_BITS - 1)
NEURON_KEYS = ("fx_v_rest", "fx_i_offset", "fx_R", "fx_exp_tc", "fx_a", "fx_b", "fx_d")


def mul(x, y):
    """GCC's accum * accum: the 64-bit product shifted down 15 bits (floor)."""
    p = x * y
    p >>= fx.FRAC_BITS
    return p


def mul_round(x, y):
    """MULT_ROUND_NEAREST_ACCUM before its saturation (the caller clamps and counts)."""
    p = x * y
    p += HALF
    p >>= fx.FRAC_BITS
    return p


class _FixedModel:
    """Shared by the fixed models: slice, parameters, clamps and their counts (see module doc).
    The injected-current hook (NeuronModel.inject) takes accum bits (nA x 2^15) here."""

    STATE: tuple = ()
    inject = None
    syn_now = None

    def __init__(self, e, m, counts):
        c, ops = e.c, e.ops
        self.lo, self.hi, self.n, self.ops = m.lo, m.hi, m.hi - m.lo, ops
        self.keep, self.counts = c.gsyn, counts
        n_if = c.n_if
        cols = np.r_[m.lo:m.hi, n_if + m.lo:n_if + m.hi]
        self.cols = ops.index(cols)
        p = c.params
        self.pop_of = p["fx_pop"][m.lo:m.hi]
        self.neuron = {k: ops.ints(p[k][m.lo:m.hi]) for k in NEURON_KEYS}
        self.column = {k: ops.ints(p[k][cols]) for k in ("fx_decay", "fx_init", "fx_shift", "fx_e_rev")}

    def rail(self, a, both_halves: bool = False, at=None):
        """Clamp to the accum range in place; count the (trial, population) entries clamped. `at`:
        the (trials, neurons) of a 1-D `a`'s entries (the neurons that spiked)."""
        if not a.size or (int(a.max()) <= fx.INT32_MAX and int(a.min()) >= fx.INT32_MIN):
            return a
        out = self.ops.numpy((a > fx.INT32_MAX) | (a < fx.INT32_MIN)).astype(bool)
        if both_halves:
            out = out[:, :self.n] | out[:, self.n:]
        if at is None:
            rows, cols = np.nonzero(out)
        else:
            rows, cols = self.ops.int_numpy(at[0])[out], self.ops.int_numpy(at[1])[out]
        np.add.at(self.counts, (rows, self.pop_of[cols]), 1)
        return fx.saturate(a)

    def _input(self, arrived):
        """This step's ring-buffer entries of the slice as accum bits (synapse_row.h, entry << shift)."""
        return self.rail(arrived[:, self.cols] << self.column["fx_shift"], both_halves=True)

    def _offset(self):
        i_offset = self.neuron["fx_i_offset"]
        return i_offset if self.inject is None else self.rail(i_offset + self.inject)


class FixedLIF(_FixedModel):
    """IF_curr_exp, IF_cond_exp and IF_curr_alpha: sPyNNaker's LIF neuron model with an
    exponential or alpha synapse type and a current or conductance input type."""

    def __init__(self, e, m, counts, synapse: str, conductance: bool):
        super().__init__(e, m, counts)
        ops, B, n = e.ops, e.B, self.n
        self.alpha, self.conductance = synapse == "alpha", conductance
        self.decay, self.init = self.column["fx_decay"], self.column["fx_init"]
        if self.alpha:
            self.STATE = ("lin", "exp", "q")
            self.lin, self.exp, self.q = (ops.zeros_int((B, 2 * n)) for _ in range(3))
        else:
            self.STATE = ("I",)
            self.I = ops.zeros_int((B, 2 * n))

    def membrane(self, e, arrived):
        n, V = self.n, e.V[:, self.lo:self.hi]
        inp = self._input(arrived)
        if self.alpha:                      # add_input_alpha, where the entry is > 0
            new = inp > 0
            self.q = self.ops.where(new, inp, self.q)
            self.exp = self.ops.where(new, self.rail(fx.decay_s1615(self.exp, self.decay) + fx.ONE, True), self.exp)
            opened = fx.ONE - (fx.ONE << fx.FRAC_BITS) // self.ops.where(new, self.exp, fx.ONE)   # ONE - kdivk(ONE, exp)
            grown = self.rail(mul(self.rail(self.lin + self.rail(mul(inp, self.init), True), True), opened), True)
            self.lin = self.ops.where(new, grown, self.lin)
            syn = self.rail(mul(self.lin, self.exp), True)
        else:                               # add_input_exp
            self.I = self.rail(self.I + fx.decay_s1615(inp, self.init), True)
            syn = self.I
        if self.conductance:
            syn = syn >> 10                  # input_type_get_input_value
        if self.keep:
            self.syn_now = self.ops.copy(syn)
        if self.conductance:                 # input_type_convert_*_input_to_current, with V at the step's start
            e_rev = self.column["fx_e_rev"]
            exc = self.rail(mul(syn[:, :n], self.rail(e_rev[:n] - V)))
            inh = self.rail(mul(-syn[:, n:], self.rail(e_rev[n:] - V)))
        else:
            exc, inh = syn[:, :n], syn[:, n:]
        total = self.rail(exc - inh + self._offset())
        nb = self.neuron                     # lif_neuron_closed_form, clamped where FixedIFNeurons clamps
        a = self.rail(self.rail(mul_round(total, nb["fx_R"])) + nb["fx_v_rest"])
        V[...] = self.rail(a - fx.mul_round_nearest(nb["fx_exp_tc"], self.rail(a - V)))
        if self.alpha:                       # alpha_shaping
            self.lin = self.rail(self.lin + self.rail(mul(self.q, self.init), True), True)
            self.exp = fx.decay_s1615(self.exp, self.decay)
        else:                                # exp_shaping
            self.I = fx.decay_s1615(self.I, self.decay)
        return V


class FixedIzhikevich(_FixedModel):
    """sPyNNaker's Izhikevich with exponential current synapses (IZK_curr_exp):
    neuron_model_izh_impl.h, rk2_kernel_midpoint with h = this_h, then this_h = reset_h; at a
    spike V = C (the engine's reset), U += D and this_h = reset_h * 1.85."""

    STATE = ("u", "I", "h")

    def __init__(self, e, m, counts):
        super().__init__(e, m, counts)
        ops, B, n = e.ops, e.B, self.n
        self.ts = fx.s1615(e.c.dt, "dt")
        self.u = ops.ints(np.repeat(e.c.params["fx_u_start"][m.lo:m.hi][None], B, axis=0))
        self.h = ops.ints(np.full((B, n), self.ts, dtype=np.int64))
        self.I = ops.zeros_int((B, 2 * n))

    def membrane(self, e, arrived):
        n, V, nb, r = self.n, e.V[:, self.lo:self.hi], self.neuron, self.rail
        self.I = r(self.I + fx.decay_s1615(self._input(arrived), self.column["fx_init"]), True)
        if self.keep:
            self.syn_now = self.ops.copy(self.I)
        inp = r(r(self.I[:, :n] - self.I[:, n:]) + self._offset())
        v, u, h, a, b = V + 0, self.u, self.h, nb["fx_a"], nb["fx_b"]
        pre = r(r(K140 + inp) - u)
        alpha = r(pre + r(mul(r(K5 + r(mul(IZH_MAGIC, v))), v)))
        eta = r(v + (r(mul(h, alpha)) >> 1))                                   # REAL_HALF: x * 0.5k
        beta = r(mul(r(mul(h, r(r(mul(b, v)) - u))), a)) >> 1
        V[...] = r(v + r(mul(h, r(r(pre - beta) + r(mul(r(K5 + r(mul(IZH_MAGIC, eta))), eta))))))
        self.u = r(u + r(mul(r(mul(a, h)), r(r(-u - beta) + r(mul(b, eta))))))
        self.h[...] = self.ts
        self.I = fx.decay_s1615(self.I, self.column["fx_decay"])
        return V

    def spiked(self, trials, idx):
        d = self.neuron["fx_d"]
        self.u[trials, idx] = self.rail(self.u[trials, idx] + d[idx], at=(trials, idx))
        self.h[trials, idx] = mul(self.ts, IZH_TQ_OFFSET)


class FixedModelSet(ModelSet):
    """The fixed models of a network that is not IF_curr_exp alone, each on its slice; their
    clamps are counted in one (trial, population) array."""

    def __init__(self, e):
        self.accum_saturations = counts = np.zeros((e.B, len(e.c.params["fx_populations"])), dtype=np.int64)
        super().__init__(e, {"lif": partial(FixedLIF, counts=counts, synapse="exp", conductance=False),
                             "cond": partial(FixedLIF, counts=counts, synapse="exp", conductance=True),
                             "alpha": partial(FixedLIF, counts=counts, synapse="alpha", conductance=False),
                             "izh": partial(FixedIzhikevich, counts=counts)})


def fixed_neurons(e):
    """The fixed membrane of engine e: FixedIFNeurons for IF_curr_exp alone, else the model set."""
    models = e.c.models or []
    if all(m.kind == "lif" for m in models):
        return FixedIFNeurons(e)
    return FixedModelSet(e)
