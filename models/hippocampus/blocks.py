"""The sPyBlocks parts of the hippocampus memory (spec A.6): the constant spike source, the
n-bit decoder and the encoder, gate by gate, as populations and projections.

sPyBlocks makes every gate its own one-neuron population; here the gates of one role share a
population (DG_NOT, DG_OR, DG, CA1) and each pre/post pair of the authors' per-gate
projections is one row of an explicit list, with the same weight, delay and receptor.
"""
from __future__ import annotations

import numpy as np

from spikemem import AllToAllConnector, FromListConnector, OneToOneConnector, Population, Projection, SpikeSourceArray

from .names import CA1, CA3_CUE, CSS_LATCH, CSS_SET, DG, DG_NOT, DG_OR, IN_CUE


def cue_width(C: int) -> int:
    """n = ceil(log2(C + 1)): the binary cue's width (A.1); value 0 means no cue."""
    return int(C).bit_length()


def bit_pairs(n_pre: int, values, want: int) -> tuple:
    """(pre bit i, post index k) for every value of `values` (indexed by k) whose bit i is `want`."""
    return tuple((i, k) for k, v in enumerate(values) for i in range(n_pre) if (v >> i & 1) == want)


def constant_source(cell, w: float, at_ms: float) -> tuple:
    """A.6.1: a set spike at `at_ms` starts a self-exciting latch that fires every step after."""
    one = AllToAllConnector()
    pops = [Population(CSS_SET, 1, SpikeSourceArray(((float(at_ms),),))), Population(CSS_LATCH, 1, cell)]
    projs = [Projection("css_set_latch", CSS_SET, CSS_LATCH, one, w, 1.0),
             Projection("css_latch_self", CSS_LATCH, CSS_LATCH, one, w, 1.0)]
    return pops, projs


def decoder(n: int, cell, w: float) -> tuple:
    """A.6.2-A.6.3: NOT gates fed by the constant source, and 2^n classic AND gates (an OR
    neuron inhibiting the output one step later) whose inputs are aligned by their delays:
    an input pattern of step t makes DG[value] fire at t + 3."""
    values = range(2 ** n)
    zero, one_ = bit_pairs(n, values, 0), bit_pairs(n, values, 1)
    P, A = Projection, AllToAllConnector()
    pops = [Population(DG_NOT, n, cell), Population(DG_OR, 2 ** n, cell), Population(DG, 2 ** n, cell)]
    projs = [
        P("css_set_not", CSS_SET, DG_NOT, A, w, 1.0),                                       # 3
        P("css_latch_not", CSS_LATCH, DG_NOT, A, w, 1.0),                                   # 4
        P("in_not", IN_CUE, DG_NOT, OneToOneConnector(), w, 1.0, "inhibitory"),             # 5
        P("not_or", DG_NOT, DG_OR, FromListConnector(zero), w, 1.0),                        # 6
        P("not_and", DG_NOT, DG, FromListConnector(zero), w, 2.0),                          # 7
        P("in_or", IN_CUE, DG_OR, FromListConnector(one_), w, 2.0),                         # 8
        P("in_and", IN_CUE, DG, FromListConnector(one_), w, 3.0),                           # 9
        P("or_and", DG_OR, DG, OneToOneConnector(), w * (n - 1), 1.0, "inhibitory"),       # 10
    ]
    return pops, projs


def encoder(n: int, C: int, cell, w: float) -> tuple:
    """A.6.6: n OR gates; CA3cue[c] excites CA1[k] for every 1-bit k of the cue value c + 1."""
    pairs = tuple((c, k) for k, c in bit_pairs(n, [c + 1 for c in range(C)], 1))
    return [Population(CA1, n, cell)], [Projection("ca3cue_ca1", CA3_CUE, CA1, FromListConnector(pairs), w, 1.0)]


def decoder_targets(C: int) -> FromListConnector:
    """A.5 row 11: DG[v] -> CA3cue[v - 1] for v = 1..C."""
    return FromListConnector(tuple((v, v - 1) for v in range(1, C + 1)))


def value_bits(values: np.ndarray, n: int) -> np.ndarray:
    """(..., n) bool: bit i of each value, IN[0] the least significant."""
    return (np.asarray(values)[..., None] >> np.arange(n) & 1).astype(bool)
