"""The PyNN backend on NEST: conversions, declared limits, and spike-for-spike agreement
with the reference backend's exact scheme (NEST's iaf_psc_exp on the grid)."""
import importlib.util
from dataclasses import replace

import numpy as np
import pytest
from spikemem.backends.pynn.lowering import lower
from spikemem.backends.pynn.simulators import NEST, SPINNAKER
from spikemem.models.ca3 import RECORDED, build_cam, protocol
from spikemem.models.ca3 import cases as hc
from spikemem.models.ca3.params import CA3Params

from spikemem import (
    AllToAllConnector,
    IFCurrDelta,
    IFCurrExp,
    Network,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeSourceArray,
    get_backend,
)
from spikemem.errors import UnsupportedFeature, ValidationError


def _two_pops():
    return Network([Population("a", 3, IFCurrExp()), Population("b", 3, IFCurrExp())],
                   [Projection("inh", "a", "b", AllToAllConnector(allow_self_connections=False), 2.0, 1.0, "inhibitory")])


def test_lowering_drops_diagonal_between_populations_and_signs_inhibition():
    nest_pr = lower(_two_pops(), NEST)["projections"][0]
    pairs = {(c[0], c[1]) for c in nest_pr["connections"]}
    assert pairs == {(i, j) for i in range(3) for j in range(3) if i != j}
    assert all(c[2] == -2.0 for c in nest_pr["connections"])          # NEST/Brian2 want w < 0
    assert all(c[2] == 2.0 for c in lower(_two_pops(), SPINNAKER)["projections"][0]["connections"])


def test_stdp_amplitudes_follow_each_simulators_convention():
    net = build_cam(2, 3)
    stdp_nest = lower(net, NEST)["projections"][9]["stdp"]
    stdp_spin = lower(net, SPINNAKER)["projections"][9]["stdp"]
    assert stdp_nest["A_plus"] * stdp_nest["w_max"] == pytest.approx(6.0)   # PyNN-NEST scales A by w_max
    assert stdp_spin["A_plus"] == 6.0                                         # sPyNNaker 7: absolute


@pytest.mark.parametrize("field, value", [("traces", "nearest"), ("clamp", "per_update"), ("post_history", 16),
                                          ("potentiate_at_zero", True), ("w_min", 0.5)])
def test_inexpressible_stdp_is_refused_by_name(field, value):
    net = build_cam(2, 3, replace(CA3Params(), stdp=replace(CA3Params().stdp, **{field: value})))
    with pytest.raises(UnsupportedFeature, match="nest cannot express"):
        lower(net, NEST)


def test_spinnaker_needs_a_1ms_timestep():
    with pytest.raises(UnsupportedFeature, match="1 ms timestep"):
        lower(build_cam(2, 3, replace(CA3Params(), dt=0.5)), SPINNAKER)


def test_a_foreign_update_scheme_is_refused_unless_asked_for(caplog):
    pytest.importorskip("pyNN.nest")
    case = hc.functional()
    with pytest.raises(UnsupportedFeature, match="scheme='spinnaker'.*foreign_scheme"):
        get_backend("nest").run(build_cam(5, 10), case.sim_time_ms, inputs=protocol.input_events([case]))
    res = get_backend("nest", foreign_scheme=True).run(build_cam(5, 10), case.sim_time_ms,
                                                       inputs=protocol.input_events([case]))
    assert any(r.levelname == "WARNING" and "not expressible on nest" in r.message and r.name.startswith("spikemem")
               for r in caplog.records)
    exact = get_backend("reference").run(build_cam(5, 10, replace(CA3Params(), scheme="exact")), case.sim_time_ms,
                                         inputs=protocol.input_events([case]))
    for pop in RECORDED:
        assert all(np.array_equal(a, b) for a, b in zip(res.spikes[pop], exact.spikes[pop])), pop


def test_options_are_validated():
    pytest.importorskip("pyNN.nest")
    with pytest.raises(ValidationError, match="codegen"):
        get_backend("nest", codegen="numpy")
    with pytest.raises(ValidationError, match="spike_precision"):
        get_backend("nest", spike_precision="exact")


def test_nest_on_grid_matches_reference_exact_spike_for_spike():
    pytest.importorskip("pyNN.nest")
    case = hc.functional()
    net = build_cam(case.C, case.N, replace(CA3Params(), scheme="exact"))
    inputs = protocol.input_events([case])            # starts at t = 0: NEST needs the stimulus shift
    ref = get_backend("reference").run(net, case.sim_time_ms, inputs=inputs)
    res = get_backend("nest").run(net, case.sim_time_ms, inputs=inputs)
    assert res.count() > 300
    for pop in RECORDED:
        for a, b in zip(ref.spikes[pop], res.spikes[pop]):
            np.testing.assert_array_equal(a, b, err_msg=pop)


def test_nest_refuses_a_shift_that_would_change_the_run():
    pytest.importorskip("pyNN.nest")
    net = Network([Population("src", 1, SpikeSourceArray(((0.0,),))), Population("n", 1, IFCurrExp(i_offset=0.1))],
                  [Projection("p", "src", "n", AllToAllConnector(), 1.0, 1.0)], Simulation(scheme="exact"))
    with pytest.raises(UnsupportedFeature, match="i_offset"):
        get_backend("nest").run(net, 10.0)


def test_nest_batch_runs_each_trial():
    pytest.importorskip("pyNN.nest")
    net = Network([Population("src", 1, SpikeSourceArray()), Population("n", 1, IFCurrExp(tau_refrac=2.0))],
                  [Projection("p", "src", "n", AllToAllConnector(), 5.0, 1.0)], Simulation(scheme="exact"))
    inputs = {"src": [[[3.0]], [[5.0, 9.0]]]}
    ref = get_backend("reference").run(net, 15.0, inputs=inputs)
    res = get_backend("nest").run(net, 15.0, inputs=inputs)
    assert res.batch == 2 and set(ref.spikes["n"][0].tolist()) == {0, 1}
    for a, b in zip(ref.spikes["n"], res.spikes["n"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("i_offset, at_rest", [(0.0, True), ((0.0, 0.0), True), ((0.0, 0.1), False), (0.1, False)])
def test_nest_run_and_session_agree_on_when_the_stimulus_may_shift(i_offset, at_rest):
    """A per-neuron i_offset of zeros starts at rest as a scalar 0 does: a run shifts the stimulus,
    and a session must too, or it refuses inputs the run accepts."""
    from spikemem.backends.pynn.lowering import starts_at_rest
    net = Network([Population("src", 2, SpikeSourceArray(((0.0,), (1.0,)))), Population("n", 2, IFCurrExp(i_offset=i_offset))],
                  [Projection("p", "src", "n", AllToAllConnector(), 1.0, 1.0)], Simulation(scheme="exact"))
    assert starts_at_rest(net) is at_rest
    if not at_rest or importlib.util.find_spec("pyNN") is None:
        return
    pytest.importorskip("nest")
    run = get_backend("nest").run(net, 10.0)
    s = get_backend("nest").session(net)
    try:
        assert s.shift == NEST.source_min_time_steps
        window = s.run(10.0)
    finally:
        s.close()
    for a, b in zip(run.spikes["n"], window.spikes["n"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", [IFCurrExp(cm=1.0, tau_m=20.0, v_thresh=-50.0, tau_refrac=2.0, i_offset=2.0),
                                  IFCurrExp(cm=1.0, tau_m=20.0, v_thresh=-50.0, tau_refrac=2.0, i_offset=(2.0, 1.0), v_init=-55.0),
                                  IFCurrDelta(cm=1.0, tau_m=20.0, v_thresh=-50.0, tau_refrac=2.0,
                                                                     i_offset=2.0),
                                  IFCurrDelta(cm=1.0, tau_m=20.0, v_thresh=-50.0, tau_refrac=2.0,
                                                                     i_offset=(0.0, 0.9), v_init=-51.0)])
@pytest.mark.parametrize("first_input_ms", [1.0, 5.0])
def test_nest_matches_the_reference_where_neurons_move_on_their_own(cell, first_input_ms):
    """Spikes and V driven by an offset current or a start voltage: NEST stamps a spike at the end
    of its step and its sources fire one step early, so such a run is shifted by one step (it was
    one step late before); input-driven spikes line up as before. The all-to-all with one weight
    is NEST's own rule: into IF_curr_delta its weights are mV (they were taken as nA, x 1000)."""
    pytest.importorskip("pyNN.nest")
    net = Network([Population("src", 2, SpikeSourceArray(((first_input_ms, 17.0), (23.0,)))), Population("n", 2, cell)],
                  [Projection("p", "src", "n", AllToAllConnector(), 3.0, 1.0)], Simulation(scheme="exact"),
                  Recording(spikes=("n",), v=("n",)))
    ref = get_backend("reference").run(net, 60.0)
    got = get_backend("nest").run(net, 60.0)
    assert ref.count("n") >= 2
    assert got.spike_list("n") == ref.spike_list("n")
    if cell.kind == "IF_curr_exp":          # pyNN.nest records no V of IF_curr_delta (test_delta_cell.py)
        np.testing.assert_allclose(got.v["n"], ref.v["n"], atol=1e-9)
    s = get_backend("nest").session(net)
    try:
        windows = [s.run(t) for t in (20.0, 41.0, 60.0)]
    finally:
        s.close()
    assert [x for w in windows for x in w.spike_list("n")] == ref.spike_list("n")

