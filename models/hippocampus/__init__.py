"""The hippocampus memory family of Casanueva-Morato et al. (../shared/specs/hippocampus_memories.md):
the DG-CA3-CA1 one-hot memory with forgetting (Part A, `hippocampus`), the sPyMem variants
`ca3_onehot` and `hippocampus_dg_ca1` (Part B) and the IJCNN 2022 CA3 models
`ca3_oscillatory` and `ca3_regulated` (Part C)."""
from .ca3_pattern_nets import build_oscillatory, build_regulated
from .dg_ca1_net import build_dg_ca1
from .hippocampus_net import build_hippocampus
from .memory import DGCA1Memory, HippocampusMemory, OneHotCA3Memory
from .onehot_net import build_ca3_onehot
from .params import DGCA1Params, HippocampusParams, OneHotParams, OscillatoryParams, RegulatedParams
from .pattern_memory import OscillatoryMemory, RegulatedMemory

__all__ = ["build_ca3_onehot", "build_dg_ca1", "build_hippocampus", "build_oscillatory", "build_regulated",
           "DGCA1Memory", "HippocampusMemory", "OneHotCA3Memory", "OscillatoryMemory", "RegulatedMemory",
           "DGCA1Params", "HippocampusParams", "OneHotParams", "OscillatoryParams", "RegulatedParams"]
