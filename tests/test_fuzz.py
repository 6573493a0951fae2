"""Property tests (hypothesis): hostile inputs end in spikemem's declared errors, never in another
exception; a run never allocates beyond its memory estimate; a rejected CA3 operation leaves the
memory as a twin that never saw it. CI runs a few hundred examples per property;
SPIKEMEM_SLOW=1 runs the `slow` versions with thousands."""
import contextlib
import json
import os
import tracemalloc

import numpy as np
import pytest
from conftest import GOLDEN, needs_golden
from fuzz_inputs import (
    HOSTILE,
    json_text_mutations,
    mutated,
    random_network_dict,
    random_v12,
    recording_dict,
    valid_network_dict,
    valid_network_dict_v12,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spikemem import Network, SpikememError, get_backend
from spikemem.engine import budget
from spikemem.interchange.json_format import network_from_dict

SLOW = os.environ.get("SPIKEMEM_SLOW") == "1"
CI = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
MANY = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))


def _load_and_run(d):
    """network_from_dict(d) and, if it loads, a short run: only declared errors may come out."""
    try:
        net = network_from_dict(d)
    except SpikememError:
        return None
    try:
        return get_backend("reference").run(net, 6.0)
    except SpikememError:
        return None


BASES = (valid_network_dict, valid_network_dict_v12)      # format 1.0, and every field 1.2 adds


@CI
@given(st.one_of(*(mutated(base) for base in BASES)))
def test_mutated_network_dicts_end_in_declared_errors(d):
    _load_and_run(d)


@pytest.mark.slow
@MANY
@given(st.one_of(*(mutated(base, max_mutations=5) for base in BASES)))
def test_mutated_network_dicts_end_in_declared_errors_many(d):
    _load_and_run(d)


@CI
@given(st.one_of(*(json_text_mutations(json.dumps(base())) for base in BASES)))
def test_damaged_network_files_end_in_declared_errors(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("net") / "net.json"
    path.write_text(text)
    try:
        Network.load(path)
    except SpikememError:
        pass


def _peak_within_estimate(net, batch, duration, inputs=None):
    """Run with tracemalloc; the peak must stay under the estimate at the run's real spike rate."""
    steps = round(duration / net.simulation.dt)
    backend = get_backend("reference")
    backend.run(net, net.simulation.dt, batch=1)    # first-use imports and caches are not the run's
    tracemalloc.start()
    try:
        res = backend.run(net, duration, inputs=inputs, batch=batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    n_if = sum(p.size for p in net.populations if not p.is_source)
    n_src = sum(len(t) for p in net.populations if p.cell.kind == "SpikeSourceArray" for t in p.cell.spike_times)
    if inputs is not None:
        n_src = sum(len(ev) for ev in inputs.values()) / batch
    if_spikes = sum(res.count(p.name) for p in net.populations if not p.is_source and p.name in res.spikes)
    rate = if_spikes / max(1, batch * steps * n_if)
    est = budget.estimate(net, batch, steps, n_src * batch, rate=rate)
    assert peak <= est.total + 2**20, (peak, est.parts())   # + 1 MiB of Python objects of a tiny run


@CI
@given(st.one_of(random_network_dict(), random_v12()), st.integers(1, 8))
def test_random_networks_stay_within_their_estimate(d, batch):
    try:
        net = network_from_dict(d)
    except SpikememError:
        return
    try:
        _peak_within_estimate(net, batch, 20 * net.simulation.dt)
    except SpikememError:
        pass


def test_a_large_run_stays_within_its_estimate():
    """The estimate bounds a CA3 batch that learns and recalls (plastic matrices, ring, V, spikes)."""
    from spikemem.models.ca3 import build_cam, protocol
    from spikemem.models.ca3 import cases as hc
    net = build_cam(60, 60, record_weights=True)
    net = Network(net.populations, net.projections, net.simulation,
                  type(net.recording)(spikes=net.recording.spikes, v=("CA3cueCueRecall",), weights=net.recording.weights))
    cases = [hc.random_case(60, 60, 40, seed=s) for s in range(16)]
    _peak_within_estimate(net, 16, 300.0, protocol.input_events(cases))


# -- recordings ----------------------------------------------------------------------------------
def golden_stim() -> dict:
    """The functional recording as a plain dict (a fresh copy for each example to mutate)."""
    return recording_dict(json.loads((GOLDEN / "exp1_functional_learn_recall_forget.json").read_text()))


def _parse_and_replay(d):
    from spikemem.models.ca3 import parse_stimulus, replay
    try:
        stim = parse_stimulus(d)
    except SpikememError:
        return
    if stim.sim_time_ms / stim.dt > 3000 or stim.C * stim.N > 400:
        return                       # valid but slow: parsing was the point
    try:
        replay(stim)
    except SpikememError:
        pass


@needs_golden
@CI
@given(mutated(golden_stim))
def test_mutated_recordings_end_in_declared_errors(d):
    _parse_and_replay(d)


@needs_golden
@pytest.mark.slow
@MANY
@given(mutated(golden_stim, max_mutations=5))
def test_mutated_recordings_end_in_declared_errors_many(d):
    _parse_and_replay(d)


# -- the CA3 operations API ----------------------------------------------------------------------
ADDRESS = st.one_of(st.integers(-2, 6), HOSTILE, st.sampled_from([np.int64(2), np.array(3), np.array([1]), 2.0]))
BITS = st.one_of(st.lists(st.integers(-1, 10), max_size=4), st.sets(st.integers(0, 9), max_size=3), HOSTILE,
                 st.sampled_from([np.array(3), np.array([1, 2]), np.array([[1]]), range(3), "12", b"1", {1: 2}]))
PATTERN = st.one_of(st.none(), st.text("01", min_size=9, max_size=11), st.lists(st.sampled_from([0, 1, 2, True, 0.5, "1"]),
                    min_size=10, max_size=10), HOSTILE, st.sampled_from([5, np.array(3), np.zeros((2, 5))]))
AT = st.one_of(st.none(), st.none(), st.integers(-5, 200), st.floats(-5, 200), HOSTILE,
               st.sampled_from(["10", np.float64(50.0), np.array(3.0)]))
CALL = st.tuples(st.sampled_from(["learn", "recall", "recall_content"]), ADDRESS, BITS, PATTERN, AT,
                 st.booleans(), st.booleans())


def _call(m, call):
    kind, address, bits, pattern, at, use_bits, use_pattern = call
    if kind == "recall":
        return m.recall(address, at=at)
    kw = {"at": at, "pattern": pattern} if use_pattern else {"at": at}
    if kind == "learn":
        return m.learn(address, bits if use_bits else None, **kw)
    return m.recall_content(bits if use_bits else None, **kw)


def _session(calls):
    from spikemem.models.ca3.memory import CA3Memory
    m, twin = CA3Memory(5, 10), CA3Memory(5, 10)
    for call in calls:
        before = m.history
        try:
            got = _call(m, call)
        except SpikememError:
            assert m.history == before == twin.history      # a rejected call changed nothing
            continue
        assert _call(twin, call) == got                      # an accepted call does the same on the twin
    assert m.history == twin.history


@CI
@given(st.lists(CALL, min_size=1, max_size=6))
def test_ca3_operations_reject_hostile_arguments_without_changing_the_memory(calls):
    _session(calls)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(CALL, min_size=1, max_size=6))
def test_ca3_operations_reject_hostile_arguments_many(calls):
    _session(calls)


# -- command-line parsing ------------------------------------------------------------------------
BAD_TEXT = st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e19", "1e3", "", "abc", "3", "2.5", "-0", "99999999999999999999",
                            "/no/such/dir/x.json", ".", "none"])
STRESS = ["cam", "stress", "-C", "3", "-N", "4", "--ops", "4", "--json"]
STRESS_FLAGS = ["--memories", "--bits", "--ops", "--spacing", "--seed", "--batch", "--content", "--backend", "--variant",
                "--device"]
CONTINUAL = ["continual", "--tasks", "1", "--epochs", "1", "--timesteps", "2", "--hidden", "8", "--train-limit", "20",
             "--test-limit", "10", "--no-plot", "--export-samples", "0", "--threads", "1"]
CONTINUAL_FLAGS = ["--tasks", "--epochs", "--timesteps", "--seed", "--device", "--hidden", "--batch", "--lr", "--ewc-lambda",
                   "--train-limit", "--test-limit", "--threads", "--export-samples", "--export-duration", "--lateral-steps",
                   "--method", "--neuron", "--dataset", "--resume"]


def _run_cli(argv, capsys):
    from spikemem.cli import main
    rc = main(argv)                       # anything but a return code is an undeclared exception
    err = capsys.readouterr().err
    assert rc in (0, 1, 2), (argv, rc, err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)


@CI
@given(st.lists(st.tuples(st.sampled_from(STRESS_FLAGS), BAD_TEXT), min_size=1, max_size=2))
def test_cam_stress_flags_end_in_one_line(capsys, flags):
    _run_cli(STRESS + [x for f in flags for x in f], capsys)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.tuples(st.sampled_from(CONTINUAL_FLAGS), BAD_TEXT))
def test_continual_flags_end_in_one_line(tmp_path_factory, capsys, flag):
    pytest.importorskip("torch")
    out = str(tmp_path_factory.mktemp("cont") / "out")
    _run_cli(CONTINUAL + ["--out", out, *flag], capsys)


@CI
@given(st.sampled_from(["replay", "stress", "capacity"]), BAD_TEXT, BAD_TEXT)
def test_cam_paths_and_values_end_in_one_line(tmp_path_factory, capsys, command, a, b):
    if command == "replay":
        argv = ["cam", "replay", a, "--out", b]
    elif command == "capacity":
        argv = ["cam", "capacity", "--sizes", a, "--sequences", "1", "--ops", "2", "--png", b, "--json"]
    else:
        argv = ["--memory-limit", a, "cam", "stress", "--ops", "3", "--spacing", b, "--json"]
    with contextlib.chdir(tmp_path_factory.mktemp("cwd")):     # a relative path that is valid is written here
        _run_cli(argv, capsys)
