"""numerics='fixed' for IF_cond_exp, IF_curr_alpha and Izhikevich against step-by-step integer
oracles written from sPyNNaker 7.4's C sources (neuron_impl_standard.h, neuron_model_lif_impl.h,
neuron_model_izh_impl.h, exp_synapse_utils.h, synapse_types_alpha_impl.h,
input_type_conductance.h; docs/fixed_point.md), one neuron, scalar Python integers."""
import math
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

from spikemem import (STDP, AllToAllConnector, IFCondExp, IFCurrAlpha, IFCurrExp, Izhikevich,
                      Network, OneToOneConnector, Population, Projection, Recording, Simulation, SpikeSourceArray,
                      UnsupportedFeature, get_backend)
from spikemem.engine import fixed_point as fx
from spikemem.engine.board_weights import ring_buffer_shifts

ONE = 1 << 15


def m(x, y):                      # GCC's accum * accum (truncating)
    return (x * y) >> 15


def mr(x, y):                     # MULT_ROUND_NEAREST_ACCUM
    return (x * y + (1 << 14)) >> 15


def du(x, u):                     # decay_s1615
    return (x * u) >> 32


def one_neuron(cell, exc, inh, w_e, w_i, gsyn=True):
    """A neuron fed by one excitatory and one inhibitory source; exc/inh: spike times (ms)."""
    g = ("n",) if gsyn else ()
    return Network([Population("e", 1, SpikeSourceArray((tuple(exc),))), Population("i", 1, SpikeSourceArray((tuple(inh),))),
                    Population("n", 1, cell)],
                   [Projection("pe", "e", "n", OneToOneConnector(), w_e, 1.0),
                    Projection("pi", "i", "n", OneToOneConnector(), w_i, 1.0, "inhibitory")],
                   Simulation(1.0, "spinnaker", "fixed"),
                   Recording(spikes=("n",), v=("n",), gsyn_exc=g, gsyn_inh=g))


def ring(net, exc, inh, scale=(1.0, 1.0)):
    """{step: [exc entry, inh entry]} of 16-bit weights, and the two shifts (spike + 1 ms delay)."""
    shifts = ring_buffer_shifts(net)["n"]
    entries = defaultdict(lambda: [0, 0])
    for k, (times, pr) in enumerate(((exc, net.projections[0]), (inh, net.projections[1]))):
        w16 = int(np.rint(float(pr.weight) * scale[k] * 2.0 ** (15 - shifts[k]))) & 0xFFFF
        for t in times:
            entries[int(t) + 1][k] = min(entries[int(t) + 1][k] + w16, 0xFFFF)
    return entries, shifts


def exp_constants(tau):
    """exp_synapse_utils.h (decay_and_init): decay = expulr(-ts/tau), init = (tau/ts) (1.0ulr - decay)."""
    t, ts = fx.s1615(tau), ONE
    decay = fx.expulr(-(((ts << 15) // t) & 0xFFFFFFFF))
    return decay, ((((t << 15) // ts) * (fx.U032_MAX - decay)) >> 15) & 0xFFFFFFFF


def lif_oracle(cell, entries, shifts, steps, synapse="exp", conductance=False):
    """neuron_impl_standard.h's loop for one LIF neuron (IF_curr_exp / IF_cond_exp / IF_curr_alpha)."""
    R, exp_tc, T = fx.lif_constants(cell.tau_m, cell.cm, round(cell.tau_refrac), 1.0)
    v_rest, v_reset, v_th = (fx.s1615(x) for x in (cell.v_rest, cell.v_reset, cell.v_thresh))
    i_off = fx.s1615(cell.i_offset)
    V, refr = fx.s1615(cell.v_start), 0
    taus = (cell.tau_syn_E, cell.tau_syn_I)
    if synapse == "exp":
        consts = [exp_constants(t) for t in taus]
        cur = [0, 0]
    else:                         # synapse_types_alpha_impl.h (get_alpha_state)
        consts = []
        for t in taus:
            tb = fx.s1615(t)
            consts.append((fx.expulr(-(((ONE << 15) // tb) & 0xFFFFFFFF)), ((ONE << 15) // m(tb, tb)) & 0x7FFF))
        lin, ex, q = [0, 0], [0, 0], [0, 0]
    rev = (fx.s1615(cell.e_rev_E), fx.s1615(cell.e_rev_I)) if conductance else None
    vs, gs, spikes = [], [], []
    for t in range(steps):
        syn = []
        for k in range(2):
            inp = entries.get(t, [0, 0])[k] << shifts[k]
            decay, init = consts[k]
            if synapse == "exp":
                if inp > 0:
                    cur[k] += du(inp, init)
                s = cur[k]
            else:
                if inp > 0:
                    q[k] = inp
                    ex[k] = du(ex[k], decay) + ONE
                    lin[k] = m(lin[k] + m(inp, init), ONE - (ONE << 15) // ex[k])
                s = m(lin[k], ex[k])
            syn.append(s >> 10 if conductance else s)
        gs.append(syn)
        if conductance:
            exc, inh = m(syn[0], rev[0] - V), m(-syn[1], rev[1] - V)
        else:
            exc, inh = syn
        if refr > 0:
            refr -= 1
        else:
            a = mr(exc - inh + i_off, R) + v_rest
            V = a - mr(exp_tc, a - V)
        if V >= v_th:
            spikes.append(t)
            V, refr = v_reset, T
        vs.append(V)
        for k in range(2):
            decay, init = consts[k]
            if synapse == "exp":
                cur[k] = du(cur[k], decay)
            else:
                lin[k] = lin[k] + m(q[k], init)
                ex[k] = du(ex[k], decay)
    return np.array(vs) / ONE, np.array(gs) / ONE, spikes


COND = IFCondExp(cm=0.25, tau_m=15.0, tau_syn_E=3.0, tau_syn_I=6.0, e_rev_E=0.0, e_rev_I=-80.0, v_rest=-65.0,
                 v_reset=-70.0, v_thresh=-52.0, tau_refrac=2.0, i_offset=0.15)
ALPHA = IFCurrAlpha(cm=0.5, tau_m=10.0, tau_syn_E=2.0, tau_syn_I=3.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-55.0,
                    tau_refrac=2.0, i_offset=0.05)
EXC = (0, 1, 2, 5, 6, 7, 8, 12, 13, 14, 15, 16, 30, 31)
INH = (3, 9, 10, 20, 31)


@pytest.mark.parametrize("w_e, w_i", [(0.011, 0.02), (0.0237, 0.005), (0.004, 0.09)])
def test_conductance_neuron_matches_the_C_loop(w_e, w_i):
    net = one_neuron(COND, EXC, INH, w_e, w_i)
    res = get_backend("reference").run(net, 45.0)
    entries, shifts = ring(net, EXC, INH, (1024.0, 1024.0))
    v, g, spikes = lif_oracle(COND, entries, shifts, 45, conductance=True)
    np.testing.assert_array_equal(res.v["n"][0, :, 0], v)
    np.testing.assert_array_equal(res.gsyn_exc["n"][0, :, 0], g[:, 0])
    np.testing.assert_array_equal(res.gsyn_inh["n"][0, :, 0], g[:, 1])
    assert [s for s, _ in res.spike_list("n")] == spikes
    assert res.saturations["n"]["accum"][0] == 0
    assert spikes or w_i > w_e


@pytest.mark.parametrize("w_e, w_i", [(0.9, 0.3), (0.31, 1.2)])
def test_alpha_neuron_matches_the_C_loop(w_e, w_i):
    net = one_neuron(ALPHA, EXC, INH, w_e, w_i)
    res = get_backend("reference").run(net, 45.0)
    entries, shifts = ring(net, EXC, INH, (math.e * ALPHA.tau_syn_E, math.e * ALPHA.tau_syn_I))
    v, g, spikes = lif_oracle(ALPHA, entries, shifts, 45, synapse="alpha")
    np.testing.assert_array_equal(res.v["n"][0, :, 0], v)
    np.testing.assert_array_equal(res.gsyn_exc["n"][0, :, 0], g[:, 0])
    assert [s for s, _ in res.spike_list("n")] == spikes
    assert g[:, 0].max() > 0.5 * w_e                      # near the description's peak, in nA


def test_an_if_curr_exp_beside_other_models_gets_the_integers_it_gets_alone():
    cell = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.5, v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0,
                     tau_refrac=2.0, i_offset=0.1)
    alone = one_neuron(cell, EXC, INH, 2.7, 1.3)
    mixed = Network(list(alone.populations) + [Population("c", 2, COND), Population("z", 1, Izhikevich(tau_syn_E=2.0, tau_syn_I=2.0))],
                    list(alone.projections) + [Projection("ec", "e", "c", AllToAllConnector(), 0.02, 1.0)],
                    alone.simulation, alone.recording)
    a, b = (get_backend("reference").run(net, 45.0) for net in (alone, mixed))
    np.testing.assert_array_equal(a.v["n"], b.v["n"])
    np.testing.assert_array_equal(a.gsyn_exc["n"], b.gsyn_exc["n"])
    assert a.count("n") > 3


def izh_oracle(cell, entries, shifts, steps):
    """neuron_model_izh_impl.h (rk2_kernel_midpoint, has_spiked) with exponential synapses."""
    A, B, C, D = (fx.s1615(x) for x in (cell.a, cell.b, cell.c, cell.d))
    V, U, i_off = fx.s1615(cell.v_init), fx.s1615(cell.u_init), fx.s1615(cell.i_offset)
    h = ts = ONE
    consts = [exp_constants(t) for t in (cell.tau_syn_E, cell.tau_syn_I)]
    cur, vs, gs, spikes = [0, 0], [], [], []
    for t in range(steps):
        for k in range(2):
            inp = entries.get(t, [0, 0])[k] << shifts[k]
            if inp > 0:
                cur[k] += du(inp, consts[k][1])
        gs.append(list(cur))
        inp = cur[0] - cur[1] + i_off
        pre = (140 << 15) + inp - U
        alpha = pre + m((5 << 15) + m(1311, V), V)
        eta = V + (m(h, alpha) >> 1)
        beta = m(m(h, m(B, V) - U), A) >> 1
        V, U = V + m(h, pre - beta + m((5 << 15) + m(1311, eta), eta)), U + m(m(A, h), -U - beta + m(B, eta))
        h = ts
        if V >= 30 << 15:
            spikes.append(t)
            V, U, h = C, U + D, m(ts, 60620)
        vs.append(V)
        cur = [du(cur[k], consts[k][0]) for k in range(2)]
    return np.array(vs) / ONE, np.array(gs) / ONE, spikes


@pytest.mark.parametrize("cell", [Izhikevich(a=0.02, b=0.2, c=-65.0, d=8.0, i_offset=6.0, tau_syn_E=5.0, tau_syn_I=5.0),
                                  Izhikevich(a=0.1, b=0.26, c=-60.0, d=-1.0, i_offset=1.5, v_init=-62.0, u_init=-15.0,
                                             tau_syn_E=2.0, tau_syn_I=9.0)])
def test_izhikevich_matches_the_C_loop(cell):
    net = one_neuron(cell, EXC, INH, 9.0, 4.0)
    res = get_backend("reference").run(net, 60.0)
    entries, shifts = ring(net, EXC, INH)
    v, g, spikes = izh_oracle(cell, entries, shifts, 60)
    np.testing.assert_array_equal(res.v["n"][0, :, 0], v)
    np.testing.assert_array_equal(res.gsyn_exc["n"][0, :, 0], g[:, 0])
    assert [s for s, _ in res.spike_list("n")] == spikes
    assert len(spikes) >= 3


def test_plastic_weights_into_a_conductance_cell_are_read_in_uS():
    """sPyNNaker writes A, w_min and w_max times its weight scale 1024; the weights come back in uS."""
    rule = STDP(tau_plus=5.0, tau_minus=5.0, A_plus=0.002, A_minus=0.001, w_min=0.0, w_max=0.03)
    net = Network([Population("s", 3, SpikeSourceArray()), Population("d", 1, SpikeSourceArray()),
                   Population("n", 1, replace(COND, i_offset=0.0))],
                  [Projection("dn", "d", "n", OneToOneConnector(), 0.2, 1.0),
                   Projection("sn", "s", "n", AllToAllConnector(), 0.01, 2.0, plasticity=rule)],
                  Simulation(1.0, "spinnaker", "fixed"), Recording(spikes=("n",), weights=("sn",)))
    inputs = {"s": [[[1.0, 20.0], [5.0, 30.0], [12.0]]], "d": [[[2.0, 7.0, 14.0, 22.0]]]}
    fixed = get_backend("reference").run(net, 40.0, inputs=inputs)
    flt = get_backend("reference").run(replace(net, simulation=Simulation(1.0, "spinnaker")), 40.0, inputs=inputs)
    assert fixed.count("n") == flt.count("n") >= 3
    shift = ring_buffer_shifts(net)["n"][0]
    step = 2.0 ** (shift - 15) / 1024
    np.testing.assert_allclose(fixed.weights["sn"], flt.weights["sn"], atol=3 * step)
    assert not np.allclose(fixed.weights["sn"], 0.01)


@pytest.mark.parametrize("cell, feature", [
    (IFCurrAlpha(tau_syn_E=0.5), "cell.alpha.short_tau"),
    (IFCurrAlpha(tau_syn_E=2.0, tau_syn_I=1.0), "cell.alpha.short_tau"),
    (Izhikevich(), "cell.izhikevich.delta")])
def test_what_a_core_cannot_hold_is_refused_by_name(cell, feature):
    net = one_neuron(cell, EXC, INH, 1.0, 1.0, gsyn=False)
    with pytest.raises(UnsupportedFeature, match=feature.replace(".", r"\.")):
        get_backend("reference").run(net, 5.0)


@pytest.mark.parametrize("field", ["tau_m", "cm", "tau_syn_E"])
def test_a_parameter_that_rounds_to_zero_on_a_core_is_refused_by_name(field):
    """A core divides by tau_m, cm and tau_syn; one below 2^-16 ms or nF is 0 there (this was a
    ValueError from kdivk before)."""
    from spikemem import ValidationError
    cell = replace(IFCurrExp(), **{field: 1e-6})
    net = Network([Population("s", 1, SpikeSourceArray()), Population("n", 1, cell)],
                  [Projection("p", "s", "n", OneToOneConnector(), 1.0, 1.0)], Simulation(numerics="fixed"))
    with pytest.raises(ValidationError, match=rf"n\.{field}=1e-06: rounds to 0"):
        get_backend("reference").run(net, 2.0)


def test_an_off_grid_refractory_period_holds_the_steps_a_board_holds():
    """PyNN's default tau_refrac = 0.1 ms at dt = 1 ms: the lowering sends 1 ms (ceil), a core holds
    one step (lif_ceil_accum), as float does. The fixed engine rounded it to 0 steps before."""
    cell = IFCurrExp(cm=0.25, tau_m=10.0, v_thresh=-55.0, tau_refrac=0.1)
    net = Network([Population("s", 1, SpikeSourceArray(((0.0, 1.0, 2.0, 3.0, 4.0),))), Population("n", 1, cell)],
                  [Projection("p", "s", "n", OneToOneConnector(), 8.0, 1.0)], Simulation(numerics="fixed"),
                  Recording(spikes=("n",), v=("n",)))
    fixed = get_backend("reference").run(net, 8.0)
    flt = get_backend("reference").run(replace(net, simulation=Simulation()), 8.0)
    assert [t for t, _ in fixed.spike_list("n")] == [t for t, _ in flt.spike_list("n")] == [1, 3, 5, 7]
    assert fixed.v["n"][0, 2, 0] == cell.v_reset           # held the step after the spike


def test_an_izhikevich_reset_past_the_accum_range_saturates_and_is_counted():
    """u + d past s16.15's range at a spike is clamped as every other value is, and counted per
    trial; it crashed (the clamp counted 2-D arrays only; found by the cell-field fuzzer)."""
    net = Network([Population("s", 1, SpikeSourceArray(((1.0,),))),
                   Population("a", 2, Izhikevich(a=6.0, tau_syn_E=5.0, tau_syn_I=5.0))],
                  [Projection("p", "s", "a", AllToAllConnector(), 50.0, 1.0)],
                  Simulation(dt=1.0, scheme="spinnaker", numerics="fixed"), Recording(spikes=("a",)))
    res = get_backend("reference").run(net, 20.0, inputs={"s": [[[1.0]], [[]]]})
    alone = get_backend("reference").run(net, 20.0, inputs={"s": [[[]]]})
    assert res.spike_list("a", trial=0) and res.saturations["a"]["accum"][0] > 0
    assert res.spike_list("a", trial=1) == alone.spike_list("a", trial=0)
    assert res.saturations["a"]["accum"][1] == alone.saturations["a"]["accum"][0] > 0
