"""Population names of the family, as the spec names them (hippocampus_memories.md, A.4, B, C).

The authors' single input layer IN (n + N neurons) is split into INcue and INcont, and their
output layer OUT into OUTcue and OUTcont, so that every projection connects whole populations
(the golden recordings store OUT the same way).
"""
IN_CUE, IN_CONT = "INcue", "INcont"
CSS_SET, CSS_LATCH = "CSS_set", "CSS_latch"
DG_NOT, DG_OR, DG = "DG_NOT", "DG_OR", "DG"
CA3_CUE, CA3_CONT, CA1 = "CA3cue", "CA3cont", "CA1"
OUT_CUE, OUT_CONT = "OUTcue", "OUTcont"
# Part C
DG_IN, PC, INH, LEARNING = "DG", "PC", "INH", "LEARNING"
