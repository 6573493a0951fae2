"""The input protocol and output decoder of the one-hot memories with forgetting (spec A.8-A.9,
B.1, B.2): learn(cue, content) and recall(cue), on whole batches of cases at once.

In the harness vocabulary a cue is the memory slot `address` (0..C-1), CA3cue[address]. The
binary-cue models (hippocampus, hippocampus_dg_ca1) present the cue value address + 1 on their
n cue bits (IN[0] the least significant); the one-hot model (ca3_onehot) spikes IN[address].
A learn holds cue and content on 3 consecutive steps, a recall spikes the cue once. An
operation's answer is the OUTcue and OUTcont spikes in [t0 + out_lo, t0 + out_hi]: the binary
cue bits are read back as a value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spikemem import SpikeEvents, ValidationError
from spikemem.harness.operations import LEARN, RECALL_CUE
from spikemem.harness.oracle import IdealOneHot
from spikemem.harness.scoring import score

from .blocks import cue_width, value_bits
from .names import IN_CONT, IN_CUE, OUT_CONT, OUT_CUE


@dataclass(frozen=True)
class Timing:
    """A one-hot model's protocol, in ms (all derived in the spec from the coded delays).

    hold: the offsets a learn repeats its input at; min_gap: ms to the next operation after
    each kind; first_ms: the earliest first operation; [out_lo, out_hi]: where an operation's
    outputs lie (a learn's second echo is the last); binary: binary cue bits or one-hot cues."""

    name: str
    min_gap: dict = field(default_factory=lambda: {LEARN: 7.0, RECALL_CUE: 6.0})
    first_ms: float = 1.0
    out_lo: float = 6.0
    out_hi: float = 8.0
    binary: bool = True
    hold: tuple = (0.0, 1.0, 2.0)

    def cue_size(self, C: int) -> int:
        return cue_width(C) if self.binary else C

    def window_end(self, t0: float, kind: str | None = None) -> float:
        """Where a batch run whose last operation starts at t0 ends (ms, exclusive)."""
        return t0 + self.out_hi + 1

    def check_timing(self, timed_ops, dt: float = 1.0, field: str = "operations") -> None:
        """Refuse operations that break the minimum spacing, the first start or the dt grid,
        and kinds the model does not have."""
        check_schedule(timed_ops, self.min_gap, dt, field, f"{self.name} has no such operation "
                                                           f"(only {', '.join(self.min_gap)})", self.first_ms)


def check_schedule(timed_ops, min_gap: dict, dt: float, field: str, unknown: str, first_ms: float = 0.0) -> None:
    """The scheduling rules of every model of the family: known kinds, times >= 0 on the dt
    grid, the first at >= first_ms, each at least min_gap[kind of the one before] after it."""
    prev = None
    for k, (t0, op) in enumerate(timed_ops):
        if op.kind not in min_gap:
            raise ValidationError(f"{field}[{k}]", op.kind, unknown)
        if t0 < 0 or abs(t0 / dt - round(t0 / dt)) > 1e-9:
            raise ValidationError(f"{field}[{k}].t0", t0, f"must be >= 0 and on the dt={dt} ms grid")
        if k == 0 and t0 < first_ms:
            raise ValidationError(f"{field}[{k}].t0", t0, f"the first operation must start at >= {first_ms:g} ms "
                                                          "(spec A.6.4)")
        if prev is not None:
            gap = min_gap[prev[1].kind]
            if t0 - prev[0] < gap:
                raise ValidationError(f"{field}[{k}].t0", t0, f"is {t0 - prev[0]:g} ms after a {prev[1].kind} "
                                                              f"at {prev[0]:g}; needs >= {gap:g} ms")
        prev = (t0, op)


HIPPOCAMPUS = Timing("hippocampus")                                        # A.8, A.9
ONEHOT = Timing("ca3_onehot", {LEARN: 7.0, RECALL_CUE: 5.0}, 0.0, 2.0, 4.0, binary=False)   # B.1
DG_CA1 = Timing("hippocampus_dg_ca1", {LEARN: 7.0, RECALL_CUE: 5.0}, 0.0, 4.0, 6.0)         # B.2


def input_events(cases, timing: Timing, dt: float = 1.0, check: bool = True) -> dict:
    """Backend inputs for a batch, one trial per case: INcue and INcont SpikeEvents."""
    C, N, B = cases[0].C, cases[0].N, len(cases)
    n = timing.cue_size(C)
    cue, cont = ([], [], []), ([], [], [])
    for b, case in enumerate(cases):
        if check:
            timing.check_timing(case.timed_ops, dt, case.name)
        for t0, op in case.timed_ops:
            s0 = int(round(t0 / dt))
            if timing.binary:
                neurons = np.flatnonzero(value_bits(op.address + 1, n)).tolist()
            else:
                neurons = [op.address]
            bits = sorted(op.bits) if op.kind == LEARN else []
            for off in (timing.hold if op.kind == LEARN else (0.0,)):
                s = s0 + round(off / dt)
                for target, idx in ((cue, neurons), (cont, bits)):
                    target[0].extend([b] * len(idx))
                    target[1].extend([s] * len(idx))
                    target[2].extend(idx)
    return {IN_CUE: SpikeEvents.from_arrays(*cue, n, B, IN_CUE), IN_CONT: SpikeEvents.from_arrays(*cont, N, B, IN_CONT)}


def decode(result, cases, timing: Timing, dt: float = 1.0) -> tuple:
    """Bool arrays (B, K, C) and (B, K, N): the cue and the content bits each operation answered with."""
    B, K, C, N = len(cases), max(len(c.timed_ops) for c in cases), cases[0].C, cases[0].N
    pad = result.steps + 1
    t0 = np.full((B, K), pad, dtype=np.int64)
    for b, case in enumerate(cases):
        t0[b, :len(case.timed_ops)] = [round(t / dt) for t, _ in case.timed_ops]
    lo, hi = round(timing.out_lo / dt), round(timing.out_hi / dt)
    stride = pad + 1
    keys = (t0 + stride * np.arange(B)[:, None]).ravel()      # sorted: t0 grows within a trial
    out = []
    for pop, n in ((OUT_CUE, timing.cue_size(C)), (OUT_CONT, N)):
        trial, step, neuron = result.spikes[pop]
        g = np.searchsorted(keys, trial * stride + step - lo, side="right") - 1   # last op with t0 + lo <= step
        k = g - trial * K
        ok = (k >= 0) & (k < K)
        ok[ok] &= step[ok] <= t0[trial[ok], k[ok]] + hi
        m = np.zeros((B, K, n), dtype=bool)
        m[trial[ok], k[ok], neuron[ok]] = True
        out.append(m)
    cue, bits = out
    if not timing.binary:
        return cue, bits
    value = (cue * (1 << np.arange(cue.shape[-1]))).sum(-1)
    addr = np.zeros((B, K, C), dtype=bool)
    b, k = np.nonzero((value >= 1) & (value <= C))
    addr[b, k, value[b, k] - 1] = True
    return addr, bits


def score_cases(result, cases, timing: Timing, dt: float = 1.0):
    """Decode a batch run and score it against the ideal one-hot memory (a harness Report)."""
    return score(cases, decode(result, cases, timing, dt), IdealOneHot)
