"""The operations API: learn / recall / recall by content, scheduling, rejection, decoding."""
import json

import pytest
from spikemem.models.ca3 import cases
from spikemem.models.ca3.memory import CA3Memory

from spikemem import ValidationError
from spikemem.cli import main
from spikemem.harness.oracle import IdealCAM


@pytest.fixture
def memory():
    m = CA3Memory(5, 10, spacing=10)
    m.learn(0, [0, 1, 8, 9])
    m.learn(4, [1, 5, 6])
    return m


def test_session_reproduces_the_functional_test(memory):
    ideal = IdealCAM(5, 10)
    for op in cases.functional().ops[:2]:
        ideal.apply(op)
    assert memory.learn(3, [4, 5, 6]).bits == {4, 5, 6}
    assert memory.recall(0).bits == {0, 1, 8, 9}
    assert memory.recall_content([6]).addresses == {3, 4}
    assert memory.recall_content(pattern="1000100000").addresses == {0, 3}
    relearn = memory.learn(3, [1, 3, 4, 8])
    assert relearn.bits == {1, 3, 4, 8, 5, 6}                    # forgotten bits echo once
    assert memory.recall(3).bits == {1, 3, 4, 8}
    assert memory.recall_content([6]).addresses == {4}          # 3 forgot bit 6
    assert [t for t, _, _ in memory.history] == [10.0 * k for k in range(9)]


@pytest.mark.parametrize("call, field", [
    (lambda m: m.recall(5), "address=5"),
    (lambda m: m.learn(-1, [0]), "address=-1"),
    (lambda m: m.learn(1, [10]), "bits=10"),
    (lambda m: m.recall_content([]), "bits"),
    (lambda m: m.learn(1, pattern=[0, 2, 0, 0, 0, 0, 0, 0, 0, 0]), r"pattern\[1\]=2"),
    (lambda m: m.learn(1, pattern="0101"), "pattern"),
    (lambda m: m.recall(1, at=m.timed_ops[-1][0] + 6), "at=16"),
    (lambda m: m.learn(True, [0]), "address=True"),
])
def test_bad_operations_leave_the_memory_unchanged(memory, call, field):
    before = (list(memory.timed_ops), list(memory.outcomes))
    with pytest.raises(ValidationError, match=field):
        call(memory)
    assert (memory.timed_ops, memory.outcomes) == before
    assert memory.recall(0).bits == {0, 1, 8, 9}


def test_minimum_spacing_is_the_default_and_can_be_widened():
    m = CA3Memory(5, 10)
    m.learn(1, [2])
    m.recall(1)
    m.recall_content([2])
    assert [t for t, _ in m.timed_ops] == [0, 7, 13]
    w = CA3Memory(5, 10, spacing=14)
    w.learn(1, [2])
    w.recall(1)
    assert [t for t, _ in w.timed_ops] == [0, 14]
    with pytest.raises(ValidationError, match="spacing=-3"):
        CA3Memory(5, 10, spacing=-3)


def test_demo_prints_the_table_and_writes_a_raster(tmp_path, capsys):
    png = tmp_path / "demo.png"
    assert main(["demo", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "9/9 operations correct" in out
    assert out.count("✓") == 9
    assert png.stat().st_size > 10_000


def test_stress_json_reports_accuracy_per_kind(capsys):
    assert main(["cam", "stress", "--memories", "5", "--bits", "10", "--ops", "30", "--spacing", "14",
                 "--seed", "3", "--batch", "2", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["operations"] == 60
    assert set(res["accuracy"]) == {"learn", "recall_cue", "recall_content", "overall"}
    assert res["accuracy"]["learn"] == 1.0
    assert main(["cam", "stress", "--batch", "0"]) == 2


def test_capacity_writes_table_and_plot(tmp_path, capsys):
    png = tmp_path / "cap.png"
    assert main(["cam", "capacity", "--sizes", "4,8", "--sequences", "3", "--ops", "20", "--png", str(png), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["C"], r["N"]) for r in rows] == [(4, 4), (4, 8), (8, 4), (8, 8)]
    assert all(r["learn"] == 1.0 for r in rows)
    assert png.stat().st_size > 10_000
