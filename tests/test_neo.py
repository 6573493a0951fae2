"""Results as neo Blocks: counts per neuron, V and annotations as PyNN writes them, round trip."""
import subprocess
import sys

import numpy as np
import pytest

from spikemem import (AllToAllConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation,
                      SpikeSourceArray, get_backend)

neo = pytest.importorskip("neo")


def _net(scheme="spinnaker"):
    cell = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60, v_reset=-60, v_thresh=-57,
                     tau_refrac=1.0)
    return Network([Population("src", 3, SpikeSourceArray()), Population("a", 4, cell), Population("b", 2, cell)],
                   [Projection("src_a", "src", "a", AllToAllConnector(), 4.0, 1.0),
                    Projection("a_b", "a", "b", AllToAllConnector(), 2.0, 2.0)],
                   Simulation(dt=1.0, scheme=scheme), Recording(v=("a",)))


INPUTS = {"src": [[[2.0, 5.0], [], [9.0]], [[4.0], [4.0, 12.0], []], [[], [], []]]}


def counts_by_neuron(res):
    """{(trial, pop, neuron): spikes} from the Result's arrays."""
    out = {}
    for pop, (tr, _, nr) in res.spikes.items():
        for b, i in zip(tr.tolist(), nr.tolist()):
            out[(b, pop, i)] = out.get((b, pop, i), 0) + 1
    return out


def block_counts(block):
    out = {}
    for b, seg in enumerate(block.segments):
        for st in seg.spiketrains:
            if len(st):
                out[(b, st.annotations["source_population"], int(st.annotations["source_index"]))] = len(st)
    return out


def test_reference_result_as_a_neo_block():
    res = get_backend("reference").run(_net(), 20.0, inputs=INPUTS)
    block = res.to_neo()
    assert isinstance(block, neo.Block) and len(block.segments) == res.batch == 3
    assert res.count() > 10
    assert block_counts(block) == counts_by_neuron(res)
    seg = block.segments[1]
    assert [st.annotations["source_population"] for st in seg.spiketrains] == ["src"] * 3 + ["a"] * 4 + ["b"] * 2
    assert all(st.t_stop.rescale("ms").magnitude == 20.0 for st in seg.spiketrains)
    (sig,) = seg.analogsignals
    assert sig.name == "v" and sig.annotations["source_population"] == "a" and str(sig.units.dimensionality) == "mV"
    np.testing.assert_array_equal(np.asarray(sig.magnitude), res.v["a"][1])
    assert float(sig.sampling_period.rescale("ms")) == 1.0


def test_round_trip_through_neo_keeps_every_spike_and_v():
    from spikemem.interchange.neo_block import block_to_result
    res = get_backend("reference").run(_net(), 20.0, inputs=INPUTS)
    back = block_to_result(res.to_neo(), dt=1.0)
    assert back.sizes == res.sizes and back.batch == res.batch and back.steps == res.steps
    for pop in res.spikes:
        for a, b in zip(res.spikes[pop], back.spikes[pop]):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.v["a"], res.v["a"])


def test_nest_keeps_pynns_own_neo_data_with_the_same_counts():
    pytest.importorskip("pyNN.nest")
    net = _net("exact")
    res = get_backend("nest").run(net, 20.0, inputs=INPUTS)
    ref = get_backend("reference").run(net, 20.0, inputs=INPUTS)
    block = res.to_neo()
    assert all(a is b for a, b in zip(block.segments, res.neo_segments))   # PyNN's recordings, kept
    assert block_counts(block) == counts_by_neuron(res) == counts_by_neuron(ref)
    pynn_train = block.segments[0].spiketrains[0]
    ours = ref.to_neo().segments[0].spiketrains[0]
    assert {"source_population", "source_index", "channel_id"} <= set(pynn_train.annotations)
    assert set(ours.annotations) == set(pynn_train.annotations)   # the same names PyNN writes
    np.testing.assert_allclose(np.asarray(block.segments[2].analogsignals[0].magnitude), res.v["a"][2])


def test_bad_block_is_refused():
    from spikemem.errors import FormatError
    from spikemem.interchange.neo_block import block_to_result
    b = neo.Block()
    seg = neo.Segment()
    seg.spiketrains.append(neo.SpikeTrain([1.0], t_stop=5.0, units="ms"))
    b.segments.append(seg)
    with pytest.raises(FormatError, match="source_population"):
        block_to_result(b, dt=1.0)


def test_importing_spikemem_and_running_does_not_import_neo():
    code = ("import sys, spikemem\nfrom spikemem import get_backend\n"
            "from spikemem.interchange import neo_block\nprint('neo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
