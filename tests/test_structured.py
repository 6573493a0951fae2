"""Structured delivery (all-to-all by population counts) against the full synapse table."""
import numpy as np
import pytest
from test_sessions import events, network

from spikemem import get_backend
from spikemem.engine.array_engine import run_engine
from spikemem.engine.flatten import flatten
from spikemem.models.ca3 import CA3Params, build_cam, protocol
from spikemem.models.ca3 import cases as hc


def both(net, T, inputs, ops=None):
    return [run_engine(net, T, inputs, None, "x", ops, structured=s) for s in ("always", "never")]


def assert_same(a, b):
    assert a.count() > 0
    for pop in a.spikes:
        for x, y in zip(a.spikes[pop], b.spikes[pop]):
            np.testing.assert_array_equal(x, y, err_msg=pop)


def test_flatten_keeps_no_table_for_structured_projections():
    net = build_cam(30, 40)
    c, csr = flatten(net, "always"), flatten(net, "never")
    # left in the table: one entry per pre neuron of each one-to-one projection, and the i -> i
    # pairs (negated) of the two all-to-all projections without self connections
    assert len(c.csr[1]) == 5 * 30 + 6 * 40 + 2 * 30
    assert [b.name for b in c.structured] == ["cue_inhibits_other_cuecont", "cue_inhibits_cond", "content_to_int",
                                              "int_to_cond", "cuecont_lateral_inhibition"]
    assert len(csr.csr[1]) > 2 * 30 * 40 and not csr.structured
    assert c.ring_len == csr.ring_len


@pytest.mark.parametrize("variant", ["faithful", "gated", "portable"])
def test_ca3_spikes_identical(variant):
    from spikemem.models.ca3.variants import variant_params
    p = variant_params(variant)
    cases = [hc.random_case(12, 20, 30, seed=s) for s in range(3)]
    net = build_cam(12, 20, p)
    T = max(c.sim_time_ms for c in cases)
    a, b = both(net, T, protocol.input_events(cases, p.dt, gate=p.gate_learning))
    assert_same(a, b)


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_generic_network_identical(scheme, one_torch_thread):
    """No self pairs between two different populations, per-pair one-to-one weights and delays,
    sources and IF neurons both as pre populations; numpy and torch."""
    from spikemem.engine.torch_ops import TorchOps
    net, ev = network(scheme=scheme), events(batch=3, seed=9)
    for ops in (None, TorchOps("cpu", "float64")):
        a, b = both(net, 160, ev, ops)
        assert_same(a, b)
        np.testing.assert_array_equal(a.v["B"], b.v["B"])


def test_backend_run_uses_structured_delivery(one_torch_thread):
    """The backends' run() takes the structured path from STRUCTURED_MIN synapses on, and equals the table."""
    from spikemem.engine.flatten import STRUCTURED_MIN
    assert [b.name for b in flatten(build_cam(256, 256)).structured] == ["cue_inhibits_other_cuecont", "cue_inhibits_cond",
                                                                         "cuecont_lateral_inhibition"]
    assert not flatten(build_cam(100, 100)).structured and 256 * 256 >= STRUCTURED_MIN > 100 * 100
    case = hc.random_case(260, 260, 20, seed=1)
    net = build_cam(260, 260, CA3Params())
    ev = protocol.input_events([case])
    ref = get_backend("reference").run(net, case.sim_time_ms, ev)
    _, table = both(net, case.sim_time_ms, ev)
    assert_same(ref, table)
