"""Fuzz counts for the hardening acceptance: how many fuzzed network dicts, recordings and CA3
operation calls end in each outcome; any UNDECLARED exception is a bug (it is printed).

    .venv/bin/python benchmarks/fuzz_counts.py networks 5000
    .venv/bin/python benchmarks/fuzz_counts.py recordings 5000
    .venv/bin/python benchmarks/fuzz_counts.py ca3 1200      # examples of 1-8 calls: about 5,000 calls

Run from the repository root (it uses the strategies of tests/fuzz_inputs.py and tests/test_fuzz.py).
"""
import collections
import json
import sys
import time

sys.path.insert(0, "tests")
from hypothesis import given, settings, HealthCheck, strategies as st
import test_fuzz as tf
from fuzz_inputs import mutated, valid_network_dict
from spikemem import SpikememError, get_backend
from spikemem.interchange.json_format import network_from_dict
from spikemem.models.ca3 import parse_stimulus, replay

which = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
stats = collections.Counter()
S = settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck), database=None)

def classify(f, *a):
    try:
        f(*a); stats["ok"] += 1
    except SpikememError as e:
        stats["declared:" + type(e).__name__] += 1
    except Exception as e:
        stats["UNDECLARED:" + type(e).__name__] += 1
        print("UNDECLARED", type(e).__name__, e, file=sys.stderr)

if which == "networks":
    @S
    @given(mutated(valid_network_dict, max_mutations=5))
    def run(d):
        stats["examples"] += 1
        def go():
            net = network_from_dict(d)
            get_backend("reference").run(net, 6.0)
        classify(go)
elif which == "recordings":
    @S
    @given(mutated(tf.golden_stim, max_mutations=5))
    def run(d):
        stats["examples"] += 1
        def go():
            stim = parse_stimulus(d)
            if stim.sim_time_ms / stim.dt <= 3000 and stim.C * stim.N <= 400:
                replay(stim)
        classify(go)
else:
    from spikemem.models.ca3.memory import CA3Memory
    @S
    @given(st.lists(tf.CALL, min_size=1, max_size=8))
    def run(calls):
        m, twin = CA3Memory(5, 10), CA3Memory(5, 10)
        for call in calls:
            stats["examples"] += 1
            before = m.history
            try:
                got = tf._call(m, call); stats["ok"] += 1
                assert tf._call(twin, call) == got
            except SpikememError as e:
                stats["declared:" + type(e).__name__] += 1
                if not (m.history == before == twin.history):
                    stats["TWIN MISMATCH"] += 1
            except Exception as e:
                stats["UNDECLARED:" + type(e).__name__] += 1
                print("UNDECLARED", type(e).__name__, e, file=sys.stderr)
        if m.history != twin.history:
            stats["TWIN MISMATCH"] += 1
t = time.perf_counter()
try:
    run()
finally:
    print(which, dict(stats), f"{time.perf_counter() - t:.0f} s", flush=True)
