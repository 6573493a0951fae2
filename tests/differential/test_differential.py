"""The differential fuzzer (issue 20): random networks over the whole description space
(tests/differential/diff_networks.py) run on every pair that promises agreement
(diff_pairs.PAIRS). Each outcome is agree, refused by name, or n/a; a SILENT DIFFERENCE or an
UNDECLARED EXCEPTION fails the test with the network as JSON. Each pair must also agree on a
share of its examples, so a pair that refuses everything cannot pass unseen.

CI: derandomized (the same examples every run), a few hundred per pair; the Brian2 pair is
`slow`. benchmarks/agreement_matrix.py runs thousands and writes docs/agreement_matrix.md."""
import collections
import re

import numpy as np
import pytest
from diff_networks import FULL, networks
from diff_pairs import AGREE, CRASH, NA, PAIRS, SILENT, Pair, classify, describe, differences
from hypothesis import HealthCheck, Phase, given, settings

EXAMPLES = {"reference/nest": 100, "reference/brian2": 20, "batch/single: torch float64": 100,
            "reference/torch float64": 120}
MIN_AGREE = 0.15          # of the examples a pair ran (n/a left out)


def _check(pair: Pair):
    if not pair.available():
        pytest.skip(f"{pair.name} needs {', '.join(pair.needs)}")
    seen = collections.Counter()

    @settings(max_examples=EXAMPLES.get(pair.name, 200), deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))   # no shrinking:
    # a failure prints its network as drawn (benchmarks/agreement_matrix.py --findings keeps them all)
    @given(networks(FULL, pair.bias))
    def run(example):
        net, duration = example
        outcome, detail = classify(pair, net, duration)
        seen[outcome] += 1
        assert outcome not in (SILENT, CRASH), f"{pair.name}: {outcome.upper()}: {detail}\n{describe(net, duration)}"

    run()
    ran = sum(seen.values()) - seen[NA]
    assert seen[AGREE] >= MIN_AGREE * ran, (pair.name, dict(seen))


def _slug(name):
    return re.sub(r"\W+", "_", name).strip("_").lower()


# Known defects, each strict: when the fix merges the test passes, and XPASS fails until the mark goes.
for _pair in PAIRS:
    def _test(pair=_pair):
        _check(pair)
    _test.__name__ = f"test_{_slug(_pair.name)}_agrees_or_refuses"
    _test.__doc__ = f"{_pair.name}: agree or refused by name, never silent, never an undeclared exception."
    globals()[_test.__name__] = pytest.mark.slow(_test) if _pair.slow else _test


# -- the classifier itself: a planted difference and a planted crash are caught ------------------------
def _net():
    from spikemem import (IFCurrExp, Network, OneToOneConnector, Population, Projection, Recording, Simulation,
                          SpikeSourceArray)
    return Network([Population("s", 1, SpikeSourceArray(((2.0, 5.0),))), Population("a", 1, IFCurrExp(tau_refrac=0.0))],
                   [Projection("p", "s", "a", OneToOneConnector(), 3.0, 1.0)], Simulation(dt=1.0),
                   Recording(spikes=None, v=("a",)))


def test_a_planted_difference_is_silent_and_a_planted_exception_is_a_crash():
    from dataclasses import replace

    from spikemem import get_backend
    ref = get_backend("reference")

    def off_by_a_bit(net, duration, rng):
        a = ref.run(net, duration)
        b = ref.run(net, duration)
        b.v["a"][0, 3, 0] = np.nextafter(b.v["a"][0, 3, 0], 0)
        return differences(a, b)

    def weaker(net, duration, rng):
        other = replace(net, projections=[replace(net.projections[0], weight=0.5)])
        return differences(ref.run(net, duration), ref.run(other, duration))

    def broken(net, duration, rng):
        raise IndexError("planted")

    assert classify(Pair("x", off_by_a_bit), _net(), 10.0)[0] == SILENT
    outcome, detail = classify(Pair("x", weaker), _net(), 10.0)
    assert outcome == SILENT and "spikes[a]" in detail
    assert classify(Pair("x", broken), _net(), 10.0)[0] == CRASH
    assert classify(Pair("x", lambda n, d, r: differences(ref.run(n, d), ref.run(n, d))), _net(), 10.0)[0] == AGREE
