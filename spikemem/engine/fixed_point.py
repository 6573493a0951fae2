"""The fixed-point arithmetic of a SpiNNaker core running sPyNNaker 7.4 (docs/fixed_point.md).

Two kinds of function live here:
- start-up constants in exact Python integers, computed the way the chip computes them when
  it loads a population (S16.15 encoding of the parameters, kdivk, expk/expulr, the
  exponential-synapse decay and init factors, the STDP lookup tables);
- per-step operations on int64 arrays of raw bits, written with Python operators only so that
  numpy and torch arrays run the same code (the ops object of spikemem.engine.* is not needed).

Raw bits: an s16.15 `accum` x is the integer round(x * 2^15) in [-2^31, 2^31); a u0.32
`unsigned long fract` u is round(u * 2^32) in [0, 2^32); STDP traces are s4.11 in int16.
Every function cites the file whose semantics it implements; none is a copy.
"""
from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from ..errors import ValidationError

FRAC_BITS = 15
ONE = 1 << FRAC_BITS                       # 1.0 as s16.15 bits
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
U032_MAX = (1 << 32) - 1                   # GCC evaluates the constant 1.0ulr to this (the largest u0.32)
RING_MAX = 0xFFFF                          # a ring-buffer entry is 16 bits
STDP_FIXED_POINT = 11                      # STDP traces and LUT entries are s4.11
STDP_ONE = 1 << STDP_FIXED_POINT
S1615_TO_STDP_SHIFT = 4                    # 15 - 11


# -- encoding (what sPyNNaker's Python writes into SDRAM) -----------------------------------
def s1615(value, field: str = "value") -> int:
    """Bits of `value` as sPyNNaker 7.4 writes an S1615 parameter.

    spinn_front_end_common/interface/ds/data_type.py (DataType.encode_as_int): the decimal
    string of the value times 2^15, rounded half to even; values outside the s16.15 range are
    refused there, and here.
    """
    v = float(value)
    if not math.isfinite(v) or not -65536.0 <= v <= INT32_MAX / ONE:
        raise ValidationError(field, v, "is outside the s16.15 range of a SpiNNaker core [-65536, 65536)")
    return int(round(Decimal(str(v)) * ONE))


def positive_s1615(value, field: str = "value") -> int:
    """s1615() of a value a core divides by: refused when it rounds to 0 there."""
    bits = s1615(value, field)
    if bits <= 0:
        raise ValidationError(field, float(value), "rounds to 0 in s16.15 (steps of 2^-15), and a core divides by it")
    return bits


# -- start-up maths (exact integers) --------------------------------------------------------
def kdivk(a: int, b: int) -> int:
    """a / b of two positive accums, truncated: neural_modelling/src/common/maths-util.h (kdivk)."""
    if a < 0 or b <= 0:
        raise ValueError("kdivk is used on positive accums only")
    return ((a << FRAC_BITS) // b) & 0xFFFFFFFF


def _hi(x: int) -> int:
    return (x >> 32) & 0xFFFFFFFF


def _lo(x: int) -> int:
    return x & 0xFFFFFFFF


def _round64(x: int) -> int:
    """spinn_common include/utils.h (round64): the upper word, plus one if the lower >= INT32_MAX."""
    return _hi(x) + (1 if _lo(x) >= INT32_MAX else 0)


def _scale64(x: int, y: int) -> int:
    """spinn_common include/utils.h (scale64): x times y as a u0.32, the low product rounded."""
    return (_round64(_lo(x) * y) + _hi(x) * y) & 0xFFFFFFFFFFFFFFFF


# spinn_common src/stdfix-exp.c: e^k * 2^32 for k = -13..12, e^(-j/16) - 1 terms and a series.
_EXP_HI = (9708, 26389, 71733, 194991, 530041, 1440801, 3916503, 10646160, 28939262, 78665070, 213833830,
           581260615, 1580030169, 4294967296, 11674931555, 31735754293, 86266724208, 234497268814,
           637429664642, 1732713474316, 4710003551159, 12803117065094, 34802480465680, 94602950235157,
           257157480542844, 699026506411923)
_EXPM1_MID = (0, 260218914, 504671961, 734314346, 950043403, 1152702096, 1343082321, 1521927990, 1689937949,
              1847768698, 1996036966, 2135322113, 2266168400, 2389087112, 2504558555, 2613033936)
_EXP_SERIES = (5294, 4293434720, 2081624032)
_EXP_MAX, _EXP_MIN = 363408, -340695        # saturation bounds of the argument bits


def _exp_series(x: int) -> int:
    def coef_mult(c, v):
        return ((c * v) >> 32) & 0xFFFFFFFF
    tmp = (_EXP_SERIES[1] - coef_mult(_EXP_SERIES[2], x)) & 0xFFFFFFFF
    return (coef_mult(tmp, x) + _EXP_SERIES[0]) & 0xFFFFFFFF


def _expi64(n: int) -> int:
    """e^(n / 2^15) * 2^32 as spinn_common src/stdfix-exp.c (__expi64) computes it."""
    z = n >> FRAC_BITS
    f = n - (z << FRAC_BITS)
    if f == 0:
        return _EXP_HI[13 + z]
    z += 1
    f = ONE - f
    tmp = _EXP_HI[13 + z]
    tmp = (tmp - _scale64(tmp, _EXPM1_MID[f >> 11])) & 0xFFFFFFFFFFFFFFFF
    y = ((f & 0x7FF) << 17) & 0xFFFFFFFF
    return (tmp - _scale64(tmp, _exp_series(y))) & 0xFFFFFFFFFFFFFFFF


def expk(x: int) -> int:
    """e^x for accum bits x, as accum bits: spinn_common src/stdfix-exp.c (expk)."""
    if x > _EXP_MAX:
        return INT32_MAX
    if x < _EXP_MIN:
        return 0
    return _expi64(x) >> 17


def expulr(x: int) -> int:
    """e^x for accum bits x <= 0, as u0.32 bits: spinn_common src/stdfix-exp.c (expulr).
    The 64-bit value is cut to its low 32 bits, so e^0 = 1.0 wraps to 0 (never used at x = 0)."""
    if x > _EXP_MAX:
        return INT32_MAX
    if x < _EXP_MIN:
        return 0
    return _expi64(x) & 0xFFFFFFFF


def synapse_decay_init(tau_ms: float, dt_ms: float) -> tuple:
    """(decay, init) u0.32 bits of an exponential synapse, as the core computes them at start-up:
    neural_modelling/src/neuron/synapse_types/exp_synapse_utils.h (decay_and_init) with
    decay.h (decay_s1615_to_u032). decay = exp(-ts/tau), init = (tau/ts)(1 - decay)."""
    tau, ts = positive_s1615(tau_ms, "tau_syn"), positive_s1615(dt_ms, "dt")
    decay = expulr(-kdivk(ts, tau))
    inv_decay = U032_MAX - decay
    init = ((kdivk(tau, ts) * inv_decay) >> FRAC_BITS) & 0xFFFFFFFF
    return decay, init


def alpha_decay_init(tau_ms: float, dt_ms: float) -> tuple:
    """(decay u0.32 bits, dt/tau^2 accum bits) of an alpha synapse, as the core computes them:
    neural_modelling/src/neuron/synapse_types/synapse_types_alpha_impl.h (get_alpha_state):
    decay = expulr(-ts/tau), init = kdivk(ts, tau * tau) with tau * tau GCC's truncating product.
    init passes through a decay_t (unsigned long fract) there, which keeps its fraction only: the
    caller refuses init >= 1.0 (a board would receive a wrapped increment)."""
    tau, ts = positive_s1615(tau_ms, "tau_syn"), positive_s1615(dt_ms, "dt")
    decay = expulr(-kdivk(ts, tau))
    square = (tau * tau) >> FRAC_BITS
    if square <= 0:
        raise ValidationError("tau_syn", tau_ms, "squares to 0 in s16.15: too short for sPyNNaker's alpha synapse")
    return decay, kdivk(ts, square)


def lif_constants(tau_m: float, cm: float, tau_refrac: float, dt_ms: float) -> tuple:
    """(R_membrane bits, exp_TC bits, refractory steps) as neuron_model_lif_impl.h
    (neuron_model_initialise) computes them: R = tau_m / cm, exp_TC = expk(-ts / tau_m),
    T_refract = ceil(tau_refrac / ts) on the accum bits (lif_ceil_accum)."""
    ts = positive_s1615(dt_ms, "dt")
    tm = positive_s1615(tau_m, "tau_m")
    r = kdivk(tm, positive_s1615(cm, "cm"))
    exp_tc = expk(-kdivk(ts, tm))
    q = kdivk(s1615(tau_refrac, "tau_refrac"), ts)
    steps = (q >> FRAC_BITS) + (1 if q & (ONE - 1) else 0)
    return r, exp_tc, steps


def exp_lut(dt_ms: float, tau_ms: float):
    """The s4.11 decay table of a pair STDP trace, as sPyNNaker 7.4's Python writes it:
    spynnaker/pyNN/models/neuron/plasticity/stdp/common.py (get_exp_lut_array, shift 0).
    Entry k is floor(2048 exp(-k dt / tau)); the table ends where that falls to about 1."""
    lam = dt_ms / float(tau_ms)
    half, extra = divmod(math.log(STDP_ONE) / lam, 2)
    size = (int(half) + (extra > 0)) * 2
    return np.floor(np.exp(np.arange(size) * -lam) * STDP_ONE).astype(np.int64)


# -- per-step operations on int64 arrays (numpy or torch) -----------------------------------
def saturate(a):
    """Clamp accum bits to the s16.15 range, in place (numpy and torch arrays)."""
    if hasattr(a, "clamp_"):
        return a.clamp_(INT32_MIN, INT32_MAX)
    np.minimum(a, INT32_MAX, out=a)
    return np.maximum(a, INT32_MIN, out=a)


def at_most(a, hi):
    """min(a, hi) elementwise, as a new array (numpy or torch), without np.clip's overhead."""
    if hasattr(a, "clamp"):
        return a.clamp(max=hi)
    return np.minimum(a, hi)


def at_least(a, lo):
    if hasattr(a, "clamp"):
        return a.clamp(min=lo)
    return np.maximum(a, lo)


def mul_round_nearest(x, y):
    """x * y of two accums, rounded to nearest (ties up) and saturated: spinn_common
    include/round.h (MULT_ROUND_NEAREST_ACCUM) with stdfix-full-iso.h (__stdfix_round_s64,
    __stdfix_sat_k)."""
    p = x * y
    p += 1 << (FRAC_BITS - 1)
    p >>= FRAC_BITS
    return saturate(p)


def decay_s1615(x, u):
    """An accum times a u0.32 factor, truncated: neural_modelling/src/neuron/decay.h (decay_s1615)."""
    p = x * u
    p >>= 32
    return p


def wrap16(a):
    """The value as an int16 holds it (two's complement wrap), for STDP traces."""
    return ((a + 32768) & 0xFFFF) - 32768


def mul16(a, b):
    """Two s4.11 values multiplied as 16-bit halves and shifted down (floor):
    neural_modelling/src/neuron/plasticity/stdp/maths.h (maths_fixed_mul16)."""
    return (a * b) >> STDP_FIXED_POINT


def mul_accum(a, b):
    """Two accums multiplied as GCC multiplies (non-saturating) accums: the 64-bit product shifted
    down, so truncated towards minus infinity (libgcc fixed-bit.c); weight_multiplicative_impl.h
    forms its scale this way."""
    return (a * b) >> FRAC_BITS


def mul_accum_fixed(a: int, trace):
    """An accum constant times an s4.11 trace as GCC multiplies accums (truncated):
    neural_modelling/src/neuron/plasticity/stdp/stdp_typedefs.h (mul_accum_fixed)."""
    return (trace * (a << S1615_TO_STDP_SHIFT)) >> FRAC_BITS
