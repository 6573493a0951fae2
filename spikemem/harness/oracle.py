"""An ideal content-addressable memory: what every operation should return."""
from __future__ import annotations

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
