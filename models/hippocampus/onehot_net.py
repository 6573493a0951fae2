"""Part B.1: sPyMem `ca3`, the one-hot CA3 without DG and CA1 (spec B.1).

IN (INcue: one neuron per cue slot; INcont: N bits) -> CA3cue, CA3cont one-to-one (w 6, d 1);
plastic CA3cue -> CA3cont as in Part A; CA3cue -> OUTcue and CA3cont -> OUTcont (w 6, d 1).
"""
from __future__ import annotations

from spikemem import AllToAllConnector, OneToOneConnector, Population, Projection, SpikeSourceArray

from .assemble import network, plastic_init, size
from .names import CA3_CONT, CA3_CUE, IN_CONT, IN_CUE, OUT_CONT, OUT_CUE
from .params import OneHotParams

RECORDED = (CA3_CUE, CA3_CONT, OUT_CUE, OUT_CONT)
PLASTIC = "ca3cue_ca3cont"


def build_ca3_onehot(C: int, N: int, params: OneHotParams | None = None, *, init_weights=None,
                     record_v: bool = False, record_weights: bool = False):
    """A C-slot x N-bit one-hot CA3 with its IN sources and OUT layer; init_weights preloads
    CA3cue -> CA3cont, (C, N) nA (sPyMem's initCA3W)."""
    p = params or OneHotParams()
    C, N = size("C", C), size("N", N)
    one = OneToOneConnector()
    pops = [Population(IN_CUE, C, SpikeSourceArray()), Population(IN_CONT, N, SpikeSourceArray()),
            Population(CA3_CUE, C, p.ca3_cue), Population(CA3_CONT, N, p.ca3_cont),
            Population(OUT_CUE, C, p.out), Population(OUT_CONT, N, p.out)]
    P = Projection
    projs = [P("in_ca3cue", IN_CUE, CA3_CUE, one, p.w, 1.0),
             P("in_ca3cont", IN_CONT, CA3_CONT, one, p.w, 1.0),
             P(PLASTIC, CA3_CUE, CA3_CONT, AllToAllConnector(),
               plastic_init(init_weights, (C, N), p.w_init_plastic, "init_weights"), 1.0, plasticity=p.stdp),
             P("ca3cue_out", CA3_CUE, OUT_CUE, one, p.w, 1.0),
             P("ca3cont_out", CA3_CONT, OUT_CONT, one, p.w, 1.0)]
    return network(f"ca3_onehot_{C}x{N}", pops, projs, p, (IN_CUE, IN_CONT) + RECORDED,
                   v=(CA3_CUE, CA3_CONT) if record_v else (), weights=(PLASTIC,) if record_weights else ())
