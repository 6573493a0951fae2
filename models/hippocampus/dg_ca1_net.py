"""Part B.2: sPyMem `hippocampus_bioinspired_dg_ca1` (spec B.2): the binary cue of Part A, with
DG and CA1 as plain neuron layers instead of sPyBlocks gates.

DG has one neuron per cue value 1..C, an exact-match detector: every 1-bit of its value
excites it with 3.0 / (number of 1-bits) nA and every 0-bit inhibits it with 3.0 nA (3.0 =
v_thresh - v_reset + 0.5), and DG neurons inhibit each other (2.5 nA). CA1 re-encodes the slot
as its binary value (w 6).
"""
from __future__ import annotations

import numpy as np

from spikemem import AllToAllConnector, FromListConnector, OneToOneConnector, Population, Projection, SpikeSourceArray

from .assemble import network, plastic_init, size
from .blocks import bit_pairs, cue_width
from .names import CA1, CA3_CONT, CA3_CUE, DG, IN_CONT, IN_CUE, OUT_CONT, OUT_CUE
from .params import DGCA1Params

RECORDED = (DG, CA3_CUE, CA3_CONT, CA1, OUT_CUE, OUT_CONT)
PLASTIC = "ca3cue_ca3cont"


def build_dg_ca1(C: int, N: int, params: DGCA1Params | None = None, *, init_weights=None,
                 record_v: bool = False, record_weights: bool = False):
    p = params or DGCA1Params()
    C, N = size("C", C), size("N", N)
    n = cue_width(C)
    values = [v + 1 for v in range(C)]
    ones, zeros = bit_pairs(n, values, 1), bit_pairs(n, values, 0)       # (bit i, DG index v - 1)
    popcount = np.array([bin(v).count("1") for v in values], dtype=float)
    one = OneToOneConnector()
    pops = [Population(IN_CUE, n, SpikeSourceArray()), Population(IN_CONT, N, SpikeSourceArray()),
            Population(DG, C, p.dg), Population(CA3_CUE, C, p.ca3_cue), Population(CA3_CONT, N, p.ca3_cont),
            Population(CA1, n, p.ca1), Population(OUT_CUE, n, p.out), Population(OUT_CONT, N, p.out)]
    P = Projection
    projs = [P("in_dg_exc", IN_CUE, DG, FromListConnector(ones), p.w_dg / popcount[[k for _, k in ones]], 1.0)]
    if zeros:
        projs.append(P("in_dg_inh", IN_CUE, DG, FromListConnector(zeros), p.w_dg, 1.0, "inhibitory"))
    if C > 1:
        projs.append(P("dg_lateral", DG, DG, AllToAllConnector(allow_self_connections=False), p.w_dg_lateral, 1.0,
                       "inhibitory"))
    projs += [P("dg_ca3cue", DG, CA3_CUE, one, p.w, 1.0),
              P("in_ca3cont", IN_CONT, CA3_CONT, one, p.w, p.d_in_cont),
              P(PLASTIC, CA3_CUE, CA3_CONT, AllToAllConnector(),
                plastic_init(init_weights, (C, N), p.w_init_plastic, "init_weights"), 1.0, plasticity=p.stdp),
              P("ca3cue_ca1", CA3_CUE, CA1, FromListConnector(tuple((k, i) for i, k in ones)), p.w, 1.0),
              P("ca1_out", CA1, OUT_CUE, one, p.w, 1.0),
              P("ca3cont_out", CA3_CONT, OUT_CONT, one, p.w, p.d_cont_out)]
    return network(f"hippocampus_dg_ca1_{C}x{N}", pops, projs, p, (IN_CUE, IN_CONT) + RECORDED,
                   v=(CA3_CUE, CA3_CONT) if record_v else (), weights=(PLASTIC,) if record_weights else ())
