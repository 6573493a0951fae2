"""The spinn_common / sPyNNaker arithmetic helpers, against values worked by hand from the C
sources (spinn_common src/stdfix-exp.c, include/utils.h, round.h; sPyNNaker maths-util.h,
decay.h, exp_synapse_utils.h, neuron_model_lif_impl.h) and against sPyNNaker's own Python."""
import math

import numpy as np
import pytest

from spikemem import ValidationError
from spikemem.engine import fixed_point as fx

M32 = (1 << 32) - 1


def test_s1615_encodes_as_spinn_front_end_common():
    assert fx.s1615(1.0) == 32768 and fx.s1615(-60.0) == -1966080
    assert fx.s1615(0.1) == 3277                     # 3276.8 rounds up
    assert fx.s1615(0.27) == 8847                    # 8847.36
    assert fx.s1615(2.5 / 32768) == 2                # 2.5 bits: half to even
    assert fx.s1615(3.5 / 32768) == 4
    with pytest.raises(ValidationError, match="s16.15"):
        fx.s1615(70000.0, "cell.v_thresh")


def test_s1615_matches_sPyNNakers_datatype():
    ds = pytest.importorskip("spinn_front_end_common.interface.ds")
    rng = np.random.default_rng(3)
    for v in np.concatenate([rng.uniform(-65000, 65000, 200), rng.uniform(-2, 2, 200), [0.1, 0.27, 1e-4, 3.0]]):
        assert fx.s1615(float(v)) == ds.DataType.S1615.encode_as_int(float(v)), v


def test_start_up_inputs_are_the_words_sPyNNaker_writes():
    """7.4's Python writes the raw cell parameters as S1615 words (the core derives decays and
    membrane factors from them at start-up, as the engine does from the same words)."""
    pytest.importorskip("spynnaker")
    from spynnaker.pyNN.models.neuron.neuron_models import NeuronModelLeakyIntegrateAndFire
    from spynnaker.pyNN.models.neuron.synapse_types import SynapseTypeExponential
    syn = SynapseTypeExponential(0.3, 2.0, 0.0, 0.0).structs[0]
    words = syn.get_data({"tau_syn_E": 0.3, "isyn_exc": 0.0, "tau_syn_I": 2.0, "isyn_inh": 0.0, "timestep_ms": 0.1},
                         _Slice1()).view(np.int32)
    assert list(words) == [fx.s1615(0.3), 0, fx.s1615(2.0), 0, fx.s1615(0.1)]
    lif = NeuronModelLeakyIntegrateAndFire(-60.0, -60.0, 3.0, 0.27, 0.0, -60.0, 1.0).structs[0]
    values = {"v": -60.0, "v_rest": -60.0, "cm": 0.27, "tau_m": 3.0, "i_offset": 0.0, "v_reset": -60.0,
              "tau_refrac": 1.0, "refract_timer": 0, "timestep": 1.0}
    words = lif.get_data(values, _Slice1()).view(np.int32)
    assert list(words) == [fx.s1615(-60), fx.s1615(-60), fx.s1615(0.27), fx.s1615(3.0), 0, fx.s1615(-60),
                           fx.s1615(1.0), 0, fx.s1615(1.0)]


class _Slice1:
    n_atoms = 1

    def get_raster_ids(self):
        return np.arange(1)


def test_kdivk_truncates():
    assert fx.kdivk(32768, 98304) == 10922           # 1/3 = 10922.67 bits
    assert fx.kdivk(fx.s1615(1.5), fx.s1615(0.1)) == 491490   # 14.9991 (0.1 is 3277 bits)


def test_exponentials_worked_from_the_stdfix_exp_tables():
    # x = -1: integer part only, the table entry e^-1 * 2^32
    assert fx.expulr(-32768) == 1580030169 and fx.expk(-32768) == 1580030169 >> 17
    # x = -0.5: z = 0, f = 16384 -> 2^32 - scale64(2^32, mid[8]) = 2605029347, then the series at 0
    t = 2605029347
    prod = t * 5294                                   # scale64 with hi(t) = 0: round64(lo * 5294)
    corr = (prod >> 32) + (1 if (prod & M32) >= 0x7FFFFFFF else 0)
    assert fx.expulr(-16384) == t - corr
    assert fx.expk(0) == 32768 and fx.expk(-400000) == 0 and fx.expk(400000) == 2**31 - 1


@pytest.mark.parametrize("x", [-0.01, -0.1, -1 / 3, -0.5, -2.0, -5.0, -9.9])
def test_expulr_is_close_to_exp(x):
    b = -round(-x * 32768)
    assert abs(fx.expulr(b) / 2**32 - math.exp(b / 32768)) < 2e-6


def test_exponential_synapse_constants():
    decay, init = fx.synapse_decay_init(0.3, 1.0)
    # decay = expulr(-kdivk(1.0, 0.3)); init = (kdivk(0.3, 1.0) * (0xFFFFFFFF - decay)) >> 15
    ts_over_tau = (32768 << 15) // 9830
    assert decay == fx.expulr(-ts_over_tau)
    assert init == ((((9830 << 15) // 32768) * (M32 - decay)) >> 15) & M32
    assert abs(decay / 2**32 - math.exp(-1 / 0.3)) < 1e-4
    assert abs(init / 2**32 - 0.3 * (1 - math.exp(-1 / 0.3))) < 1e-4


def test_lif_constants():
    r, exp_tc, steps = fx.lif_constants(3.0, 0.27, 1.0, 1.0)
    assert r == (98304 << 15) // 8847 and exp_tc == fx.expk(-10922) and steps == 1
    assert fx.lif_constants(0.5, 0.14, 1.5, 0.1)[2] == 15        # ceil(14.9994)
    assert fx.lif_constants(3.0, 0.27, 0.0, 1.0)[2] == 0
    assert fx.lif_constants(3.0, 0.27, 2.1, 0.3)[2] == 8         # 2.1/0.3 on the bits is 7.0003: ceil 8


def test_lookup_tables_equal_get_exp_lut_array():
    common = pytest.importorskip("spynnaker.pyNN.models.neuron.plasticity.stdp.common")
    for dt, tau in [(1.0, 3.0), (1.0, 20.0), (0.1, 3.0), (1.0, 0.7), (0.1, 16.8)]:
        words = common.get_exp_lut_array(dt, tau).view(np.uint16)
        size, shift = int(words[0]), int(words[1])
        ours = fx.exp_lut(dt, tau)
        assert shift == 0 and len(ours) == size
        assert list(ours) == list(words[2:2 + size].astype(np.int64))
    lut = fx.exp_lut(1.0, 3.0)
    assert lut[0] == 2048 and lut[1] == math.floor(2048 * math.exp(-1 / 3)) and len(lut) == 24


def test_rounding_multiply_and_truncations():
    a = np.array([3 * 16384, -3 * 16384, 2**31 - 1, 5], dtype=np.int64)      # 1.5, -1.5, max, 5 bits
    b = np.array([32768 + 1, 32768 + 1, 2 * 32768, 16384], dtype=np.int64)   # ~1, ~1, 2.0, 0.5
    got = fx.mul_round_nearest(a, b)
    # (x*y + 2^14) >> 15: 49153.5 and -49153.5 bits round up (ties up), max * 2 saturates, 2.5 -> 3
    assert list(got) == [49154, -49153, 2**31 - 1, 3]
    assert list(fx.decay_s1615(np.array([-1, 7]), np.array([2**31, 2**31]))) == [-1, 3]   # floor
    assert list(fx.wrap16(np.array([32767 + 2048, -32769]))) == [-30721, 32767]
    assert list(fx.mul16(np.array([2048, -2048]), np.array([1467, 1467]))) == [1467, -1467]
    assert fx.mul_accum_fixed(32768 * 6, np.array([1467]))[0] == (1467 * (196608 << 4)) >> 15
