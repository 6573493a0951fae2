"""The paper's functional test driven through the operations API (docs/ca3_protocol.md, 11).

    python examples/functional_test.py [--backend NAME]
"""
import argparse

from spikemem.models.ca3 import CA3Memory

parser = argparse.ArgumentParser()
parser.add_argument("--backend", default=None)
args = parser.parse_args()

memory = CA3Memory(5, 10, backend=args.backend, spacing=10)
print("learn 0 <- {0,1,8,9}:", memory.learn(0, [0, 1, 8, 9]))
print("learn 4 <- {1,5,6}:  ", memory.learn(4, [1, 5, 6]))
print("learn 3 <- {4,5,6}:  ", memory.learn(3, [4, 5, 6]))
print("recall cue 0:        ", memory.recall(0))
print("recall content {6}:  ", memory.recall_content([6]))            # addresses 3 and 4 hold bit 6
print("recall content {0,4}:", memory.recall_content([0, 4]))         # a non-orthogonal fragment
print("learn 3 <- {1,3,4,8}:", memory.learn(3, [1, 3, 4, 8]))         # forgets 5 and 6 (they echo once)
print("recall cue 3:        ", memory.recall(3))
print("recall content {6}:  ", memory.recall_content([6]))            # only address 4 is left
