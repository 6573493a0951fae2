"""
The CA3 memory: learn, recall, forget
=====================================

The CA3 content-addressable memory of Casanueva-Morato et al. stores one binary pattern of N bits at
each of C addresses. It recalls a pattern by its address (a *cue*), recalls every address that
holds part of a pattern (a *content fragment*), and forgets an address's old bits when it is
learned again. Every operation is a burst of input spikes; the answer is read from the spikes of
its output populations.
"""
# %%
# Operations from Python
# ----------------------
# ``CA3Memory`` runs the operations one by one on a live session of its backend. With
# ``spacing=14`` the operations are 14 ms apart, as in the authors' stress test.
from spikemem.models.ca3 import CA3Memory

m = CA3Memory(5, 10, spacing=14)              # 5 addresses x 10 bits, the faithful variant
print("learn 0 <- {0,1,8,9}:", m.learn(0, [0, 1, 8, 9]))
print("learn 4 <- {1,5,6}:  ", m.learn(4, [1, 5, 6]))
print("recall cue 0:        ", m.recall(0))
print("recall content {1}:  ", m.recall_content([1]))        # every address holding bit 1
print("learn 0 <- 0010000001:", m.learn(0, pattern="0010000001"))   # the old bits echo once
print("recall cue 0:        ", m.recall(0))                     # ... and are forgotten

# %%
# A rejected operation changes nothing: an address beyond C is refused by name.
from spikemem import ValidationError  # noqa: E402

try:
    m.recall(7)
except ValidationError as e:
    print("refused:", e)

# %%
# The functional test and its raster
# ----------------------------------
# The paper's functional test, scored against an ideal memory. ``plots.raster`` names every
# population as the recordings and ``spikemem spinnaker map`` name it, with a tick per neuron and
# the operations as coloured lines.
from spikemem.models.ca3 import cases, plots  # noqa: E402

case = cases.functional()
report, result = CA3Memory.run_cases([case], "reference", return_result=True)
print("functional test:", {kind: f"{ok}/{n}" for kind, (ok, n) in report.counts().items()})
plots.raster(result, case, "ca3_functional_raster.png", title="CA3 memory, functional test (reference backend)")

# %%
# The harness: published cases and random sequences
# --------------------------------------------------
# The harness scores seeded random sequences of learns and recalls, here 8 sequences of 60
# operations on a 5x10 memory, at the minimum spacing and 14 ms apart, for the faithful variant and
# the gated one (plasticity only while a learn runs).
for variant in ("faithful", "gated"):
    for spacing in (None, 14):
        batch = [cases.random_case(5, 10, 60, seed=s, spacing=spacing, content="mixed") for s in range(8)]
        counts = CA3Memory.run_cases(batch, "reference", variant=variant).counts()
        label = "minimum spacing" if spacing is None else f"{spacing} ms apart"
        print(f"{variant:<8} {label:<16}", {kind: f"{ok}/{n}" for kind, (ok, n) in counts.items()})

# %%
# At the minimum spacing, STDP traces reach into the next operation, and recalls by content are
# themselves plastic, so multi-bit queries create false associations: the memory's known failure
# modes, reproduced, not hidden. The gated variant removes most false associations.
#
# Capacity
# --------
# How recall degrades with load (stored memories per content bit), for a few memory sizes: a
# smaller sweep than ``spikemem cam capacity``, which sweeps C and N over 8 to 64.
from spikemem.models.ca3.sweeps import capacity  # noqa: E402

rows = capacity(sizes=[8, 16, 32], n_seqs=16, n_ops=60, spacing=None, progress=False)     # every C x N
for row in rows:
    print(f"C={row['C']:<3} N={row['N']:<3} overall {100 * row['overall']:.1f} %")
plots.capacity(rows, "ca3_capacity.png")
