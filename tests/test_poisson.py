"""SpikeSourcePoisson: a counter-based generator gives the same trains in numpy and torch (any
device), in one run or window by window, to every trial alike whatever the batch; the trains have
the rate and ISI statistics of a Bernoulli process at p = rate dt; the PyNN simulators receive the
same trains, or draw their own (poisson='native') with the same statistics."""
import numpy as np
import pytest

from spikemem import (AllToAllConnector, IFCurrExp, Network, Population, Projection, RandomDistribution, Recording,
                      Simulation, SpikeSourcePoisson, ValidationError, get_backend)
from spikemem.engine import poisson
from spikemem.engine.flatten import flatten


def python_mix(x: int) -> int:
    """lowbias32 with Python's unbounded integers: the mathematical definition, for the test."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) % 2**32
    x ^= x >> 15
    x = (x * 0x846CA68B) % 2**32
    return x ^ (x >> 16)


def test_the_hash_is_lowbias32_in_numpy_and_torch():
    rng = np.random.default_rng(1)
    words = rng.integers(0, 2**32, 5000, dtype=np.int64)
    got = poisson.mix(words)
    assert got.tolist() == [python_mix(int(w)) for w in words]
    torch = pytest.importorskip("torch")
    assert torch.equal(poisson.mix(torch.as_tensor(words)), torch.as_tensor(got))


def source_net(rate=20.0, size=400, dt=1.0, **kw):
    return Network([Population("s", size, SpikeSourcePoisson(rate=rate, **kw))], [], Simulation(dt=dt),
                   Recording(spikes=("s",)))


def keys(res, pop="s"):
    b, s, n = res.spikes[pop]
    return np.sort((b * res.steps + s) * res.sizes[pop] + n)


def test_engines_and_the_host_draw_the_same_trains(one_torch_thread):
    net = source_net(rate=(5.0, 50.0, 200.0, 0.0) * 25, size=100, seed=9)
    ref = get_backend("reference").run(net, 300.0, batch=3)
    host = poisson.trains(flatten(net).poisson[0], np.arange(3), 300)
    steps, size = 300, 100
    assert np.array_equal(keys(ref), np.sort((host[0] * steps + host[1]) * size + host[2]))
    assert ref.count("s") > 1000
    pytest.importorskip("torch")
    for dtype in ("float32", "float64"):
        assert np.array_equal(keys(get_backend("torch", dtype=dtype).run(net, 300.0, batch=3)), keys(ref))


def test_rate_cv_and_independence():
    p = 20.0 / 1000.0
    res = get_backend("reference").run(source_net(rate=20.0, size=500, seed=4), 2000.0, batch=2)
    counts = np.zeros((2, 500))
    b, s, n = res.spikes["s"]
    np.add.at(counts, (b, n), 1)
    n_steps = 2000
    mean, sd = p * n_steps * 500 * 2, np.sqrt(p * (1 - p) * n_steps * 500 * 2)
    assert abs(counts.sum() - mean) < 4 * sd                       # the rate, within 4 sigma
    isis = np.concatenate([np.diff(np.sort(s[(b == k) & (n == i)])) for k in range(2) for i in range(500)])
    cv = isis.std() / isis.mean()
    assert abs(cv - np.sqrt(1 - p)) < 0.03                           # geometric ISIs: CV = sqrt(1 - p)
    assert isis.min() >= 1                                           # at most one spike a step
    r = np.corrcoef(counts[0], counts[1])[0, 1]                      # trials are independent
    assert abs(r) < 4 / np.sqrt(500)
    neighbours = np.corrcoef(counts[0, :-1], counts[0, 1:])[0, 1]    # and neighbours
    assert abs(neighbours) < 4 / np.sqrt(500)


def test_start_duration_and_per_neuron_values():
    net = source_net(rate=RandomDistribution("uniform", low=100.0, high=300.0, seed=1), size=40,
                     start=tuple(float(x) for x in np.arange(40)), duration=25.0, seed=2, dt=0.5)
    res = get_backend("reference").run(net, 120.0)
    b, s, n = res.spikes["s"]
    t = s * 0.5
    assert np.all(t >= n) and np.all(t < n + 25.0)
    assert len(np.unique(n)) == 40


def test_windows_and_batches_give_the_same_trains():
    net = source_net(rate=80.0, size=60, seed=11)
    whole = get_backend("reference").run(net, 100.0, batch=4)
    sess = get_backend("reference").session(net, batch=4)
    windows = [sess.run(t) for t in (13.0, 50.0, 51.0, 100.0)]
    for k in range(4):
        assert sorted(x for w in windows for x in w.spike_list("s", trial=k)) == whole.spike_list("s", trial=k)
    small = get_backend("reference").run(net, 100.0, batch=2)     # trial k is trial k in any batch
    assert small.spike_list("s", trial=1) == whole.spike_list("s", trial=1)
    assert whole.spike_list("s", trial=0) != whole.spike_list("s", trial=1)


def test_seeds_and_names_give_independent_streams():
    a = get_backend("reference").run(source_net(seed=1), 200.0)
    b = get_backend("reference").run(source_net(seed=2), 200.0)
    assert a.spike_list("s") != b.spike_list("s")
    two = Network([Population("s", 400, SpikeSourcePoisson(rate=20.0, seed=1)),
                   Population("t", 400, SpikeSourcePoisson(rate=20.0, seed=1))], [], Simulation(),
                  Recording(spikes=("s", "t")))
    res = get_backend("reference").run(two, 200.0)
    assert res.spike_list("s") == a.spike_list("s") and res.spike_list("t") != res.spike_list("s")


def test_bad_sources_are_refused_by_name():
    with pytest.raises(ValidationError, match="s.rate"):
        source_net(rate=2000.0)                                    # more than one spike a step at dt = 1 ms
    with pytest.raises(ValidationError, match="rate"):
        SpikeSourcePoisson(rate=-1.0)
    with pytest.raises(ValidationError, match="duration"):
        SpikeSourcePoisson(duration=float("nan"))
    with pytest.raises(ValidationError, match="s.rate"):
        Network([Population("s", 3, SpikeSourcePoisson(rate=(1.0, 2.0)))])
    with pytest.raises(ValidationError, match="draws its own spikes"):
        get_backend("reference").run(source_net(), 10.0, inputs={"s": [[[1.0]] * 400]})


def driven_net(scheme="exact"):
    cell = IFCurrExp(tau_m=10.0, tau_syn_E=2.0, v_thresh=-60.0)
    return Network([Population("s", 30, SpikeSourcePoisson(rate=40.0, start=5.0, duration=150.0, seed=3)),
                    Population("a", 4, cell)],
                   [Projection("sa", "s", "a", AllToAllConnector(), weight=0.4, delay=1.0)],
                   Simulation(dt=1.0, scheme=scheme), Recording(spikes=("s", "a")))


@pytest.mark.parametrize("simulator", ["nest", pytest.param("brian2", marks=pytest.mark.slow)])
def test_pynn_simulators_receive_the_same_trains(simulator):
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)
    net = driven_net()
    ref = get_backend("reference").run(net, 200.0, batch=2)
    got = get_backend(simulator).run(net, 200.0, batch=2)
    for k in range(2):
        for pop in ("s", "a"):
            assert got.spike_list(pop, trial=k) == ref.spike_list(pop, trial=k), (k, pop)
    assert ref.count("a") > 20


def isi_stats(res, pop, size, batch):
    b, s, n = res.spikes[pop]
    isis = np.concatenate([np.diff(np.sort(s[(b == k) & (n == i)])) for k in range(batch) for i in range(size)])
    return len(s) / (batch * size), isis.std() / isis.mean()


@pytest.mark.parametrize("simulator", ["nest", pytest.param("brian2", marks=pytest.mark.slow)])
def test_the_simulators_own_generator_has_the_same_statistics(simulator):
    """poisson='native': different trains, the same rate (within 4 sigma) and ISI CV (within 0.05)."""
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)
    net = Network([Population("s", 300, SpikeSourcePoisson(rate=20.0, start=10.0, duration=1000.0, seed=5))], [],
                  Simulation(dt=1.0, scheme="exact"), Recording(spikes=("s",)))
    ours = get_backend("reference").run(net, 1100.0, batch=2)
    theirs = get_backend(simulator, poisson="native").run(net, 1100.0, batch=2)
    assert ours.spike_list("s") != theirs.spike_list("s")
    (r1, cv1), (r2, cv2) = isi_stats(ours, "s", 300, 2), isi_stats(theirs, "s", 300, 2)
    sd = np.sqrt(20.0 * 300 * 2) / (300 * 2)          # per-neuron count: Poisson sd over 600 neurons
    assert abs(r1 - 20.0) < 4 * sd and abs(r2 - 20.0) < 4 * sd
    assert abs(cv1 - 1.0) < 0.05 and abs(cv2 - 1.0) < 0.05
    b, s, n = theirs.spikes["s"]
    assert s.min() >= 10 and s.max() < 1010
    assert theirs.spike_list("s", trial=0) != theirs.spike_list("s", trial=1)      # a seed per trial


def test_pynn_sessions_queue_the_trains():
    pytest.importorskip("pyNN")
    pytest.importorskip("nest")
    net = driven_net()
    ref = get_backend("reference").run(net, 200.0)
    s = get_backend("nest").session(net)
    try:
        windows = [s.run(t) for t in (40.0, 120.0, 200.0)]
    finally:
        s.close()
    assert sorted(x for w in windows for x in w.spike_list("a")) == ref.spike_list("a")


@pytest.mark.gpu
def test_cuda_draws_the_same_trains_and_layers():
    """On a GPU: the same Poisson trains, and layer input equal to rounding."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from test_layers import layer_net
    net = source_net(rate=(5.0, 50.0, 200.0, 0.0) * 25, size=100, seed=9)
    ref = get_backend("reference").run(net, 300.0, batch=3)
    assert np.array_equal(keys(get_backend("torch", device="cuda", dtype="float64").run(net, 300.0, batch=3)), keys(ref))
    net = layer_net(3)
    a = get_backend("reference").run(net, 60.0, batch=2)
    b = get_backend("torch", device="cuda", dtype="float64").run(net, 60.0, batch=2)
    assert a.spike_list("c", trial=1) == b.spike_list("c", trial=1)
    np.testing.assert_allclose(a.v["o"], b.v["o"], atol=1e-9)
