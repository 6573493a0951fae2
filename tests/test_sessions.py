"""Live sessions: windows of a session give the spikes, V and weights of one long run.

The expectation is independent of the session code: the same backend's batch run over the
whole time (backend.run), which the golden-recording tests tie to the authors' recordings.
"""
import dataclasses

import numpy as np
import pytest
from conftest import stdp_rules

from spikemem import (
    STDP,
    AllToAllConnector,
    FromListConnector,
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeEvents,
    SpikeSourceArray,
    ValidationError,
    get_backend,
)
from spikemem.errors import FormatError

ENGINES = {"reference": {}, "torch": {"dtype": "float64"}, "snntorch": {"dtype": "float64"},
           "norse": {"dtype": "float64"}}
T = 160


def engine(name):
    pytest.importorskip({"reference": "numpy", "torch": "torch", "snntorch": "snntorch", "norse": "norse"}[name])
    return get_backend(name, **ENGINES[name])


def network(rule=None, scheme="spinnaker", gate=False, record_v=("B",)):
    """Sources, recurrent inhibition without self pairs, a plastic projection, a sparse loop back,
    a refractory period and delays up to 4 steps: every kind of state a step carries on."""
    cell = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
                     v_thresh=-57.0, tau_refrac=2.0)
    rule = rule or STDP(tau_plus=3.0, tau_minus=3.0, A_plus=0.2, A_minus=0.2, w_min=0.0, w_max=0.5)
    pops = [Population("S", 10, SpikeSourceArray()), Population("A", 10, cell), Population("B", 8, cell)]
    if gate:
        pops.append(Population("G", 1, SpikeSourceArray()))
        from dataclasses import replace
        rule = replace(rule, gate="G")
    projs = [
        Projection("in", "S", "A", OneToOneConnector(), np.linspace(5.0, 7.0, 10), np.arange(1, 11) % 3 + 1.0),
        Projection("lat", "A", "A", AllToAllConnector(allow_self_connections=False), 1.5, 2.0, "inhibitory"),
        Projection("cross", "S", "B", AllToAllConnector(allow_self_connections=False), 0.8, 4.0),
        Projection("ab", "A", "B", AllToAllConnector(), 0.3, 1.0, plasticity=rule),
        Projection("ba", "B", "A", FromListConnector(((0, 1), (3, 4), (7, 9))), 4.0, 3.0),
    ]
    return Network(pops, projs, Simulation(dt=1.0, scheme=scheme),
                   Recording(v=record_v, weights=("ab",)), name="session_net")


def events(batch=2, seed=0, gate=False):
    rng = np.random.default_rng(seed)
    n = 300
    ev = {"S": SpikeEvents.from_arrays(rng.integers(0, batch, n), rng.integers(0, T - 5, n),
                                       rng.integers(0, 10, n), 10, batch, "S")}
    if gate:
        steps = np.arange(0, T, 3)
        ev["G"] = SpikeEvents.from_arrays(np.zeros(len(steps), int), steps, np.zeros(len(steps), int), 1, batch, "G")
    return ev


def window(ev, lo, hi):
    return {k: SpikeEvents(e.trial[(e.step >= lo) & (e.step < hi)], e.step[(e.step >= lo) & (e.step < hi)],
                           e.neuron[(e.step >= lo) & (e.step < hi)]) for k, e in ev.items()}


def joined(parts):
    spikes = {p: tuple(np.concatenate([r.spikes[p][k] for r in parts]) for k in range(3)) for p in parts[0].spikes}
    order = {p: np.lexsort((n, s, b)) for p, (b, s, n) in spikes.items()}
    return {p: tuple(x[order[p]] for x in v) for p, v in spikes.items()}


def assert_same(parts, full):
    got = joined(parts)
    for pop, want in full.spikes.items():
        for a, b in zip(got[pop], want):
            np.testing.assert_array_equal(a, b, err_msg=pop)
    np.testing.assert_array_equal(np.concatenate([r.v["B"] for r in parts], axis=1), full.v["B"])
    np.testing.assert_array_equal(parts[-1].weights["ab"], full.weights["ab"])
    assert parts[-1].steps == full.steps and parts[0].start == 0


CUTS = [0, 1, 2, 37, 38, 39, 90, 91, 140, T]


@pytest.mark.parametrize("name", list(ENGINES))
@pytest.mark.parametrize("rule", ["spinnaker7", "history_4_per_update", "nearest", "clamp_per_update", "gated"])
def test_windows_equal_one_run(name, rule, one_torch_thread):
    be = engine(name)
    gate = rule == "gated"
    net = network(stdp_rules()["spinnaker7" if gate else rule], gate=gate)
    ev = events(gate=gate)
    full = be.run(net, T, inputs=ev, batch=2)
    s = be.session(net, batch=2)
    # windows of every length, cut inside delays and refractory periods; the first window also
    # hands over events that fall in later windows (they wait in the session's queue)
    parts = [s.run(CUTS[1], window(ev, 0, 60))]
    parts += [s.run(hi, window(ev, max(lo, 60), hi) if hi > 60 else None) for lo, hi in zip(CUTS[1:], CUTS[2:])]
    assert_same(parts, full)
    assert s.time_ms == T


@pytest.mark.parametrize("name", ["reference", "torch"])
def test_exact_scheme_windows(name, one_torch_thread):
    be = engine(name)
    net, ev = network(scheme="exact"), events(seed=4)
    full = be.run(net, T, inputs=ev, batch=2)
    s = be.session(net, batch=2)
    parts = [s.run(hi, window(ev, lo, hi)) for lo, hi in zip(CUTS, CUTS[1:])]
    assert_same(parts, full)


@pytest.mark.parametrize("name", ["reference", "torch", "norse"])
def test_tentative_run_is_taken_back(name, one_torch_thread):
    be = engine(name)
    net = network(stdp_rules()["history_4_per_update"])
    ev = events(seed=1)
    full = be.run(net, T, inputs=ev, batch=2)
    s = be.session(net, batch=2)
    parts = [s.run(50, window(ev, 0, 50))]
    before = s.state
    with s.tentative():
        ahead = s.run(120, window(ev, 50, 120))
        assert ahead.count() > 0 and s.time_ms == 120
    after = s.state
    assert after["step"] == 50
    for k, a in before["arrays"].items():
        np.testing.assert_array_equal(after["arrays"][k], a, err_msg=k)
    parts.append(s.run(T, window(ev, 50, T)))
    assert_same(parts, full)


def test_atomic_block_rolls_back_on_error():
    be = engine("reference")
    net, ev = network(), events(seed=2)
    full = be.run(net, T, inputs=ev, batch=2)
    s = be.session(net, batch=2)
    parts = [s.run(40, window(ev, 0, 40))]
    with pytest.raises(KeyboardInterrupt):
        with s.atomic():
            s.run(100, window(ev, 40, 100))
            raise KeyboardInterrupt
    assert s.time_ms == 40
    parts.append(s.run(T, window(ev, 40, T)))
    assert_same(parts, full)


@pytest.mark.parametrize("name", ["reference", "torch"])
def test_save_and_load_continue_the_run(name, tmp_path, one_torch_thread):
    be = engine(name)
    net = network(stdp_rules()["history_4"])
    ev = events(seed=3)
    full = be.run(net, T, inputs=ev, batch=2)
    s = be.session(net, batch=2)
    parts = [s.run(70, ev)]                       # later events wait in the queue, and are saved
    s.save(tmp_path / "s.npz")
    s.run(T)                                      # this session goes on elsewhere
    other = be.session(net, batch=2)
    other.load(tmp_path / "s.npz")
    assert other.time_ms == 70
    parts.append(other.run(T))
    assert_same(parts, full)


def test_load_refuses_other_networks_and_broken_files(tmp_path):
    be = engine("reference")
    s = be.session(network(), batch=2)
    s.run(30, events())
    s.save(tmp_path / "s.npz")
    with pytest.raises(ValidationError, match="another network"):
        be.session(network(stdp_rules()["nearest"]), batch=2).load(tmp_path / "s.npz")
    with pytest.raises(ValidationError, match="batch"):
        be.session(network(), batch=1).load(tmp_path / "s.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a session")
    fresh = be.session(network(), batch=2)
    with pytest.raises(FormatError):
        fresh.load(tmp_path / "bad.npz")
    assert fresh.time_ms == 0


def test_reset_and_refused_inputs_change_nothing():
    be = engine("reference")
    net, ev = network(), events(seed=5)
    full = be.run(net, T, inputs=ev, batch=2)
    s = be.session(net, batch=2)
    s.run(80, ev)
    s.reset()
    assert s.time_ms == 0
    first = s.run(50, window(ev, 0, 50))
    with pytest.raises(ValidationError, match="before the session's time"):
        s.run(90, {"S": SpikeEvents.from_arrays([0], [10], [0], 10, 2, "S")})
    with pytest.raises(ValidationError, match="already at"):
        s.run(20)
    assert s.time_ms == 50
    assert_same([first, s.run(T, window(ev, 50, T))], full)


def test_batch_is_checked():
    with pytest.raises(ValidationError, match="batch"):
        engine("reference").session(network(), batch=0)


# -- the CA3 memory on a session ---------------------------------------------------------------

def drive(memory, case):
    for t0, op in case.timed_ops:
        memory._do(op, t0 if t0 >= memory.next_time() else None)
    return memory


def batch_of(memory, **opts):
    from spikemem.harness.cases import Case
    from spikemem.models.ca3 import CA3Memory
    sched = Case("s", memory.C, memory.N, tuple(memory.timed_ops), memory.timed_ops[-1][0] + memory.params.window_ms + 1)
    report, res = CA3Memory.run_cases([sched], memory.backend, memory.params, return_result=True)
    return [report.outcome(0, k) for k in range(len(sched.timed_ops))], res


def assert_matches_batch(memory):
    """History and every spike equal the batch run of the memory's schedule."""
    outcomes, res = batch_of(memory)
    assert memory.outcomes == outcomes
    rec = memory.recording()
    for pop, want in res.spikes.items():
        for a, b in zip(rec.spikes[pop], want):
            np.testing.assert_array_equal(a, b, err_msg=pop)


@pytest.mark.parametrize("name", list(ENGINES))
def test_memory_operation_by_operation_equals_batch(name, one_torch_thread):
    from spikemem.models.ca3 import CA3Memory
    from spikemem.models.ca3 import cases as hc
    engine(name)
    m = drive(CA3Memory(6, 9, backend=name, record=True, **ENGINES[name]), hc.random_case(6, 9, 40, seed=7))
    assert m.session is not None
    assert_matches_batch(m)


def test_memory_history_redecodes_a_cut_window():
    """A recall followed 6 ms later by another operation: the earlier answer loses the spikes
    that fall after the new start, exactly as the batch decoder assigns them."""
    from spikemem.models.ca3 import CA3Memory
    m = CA3Memory(4, 6, record=True)
    m.learn(1, {0, 2})
    m.learn(2, {2, 3})
    m.recall(1)
    m.recall_content({3})
    m.recall(2, at=m.timed_ops[-1][0] + 6)
    outcomes, _ = batch_of(m)
    assert m.outcomes == outcomes
    with pytest.raises(ValidationError):
        m.recall(0, at=m.timed_ops[-1][0] + 1)         # rejected: nothing changes
    assert m.outcomes == outcomes and len(m.timed_ops) == 5


@pytest.mark.parametrize("name", ["nest", pytest.param("brian2", marks=pytest.mark.slow)])   # Brian2: ~2 min
def test_memory_on_pynn_sessions(name):
    pytest.importorskip("pyNN")
    pytest.importorskip({"nest": "nest", "brian2": "brian2"}[name])
    from spikemem.models.ca3 import CA3Memory
    from spikemem.models.ca3 import cases as hc
    m = CA3Memory(4, 6, backend=name, variant="portable", record=True)
    try:
        for _, op in hc.random_case(4, 6, 8, seed=2).timed_ops:
            m._do(op, None)
        assert m.session.time_ms == m.timed_ops[-1][0] + m.params.window_ms + 1
        with pytest.raises(ValidationError, match="cannot take a run back"):
            m.recall(0, at=m.timed_ops[-1][0] + 7)
    finally:
        m.session.close()
    assert_matches_batch(m)


def test_pynn_sessions_declare_what_they_cannot_do(tmp_path):
    pytest.importorskip("pyNN")
    pytest.importorskip("nest")
    from spikemem.errors import UnsupportedFeature
    net = network(scheme="exact", rule=STDP(tau_plus=3.0, tau_minus=3.0, A_plus=0.2, A_minus=0.2, w_min=0.0, w_max=0.5),
                  record_v=())
    be = get_backend("nest")
    with pytest.raises(UnsupportedFeature, match="recording.weights=\\['ab'\\]"):
        be.session(net)                                   # NEST owes potentiation until the next pre spike
    net = dataclasses.replace(net, recording=dataclasses.replace(net.recording, weights=()))
    with pytest.raises(UnsupportedFeature, match="one trial"):
        be.session(net, batch=2)
    with pytest.raises(UnsupportedFeature, match="sessions on spinnaker"):
        get_backend("spinnaker").session(network())
    s = be.session(net)
    try:
        with pytest.raises(ValidationError, match="session is open"):
            be.run(net, 10.0)
        s.run(20)
        with pytest.raises(ValidationError, match="after the session's time"):
            s.run(40, {"S": [[[21.0]] + [[] for _ in range(9)]]})
        with pytest.raises(UnsupportedFeature):
            s.save(tmp_path / "x.npz")
        assert s.time_ms == 20
    finally:
        s.close()


def test_structured_delivery_carries_across_windows():
    from spikemem.engine.array_engine import run_engine
    from spikemem.engine.session import EngineSession
    net, ev = network(), events(seed=6)
    full = run_engine(net, T, ev, 2, "reference", structured="always")
    s = EngineSession(net, 2, label="reference", structured="always")
    assert s.engine.blocks
    assert_same([s.run(hi, window(ev, lo, hi)) for lo, hi in zip(CUTS, CUTS[1:])], full)


@pytest.mark.gpu
@pytest.mark.parametrize("structured", ["always", "never"])
def test_session_windows_on_cuda(structured):
    from spikemem.engine.array_engine import run_engine
    from spikemem.engine.session import EngineSession
    from spikemem.engine.torch_ops import TorchOps
    ops = TorchOps("cuda", "float64")
    net, ev = network(stdp_rules()["history_4_per_update"]), events(seed=8)
    full = run_engine(net, T, ev, 2, "torch", ops, structured=structured)
    s = EngineSession(net, 2, label="torch", ops=ops, structured=structured)
    parts = [s.run(50, window(ev, 0, 50))]
    with s.tentative():
        s.run(120, window(ev, 50, 120))
    parts += [s.run(hi, window(ev, lo, hi)) for lo, hi in zip([50] + CUTS[7:], CUTS[7:])]
    assert_same(parts, full)
