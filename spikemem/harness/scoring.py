"""Score decoded operations against the ideal memory, per operation and per kind."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .operations import KINDS, LEARN, Outcome
from .oracle import IdealCAM


def expected_arrays(cases, expected) -> tuple:
    """The oracle's outcomes as bool arrays (B, K, C) and (B, K, N)."""
    B, K = len(cases), max(len(c.timed_ops) for c in cases)
    ea = np.zeros((B, K, cases[0].C), dtype=bool)
    eb = np.zeros((B, K, cases[0].N), dtype=bool)
    for b, outs in enumerate(expected):
        for k, o in enumerate(outs):
            ea[b, k, list(o.addresses)] = True
            eb[b, k, list(o.bits)] = True
    return ea, eb


def correct_matrix(kinds: np.ndarray, decoded: tuple, expected: tuple) -> np.ndarray:
    """(B, K) bool. A learn must echo its address and every new bit; other kinds must match exactly."""
    da, db = decoded
    ea, eb = expected
    same_addr = (da == ea).all(-1)
    exact = same_addr & (db == eb).all(-1)
    covers = same_addr & (db | ~eb).all(-1)
    return np.where(kinds == LEARN, covers, exact)


@dataclass
class Report:
    """Per-operation results of a batch of cases on one backend and variant."""

    cases: list
    kinds: np.ndarray           # (B, K) operation kinds, '' where a case is shorter
    correct: np.ndarray         # (B, K) bool
    decoded: tuple              # (B, K, C), (B, K, N) bool
    expected: list              # per case, the oracle's Outcomes
    label: dict = field(default_factory=dict)

    def counts(self) -> dict:
        out = {}
        for k in KINDS:
            sel = self.kinds == k
            out[k] = (int(self.correct[sel].sum()), int(sel.sum()))
        sel = self.kinds != ""
        out["overall"] = (int(self.correct[sel].sum()), int(sel.sum()))
        return out

    def accuracy(self) -> dict:
        return {k: (c / n if n else None) for k, (c, n) in self.counts().items()}

    def outcome(self, b: int, k: int) -> Outcome:
        da, db = self.decoded
        return Outcome(frozenset(np.flatnonzero(da[b, k]).tolist()), frozenset(np.flatnonzero(db[b, k]).tolist()))

    def to_dict(self) -> dict:
        return {**self.label, "accuracy": self.accuracy(),
                "counts": {k: list(v) for k, v in self.counts().items()},
                "operations": self.counts()["overall"][1], "cases": len(self.cases)}


def score(cases, decoded, oracle=IdealCAM) -> Report:
    """A Report of decoded outcomes against `oracle` (an ideal memory class of
    spikemem.harness.oracle: the model's own kind of memory)."""
    expected = [oracle(c.C, c.N).expected(c.ops) for c in cases]
    B, K = len(cases), max(len(c.timed_ops) for c in cases)
    kinds = np.full((B, K), "", dtype=object)
    for b, c in enumerate(cases):
        kinds[b, :len(c.ops)] = [op.kind for op in c.ops]
    kinds = kinds.astype(str)
    correct = correct_matrix(kinds, decoded, expected_arrays(cases, expected)) & (kinds != "")
    return Report(list(cases), kinds, correct, decoded, expected)
