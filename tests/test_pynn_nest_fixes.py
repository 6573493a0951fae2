"""Issue 20's silent differences of the PyNN backends (F1-F8 on NEST; F2, F5, F8 and repeated
source times on Brian2, whose STDP was read before its late events came), each on its minimal network: the simulator agrees with the reference
engine (the exact scheme, which both integrate with), or refuses by name before it runs."""
from dataclasses import replace

import numpy as np
import pytest

from spikemem import (STDP, AllToAllConnector, IFCurrDelta, IFCurrExp, Network, OneToOneConnector, Population, Projection,
                      Recording, Simulation, SpikeSourceArray, get_backend)
from spikemem.errors import UnsupportedFeature

pytest.importorskip("pyNN.nest")

DT1 = Simulation(dt=1.0, scheme="exact")
RULE = STDP(tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.5, w_min=0.0, w_max=4.0)


def both(net, duration, simulator="nest"):
    return get_backend("reference").run(net, duration), get_backend(simulator).run(net, duration)


def assert_same(ref, got, v=False):
    for name in ref.spikes:
        assert got.spike_list(name) == ref.spike_list(name), name
    for name, w in ref.weights.items():
        np.testing.assert_allclose(got.weights[name], w, rtol=1e-9, atol=1e-12, err_msg=name)
    if v:
        for name, x in ref.v.items():
            np.testing.assert_allclose(got.v[name], x, rtol=1e-9, atol=1e-9, err_msg=name)


def teacher_net(s_times, t_times, weight=2.0, delay=1.0, rule=RULE, cell=None, dt=DT1, **rec):
    """A plastic s -> a beside a static teacher t -> a that makes a fire."""
    return Network([Population("s", 1, SpikeSourceArray((tuple(s_times),))),
                    Population("t", 1, SpikeSourceArray((tuple(t_times),))),
                    Population("a", 1, cell or IFCurrExp(v_thresh=-64.0))],
                   [Projection("ta", "t", "a", AllToAllConnector(), 5.0, 1.0),
                    Projection("sa", "s", "a", AllToAllConnector(), weight, delay, plasticity=rule)],
                   dt, Recording(**{"spikes": ("a",), "weights": ("sa",), **rec}))


def test_f1_stdp_onto_a_delta_cell_keeps_its_bounds_in_mv():
    # a 2 mV synapse capped at 4 mV: NEST took w_max as 4000 mV (pyNN.nest scales the weight by 1e-3,
    # not w_max) and its amplitudes with it, so the weight ran to the cap and one input fired alone
    rule = STDP(tau_plus=20, tau_minus=20, A_plus=1.0, A_minus=0.5, w_min=0, w_max=4.0)
    net = Network([Population("s", 1, SpikeSourceArray(((5.0, 10.0, 15.0, 20.0, 25.0),))),
                   Population("a", 1, IFCurrDelta(v_thresh=-60.0, tau_m=20.0))],
                  [Projection("sa", "s", "a", AllToAllConnector(), 2.0, 1.0, plasticity=rule)],
                  DT1, Recording(spikes=("a",), weights=("sa",), v=("a",)))
    ref, got = both(net, 40.0)
    assert 2.0 < ref.weights["sa"].item() < 4.0       # learned, not at a bound: the weights' unit shows
    assert_same(ref, got, v=True)


SOURCE_TIMES = ((4.4, 4.9), (0.3, 0.7, 8.2), (1.3, 2.9, 4.6))


@pytest.mark.parametrize("simulator", ["nest", "brian2"])
def test_f2_source_times_at_dt_01_arrive_on_their_step(simulator):
    # NEST took 4.4 - min_delay = 4.300000000000001 onto the next step: the source spiked at 4.5 ms
    pytest.importorskip(simulator)
    net = Network([Population("s", 3, SpikeSourceArray(SOURCE_TIMES)),
                   Population("a", 3, IFCurrExp(v_thresh=-64.0, tau_syn_E=0.5))],
                  [Projection("sa", "s", "a", OneToOneConnector(), 20.0, 0.1)], Simulation(dt=0.1, scheme="exact"),
                  Recording(spikes=("s", "a"), v=("a",)))
    ref, got = both(net, 10.0, simulator)
    assert sorted(t for t, _ in got.spike_list("s")) == sorted(t for ts in SOURCE_TIMES for t in ts)
    assert_same(ref, got, v=True)


def test_f2_every_step_at_fine_timesteps_and_the_last_step_of_a_short_run():
    pytest.importorskip("nest")
    for dt in (0.1, 0.01, 0.05):
        steps = np.arange(2, 400)
        trains = tuple(tuple(float(np.round(k * dt, 9)) for k in steps[i::7]) for i in range(7))
        net = Network([Population("s", 7, SpikeSourceArray(trains)), Population("a", 1, IFCurrDelta())],
                      [Projection("sa", "s", "a", AllToAllConnector(), 0.1, dt)], Simulation(dt=dt, scheme="exact"),
                      Recording(spikes=("s",)))
        ref, got = both(net, 400 * dt)
        assert got.spike_list("s") == ref.spike_list("s"), dt
    # the cell's spike at 4.6 ms in a 4.7 ms run: with the source a step late it fell past the end
    net = Network([Population("s", 1, SpikeSourceArray(((4.4,),))), Population("a", 1, IFCurrExp(v_thresh=-64.0,
                                                                                                 tau_syn_E=0.5))],
                  [Projection("sa", "s", "a", OneToOneConnector(), 20.0, 0.1)], Simulation(dt=0.1, scheme="exact"),
                  Recording(spikes=("a",)))
    ref, got = both(net, 4.7)
    assert ref.spike_list("a") == [[4.6, 0]]
    assert_same(ref, got)


def test_f3_stdp_without_potentiation_is_refused_by_name():
    # PyNN maps NEST's lambda to A_plus and A_minus to alpha = A_minus / A_plus: no depression at all
    # (post at 7 ms, pre at 10 and 30 ms: the reference depresses 2.0 to 1.70, NEST kept 2.0)
    rule = replace(RULE, depress_at_zero=False)
    with pytest.raises(UnsupportedFeature, match="A_plus=0"):
        get_backend("nest").run(teacher_net((10.0, 30.0), (5.0,), rule=replace(rule, A_plus=0.0)), 40.0)
    ref, got = both(teacher_net((10.0, 30.0), (5.0,), rule=replace(rule, A_minus=0.0)), 40.0)   # the other way runs
    assert_same(ref, got)


def test_f4_two_tau_minus_into_one_population_are_refused_by_name():
    pre = [Population("s", 1, SpikeSourceArray(((10.0,),))), Population("u", 1, SpikeSourceArray(((12.0,),))),
           Population("t", 1, SpikeSourceArray(((5.0,),))), Population("a", 1, IFCurrExp(v_thresh=-64.0))]

    def net(tau2):
        return Network(pre, [Projection("ta", "t", "a", AllToAllConnector(), 5.0, 1.0),
                             Projection("sa", "s", "a", AllToAllConnector(), 0.5, 1.0, plasticity=replace(RULE, tau_minus=5.0, depress_at_zero=False)),
                             Projection("ua", "u", "a", AllToAllConnector(), 0.5, 1.0,
                                        plasticity=replace(RULE, tau_minus=tau2, depress_at_zero=False))],
                       DT1, Recording(spikes=("a",), weights=("sa", "ua")))
    with pytest.raises(UnsupportedFeature, match="ua.plasticity.tau_minus=40.*tau_minus"):
        get_backend("nest").run(net(40.0), 30.0)
    ref, got = both(net(5.0), 30.0)
    assert_same(ref, got)


@pytest.mark.parametrize("simulator", ["nest", "brian2"])
def test_f5_an_input_at_the_end_of_the_run_changes_no_weight(simulator):
    # the pre spike at t = duration depressed the synapse on NEST (2.0 -> 0.29) though it never arrives
    pytest.importorskip(simulator)
    ref, got = both(teacher_net((20.0,), (5.0,)), 20.0, simulator)
    assert ref.weights["sa"].item() == 2.0
    assert_same(ref, got)


def test_f5_a_spike_in_the_last_step_of_a_shifted_run_changes_no_weight():
    # a neuron that moves on its own shifts the NEST run by a step, whose last stamp is one step past
    # the description's: a's spike at t = duration entered a -> b's weights
    rule = STDP(tau_plus=5.0, tau_minus=14.0, A_plus=1.0, A_minus=0.8, w_min=0.0, w_max=4.0, depress_at_zero=False)
    cell = IFCurrExp(v_thresh=-60.0, i_offset=0.75)
    net = Network([Population("a", 1, cell), Population("b", 1, replace(cell, i_offset=0.7))],
                  [Projection("ab", "a", "b", AllToAllConnector(), 1.9, 1.0, plasticity=rule)], DT1,
                  Recording(spikes=("a", "b"), weights=("ab",)))
    reference = get_backend("reference")
    ends = [t for t, _ in reference.run(net, 60.0).spike_list("a") if t >= 10]
    end = next(t for t in ends if reference.run(net, t).weights["ab"].item() != reference.run(net, t + 1).weights["ab"].item())
    ref, got = both(net, end)
    assert_same(ref, got)


def dt0_net(**rec):
    """a fires at 7 ms; s's spike at 8 ms meets that post event (delay 1 ms) at dt = 0, which the
    description depresses and NEST does not: the weights differ until the pairing at 19-21 ms takes
    both to w_max, spikes never differ, V does in between."""
    rule = STDP(tau_plus=20, tau_minus=20, A_plus=3.0, A_minus=0.5, w_min=0, w_max=4.0)
    return Network([Population("s", 1, SpikeSourceArray(((8.0, 12.0, 19.0),))),
                    Population("t", 1, SpikeSourceArray(((5.0, 20.0),))), Population("a", 1, IFCurrExp())],
                   [Projection("ta", "t", "a", AllToAllConnector(), 30.0, 1.0),
                    Projection("sa", "s", "a", AllToAllConnector(), 2.0, 1.0, plasticity=rule)],
                   DT1, Recording(**{"spikes": ("a",), "weights": ("sa",), **rec}))


def test_f6_the_dt0_check_compares_v_too():
    # (s recorded too: without it the old check failed with F7's KeyError first)
    ref = get_backend("reference").run(dt0_net(spikes=("s", "a"), v=("a",)), 30.0)
    assert ref.weights["sa"].item() == 4.0
    with pytest.raises(UnsupportedFeature, match=r"dt = 0.*the v of a"):
        get_backend("nest").run(dt0_net(spikes=("s", "a"), v=("a",)), 30.0)
    ref, got = both(dt0_net(), 30.0)            # without V recorded, everything recorded agrees
    assert_same(ref, got)


def test_f7_the_dt0_check_with_the_watched_population_not_recorded():
    # the check read the reference's spikes of a, which the recording left out: KeyError
    net = replace(dt0_net(), recording=Recording(spikes=("s",), weights=("sa",)))
    ref, got = both(net, 30.0)
    assert set(got.spikes) == {"s"}
    assert_same(ref, got)


@pytest.mark.parametrize("simulator", ["nest", "brian2"])
@pytest.mark.parametrize("plastic", [False, True])
def test_f8_delays_over_10_ms(simulator, plastic):
    # PyNN's default max_delay of 10 ms: NoModelAvailableError (static), NESTErrors.BadDelay (plastic).
    # Brian2 ran them, but applied STDP events 12 ms late (its moved post pathway) and read the
    # weights before they came: no learning at all (3.0, the reference 3.26)
    pytest.importorskip(simulator)
    rule = replace(RULE, depress_at_zero=simulator != "nest") if plastic else None
    net = Network([Population("s", 1, SpikeSourceArray(((5.0, 9.0),))), Population("a", 1, IFCurrExp(v_thresh=-64.0))],
                  [Projection("sa", "s", "a", AllToAllConnector(), 3.0 if plastic else 5.0, 12.0, plasticity=rule),
                   Projection("sb", "s", "a", AllToAllConnector(), 1.0, 23.0)], DT1,
                  Recording(spikes=("a",), weights=("sa",) if plastic else ()))
    ref, got = both(net, 40.0, simulator)
    assert ref.spike_list("a")[0][0] >= 17.0       # after the 12 ms delay
    assert not plastic or ref.weights["sa"].item() > 3.2      # learned
    assert_same(ref, got)


def test_f8_an_exported_nest_script_sets_max_delay():
    from spikemem.backends.pynn.script import pynn_script
    net = Network([Population("s", 1, SpikeSourceArray(((5.0,),))), Population("a", 1, IFCurrExp())],
                  [Projection("sa", "s", "a", AllToAllConnector(), 5.0, 12.0)], DT1)
    assert "'max_delay': 12.0" in pynn_script(net, "nest", 30.0)


@pytest.mark.parametrize("simulator", ["nest", "brian2"])
def test_repeated_source_time_delivers_twice_or_is_refused_by_name(simulator):
    # Brian2's SpikeGeneratorGroup raised its own error on a neuron listed twice in one step
    pytest.importorskip(simulator)
    net = Network([Population("s", 1, SpikeSourceArray(((5.0, 5.0),))), Population("a", 1, IFCurrExp(v_thresh=-64.0))],
                  [Projection("sa", "s", "a", AllToAllConnector(), 1.0, 1.0,
                              plasticity=replace(RULE, A_plus=0.4, depress_at_zero=simulator != "nest"))],
                  DT1, Recording(spikes=("a",), weights=("sa",), v=("a",)))
    if simulator == "brian2":
        with pytest.raises(UnsupportedFeature, match=r"s: neuron 0 lists 5 ms twice"):
            get_backend("brian2").run(net, 30.0)
        return
    ref, got = both(net, 30.0)
    assert_same(ref, got, v=True)


@pytest.mark.parametrize("simulator", ["nest", "brian2"])
def test_a_plastic_start_weight_outside_the_bounds_is_refused_by_name(simulator):
    # the description clips it at the synapse's first update, before it transmits; NEST transmitted 5.0
    # (V 2.08 mV off), Brian2 too (spikes differed)
    pytest.importorskip(simulator)
    net = Network([Population("s", 1, SpikeSourceArray(((5.0,),))), Population("a", 1, IFCurrExp())],
                  [Projection("sa", "s", "a", AllToAllConnector(), 5.0, 1.0, plasticity=RULE)], DT1,
                  Recording(weights=("sa",), v=("a",)))
    with pytest.raises(UnsupportedFeature, match=r"sa.weight=5.0: outside the STDP bounds \[0.0, 4.0\]"):
        get_backend(simulator).run(net, 10.0)


def random_fine_network(seed: int) -> tuple:
    """A seeded network at dt 0.05, 0.1 or 0.2: source times anywhere on the grid (some past the end),
    neurons at rest or moving on their own, STDP on a source and on a neuron projection."""
    rng = np.random.default_rng(seed)
    dt = float(rng.choice([0.1, 0.05, 0.2]))
    steps = int(rng.integers(30, 200))
    rule = STDP(tau_plus=float(rng.uniform(1, 10)), tau_minus=float(rng.uniform(1, 10)), A_plus=float(rng.uniform(0.1, 1)),
                A_minus=float(rng.uniform(0.1, 1)), w_min=0.0, w_max=4.0, depress_at_zero=False)
    n = int(rng.integers(1, 4))
    times = tuple(tuple(sorted({round(float(k) * dt, 9) for k in rng.integers(2, steps + 3, 6)})) for _ in range(n))
    cell = IFCurrExp(i_offset=float(rng.choice([0.0, rng.uniform(0.5, 1.5)])), v_thresh=-60.0,
                     tau_syn_E=float(rng.uniform(0.3, 3)))
    net = Network([Population("s", n, SpikeSourceArray(times)), Population("a", 2, cell), Population("b", 2, cell)],
                  [Projection("sa", "s", "a", AllToAllConnector(), float(rng.uniform(0.5, 4)),
                              round(dt * int(rng.integers(1, 5)), 9), plasticity=rule),
                   Projection("ab", "a", "b", AllToAllConnector(), float(rng.uniform(0.5, 4)),
                              round(dt * int(rng.integers(1, 5)), 9), plasticity=rule)],
                  Simulation(dt=dt, scheme="exact"), Recording(spikes=("s", "a", "b"), weights=("sa", "ab"), v=("a", "b")))
    return net, round(steps * dt, 9)


def test_random_fine_timestep_plastic_networks_match_the_reference():
    # the old code: 11 of seeds 0-59 differed in spikes, V or weights (seeds 2 and 11 among these 12)
    for seed in range(12):
        net, duration = random_fine_network(seed)
        ref, got = both(net, duration)
        assert_same(ref, got, v=True)
