"""The protocol of the IJCNN 2022 auto-associative CA3 models (spec C.1, C.2): learn a pattern,
recall it from a fragment, on whole batches of cases.

An operation presents a set of DG inputs (one per pyramidal cell): the oscillatory model holds
it on 5 consecutive steps (learn and recall alike); the regulated model presents a pattern to
learn 4 times 10 ms apart, with the LEARNING source spiking at each presentation, and a recall
cue twice, 3 ms apart. The next operation comes >= 10 ms after the last input spike. The answer
is the set of PCs that fire in the operation's window: from t0 + 3 for the oscillatory model
(the previous pattern keeps oscillating until the new input takes over, within 2 steps), from
t0 + 1 for the regulated one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikemem import SpikeEvents
from spikemem.harness.operations import LEARN, RECALL_CONTENT
from spikemem.harness.oracle import IdealPatterns
from spikemem.harness.scoring import score

from .names import DG_IN, LEARNING, PC
from .protocol import check_schedule


@dataclass(frozen=True)
class PatternTiming:
    name: str
    offsets: dict            # kind -> ms offsets of an operation's input presentations
    windows: dict            # kind -> (lo, hi) ms after t0 where its answer lies
    learning_source: bool = False
    settle_ms: float = 10.0  # from the last input spike to the next operation
    first_ms: float = 1.0

    @property
    def min_gap(self) -> dict:
        return {k: off[-1] + self.settle_ms for k, off in self.offsets.items()}

    def window_end(self, t0: float, kind: str | None = None) -> float:
        """Where a batch run whose last operation (of this kind; None: the longest) starts at t0 ends (ms, exclusive)."""
        return t0 + (self.windows[kind][1] if kind else max(hi for _, hi in self.windows.values())) + 1

    def check_timing(self, timed_ops, dt: float = 1.0, field: str = "operations") -> None:
        check_schedule(timed_ops, self.min_gap, dt, field,
                       f"{self.name} learns patterns and recalls them from fragments (no recall by cue)")


OSCILLATORY = PatternTiming("ca3_oscillatory", {LEARN: (0, 1, 2, 3, 4), RECALL_CONTENT: (0, 1, 2, 3, 4)},
                            {LEARN: (3, 7), RECALL_CONTENT: (3, 7)})
REGULATED = PatternTiming("ca3_regulated", {LEARN: (0, 10, 20, 30), RECALL_CONTENT: (0, 3)},
                          {LEARN: (1, 31), RECALL_CONTENT: (1, 6)}, learning_source=True)


def input_events(cases, timing: PatternTiming, dt: float = 1.0, check: bool = True) -> dict:
    """Backend inputs for a batch, one trial per case: DG (and LEARNING where the model has it)."""
    N, B = cases[0].N, len(cases)
    dg, learning = ([], [], []), ([], [], [])
    for b, case in enumerate(cases):
        if check:
            timing.check_timing(case.timed_ops, dt, case.name)
        for t0, op in case.timed_ops:
            bits = sorted(op.bits)
            for off in timing.offsets[op.kind]:
                s = int(round((t0 + off) / dt))
                dg[0].extend([b] * len(bits))
                dg[1].extend([s] * len(bits))
                dg[2].extend(bits)
                if timing.learning_source and op.kind == LEARN:
                    learning[0].append(b)
                    learning[1].append(s)
                    learning[2].append(0)
    out = {DG_IN: SpikeEvents.from_arrays(*dg, N, B, DG_IN)}
    if timing.learning_source:
        out[LEARNING] = SpikeEvents.from_arrays(*learning, 1, B, LEARNING)
    return out


def decode(result, cases, timing: PatternTiming, dt: float = 1.0) -> tuple:
    """Bool arrays (B, K, C) (no addresses: all False) and (B, K, N): the PCs each operation answered with."""
    B, K, C, N = len(cases), max(len(c.timed_ops) for c in cases), cases[0].C, cases[0].N
    pad = result.steps + 1
    t0 = np.full((B, K), pad, dtype=np.int64)
    lo = np.zeros((B, K), dtype=np.int64)
    hi = np.full((B, K), -1, dtype=np.int64)
    for b, case in enumerate(cases):
        for k, (t, op) in enumerate(case.timed_ops):
            t0[b, k] = round(t / dt)
            lo[b, k], hi[b, k] = (round(x / dt) for x in timing.windows[op.kind])
    stride = pad + 1
    keys = (t0 + stride * np.arange(B)[:, None]).ravel()
    trial, step, neuron = result.spikes[PC]
    g = np.searchsorted(keys, trial * stride + step - 1, side="right") - 1     # last op with t0 < step
    k = g - trial * K
    ok = (k >= 0) & (k < K)
    since = step[ok] - t0[trial[ok], k[ok]]
    ok[ok] = (since >= lo[trial[ok], k[ok]]) & (since <= hi[trial[ok], k[ok]])
    bits = np.zeros((B, K, N), dtype=bool)
    bits[trial[ok], k[ok], neuron[ok]] = True
    return np.zeros((B, K, C), dtype=bool), bits


def score_cases(decoded, cases):
    """Score decoded answers against the ideal auto-associative memory (a harness Report)."""
    return score(cases, decoded, IdealPatterns)
