"""Ideal memories: what every operation of a memory model should return.

IdealCAM is the CA3 content-addressable memory's; IdealOneHot the one-hot memories with
forgetting of the hippocampus family (learn and recall by cue only); IdealPatterns the
auto-associative memories (store a pattern, complete it from a fragment).
"""
from __future__ import annotations

from ..errors import ValidationError
from .operations import LEARN, RECALL_CONTENT, RECALL_CUE, Outcome


class IdealCAM:
    """One content per address; relearning replaces it.

    A learn echoes its address and the new bits (the forgotten old bits echo once too,
    docs/ca3_protocol.md, 7 and 10: they are listed as `echo`, not scored); a recall by cue returns the
    address and its content; a recall by content returns every address sharing a bit with
    the query, plus the query bits.
    """

    def __init__(self, C: int, N: int):
        self.C, self.N = C, N
        self.content: dict[int, frozenset] = {}

    def apply(self, op) -> Outcome:
        if op.kind == LEARN:
            old = self.content.get(op.address, frozenset())
            self.content[op.address] = op.bits
            return Outcome(frozenset({op.address}), op.bits, old - op.bits)
        if op.kind == RECALL_CUE:
            return Outcome(frozenset({op.address}), self.content.get(op.address, frozenset()))
        if op.kind == RECALL_CONTENT:
            hits = frozenset(a for a, c in self.content.items() if c & op.bits)
            return Outcome(hits, op.bits)
        raise ValueError(op.kind)

    def expected(self, ops) -> list:
        return [self.apply(op) for op in ops]

    def load(self) -> float:
        """Stored memories x their bits / N: memories per content bit."""
        return sum(len(b) for b in self.content.values()) / self.N

    def matrix(self):
        """(C, N) bool: the bits each address holds (a state map's ideal panel)."""
        import numpy as np
        m = np.zeros((self.C, self.N), dtype=bool)
        for a, bits in self.content.items():
            m[a, sorted(bits)] = True
        return m


class IdealOneHot(IdealCAM):
    """A one-hot memory with forgetting (the hippocampus family, spec A.8): one content per cue,
    a relearn replaces it (its old bits not in the new content echo once, as `echo`); a recall
    returns the cue and its content (nothing for a cue never learned). There is no recall by
    content: such an operation is refused."""

    def apply(self, op) -> Outcome:
        if op.kind == RECALL_CONTENT:
            raise ValidationError("operation", op.kind, "a one-hot memory recalls by cue only")
        return super().apply(op)


class IdealPatterns:
    """An auto-associative memory (the IJCNN 2022 CA3 models): a learn stores a pattern and
    echoes it; a recall from a fragment returns the fragment and every stored pattern that holds
    the whole fragment (their union: a fragment shared by two patterns completes both). There are
    no addresses (C = 0); patterns accumulate, nothing is forgotten."""

    def __init__(self, C: int, N: int):
        self.C, self.N = C, N
        self.patterns: list = []

    def apply(self, op) -> Outcome:
        if op.kind == LEARN:
            if op.bits not in self.patterns:
                self.patterns.append(op.bits)
            return Outcome(frozenset(), op.bits)
        if op.kind == RECALL_CONTENT:
            out = set(op.bits)
            for p in self.patterns:
                if op.bits <= p:
                    out |= p
            return Outcome(frozenset(), frozenset(out))
        raise ValidationError("operation", op.kind, "an auto-associative memory learns patterns and completes fragments")

    def expected(self, ops) -> list:
        return [self.apply(op) for op in ops]

    def load(self) -> float:
        return sum(len(p) for p in self.patterns) / self.N

    def matrix(self):
        """(N, N) bool: neurons that share a stored pattern (what the recurrent weights should hold)."""
        import numpy as np
        m = np.zeros((self.N, self.N), dtype=bool)
        for p in self.patterns:
            idx = sorted(p)
            m[np.ix_(idx, idx)] = True
        np.fill_diagonal(m, False)
        return m
