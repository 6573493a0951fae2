"""The reference engine's neuron update against closed-form values (docs/update_schemes.md, 3 and 4)."""
import math

import pytest

from spikemem import (IFCurrExp, Network, OneToOneConnector, Population, Projection, Recording, Simulation,
                      SpikeSourceArray, get_backend)
from spikemem.models.ca3.params import FAST, OUT, SLOW


def one_neuron(cell, w, delay=1.0, scheme="spinnaker", times=(0.0,), receptor="excitatory"):
    net = Network([Population("in", 1, SpikeSourceArray((times,))), Population("n", 1, cell)],
                  [Projection("p", "in", "n", OneToOneConnector(), w, delay, receptor)],
                  Simulation(1.0, scheme), Recording(spikes=("n",), v=("n",)))
    return get_backend("reference").run(net, 12.0)


def init_factor(tau_syn, dt=1.0):
    return tau_syn / dt * (1 - math.exp(-dt / tau_syn))


@pytest.mark.parametrize("cell, gain", [(SLOW, 0.91119), (FAST, 0.89338)])
def test_one_step_depolarisation_per_nA(cell, gain):
    res = one_neuron(cell, 1.0)
    v = res.v["n"][0, :, 0]
    assert v[0] == cell.v_rest                          # the input spike at t=0 arrives at t=1
    assert v[1] - cell.v_rest == pytest.approx(gain, abs=5e-5)
    expected = init_factor(0.3) * cell.tau_m / cell.cm * (1 - math.exp(-1 / cell.tau_m))
    assert v[1] - cell.v_rest == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("cell, w_thresh", [(SLOW, 3.2924), (FAST, 3.3580), (OUT, 2.7437)])
def test_threshold_weights(cell, w_thresh):
    assert len(one_neuron(cell, w_thresh + 2e-4).spikes["n"][1]) == 1
    assert len(one_neuron(cell, w_thresh - 2e-4).spikes["n"][1]) == 0


def test_spike_arrives_after_delay_and_refractory_step_holds_v():
    res = one_neuron(SLOW, 6.0, delay=3.0, times=(0.0, 1.0, 2.0))
    assert res.spike_list("n") == [[3, 0], [5, 0]]     # the input at t=4 lands in the refractory step
    v = res.v["n"][0, :, 0]
    assert v[3] == v[4] == SLOW.v_reset


def test_inhibition_hyperpolarises():
    res = one_neuron(SLOW, 1.0, receptor="inhibitory")
    assert res.v["n"][0, 1, 0] - SLOW.v_rest == pytest.approx(-0.91119, abs=5e-5)


def test_exact_scheme_matches_nest_propagator():
    """Input arriving at t jumps I at t; V moves from t+1 on by P21 (0.534 mV/nA for the fast set)."""
    res = one_neuron(FAST, 1.0, scheme="exact")
    v = res.v["n"][0, :, 0] - FAST.v_rest
    assert v[1] == 0.0
    assert v[2] == pytest.approx(0.534, abs=5e-4)
    tm, ts, cm = FAST.tau_m, FAST.tau_syn_E, FAST.cm
    p21 = tm * ts / (cm * (ts - tm)) * (math.exp(-1 / ts) - math.exp(-1 / tm))
    assert v[2] == pytest.approx(p21, rel=1e-12)
    # one step later: the membrane decays and the remaining current still charges it
    p22, p11 = math.exp(-1 / tm), math.exp(-1 / ts)
    assert v[3] == pytest.approx(v[2] * p22 + p11 * p21, rel=1e-12)


def test_constant_current_reaches_steady_state():
    cell = IFCurrExp(cm=0.25, tau_m=10.0, v_rest=-65.0, v_thresh=0.0, i_offset=0.1)
    for scheme in ("spinnaker", "exact"):
        net = Network([Population("n", 1, cell)], simulation=Simulation(1.0, scheme), recording=Recording(v=("n",)))
        v = get_backend().run(net, 300.0).v["n"][0, -1, 0]
        assert v == pytest.approx(cell.v_rest + cell.i_offset * cell.tau_m / cell.cm, abs=1e-9)


def test_batch_trials_are_independent():
    net = Network([Population("in", 2, SpikeSourceArray()), Population("n", 2, SLOW)],
                  [Projection("p", "in", "n", OneToOneConnector(), 6.0, 1.0)])
    trials = [[[0.0, 5.0], []], [[], [2.0]], [[], []]]
    be = get_backend()
    batch = be.run(net, 10.0, inputs={"in": trials})
    for k, tr in enumerate(trials):
        alone = be.run(net, 10.0, inputs={"in": [tr]})
        assert batch.spike_list("n", k) == alone.spike_list("n", 0)
    assert batch.spike_list("n", 0) == [[1, 0], [6, 0]]
    assert batch.spike_list("n", 2) == []


def test_bad_inputs_are_refused_before_running():
    from spikemem import ValidationError
    net = Network([Population("in", 1, SpikeSourceArray()), Population("n", 1, SLOW)],
                  [Projection("p", "in", "n", OneToOneConnector(), 6.0, 1.0)])
    be = get_backend()
    with pytest.raises(ValidationError, match="-1"):
        be.run(net, 10.0, inputs={"in": [[[-1.0]]]})
    with pytest.raises(ValidationError, match="0.5"):
        be.run(net, 10.0, inputs={"in": [[[0.5]]]})
    with pytest.raises(ValidationError, match="inputs.*'n'"):
        be.run(net, 10.0, inputs={"n": [[[1.0]]]})
    with pytest.raises(ValidationError, match="duration_ms"):
        be.run(net, 2.5)


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_separate_exc_and_inh_time_constants(scheme):
    """With tau_syn_E != tau_syn_I each receptor keeps its own current (and its own gain)."""
    cell = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=2.0, v_rest=-60, v_reset=-60, v_thresh=0)
    exc = one_neuron(cell, 1.0, scheme=scheme).v["n"][0, :, 0] - cell.v_rest
    inh = one_neuron(cell, 1.0, scheme=scheme, receptor="inhibitory").v["n"][0, :, 0] - cell.v_rest
    R, a = cell.tau_m / cell.cm, math.exp(-1 / cell.tau_m)
    if scheme == "spinnaker":
        assert exc[1] == pytest.approx(init_factor(0.3) * R * (1 - a), rel=1e-12)
        assert inh[1] == pytest.approx(-init_factor(2.0) * R * (1 - a), rel=1e-12)
        # next step: the slower inhibitory current is still there
        d = math.exp(-1 / 2.0)
        assert inh[2] == pytest.approx(a * inh[1] - d * init_factor(2.0) * R * (1 - a), rel=1e-12)
    else:
        def p21(ts):
            return cell.tau_m * ts / (cell.cm * (ts - cell.tau_m)) * (math.exp(-1 / ts) - a)
        assert exc[2] == pytest.approx(p21(0.3), rel=1e-12)
        assert inh[2] == pytest.approx(-p21(2.0), rel=1e-12)
