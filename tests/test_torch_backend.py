"""The torch backend against the numpy reference: spike for spike in float64 on CPU.

float32 is checked differently: any spike it does not share with float64 must come from a
membrane value that float64 puts within float32 rounding of the threshold.
"""
import json
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import golden_file, stdp_rules  # noqa: E402
from spikemem.models.ca3 import (  # noqa: E402
    MODEL_POPULATIONS,
    RECORDED,
    CA3Params,
    build_cam,
    parse_stimulus,
    protocol,
    replay,
)
from spikemem.models.ca3 import cases as hc  # noqa: E402

from spikemem import (  # noqa: E402
    STDP,
    AllToAllConnector,
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeSourceArray,
    ValidationError,
    get_backend,
)
from spikemem.harness.oracle import IdealCAM  # noqa: E402
from spikemem.harness.scoring import expected_arrays  # noqa: E402

FILES = ["exp1_functional_learn_recall_forget.json", "exp2_stress_pyramidal_sequence.json"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def same_spikes(a, b):
    return {p: all(np.array_equal(x, y) for x, y in zip(a.spikes[p], b.spikes[p])) for p in a.spikes}


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_golden_recordings_replay_exactly(name, dtype):
    golden = json.loads(golden_file(name).read_text())
    ours = replay(parse_stimulus(golden), "torch", dtype=dtype)
    for pop in RECORDED:
        want = sorted(map(tuple, golden["recorded_spikes"][pop]["spikes_t_ms_neuron"]))
        assert sorted(map(tuple, ours["recorded_spikes"][pop]["spikes_t_ms_neuron"])) == want, pop


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_random_ca3_batches_equal_the_reference_in_float64(scheme):
    cs = [hc.random_case(12, 12, 40, seed=s, content="mixed") for s in range(5)]
    net = build_cam(12, 12, replace(CA3Params(), scheme=scheme), record_weights=True)
    dur, inputs = max(c.sim_time_ms for c in cs), protocol.input_events(cs)
    ref = get_backend("reference").run(net, dur, inputs=inputs)
    got = get_backend("torch", dtype="float64").run(net, dur, inputs=inputs)
    assert ref.count() > 1000
    assert all(same_spikes(ref, got).values())
    for k in ref.weights:
        np.testing.assert_array_equal(got.weights[k], ref.weights[k])
    assert got.backend == "torch" and got.batch == 5


def test_random_ca3_batch_scores_like_the_oracle():
    cs = [hc.random_case(10, 10, 30, seed=100 + s) for s in range(4)]
    res = get_backend("torch").run(build_cam(10, 10), max(c.sim_time_ms for c in cs), inputs=protocol.input_events(cs))
    da, db = protocol.decode(res, cs)
    ref = get_backend("reference").run(build_cam(10, 10), max(c.sim_time_ms for c in cs), inputs=protocol.input_events(cs))
    ra, rb = protocol.decode(ref, cs)
    assert np.array_equal(da, ra) and np.array_equal(db, rb)
    ea, eb = expected_arrays(cs, [IdealCAM(c.C, c.N).expected(c.ops) for c in cs])
    assert ((da == ea).all(-1) & (db == eb).all(-1)).mean() > 0.5


F32_ULP_AT_57MV = 2.0 ** -18 * 2   # 7.6e-6 mV: float32 spacing near |V| = 57 mV


def test_float32_differs_only_by_threshold_rounding():
    """On this workload float32 flips a few spikes; each first flip of a trial is a threshold tie."""
    cs = [hc.random_case(32, 32, 150, seed=s) for s in range(16)]
    net = build_cam(32, 32)
    net = replace(net, recording=Recording(spikes=MODEL_POPULATIONS, v=MODEL_POPULATIONS))
    dur, inputs = max(c.sim_time_ms for c in cs), protocol.input_events(cs)
    r64 = get_backend("torch", dtype="float64").run(net, dur, inputs=inputs)
    r32 = get_backend("torch", dtype="float32").run(net, dur, inputs=inputs)
    flips = []      # (trial, step, pop, neuron)
    for pop in MODEL_POPULATIONS:
        for b, t, i in np.argwhere(r64.spike_matrix(pop) != r32.spike_matrix(pop)):
            flips.append((b, t, pop, i))
    assert len(flips) <= 1e-3 * r64.count()
    first_step = {}
    for b, t, _, _ in flips:
        first_step[b] = min(t, first_step.get(b, t))
    for b, t, pop, i in flips:
        if t > first_step[b]:       # later flips of a trial are consequences of the first
            continue
        thresh = net.population(pop).cell.v_thresh
        quiet = r32 if r64.spike_matrix(pop)[b, t, i] else r64       # the run that did not fire
        margin = thresh - quiet.v[pop][b, t, i]
        assert 0 < margin < 4 * F32_ULP_AT_57MV, (pop, b, t, i, margin)
        assert abs(r64.v[pop][b, t - 1, i] - r32.v[pop][b, t - 1, i]) < 1e-3


# -- every STDP timing convention on a small random network -------------------------------------

RULES = stdp_rules()


RULES["gated"] = STDP(3.0, 3.0, 0.2, 0.2, 0.0, 0.5, gate="gate")
RULES["gated_before"] = STDP(3.0, 3.0, 0.2, 0.2, 0.0, 0.5, gate="gate", transmit="before_update")


def plastic_network(rule, scheme, seed=0, n=12):
    rng = np.random.default_rng(seed)
    cell = IFCurrExp(cm=0.25, tau_m=4.0, tau_syn_E=1.0, tau_syn_I=2.0, v_thresh=-57.0, v_rest=-60.0,
                     v_reset=-61.0, tau_refrac=2.0, i_offset=0.05)
    mask_pairs = [(i, j) for i in range(n) for j in range(n) if rng.random() < 0.6]
    from spikemem import FromListConnector
    pops = [Population("src", n, SpikeSourceArray()), Population("drive", n, SpikeSourceArray()),
            Population("a", n, cell), Population("b", n, replace(cell, tau_m=2.0)),
            Population("gate", 1, SpikeSourceArray())]
    projs = [Projection("drive_b", "drive", "b", OneToOneConnector(), 2.0, 1.0),
             Projection("src_a", "src", "a", OneToOneConnector(), 1.5, 2.0),
             Projection("plastic", "a", "b", AllToAllConnector(), rng.uniform(0, 0.4, (n, n)), 1.0, plasticity=rule),
             Projection("sparse_plastic", "src", "b", FromListConnector(tuple(mask_pairs)),
                        0.2, 2.0, plasticity=rule),
             Projection("inh", "b", "a", AllToAllConnector(allow_self_connections=False),
                        rng.uniform(0, 0.3, (n, n)), rng.integers(1, 4, (n, n)).astype(float), "inhibitory")]
    return Network(pops, projs, Simulation(1.0, scheme),
                   Recording(v=("a",), weights=("plastic", "sparse_plastic")))


def random_inputs(n, batch, steps, seed, rate=0.12):
    rng = np.random.default_rng(seed)
    out = {name: [[list(np.nonzero(rng.random(steps) < rate)[0].astype(float)) for _ in range(n)]
                  for _ in range(batch)] for name in ("src", "drive")}
    out["gate"] = [[list(np.nonzero(rng.random(steps) < 0.5)[0].astype(float))] for _ in range(batch)]
    return out


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_stdp_conventions_match_the_reference(rule, scheme):
    net = plastic_network(RULES[rule], scheme)
    inputs = random_inputs(12, 3, 120, seed=len(rule))
    ref = get_backend("reference").run(net, 120, inputs=inputs)
    got = get_backend("torch", dtype="float64").run(net, 120, inputs=inputs)
    assert ref.count("b") > 50
    assert all(same_spikes(ref, got).values())
    for k in ref.weights:
        np.testing.assert_allclose(got.weights[k], ref.weights[k], rtol=0, atol=1e-12)
        assert _moved(net, k, ref.weights[k]).all()          # STDP changed the weights of every trial
    np.testing.assert_allclose(got.v["a"], ref.v["a"], rtol=0, atol=1e-9)


def _moved(net, name, weights):
    """Per trial: did any synapse of projection `name` end away from its initial weight?"""
    pr = net.projection(name)
    n_pre, n_post = net.population(pr.pre).size, net.population(pr.post).size
    pre, post, w0, _ = pr.connections(n_pre, n_post)
    return np.abs(weights[:, pre, post] - w0).max(axis=1) > 1e-6


def test_the_weight_check_can_fail():
    """_moved is False for weights that stayed where they started (the old check compared
    (n, ...) with (1, ...) arrays and so could never fail)."""
    net = plastic_network(RULES["spinnaker7"], "spinnaker")
    pr = net.projection("plastic")
    still = np.repeat(np.asarray(pr.weight)[None], 3, axis=0)
    assert not _moved(net, "plastic", still).any()
    still[1, 0, 0] += 0.01
    assert _moved(net, "plastic", still).tolist() == [False, True, False]


def _on_meta_default_device(run):
    """run() with torch's default device set to 'meta': a tensor the engine makes without naming
    its device becomes a meta tensor and fails as soon as it meets the engine's CPU tensors. This
    is the CPU stand-in for the CUDA path, where such a tensor would sit on the wrong device."""
    with torch.device("meta"):
        return run()


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_engine_makes_every_tensor_on_its_device(rule, scheme):
    net = plastic_network(RULES[rule], scheme)
    inputs = random_inputs(12, 3, 60, seed=len(rule))
    be = get_backend("torch", dtype="float64")
    plain = be.run(net, 60, inputs=inputs)
    strict = _on_meta_default_device(lambda: be.run(net, 60, inputs=inputs))
    assert plain.count("b") > 20
    assert all(same_spikes(plain, strict).values())


def test_ca3_engine_makes_every_tensor_on_its_device():
    cs = [hc.random_case(16, 16, 20, seed=s) for s in range(3)]
    net = build_cam(16, 16, record_weights=True)
    dur, inputs = max(c.sim_time_ms for c in cs), protocol.input_events(cs)
    be = get_backend("torch")
    plain = be.run(net, dur, inputs=inputs)
    strict = _on_meta_default_device(lambda: be.run(net, dur, inputs=inputs))
    assert plain.count() > 0 and all(same_spikes(plain, strict).values())


# -- options --------------------------------------------------------------------------------

def test_bad_options_name_the_field():
    with pytest.raises(ValidationError, match="dtype"):
        get_backend("torch", dtype="float16")
    with pytest.raises(ValidationError, match="device"):
        get_backend("torch", device="tpu")
    with pytest.raises(ValidationError, match="backend option"):
        get_backend("torch", precision="double")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(ValidationError, match="device='cuda'.*not available"):
        get_backend("torch", device="cuda")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cuda_matches_the_reference(dtype):
    cs = [hc.random_case(16, 16, 40, seed=s) for s in range(8)]
    net = build_cam(16, 16, record_weights=True)
    dur, inputs = max(c.sim_time_ms for c in cs), protocol.input_events(cs)
    ref = get_backend("reference").run(net, dur, inputs=inputs)
    got = get_backend("torch", device="cuda", dtype=dtype).run(net, dur, inputs=inputs)
    if dtype == "float64":
        assert all(same_spikes(ref, got).values())
    else:
        assert abs(got.count() - ref.count()) <= 0.001 * ref.count()


@pytest.mark.gpu
@pytest.mark.parametrize("name", FILES)
def test_cuda_replays_the_golden_recordings(name):
    golden = json.loads(golden_file(name).read_text())
    ours = replay(parse_stimulus(golden), "torch", device="cuda", dtype="float64")
    for pop in RECORDED:
        assert sorted(map(tuple, ours["recorded_spikes"][pop]["spikes_t_ms_neuron"])) == \
            sorted(map(tuple, golden["recorded_spikes"][pop]["spikes_t_ms_neuron"])), pop


def test_cli_device_selection(tmp_path, capsys):
    from spikemem.cli import main
    golden = golden_file(FILES[0])
    out = tmp_path / "spikes.json"
    assert main(["cam", "replay", str(golden), "--out", str(out), "--backend", "torch", "--device", "cpu"]) == 0
    want = json.loads(golden.read_text())["recorded_spikes"]
    got = json.loads(out.read_text())["recorded_spikes"]
    assert all(sorted(map(tuple, got[p]["spikes_t_ms_neuron"])) == sorted(map(tuple, want[p]["spikes_t_ms_neuron"]))
               for p in RECORDED)
    if not torch.cuda.is_available():
        assert main(["cam", "replay", str(golden), "--out", str(out), "--backend", "torch", "--device", "cuda"]) == 2
        assert "device='cuda'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_benchmark_workload_equals_the_reference_in_float64(scheme):
    """The benchmark's workload (C = N = 100, 40 operations 14 ms apart), 128 trials."""
    cs = [hc.random_case(100, 100, 40, seed=s, spacing=14) for s in range(128)]
    net = build_cam(100, 100, replace(CA3Params(), scheme=scheme), record_weights=True)
    dur, inputs = max(c.sim_time_ms for c in cs), protocol.input_events(cs)
    ref = get_backend("reference").run(net, dur, inputs=inputs)
    got = get_backend("torch", dtype="float64").run(net, dur, inputs=inputs)
    assert all(same_spikes(ref, got).values())
    for k in ref.weights:
        np.testing.assert_array_equal(got.weights[k], ref.weights[k])


def test_bench_backends_runs_side_by_side(capsys):
    from spikemem.cli import main
    assert main(["bench", "backends", "--size", "8", "--ops", "6", "--batches", "1,3",
                 "--backends", "reference,torch-cpu,torch-cuda", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by = {(r["backend"], r["batch"]): r for r in rows}
    for B in (1, 3):
        ref, tc = by[("reference", B)], by[("torch-cpu", B)]
        assert ref["spikes"] == tc["spikes"] > 0
        assert tc["sim_ms_per_s"] > 0 and tc["x_reference"] > 0 and tc["peak_rss_mib"] >= 0
        if not torch.cuda.is_available():
            assert by[("torch-cuda", B)]["skipped"] == "no CUDA device"
