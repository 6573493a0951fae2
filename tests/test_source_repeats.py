"""A time listed twice in a SpikeSourceArray is two spikes (issue 20, F9).

Each listed spike is delivered and is its own STDP pre event, after the one before it, as
PyNN, sPyNNaker and NEST deliver every listed spike; the source's recorded spikes show every
listing (docs/stdp.md, "Order within a step"; docs/update_schemes.md, "Spike sources").
The expectations are the event-by-event oracles of the STDP tests, which take a repeated
time as two pre events, and closed-form sums for delivery.
"""
from dataclasses import replace

import numpy as np
import pytest
from conftest import stdp_rules
from test_fixed_engine import RULE, stdp_net, stdp_oracle
from test_reference_stdp import T_END, oracle_weight

from spikemem import (STDP, AllToAllConnector, IFCurrExp, Network, OneToOneConnector, Population, Projection,
                      Recording, Simulation, SpikeSourceArray, SpikeSourcePoisson, get_backend)
from spikemem.engine.board_weights import ring_buffer_shifts
from spikemem.models.ca3.params import SLOW

ENGINES = {"reference": {}, "torch": {"dtype": "float64"}, "snntorch": {"dtype": "float64"},
           "norse": {"dtype": "float64"}}
PRE = [[3, 3, 10, 20, 20, 20, 33], [5, 5], [12, 40, 40]]     # repeated times: two or three listings
DRIVE = [[2, 8, 18, 30, 40], [4, 20, 34]]


def engine(name):
    pytest.importorskip({"reference": "numpy", "torch": "torch", "snntorch": "snntorch", "norse": "norse"}[name])
    return get_backend(name, **ENGINES[name])


def pair_net(rule, cell=SLOW):
    """Sources -> plastic -> post cells that fire 1 ms after their drive (test_reference_stdp)."""
    pops = [Population("pre", 3, SpikeSourceArray(tuple(map(tuple, PRE)))),
            Population("drive", 2, SpikeSourceArray(tuple(map(tuple, DRIVE)))), Population("post", 2, cell)]
    projs = [Projection("drive", "drive", "post", OneToOneConnector(), 8.0, 1.0),
             Projection("plastic", "pre", "post", AllToAllConnector(), 0.25, 1.0, plasticity=rule)]
    return Network(pops, projs, recording=Recording(spikes=("pre", "post"), weights=("plastic",)))


def assert_oracle_weights(res, rule):
    post = res.spike_trains("post")
    d = 1 if rule.dendritic_delay is None else int(rule.dendritic_delay)
    assert all(post)
    for i in range(3):
        for j in range(2):
            want = oracle_weight(0.25, PRE[i], post[j], rule, d, T_END)
            assert res.weights["plastic"][0, i, j] == pytest.approx(want, abs=1e-12), (i, j)


@pytest.mark.parametrize("name", sorted(stdp_rules()))
@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_each_listing_is_its_own_pre_event(name, backend):
    rule = stdp_rules()[name]
    res = engine(backend).run(pair_net(rule), float(T_END))
    assert res.spike_trains("pre")[0] == PRE[0]                 # recorded: every listing
    assert [t + 1 for t in DRIVE[0]] == res.spike_trains("post")[0]
    assert_oracle_weights(res, rule)


@pytest.mark.parametrize("backend", ["snntorch", "norse"])
def test_library_cells_count_every_listing_too(backend):
    """The library backends keep STDP in the shared engine: the oracle, from their own post spikes."""
    rule = stdp_rules()["spinnaker7"]
    assert_oracle_weights(engine(backend).run(pair_net(rule, replace(SLOW, tau_syn_I=SLOW.tau_syn_E)), float(T_END)), rule)


@pytest.mark.parametrize("history", [None, 16])
@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_fixed_point_counts_every_listing_as_a_core_does(history, backend):
    """A core handles each packet of a repeated time as its own pre spike: the second finds
    last_pre_time = now (no potentiation), depresses again and adds 1 to the pre trace."""
    rule = replace(RULE, post_history=history)
    pre = [[3.0, 5.0, 5.0, 6.0, 14.0, 14.0, 14.0, 20.0, 21.0, 40.0], [1.0, 9.0, 10.0, 10.0, 30.0]]
    drive = [[2.0, 6.0, 7.0, 12.0, 18.0, 19.0, 26.0, 38.0]]
    net = stdp_net(rule)
    res = engine(backend).run(net, 50, inputs={"pre": [pre], "drive": [drive]})
    post = [int(t) for t, _ in res.spike_list("post")]
    shift = ring_buffer_shifts(net)["post"][0]
    for i in range(2):
        assert res.weights["s"][0, i, 0] == stdp_oracle(rule, shift, 0.17, [int(t) for t in pre[i]], post, 2, 50), i


def delivery_net(weight, times, rule=None, numerics="float"):
    """One source into one cell that does not fire (its threshold is far above)."""
    cell = IFCurrExp(cm=0.3, tau_m=5.0, tau_syn_E=1.0, tau_syn_I=1.0, v_thresh=0.0)      # never fires
    return Network([Population("src", 1, SpikeSourceArray((tuple(times),))), Population("n", 1, cell)],
                   [Projection("p", "src", "n", AllToAllConnector(), weight, 1.0, plasticity=rule)],
                   Simulation(numerics=numerics), Recording(spikes=("src",), v=("n",), weights=("p",) if rule else ()))


@pytest.mark.parametrize("numerics", ["float", "fixed"])
def test_a_listing_twice_delivers_twice_and_is_recorded_twice(numerics):
    """Static delivery: 0.8 nA listed twice at 2 ms is the same input as 1.6 nA listed once."""
    twice = get_backend().run(delivery_net(0.8, [2.0, 2.0, 5.0], numerics=numerics), 10.0)
    once = get_backend().run(delivery_net(1.6, [2.0], numerics=numerics), 10.0)
    assert twice.spike_list("src") == [[2, 0], [2, 0], [5, 0]]
    assert twice.count("src") == 3
    np.testing.assert_array_equal(twice.v["n"][0, :5], once.v["n"][0, :5])
    assert twice.v["n"][0, 3] > twice.v["n"][0, 2]


def test_a_plastic_projection_transmits_every_listing():
    """Without weight change (A = 0) a plastic 0.8 nA listed twice is the static 1.6 nA listed once."""
    frozen = STDP(3.0, 3.0, 0.0, 0.0, 0.0, 1.0)
    twice = get_backend().run(delivery_net(0.8, [2.0, 2.0], frozen), 10.0)
    once = get_backend().run(delivery_net(1.6, [2.0]), 10.0)
    np.testing.assert_array_equal(twice.v["n"], once.v["n"])


def test_session_windows_count_a_listing_split_across_run_calls():
    """A source's own time and an input at the same time are two listings, in a session too."""
    rule = STDP(3.0, 3.0, 0.2, 0.1, 0.0, 1.0)
    base = delivery_net(0.3, [6.0], rule)
    one = get_backend().run(base, 12.0, {"src": [[[6.0, 6.0]]]})
    s = get_backend().session(base, batch=1)
    first = s.run(4.0, {"src": [[[6.0]]]})
    second = s.run(12.0)
    assert first.spike_list("src") + second.spike_list("src") == one.spike_list("src") == [[6, 0], [6, 0]]
    np.testing.assert_array_equal(second.weights["p"], one.weights["p"])
    np.testing.assert_array_equal(np.concatenate([first.v["n"], second.v["n"]], 1), one.v["n"])


def poisson_net(rule, poisson: bool = True):
    """pair_net with a Poisson source after the listed ones, plastic (multiplicative) onto the same
    cells; poisson=False: the same population as a SpikeSourceArray, for its trains as input."""
    net = pair_net(rule)
    cell = SpikeSourcePoisson(rate=120.0, start=2.0, seed=7) if poisson else SpikeSourceArray()
    mult = STDP(5.0, 5.0, 0.1, 0.12, 0.0, 1.0, weight_dependence="multiplicative")
    return replace(net, populations=(*net.populations, Population("poi", 4, cell)),
                   projections=(*net.projections, Projection("mult", "poi", "post", AllToAllConnector(), 0.3, 1.0,
                                                             plasticity=mult)),
                   recording=Recording(spikes=("pre", "post", "poi"), weights=("plastic", "mult")))


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_poisson_trains_beside_repeated_times_keep_every_listing_and_the_batch(backend):
    """Poisson spikes join a step after its listed ones, each its own single listing: every
    repeated time is still its own pre event (the oracle), the run equals the same trains given
    as spike arrays, and trial 0 of a batch is the single trial's, bit for bit."""
    from spikemem.engine.poisson import events
    rule = stdp_rules()["spinnaker7"]
    got = engine(backend).run(poisson_net(rule), float(T_END), batch=3)
    assert_oracle_weights(got, rule)
    trains = events(poisson_net(rule), 3, T_END)
    assert got.count("poi") > 20
    arrays = engine(backend).run(poisson_net(rule, poisson=False), float(T_END), inputs={"poi": trains["poi"]})
    alone = engine(backend).run(poisson_net(rule), float(T_END), batch=1)
    for pop in ("pre", "post", "poi"):
        assert np.array_equal(got.spike_matrix(pop), arrays.spike_matrix(pop)), pop
        assert np.array_equal(got.spike_matrix(pop)[:1], alone.spike_matrix(pop)), pop
    for name in ("plastic", "mult"):
        np.testing.assert_array_equal(got.weights[name], arrays.weights[name])
        np.testing.assert_array_equal(got.weights[name][:1], alone.weights[name])
