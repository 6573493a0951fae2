"""Current sources (DCSource, StepCurrentSource, ACSource, NoisyCurrentSource): closed-form
membrane values, onset timing, the sum of sources, per-neuron targets, torch float64 against
numpy bit for bit, the noise's statistics and seeding, fixed point against an integer oracle
written from sPyNNaker's C, the JSON round trip and every validation refusal."""
import json
import math

import numpy as np
import pytest

from spikemem import (ACSource, AllToAllConnector, CurrentInjection, DCSource, IFCondExp, IFCurrAlpha, IFCurrDelta,
                      IFCurrExp, Izhikevich, Network, NoisyCurrentSource, Population, Projection, Recording, Simulation,
                      SpikeSourceArray, StepCurrentSource, UnsupportedFeature, ValidationError, get_backend)
from spikemem.description.features import required_features
from spikemem.engine import fixed_point as fx
from spikemem.errors import FormatError

QUIET = dict(tau_m=10.0, cm=0.5, v_thresh=1000.0)        # never fires: V shows the current


def run(net, ms, batch=1, backend="reference", **opts):
    return get_backend(backend, **opts).run(net, ms, batch=batch)


def lif_net(sources, size=3, scheme="exact", dt=1.0, cell=None, numerics="float"):
    cell = cell or IFCurrExp(**QUIET)
    return Network([Population("n", size, cell)], simulation=Simulation(dt, scheme, numerics),
                   recording=Recording(v=("n",)), current_sources=sources)


@pytest.mark.parametrize("scheme", ["exact", "spinnaker"])
def test_dc_approaches_v_rest_plus_r_i_in_closed_form(scheme):
    """V(k) after step k under a DC from step s: v_rest + R I (1 - exp(-(k + 1 - s) dt / tau_m))."""
    dt, amp, s = 0.5, 0.3, 4
    net = lif_net([CurrentInjection(DCSource(amp, start=s * dt), "n")], scheme=scheme, dt=dt)
    v = run(net, 400.0).v["n"][0, :, 0]
    k = np.arange(len(v))
    R = 10.0 / 0.5
    want = np.where(k >= s, -65.0 + R * amp * (1 - np.exp(-(k + 1 - s) * dt / 10.0)), -65.0)
    np.testing.assert_allclose(v, want, rtol=0, atol=1e-9)
    assert abs(v[-1] - (-65.0 + R * amp)) < 1e-9


@pytest.mark.parametrize("scheme", ["exact", "spinnaker"])
def test_dc_stops_and_step_source_changes_take_effect_at_their_step(scheme):
    dt = 1.0
    net = lif_net([CurrentInjection(DCSource(0.2, start=5.0, stop=20.0), "n", [0]),
                   CurrentInjection(StepCurrentSource([3.0, 8.0, 12.0], [0.1, 0.4, 0.0]), "n", [1])], scheme=scheme)
    v = run(net, 40.0).v["n"][0]
    a, R = math.exp(-dt / 10.0), 20.0
    for col, current in ((0, lambda t: 0.2 if 5 <= t < 20 else 0.0),
                         (1, lambda t: 0.1 if 3 <= t < 8 else 0.4 if 8 <= t < 12 else 0.0)):
        prev, want = -65.0, []
        for t in range(40):
            prev = -65.0 + a * (prev + 65.0) + R * (1 - a) * current(t)
            want.append(prev)
        np.testing.assert_allclose(v[:, col], want, atol=1e-9)
    assert np.all(v[:, 2] == -65.0)                      # not a target


def test_ac_current_read_back_from_v_is_the_sine_at_each_step_start():
    dt, src = 0.5, ACSource(amplitude=0.3, offset=0.1, frequency=40.0, phase=30.0, start=2.0, stop=30.0)
    v = run(lif_net([CurrentInjection(src, "n")], dt=dt), 40.0).v["n"][0, :, 0]
    a, R = math.exp(-dt / 10.0), 20.0
    prev = np.r_[-65.0, v[:-1]]
    current = (v + 65.0 - a * (prev + 65.0)) / (R * (1 - a))
    t = np.arange(len(v)) * dt
    want = np.where((t >= 2.0) & (t < 30.0),
                    0.1 + 0.3 * np.sin(2 * np.pi * 40.0 * (t - 2.0) / 1000.0 + np.pi / 6), 0.0)
    np.testing.assert_allclose(current, want, atol=1e-9)


def test_sources_add_and_a_dc_from_zero_is_i_offset_in_every_cell_and_scheme():
    cells = [IFCurrExp(), IFCondExp(), IFCurrAlpha(), Izhikevich(), IFCurrDelta(), IFCurrDelta(tau_m=math.inf)]
    for scheme in ("exact", "spinnaker"):
        src = Population("src", 1, SpikeSourceArray([[2.0, 9.0, 15.0]]))
        base = [Population(f"p{k}", 2, c) for k, c in enumerate(cells)]
        from dataclasses import replace
        from spikemem import AllToAllConnector, Projection
        projs = [Projection(f"w{k}", "src", p.name, AllToAllConnector(), 0.5 if k != 3 else 5.0, 1.0)
                 for k, p in enumerate(base)]
        rec = Recording(v=tuple(p.name for p in base))
        offs = [0.6 if k != 3 else 6.0 for k in range(len(cells))]
        with_offset = Network([src] + [replace(p, cell=replace(p.cell, i_offset=o)) for p, o in zip(base, offs)],
                              projs, Simulation(1.0, scheme), rec)
        # the same current as two DCs that add, from t = 0 forever
        injected = Network([src] + base, projs, Simulation(1.0, scheme), rec, current_sources=[
            CurrentInjection(DCSource(o / 4), p.name) for p, o in zip(base, offs)] + [
            CurrentInjection(DCSource(3 * o / 4), p.name) for p, o in zip(base, offs)])
        a, b = run(with_offset, 60.0), run(injected, 60.0)
        assert a.count() > 0
        for p in base:
            np.testing.assert_allclose(b.v[p.name], a.v[p.name], rtol=0, atol=1e-9, err_msg=f"{scheme} {p.name}")
            for x, y in zip(a.spikes[p.name], b.spikes[p.name]):
                assert np.array_equal(x, y)


def test_only_the_listed_neurons_or_slice_receive_the_current():
    net = lif_net([CurrentInjection(DCSource(0.5), "n", slice(1, None)),
                   CurrentInjection(StepCurrentSource([1.0], [0.2]), "n", [3])], size=5)
    assert net.current_sources[0].neurons == (1, 2, 3, 4)
    v = run(net, 10.0).v["n"][0, -1]
    assert v[0] == -65.0 and v[1] == v[2] == v[4] > -65.0 and v[3] > v[1]


def noisy_net(size=50, dt=1.0, noise_dt=None, seed=3):
    return lif_net([CurrentInjection(NoisyCurrentSource(mean=0.2, stdev=0.5, start=2.0, stop=400.0, dt=noise_dt,
                                                        seed=seed), "n")], size=size, dt=dt)


def injected(net, ms, batch):
    """The current each neuron received in every step, read back from V (IFCurrExp, exact)."""
    v = run(net, ms, batch).v["n"]
    a, R, = math.exp(-net.simulation.dt / 10.0), 20.0
    prev = np.concatenate([np.full_like(v[:, :1], -65.0), v[:, :-1]], axis=1)
    return (v + 65.0 - a * (prev + 65.0)) / (R * (1 - a))


def test_noise_has_its_mean_and_stdev_is_independent_per_trial_and_neuron_and_holds_for_its_dt():
    cur = injected(noisy_net(noise_dt=2.0), 400.0, batch=3)
    assert np.all(np.abs(cur[:, :2]) < 1e-9) and np.all(np.abs(cur[:, 400:]) < 1e-9)
    live = cur[:, 2:400]
    assert np.allclose(live[:, 0::2], live[:, 1::2], atol=1e-9)        # held over 2 steps
    draws = live[:, 0::2]
    assert abs(draws.mean() - 0.2) < 0.02 and abs(draws.std() - 0.5) < 0.02
    flat = draws.reshape(3, -1, 50)
    assert not np.allclose(flat[0], flat[1]) and not np.allclose(flat[0, :, 0], flat[0, :, 1])
    r = np.corrcoef(flat[0].ravel(), flat[1].ravel())[0, 1]
    assert abs(r) < 0.05
    z = (draws.ravel() - 0.2) / 0.5                    # normal tails: a third beyond 1 sigma, 4.6 % beyond 2
    assert abs(np.mean(np.abs(z) > 1) - 0.3173) < 0.02 and abs(np.mean(np.abs(z) > 2) - 0.0455) < 0.01


def test_noise_is_reproducible_from_its_seed_and_batch_independent():
    a = injected(noisy_net(size=5), 50.0, batch=4)
    b = injected(noisy_net(size=5), 50.0, batch=2)
    c = injected(noisy_net(size=5, seed=4), 50.0, batch=2)
    np.testing.assert_array_equal(a[:2], b)
    assert not np.allclose(b[:, 2:], c[:, 2:])


def test_torch_float64_equals_numpy_bit_for_bit():
    pytest.importorskip("torch")
    cells = [IFCurrExp(tau_m=10.0, cm=0.5), IFCondExp(), IFCurrAlpha(), Izhikevich(), IFCurrDelta()]
    for scheme in ("spinnaker", "exact"):
        pops = [Population(f"p{k}", 3, c) for k, c in enumerate(cells)]
        cs = [CurrentInjection(DCSource(1.2, start=5.0, stop=60.0), p.name) for p in pops] + [
            CurrentInjection(NoisyCurrentSource(0.5, 0.8, dt=2.0, start=3.0, seed=4), "p0", [0, 2]),
            CurrentInjection(NoisyCurrentSource(0.5, 2.0, seed=1), "p3"),
            CurrentInjection(ACSource(1.0, 0.5, 20.0, 45.0, start=4.0, stop=80.0), "p3", slice(1, 3)),
            CurrentInjection(StepCurrentSource([2.0, 10.0, 30.0], [0.5, 1.5, -0.2]), "p1")]
        net = Network(pops, simulation=Simulation(1.0, scheme), recording=Recording(v=tuple(p.name for p in pops)),
                      current_sources=cs)
        r, t = run(net, 100.0, 2), run(net, 100.0, 2, "torch", dtype="float64")
        assert r.count() > 20
        for p in pops:
            assert np.array_equal(r.v[p.name], t.v[p.name])
            assert all(np.array_equal(x, y) for x, y in zip(r.spikes[p.name], t.spikes[p.name]))


def test_a_session_window_by_window_sees_what_one_run_sees():
    net = lif_net([CurrentInjection(NoisyCurrentSource(0.1, 0.4, seed=2), "n"),
                   CurrentInjection(ACSource(0.2, 0.0, 30.0, start=3.0), "n", [0])])
    whole = run(net, 30.0, 2).v["n"]
    s = get_backend("reference").session(net, batch=2)
    parts = [s.run(10.0).v["n"], s.run(30.0).v["n"]]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


# -- fixed point ---------------------------------------------------------------------------
def fixed_oracle(cell, dt, amp_bits_at, steps):
    """V bits of one IF_curr_exp neuron without synaptic input, step by step as sPyNNaker's
    neuron_model_lif_impl.h: input = I_offset + current_offset; alpha = round(input R) + V_rest;
    V = alpha - round(exp_TC (alpha - V)) (Python integers)."""
    r, exp_tc, _ = fx.lif_constants(cell.tau_m, cell.cm, cell.tau_refrac, dt)
    v_rest, i_off = fx.s1615(cell.v_rest), fx.s1615(cell.i_offset)
    half = 1 << 14
    v, out = fx.s1615(cell.v_rest), []
    for t in range(steps):
        total = i_off + amp_bits_at(t)
        alpha = ((total * r + half) >> 15) + v_rest
        v = alpha - ((exp_tc * (alpha - v) + half) >> 15)
        out.append(v)
    return np.array(out)


@pytest.mark.parametrize("v_reset", [-65.0, -17000.0])     # the fast path, and the clamping one (|V_reset| >= 2^14 mV)
def test_fixed_point_dc_and_step_currents_follow_the_integer_oracle(v_reset):
    cell = IFCurrExp(tau_m=12.0, cm=0.7, v_thresh=1000.0, i_offset=0.05, v_reset=v_reset)
    net = lif_net([CurrentInjection(DCSource(0.3337, start=4.0, stop=30.0), "n"),
                   CurrentInjection(StepCurrentSource([10.0, 20.0], [0.1234, -0.4]), "n", [1])],
                  size=2, scheme="spinnaker", cell=cell, numerics="fixed")
    v = run(net, 50.0).v["n"][0]
    dc, steps = fx.s1615(0.3337), (fx.s1615(0.1234), fx.s1615(-0.4))
    want0 = fixed_oracle(cell, 1.0, lambda t: dc if 4 <= t < 30 else 0, 50)
    want1 = fixed_oracle(cell, 1.0, lambda t: (dc if 4 <= t < 30 else 0) +
                         (steps[0] if 10 <= t < 20 else steps[1] if t >= 20 else 0), 50)
    np.testing.assert_array_equal(np.round(v[:, 0] * fx.ONE).astype(np.int64), want0)
    np.testing.assert_array_equal(np.round(v[:, 1] * fx.ONE).astype(np.int64), want1)


def test_fixed_point_runs_every_cell_with_currents_and_refuses_an_ac_source_by_name():
    pops = [Population(f"p{k}", 2, c) for k, c in enumerate([IFCurrExp(), IFCondExp(), IFCurrAlpha(tau_syn_E=2.0, tau_syn_I=2.0), Izhikevich(tau_syn_E=2.0, tau_syn_I=2.0)])]
    cs = [CurrentInjection(DCSource(1.5 if k != 3 else 8.0, start=2.0), p.name) for k, p in enumerate(pops)] + [
        CurrentInjection(NoisyCurrentSource(0.2, 0.3), "p0")]
    net = Network(pops, simulation=Simulation(1.0, "spinnaker", "fixed"), current_sources=cs)
    res = run(net, 80.0)
    assert all(len(res.spikes[p.name][0]) for p in pops)
    flt = run(Network(pops, simulation=Simulation(1.0, "spinnaker"), current_sources=cs), 80.0)
    for p in pops[:3]:      # the integer run fires as the float one, to a step or two
        assert abs(len(res.spikes[p.name][0]) - len(flt.spikes[p.name][0])) <= 2
    ac = Network(pops, simulation=Simulation(1.0, "spinnaker", "fixed"),
                 current_sources=[CurrentInjection(ACSource(), "p0")])
    assert "current_source.ac.fixed" in required_features(ac)
    with pytest.raises(UnsupportedFeature, match="current_source.ac.fixed"):
        run(ac, 10.0)


# -- backends that refuse ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["snntorch", "norse"])
def test_library_cells_refuse_current_sources_by_name(name):
    pytest.importorskip("torch")
    pytest.importorskip(name)
    from spikemem.registry import get_backend as gb
    backend = gb(name)
    net = lif_net([CurrentInjection(DCSource(0.1), "n")])
    assert "current_source.dc" in required_features(net) & backend.unsupported
    with pytest.raises(UnsupportedFeature, match="current"):
        backend.run(net, 5.0)


# -- description and files -----------------------------------------------------------------
def full_net():
    return Network([Population("n", 4, IFCurrExp()), Population("m", 2, Izhikevich())], current_sources=[
        CurrentInjection(DCSource(0.5, 1.0, 5.0), "n"),
        CurrentInjection(StepCurrentSource([1.0, 2.0], [0.3, 0.1]), "n", [2, 0]),
        CurrentInjection(ACSource(0.2, 0.1, 12.5, -90.0, 3.0), "m", slice(1, 2)),
        CurrentInjection(NoisyCurrentSource(0.1, 0.2, 2.0, math.inf, 2.0, 7), "m")])


def test_json_round_trip_and_older_files(tmp_path):
    net = full_net()
    net.save(tmp_path / "n.json")
    back = Network.load(tmp_path / "n.json")
    assert back == net and back.current_sources[2].neurons == (1,)
    assert required_features(net) >= {"current_source.dc", "current_source.step", "current_source.ac",
                                      "current_source.noisy"}
    plain = Network([Population("n", 1)]).to_dict()
    assert "current_sources" not in plain           # files without sources are written as before
    for version in ("1.0", "1.1"):
        old = json.loads(json.dumps(dict(plain, version=version)))
        if version == "1.0":
            old["simulation"].pop("numerics")
            for p in old["populations"]:
                p.pop("max_expected_summed_weight")
        assert Network.from_dict(json.loads(json.dumps(old))).current_sources == ()


BAD = [
    (lambda: DCSource(amplitude=float("nan")), "amplitude"),
    (lambda: DCSource(start=5.0, stop=2.0), "stop"),
    (lambda: DCSource(start=-1.0), "start"),
    (lambda: DCSource(amplitude=True), "amplitude"),
    (lambda: StepCurrentSource([1.0, 1.0], [0.1, 0.2]), "times[1]"),
    (lambda: StepCurrentSource([1.0, 2.0], [0.1]), "amplitudes"),
    (lambda: StepCurrentSource("12", "34"), "times"),
    (lambda: ACSource(frequency=-1.0), "frequency"),
    (lambda: NoisyCurrentSource(stdev=-0.1), "stdev"),
    (lambda: NoisyCurrentSource(dt=0.0), "dt"),
    (lambda: NoisyCurrentSource(seed=-1), "seed"),
    (lambda: CurrentInjection("dc", "n"), "current_source.source"),
    (lambda: CurrentInjection(DCSource(), "n", [0, 0]), "current_source.neurons"),
    (lambda: CurrentInjection(DCSource(), "n", [-1]), "current_source.neurons[0]"),
    (lambda: lif_net([CurrentInjection(DCSource(), "x")]), "current_sources[0].population"),
    (lambda: lif_net([CurrentInjection(DCSource(), "n", [3])]), "current_sources[0].neurons"),
    (lambda: lif_net([CurrentInjection(DCSource(start=0.25), "n")]), "current_sources[0].source.start"),
    (lambda: lif_net([CurrentInjection(StepCurrentSource([0.5], [1.0]), "n")]), "current_sources[0].source.times[0]"),
    (lambda: lif_net([CurrentInjection(NoisyCurrentSource(dt=1.5), "n")]), "current_sources[0].source.dt"),
    (lambda: lif_net(["dc"]), "current_sources[0]"),
    (lambda: Network([Population("s", 1, SpikeSourceArray())], current_sources=[CurrentInjection(DCSource(), "s")]),
     "current_sources[0].population"),
]


@pytest.mark.parametrize("make,field", BAD, ids=[f for _, f in BAD])
def test_bad_values_are_refused_naming_the_field(make, field):
    with pytest.raises(ValidationError) as e:
        make()
    assert e.value.field == field


@pytest.mark.parametrize("entry,field", [
    ({"source": {"kind": "ZapSource"}, "population": "n"}, "current_sources[0].source.kind"),
    ({"source": {"kind": "DCSource", "amp": 1}, "population": "n"}, "current_sources[0].source"),
    ({"source": {"kind": "DCSource", "amplitude": "1"}, "population": "n"}, "current_sources[0].source.amplitude"),
    ({"source": {"kind": "DCSource"}}, "current_sources[0].current_source"),
    ({"source": {"kind": "DCSource"}, "population": "n", "extra": 1}, "current_sources[0].current_source"),
    ([1], "current_sources[0].current_source"),
])
def test_bad_file_entries_are_refused_naming_the_entry(entry, field):
    d = lif_net([]).to_dict()
    d["current_sources"] = [entry]
    with pytest.raises(ValidationError) as e:
        Network.from_dict(d)
    assert e.value.field == field


def test_current_sources_must_be_a_list_in_a_file():
    d = lif_net([]).to_dict()
    d["current_sources"] = {"a": 1}
    with pytest.raises((ValidationError, FormatError)):
        Network.from_dict(d)


def test_spinnaker_check_reports_current_sources_in_float_and_fixed(capsys, tmp_path):
    pytest.importorskip("spikemem.hardware.spinnaker.check")
    from spikemem.cli import main
    cell = IFCurrExp(tau_m=10.0, cm=0.5, tau_refrac=2.0)
    net = Network([Population("n", 4, cell)], simulation=Simulation(1.0, "spinnaker"), current_sources=[
        CurrentInjection(DCSource(1.0 / 3, start=5.0, stop=80.0), "n"),
        CurrentInjection(StepCurrentSource([10.0, 40.0], [0.5, 1.25]), "n", [1, 2]),
        CurrentInjection(ACSource(0.4, 0.2, 20.0), "n", [3]),
        CurrentInjection(NoisyCurrentSource(0.1, 0.2, seed=2), "n", [0])])
    net.save(tmp_path / "n.json")
    assert main(["spinnaker", "check", str(tmp_path / "n.json"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    cs = r["current_sources"]
    assert [c["kind"] for c in cs] == ["DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource"]
    assert cs[0]["max_relative_error"] == pytest.approx(abs(fx.s1615(1 / 3) / fx.ONE - 1 / 3) * 3)
    assert cs[1]["max_relative_error"] == 0.0 and not cs[2]["compared"] and cs[3]["compared"]
    assert r["duration_ms"] == 180.0                       # the last current change + 100 ms
    assert r["spikes"]["float"] > 0 and r["spikes"]["fixed"] > 0
    assert r["verdict"].split(":")[0] in ("YES", "CLOSE")
    assert main(["spinnaker", "check", str(tmp_path / "n.json")]) == 0
    assert "current source ACSource into n (1 neurons)" in capsys.readouterr().out


def test_a_current_that_drives_v_out_of_the_float_range_is_refused():
    net = lif_net([CurrentInjection(DCSource(1e308), "n", [1])], cell=IFCurrExp(v_thresh=1e308))
    with pytest.raises(ValidationError, match="float range"):
        run(net, 5.0)


def test_nir_export_refuses_current_sources_by_name():
    pytest.importorskip("nir")
    from spikemem.interchange.nir_graph import to_nir
    net = Network([Population("s", 1, SpikeSourceArray([[1.0]])), Population("n", 2, IFCurrExp())],
                  current_sources=[CurrentInjection(StepCurrentSource([2.0], [0.4]), "n")])
    with pytest.raises(UnsupportedFeature, match="StepCurrentSource"):
        to_nir(net)


def test_the_noise_is_box_muller_on_lowbias32_words_as_documented():
    """normals() against the docs' definition in Python integers and math (an independent oracle)."""
    from spikemem.engine.current_sources import normals
    from spikemem.engine.poisson import OUT_KEY, STEP_KEY, seed_word

    def mix(x):
        x ^= x >> 16
        x = (x * 0x7FEB352D) % 2**32
        x ^= x >> 15
        x = (x * 0x846CA68B) % 2**32
        return x ^ (x >> 16)

    key = seed_word(7, "n/current/2")
    got = normals(key, np.array([0, 3]), np.array([0, 5, 9]), 1234)
    for bi, b in enumerate((0, 3)):
        for ii, i in enumerate((0, 5, 9)):
            base = mix(mix(key ^ b) ^ i)
            w1 = mix(base ^ mix(1234 ^ STEP_KEY))
            w2 = mix(w1 ^ OUT_KEY)
            w3 = mix(w2 ^ OUT_KEY)
            w4 = mix(w3 ^ OUT_KEY)
            u1 = (((w1 >> 11) << 32) + w2 + 1) / 2**53
            u2 = (((w3 >> 11) << 32) + w4 + 1) / 2**53
            want = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
            assert got[bi, ii] == pytest.approx(want, rel=1e-13, abs=1e-15)


def test_ifcondexp_batch_whose_trials_take_different_rk4_substeps_takes_a_dc_current():
    """Exact IF_cond_exp picks its RK4 sub-steps per trial; a DC/AC current is one row for the whole
    batch (noise only has a row per trial), so trials with different sub-steps share it (it crashed
    with an IndexError); each trial equals its run alone."""
    net = Network([Population("s", 1, SpikeSourceArray([[1.0]])), Population("c", 2, IFCondExp())],
                  [Projection("p", "s", "c", AllToAllConnector(), 2.0, 0.1)], Simulation(dt=0.1, scheme="exact"),
                  Recording(spikes=None, v=("c",)), current_sources=[CurrentInjection(DCSource(0.5, 0.5), "c")])
    inputs = {"s": [[[1.0, 1.1, 1.2]], [[]]]}                  # trial 0: a large conductance, trial 1: none
    ref = get_backend("reference")
    batch = ref.run(net, 4.0, inputs=inputs)
    for k in range(2):
        alone = ref.run(net, 4.0, inputs={"s": [inputs["s"][k]]})
        np.testing.assert_array_equal(batch.v["c"][k], alone.v["c"][0])
    assert not np.array_equal(batch.v["c"][0], batch.v["c"][1])
