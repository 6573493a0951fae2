"""NEST built through native connectors and run on several threads gives the reference's spikes."""
import pytest
from test_structured import assert_same

pytest.importorskip("pyNN")
pytest.importorskip("nest")

from spikemem import get_backend  # noqa: E402
from spikemem.backends.pynn.lowering import lower  # noqa: E402
from spikemem.backends.pynn.simulators import NEST  # noqa: E402
from spikemem.models.ca3 import build_cam, protocol  # noqa: E402
from spikemem.models.ca3 import cases as hc  # noqa: E402
from spikemem.models.ca3.variants import variant_params  # noqa: E402

P = variant_params("portable")


def run(backend, C=6, N=8):
    cases = [hc.random_case(C, N, 30, seed=4)]
    net = build_cam(C, N, P)
    return backend.run(net, cases[0].sim_time_ms, protocol.input_events(cases, P.dt))


def test_lowering_uses_native_connectors_where_they_mean_the_same():
    plain = lower(build_cam(4, 5, P), NEST)
    kinds = {pr["name"]: pr["connector"] for pr in plain["projections"]}
    assert kinds["in_cue"] == "one_to_one"
    assert kinds["cuecont_lateral_inhibition"] == "all_to_all"          # within one population: NEST drops i -> i too
    assert kinds["cue_inhibits_other_cuecont"] == "from_list"           # between two: only the list drops them
    assert kinds["cue_to_content_stdp"] == "all_to_all"
    assert {pr["synapses"] for pr in plain["projections"] if pr["name"] == "cue_inhibits_other_cuecont"} == {4 * 3}


def test_nest_spikes_equal_the_reference_and_do_not_depend_on_threads():
    ref = run(get_backend("reference"))
    one = run(get_backend("nest"))
    assert_same(one, ref)
    assert_same(run(get_backend("nest", threads=2)), one)


def test_threads_is_checked():
    from spikemem import ValidationError
    with pytest.raises(ValidationError, match="threads"):
        get_backend("nest", threads=0)


@pytest.mark.parametrize("cell", ["IF_cond_exp", "IF_curr_exp"])
def test_static_lists_reach_nest_with_its_units_and_signs(cell):
    """A random projection's list goes to NEST in one Connect: NEST holds exactly the realised
    synapses, weights in pA or nS (x 1000) and negative where inhibitory, as PyNN's own connect
    would set them (NEST's convention for iaf_psc_exp and iaf_cond_exp alike)."""
    import nest
    import numpy as np

    from spikemem import (FixedProbabilityConnector, IFCondExp, IFCurrExp, Network, Population, Projection,
                          Simulation)
    cls = IFCondExp if cell == "IF_cond_exp" else IFCurrExp
    pops = [Population("a", 30, cls()), Population("b", 20, cls())]
    projs = [Projection("ex", "a", "b", FixedProbabilityConnector(0.3, seed=2), weight=0.004, delay=0.3),
             Projection("in", "b", "a", FixedProbabilityConnector(0.3, seed=2), weight=0.05, delay=0.2,
                        receptor="inhibitory")]
    net = Network(pops, projs, Simulation(dt=0.1, scheme="exact"))
    session = get_backend("nest").session(net)
    try:
        for pr, sign in ((projs[0], 1.0), (projs[1], -1.0)):
            pre, post, w, d = pr.connections(30 if pr.pre == "a" else 20, 20 if pr.post == "b" else 30)
            src, dst = session.pops[pr.pre], session.pops[pr.post]
            got = nest.GetConnections(src.node_collection, dst.node_collection).get(["source", "target", "weight", "delay"])
            first_src, first_dst = min(src.node_collection.tolist()), min(dst.node_collection.tolist())
            have = sorted(zip(np.asarray(got["source"]) - first_src, np.asarray(got["target"]) - first_dst,
                              np.round(got["weight"], 9), np.round(got["delay"], 9)))
            want = sorted(zip(pre, post, np.round(sign * 1000 * w, 9), np.round(d, 9)))
            assert len(want) > 20 and have == [tuple(x) for x in want]
    finally:
        session.close()


def test_fast_node_collection_reads_equal_nests_own():
    """nest_speed's tolist and local give what NEST's status reads give, for contiguous, sliced,
    stepped and composite collections (in one process every node is local)."""
    import nest

    from spikemem.backends.pynn import nest_speed
    nest.ResetKernel()
    a, b = nest.Create("iaf_psc_exp", 7), nest.Create("iaf_cond_exp", 40)
    cases = [a, b, b[3:9], b[::3], a[2:4] + b[5:8], b[11]]
    want = [([nc.get("global_id")] if len(nc) == 1 else list(nc.get("global_id")), nc.get("local")) for nc in cases]
    nest_speed.install()
    for nc, (ids, local) in zip(cases, want):
        assert nc.tolist() == ids
        assert nc.local == local
    b.set({"V_m": -61.0})           # set() asks .local
    assert set(b.get("V_m")) == {-61.0}


def test_spikes_read_from_the_recorder_equal_pynns_get_data():
    """recordings.read_spikes (the recorder's arrays) gives get_data's spikes."""
    from spikemem.backends.pynn.recordings import read_spikes, spike_arrays
    net = build_cam(6, 8, P)
    case = hc.random_case(6, 8, 10, seed=3)
    session, seen = get_backend("nest").session(net), 0
    session._clears = lambda name: False        # the window leaves the record for the reads below
    try:
        session.run(case.sim_time_ms, protocol.input_events([case], P.dt))
        for name, pop in session.pops.items():
            if not hasattr(pop, "recorder") or "spikes" not in {v.name for v in pop.recorder.recorded}:
                continue
            s, i = read_spikes(pop, P.dt)
            s2, i2 = spike_arrays(pop.get_data("spikes").segments[0], pop, P.dt)
            assert sorted(zip(s, i)) == sorted(zip(s2, i2))
            seen += len(s)
        assert seen > 0
    finally:
        session.close()
