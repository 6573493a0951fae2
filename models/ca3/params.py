"""Parameters of the CA3 content-addressable memory (docs/ca3_protocol.md, 2-5)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from spikemem import STDP, IFCurrExp

SLOW = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
                 v_thresh=-57.0, tau_refrac=1.0, i_offset=0.0, v_init=-60.0)
FAST = replace(SLOW, cm=0.14, tau_m=0.5)
OUT = replace(SLOW, v_thresh=-57.5)

STDP_SPINNAKER7 = STDP(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, w_min=0.0, w_max=6.0)


@dataclass(frozen=True)
class CA3Params:
    slow: IFCurrExp = SLOW
    fast: IFCurrExp = FAST
    out: IFCurrExp = OUT
    stdp: STDP = STDP_SPINNAKER7
    w: float = 6.0              # the common static weight, nA
    w_gate: float = 9.0         # ContCue -> ContCond
    w_int: float = 2.0          # CondInt -> ContCond
    w_init_plastic: float = 0.0
    inh_scale_by_n: bool = True  # inhibitory all-to-all weights are w * N (docs/ca3_protocol.md, 4 Projections)
    dt: float = 1.0
    scheme: str = "spinnaker"
    numerics: str = "float"     # or "fixed": a SpiNNaker core's arithmetic (docs/fixed_point.md)
    # Variant, not in the paper: STDP only while a learn operation runs (a third-factor gate
    # driven by the scheduler), so recalls leave the weights alone.
    gate_learning: bool = False
    # Per-name overrides, for variants that retime the circuit: ((population, IFCurrExp), ...),
    # ((projection, delay ms), ...) and ((projection, weight nA), ...); and the decode window.
    cells: tuple = ()
    delays: tuple = ()
    weights: tuple = ()
    window_ms: float = 7.0
