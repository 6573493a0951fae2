"""The CA3 input protocol and output decoder (docs/ca3_protocol.md, 6 Operations and 7 Decoding).

learn(c, B): IN[c] and IN[C+b] spike at t0, t0+1, t0+2; recall by cue: one spike of IN[c];
recall by content: one spike of each queried bit. The answer is the OUT spikes in
(t0, t0 + 7]. Everything here works on whole batches of cases at once.
"""
from __future__ import annotations

import numpy as np

from spikemem import SpikeEvents, ValidationError
from spikemem.harness.operations import LEARN, RECALL_CUE
from spikemem.harness.scoring import score

from .builder import IN_CONT, IN_CUE, LEARN_GATE, OUT_CONT, OUT_CUE
from .cases import MIN_GAP, WINDOW

HOLD_MS = (0.0, 1.0, 2.0)   # a learn repeats its input at t0, t0+1 and t0+2 ms


def check_timing(timed_ops, dt: float = 1.0, field: str = "operations") -> None:
    """Refuse operations that break the minimum spacing or the dt grid."""
    prev = None
    for k, (t0, op) in enumerate(timed_ops):
        if t0 < 0 or abs(t0 / dt - round(t0 / dt)) > 1e-9:
            raise ValidationError(f"{field}[{k}].t0", t0, f"must be >= 0 and on the dt={dt} ms grid")
        if prev is not None:
            gap = MIN_GAP[prev[1].kind]
            if t0 - prev[0] < gap:
                raise ValidationError(f"{field}[{k}].t0", t0,
                                      f"is {t0 - prev[0]:g} ms after a {prev[1].kind} at {prev[0]:g}; needs >= {gap} ms")
        prev = (t0, op)


def _op_spikes(op):
    """(offsets in ms, cue neurons, content neurons) of one operation."""
    if op.kind == LEARN:
        return HOLD_MS, [op.address], sorted(op.bits)
    if op.kind == RECALL_CUE:
        return (0.0,), [op.address], []
    return (0.0,), [], sorted(op.bits)


def input_events(cases, dt: float = 1.0, gate: bool = False) -> dict:
    """Backend inputs for a batch: one trial per case.

    gate=True also drives the gated variant's learning gate over each learn operation's
    exclusive time, [t0, t0 + 7 ms).
    """
    cue, cont, gates = ([], [], []), ([], [], []), ([], [], [])
    for b, case in enumerate(cases):
        check_timing(case.timed_ops, dt, case.name)
        for t0, op in case.timed_ops:
            s0 = int(round(t0 / dt))
            offs, cues, bits = _op_spikes(op)
            for off in offs:
                for target, idx in ((cue, cues), (cont, bits)):
                    target[0].extend([b] * len(idx))
                    target[1].extend([s0 + round(off / dt)] * len(idx))
                    target[2].extend(idx)
            if gate and op.kind == LEARN:
                n = round(MIN_GAP[LEARN] / dt)
                gates[0].extend([b] * n)
                gates[1].extend(range(s0, s0 + n))
                gates[2].extend([0] * n)
    C, N, B = cases[0].C, cases[0].N, len(cases)
    out = {IN_CUE: SpikeEvents.from_arrays(*cue, C, B, IN_CUE),
           IN_CONT: SpikeEvents.from_arrays(*cont, N, B, IN_CONT)}
    if gate:
        out[LEARN_GATE] = SpikeEvents.from_arrays(*gates, 1, B, LEARN_GATE)
    return out


def spike_trains(case, dt: float = 1.0) -> tuple:
    """(cue trains, content trains) in ms, the golden-file input layout."""
    ev = input_events([case], dt)
    out = []
    for pop, n in ((IN_CUE, case.C), (IN_CONT, case.N)):
        trains = [[] for _ in range(n)]
        e = ev[pop]
        for s, i in zip(e.step, e.neuron):
            trains[i].append(float(s * dt))
        out.append(trains)
    return tuple(out)


def decode(result, cases, dt: float = 1.0, window: float = WINDOW) -> tuple:
    """Bool arrays (B, K, C) and (B, K, N): the OUT neurons that spiked in each operation's window."""
    B, K = len(cases), max(len(c.timed_ops) for c in cases)
    pad = result.steps + 1
    t0 = np.full((B, K), pad, dtype=np.int64)
    for b, case in enumerate(cases):
        t0[b, :len(case.timed_ops)] = [round(t / dt) for t, _ in case.timed_ops]
    stride = pad + 1
    keys = (t0 + stride * np.arange(B)[:, None]).ravel()      # sorted: t0 grows within a trial
    out = []
    for pop, n in ((OUT_CUE, cases[0].C), (OUT_CONT, cases[0].N)):
        trial, step, neuron = result.spikes[pop]
        g = np.searchsorted(keys, trial * stride + step, side="left") - 1   # last op with t0 < step
        k = g - trial * K
        ok = (k >= 0) & (k < K)
        ok[ok] &= step[ok] <= t0[trial[ok], k[ok]] + round(window / dt)
        m = np.zeros((B, K, n), dtype=bool)
        m[trial[ok], k[ok], neuron[ok]] = True
        out.append(m)
    return tuple(out)


def score_cases(result, cases, dt: float = 1.0, window: float = WINDOW):
    """Decode a batch run and score it against the ideal memory (a harness Report)."""
    return score(cases, decode(result, cases, dt, window))
