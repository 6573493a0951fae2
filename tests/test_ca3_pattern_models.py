"""The IJCNN 2022 CA3 models (spec Part C) against the spec's derived behaviour: the oscillatory
model's learning, completion and 2 ms oscillation (C.1), the regulated model's learned weights
and recalls under both PC tau_m (C.2, D.14); one memory object through both of the regulated
model's phases; the portable variants equal to the faithful models spike for spike."""
import numpy as np
import pytest

from spikemem import ValidationError, get_backend
from spikemem.harness.cases import Case
from spikemem.models.hippocampus import OscillatoryMemory, RegulatedMemory, build_oscillatory, build_regulated
from spikemem.models.hippocampus.params import RegulatedParams
from spikemem.models.hippocampus.portable import portable

N = 15


def trains(blocks) -> list:
    out = [[] for _ in range(N)]
    for neurons, times in blocks:
        for i in neurons:
            out[i] += [float(t) for t in times]
    return [sorted(t) for t in out]


def by_step(res) -> dict:
    out = {}
    for t, i in res.spike_list("PC"):
        out.setdefault(int(t), set()).add(i)
    return out


def test_oscillatory_model_learns_completes_and_oscillates():
    """C.1, "3 orthogonal": a learn fires its PCs at t0+1, t0+3, t0+5 and saturates its weights; a
    recall completes the missing PC one step after the cue and the pattern keeps a 2 ms cycle until
    the next input takes over within 2 steps; that step potentiates the cross-pattern synapses."""
    blocks = [(range(0, 5), range(1, 6)), (range(10, 15), range(15, 20)), (range(5, 10), range(29, 34)),
              (range(1, 5), range(43, 48)), (range(10, 14), range(57, 62))]
    res = get_backend("reference").run(build_oscillatory(N, record_weights=True), 70.0, inputs={"DG": [trains(blocks)]})
    s = by_step(res)
    assert [s.get(t) for t in range(2, 8)] == [set(range(5)), None, set(range(5)), None, set(range(5)), None]
    assert all(s[t] == {1, 2, 3, 4} and s[t + 1] == {0} for t in range(44, 56, 2))     # completion, then oscillation
    assert s[58] == {1, 2, 3, 4, 10, 11, 12, 13} and s[59] == {0, 14} and s[60] == {10, 11, 12, 13}
    w = res.weights["pc_pc"][0]
    assert (w[1:5, 1:5][~np.eye(4, dtype=bool)] == 12).all() and (w[0:5, 10:15] == 12).all()


def regulated_learning():
    A, B = list(range(1, 13)) + [14], list(range(0, 14))
    dg = trains([(A, (1, 11, 21, 31)), (B, (51, 61, 71, 81))])
    res = get_backend("reference").run(build_regulated(N, record_weights=True), 95.0,
                                       inputs={"DG": [dg], "LEARNING": [[[1.0, 11, 21, 31, 51, 61, 71, 81]]]})
    return res.weights["pc_pc"][0]


def test_regulated_learning_gives_the_specs_weights():
    """C.2: 194 of the 210 weights reach 12; {1..12} -> 14 end at 11.91, {0, 13} -> 14 at 0, 14 -> {0, 13} at 1.26."""
    w = regulated_learning()
    off = ~np.eye(N, dtype=bool)
    assert (w[off] == 12).sum() == 194
    np.testing.assert_allclose(w[1:13, 14], 11.91, atol=5e-3)
    assert w[0, 14] == w[13, 14] == 0
    np.testing.assert_allclose(w[14, [0, 13]], 1.26, atol=5e-3)


@pytest.mark.parametrize("tau_m, shared", [(5.0, set(range(14))), (3.0, set(range(15)))])
def test_regulated_recall_depends_on_the_recall_scripts_tau_m(tau_m, shared):
    """C.2 / D.14: {0..8} completes B = {0..13} at t0 + 2; the shared part {1..8} returns B with the
    coded tau_m 5, and A u B with tau_m 3; the interneurons stay silent."""
    from dataclasses import replace
    p = RegulatedParams()
    p = replace(p, pc_recall=replace(p.pc, tau_m=tau_m))
    net = build_regulated(N, p, phase="recall", init_weights=regulated_learning())
    dg = trains([(range(0, 9), (1, 4)), (range(1, 9), (15, 18, 30, 33, 45, 48))])
    res = get_backend("reference").run(net, 55.0, inputs={"DG": [dg]})
    s = by_step(res)
    assert s[2] == set(range(9)) and s[3] == set(range(9, 14))
    for t0 in (30, 45):
        assert s[t0 + 1] | s[t0 + 2] == shared
    assert res.spike_list("INH") == []


def test_one_regulated_memory_learns_recalls_and_learns_again():
    m = RegulatedMemory(N)
    A, B = set(range(0, 8)), set(range(7, 15))
    assert m.learn(A).bits == A
    assert m.recall(range(0, 6)).bits == A                  # the recall network, with the learned weights
    assert m.learn(B).bits == B                             # back to plasticity, from those weights
    assert m.recall(range(8, 15)).bits == B and m.recall(range(0, 7)).bits == A
    assert [t for t, _ in m.timed_ops] == [1.0, 41.0, 54.0, 94.0, 107.0]
    with pytest.raises(ValidationError, match="must start at >= 120 ms"):
        m.recall([1, 2, 3, 4], at=m.timed_ops[-1][0] + 12)


@pytest.mark.parametrize("memory", [OscillatoryMemory, RegulatedMemory])
def test_the_live_memory_equals_the_batch_run(memory):
    for name, make in memory.published_cases().items():
        case = make()
        m = memory(N, record=True)
        for t0, op in case.timed_ops:
            m._do(op, t0)
        report, res = memory.run_cases([case], return_result=True)
        assert m.outcomes == [report.outcome(0, k) for k in range(len(case.ops))], name
        rec = m.recording()
        for pop in res.spikes:
            assert sorted(map(tuple, rec.spike_list(pop))) == sorted(map(tuple, res.spike_list(pop))), (name, pop)


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
@pytest.mark.parametrize("memory", [OscillatoryMemory, RegulatedMemory])
def test_portable_variants_equal_the_faithful_models(memory, scheme):
    p = portable(memory.PARAMS(), lambda C, n, q: memory.build(n, q), scheme)
    for name, make in memory.published_cases().items():
        case = make()
        _, ref = memory.run_cases([case], return_result=True)
        _, got = memory.run_cases([case], params=p, return_result=True)
        for pop in ref.spikes:
            assert sorted(map(tuple, ref.spike_list(pop))) == \
                sorted((round(t, 9), n) for t, n in got.spike_list(pop)), (name, pop)


@pytest.mark.parametrize("memory", [OscillatoryMemory, RegulatedMemory])
def test_nest_runs_the_portable_variants_as_the_reference(memory):
    pytest.importorskip("pyNN.nest")
    case = memory.published_cases()["2_non_orthogonal"]()
    _, ref = memory.run_cases([case], return_result=True)
    _, got = memory.run_cases([case], "nest", variant="portable", return_result=True)
    assert sorted(map(tuple, ref.spike_list("PC"))) == sorted((round(t, 9), n) for t, n in got.spike_list("PC"))


def test_pattern_cases_and_operations_are_checked():
    with pytest.raises(ValidationError, match="needs >= 14"):
        OscillatoryMemory.run_cases([Case("x", 0, N, ((1.0, OscillatoryMemory.published_cases()["2_orthogonal"]().ops[0]),
                                                      (10.0, OscillatoryMemory.published_cases()["2_orthogonal"]().ops[1])),
                                          30.0)])
    with pytest.raises(ValidationError, match="N=3"):
        OscillatoryMemory.random_case(2, 3, 10)
    m = OscillatoryMemory(N)
    with pytest.raises(ValidationError, match="bits=15"):
        m.learn([15])
    assert m.timed_ops == []


def test_a_session_that_refuses_the_network_falls_back_to_reruns():
    """A NEST session cannot record plastic weights (the regulated memory's learning phase needs
    them): the memory re-runs its schedule per operation and answers as on the reference engine."""
    pytest.importorskip("pyNN.nest")
    ops = [("learn", range(0, 8)), ("learn", range(8, 15)), ("recall", range(0, 6)), ("recall", range(9, 15))]
    answers = []
    for backend in ("reference", "nest"):
        with RegulatedMemory(backend=backend, variant="portable", spacing=60) as m:
            answers.append([getattr(m, kind)(bits).bits for kind, bits in ops])
            assert m.reruns == (backend == "nest")
    assert answers[0] == answers[1] and answers[0][2] == set(range(8))
