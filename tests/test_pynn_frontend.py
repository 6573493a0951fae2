"""spikemem.pynn, the PyNN simulator module, in the style of PyNN's system scenarios: simulation
control, recording, connectors, parameter handling, synapse types. Each scenario runs on
spikemem.pynn and, where NEST is installed, on pyNN.nest (on-grid spikes), and the two are compared:
spike times equal and V to 1e-9 mV under scheme 'exact', the same connections from the same seed."""
import importlib.util
import pickle

import numpy as np
import pytest

pytest.importorskip("pyNN")
pytest.importorskip("neo")

import spikemem.pynn as sm  # noqa: E402
from spikemem import Network  # noqa: E402
from spikemem.errors import UnsupportedFeature, ValidationError  # noqa: E402

HAVE_NEST = importlib.util.find_spec("nest") is not None


def _nest():
    import pyNN.nest as nest
    return nest


SIMS = ["spikemem"] + (["nest"] if HAVE_NEST else [])


def setup(name, **kw):
    """setup() of either simulator, NEST with on-grid spikes (the description's exact scheme)."""
    if name == "nest":
        sim = _nest()
        sim.setup(spike_precision="on_grid", verbosity="error", **kw)
    else:
        sim = sm
        sim.setup(**kw)
    return sim


def both(scenario):
    """scenario(sim_name) on every simulator: {name: its result}."""
    return {name: scenario(name) for name in SIMS}


def spikes_of(block, seg=0):
    return [np.round(np.asarray(st.rescale("ms").magnitude), 6).tolist() for st in block.segments[seg].spiketrains]


def v_of(block, seg=0):
    return np.asarray(block.segments[seg].filter(name="v")[0].magnitude)


def agree(results, v_tol=1e-9):
    """Every simulator's (spikes, V) equal spikemem's."""
    ref = results["spikemem"]
    for name, got in results.items():
        assert got[0] == ref[0], name
        if ref[1] is not None:
            assert got[1].shape == ref[1].shape, name
            assert np.allclose(got[1], ref[1], atol=v_tol, rtol=0), (name, np.abs(got[1] - ref[1]).max())


def small_network(sim, delay=0.5):
    """Offset currents, a start voltage, two sources, all-to-all, a random inhibitory projection."""
    p = sim.Population(4, sim.IF_curr_exp(i_offset=[0.9, 0.0, 0.3, 0.0], tau_refrac=2.0, tau_syn_E=2.0,
                                          tau_syn_I=4.0), label="cells")
    p.initialize(v=-58.0)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[3.0, 3.5, 20.0], [10.0, 10.2, 10.3, 31.0]]),
                         label="input")
    sim.Projection(src, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.5, delay=1.0))
    sim.Projection(p, p, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(7)),
                   sim.StaticSynapse(weight=-1.5, delay=delay), receptor_type="inhibitory")
    return p, src


# -- simulation control -----------------------------------------------------------------------------
def test_a_network_runs_as_on_nest_spike_for_spike_and_in_v():
    def scenario(name):
        sim = setup(name, timestep=0.1, min_delay=0.1)
        p, _ = small_network(sim)
        p.record(["spikes", "v"])
        sim.run(40.0)
        block = p.get_data()
        sim.end()
        return spikes_of(block), v_of(block)
    results = both(scenario)
    assert sum(map(len, results["spikemem"][0])) >= 4          # it fires
    agree(results)


def test_repeated_runs_continue_the_same_simulation():
    def scenario(name, chunks):
        sim = setup(name, timestep=0.1, min_delay=0.1)
        p, _ = small_network(sim)
        p.record(["spikes", "v"])
        for t in chunks:
            sim.run(t)
        assert sim.get_current_time() == pytest.approx(40.0)
        block = p.get_data()
        sim.end()
        return spikes_of(block), v_of(block)
    once = scenario("spikemem", [40.0])
    agree({"spikemem": once, "pieces": scenario("spikemem", [10.0, 2.5, 17.5, 10.0])})


def test_reset_repeats_the_run_in_a_new_segment():
    def scenario(name):
        sim = setup(name, timestep=1.0, min_delay=1.0, t_flush=10.0)
        p = sim.Population(1, sim.IF_curr_exp(i_offset=0.1))
        p.record("v")
        for _ in range(3):
            sim.run(10.0)
            sim.reset()
        assert sim.get_current_time() == 0.0
        block = p.get_data(clear=False)
        sim.end()
        return block
    for name, block in both(scenario).items():
        assert len(block.segments) == 3, name
        for seg in block.segments[1:]:
            assert np.array_equal(v_of(block, 0), np.asarray(seg.filter(name="v")[0].magnitude))
        assert v_of(block)[-1, 0] > -65.0       # i_offset moved V


def test_run_until_and_the_past():
    sim = setup("spikemem", timestep=0.1)
    sim.Population(1, sim.IF_curr_exp())
    sim.run_until(12.7)
    assert sim.get_current_time() == pytest.approx(12.7)
    sim.run_until(12.7)
    sim.run_until(99.9)
    assert sim.get_current_time() == pytest.approx(99.9)
    with pytest.raises(ValueError):
        sim.run_until(88.8)
    with pytest.raises(ValidationError, match="multiple of the time step"):
        sim.run(0.05)
    assert (sim.rank(), sim.num_processes(), sim.get_time_step()) == (0, 1, 0.1)


def test_setting_parameters_between_runs_acts_from_then_on():
    """i_offset and spike times changed between runs: the state carries over and the change acts from
    the current time. pyNN.nest applies it one min_delay later (its kernel runs that far ahead), so
    there V agrees to the change and within 0.1 mV after it, and the spikes are the same."""
    def scenario(name, change=True):
        sim = setup(name, timestep=0.1, min_delay=0.1)
        p, src = small_network(sim)
        p.record(["spikes", "v"])
        sim.run(15.0)
        if change:
            p[0:2].set(i_offset=0.5)
            src.set(spike_times=[[25.0], [26.0, 27.0]])
        sim.run(25.0)
        block = p.get_data()
        sim.end()
        return spikes_of(block), v_of(block)
    changed, same = scenario("spikemem"), scenario("spikemem", change=False)
    assert np.array_equal(changed[1][:151], same[1][:151])          # up to t = 15 ms: untouched
    assert not np.allclose(changed[1][151:, :2], same[1][151:, :2])
    assert not np.array_equal(changed[1][:, 2:], same[1][:, 2:])      # the new input arrives everywhere
    if HAVE_NEST:
        nest = scenario("nest")
        assert nest[0] == changed[0]
        assert np.allclose(nest[1][:151], changed[1][:151], atol=1e-9)
        assert np.allclose(nest[1], changed[1], atol=0.1)


# -- recording ---------------------------------------------------------------------------------------
def test_views_record_their_cells_at_the_sampling_interval():
    def scenario(name):
        sim = setup(name, timestep=0.1, min_delay=0.1)
        p, _ = small_network(sim)
        p[[0, 2]].record("v", sampling_interval=0.5)
        p[1:3].record("spikes")
        sim.run(20.0)
        block = p.get_data()
        sig = block.segments[0].filter(name="v")[0]
        sim.end()
        return spikes_of(block), np.asarray(sig.magnitude), list(sig.array_annotations["channel_index"]), \
            float(sig.sampling_period)
    res = both(scenario)
    for name, got in res.items():
        assert got[2] == [0, 2] and got[3] == 0.5 and got[1].shape == (41, 2), name
        assert len(got[0]) == 2, name
    agree({k: v[:2] for k, v in res.items()})


def test_get_data_clear_and_write_data(tmp_path):
    import neo
    sim = setup("spikemem", timestep=1.0, min_delay=1.0)
    p = sim.Population(2, sim.IF_curr_exp(i_offset=[2.0, 0.0]))
    p.record(["spikes", "v"])
    sim.run(50.0)
    first = p.get_data(clear=True)
    sim.run(50.0)
    second = p.get_data()
    assert spikes_of(first)[0] and all(t <= 50.0 for t in spikes_of(first)[0])
    assert spikes_of(second)[0] and all(t > 50.0 for t in spikes_of(second)[0])
    assert float(second.segments[0].filter(name="v")[0].t_start) == 50.0
    p.write_data(str(tmp_path / "p.pkl"))
    back = neo.io.PickleIO(str(tmp_path / "p.pkl")).read_block()
    assert spikes_of(back) == spikes_of(second)
    assert p.get_spike_counts()[p[0]] == len(spikes_of(second)[0])
    sim.end()


def test_trials_give_one_segment_each():
    sim = setup("spikemem", timestep=0.1, min_delay=0.1, trials=3)
    p, _ = small_network(sim)
    p.record(["spikes", "v"])
    sim.run(30.0)
    block = p.get_data()
    assert len(block.segments) == 3
    assert [s.annotations["trial"] for s in block.segments] == [0, 1, 2]
    for k in (1, 2):          # the same input: the same spikes in every trial
        assert spikes_of(block, k) == spikes_of(block, 0)
        assert np.array_equal(v_of(block, k), v_of(block, 0))
    sim.end()


def test_spinnaker_dialect_records_as_spynnaker_does():
    """sPyNNaker stamps a step's spikes at its start and records V before each step, T samples."""
    sim = setup("spikemem", timestep=1.0, dialect="spinnaker")
    p = sim.Population(1, sim.IF_curr_exp())
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[0.0]))
    sim.Projection(src, p, sim.OneToOneConnector(), sim.StaticSynapse(weight=20.0, delay=1.0))
    p.record(["spikes", "v"])
    sim.run(10.0)
    v = p.spinnaker_get_data("v")
    spikes = p.spinnaker_get_data("spikes")
    assert v.shape == (10, 3) and v[0, 2] == -65.0 and v[1, 2] == -65.0      # input arrives in step 1
    assert spikes[0].tolist() == [0.0, 1.0]      # fires in the step its input arrives (spinnaker scheme)
    sim.end()


# -- connectors --------------------------------------------------------------------------------------
def _connectors(sim):
    rng = lambda: sim.NumpyRNG(seed=42)  # noqa: E731
    return {
        "all_to_all": sim.AllToAllConnector(),
        "all_to_all_no_self": sim.AllToAllConnector(allow_self_connections=False),
        "one_to_one": sim.OneToOneConnector(),
        "fixed_probability": sim.FixedProbabilityConnector(0.3, rng=rng()),
        "fixed_number_pre": sim.FixedNumberPreConnector(3, rng=rng()),
        "fixed_number_post": sim.FixedNumberPostConnector(2, rng=rng()),
        "fixed_total_number": sim.FixedTotalNumberConnector(20, rng=rng()),
        "distance_dependent": sim.DistanceDependentProbabilityConnector("exp(-d/3)", rng=rng()),
        "index_based": sim.IndexBasedProbabilityConnector(_IndexRule(), rng=rng()),
        "from_list": sim.FromListConnector([(0, 1, 0.4, 1.5), (3, 2, 0.2, 2.0), (5, 5, 0.3, 1.0)]),
        "array": sim.ArrayConnector(np.eye(6, dtype=bool)[::-1]),
    }


class _IndexRule:
    """An index-based probability (i, j) -> p, PyNN's IndexBasedExpression."""

    def __new__(cls):
        from pyNN.core import IndexBasedExpression

        class Rule(IndexBasedExpression):
            def __call__(self, i, j):
                return (i + j) % 3 == 0
        return Rule()


@pytest.mark.parametrize("kind", list(_connectors(sm)))
def test_every_connector_makes_the_connections_nest_makes(kind):
    def scenario(name):
        sim = setup(name, timestep=0.1, min_delay=0.1)
        a = sim.Population(6, sim.IF_curr_exp(), structure=sm.space.Line())
        b = a if kind == "all_to_all_no_self" else sim.Population(6, sim.IF_curr_exp())
        prj = sim.Projection(a, b, _connectors(sim)[kind], sim.StaticSynapse(weight=0.25, delay=0.5))
        got = sorted(tuple(round(x, 9) for x in c) for c in prj.get(["weight", "delay"], format="list"))
        sim.end()
        return got, len(prj)
    res = both(scenario)
    conns, n = res["spikemem"]
    assert n == len(conns) and conns
    for name, got in res.items():
        assert got == (conns, n), name


def test_clone_and_file_connectors(tmp_path):
    sim = setup("spikemem", timestep=0.1, min_delay=0.1)
    a, b = sim.Population(5, sim.IF_curr_exp()), sim.Population(4, sim.IF_curr_exp())
    ref = sim.Projection(a, b, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(1)), sim.StaticSynapse(weight=0.1))
    clone = sim.Projection(a, b, sim.CloneConnector(ref), sim.StaticSynapse(weight=0.2))
    ref.save("all", str(tmp_path / "conn.txt"))
    from_file = sim.Projection(a, b, sim.FromFileConnector(str(tmp_path / "conn.txt")))
    pairs = lambda prj: sorted((int(i), int(j)) for i, j, *_ in prj.get("weight", format="list"))  # noqa: E731
    assert pairs(clone) == pairs(ref) == pairs(from_file) and pairs(ref)
    assert ref.size() == len(ref) and np.allclose(clone.get("weight", format="list", with_address=False), 0.2)
    sim.end()


def test_views_and_assemblies_split_into_description_projections():
    sim = setup("spikemem", timestep=1.0, min_delay=1.0)
    a, b = sim.Population(4, sim.IF_curr_exp(), label="a"), sim.Population(3, sim.IF_curr_exp(), label="b")
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[2.0], [5.0]]), label="src")
    sim.Projection(src, a[1:3] + b, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0, delay=2.0))
    net = sim.network()
    parts = {(pr.pre, pr.post): pr for pr in net.projections}
    assert set(parts) == {("src", "a"), ("src", "b")}
    assert sorted(parts[("src", "a")].connector.conn_list) == [(0, 1), (0, 2), (1, 1), (1, 2)]
    sim.end()


def test_repeated_pairs_become_parallel_projections():
    def scenario(name):
        sim = setup(name, timestep=0.1, min_delay=0.1)
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[2.0]))
        p = sim.Population(1, sim.IF_curr_exp())
        sim.Projection(src, p, sim.FromListConnector([(0, 0, 6.0, 1.0), (0, 0, 6.0, 3.0)]))
        p.record("v")
        sim.run(10.0)
        block = p.get_data()
        sim.end()
        return [], v_of(block)
    agree(both(scenario))


# -- parameter handling ------------------------------------------------------------------------------
def test_set_get_and_initialize():
    sim = setup("spikemem", timestep=0.1, seed=5)
    p = sim.Population(5, sim.IF_curr_exp(tau_m=12.0))
    p.set(cm=0.5, v_thresh=lambda i: -50.0 + i)
    p[1:3].set(tau_refrac=[1.0, 2.0])
    assert p.get("tau_m") == 12.0 and p.get("cm") == 0.5
    assert list(p.get("v_thresh")) == [-50.0, -49.0, -48.0, -47.0, -46.0]
    assert list(p.get("tau_refrac")) == [0.1, 1.0, 2.0, 0.1, 0.1]
    p.initialize(v=sim.RandomDistribution("uniform", low=-70.0, high=-60.0))
    v0 = p.initial_values["v"].evaluate()
    assert np.all((v0 >= -70) & (v0 < -60)) and len(set(v0)) == 5
    assert p[3].tau_m == 12.0 and p.can_record("v") and p.describe()
    a = p + sim.Population(2, sim.IF_curr_exp(cm=2.0))
    assert list(a.get("cm")) == [0.5] * 5 + [2.0] * 2
    sim.end()


def test_per_neuron_values_reach_the_description_and_run_as_on_nest():
    """Values that differ between neurons (tau_m, start voltages) are the description's per-neuron
    tuples: the run equals NEST's, spike for spike and in V."""
    def scenario(name):
        sim = setup(name, timestep=0.1)
        p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="p")
        p.set(tau_m=[10.0, 20.0, 30.0])
        p.initialize(v=[-60.0, -61.0, -62.0])
        p.record(["spikes", "v"])
        if name == "spikemem":
            cell = sim.network().population("p").cell
            assert cell.tau_m == (10.0, 20.0, 30.0) and cell.v_init == (-60.0, -61.0, -62.0)
        sim.run(40.0)
        block = p.get_data()
        sim.end()
        return spikes_of(block), v_of(block)
    res = both(scenario)
    assert res["spikemem"][0][0] == [] and res["spikemem"][0][1] and res["spikemem"][0][2]   # tau_m 10: below threshold
    agree(res)
    sim = setup("spikemem", timestep=0.1)
    sim.Population(3, sim.IF_curr_exp(tau_m=[10.0, -1.0, 30.0]), label="q")
    with pytest.raises(ValidationError, match=r"q\.tau_m\[1\]"):
        sim.run(1.0)
    sim.end()


@pytest.mark.parametrize("build, name", [
    (lambda sim, a, b: sim.Population(2, sim.EIF_cond_exp_isfa_ista()), "EIF_cond_exp_isfa_ista"),
    (lambda sim, a, b: sim.Population(2, sim.SpikeSourceGamma(alpha=2.0, beta=10.0)), "SpikeSourceGamma"),
    (lambda sim, a, b: sim.Projection(a, b, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse()),
     "TsodyksMarkramSynapse"),
    (lambda sim, a, b: sim.Projection(a, b, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(), weight_dependence=sim.GutigWeightDependence())),
     "GutigWeightDependence"),
])
def test_what_the_description_lacks_is_refused_by_name_when_built(build, name):
    """PyNN's whole standard library can be set up (parameters, connections); building the network
    (run(), network()) refuses what the description lacks, naming it."""
    sim = setup("spikemem", timestep=0.1)
    a, b = sim.Population(2, sim.IF_curr_exp()), sim.Population(2, sim.IF_curr_exp())
    build(sim, a, b)
    for attempt in (sim.network, lambda: sim.run(1.0)):
        with pytest.raises(UnsupportedFeature, match=name):
            attempt()
    sim.end()


def test_simulator_specific_calls_are_refused_by_name():
    sim = setup("spikemem", timestep=0.1)
    a = sim.Population(2, sim.IF_curr_delta())
    with pytest.raises(UnsupportedFeature, match="gsyn_exc"):
        a.record("gsyn_exc")
    with pytest.raises(UnsupportedFeature, match="native_cell_type"):
        sim.native_cell_type("iaf_psc_alpha")
    with pytest.raises(UnsupportedFeature, match="extra_models.IFCurrExpCa2Adaptive"):
        sim.extra_models.IFCurrExpCa2Adaptive
    with pytest.raises(UnsupportedFeature, match="ConvolutionConnector"):
        sim.ConvolutionConnector()
    from pyNN.errors import InvalidParameterValueError
    with pytest.raises(InvalidParameterValueError, match="increasing order"):
        sim.Population(1, sim.SpikeSourceArray(spike_times=[3.0, 2.0]))
    assert sim.list_standard_models() == ["IF_cond_exp", "IF_curr_alpha", "IF_curr_delta", "IF_curr_exp",
                                          "Izhikevich", "SpikeSourceArray", "SpikeSourcePoisson"]
    sim.end()


def test_a_dc_source_from_the_start_is_an_offset_current():
    def scenario(name):
        sim = setup(name, timestep=0.1, min_delay=0.1)
        p = sim.Population(3, sim.IF_curr_exp(tau_refrac=2.0))
        sim.DCSource(amplitude=1.2).inject_into(p[[0, 2]])
        p.record(["spikes"])
        sim.run(30.0)
        block = p.get_data()
        sim.end()
        return spikes_of(block), None
    res = both(scenario)
    spikes = res["spikemem"][0]
    assert spikes[0] and spikes[0] == spikes[2] and not spikes[1]
    if "nest" in res:      # pyNN.nest's dc_generator acts from min_delay + one step: two steps later
        assert all(0 <= b - a <= 0.2 + 1e-9 for a, b in zip(spikes[0], res["nest"][0][0]))


# -- synapse types -----------------------------------------------------------------------------------
def test_stdp_spikes_and_weights_equal_nests():
    """pyNN.nest's rule (A scaled by w_max, no depression at dt = 0) on both; NEST potentiates at a
    synapse's next pre spike, so its weights are completed with what it still owes."""
    pre_times = [[2.0, 12.0, 22.0, 32.0], [5.0, 15.0, 25.0], [8.0, 40.0], [3.0, 4.0, 5.0], [30.0]]

    def scenario(name):
        sim = setup(name, timestep=1.0, min_delay=1.0)
        pre = sim.Population(5, sim.SpikeSourceArray(spike_times=pre_times))
        post = sim.Population(3, sim.IF_curr_exp(tau_refrac=2.0))
        rule = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=16.0, tau_minus=20.0, A_plus=0.05,
                                                                    A_minus=0.06),
                                 weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=4.0),
                                 weight=2.5, delay=1.0)
        prj = sim.Projection(pre, post, sim.AllToAllConnector(), rule)
        post.record("spikes")
        sim.run(50.0)
        w = prj.get("weight", format="array")
        block = post.get_data()
        sim.end()
        return spikes_of(block), w
    res = both(scenario)
    spikes, w = res["spikemem"]
    assert sum(map(len, spikes)) >= 3 and not np.allclose(w, 2.5)
    if "nest" in res:
        from spikemem import STDP
        from spikemem.backends.pynn import deferred_stdp
        nest_spikes, nest_w = res["nest"]
        assert nest_spikes == spikes
        rule = STDP(tau_plus=16.0, tau_minus=20.0, A_plus=0.2, A_minus=0.24, w_min=0.0, w_max=4.0,
                    depress_at_zero=False)
        fake = type("P", (), {"plasticity": rule, "delay": 1.0})()
        steps = lambda trains: (np.concatenate([np.array(t, float) for t in trains]).astype(int),  # noqa: E731
                                np.concatenate([np.full(len(t), i) for i, t in enumerate(trains)]))
        completed = deferred_stdp.complete(nest_w, fake, 1.0, 50, steps(pre_times), steps(spikes))
        assert np.allclose(completed, w, atol=1e-9)


def test_plastic_weights_can_be_read_and_set_between_runs():
    sim = setup("spikemem", timestep=1.0, min_delay=1.0)
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0, 11.0], [3.0]]))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(A_plus=0.1, A_minus=0.1),
        weight_dependence=sim.AdditiveWeightDependence(w_max=20.0), weight=10.0))
    sim.run(10.0)
    w1 = prj.get("weight", format="array")
    assert not np.allclose(w1, 10.0)        # learnt
    prj.set(weight=5.0)
    assert np.allclose(prj.get("weight", format="array"), 5.0)
    sim.run(10.0)
    assert np.all(prj.get("weight", format="array") <= 5.0 + 20 * 0.1)
    sim.end()


# -- the network and the engines -----------------------------------------------------------------------
def test_network_is_the_description_the_engine_runs(tmp_path):
    sim = setup("spikemem", timestep=0.1, min_delay=0.1, scheme="spinnaker")
    p, _ = small_network(sim)
    p.record("spikes")
    sim.run(40.0)
    mine = spikes_of(p.get_data())
    net = sim.network()
    net.save(tmp_path / "net.json")
    from spikemem import get_backend
    res = get_backend("reference").run(Network.load(tmp_path / "net.json"), 40.0)
    trains = res.spike_trains("cells")
    assert [[round(t, 6) for t in tr] for tr in trains] == mine and any(mine)
    sim.end()


def test_torch_runs_the_script_as_the_reference_does(one_torch_thread):
    def scenario(backend):
        sim = setup("spikemem", timestep=0.1, min_delay=0.1, backend=backend)
        p, _ = small_network(sim)
        p.record(["spikes", "v"])
        sim.run(20.0)
        sim.run(20.0)
        block = p.get_data()
        sim.end()
        return spikes_of(block), v_of(block)
    agree({"spikemem": scenario("reference"), "torch": scenario("torch")}, v_tol=1e-9)


def test_fixed_numerics_continue_across_runs():
    def scenario(chunks):
        sim = setup("spikemem", timestep=1.0, min_delay=1.0, numerics="fixed")
        p, _ = small_network(sim, delay=1.0)
        p.record(["spikes", "v"])
        for t in chunks:
            sim.run(t)
        block = p.get_data()
        sim.end()
        return spikes_of(block), v_of(block)
    agree({"spikemem": scenario([40.0]), "pieces": scenario([15.0, 25.0])}, v_tol=0)
    sim = setup("spikemem", timestep=1.0, numerics="fixed")
    p, _ = small_network(sim, delay=1.0)
    sim.run(5.0)
    p.set(i_offset=0.2)
    with pytest.raises(UnsupportedFeature, match="numerics='fixed'"):
        sim.run(5.0)
    sim.end()


def test_pickled_blocks_keep_the_annotations_pynn_sets():
    sim = setup("spikemem", timestep=1.0)
    p = sim.Population(2, sim.IF_curr_exp(i_offset=[2.0, 0.0]), label="cells")
    p.record("spikes")
    sim.run(30.0)
    block = pickle.loads(pickle.dumps(p.get_data()))
    st = block.segments[0].spiketrains[0]
    assert st.annotations["source_population"] == "cells" and st.annotations["source_index"] == 0
    assert len(st) > 0
    sim.end()


@pytest.mark.slow
def test_bench_pynn_frontend_runs_one_script_on_both(capsys):
    """The benchmark's rows (not its timings): the same script on spikemem.pynn and NEST, trial 0
    with the same spikes, and one Segment per trial in the trials run."""
    import json

    from spikemem.cli import main
    assert main(["bench", "pynn-frontend", "--cells", "40", "--duration", "30", "--trials", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["trials"] for r in rows] == ([1, 1, 3, 3] if HAVE_NEST else [1, 3])
    assert all("error" not in r for r in rows), rows
    assert rows[-2 if HAVE_NEST else -1]["segments"] == 3
    assert len({r["first_spikes"] for r in rows}) == 1 and rows[0]["first_spikes"] > 0


def test_the_built_network_exports(tmp_path):
    """network() is an ordinary Network: a PyNN script for NEST is written from it, and NIR takes it."""
    sim = setup("spikemem", timestep=1.0, min_delay=1.0)
    p, _ = small_network(sim, delay=1.0)
    sim.run(10.0)
    net = sim.network()
    sim.end()
    from spikemem.backends.pynn.export import export_script
    written = export_script(net, tmp_path, "nest", 40.0, foreign_scheme=True)
    assert (tmp_path / "run_nest.py").is_file() and written
    pytest.importorskip("nir")
    from spikemem.interchange.nir_graph import to_nir
    sim.setup(timestep=1.0)
    src = sim.Population(3, sim.SpikeSourceArray(spike_times=[[2.0], [4.0], []]), label="src")
    a = sim.Population(3, sim.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=2.0), label="a")
    b = sim.Population(2, sim.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=2.0), label="b")
    sim.Projection(src, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0, delay=1.0))
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=1.0))
    graph = to_nir(sim.network())
    assert {"a", "b"} <= set(graph.nodes)
    sim.end()
