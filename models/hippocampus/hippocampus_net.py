"""Part A: the DG-CA3-CA1 one-hot memory with forgetting (spec A.4-A.7), projection by projection.

IN (INcue: n binary cue bits, IN[0] the least significant; INcont: N content bits) -> the
sPyBlocks decoder DG (2^n AND outputs, DG[v] fires 3 ms after cue value v) -> CA3cue[v-1]
(one-hot) -> plastic CA3cue -> CA3cont <- IN content (4 ms) ; CA3cue -> the CA1 encoder (n OR
gates) -> OUTcue; CA3cont -> OUTcont.
"""
from __future__ import annotations

from spikemem import AllToAllConnector, OneToOneConnector, Population, Projection, SpikeSourceArray

from . import blocks
from .assemble import network, plastic_init, size
from .names import CA1, CA3_CONT, CA3_CUE, DG, IN_CONT, IN_CUE, OUT_CONT, OUT_CUE
from .params import HippocampusParams

RECORDED = (DG, CA3_CUE, CA3_CONT, CA1, OUT_CUE, OUT_CONT)     # what the authors recorded
PLASTIC = "ca3cue_ca3cont"
V_RECORDED = (CA3_CUE, CA3_CONT)


def build_hippocampus(C: int, N: int, params: HippocampusParams | None = None, *, init_weights=None,
                      record_v: bool = False, record_weights: bool = False, record_gates: bool = False):
    """A C-cue x N-bit memory with its IN sources and OUT harness layer (A.5, 16 projection rows).

    init_weights preloads CA3cue -> CA3cont, (C, N) nA (sPyMem's initCA3W). record_gates also
    records the decoder's NOT and OR neurons and the constant spike source's latch."""
    p = params or HippocampusParams()
    C, N = size("C", C), size("N", N)
    n = blocks.cue_width(C)
    one = OneToOneConnector()
    css_pops, css_projs = blocks.constant_source(p.gate, p.w_gate, p.css_time)
    dec_pops, dec_projs = blocks.decoder(n, p.gate, p.w_gate)
    enc_pops, enc_projs = blocks.encoder(n, C, p.gate, p.w_gate)
    pops = [Population(IN_CUE, n, SpikeSourceArray()), Population(IN_CONT, N, SpikeSourceArray()),
            *css_pops, *dec_pops, Population(CA3_CUE, C, p.ca3_cue), Population(CA3_CONT, N, p.ca3_cont),
            *enc_pops, Population(OUT_CUE, n, p.out), Population(OUT_CONT, N, p.out)]
    P = Projection
    projs = [*css_projs, *dec_projs,
             P("dg_ca3cue", DG, CA3_CUE, blocks.decoder_targets(C), p.w, 1.0),                  # 11
             P("in_ca3cont", IN_CONT, CA3_CONT, one, p.w, p.d_in_cont),                       # 12
             P(PLASTIC, CA3_CUE, CA3_CONT, AllToAllConnector(),                                # 13
               plastic_init(init_weights, (C, N), p.w_init_plastic, "init_weights"), 1.0, plasticity=p.stdp),
             *enc_projs,                                                                      # 14
             P("ca1_out", CA1, OUT_CUE, one, p.w, 1.0),                                        # 15
             P("ca3cont_out", CA3_CONT, OUT_CONT, one, p.w, p.d_cont_out)]                     # 16
    hidden = ("CSS_latch", "DG_NOT", "DG_OR") if record_gates else ()
    return network(f"hippocampus_{C}x{N}", pops, projs, p, (IN_CUE, IN_CONT) + RECORDED + hidden,
                   v=V_RECORDED if record_v else (), weights=(PLASTIC,) if record_weights else ())
