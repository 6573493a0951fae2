"""The applicability test (docs/ca3_protocol.md, 11): a 4x4 map of flag states stored in a 16x6 memory.

    python examples/state_map.py [--backend NAME]
"""
import argparse

from spikemem.models.ca3 import CA3Memory
from spikemem.models.ca3.cases import STATE_MAP

STATES = ["unknown", "initial", "goal", "free", "path", "obstacle"]

parser = argparse.ArgumentParser()
parser.add_argument("--backend", default=None)
args = parser.parse_args()

memory = CA3Memory(16, len(STATES), backend=args.backend)       # minimum spacing, as on SpiNNaker
for k, state in enumerate(s for row in STATE_MAP for s in row):
    memory.learn(k, [state])


def show(cells):
    return "\n".join(" ".join("#" if 4 * r + c in cells else "." for c in range(4)) for r in range(4))


for query in ([1, 2, 4], [3], [5], [0]):
    cells = memory.recall_content(query).addresses
    print(f"cells that are {' or '.join(STATES[q] for q in query)}: {sorted(cells)}\n{show(cells)}\n")
