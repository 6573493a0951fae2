"""IFCondExp, IFCurrAlpha and Izhikevich on the reference engine against closed-form values and
step-by-step oracles written from the equations (docs/cells.md), both update schemes."""
import math
from dataclasses import replace

import numpy as np
import pytest

from spikemem import (AllToAllConnector, FromListConnector, IFCondExp, IFCurrAlpha, IFCurrExp, Izhikevich, Network,
                      OneToOneConnector, Population, Projection, Recording, Simulation, SpikeSourceArray,
                      ValidationError, get_backend)

ALPHA = IFCurrAlpha(cm=0.5, tau_m=10.0, tau_syn_E=2.0, tau_syn_I=3.0, v_rest=-65.0, v_reset=-70.0, v_thresh=0.0,
                    tau_refrac=2.0)
COND = IFCondExp(cm=0.25, tau_m=15.0, tau_syn_E=3.0, tau_syn_I=6.0, e_rev_E=0.0, e_rev_I=-80.0, v_rest=-65.0,
                 v_reset=-70.0, v_thresh=0.0, tau_refrac=2.0)


def one_input(cell, w, dt=1.0, scheme="exact", times=(1.0,), receptor="excitatory", steps=60, delay=None):
    delay = dt if delay is None else delay
    net = Network([Population("in", 1, SpikeSourceArray((times,))), Population("n", 1, cell)],
                  [Projection("p", "in", "n", OneToOneConnector(), w, delay, receptor)],
                  Simulation(dt, scheme), Recording(spikes=("n",), v=("n",), gsyn_exc=("n",), gsyn_inh=("n",)))
    return get_backend("reference").run(net, steps * dt)


# -- IF_curr_alpha ---------------------------------------------------------------------------------
def alpha_psp(t, w, cell, tau):
    """V(t) - v_rest after a current w e (t/tau) e^(-t/tau) starts at t = 0 (the convolution
    with the membrane's e^(-t/tau_m)/cm, integrated by hand)."""
    a = 1 / tau - 1 / cell.tau_m
    return w * math.e / (tau * cell.cm) * np.exp(-t / cell.tau_m) * (1 - np.exp(-a * t) * (1 + a * t)) / a ** 2


def test_alpha_psc_peaks_at_the_weight_tau_syn_after_arrival():
    for scheme in ("exact", "spinnaker"):
        res = one_input(ALPHA, 1.5, dt=0.1, scheme=scheme, steps=200)
        g = res.gsyn_exc["n"][0, :, 0]
        arrive = 11                                      # spike at 1.0 ms + one 0.1 ms delay
        t = (np.arange(len(g)) - arrive) * 0.1
        # both schemes sample the alpha current j steps after the arrival step (NEST: the current
        # of the step's end; sPyNNaker: 0 in the arrival step, the current held over step j)
        want = np.where(t >= 0, 1.5 * t / 2.0 * np.exp(1 - t / 2.0), 0.0)
        np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-12)
        assert g.max() == pytest.approx(1.5, abs=1e-12) and res.gsyn_inh["n"].max() == 0.0
        assert (np.argmax(g) - arrive) * 0.1 == pytest.approx(2.0)


def test_alpha_psp_is_the_closed_form_at_every_step_and_peaks_on_time():
    w, dt = 0.8, 0.01
    res = one_input(ALPHA, w, dt=dt, scheme="exact", steps=3000)
    v = res.v["n"][0, :, 0] - ALPHA.v_rest
    arrive = 101
    t = (np.arange(len(v)) - arrive) * dt           # V moves from the step after the arrival step
    want = np.where(t > 0, alpha_psp(np.maximum(t, 0), w, ALPHA, ALPHA.tau_syn_E), 0.0)
    np.testing.assert_allclose(v, want, rtol=1e-10, atol=1e-12)
    # the continuous peak: d/dt of the closed form vanishes (bisection on its sign)
    dv = (lambda s: alpha_psp(s + 1e-7, w, ALPHA, 2.0) - alpha_psp(s - 1e-7, w, ALPHA, 2.0))
    lo, hi = 1.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if dv(mid) > 0 else (lo, mid)
    t_peak = (lo + hi) / 2
    assert abs(t[np.argmax(v)] - t_peak) <= dt
    assert v.max() == pytest.approx(alpha_psp(t_peak, w, ALPHA, 2.0), rel=1e-6)
    assert 2.0 < t_peak < 10.0                      # between tau_syn and tau_m, as an alpha PSP's peak lies


def spinnaker_alpha_oracle(cell, arrivals, steps, dt=1.0):
    """sPyNNaker's alpha synapse (synapse_types_alpha_impl.h) and LIF closed form, one neuron, in
    float: arrivals[t] = (exc weight, inh weight), the weight scaled to the charge e tau w."""
    out, v = [], cell.v_start
    R, a_m = cell.tau_m / cell.cm, math.exp(-dt / cell.tau_m)
    st = {r: dict(lin=0.0, exp=0.0, q=0.0) for r in "ei"}
    tau = {"e": cell.tau_syn_E, "i": cell.tau_syn_I}
    for t in range(steps):
        resp = {}
        for r, w in zip("ei", arrivals.get(t, (0.0, 0.0))):
            s, k = st[r], math.exp(-dt / tau[r])
            if w > 0:
                s["q"] = w * math.e * tau[r]
                s["exp"] = s["exp"] * k + 1
                s["lin"] = (s["lin"] + s["q"] * dt / tau[r] ** 2) * (1 - 1 / s["exp"])
            resp[r] = s["lin"] * s["exp"]
        a = cell.v_rest + (resp["e"] - resp["i"] + cell.i_offset) * R
        v = a - a_m * (a - v)
        for r in "ei":
            s = st[r]
            s["lin"] += s["q"] * dt / tau[r] ** 2
            s["exp"] *= math.exp(-dt / tau[r])
        out.append(v)
    return np.array(out)


def test_spinnaker_alpha_follows_the_C_algorithm_with_several_inputs():
    cell = replace(ALPHA, i_offset=0.05)
    net = Network([Population("in", 2, SpikeSourceArray(((2.0, 3.0, 9.0), (4.0, 9.0)))), Population("n", 1, cell)],
                  [Projection("e", "in", "n", FromListConnector(((0, 0),)), 0.7, 1.0),
                   Projection("i", "in", "n", FromListConnector(((1, 0),)), 0.4, 1.0, "inhibitory")],
                  Simulation(1.0, "spinnaker"), Recording(v=("n",)))
    got = get_backend("reference").run(net, 30.0).v["n"][0, :, 0]
    want = spinnaker_alpha_oracle(cell, {3: (0.7, 0), 4: (0.7, 0), 5: (0, 0.4), 10: (0.7, 0.4)}, 30)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.max() > cell.v_rest + 1


# -- IF_cond_exp -------------------------------------------------------------------------------------
def cond_ode(cell, g_e, g_i, v0, t_end, i_offset=0.0):
    """dV/dt = (g_L (E_L - V) + g_E e^(-t/tau_E) (E_E - V) + g_I e^(-t/tau_I) (E_I - V) + I) / cm,
    solved by scipy to 1e-12."""
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp
    gl = cell.cm / cell.tau_m

    def f(t, v):
        ge, gi = g_e * np.exp(-t / cell.tau_syn_E), g_i * np.exp(-t / cell.tau_syn_I)
        return (gl * (cell.v_rest - v) + ge * (cell.e_rev_E - v) + gi * (cell.e_rev_I - v) + i_offset) / cell.cm
    sol = solve_ivp(f, (0, t_end), [v0], method="DOP853", rtol=1e-12, atol=1e-12, dense_output=True)
    return sol.sol


@pytest.mark.parametrize("receptor, w", [("excitatory", 0.02), ("inhibitory", 0.05), ("excitatory", 0.6)])
def test_exact_conductance_psp_follows_its_ode(receptor, w):
    cell = replace(COND, v_init=-60.0, i_offset=0.1)
    res = one_input(cell, w, dt=0.5, scheme="exact", receptor=receptor, steps=80, times=(3.0,))
    v = res.v["n"][0, :, 0]
    arrive = 7                                    # 3.0 ms + 0.5 ms delay: step 7; g jumps at its end
    before = cond_ode(cell, 0.0, 0.0, cell.v_init, 4.0, 0.1)
    np.testing.assert_allclose(v[:arrive + 1], before(np.arange(1, arrive + 2) * 0.5).ravel(), rtol=0, atol=1e-9)
    ge, gi = (w, 0.0) if receptor == "excitatory" else (0.0, w)
    after = cond_ode(cell, ge, gi, v[arrive], 40.0, 0.1)
    np.testing.assert_allclose(v[arrive + 1:], after(np.arange(1, 80 - arrive) * 0.5).ravel(), rtol=0, atol=1e-5)
    g = (res.gsyn_exc if receptor == "excitatory" else res.gsyn_inh)["n"][0, :, 0]
    tau = cell.tau_syn_E if receptor == "excitatory" else cell.tau_syn_I
    np.testing.assert_allclose(g[arrive:], w * np.exp(-np.arange(80 - arrive) * 0.5 / tau), rtol=1e-12)
    assert abs(v[arrive + 4] - v[arrive]) > (0.5 if w > 0.1 else 0.05)


def test_spinnaker_conductance_holds_the_current_of_the_step_start():
    cell = replace(COND, i_offset=0.02)
    res = one_input(cell, 0.03, scheme="spinnaker", times=(0.0, 4.0), steps=20)
    v, g = res.v["n"][0, :, 0], res.gsyn_exc["n"][0, :, 0]
    init = cell.tau_syn_E * (1 - math.exp(-1 / cell.tau_syn_E))
    decay, a_m, R = math.exp(-1 / cell.tau_syn_E), math.exp(-1 / cell.tau_m), cell.tau_m / cell.cm
    ge, vv, want_v, want_g = 0.0, cell.v_rest, [], []
    for t in range(20):
        ge += init * 0.03 * (t in (1, 5))
        want_g.append(ge)
        a = cell.v_rest + (ge * (cell.e_rev_E - vv) + 0.02) * R
        vv = a - a_m * (a - vv)
        want_v.append(vv)
        ge *= decay
    np.testing.assert_allclose(g, want_g, rtol=1e-14)
    np.testing.assert_allclose(v, want_v, rtol=1e-13)


def test_a_large_conductance_stays_accurate_and_stable():
    """g = 20 uS on cm = 0.25 nF relaxes V in 12 us: the Runge-Kutta step shrinks to follow it."""
    res = one_input(COND, 20.0, dt=1.0, scheme="exact", steps=12)
    v = res.v["n"][0, :, 0]
    after = cond_ode(COND, 20.0, 0.0, COND.v_rest, 12.0)
    np.testing.assert_allclose(v[3:8], after(np.arange(1, 6)).ravel(), rtol=0, atol=1e-6)
    assert np.all(np.isfinite(v)) and v.max() < 0.0


# -- Izhikevich --------------------------------------------------------------------------------------
def izh_oracle(cell, arrivals, steps, scheme, dt=1.0):
    """One Izhikevich neuron, step by step from the equations: exact = NEST's forward Euler;
    spinnaker = sPyNNaker's midpoint step with h = 1.85 dt after a spike. Synapses: voltage jumps
    (tau_syn None) or exponential currents (sPyNNaker's init scaling under spinnaker, NEST's order
    under exact). arrivals[t] = (exc, inh)."""
    v, u, h = cell.v_init, cell.u_init, dt
    ie = ii = 0.0
    jumps = cell.tau_syn_E is None
    if not jumps:
        de, di = math.exp(-dt / cell.tau_syn_E), math.exp(-dt / cell.tau_syn_I)
        ke, ki = cell.tau_syn_E / dt * (1 - de), cell.tau_syn_I / dt * (1 - di)
    vs, spikes = [], []
    for t in range(steps):
        we, wi = arrivals.get(t, (0.0, 0.0))
        if scheme == "spinnaker":
            if not jumps:
                ie, ii = ie + ke * we, ii + ki * wi
            inp = ie - ii + cell.i_offset
            pre = 140 + inp - u
            alpha = pre + (5 + 0.04 * v) * v
            eta = v + h * alpha / 2
            beta = h * (cell.b * v - u) * cell.a / 2
            v, u = v + h * (pre - beta + (5 + 0.04 * eta) * eta), u + cell.a * h * (-u - beta + cell.b * eta)
            h = dt
            if not jumps:
                ie, ii = ie * de, ii * di
        else:
            inp = ie - ii + cell.i_offset
            v, u = v + dt * (0.04 * v * v + 5 * v + 140 - u + inp), u + dt * cell.a * (cell.b * v - u)
            if not jumps:
                ie, ii = ie * de + we, ii * di + wi
        if jumps:
            v += we - wi
        if v >= 30:
            spikes.append(t)
            v, u = cell.c, u + cell.d
            h = 1.85 * dt
        vs.append(v)
    return np.array(vs), spikes


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
@pytest.mark.parametrize("synapses", [None, (4.0, 8.0)])
def test_izhikevich_follows_its_step_by_step_oracle(scheme, synapses):
    tau = dict(tau_syn_E=synapses[0], tau_syn_I=synapses[1]) if synapses else {}
    cell = Izhikevich(a=0.02, b=0.2, c=-55.0, d=4.0, i_offset=8.0, **tau)
    w = (6.0, 3.0) if synapses is None else (12.0, 9.0)
    times_e, times_i = (2.0, 10.0, 11.0, 30.0), (15.0, 31.0)
    net = Network([Population("e", 1, SpikeSourceArray((times_e,))), Population("i", 1, SpikeSourceArray((times_i,))),
                   Population("n", 1, cell)],
                  [Projection("pe", "e", "n", OneToOneConnector(), w[0], 1.0),
                   Projection("pi", "i", "n", OneToOneConnector(), w[1], 1.0, "inhibitory")],
                  Simulation(0.5, scheme), Recording(spikes=("n",), v=("n",)))
    res = get_backend("reference").run(net, 80.0)
    arrivals = {}
    for times, k in ((times_e, 0), (times_i, 1)):
        for t in times:
            step = round(t / 0.5) + 2
            e_i = list(arrivals.get(step, (0.0, 0.0)))
            e_i[k] += w[k]
            arrivals[step] = tuple(e_i)
    v, spikes = izh_oracle(cell, arrivals, 160, scheme, 0.5)
    np.testing.assert_allclose(res.v["n"][0, :, 0], v, rtol=1e-12, atol=1e-9)
    assert [round(s / 0.5) for s, _ in res.spike_list("n")] == spikes
    assert len(spikes) >= 3


def test_izhikevich_regular_spiking_rate_matches_the_published_neuron():
    """RS neuron (a .02, b .2, c -65, d 8) under a 10 mV/ms step current at dt 0.1 ms: the first
    interspike interval is shorter than the later ones (adaptation), as Izhikevich (2003) shows."""
    cell = Izhikevich(a=0.02, b=0.2, c=-65.0, d=8.0, i_offset=10.0, v_init=-65.0, u_init=-13.0)
    net = Network([Population("n", 1, cell)], simulation=Simulation(0.1, "exact"), recording=Recording(spikes=("n",)))
    t = np.array([s for s, _ in get_backend("reference").run(net, 300.0).spike_list("n")])
    isi = np.diff(t)
    assert len(t) >= 5 and isi[0] < isi[-1] and 20 < isi[-1] < 60


# -- description -------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, field, value", [
    (IFCondExp, "tau_syn_E", 0.0), (IFCondExp, "e_rev_E", math.nan), (IFCondExp, "cm", -1.0),
    (IFCurrAlpha, "tau_syn_I", -2.0), (IFCurrAlpha, "v_thresh", math.inf),
    (Izhikevich, "a", math.nan), (Izhikevich, "d", "x"), (Izhikevich, "u_init", math.inf),
    (Izhikevich, "tau_syn_E", 0.0), (Izhikevich, "i_offset", (1.0, math.nan))])
def test_bad_fields_are_refused_by_name(cls, field, value):
    kw = {field: value}
    if cls is Izhikevich and field == "tau_syn_E":
        kw["tau_syn_I"] = 1.0
    with pytest.raises(ValidationError, match=field.split("_")[0]):
        cls(**kw)


def test_gsyn_recording_is_refused_where_there_is_nothing_to_record():
    with pytest.raises(ValidationError, match="recording.gsyn_exc"):
        Network([Population("n", 1, Izhikevich())], recording=Recording(gsyn_exc=("n",)))
    with pytest.raises(ValidationError, match="sampling_interval"):
        Network([Population("n", 1, COND)], simulation=Simulation(0.5),
                recording=Recording(v=("n",), sampling_interval=0.75))


def test_sampling_interval_keeps_every_kth_step():
    full = one_input(COND, 0.05, dt=0.5, scheme="exact", steps=40)
    net = Network([Population("in", 1, SpikeSourceArray(((1.0,),))), Population("n", 1, COND)],
                  [Projection("p", "in", "n", OneToOneConnector(), 0.05, 0.5)], Simulation(0.5, "exact"),
                  Recording(v=("n",), gsyn_exc=("n",), sampling_interval=1.5))
    res = get_backend("reference").run(net, 20.0)
    assert res.sampling == 3 and res.v["n"].shape == (1, 14, 1)
    np.testing.assert_array_equal(res.v["n"][0, :, 0], full.v["n"][0, ::3, 0])
    np.testing.assert_array_equal(res.gsyn_exc["n"][0, :, 0], full.gsyn_exc["n"][0, ::3, 0])


def test_mixed_models_in_one_network_run_as_each_alone():
    """Every model on its slice: a population's spikes do not depend on the others it shares
    the flat arrays with (and IF_curr_exp keeps its indices)."""
    rng = np.random.default_rng(3)
    cells = {"lif": IFCurrExp(tau_syn_E=2.0, tau_syn_I=4.0, v_thresh=-55.0, i_offset=0.3),
             "cond": replace(COND, v_thresh=-55.0, i_offset=0.3), "alpha": replace(ALPHA, v_thresh=-60.0),
             "izh": Izhikevich(i_offset=5.0, tau_syn_E=3.0, tau_syn_I=3.0)}
    weight = {"lif": 1.0, "cond": 0.02, "alpha": 1.0, "izh": 5.0}
    inputs = {"s": [[sorted(set(rng.integers(0, 100, 12).astype(float))) for _ in range(4)] for _ in range(2)]}
    for scheme in ("spinnaker", "exact"):
        alone = {}
        for k, cell in cells.items():
            net = Network([Population("s", 4, SpikeSourceArray()), Population(k, 3, cell)],
                          [Projection("p", "s", k, AllToAllConnector(), weight[k], 1.0)], Simulation(1.0, scheme))
            alone[k] = get_backend("reference").run(net, 100.0, inputs=inputs)
        pops = [Population("s", 4, SpikeSourceArray())] + [Population(k, 3, c) for k, c in reversed(cells.items())]
        projs = [Projection(f"p{k}", "s", k, AllToAllConnector(), weight[k], 1.0) for k in cells]
        both = get_backend("reference").run(Network(pops, projs, Simulation(1.0, scheme)), 100.0, inputs=inputs)
        for k in cells:
            assert np.array_equal(both.spike_matrix(k), alone[k].spike_matrix(k)), (scheme, k)
        assert all(both.count(k) > 0 for k in cells)


def mixed_network(scheme: str) -> Network:
    """Every model, exc and inh, static and voltage-jump synapses, recorded V and gsyn."""
    rng = np.random.default_rng(0)
    cells = {"lif": IFCurrExp(tau_syn_E=2.0, tau_syn_I=4.0, v_thresh=-55.0, i_offset=0.3),
             "cond": replace(COND, v_thresh=-55.0, i_offset=0.3), "alpha": replace(ALPHA, v_thresh=-60.0),
             "izh": Izhikevich(i_offset=5.0, tau_syn_E=3.0, tau_syn_I=3.0), "izd": Izhikevich(i_offset=5.0)}
    w = {"lif": 1.0, "cond": 0.02, "alpha": 1.0, "izh": 5.0, "izd": 3.0}
    pops = [Population("s", 4, SpikeSourceArray())] + [Population(k, 5, c) for k, c in cells.items()]
    projs = [Projection(f"p{k}", "s", k, AllToAllConnector(), w[k], 1.0) for k in cells]
    projs += [Projection(f"r{a}{b}", a, b, AllToAllConnector(), rng.uniform(0, w[b] / 3, (5, 5)), 2.0,
                         "inhibitory" if a == "izd" else "excitatory") for a in cells for b in cells]
    rec = Recording(v=tuple(cells), gsyn_exc=("lif", "cond", "alpha", "izh"), gsyn_inh=("cond", "lif"))
    return Network(pops, projs, Simulation(1.0, scheme), rec)


MIXED_INPUTS = {"s": [[sorted(set(np.random.default_rng(k).integers(0, 100, 12).astype(float))) for _ in range(4)]
                      for k in range(3)]}


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_session_windows_give_the_run_of_every_model(scheme):
    net = mixed_network(scheme)
    whole = get_backend("reference").run(net, 100.0, inputs=MIXED_INPUTS)
    s = get_backend("reference").session(net, batch=3)
    first = s.run(30.0, inputs=MIXED_INPUTS)
    with s.tentative():
        s.run(70.0)
    rest = [s.run(61.0), s.run(100.0)]
    for pop in ("lif", "cond", "alpha", "izh", "izd"):
        got = sorted(x for w in [first] + rest for trial in range(3) for x in w.spike_list(pop, trial))
        assert got == sorted(x for trial in range(3) for x in whole.spike_list(pop, trial)), pop
    np.testing.assert_array_equal(np.concatenate([w.gsyn_exc["cond"] for w in [first] + rest], axis=1),
                                  whole.gsyn_exc["cond"])
    assert whole.count() > 1000


def test_to_neo_carries_gsyn_and_the_sampling_and_reads_back():
    pytest.importorskip("neo")
    from spikemem.interchange.neo_block import block_to_result
    net = mixed_network("exact")
    net = replace(net, recording=replace(net.recording, sampling_interval=2.0))
    res = get_backend("reference").run(net, 40.0, inputs=MIXED_INPUTS)
    block = res.to_neo()
    sig = [s for s in block.segments[1].analogsignals if s.name == "gsyn_exc"
           and s.annotations["source_population"] == "cond"][0]
    assert str(sig.units.dimensionality) == "uS" and float(sig.sampling_period.rescale("ms")) == 2.0
    np.testing.assert_array_equal(np.asarray(sig.magnitude), res.gsyn_exc["cond"][1])
    back = block_to_result(block, 1.0)
    assert back.sampling == 2
    for signal in ("v", "gsyn_exc", "gsyn_inh"):
        for pop, a in getattr(res, signal).items():
            np.testing.assert_array_equal(getattr(back, signal)[pop], a)


def test_nir_export_refuses_the_models_it_has_no_node_for():
    pytest.importorskip("nir")
    from spikemem import UnsupportedFeature
    from spikemem.interchange.nir_graph import to_nir
    for cell, feature in ((COND, "cell.cond_exp"), (ALPHA, "cell.alpha"), (Izhikevich(), "cell.izhikevich")):
        net = Network([Population("s", 1, SpikeSourceArray()), Population("n", 1, cell)],
                      [Projection("p", "s", "n", OneToOneConnector(), 1.0, 1.0)])
        with pytest.raises(UnsupportedFeature, match=feature.replace(".", r"\.")):
            to_nir(net)
