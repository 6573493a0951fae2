"""Parameters of the hippocampus memory family (../shared/specs/hippocampus_memories.md, A.3, B, C).

Every value is the authors' configuration; every field can be overridden (dataclasses.replace),
as CA3Params is for the CAM. The per-name override tuples let variants retime a circuit
(the portable variants) without touching the builders.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from spikemem import STDP, IFCurrExp

# A.3: the slow CA3 cells and the memoryless sPyBlocks gate cells
CA3_CUE = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
                    v_thresh=-57.0, tau_refrac=1.0, i_offset=0.0, v_init=-60.0)
CA3_CONT = replace(CA3_CUE, v_thresh=-57.5)
OUT = replace(CA3_CUE, v_thresh=-57.5)
GATE = IFCurrExp(cm=0.1, tau_m=0.1, tau_syn_E=0.1, tau_syn_I=0.1, v_rest=-65.0, v_reset=-65.0,
                 v_thresh=-64.91, tau_refrac=0.0, i_offset=0.0, v_init=-65.0)

# A.7: SpikePairRule(3, 3, 6, 6) with AdditiveWeightDependence(0, 6), sPyNNaker 7 semantics
STDP_A = STDP(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, w_min=0.0, w_max=6.0)


@dataclass(frozen=True)
class Overrides:
    """Per-name overrides shared by every params class: ((population, IFCurrExp), ...),
    ((projection, delay ms), ...), ((projection, weight nA), ...)."""

    cells: tuple = ()
    delays: tuple = ()
    weights: tuple = ()


@dataclass(frozen=True)
class HippocampusParams(Overrides):
    """Part A, the DG-CA3-CA1 one-hot memory with forgetting (sPyMem hippocampus_with_forgetting)."""

    ca3_cue: IFCurrExp = CA3_CUE
    ca3_cont: IFCurrExp = CA3_CONT
    out: IFCurrExp = OUT
    gate: IFCurrExp = GATE          # DG decoder, constant spike source and CA1 encoder (DGL = CA1L)
    stdp: STDP = STDP_A
    w_gate: float = 1.0             # every sPyBlocks synapse (std connection w 1, d 1)
    w: float = 6.0                  # DG -> CA3cue, IN -> CA3cont, CA1 -> OUT, CA3cont -> OUT
    d_in_cont: float = 4.0          # IN -> CA3cont (A.5 row 12)
    d_cont_out: float = 2.0         # CA3cont -> OUT (A.5 row 16)
    css_time: float = 1.0           # the constant spike source's set spike (A.6.1)
    w_init_plastic: float = 0.0
    dt: float = 1.0
    scheme: str = "spinnaker"
    numerics: str = "float"


# B.2: the bioinspired DG and CA1 cells
DG_B2 = IFCurrExp(cm=0.14, tau_m=0.5, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
                  v_thresh=-57.5, tau_refrac=1.0, i_offset=0.0, v_init=-60.0)
CA1_B2 = CA3_CONT                  # CA1L: the CA3cont values (threshold -57.5 mV)


@dataclass(frozen=True)
class OneHotParams(Overrides):
    """Part B.1, sPyMem `ca3`: the one-hot CA3 without DG and CA1."""

    ca3_cue: IFCurrExp = CA3_CUE
    ca3_cont: IFCurrExp = CA3_CONT
    out: IFCurrExp = OUT
    stdp: STDP = STDP_A
    w: float = 6.0
    w_init_plastic: float = 0.0
    dt: float = 1.0
    scheme: str = "spinnaker"
    numerics: str = "float"


@dataclass(frozen=True)
class DGCA1Params(Overrides):
    """Part B.2, sPyMem `hippocampus_bioinspired_dg_ca1`: DG and CA1 as plain neuron layers."""

    dg: IFCurrExp = DG_B2
    ca3_cue: IFCurrExp = CA3_CUE
    ca3_cont: IFCurrExp = CA3_CONT
    ca1: IFCurrExp = CA1_B2
    out: IFCurrExp = OUT
    stdp: STDP = STDP_A
    w: float = 6.0
    w_dg: float = 3.0               # v_thresh - v_reset + 0.5: IN -> DG, split over the 1-bits
    w_dg_lateral: float = 2.5       # DG -> DG inhibition
    d_in_cont: float = 2.0
    d_cont_out: float = 2.0
    w_init_plastic: float = 0.0
    dt: float = 1.0
    scheme: str = "spinnaker"
    numerics: str = "float"


# C: the IJCNN 2022 pyramidal (and interneuron) cells
PC = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0,
               v_thresh=-55.0, tau_refrac=1.0, i_offset=0.0, v_init=-60.0)
PC_REGULATED = replace(PC, tau_refrac=2.0)
INH_REGULATED = replace(PC_REGULATED, v_init=-65.0)     # D.14: never set by the script, sPyNNaker's default


@dataclass(frozen=True)
class OscillatoryParams(Overrides):
    """Part C.1, CA3_oscilatory.py."""

    pc: IFCurrExp = PC
    stdp: STDP = STDP(tau_plus=3.0, tau_minus=2.0, A_plus=6.0, A_minus=3.0, w_min=0.0, w_max=12.0)
    w_in_per_pc: float = 6.0        # DG -> PC is 6 (N - 1) nA
    w_inh: float = 1.5              # PC -> PC static inhibition
    w_init_plastic: float = 0.0
    hold_ms: int = 5                # an operation holds its pattern on 5 consecutive steps
    dt: float = 1.0
    scheme: str = "spinnaker"
    numerics: str = "float"


@dataclass(frozen=True)
class RegulatedParams(Overrides):
    """Part C.2, CA3_pc_inhibitory.py (learning) and CA3_pc_inhibitory_static_syn.py (recall)."""

    pc: IFCurrExp = PC_REGULATED
    pc_recall: IFCurrExp = replace(PC_REGULATED, tau_m=5.0)    # D.14: the recall script's PC (tau_m 5)
    inh: IFCurrExp = INH_REGULATED
    stdp: STDP = STDP(tau_plus=9.0, tau_minus=5.0, A_plus=6.0, A_minus=3.0, w_min=0.0, w_max=12.0)
    w_in: float = 12.0              # DG -> PC
    w_lateral_inh: float = 11.0     # PC -> PC static inhibition
    w_learning: float = 8.0         # LEARNING -> INH and DG -> INH (inhibitory)
    w_inh_per_pc: float = 12.0      # INH -> PC is 12 N nA
    w_init_plastic: float = 0.0
    dt: float = 1.0
    scheme: str = "spinnaker"
    numerics: str = "float"
