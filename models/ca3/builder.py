"""Build the CA3 content-addressable memory of Casanueva-Morato et al. as a spikemem Network.

Populations and projections follow docs/ca3_protocol.md, 3 and 4, row by row. The
input layer is split into INcue / INcont sources and the harness output into OUTcue / OUTcont,
so that every projection is a plain OneToOne or all-to-all between whole populations.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from spikemem import (AllToAllConnector, Network, OneToOneConnector, Population,
                      Projection, Recording, Simulation, SpikeSourceArray, ValidationError)
from spikemem.description.overrides import override

from .params import CA3Params

CUE_CUE, CONT_CUE = "CA3cueCueRecall", "CA3contCueRecall"
COND, COND_INT = "CA3contCond", "CA3contCondInt"
CUE_CONT, CONT_CONT = "CA3cueContRecall", "CA3contContRecall"
MERGE_CUE, MERGE_CONT = "CA3MergeCue", "CA3MergeCont"
IN_CUE, IN_CONT, OUT_CUE, OUT_CONT = "INcue", "INcont", "OUTcue", "OUTcont"
LEARN_GATE = "LEARNgate"   # only in the gated variant: spikes while a learn operation runs

MODEL_POPULATIONS = (CUE_CUE, CONT_CUE, COND, COND_INT, CUE_CONT, CONT_CONT, MERGE_CUE, MERGE_CONT)
RECORDED = MODEL_POPULATIONS + (OUT_CUE, OUT_CONT)
PLASTIC = ("cue_to_content_stdp", "content_to_cue_stdp")


def build_cam(C: int, N: int, params: CA3Params | None = None, *, init_cue_to_content=None,
              init_content_to_cue=None, record_weights: bool = False) -> Network:
    """A C-address x N-bit memory with its IN sources and OUT harness layer.

    init_* optionally preload the plastic weights: an array (C, N) resp. (N, C) in nA.
    """
    p = params or CA3Params()
    for field, value in (("C", C), ("N", N)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValidationError(field, value, "must be an integer >= 1")
    C, N = int(C), int(N)
    inh = p.w * N if p.inh_scale_by_n else p.w
    stdp = replace(p.stdp, gate=LEARN_GATE) if p.gate_learning else p.stdp
    pops = [
        Population(IN_CUE, C, SpikeSourceArray()), Population(IN_CONT, N, SpikeSourceArray()),
        Population(CUE_CUE, C, p.slow), Population(CONT_CUE, N, p.slow), Population(COND, N, p.fast),
        Population(COND_INT, 1, p.fast), Population(CONT_CONT, N, p.slow), Population(CUE_CONT, C, p.fast),
        Population(MERGE_CUE, C, p.slow), Population(MERGE_CONT, N, p.slow),
        Population(OUT_CUE, C, p.out), Population(OUT_CONT, N, p.out),
    ] + ([Population(LEARN_GATE, 1, SpikeSourceArray())] if p.gate_learning else [])
    one, all_ = OneToOneConnector(), AllToAllConnector()
    no_diag = AllToAllConnector(allow_self_connections=False)

    def plastic_init(value, shape, field):
        if value is None:
            return p.w_init_plastic
        arr = np.asarray(value, dtype=float)
        if arr.shape != shape:
            raise ValidationError(field, f"shape {arr.shape}", f"must have shape {shape}")
        return arr

    P = Projection
    projs = [
        P("in_cue", IN_CUE, CUE_CUE, one, p.w, 1.0),                                        # 1
        P("in_content", IN_CONT, CONT_CUE, one, p.w, 1.0),                                  # 2
        P("cue_to_cuecont", CUE_CUE, CUE_CONT, one, p.w, 2.0),                              # 3
        P("cue_inhibits_other_cuecont", CUE_CUE, CUE_CONT, no_diag, inh, 3.0, "inhibitory"),  # 4
        P("cue_inhibits_cond", CUE_CUE, COND, all_, p.w, 2.0, "inhibitory"),                # 5
        P("content_to_cond", CONT_CUE, COND, one, p.w_gate, 1.0),                           # 6
        P("cond_to_contcont", COND, CONT_CONT, one, p.w, 1.0),                              # 7
        P("content_to_int", CONT_CUE, COND_INT, all_, p.w, 1.0),                            # 8
        P("int_to_cond", COND_INT, COND, all_, p.w_int, 1.0),                               # 9
        P(PLASTIC[0], CUE_CUE, CONT_CUE, all_, plastic_init(init_cue_to_content, (C, N), "init_cue_to_content"),
          1.0, plasticity=stdp),                                                           # 10
        P(PLASTIC[1], CONT_CONT, CUE_CONT, all_, plastic_init(init_content_to_cue, (N, C), "init_content_to_cue"),
          1.0, plasticity=stdp),                                                           # 11
        P("cuecont_lateral_inhibition", CUE_CONT, CUE_CONT, no_diag, inh, 2.0, "inhibitory"),  # 12
        P("cue_to_merge", CUE_CUE, MERGE_CUE, one, p.w, 3.0),                               # 13
        P("cuecont_to_merge", CUE_CONT, MERGE_CUE, one, p.w, 1.0),                          # 14
        P("content_to_merge", CONT_CUE, MERGE_CONT, one, p.w, 3.0),                         # 15
        P("contcont_to_merge", CONT_CONT, MERGE_CONT, one, p.w, 1.0),                       # 16
        P("merge_cue_to_out", MERGE_CUE, OUT_CUE, one, p.w, 1.0),                           # 17
        P("merge_cont_to_out", MERGE_CONT, OUT_CONT, one, p.w, 1.0),                        # 18
    ]
    pops, projs = override(pops, "cell", p.cells, "cells"), override(projs, "delay", p.delays, "delays")
    projs = override(projs, "weight", p.weights, "weights")
    return Network(pops, projs, Simulation(dt=p.dt, scheme=p.scheme, numerics=p.numerics),
                   Recording(spikes=(IN_CUE, IN_CONT) + RECORDED, weights=PLASTIC if record_weights else ()),
                   name=f"ca3_cam_{C}x{N}")

