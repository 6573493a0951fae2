"""Cases of the IJCNN 2022 auto-associative CA3 models (spec C.1, C.2): the scripts' input blocks
and seeded random sequences. Operations are harness Store(pattern) (a learn) and
RecallContent(fragment) (a recall); a case's C is the number of patterns a random sequence
stores (there are no addresses: the answers' address arrays are empty)."""
from __future__ import annotations

import numpy as np

from spikemem.description import validation
from spikemem.harness.cases import Case
from spikemem.harness.operations import RecallContent, Store

from .pattern_protocol import OSCILLATORY, REGULATED, PatternTiming

N_PC = 15                       # networkSize of both scripts
RANDOM_SIZE = (2, 15)           # patterns, PCs of the harness's random sequences


def _case(name, ops, timing: PatternTiming, C: int = 0, N: int = N_PC) -> Case:
    timed = tuple((float(t), op) for t, op in ops)
    t0, last = timed[-1]
    return Case(name, C, N, timed, float(timing.window_end(t0, last.kind)))


def _s(*groups) -> frozenset:
    return frozenset(i for g in groups for i in (g if isinstance(g, range) else [g]))


# -- C.1, CA3_oscilatory.py: patterns held 5 steps, 14 ms apart -----------------------------------
def osc_three_orthogonal() -> Case:
    """The active input block: P1, P3, P2 learned at 1, 15, 29; fragments recalled at 43, 57, 71."""
    P1, P2, P3 = _s(range(0, 5)), _s(range(5, 10)), _s(range(10, 15))
    return _case("3_orthogonal", [(1, Store(P1)), (15, Store(P3)), (29, Store(P2)), (43, RecallContent(_s(range(1, 5)))),
                                  (57, RecallContent(_s(range(10, 14)))), (71, RecallContent(_s(range(5, 9))))],
                 OSCILLATORY)


def osc_two_orthogonal() -> Case:
    """A commented block: P1 at 1, P2 at 21, recalls at 41 and 61 (held 41-45: the block's typo, 43
    listed twice and 44 missing, flag D.13, is not replayed)."""
    return _case("2_orthogonal", [(1, Store(_s(range(0, 5)))), (21, Store(_s(range(10, 15)))),
                                  (41, RecallContent(_s(range(1, 5)))), (61, RecallContent(_s(range(10, 14))))],
                 OSCILLATORY)


def osc_two_non_orthogonal() -> Case:
    """A commented block: two patterns sharing PC 7."""
    return _case("2_non_orthogonal", [(1, Store(_s(range(0, 5), 7))), (21, Store(_s(7, range(10, 15)))),
                                      (41, RecallContent(_s(range(1, 5)))), (61, RecallContent(_s(range(10, 14))))],
                 OSCILLATORY)


# -- C.2, CA3_pc_inhibitory.py then CA3_pc_inhibitory_static_syn.py -------------------------------
def reg_two_non_orthogonal() -> Case:
    """The active blocks: A = {1..12, 14} learned at 1, B = {0..13} at 51 (4 presentations 10 ms
    apart each); then the recall script's cues, its time 0 at 90 ms: {0..8} at 91, the shared
    part {1..8} at 105, 120 and 135 (each presented twice, 3 ms apart)."""
    A, B = _s(range(1, 13), 14), _s(range(0, 14))
    return _case("2_non_orthogonal", [(1, Store(A)), (51, Store(B)), (91, RecallContent(_s(range(0, 9)))),
                                      (105, RecallContent(_s(range(1, 9)))), (120, RecallContent(_s(range(1, 9)))),
                                      (135, RecallContent(_s(range(1, 9))))], REGULATED)


def reg_three_orthogonal() -> Case:
    """The commented '4 orthogonal' blocks (three patterns): {0-3}, {4-7}, {8-11} learned at 1, 51,
    101; cues {0,1,2}, {4,5,6}, {8,9,10}. The script presents each cue once, 10 ms apart (flag
    D.15); here every recall follows the README's protocol (twice, 3 ms apart, 14 ms apart)."""
    return _case("3_orthogonal", [(1, Store(_s(range(0, 4)))), (51, Store(_s(range(4, 8)))),
                                  (101, Store(_s(range(8, 12)))), (141, RecallContent(_s(0, 1, 2))),
                                  (155, RecallContent(_s(4, 5, 6))), (169, RecallContent(_s(8, 9, 10)))], REGULATED)


PUBLISHED_OSCILLATORY = {"3_orthogonal": osc_three_orthogonal, "2_orthogonal": osc_two_orthogonal,
                         "2_non_orthogonal": osc_two_non_orthogonal}
PUBLISHED_REGULATED = {"2_non_orthogonal": reg_two_non_orthogonal, "3_orthogonal": reg_three_orthogonal}


def check_spacing(spacing, timing: PatternTiming):
    if spacing is None:
        return None
    return validation.number("spacing", spacing, lo=max(timing.min_gap.values()), hi=validation.MAX_STEPS)


def random_case(timing: PatternTiming, C: int, N: int, n_ops: int, seed: int = 0, spacing: float | None = None,
                content: str = "mixed", phased: bool = False) -> Case:
    """C disjoint random patterns over N PCs (the models' orthogonal regime), learned in a random
    order among recalls from random fragments (at least half the pattern, not the whole of it)
    of the patterns learned so far. phased: every learn before every recall (the regulated model's
    two scripts). spacing: ms between operations, None for the model's minimum."""
    for field, value in (("C", C), ("ops", n_ops)):
        validation.integer(field, value, lo=1)
    validation.integer("N", N, lo=2 * C)
    validation.integer("seed", seed, lo=0)
    validation.choice("content", content, {"mixed"})
    spacing = check_spacing(spacing, timing)
    rng = np.random.default_rng(seed)
    patterns = [frozenset(p.tolist()) for p in np.array_split(rng.permutation(N), C)]
    learned, timed, t = [], [], timing.first_ms
    for k in range(n_ops):
        must_learn = not learned or (phased and len(learned) < C)
        if must_learn or (len(learned) < C and rng.random() < 0.4 and not phased):
            op = Store(patterns[len(learned)])
            learned.append(op.bits)
        else:
            p = sorted(learned[int(rng.integers(len(learned)))])
            size = int(rng.integers((len(p) + 1) // 2, len(p)))
            op = RecallContent(frozenset(int(i) for i in rng.choice(p, size=size, replace=False)))
        timed.append((t, op))
        t += max(timing.min_gap[op.kind], spacing or 0)
    return _case(f"random_{C}x{N}_{n_ops}ops_seed{seed}", timed, timing, C, N)
