"""Seeded random networks on the PyNN simulators against the reference engine, spike for spike:
offset currents, start voltages, both delta and exponential cells, every connector kind with one
weight (NEST's own rules) and with a weight per pair (PyNN's lists), inhibition and delays. Two
defects hid from the hand-written cases until this comparison: NEST one step late for neurons that
move on their own, and NEST's own rules taking IF_curr_delta's mV weights as nA. With STDP the
same networks found two more: NEST does not depress at dt = 0 (its backend refuses a run where
that changes anything) and owes the potentiation of post events after a synapse's last pre
spike until its next one (the backend completes the weights it reads)."""
from dataclasses import replace

import numpy as np
import pytest

from spikemem import (STDP, AllToAllConnector, IFCurrDelta, IFCurrExp, Network, OneToOneConnector, Population, Projection,
                      Recording, Simulation, SpikeSourceArray, get_backend)
from spikemem.errors import UnsupportedFeature


def random_network(seed: int, delta_ok: bool) -> Network:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    delta = delta_ok and bool(rng.integers(2))

    def cell():
        kw = dict(cm=float(rng.uniform(0.2, 1.5)), tau_m=float(rng.uniform(3, 30)), v_thresh=-55.0,
                  tau_refrac=float(rng.choice([0.0, 1.0, 2.0])), i_offset=float(rng.choice([0.0, rng.uniform(0, 1.0)])),
                  v_init=[None, -60.0][int(rng.integers(2))])
        if delta:
            return IFCurrDelta(**kw)
        return IFCurrExp(tau_syn_E=float(rng.uniform(0.5, 5)), tau_syn_I=float(rng.uniform(0.5, 5)), **kw)

    def weight(hi, pre, post):        # one weight, or one per pair
        return float(rng.uniform(0.5, hi)) if rng.integers(2) else rng.uniform(0.5, hi, (pre, post))

    hi = 8.0 if delta else 3.0
    times = tuple(tuple(sorted({float(t) for t in rng.integers(2, 60, 5)})) for _ in range(n))
    connectors = [AllToAllConnector(), AllToAllConnector(allow_self_connections=False), OneToOneConnector()]
    ab = connectors[int(rng.integers(3))]
    return Network(
        [Population("s", n, SpikeSourceArray(times)), Population("a", m, cell()), Population("b", m, cell())],
        [Projection("sa", "s", "a", AllToAllConnector(), weight(hi, n, m), float(rng.integers(1, 3))),
         Projection("ab", "a", "b", ab, float(rng.uniform(0.5, hi)), float(rng.integers(1, 4))),
         Projection("ba", "b", "a", AllToAllConnector(allow_self_connections=m == 1), weight(hi / 2, m, m), 1.0,
                    "inhibitory")],
        Simulation(dt=1.0, scheme="exact"), Recording(spikes=("a", "b")))


@pytest.mark.parametrize("simulator, seeds", [
    ("nest", range(24)),
    pytest.param("brian2", range(3), marks=pytest.mark.slow),        # Brian2: a few s a network
])
def test_random_networks_match_the_reference(simulator, seeds):
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)
    spikes = 0
    for seed in seeds:
        net = random_network(seed, delta_ok=simulator == "nest")     # Brian2 declares cell.delta unsupported
        ref = get_backend("reference").run(net, 80.0)
        got = get_backend(simulator).run(net, 80.0)
        for pop in ("a", "b"):
            assert got.spike_list(pop) == ref.spike_list(pop), (seed, pop)
        spikes += ref.count()
    assert spikes > 100 * len(seeds) // 4


def plastic(net: Network, seed: int, depress_at_zero: bool) -> Network:
    """The network with STDP on a -> b (weights recorded), in the conventions NEST has."""
    rng = np.random.default_rng(1000 + seed)
    w_max = float(rng.uniform(2, 6))
    rule = STDP(tau_plus=float(rng.uniform(2, 20)), tau_minus=float(rng.uniform(2, 20)), A_plus=float(rng.uniform(0.1, 1)),
                A_minus=float(rng.uniform(0.1, 1)), w_min=0.0, w_max=w_max, depress_at_zero=depress_at_zero)
    sa, ab, ba = net.projections
    ab = replace(ab, weight=min(float(np.max(ab.weight)), w_max), delay=float(rng.integers(1, 4)), plasticity=rule)
    return replace(net, projections=[replace(sa, weight=np.asarray(sa.weight) * 2), ab, ba],
                   recording=replace(net.recording, weights=("ab",)))


@pytest.mark.parametrize("simulator, seeds, conventions", [
    ("nest", range(16), (False, True)),
    pytest.param("brian2", range(4), (True,), marks=pytest.mark.slow),    # Brian2 has only depress_at_zero=True
])
def test_random_plastic_networks_match_the_reference(simulator, seeds, conventions):
    """NEST with depress_at_zero=False (its rule), and Brian2: spikes and weights equal on every
    network. NEST with True (the default): equal, or refused by name where a pair at dt = 0
    changed the run."""
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)
    outcomes = []
    for seed in seeds:
        for depress_at_zero in conventions:
            net = plastic(random_network(seed, delta_ok=False), seed, depress_at_zero)
            ref = get_backend("reference").run(net, 80.0)
            try:
                got = get_backend(simulator).run(net, 80.0)
            except UnsupportedFeature as e:
                assert depress_at_zero and "ab.plasticity" in str(e) and "dt = 0" in str(e), e
                outcomes.append("refused")
                continue
            for pop in ("a", "b"):
                assert got.spike_list(pop) == ref.spike_list(pop), (seed, depress_at_zero, pop)
            np.testing.assert_allclose(got.weights["ab"], ref.weights["ab"], rtol=1e-9, atol=1e-12, err_msg=str(seed))
            outcomes.append("equal")
    assert outcomes.count("equal") >= len(outcomes) // 2
    if simulator == "nest":
        assert "refused" in outcomes                  # the default meets pairs at dt = 0 that matter


def test_random_plastic_nest_sessions_match_the_reference_or_are_refused():
    """A session cannot be re-run: under the default depress_at_zero=True it runs the reference
    beside it and is refused at the first spike that departs; the others give the reference's."""
    pytest.importorskip("pyNN")
    pytest.importorskip("nest")
    outcomes = []
    for seed in range(12):
        net = plastic(random_network(seed, delta_ok=False), seed, True)
        net = replace(net, recording=replace(net.recording, weights=()))     # a NEST session records none
        ref = get_backend("reference").run(net, 80.0)
        s = get_backend("nest").session(net)
        try:
            windows = [s.run(t) for t in (17.0, 40.0, 63.0, 80.0)]
        except UnsupportedFeature as e:
            assert "departs from the description" in str(e) and "ab" in str(e), e
            outcomes.append("refused")
            continue
        finally:
            s.close()
        for pop in ("a", "b"):
            assert sorted(x for w in windows for x in w.spike_list(pop)) == ref.spike_list(pop), (seed, pop)
        outcomes.append("equal")
    assert outcomes.count("equal") >= 4 and "refused" in outcomes
