"""The hippocampus family's circuits and memories against the spec's own numbers (no recordings
needed): sizes (A.4, A.5), the sPyBlocks decoder (A.6), the timing of every population in a
learn, a relearn and a recall (A.9, B.1, B.2), the learned weights (A.9), the spacing limit
(A.11), the live memories' operations, and the recording readers' refusals."""
import json

import numpy as np
import pytest

from spikemem import FormatError, ValidationError, get_backend
from spikemem.cli import main
from spikemem.harness.cases import Case
from spikemem.harness.operations import Learn, Recall
from spikemem.models.hippocampus import DGCA1Memory, HippocampusMemory, OneHotCA3Memory, build_hippocampus, protocol
from spikemem.models.hippocampus.dg_ca1_net import build_dg_ca1
from spikemem.models.hippocampus.onehot_net import build_ca3_onehot
from spikemem.models.hippocampus.recording_file import load_stimulus, parse_authors, parse_recording


def counts(net) -> tuple:
    """(IF neurons, synapses, plastic synapses)."""
    syn = plastic = 0
    for pr in net.projections:
        k = pr.connector.n_synapses(net.population(pr.pre).size, net.population(pr.post).size)
        syn += k
        plastic += k if pr.plasticity else 0
    return sum(p.size for p in net.populations if not p.is_source), syn, plastic


def test_sizes_are_the_specs():
    """A.4, A.5: 51 IF neurons with OUT, 152 synapses (50 plastic) at 5 x 10; 406 and 4,319 (2,048) at 64 x 32."""
    assert counts(build_hippocampus(5, 10)) == (51, 152, 50)
    assert counts(build_hippocampus(64, 32)) == (406, 4319, 2048)
    assert build_hippocampus(5, 10).population("DG").size == 8 and build_hippocampus(8, 4).population("INcue").size == 4


def spikes_by_step(res, pop) -> dict:
    out = {}
    for t, i in res.spike_list(pop):
        out.setdefault(int(t), set()).add(i)
    return out


def test_idle_decoder_fires_n_plus_2n_plus_1_gates_every_step():
    """A.6.5: with no cue, every step has the latch, the n NOT gates, every OR but the last's and DG[0]."""
    res = get_backend("reference").run(build_hippocampus(5, 10, record_gates=True), 30.0)
    per_step = np.zeros(30, dtype=int)
    for pop in ("CSS_latch", "DG_NOT", "DG_OR", "DG"):
        for t, _ in res.spike_list(pop):
            per_step[int(t)] += 1
    assert (per_step[4:] == 3 + 8 + 1).all()
    assert spikes_by_step(res, "DG_OR")[10] == set(range(7)) and spikes_by_step(res, "DG")[10] == {0}
    assert spikes_by_step(res, "CSS_latch")[2] == {0} and 1 not in spikes_by_step(res, "CSS_latch")


@pytest.mark.parametrize("value", range(8))
def test_decoder_output_value_fires_three_ms_after_its_cue(value):
    """A.6.3: a value v on IN at step t >= 1 fires DG[v] at t + 3 and no other output."""
    t = 6
    cue = [[float(t)] if value >> i & 1 else [] for i in range(3)]
    res = get_backend("reference").run(build_hippocampus(5, 10), 12.0, inputs={"INcue": [cue]})
    assert spikes_by_step(res, "DG")[t + 3] == {value}


def test_an_input_at_time_zero_is_not_decoded():
    """A.6.4: the NOT gates live from step 2, so value 4 at t = 0 never reaches DG[4]; the memory
    refuses a first operation before 1 ms."""
    res = get_backend("reference").run(build_hippocampus(5, 10), 8.0, inputs={"INcue": [[[], [], [0.0]]]})
    assert all(4 not in s for s in spikes_by_step(res, "DG").values())
    m = HippocampusMemory(5, 10)
    with pytest.raises(ValidationError, match="at=0"):
        m.learn(2, [1], at=0)
    assert m.timed_ops == []
    assert m.learn(2, [1]).addresses == {2} and m.timed_ops[0][0] == 1.0


def run_case(build, timing, ops, C=5, N=10, **kw):
    case = Case("t", C, N, tuple(ops), timing.window_end(ops[-1][0]))
    net = build(C, N, record_weights=True, **kw)
    return get_backend("reference").run(net, case.sim_time_ms, inputs=protocol.input_events([case], timing))


def fired(res, pop, t) -> set:
    return spikes_by_step(res, pop).get(t, set())


def test_learn_relearn_and_recall_fire_when_the_spec_says():
    """A.9: learn cue 3 <- {0, 1, 2} at 1, relearn it <- {2, 5} at 8 (forgets 0 and 1), recall at 15."""
    res = run_case(build_hippocampus, protocol.HIPPOCAMPUS,
                   [(1, Learn(2, frozenset({0, 1, 2}))), (8, Learn(2, frozenset({2, 5}))), (15, Recall(2))])
    for t0, new, old in ((1, {0, 1, 2}, set()), (8, {2, 5}, {0, 1})):
        assert fired(res, "DG", t0 + 3) == fired(res, "DG", t0 + 4) == fired(res, "DG", t0 + 5) == {3}
        assert fired(res, "CA3cue", t0 + 4) == fired(res, "CA3cue", t0 + 6) == {2}
        assert fired(res, "CA3cont", t0 + 4) == fired(res, "CA3cont", t0 + 6) == new
        assert fired(res, "CA3cont", t0 + 5) == old - new
        assert fired(res, "CA1", t0 + 5) == fired(res, "CA1", t0 + 7) == {0, 1}          # value 3 = bits 0, 1
        assert fired(res, "OUTcue", t0 + 6) == fired(res, "OUTcue", t0 + 8) == {0, 1}
        assert fired(res, "OUTcont", t0 + 6) == fired(res, "OUTcont", t0 + 8) == new
        assert fired(res, "OUTcont", t0 + 7) == old - new                                 # forgotten bits, once
    t0 = 15
    assert fired(res, "DG", t0 + 3) == {3} and fired(res, "CA3cue", t0 + 4) == {2}
    assert fired(res, "CA3cont", t0 + 5) == {2, 5} and fired(res, "CA1", t0 + 5) == {0, 1}
    assert fired(res, "OUTcue", t0 + 6) == {0, 1} and fired(res, "OUTcont", t0 + 7) == {2, 5}
    w = res.weights["ca3cue_ca3cont"][0]
    assert w[2, 2] == w[2, 5] == 6.0 and w[2, 0] == w[2, 1] == 0.0 and not w[[0, 1, 3, 4]].any()


def test_a_recall_six_ms_after_a_learn_loses_its_content():
    """A.11: 6 ms after a learn the learn's post trace depresses the stored weight to 2.66 nA,
    below the 2.74 nA CA3cont needs; 7 ms (the protocol's minimum, enforced) works."""
    for gap, content in ((6, set()), (7, {3, 4})):
        case = Case("t", 5, 10, ((1.0, Learn(0, frozenset({3, 4}))), (1.0 + gap, Recall(0))), 20.0)
        net = build_hippocampus(5, 10, record_weights=True)
        res = get_backend("reference").run(net, 20.0, inputs=protocol.input_events([case], protocol.HIPPOCAMPUS,
                                                                                  check=False))
        assert fired(res, "CA3cont", 1 + gap + 5) == content
    with pytest.raises(ValidationError, match="needs >= 7"):
        protocol.HIPPOCAMPUS.check_timing([(1.0, Learn(0, frozenset({3}))), (7.0, Recall(0))])


def test_spymem_test_of_the_model_outputs_as_derived():
    """B.0: sPyMem's test (cue value 1 <- {0, 1, 2, 9} at 1-3, recall at 12): the learn echoes at
    7 and 9, the recall's cue at 18 and its content at 19."""
    from spikemem.models.hippocampus.cases import spymem_test
    case = spymem_test()
    res = get_backend("reference").run(build_hippocampus(5, 10), case.sim_time_ms,
                                       inputs=protocol.input_events([case], protocol.HIPPOCAMPUS))
    assert {t for t in spikes_by_step(res, "OUTcue")} == {7, 9, 18}
    assert spikes_by_step(res, "OUTcont") == {7: {0, 1, 2, 9}, 9: {0, 1, 2, 9}, 19: {0, 1, 2, 9}}


@pytest.mark.parametrize("build, timing, cue_out, out", [
    # B.1: CA3 at t0+1, t0+3 (forgotten t0+2); OUT at t0+2, t0+4 (forgotten t0+3); recall: CA3cue t0+1,
    # CA3cont t0+2, OUT cue t0+2, OUT content t0+3
    (build_ca3_onehot, protocol.ONEHOT, {2}, {"CA3cue": (1, 3), "CA3cont": (1, 3, 2), "OUTcont": (2, 4, 3),
                                             "OUTcue": (2, 4), "recall": (1, 2, 2, 3)}),
    # B.2: DG t0+1, t0+3; CA3 t0+2, t0+4 (forgotten t0+3); CA1 t0+3, t0+5; OUT t0+4, t0+6 (forgotten t0+5);
    # recall: DG t0+1, CA3cue t0+2, CA3cont and CA1 t0+3, OUT cue t0+4, OUT content t0+5
    (build_dg_ca1, protocol.DG_CA1, {0, 1}, {"CA3cue": (2, 4), "CA3cont": (2, 4, 3), "OUTcont": (4, 6, 5),
                                             "OUTcue": (4, 6), "DG": (1, 3), "CA1": (3, 5), "recall": (2, 3, 4, 5)}),
])
def test_sPyMem_variants_fire_when_the_spec_says(build, timing, cue_out, out):
    res = run_case(build, timing, [(0, Learn(2, frozenset({0, 1, 2}))), (7, Learn(2, frozenset({2, 5}))),
                                   (14, Recall(2))])
    for t0, new, old in ((0, {0, 1, 2}, set()), (7, {2, 5}, {0, 1})):
        a, b = out["CA3cue"]
        assert fired(res, "CA3cue", t0 + a) == fired(res, "CA3cue", t0 + b) == {2}
        a, b, f = out["CA3cont"]
        assert fired(res, "CA3cont", t0 + a) == fired(res, "CA3cont", t0 + b) == new
        assert fired(res, "CA3cont", t0 + f) == old - new
        a, b, f = out["OUTcont"]
        assert fired(res, "OUTcont", t0 + a) == fired(res, "OUTcont", t0 + b) == new
        assert fired(res, "OUTcont", t0 + f) == old - new
        a, b = out["OUTcue"]
        assert fired(res, "OUTcue", t0 + a) == fired(res, "OUTcue", t0 + b) == cue_out
        if "DG" in out:
            a, b = out["DG"]
            assert fired(res, "DG", t0 + a) == fired(res, "DG", t0 + b) == {2}
            a, b = out["CA1"]
            assert fired(res, "CA1", t0 + a) == fired(res, "CA1", t0 + b) == {0, 1}
    cue, cont, ocue, ocont = out["recall"]
    assert fired(res, "CA3cue", 14 + cue) == {2} and fired(res, "CA3cont", 14 + cont) == {2, 5}
    assert fired(res, "OUTcue", 14 + ocue) == cue_out and fired(res, "OUTcont", 14 + ocont) == {2, 5}


def test_dg_of_the_bioinspired_variant_is_an_exact_match_detector():
    """B.2: every value 1..C fires its own DG neuron alone; values above C (6, 7 at C = 5) fire none."""
    net = build_dg_ca1(5, 4)
    for v in range(1, 8):
        cue = [[1.0] if v >> i & 1 else [] for i in range(3)]
        res = get_backend("reference").run(net, 5.0, inputs={"INcue": [cue]})
        assert spikes_by_step(res, "DG") == ({2: {v - 1}} if v <= 5 else {})


@pytest.mark.parametrize("memory", [HippocampusMemory, OneHotCA3Memory, DGCA1Memory])
def test_memories_learn_recall_and_forget_by_relearning(memory):
    m = memory(5, 10)
    assert m.learn(3, [0, 7, 8, 9]).bits == {0, 7, 8, 9}
    assert m.learn(1, pattern="1100000000").bits == {0, 1}
    assert m.recall(3).bits == {0, 7, 8, 9} and m.recall(3).addresses == {3}
    assert m.learn(3, [1, 2, 9]).bits == {1, 2, 9, 0, 7, 8}         # the forgotten bits echo once
    assert m.recall(3).bits == {1, 2, 9}
    assert m.recall(1).bits == {0, 1} and m.recall(4).bits == set()  # a cue never learned: no content
    gaps = np.diff([t for t, _ in m.timed_ops])
    assert list(gaps) == [7, 7, m.TIMING.min_gap["recall_cue"], m.TIMING.min_gap["recall_cue"], 7,
                          m.TIMING.min_gap["recall_cue"], m.TIMING.min_gap["recall_cue"]]


@pytest.mark.parametrize("call, field", [
    (lambda m: m.recall(5), "address=5"),
    (lambda m: m.learn(-1, [0]), "address=-1"),
    (lambda m: m.learn(1, [10]), "bits=10"),
    (lambda m: m.learn(1, []), "bits"),
    (lambda m: m.recall(1, at=m.timed_ops[-1][0] + 6), "must start at >= "),
    (lambda m: m.learn(True, [0]), "address=True"),
])
def test_bad_operations_leave_the_memory_unchanged(call, field):
    m = HippocampusMemory(5, 10, spacing=10)
    m.learn(0, [0, 1])
    before = (list(m.timed_ops), list(m.outcomes))
    with pytest.raises(ValidationError, match=field):
        call(m)
    assert (m.timed_ops, m.outcomes) == before and m.recall(0).bits == {0, 1}
    assert not hasattr(m, "recall_content")          # a one-hot memory recalls by cue only
    with pytest.raises(ValidationError, match="spacing=5"):
        HippocampusMemory(5, 10, spacing=5)


@pytest.mark.parametrize("backend, options", [("reference", {}), ("torch", {"dtype": "float64"})])
def test_the_live_session_equals_the_batch_run_of_its_schedule(backend, options):
    if backend == "torch":
        pytest.importorskip("torch")
    case = HippocampusMemory.random_case(6, 9, 30, seed=4)
    m = HippocampusMemory(6, 9, backend=backend, record=True, **options)
    for t0, op in case.timed_ops:
        m._do(op, t0)
    report, res = HippocampusMemory.run_cases([case], backend, return_result=True, **options)
    assert m.outcomes == [report.outcome(0, k) for k in range(len(case.ops))]
    rec = m.recording()
    for pop in res.spikes:
        assert rec.spike_list(pop) == res.spike_list(pop), pop


def test_nest_session_drives_the_portable_memory():
    pytest.importorskip("pyNN.nest")
    with HippocampusMemory(5, 10, backend="nest", variant="portable") as m:
        m.learn(3, [0, 7, 8, 9])
        m.learn(1, [2, 4])
        assert m.recall(3).bits == {0, 7, 8, 9} and m.recall(1).bits == {2, 4}


# -- the recording readers ----------------------------------------------------------------------
def small_recording() -> dict:
    """A learn of cue value 4 <- {0, 7, 8, 9} at 1-3 ms, 5 cues x 10 bits, in the shared JSON layout."""
    entries = [{"neuron": i, "role": "cue_bit", "spike_times_ms": [1, 2, 3] if i == 2 else []} for i in range(3)]
    entries += [{"neuron": 3 + j, "role": "content_bit", "spike_times_ms": [1, 2, 3] if j in (0, 7, 8, 9) else []}
                for j in range(10)]
    return {"cueSize": 5, "contSize": 10, "dgInputSize": 3, "timestep_ms": 1.0, "simTime_ms": 11,
            "input_spike_times_ms": entries}


def test_a_written_recording_replays_as_the_spec_times_it(tmp_path):
    """Both formats: the learn's OUT echoes are at t0 + 6 and t0 + 8 (A.9)."""
    d = small_recording()
    (tmp_path / "rec.json").write_text(json.dumps(d))
    authors = {"networkName": "DG_CA3_CA1_one_hot", "timeStep": 1.0, "simTime": 11, "cueSize": 5, "memSize": 10,
               "endianness": "little_endian",
               "variables": [{"type": "spikes", "popNameShort": "IL", "numNeurons": 13,
                              "data": [e["spike_times_ms"] for e in d["input_spike_times_ms"]]}]}
    (tmp_path / "rec.txt").write_text(repr(authors))
    for src in ("rec.json", "rec.txt"):
        out = tmp_path / f"{src}.out.json"
        assert main(["memory", "hippocampus", "replay", str(tmp_path / src), "--out", str(out)]) == 0
        rec = json.loads(out.read_text())["recorded_spikes"]
        assert rec["OUTcue"]["spikes_t_ms_neuron"] == [[7, 2], [9, 2]]
        assert rec["OUTcont"]["spikes_t_ms_neuron"] == [[t, j] for t in (7, 9) for j in (0, 7, 8, 9)]
        assert rec["CA3cue"]["spikes_t_ms_neuron"] == [[5, 3], [7, 3]]


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.pop("simTime_ms"), "simTime_ms"),
    (lambda d: d.__setitem__("dgInputSize", 4), "dgInputSize=4"),
    (lambda d: d["input_spike_times_ms"].pop(), "input_spike_times_ms=12"),
    (lambda d: d["input_spike_times_ms"][0]["spike_times_ms"].append(-1), "-1"),
    (lambda d: d["input_spike_times_ms"][0]["spike_times_ms"].append(2.5), "2.5"),
    (lambda d: d["input_spike_times_ms"][0]["spike_times_ms"].append("3"), "input_spike_times_ms"),
    (lambda d: d.__setitem__("cueSize", 0), "cueSize=0"),
])
def test_bad_recordings_are_refused_by_field(mutate, field):
    d = small_recording()
    mutate(d)
    with pytest.raises(ValidationError, match=field):
        parse_recording(d)


@pytest.mark.parametrize("text, error", [
    ("__import__('os').system('touch pwned')", FormatError),       # never evaluated
    ("{'cueSize': 5, 'memSize': 10, 'timeStep': 1.0, 'simTime': 11, 'variables': []}", ValidationError),
    ("{'cueSize': 5, 'timeStep': 1.0, 'simTime': 11, 'variables': []}", ValidationError),
    ("[1, 2", FormatError),
])
def test_bad_result_files_are_refused_and_the_old_output_kept(tmp_path, monkeypatch, text, error):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.txt").write_text(text)
    with pytest.raises(error):
        load_stimulus(tmp_path / "in.txt")
    out = tmp_path / "out.json"
    out.write_text("previous")
    assert main(["memory", "hippocampus", "replay", "in.txt", "--out", str(out)]) == 2
    assert out.read_text() == "previous" and not (tmp_path / "pwned").exists()


def test_the_authors_input_layer_must_fit_the_sizes():
    with pytest.raises(ValidationError, match="variables.IL.data=12"):
        parse_authors({"cueSize": 5, "memSize": 10, "timeStep": 1.0, "simTime": 11,
                       "variables": [{"type": "spikes", "popNameShort": "IL", "data": [[]] * 12}]})


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
@pytest.mark.parametrize("memory", [OneHotCA3Memory, DGCA1Memory])
def test_portable_sPyMem_variants_equal_the_faithful_ones(memory, scheme):
    from spikemem.models.hippocampus.portable import portable
    p = portable(memory.PARAMS(), memory.build, scheme)
    for name, make in memory.published_cases().items():
        _, ref = memory.run_cases([make()], return_result=True)
        _, got = memory.run_cases([make()], params=p, return_result=True)
        for pop in ref.spikes:
            assert ref.spike_list(pop) == [[round(t, 9), n] for t, n in got.spike_list(pop)], (name, pop)


@pytest.mark.parametrize("page, start", [("hippocampus.md", "m = HippocampusMemory("),
                                         ("memories.md", "m = HippocampusMemory(")])
def test_the_docs_examples_print_what_they_return(page, start):
    """Each `# addr {...} bits {...}` comment of a docs example is what its line returns."""
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "docs" / page).read_text()
    i = text.index(start)
    block = text[text.rindex("```python", 0, i) + len("```python"):text.index("```", i)]
    scope, checked = {}, 0
    for line in block.strip().splitlines():
        code, _, comment = (part.strip() for part in line.partition("#"))
        if comment.startswith("addr {"):
            got = str(eval(code, scope))
            assert comment.startswith(got + ":") or comment == got, (code, comment, got)
            checked += 1
        else:
            exec(code, scope)
    assert checked >= 4
