"""The hippocampus memory family of Casanueva-Morato et al. (../shared/specs/hippocampus_memories.md):
the DG-CA3-CA1 one-hot memory with forgetting (Part A, `hippocampus`), the sPyMem variants
`ca3_onehot` and `hippocampus_dg_ca1` (Part B) and the IJCNN 2022 CA3 models
`ca3_oscillatory` and `ca3_regulated` (Part C)."""
from .hippocampus_net import build_hippocampus
from .memory import DGCA1Memory, HippocampusMemory, OneHotCA3Memory
from .params import DGCA1Params, HippocampusParams, OneHotParams

__all__ = ["build_hippocampus", "DGCA1Memory", "HippocampusMemory", "OneHotCA3Memory", "DGCA1Params",
           "HippocampusParams", "OneHotParams"]
