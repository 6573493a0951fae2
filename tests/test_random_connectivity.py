"""Random connectors, random distributions and per-neuron cell values: realised once from their
seeds (spikemem.description.realisation), so every backend gets the same synapses and values;
the statistics each connector and distribution promises; refusals by name; the file keeps the
rule and the seed; seeded random networks spike for spike on NEST (and Brian2, slow)."""
import json
import math
from dataclasses import replace

import numpy as np
import pytest

from spikemem import (STDP, AllToAllConnector, FixedNumberPostConnector, FixedNumberPreConnector,
                      FixedProbabilityConnector, FixedTotalNumberConnector, IFCurrDelta, IFCurrExp, Network,
                      OneToOneConnector, Population, Projection, RandomDistribution, Recording, Simulation,
                      SpikeSourceArray, SpikeSourcePoisson, ValidationError, get_backend)
from spikemem.description import realisation
from spikemem.engine import budget
from spikemem.engine.flatten import flatten


def rd(name, seed=0, **p):
    return RandomDistribution(name, seed=seed, **p)


# -- distributions -------------------------------------------------------------------------------
@pytest.mark.parametrize("dist, mean, sd", [
    (rd("uniform", low=2.0, high=4.0), 3.0, 2.0 / math.sqrt(12)),
    (rd("normal", mu=-1.0, sigma=0.5), -1.0, 0.5),
    (rd("exponential", beta=2.0), 2.0, 2.0),
])
def test_distributions_have_their_moments(dist, mean, sd):
    x = dist.draw(200_000, "test")
    assert abs(x.mean() - mean) < 5 * sd / math.sqrt(len(x))
    assert abs(x.std() - sd) < 0.01 * sd + 1e-12


def test_normal_clipped_draws_again_what_falls_outside():
    d = rd("normal_clipped", mu=0.0, sigma=1.0, low=-0.5, high=2.0)
    x = d.draw(100_000, "k")
    assert x.min() >= -0.5 and x.max() <= 2.0
    # the truncated normal's mean: (phi(a) - phi(b)) / (Phi(b) - Phi(a))
    phi = (lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi))
    cdf = (lambda z: 0.5 * math.erfc(-z / math.sqrt(2)))
    want = (phi(-0.5) - phi(2.0)) / (cdf(2.0) - cdf(-0.5))
    assert abs(x.mean() - want) < 0.01


def test_draws_depend_on_the_seed_and_the_key_only():
    d = rd("uniform", seed=7, low=0.0, high=1.0)
    assert np.array_equal(d.draw(10, "weight", "p"), d.draw(10, "weight", "p"))
    assert not np.array_equal(d.draw(10, "weight", "p"), d.draw(10, "weight", "q"))
    assert not np.array_equal(d.draw(10, "weight", "p"), rd("uniform", seed=8, low=0.0, high=1.0).draw(10, "weight", "p"))


@pytest.mark.parametrize("make, field", [
    (lambda: rd("uniform", low=2.0, high=1.0), "uniform.high"),
    (lambda: rd("normal", mu=0.0, sigma=-1.0), "normal.sigma"),
    (lambda: rd("normal_clipped", mu=0.0, sigma=1.0, low=5.0, high=9.0), "normal_clipped"),
    (lambda: rd("exponential", beta=0.0), "exponential.beta"),
    (lambda: rd("gamma", k=1.0), "distribution"),
    (lambda: rd("uniform", low=0.0), "uniform.parameters"),
    (lambda: rd("uniform", seed=-1, low=0.0, high=1.0), "uniform.seed"),
    (lambda: rd("uniform", low=float("nan"), high=1.0), "uniform.low"),
])
def test_bad_distributions_are_refused_by_name(make, field):
    with pytest.raises(ValidationError, match=field.replace(".", r"\.")):
        make()


# -- connectors ----------------------------------------------------------------------------------
def proj(conn, pre="a", post="b", **kw):
    return Projection("p", pre, post, conn, **kw)


def pairs_of(conn, n_pre, n_post, same=False):
    pr = proj(conn, "a", "a" if same else "b")
    return realisation.pairs(pr, n_pre, n_post)


def test_fixed_probability_is_a_bernoulli_per_pair():
    pre, post = pairs_of(FixedProbabilityConnector(0.1, seed=3), 300, 400)
    n = 300 * 400
    assert abs(len(pre) - 0.1 * n) < 5 * math.sqrt(n * 0.09)
    flat = pre * 400 + post
    assert np.all(np.diff(flat) > 0)                        # distinct pairs, in row-major order
    per_row = np.bincount(pre, minlength=300)              # binomial(400, 0.1) rows
    assert abs(per_row.var() - 400 * 0.1 * 0.9) < 8
    assert len(pre) <= FixedProbabilityConnector(0.1).n_synapses(300, 400)
    assert len(pairs_of(FixedProbabilityConnector(1.0), 7, 5)[0]) == 35
    assert len(pairs_of(FixedProbabilityConnector(0.0), 7, 5)[0]) == 0


@pytest.mark.parametrize("replacement", [False, True])
def test_fixed_number_pre_and_post(replacement):
    pre, post = pairs_of(FixedNumberPreConnector(4, with_replacement=replacement, seed=1), 10, 30)
    assert np.all(np.bincount(post, minlength=30) == 4)
    pre, post = pairs_of(FixedNumberPostConnector(6, with_replacement=replacement, seed=1), 20, 9)
    assert np.all(np.bincount(pre, minlength=20) == 6)
    if not replacement:
        assert len(np.unique(pre * 9 + post)) == len(pre)
    pre, post = pairs_of(FixedNumberPostConnector(4, allow_self_connections=False, with_replacement=replacement,
                                                  seed=2), 5, 5, same=True)
    assert not np.any(pre == post) and np.all(np.bincount(pre, minlength=5) == 4)


def test_fixed_total_number():
    pre, post = pairs_of(FixedTotalNumberConnector(50, seed=4), 6, 7)
    assert len(pre) == 50 and len(np.unique(pre * 7 + post)) < 50          # with replacement: repeats
    pre, post = pairs_of(FixedTotalNumberConnector(42, with_replacement=False, seed=4), 6, 7)
    assert len(np.unique(pre * 7 + post)) == 42
    pre, post = pairs_of(FixedTotalNumberConnector(30, allow_self_connections=False, with_replacement=False), 6, 6,
                         same=True)
    assert len(np.unique(pre * 6 + post)) == 30 and not np.any(pre == post)


def test_self_connections_are_dropped_only_within_a_population():
    between = pairs_of(FixedProbabilityConnector(1.0, allow_self_connections=False), 4, 4)
    within = pairs_of(FixedProbabilityConnector(1.0, allow_self_connections=False), 4, 4, same=True)
    assert len(between[0]) == 16 and len(within[0]) == 12


def test_the_projection_name_keys_the_stream():
    a = realisation.pairs(Projection("p", "x", "y", FixedProbabilityConnector(0.5, seed=1)), 20, 20)
    b = realisation.pairs(Projection("q", "x", "y", FixedProbabilityConnector(0.5, seed=1)), 20, 20)
    c = realisation.pairs(Projection("p", "x", "y", FixedProbabilityConnector(0.5, seed=1)), 20, 20)
    assert not np.array_equal(a[0] * 20 + a[1], b[0] * 20 + b[1])
    assert np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1])


@pytest.mark.parametrize("conn, sizes, field", [
    (FixedNumberPreConnector(5), (4, 3), "connector.n"),
    (FixedNumberPostConnector(4, allow_self_connections=False), (4, 4), "connector.n"),
    (FixedTotalNumberConnector(13, with_replacement=False), (3, 4), "connector.n"),
])
def test_connectors_that_cannot_fit_are_refused_by_name(conn, sizes, field):
    same = isinstance(conn, FixedNumberPostConnector)
    pops = [Population("a", sizes[0], SpikeSourceArray()) if not same else Population("a", sizes[0]),
            Population("b", sizes[1])]
    with pytest.raises(ValidationError, match=field):
        Network(pops, [proj(conn, "a", "a" if same else "b")])


@pytest.mark.parametrize("make", [
    lambda: FixedProbabilityConnector(1.5), lambda: FixedProbabilityConnector(0.5, seed=-2),
    lambda: FixedNumberPreConnector(-1), lambda: FixedNumberPreConnector(2, with_replacement=1),
    lambda: FixedTotalNumberConnector(2.5), lambda: FixedNumberPostConnector(1, allow_self_connections="no"),
])
def test_bad_connector_fields_are_refused(make):
    with pytest.raises(ValidationError):
        make()


# -- values per synapse and per neuron -----------------------------------------------------------
def test_weights_and_delays_are_realised_per_synapse_and_rounded_to_the_grid():
    pr = proj(FixedNumberPreConnector(3, seed=1), weight=rd("uniform", low=0.5, high=1.5, seed=2),
              delay=rd("uniform", low=0.06, high=0.5, seed=3))
    net = Network([Population("a", 10, SpikeSourceArray()), Population("b", 8)], [pr], Simulation(dt=0.1))
    pre, post, w, d = pr.connections(10, 8, 0.1)
    raw = rd("uniform", low=0.06, high=0.5, seed=3).draw(len(pre), "delay", "p")
    assert np.array_equal(d, np.floor(raw / 0.1 + 0.5) * 0.1) and d.min() >= 0.1
    assert np.array_equal(w, rd("uniform", low=0.5, high=1.5, seed=2).draw(len(pre), "weight", "p"))
    c = flatten(net)
    assert sorted(c.csr[3].tolist()) == sorted(np.round(d / 0.1).astype(int).tolist())


@pytest.mark.parametrize("field, dist", [
    ("weight", rd("normal", mu=1.0, sigma=0.1)),            # can draw below 0
    ("delay", rd("uniform", low=0.2, high=3.0)),           # below half a step of dt = 1
    ("delay", rd("exponential", beta=2.0)),
])
def test_distributions_that_can_draw_forbidden_values_are_refused(field, dist):
    with pytest.raises(ValidationError, match=f"p.{field}"):
        Network([Population("a", 3, SpikeSourceArray()), Population("b", 3)], [proj(AllToAllConnector(), **{field: dist})])


def test_a_plastic_projection_needs_one_delay_and_no_repeated_pair():
    with pytest.raises(ValidationError, match="p.delay"):
        proj(AllToAllConnector(), delay=rd("uniform", low=1.0, high=2.0), plasticity=STDP())
    net = Network([Population("a", 3, SpikeSourceArray()), Population("b", 3)],
                  [proj(FixedTotalNumberConnector(30, seed=1), plasticity=STDP())])
    with pytest.raises(ValidationError, match="repeats"):
        get_backend("reference").run(net, 5.0)


def test_per_neuron_values_drive_each_neuron():
    """Three neurons with their own tau_m, i_offset and start voltage relax as each alone would."""
    taus, offs, v0 = (5.0, 10.0, 20.0), (0.1, 0.2, 0.3), (-70.0, -66.0, -60.0)
    cell = IFCurrExp(tau_m=taus, i_offset=offs, v_init=v0, v_thresh=-40.0)
    net = Network([Population("n", 3, cell)], [], Simulation(dt=1.0, scheme="exact"), Recording(v=("n",)))
    v = get_backend("reference").run(net, 10.0).v["n"][0]
    for i in range(3):
        R = taus[i] / 1.0
        t = np.arange(1, 11)
        want = -65.0 + R * offs[i] + (v0[i] + 65.0 - R * offs[i]) * np.exp(-t / taus[i])   # closed form
        np.testing.assert_allclose(v[:, i], want, atol=1e-9)


def test_random_cell_values_are_drawn_per_neuron_and_keyed_by_population():
    dist = rd("uniform", low=-70.0, high=-60.0, seed=5)
    net = Network([Population("a", 50, IFCurrExp(v_init=dist)), Population("b", 50, IFCurrExp(v_init=dist))], [],
                  Simulation(), Recording(v=("a", "b")))
    v = get_backend("reference").run(net, 0.0).v
    start = flatten(net).params["v_start"]
    assert np.array_equal(start[:50], dist.draw(50, "cell", "a", "v_init"))
    assert not np.array_equal(start[:50], start[50:]) and start.min() >= -70 and start.max() < -60
    assert v["a"].shape == (1, 0, 50)


@pytest.mark.parametrize("field, value", [("tau_m", (10.0, -1.0)), ("cm", rd("normal", mu=1.0, sigma=0.1)),
                                          ("tau_refrac", rd("uniform", low=-1.0, high=1.0)),
                                          ("v_thresh", (1.0, float("nan")))])
def test_bad_per_neuron_values_are_refused_by_name(field, value):
    with pytest.raises(ValidationError, match=field):
        IFCurrExp(**{field: value})


def test_tuples_must_have_one_value_per_neuron():
    with pytest.raises(ValidationError, match="n.tau_syn_E"):
        Population("n", 3, IFCurrExp(tau_syn_E=(1.0, 2.0)))


# -- one realisation for every consumer ----------------------------------------------------------
def random_net(seed: int, scheme: str = "exact", delta_ok: bool = True) -> Network:
    """A seeded random network over the new vocabulary: random connectors and distributions,
    per-neuron values, a Poisson and an array source."""
    rng = np.random.default_rng(seed)
    n_s, n_a, n_b = (int(x) for x in rng.integers(3, 12, 3))
    delta = delta_ok and bool(rng.integers(2))

    def cell(k):
        kw = dict(cm=rd("uniform", low=0.3, high=1.2, seed=seed + k), tau_m=tuple(rng.uniform(5, 25, k).tolist()),
                  v_thresh=-55.0, tau_refrac=float(rng.choice([0.0, 1.0, 2.0])),
                  v_init=rd("uniform", low=-65.0, high=-58.0, seed=seed))
        if delta:
            return IFCurrDelta(**kw)
        return IFCurrExp(tau_syn_E=float(rng.uniform(0.5, 4)), tau_syn_I=tuple(rng.uniform(0.5, 4, k).tolist()), **kw)

    conns = [lambda: FixedProbabilityConnector(float(rng.uniform(0.2, 0.8)), seed=int(rng.integers(100))),
             lambda: FixedNumberPreConnector(int(rng.integers(1, 3)), seed=int(rng.integers(100))),
             lambda: FixedNumberPostConnector(int(rng.integers(1, 3)), seed=int(rng.integers(100))),
             lambda: FixedTotalNumberConnector(int(rng.integers(3, 12)), seed=int(rng.integers(100)))]
    hi = 8.0 if delta else 2.5
    w = (lambda: rd("uniform", low=0.3 * hi, high=hi, seed=int(rng.integers(100))) if rng.integers(2)
         else float(rng.uniform(0.3 * hi, hi)))
    d = (lambda: rd("uniform", low=0.5, high=4.49, seed=int(rng.integers(100))) if rng.integers(2)
         else float(rng.integers(1, 4)))
    times = tuple(tuple(sorted({float(t) for t in rng.integers(2, 60, 4)})) for _ in range(n_s))
    return Network(
        [Population("s", n_s, SpikeSourceArray(times)),
         Population("p", 8, SpikeSourcePoisson(rate=float(rng.uniform(20, 80)), start=2.0, seed=seed)),
         Population("a", n_a, cell(n_a)), Population("b", n_b, cell(n_b))],
        [Projection("sa", "s", "a", conns[int(rng.integers(4))](), w(), d()),
         Projection("pa", "p", "a", conns[int(rng.integers(4))](), w(), d()),
         Projection("ab", "a", "b", conns[int(rng.integers(4))](), w(), d()),
         Projection("ba", "b", "a", conns[int(rng.integers(4))](), w(), d(), "inhibitory"),
         Projection("aa", "a", "a", FixedNumberPreConnector(1, allow_self_connections=False, seed=seed), w(), 1.0)],
        Simulation(dt=1.0, scheme=scheme), Recording(spikes=("p", "a", "b")))


def test_flatten_lowering_and_board_statistics_see_the_same_synapses():
    pytest.importorskip("pyNN")
    from spikemem.backends.pynn.lowering import lower
    from spikemem.backends.pynn.simulators import BRIAN2
    from spikemem.engine.board_weights import projection_stats
    net = random_net(3, delta_ok=False)
    plain = {pr["name"]: np.asarray(pr["connections"]) for pr in lower(net, BRIAN2)["projections"]}
    c = flatten(net, structured="never")
    indptr, col, w, d = c.csr
    pre_all = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    table = set(zip(pre_all.tolist(), col.tolist(), np.round(w, 12).tolist(), d.tolist()))
    stats = {s.name: s for s in projection_stats(net)}
    for pr in net.projections:
        off_pre = c.offsets[pr.pre]
        off_post = c.offsets[pr.post] + (c.n_if if pr.receptor == "inhibitory" else 0)
        rows = plain[pr.name]
        got = {(int(a) + off_pre, int(b) + off_post, round(abs(x), 12), int(round(y))) for a, b, x, y in rows}
        assert got <= table, pr.name
        if len(rows):
            assert stats[pr.name].n_conns == np.bincount(rows[:, 1].astype(int)).max()


def test_the_memory_estimate_counts_synapses_without_building_them(monkeypatch):
    """A million-synapse FixedProbability projection is estimated from its rule alone."""
    net = Network([Population("a", 2000, SpikeSourceArray()), Population("b", 5000)],
                  [proj(FixedProbabilityConnector(0.1, seed=1))])
    monkeypatch.setattr(FixedProbabilityConnector, "realise", lambda *a, **k: pytest.fail("built the synapses"))
    est = budget.estimate(net, 1, 10)
    assert 10**6 <= est.synapses <= 1.01 * 10**6 + 10**4


@pytest.mark.parametrize("simulator, seeds", [("nest", range(16)),
                                              pytest.param("brian2", range(3), marks=pytest.mark.slow)])
def test_random_networks_match_the_reference(simulator, seeds):
    """The same synapses, weights, delays, cell values and Poisson trains: spike for spike."""
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)
    spikes = 0
    for seed in seeds:
        net = random_net(seed, delta_ok=simulator == "nest")
        ref = get_backend("reference").run(net, 80.0, batch=2)
        got = get_backend(simulator).run(net, 80.0, batch=2)
        for trial in range(2):
            for pop in ("p", "a", "b"):
                assert got.spike_list(pop, trial=trial) == ref.spike_list(pop, trial=trial), (seed, pop, trial)
        spikes += ref.count("a") + ref.count("b")
    assert spikes > 40 * len(seeds)


def test_torch_float64_equals_the_reference(one_torch_thread):
    pytest.importorskip("torch")
    for seed in range(3):
        net = replace(random_net(seed, scheme="spinnaker"), recording=Recording(spikes=("p", "a", "b"), v=("a",)))
        a = get_backend("reference").run(net, 60.0, batch=3)
        b = get_backend("torch", dtype="float64").run(net, 60.0, batch=3)
        for pop in ("p", "a", "b"):
            assert a.spike_list(pop, trial=2) == b.spike_list(pop, trial=2)
        assert np.array_equal(a.v["a"], b.v["a"])


# -- files ---------------------------------------------------------------------------------------
def test_the_file_keeps_rules_and_seeds_not_lists(tmp_path):
    net = random_net(5)
    net.save(tmp_path / "n.json")
    text = (tmp_path / "n.json").read_text()
    d = json.loads(text)
    assert d["version"] == "1.2"
    conns = [pr["connector"] for pr in d["projections"]]
    assert all("seed" in c and "conn_list" not in c for c in conns)
    back = Network.load(tmp_path / "n.json")
    assert back == net
    a = get_backend("reference").run(net, 50.0)
    b = get_backend("reference").run(back, 50.0)
    assert all(a.spike_list(p) == b.spike_list(p) for p in ("p", "a", "b"))


def test_one_to_one_with_random_weights():
    pr = proj(OneToOneConnector(), weight=rd("exponential", beta=1.0, seed=9))
    pre, post, w, d = pr.connections(5, 5)
    assert np.array_equal(pre, post) and np.array_equal(w, rd("exponential", beta=1.0, seed=9).draw(5, "weight", "p"))


def test_a_tiny_probability_ends_with_no_synapse():
    """Found by the fuzz tests: a p_connect near the smallest float drew gaps near 2**63 whose sum
    overflowed, and the realisation never ended (growing without bound)."""
    for p in (5e-324, 1e-300):
        pre, _ = pairs_of(FixedProbabilityConnector(p, seed=1), 300, 300)
        assert len(pre) == 0
