"""Cases of the one-hot memories with forgetting: the authors' published sequences and seeded
random sequences for any C, N and spacing (addresses are slots: cue value = address + 1).

Published for the hippocampus (spec A.10, A.11, B.0): the inputs of the three shared
recordings, the sPyMem test, and the authors' pyramidal testbenches at C = 64, N = 32 (rows
of the testbench files written MSB-first, generated here from their description). Published
for ca3_onehot and hippocampus_dg_ca1: the sPyMem tests (spec B.1, B.2).
"""
from __future__ import annotations

import numpy as np

from spikemem.description import validation
from spikemem.harness.cases import Case
from spikemem.harness.operations import LEARN, RECALL_CUE, Learn, Recall

from .protocol import DG_CA1, HIPPOCAMPUS, ONEHOT, Timing

RANDOM_SIZE = (5, 10)        # C, N of the harness's random sequences (the recordings' size)


def _learn(value: int, bits) -> Learn:
    """A learn written with the authors' cue value (1..C)."""
    return Learn(value - 1, frozenset(bits))


def _case(name, C, N, ops, timing: Timing, sim_time_ms=None) -> Case:
    timed = tuple((float(t), op) for t, op in ops)
    end = timing.window_end(timed[-1][0])
    return Case(name, C, N, timed, float(sim_time_ms if sim_time_ms is not None else end))


# -- Part A: the recordings (spec A.10) ---------------------------------------------------------
def learning() -> Case:
    return _case("learning", 5, 10, [(1, _learn(4, {0, 7, 8, 9}))], HIPPOCAMPUS, 11)


def learning_and_recall() -> Case:
    return _case("learning_and_recall", 5, 10, [(1, _learn(4, {0, 7, 8, 9})), (11, Recall(3))], HIPPOCAMPUS, 19)


def combined_operations() -> Case:
    """The authors' config_files/test_01 input: learns, recalls and two forgetting relearns."""
    ops = [(1, _learn(5, {7, 8, 9})), (8, _learn(4, {6, 7, 8})), (15, _learn(3, {5, 6, 7})), (22, Recall(4)),
           (28, Recall(3)), (34, _learn(4, {0, 1, 5, 6, 7})), (41, _learn(3, {0, 1, 8, 9})), (48, Recall(3)),
           (54, Recall(2))]
    return _case("combined_operations", 5, 10, ops, HIPPOCAMPUS, 64)


def spymem_test() -> Case:
    """sPyMem's test of hippocampus_with_forgetting (spec B.0): learn cue 1, recall it at 12 ms."""
    return _case("spymem_test", 5, 10, [(1, _learn(1, {0, 1, 2, 9})), (12, Recall(0))], HIPPOCAMPUS, 25)


# -- Part A: the authors' testbenches (spec A.11; C = 64, N = 32, spacing 7 / 6 ms) --------------
def _value_bits(v: int, N: int) -> frozenset:
    return frozenset(j for j in range(N) if v >> j & 1)


def _pyramidal(name: str, reinforced: bool, C: int = 64, N: int = 32) -> Case:
    """Three phases: learn every cue with the content value i + 1, then its N-bit complement,
    then i + 1 again; after each round of learns, read every cue. reinforced: each learn is
    followed by a recall of the same cue."""
    ops, t = [], 1.0
    for phase in range(3):
        for i in range(C):
            v = i + 1 if phase != 1 else ~(i + 1) & (2 ** N - 1)
            ops.append((t, Learn(i, _value_bits(v, N))))
            t += HIPPOCAMPUS.min_gap[LEARN]
            if reinforced:
                ops.append((t, Recall(i)))
                t += HIPPOCAMPUS.min_gap[RECALL_CUE]
        for i in range(C):
            ops.append((t, Recall(i)))
            t += HIPPOCAMPUS.min_gap[RECALL_CUE]
    return _case(name, C, N, ops, HIPPOCAMPUS)


def tb_pyramidal() -> Case:
    """tb1_piramidal: 384 operations, 192 recalls (192/192 correct on the authors' model)."""
    return _pyramidal("tb_pyramidal", False)


def tb_pyramidal_reinforced() -> Case:
    """tb2_piramidal_reinforced: 576 operations, 384 recalls (384/384)."""
    return _pyramidal("tb_pyramidal_reinforced", True)


# -- Part B: the sPyMem tests (spec B.1, B.2; C = 5, N = 10) -------------------------------------
def _spymem_tests(timing: Timing, one_hot: bool) -> dict:
    """The three experiments of sPyMem's tests/test_CA3.py (binary cues of values 1, 5, 4, 3 in
    the dg_ca1 test: the same slots)."""
    def t1():
        return _case("test_1", 5, 10, [(0, Learn(0, frozenset({0, 1, 2, 9}))), (10, Recall(0))], timing)

    def t2():
        return _case("test_2", 5, 10, [(0, Learn(0, frozenset({0, 1, 2, 9}))), (10, Recall(0)),
                                       (20, Learn(0, frozenset({2, 3, 8}))), (30, Recall(0))], timing)

    def t3():
        return _case("test_3", 5, 10, [
            (0, Learn(4, frozenset({7, 8, 9}))), (7, Learn(3, frozenset({6, 7, 8}))), (14, Learn(2, frozenset({5, 6, 7}))),
            (21, Recall(4)), (26, Recall(3)), (31, Learn(3, frozenset({0, 1, 5, 6, 7}))),
            (38, Learn(2, frozenset({0, 1, 8, 9}))), (45, Recall(3)), (50, Recall(2))], timing)
    return {"test_1": t1, "test_2": t2, "test_3": t3}


PUBLISHED = {"learning": learning, "learning_and_recall": learning_and_recall,
             "combined_operations": combined_operations, "spymem_test": spymem_test,
             "tb_pyramidal": tb_pyramidal, "tb_pyramidal_reinforced": tb_pyramidal_reinforced}
RECORDED = ("learning", "learning_and_recall", "combined_operations")
PUBLISHED_ONEHOT = _spymem_tests(ONEHOT, True)
PUBLISHED_DG_CA1 = _spymem_tests(DG_CA1, False)


# -- random sequences ----------------------------------------------------------------------------
def check_spacing(spacing, timing: Timing):
    """None (the minimum spacing) or ms between operations, at least the longest minimum gap."""
    if spacing is None:
        return None
    return validation.number("spacing", spacing, lo=max(timing.min_gap.values()), hi=validation.MAX_STEPS)


def random_case(timing: Timing, C: int, N: int, n_ops: int, seed: int = 0, spacing: float | None = None,
                content: str = "none") -> Case:
    """A seeded random mix of learns (a random cue, each content bit 1 with probability 1/2,
    at least one) and recalls of learned cues, about half each (spec A.11). spacing: ms
    between operations, None for the model's minimum. There is no recall by content in these
    models: content must be 'none'."""
    for field, value in (("C", C), ("N", N), ("ops", n_ops)):
        validation.integer(field, value, lo=1)
    validation.integer("seed", seed, lo=0)
    validation.choice("content", content, {"none"})
    spacing = check_spacing(spacing, timing)
    rng = np.random.default_rng(seed)
    stored: set = set()
    timed, t = [], timing.first_ms
    for _ in range(n_ops):
        if not stored or rng.random() < 0.5:
            bits = rng.random(N) < 0.5
            if not bits.any():
                bits[rng.integers(N)] = True
            op = Learn(int(rng.integers(C)), frozenset(np.flatnonzero(bits).tolist()))
            stored.add(op.address)
        else:
            op = Recall(int(rng.choice(sorted(stored))))
        timed.append((t, op))
        t += max(timing.min_gap[op.kind], spacing or 0)
    return _case(f"random_{C}x{N}_{n_ops}ops_seed{seed}", C, N, timed, timing)
