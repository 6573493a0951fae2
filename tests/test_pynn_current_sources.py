"""Current sources on the PyNN simulators: NEST reproduces the reference (scheme exact) spike for
spike and V to rounding on seeded random networks with every source kind, at rest or not;
noise="native" hands NoisyCurrentSource to NEST's own generator, with the same mean and stdev;
Brian2 does the same (slow); sPyNNaker maps them on a virtual board; export writes them."""
import math

import numpy as np
import pytest

from spikemem import (ACSource, AllToAllConnector, CurrentInjection, DCSource, FixedProbabilityConnector, IFCurrExp,
                      Network, NoisyCurrentSource, Population, Projection, Recording, Simulation, SpikeSourceArray,
                      StepCurrentSource, UnsupportedFeature, get_backend)


def random_network(seed: int, offset: float = 0.0, scheme: str = "exact", dt: float | None = None) -> Network:
    """Two LIF populations driven by a spike source, recurrent random synapses, and 2-5 current
    sources of random kinds, amplitudes, windows and targets on the dt grid."""
    rng = np.random.default_rng(seed)
    dt = float(rng.choice([0.5, 1.0])) if dt is None else dt
    src = Population("src", 3, SpikeSourceArray([sorted(set(np.round(rng.uniform(2, 60, 4) / dt) * dt))
                                                  for _ in range(3)]))
    a = Population("a", 6, IFCurrExp(tau_m=float(rng.uniform(8, 20)), cm=0.5, i_offset=offset, tau_refrac=2.0))
    b = Population("b", 4, IFCurrExp(tau_m=15.0, cm=0.4, tau_syn_E=3.0, tau_refrac=1.0))
    projs = [Projection("in", "src", "a", AllToAllConnector(), 1.5, 1.0),
             Projection("ab", "a", "b", FixedProbabilityConnector(0.5, seed=seed), 0.8, 2.0),
             Projection("ba", "b", "a", FixedProbabilityConnector(0.3, seed=seed + 1), 0.4, 1.0, "inhibitory")]
    grid = (lambda lo, hi: float(np.round(rng.uniform(lo, hi) / dt) * dt))
    currents = []
    for k in range(int(rng.integers(2, 6))):
        kind = ["dc", "step", "ac", "noisy"][k % 4] if k < 4 else str(rng.choice(["dc", "step", "ac", "noisy"]))
        start, stop = grid(3, 30), grid(40, 90)
        if kind == "dc":
            source = DCSource(float(rng.uniform(-0.3, 1.2)), start, stop)
        elif kind == "step":
            times = sorted({grid(3, 90) for _ in range(4)})
            source = StepCurrentSource(times, rng.uniform(-0.2, 1.0, len(times)).tolist())
        elif kind == "ac":
            source = ACSource(float(rng.uniform(0.1, 0.8)), float(rng.uniform(0, 0.6)), float(rng.uniform(5, 60)),
                              float(rng.uniform(-180, 180)), start, stop)
        else:
            source = NoisyCurrentSource(float(rng.uniform(0, 0.5)), float(rng.uniform(0.1, 0.6)), start, stop,
                                        dt * int(rng.integers(1, 3)), seed=seed)
        pop = "a" if rng.random() < 0.6 else "b"
        size = 6 if pop == "a" else 4
        neurons = None if rng.random() < 0.4 else sorted(rng.choice(size, int(rng.integers(1, size)), replace=False).tolist())
        currents.append(CurrentInjection(source, pop, neurons))
    return Network([src, a, b], projs, Simulation(dt, scheme), Recording(v=("a", "b")), name=f"currents{seed}",
                   current_sources=currents)


def same(ref, got, pops=("a", "b")):
    for p in pops:
        for x, y in zip(ref.spikes[p], got.spikes[p]):
            assert np.array_equal(x, y), p
        np.testing.assert_allclose(got.v[p], ref.v[p], rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_nest_reproduces_the_reference_spike_for_spike(seed):
    pytest.importorskip("pyNN.nest")
    for offset in (0.0, 0.15):           # at rest (the stimulus may shift) and not
        net = random_network(seed, offset)
        ref = get_backend("reference").run(net, 100.0, batch=2)
        assert ref.count("a") + ref.count("b") > 5
        same(ref, get_backend("pynn", simulator="nest").run(net, 100.0, batch=2))


def test_a_source_from_t0_runs_on_nest_at_rest_and_is_refused_by_name_where_it_cannot_start():
    pytest.importorskip("pyNN.nest")
    cell = IFCurrExp(tau_m=10.0, cm=0.5)
    net = Network([Population("n", 2, cell)], simulation=Simulation(1.0, "exact"), recording=Recording(v=("n",)),
                  current_sources=[CurrentInjection(DCSource(1.2), "n", [0]),
                                   CurrentInjection(StepCurrentSource([0.0, 6.0], [0.9, 2.0]), "n", [1])])
    same(get_backend("reference").run(net, 40.0), get_backend("pynn", simulator="nest").run(net, 40.0), ("n",))
    from dataclasses import replace
    busy = replace(net, populations=(Population("n", 2, replace(cell, i_offset=0.1)),))
    with pytest.raises(UnsupportedFeature, match="current_sources"):
        get_backend("pynn", simulator="nest").run(busy, 10.0)


def currents_from_v(res, dt, tau_m=10.0, cm=0.5):
    v = res.v["n"]
    a, R = math.exp(-dt / tau_m), tau_m / cm
    prev = np.concatenate([np.full_like(v[:, :1], -65.0), v[:, :-1]], axis=1)
    return (v + 65.0 - a * (prev + 65.0)) / (R * (1 - a))


def test_native_noise_is_nests_own_with_the_same_mean_and_stdev():
    pytest.importorskip("pyNN.nest")
    net = Network([Population("n", 40, IFCurrExp(tau_m=10.0, cm=0.5, v_thresh=1e3))],
                  simulation=Simulation(1.0, "exact"), recording=Recording(v=("n",)),
                  current_sources=[CurrentInjection(NoisyCurrentSource(0.3, 0.4, start=5.0, stop=305.0), "n")])
    native = currents_from_v(get_backend("pynn", simulator="nest", noise="native").run(net, 310.0), 1.0)[0, 5:305]
    ours = currents_from_v(get_backend("reference").run(net, 310.0), 1.0)[0, 5:305]
    assert not np.allclose(native, ours)                  # another generator
    for x in (native, ours):
        assert abs(x.mean() - 0.3) < 0.02 and abs(x.std() - 0.4) < 0.02
    assert np.all(np.abs(currents_from_v(get_backend("reference").run(net, 310.0), 1.0)[0, :5]) < 1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2))
def test_brian2_reproduces_the_reference_spike_for_spike(seed):
    pytest.importorskip("pyNN.brian2")
    net = random_network(seed, 0.1)
    same(get_backend("reference").run(net, 100.0), get_backend("pynn", simulator="brian2").run(net, 100.0))


def test_spinnaker_maps_every_source_on_a_virtual_board(tmp_path):
    pytest.importorskip("spynnaker")
    from spikemem.backends.pynn.run_folder import RunFolder
    from spikemem.hardware.spinnaker.mapping import map_network
    net = random_network(0, scheme="spinnaker", dt=1.0)
    net = Network(net.populations, net.projections, Simulation(1.0, "spinnaker"), name="cs",
                  current_sources=[CurrentInjection(DCSource(0.5, 2.0, 50.0), "a", [1, 2]),
                                   CurrentInjection(StepCurrentSource([2.0, 9.0], [0.1, 0.3]), "a"),
                                   CurrentInjection(ACSource(0.2, 0.1, 10.0, 90.0, 4.0), "b"),
                                   CurrentInjection(NoisyCurrentSource(0.2, 0.1, seed=1), "b", [0, 3])])
    report = map_network(net, 20.0, RunFolder.create(tmp_path, virtual=True))
    assert report["current_sources"] == {"a": ["DCSource", "StepCurrentSource"],
                                         "b": ["ACSource", "StepCurrentSource", "StepCurrentSource"]}


@pytest.mark.parametrize("simulator", ["nest", "brian2", "spinnaker"])
def test_export_writes_the_sources(simulator, tmp_path):
    pytest.importorskip("pyNN")
    from spikemem.backends.pynn.script import pynn_script
    scheme = "spinnaker" if simulator == "spinnaker" else "exact"
    net = random_network(1, scheme=scheme, dt=1.0)
    text = pynn_script(net, simulator, 50.0)
    kinds = {inj.source.kind for inj in net.current_sources}
    for kind in kinds - {"NoisyCurrentSource"}:
        assert f"sim.{kind}(" in text
    assert ".inject_into(" in text


# -- spikemem.pynn, the PyNN frontend ------------------------------------------------------------
def frontend_scenario(sim, dt=0.5):
    """A script with every current source, injected into views, lists and a whole population."""
    p = sim.Population(5, sim.IF_curr_exp(tau_m=10.0, cm=0.5, tau_refrac=1.0))
    q = sim.Population(2, sim.IF_curr_exp(tau_m=12.0, cm=0.4))
    sim.DCSource(amplitude=1.1, start=3.0, stop=40.0).inject_into(p[[0, 1]])
    sim.StepCurrentSource(times=[2.0, 15.0, 30.0], amplitudes=[0.6, 1.4, 0.3]).inject_into(p[1:4])
    ac = sim.ACSource(amplitude=0.7, offset=0.9, frequency=30.0, phase=45.0, start=4.0, stop=45.0)
    q.inject(ac)
    sim.DCSource(amplitude=0.4, start=10.0, stop=20.0).inject_into(p[[4]])
    for x in (p, q):
        x.record(["spikes", "v"])
    sim.run(50.0)
    out = [x.get_data() for x in (p, q)]
    sim.end()
    return out


def test_the_frontend_lowers_every_source_and_equals_pynn_nest():
    pytest.importorskip("pyNN")
    import spikemem.pynn as sm
    got = frontend_scenario(_frontend(sm, "spikemem"))
    net_sim = _frontend(sm, "spikemem")
    _ = net_sim.Population(1, net_sim.IF_curr_exp())
    noisy = net_sim.NoisyCurrentSource(mean=0.2, stdev=0.3, start=1.0, stop=20.0, dt=0.1, seed=7)
    noisy.inject_into(_)
    net = net_sim.network()
    net_sim.end()
    assert [i.source.kind for i in net.current_sources] == ["NoisyCurrentSource"]
    assert net.current_sources[0].source.dt == 0.5 and net.current_sources[0].source.seed == 7   # whole steps
    assert sum(len(st) for b in got for st in b.segments[0].spiketrains) > 10
    try:
        import pyNN.nest as nest
    except ImportError:
        return
    want = frontend_scenario(_frontend(nest, "nest"))
    for a, b in zip(got, want):
        sa = [np.round(np.asarray(st.rescale("ms").magnitude), 6).tolist() for st in a.segments[0].spiketrains]
        sb = [np.round(np.asarray(st.rescale("ms").magnitude), 6).tolist() for st in b.segments[0].spiketrains]
        assert sa == sb
        va = np.asarray(a.segments[0].filter(name="v")[0].magnitude)
        vb = np.asarray(b.segments[0].filter(name="v")[0].magnitude)
        np.testing.assert_allclose(va, vb, rtol=0, atol=1e-9)


def _frontend(sim, name, dt=0.5):
    if name == "nest":
        sim.setup(timestep=dt, min_delay=dt, spike_precision="on_grid", verbosity="error")
    else:
        sim.setup(timestep=dt, min_delay=dt)
    return sim


def test_the_frontend_checks_and_rounds_step_times_as_pynn_does():
    pytest.importorskip("pyNN")
    import spikemem.pynn as sm
    sm.setup(timestep=0.1, min_delay=0.1)
    with pytest.raises(ValueError, match="times"):
        sm.StepCurrentSource(times=[0.4, -0.6, 0.8], amplitudes=[0.5, -0.5, 0.5])
    with pytest.raises(ValueError, match="times"):
        sm.StepCurrentSource(times=[0.4, 0.2, 0.8], amplitudes=[0.5, -0.5, 0.5])
    step = sm.StepCurrentSource(times=[0.41, 0.42, 0.86], amplitudes=[0.5, -0.5, 0.5])    # -> 0.4 (last), 0.9
    assert np.allclose(step.times.evaluate(), [0.4, 0.9]) and step.amplitudes[0] == -0.5
    p = sm.Population(1, sm.IF_curr_exp())
    step.inject_into(p)
    net = sm.network()
    sm.end()
    src = net.current_sources[0].source
    assert src.times == pytest.approx((0.4, 0.9)) and src.amplitudes == (-0.5, 0.5)


def test_an_exported_nest_script_injects_the_same_currents(tmp_path):
    """`spikemem export pynn` writes every source (the noise as the exported trial's draws): the script,
    run on its own, gives the reference's spikes."""
    pytest.importorskip("pyNN.nest")
    import json
    import os
    import subprocess
    import sys

    from spikemem.cli import main
    net = random_network(2, 0.1)
    net.save(tmp_path / "net.json")
    assert main(["export", "pynn", str(tmp_path / "net.json"), "--simulator", "nest", "--out", str(tmp_path / "x"),
                 "--duration", "100"]) == 0
    proc = subprocess.run([sys.executable, str(tmp_path / "x" / "run_nest.py"), "--out", str(tmp_path / "s.json")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=""))
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = json.loads((tmp_path / "s.json").read_text())["populations"]
    ref = get_backend("reference").run(net, 100.0)
    assert sum(len(written[p]["spikes_t_ms_neuron"]) for p in ("a", "b")) > 5
    for p in ("a", "b"):
        assert written[p]["spikes_t_ms_neuron"] == ref.spike_list(p)


def test_the_frontend_records_a_sources_current_as_pynn_does():
    """record()/get_data(): one sample per step and one at the end (V's length), each the current of
    the step starting at its time; across runs, for every kind (noise: its first target's draws)."""
    pytest.importorskip("pyNN")
    import spikemem.pynn as sm
    sm.setup(timestep=1.0, min_delay=1.0)
    p = sm.Population(3, sm.IF_curr_exp(tau_m=10.0, cm=0.5, v_thresh=100.0))
    dc = sm.DCSource(amplitude=0.5, start=5.0, stop=12.0)
    ac = sm.ACSource(amplitude=0.3, offset=0.1, frequency=50.0, phase=90.0, start=3.0, stop=15.0)
    noise = sm.NoisyCurrentSource(mean=0.2, stdev=0.4, start=2.0, stop=18.0, dt=1.0, seed=3)
    for src, cell in ((dc, p[[0]]), (ac, p[[1]]), (noise, p[[2]])):
        src.inject_into(cell)
        src.record()
    p.record("v")
    sm.run(10.0)
    sm.run(10.0)
    i_dc, i_ac, i_noise = dc.get_data(), ac.get_data(), noise.get_data()
    v = np.asarray(p.get_data().segments[0].filter(name="v")[0].magnitude)
    sm.end()
    assert len(i_dc) == len(i_ac) == len(i_noise) == 21 == len(v)
    assert float(i_dc.t_start) == 0.0 and float(i_dc.times[-1]) == 20.0
    t = np.arange(21.0)
    np.testing.assert_array_equal(np.asarray(i_dc.magnitude).ravel(), np.where((t >= 5) & (t < 12), 0.5, 0.0))
    want_ac = np.where((t >= 3) & (t < 15), 0.1 + 0.3 * np.sin(2 * np.pi * 50 * (t - 3) / 1000 + np.pi / 2), 0.0)
    np.testing.assert_allclose(np.asarray(i_ac.magnitude).ravel(), want_ac, atol=1e-12)
    noisy = np.asarray(i_noise.magnitude).ravel()
    assert np.all(noisy[:2] == 0) and np.all(noisy[18:] == 0) and len(set(noisy[2:18].tolist())) == 16
    # the recorded noise is what the cell received: read back from its V (exact scheme, one step late)
    a, R = math.exp(-0.1), 20.0
    got = (v[1:, 2] + 65.0 - a * (v[:-1, 2] + 65.0)) / (R * (1 - a))
    np.testing.assert_allclose(got, noisy[:-1], atol=1e-9)


def test_a_live_nest_session_injects_the_sources_window_by_window():
    pytest.importorskip("pyNN.nest")
    net = random_network(3, 0.1)
    ref = get_backend("reference").run(net, 90.0)
    with get_backend("pynn", simulator="nest").session(net) as s:
        parts = [s.run(t) for t in (20.0, 55.0, 90.0)]
    for p in ("a", "b"):
        got = sorted(tuple(x) for r in parts for x in r.spike_list(p))
        assert got == sorted(tuple(x) for x in ref.spike_list(p)), p
    assert sum(len(ref.spike_list(p)) for p in ("a", "b")) > 5


def test_a_live_pynn_session_refuses_what_it_cannot_build_ahead_by_name():
    pytest.importorskip("pyNN.nest")
    base = random_network(0)
    for currents, match in (([CurrentInjection(NoisyCurrentSource(0.1, 0.1, start=5.0), "a")], "stop"),
                            ([CurrentInjection(DCSource(0.5, start=0.0), "a")], "earliest")):
        net = Network(base.populations, base.projections, Simulation(base.simulation.dt, "exact"),
                      current_sources=currents)
        from dataclasses import replace
        net = replace(net, populations=(base.populations[0], replace(base.populations[1], cell=replace(
            base.populations[1].cell, i_offset=0.1)), base.populations[2]))
        with pytest.raises(UnsupportedFeature, match=match):
            get_backend("pynn", simulator="nest").session(net)


def test_nest_gives_an_izhikevich_population_the_currents_of_the_reference():
    """pyNN.nest's Izhikevich takes pA on a 1 pF membrane, as its i_offset (simulators.py's
    izhikevich_current_scale): every source kind, scaled as i_offset is, gives the reference's
    spikes and V; unscaled they were 1000 times too strong (a spike every step)."""
    pytest.importorskip("pyNN.nest")
    from spikemem import Izhikevich
    cell = Izhikevich(a=0.02, b=0.2, c=-65.0, d=8.0, i_offset=1.0, v_init=-70.0, u_init=-14.0)
    net = Network([Population("s", 1, SpikeSourceArray([[30.0]])), Population("a", 3, cell)],
                  [Projection("p", "s", "a", AllToAllConnector(), 2.0, 1.0)], Simulation(dt=1.0, scheme="exact"),
                  Recording(spikes=None, v=("a",)),
                  current_sources=[CurrentInjection(DCSource(4.0, 6.0, 40.0), "a", [0]),
                                   CurrentInjection(StepCurrentSource([8.0, 20.0], [3.0, -1.0]), "a", [1]),
                                   CurrentInjection(ACSource(2.0, 5.0, 40.0, 30.0, 6.0), "a", [2]),
                                   CurrentInjection(NoisyCurrentSource(1.0, 2.0, 10.0, seed=3), "a")])
    ref, got = get_backend("reference").run(net, 60.0), get_backend("nest").run(net, 60.0)
    assert ref.count("a") > 3
    assert ref.spike_list("a") == got.spike_list("a")
    np.testing.assert_allclose(got.v["a"], ref.v["a"], rtol=0, atol=1e-9)


def test_a_source_whose_window_is_empty_injects_nothing_on_any_simulator():
    """DCSource/ACSource with stop == start acts in no step (docs/sources.md); pyNN.brian2 kept such
    a DC on for the rest of the run, so the lowering leaves it out (the fuzzer found it)."""
    pytest.importorskip("pyNN")
    from spikemem.backends.pynn.currents import plain_currents
    from spikemem.backends.pynn.simulators import PROFILES
    net = Network([Population("s", 1, SpikeSourceArray([[5.0]])), Population("n", 2, IFCurrExp(cm=0.2, tau_m=3.0))],
                  [Projection("p", "s", "n", AllToAllConnector(), 0.1, 1.0)], Simulation(dt=1.0, scheme="exact"),
                  Recording(spikes=None, v=("n",)),
                  current_sources=[CurrentInjection(DCSource(2.0, 3.0, 3.0), "n"),
                                   CurrentInjection(ACSource(2.0, 3.0, 10.0, 0.0, 4.0, 4.0), "n"),
                                   CurrentInjection(NoisyCurrentSource(1.0, 1.0, 6.0, 6.0), "n"),
                                   CurrentInjection(DCSource(0.5, 3.0, 4.0), "n", [1])])
    for profile in PROFILES.values():
        for noise in ("arrays", "native"):
            got = plain_currents(net, profile, 0, 0, 10, noise)
            assert [(c["kind"], c["neurons"]) for c in got] == [("DCSource", [1])], (profile.name, noise)
