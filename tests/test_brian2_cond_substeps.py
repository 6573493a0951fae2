"""IF_cond_exp on Brian2 under strong conductances (backends/pynn/cond_substeps.py).

One Runge-Kutta step per dt put V millivolts off and moved spikes once a conductance made the
membrane stiff (the differential fuzzer's finding): Brian2 now runs Runge-Kutta 4 on the
sub-steps the run's own conductances need, by the exact scheme's rule, and refuses by name
beyond MAX_SUBSTEPS. Also the near-equal time constants Brian2's exact solutions cannot take."""
from dataclasses import replace

import numpy as np
import pytest
from pynn_cell_networks import random_network

from spikemem import (AllToAllConnector, IFCondExp, IFCurrAlpha, IFCurrExp, Network, OneToOneConnector, Population,
                      Projection, Recording, Simulation, SpikeSourceArray, UnsupportedFeature, get_backend)
from spikemem.backends.pynn import cond_substeps
from spikemem.backends.pynn.lowering import lower
from spikemem.backends.pynn.simulators import BRIAN2
from spikemem.description.features import ALPHA_NEAR_TAU, EXP_NEAR_TAU, cell_features


def _need_brian2():
    pytest.importorskip("pyNN")
    pytest.importorskip("brian2")


def _stronger(net, factor):
    return replace(net, projections=[replace(p, weight=np.asarray(p.weight) * factor if np.ndim(p.weight)
                                             else p.weight * factor) for p in net.projections])


def test_sub_stepped_runge_kutta_is_classic_rk4_on_each_sub_step():
    """dv/dt = -5 v / ms over 1 ms at dt = 0.1 ms: 10 k classic RK4 steps of h = dt / k, whose
    factor per step is 1 - x + x^2/2 - x^3/6 + x^4/24 with x = 5 h / ms."""
    _need_brian2()
    import brian2 as b2
    b2.prefs.codegen.target = "numpy"
    for k in (2, 8):
        group = b2.NeuronGroup(1, "dv/dt = -v * w / ms : 1\nw : 1", method=cond_substeps.runge_kutta(k), dt=0.1 * b2.ms)
        group.v, group.w = 1.0, 5.0
        b2.Network(group).run(1 * b2.ms)
        x = 0.5 / k
        assert group.v[0] == pytest.approx((1 - x + x ** 2 / 2 - x ** 3 / 6 + x ** 4 / 24) ** (10 * k), rel=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_the_peak_conductance_is_the_references(seed):
    """The check's conductances, from the run's spikes and the connection lists, peak where the
    reference engine's recorded g_E + g_I peak (an independent integration of the same spikes)."""
    net = _stronger(random_network(seed, "cond", 0.1), 10.0)
    net = replace(net, recording=replace(net.recording, spikes=("s", "a", "b")))
    ref = get_backend("reference").run(net, 80.0)
    plain = lower(net, BRIAN2)
    spikes = {name: (s, i) for name, (_, s, i) in ref.spikes.items()}
    for name in ("a", "b"):
        peak, _ = cond_substeps._peak_conductance(plain, cond_substeps.cond_populations(plain)[name], spikes, ref.steps)
        recorded = float(np.max(ref.gsyn_exc[name] + ref.gsyn_inh[name]))
        assert peak == pytest.approx(recorded, rel=1e-9), name


@pytest.mark.parametrize("seed, factor, dt", [(1, 25.0, 0.1), (2, 10.0, 0.1), (0, 4.0, 1.0)])
def test_strong_conductances_on_brian2_are_the_references(seed, factor, dt):
    """Before the sub-steps: seed 1 x 25 moved spikes (V 24 mV off), seed 2 x 10 put V 2.2 mV off;
    at dt = 1 ms one Runge-Kutta step per dt was about 1 mV off (Brian2 refused IF_cond_exp there)."""
    _need_brian2()
    net = _stronger(random_network(seed, "cond", dt), factor)
    ref, got = get_backend("reference").run(net, 80.0), get_backend("brian2").run(net, 80.0)
    for pop in ("a", "b"):
        assert got.spike_list(pop) == ref.spike_list(pop), pop
        np.testing.assert_allclose(got.v[pop], ref.v[pop], rtol=0, atol=1e-4)
    assert ref.count("a") + ref.count("b") > 100


def _feed_forward(w_in, w_ab):
    return Network([Population("s", 2, SpikeSourceArray(((2.0, 2.5, 3.0, 20.0), (2.2, 21.0)))),
                    Population("a", 3, IFCondExp(tau_refrac=0.0)), Population("b", 2, IFCondExp(cm=0.2))],
                   [Projection("sa", "s", "a", AllToAllConnector(), w_in, 1.0),
                    Projection("ab", "a", "b", AllToAllConnector(), w_ab, 1.0)],
                   Simulation(0.1, "exact"), Recording(spikes=("a", "b"), v=("a", "b")))


def test_a_conductance_beyond_the_sub_steps_is_refused_by_name_before_the_run():
    _need_brian2()
    net = _feed_forward(40.0, 0.01)          # the sources alone: 80 uS onto cm = 1 nF
    with pytest.raises(UnsupportedFeature, match=r"cell\.cond_exp\.stiff") as e:
        get_backend("brian2").run(net, 30.0)
    assert "uS" in str(e.value) and "sub-steps" in str(e.value)


def test_a_session_refuses_a_window_its_neurons_made_stiffer():
    """A session picks its sub-steps from its sources when it opens; a window whose neurons'
    spikes needed more is refused by name (its spikes may be wrong) and the session closed."""
    _need_brian2()
    net = _feed_forward(0.2, 0.5)            # weak sources, strong a -> b: known only after a runs
    backend = get_backend("brian2")
    session = backend.session(net)
    first = session.run(1.5)                 # before any input: fine
    assert first.count("a") == 0
    with pytest.raises(UnsupportedFeature, match=r"cell\.cond_exp\.stiff"):
        session.run(30.0)
    ref, got = get_backend("reference").run(net, 30.0), backend.run(net, 30.0)     # a whole run sub-steps
    assert got.spike_list("b") == ref.spike_list("b") and ref.count("b") > 0
    np.testing.assert_allclose(got.v["b"], ref.v["b"], rtol=0, atol=1e-4)


def test_near_equal_time_constants_are_a_feature():
    tau = 20.0
    assert "cell.exp.tau_syn_near_tau_m" in cell_features(IFCurrExp(tau_m=tau, tau_syn_E=tau), 0.1)
    assert "cell.exp.tau_syn_near_tau_m" in cell_features(IFCurrExp(tau_m=tau, tau_syn_I=tau * (1 - EXP_NEAR_TAU / 2)), 0.1)
    assert "cell.exp.tau_syn_near_tau_m" not in cell_features(IFCurrExp(tau_m=tau, tau_syn_E=tau * (1 + 2 * EXP_NEAR_TAU)), 0.1)
    near, far = tau * (1 + ALPHA_NEAR_TAU / 2), tau * (1 + 2 * ALPHA_NEAR_TAU)
    assert "cell.alpha.tau_syn_near_tau_m" in cell_features(IFCurrAlpha(tau_m=tau, tau_syn_E=near, tau_syn_I=near), 0.1)
    assert "cell.alpha.tau_syn_near_tau_m" not in cell_features(IFCurrAlpha(tau_m=tau, tau_syn_E=far, tau_syn_I=far), 0.1)
    per_neuron = IFCurrExp(tau_m=(10.0, tau), tau_syn_E=(5.0, tau))            # the second neuron's
    assert "cell.exp.tau_syn_near_tau_m" in cell_features(per_neuron, 0.1)


def test_near_equal_time_constants_run_on_nest_as_on_the_reference():
    """NEST's propagators take tau_syn = tau_m (what Brian2 refuses)."""
    pytest.importorskip("pyNN")
    pytest.importorskip("nest")
    for cell in (IFCurrExp(tau_m=3.188, tau_syn_E=3.188, i_offset=0.5),
                 IFCurrAlpha(tau_m=30.0, tau_syn_E=30.03, tau_syn_I=30.03, i_offset=0.5)):
        net = Network([Population("s", 1, SpikeSourceArray(((2.0, 5.0, 9.0),))), Population("n", 1, cell)],
                      [Projection("p", "s", "n", OneToOneConnector(), 1.5, 1.0)], Simulation(0.1, "exact"),
                      Recording(spikes=("n",), v=("n",)))
        ref, got = get_backend("reference").run(net, 30.0), get_backend("nest").run(net, 30.0)
        assert np.isfinite(got.v["n"]).all()
        np.testing.assert_allclose(got.v["n"], ref.v["n"], rtol=0, atol=1e-9)
