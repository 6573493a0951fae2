"""Part C: the IJCNN 2022 CA3 models (spec C.1, C.2), auto-associative memories of N pyramidal
cells (PC) driven one-to-one by the input DG.

- Oscillatory (CA3_oscilatory.py): DG -> PC (w 6 (N - 1)); plastic PC -> PC and static
  inhibitory PC -> PC (1.5 nA), both all-to-all without self.
- Regulated activity (CA3_pc_inhibitory.py learns, CA3_pc_inhibitory_static_syn.py recalls):
  one interneuron per PC (INH); a LEARNING source that spikes with every presented pattern
  excites all interneurons, the presented pattern's input cancels its own, and the others
  inhibit their PCs (12 N nA) when the pattern's first recurrent excitation arrives, so only the
  presented pattern learns. The recall network has static PC -> PC weights (the learned ones),
  PC tau_m 5 ms, and a silent LEARNING source.
"""
from __future__ import annotations

import numpy as np

from spikemem import AllToAllConnector, OneToOneConnector, Population, Projection, SpikeSourceArray

from .assemble import network, plastic_init, size
from .names import DG_IN, INH, LEARNING, PC
from .params import OscillatoryParams, RegulatedParams

PLASTIC = "pc_pc"
NO_SELF = AllToAllConnector(allow_self_connections=False)


def recurrent_init(value, N: int, default: float):
    """A weight matrix (N, N) for the recurrent all-to-all without self (the diagonal is unused)."""
    if value is None:
        return default
    arr = np.nan_to_num(np.asarray(value, dtype=float))
    return plastic_init(arr, (N, N), default, "init_weights")


def build_oscillatory(N: int, params: OscillatoryParams | None = None, *, init_weights=None, record_v: bool = False,
                      record_weights: bool = False):
    p = params or OscillatoryParams()
    N = size("N", N, lo=2)
    pops = [Population(DG_IN, N, SpikeSourceArray()), Population(PC, N, p.pc)]
    projs = [Projection("dg_pc", DG_IN, PC, OneToOneConnector(), p.w_in_per_pc * (N - 1), 1.0),
             Projection(PLASTIC, PC, PC, NO_SELF, recurrent_init(init_weights, N, p.w_init_plastic), 1.0,
                        plasticity=p.stdp),
             Projection("pc_pc_inh", PC, PC, NO_SELF, p.w_inh, 1.0, "inhibitory")]
    return network(f"ca3_oscillatory_{N}", pops, projs, p, (DG_IN, PC), v=(PC,) if record_v else (),
                   weights=(PLASTIC,) if record_weights else ())


def build_regulated(N: int, params: RegulatedParams | None = None, *, phase: str = "learn", init_weights=None,
                    record_v: bool = False, record_weights: bool = False):
    """phase 'learn': the learning script's network (plastic PC -> PC from init_weights, default
    0); 'recall': the recall script's (static PC -> PC with init_weights, PC cell pc_recall)."""
    p = params or RegulatedParams()
    N = size("N", N, lo=2)
    if phase not in ("learn", "recall"):
        from spikemem import ValidationError
        raise ValidationError("phase", phase, "must be 'learn' or 'recall'")
    pc = p.pc if phase == "learn" else p.pc_recall
    w = recurrent_init(init_weights, N, p.w_init_plastic)
    one = OneToOneConnector()
    pops = [Population(DG_IN, N, SpikeSourceArray()), Population(LEARNING, 1, SpikeSourceArray()),
            Population(PC, N, pc), Population(INH, N, p.inh)]
    projs = [Projection("dg_pc", DG_IN, PC, one, p.w_in, 1.0),
             Projection(PLASTIC, PC, PC, NO_SELF, w, 1.0, plasticity=p.stdp if phase == "learn" else None),
             Projection("pc_pc_inh", PC, PC, NO_SELF, p.w_lateral_inh, 1.0, "inhibitory"),
             Projection("learning_inh", LEARNING, INH, AllToAllConnector(), p.w_learning, 1.0),
             Projection("dg_inh", DG_IN, INH, one, p.w_learning, 1.0, "inhibitory"),
             Projection("inh_pc", INH, PC, one, p.w_inh_per_pc * N, 1.0, "inhibitory")]
    return network(f"ca3_regulated_{phase}_{N}", pops, projs, p, (DG_IN, LEARNING, PC, INH),
                   v=(PC, INH) if record_v else (),
                   weights=(PLASTIC,) if record_weights and phase == "learn" else ())
