"""The CA3 memory's cases: its published experiments and seeded random sequences.

The published experiments are spelled out from the paper's section 3 (docs/ca3_protocol.md);
random sequences are seeded and may use any size and spacing. MIN_GAP and WINDOW are the
protocol's timing: the minimum spacing after each kind of operation and the decode window.
"""
from __future__ import annotations

import numpy as np

from spikemem.description import validation
from spikemem.harness.cases import Case
from spikemem.harness.operations import LEARN, Learn, Recall, RecallContent

MIN_GAP = {LEARN: 7, "recall_cue": 6, "recall_content": 6}   # ms after an operation of this kind
WINDOW = 7   # an operation's answer lies in (t0, t0 + WINDOW] ms
RANDOM_SIZE = (5, 10)   # C, N of the harness's random sequences (the published experiments' size)


def check_spacing(spacing):
    """None (the minimum spacing) or ms between operations, at least the longest minimum gap:
    a smaller spacing could not be kept after a learn, so it is refused, not silently raised."""
    if spacing is None:
        return None
    return validation.number("spacing", spacing, lo=max(MIN_GAP.values()), hi=validation.MAX_STEPS)


def functional() -> Case:
    """Experiment 1 (docs/ca3_protocol.md, 11): learn, recall by cue and by fragment, forget; 10 ms apart."""
    ops = [Learn(0, frozenset({0, 1, 8, 9})), Learn(4, frozenset({1, 5, 6})), Learn(3, frozenset({4, 5, 6})),
           Recall(0), RecallContent(frozenset({6})), RecallContent(frozenset({0, 4})),
           Learn(3, frozenset({1, 3, 4, 8})), Recall(3), RecallContent(frozenset({6}))]
    return Case("functional", 5, 10, tuple((10.0 * k, op) for k, op in enumerate(ops)), 90.0)


def _bits_of(value: int, n: int) -> frozenset:
    return frozenset(j for j in range(n) if value >> j & 1)   # LSB first


def stress_pyramidal() -> Case:
    """Experiment 2 (docs/ca3_protocol.md, 11): three phases of learn / recall-by-cue / 1-bit recalls, 14 ms apart."""
    C, N, timed = 5, 10, []
    for phase, start in enumerate((1, 281, 561)):
        for i in range(C):
            v = i + 1 if phase != 1 else (~(i + 1)) & (2 ** N - 1)
            timed.append((start + 14.0 * i, Learn(i, _bits_of(v, N))))
        for i in range(C):
            timed.append((start + 70 + 14.0 * i, Recall(i)))
        for j in range(N):
            timed.append((start + 140 + 14.0 * j, RecallContent(frozenset({j}))))
    return Case("stress", C, N, tuple(timed), 851.0)


STATE_MAP = ((0, 5, 1, 3), (0, 3, 4, 5), (0, 5, 4, 3), (2, 4, 4, 3))


def state_map() -> Case:
    """Experiment 3 (docs/ca3_protocol.md, 11): a 4x4 map of 6 flag states, learned and queried at minimum spacing."""
    cells = [s for row in STATE_MAP for s in row]
    timed = [(7.0 * k, Learn(k, frozenset({s}))) for k, s in enumerate(cells)]
    for q, bits in enumerate(({1, 2, 4}, {3}, {5}, {0})):
        timed.append((112.0 + 6 * q, RecallContent(frozenset(bits))))
    return Case("state_map", 16, 6, tuple(timed), 140.0)


def random_case(C: int, N: int, n_ops: int, seed: int = 0, spacing: float | None = None,
                content: str = "mixed", max_bits: int | None = None) -> Case:
    """A seeded random mix of learns, recalls by cue and recalls by content.

    content: 'none' (learns and recalls by cue), 'single' (1-bit fragments) or 'mixed'
    (1-bit and multi-bit fragments). spacing: ms between operations, None for the minimum.
    """
    for field, value in (("C", C), ("N", N), ("ops", n_ops)):
        validation.integer(field, value, lo=1)
    validation.integer("seed", seed, lo=0)
    validation.choice("content", content, {"none", "single", "mixed"})
    spacing = check_spacing(spacing)
    if max_bits is not None:
        validation.integer("max_bits", max_bits, lo=1, hi=N)
    rng = np.random.default_rng(seed)
    max_bits = max_bits or max(1, N // 4)
    stored: dict[int, frozenset] = {}
    timed, t = [], 0.0
    for _ in range(n_ops):
        t0 = t
        r = rng.random()
        if not stored or r < 0.4:
            k = int(rng.integers(1, max_bits + 1))
            op = Learn(int(rng.integers(C)), frozenset(int(b) for b in rng.choice(N, size=k, replace=False)))
            stored[op.address] = op.bits
        elif content == "none" or r < 0.7:
            op = Recall(int(rng.choice(sorted(stored))))
        else:
            source = sorted(stored[int(rng.choice(sorted(stored)))])
            k = 1 if content == "single" or rng.random() < 0.5 else int(rng.integers(1, len(source) + 1))
            op = RecallContent(frozenset(int(b) for b in rng.choice(source, size=k, replace=False)))
        timed.append((t0, op))
        t = t0 + max(MIN_GAP[op.kind], spacing or 0)
    return Case(f"random_{C}x{N}_{n_ops}ops_seed{seed}", C, N, tuple(timed), t0 + WINDOW + 1)


PUBLISHED = {"functional": functional, "stress": stress_pyramidal, "state_map": state_map}
