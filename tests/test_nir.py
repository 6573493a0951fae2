"""NIR export and import: node parameters follow NIR's CubaLIF equations and a round trip
through a NIR file keeps every spike on the reference backend."""
from dataclasses import replace

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from spikemem.models.ca3 import build_cam, protocol  # noqa: E402
from spikemem.models.ca3 import cases as hc  # noqa: E402

from spikemem import (  # noqa: E402
    AllToAllConnector,
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeSourceArray,
    UnsupportedFeature,
    ValidationError,
    get_backend,
)
from spikemem.interchange.nir_graph import from_nir, load_nir, save_nir, to_nir  # noqa: E402


def frozen(net, **init):
    """The same network with every projection static (what NIR can hold)."""
    return replace(net, projections=tuple(replace(p, plasticity=None, weight=init.get(p.name, p.weight))
                                          for p in net.projections),
                   recording=replace(net.recording, weights=()))


def same_spikes(a, b):
    assert set(a.spikes) == set(b.spikes)
    return all(all(np.array_equal(x, y) for x, y in zip(a.spikes[p], b.spikes[p])) for p in a.spikes)


def ca3_inputs(C, N, n=3):
    cs = [hc.random_case(C, N, 30, seed=s) for s in range(n)]
    return cs, max(c.sim_time_ms for c in cs), protocol.input_events(cs)


def test_plastic_projection_is_refused_by_name():
    with pytest.raises(UnsupportedFeature, match="'cue_to_content_stdp' is plastic.*freeze=True"):
        to_nir(build_cam(4, 4))


def test_cuba_lif_parameters_follow_nir_conventions():
    cell = IFCurrExp(cm=0.25, tau_m=4.0, tau_syn_E=2.0, tau_syn_I=2.0, v_rest=-60, v_reset=-62, v_thresh=-55,
                     i_offset=0.1, tau_refrac=2.0)
    net = Network([Population("s", 3, SpikeSourceArray()), Population("n", 2, cell)],
                  [Projection("p", "s", "n", AllToAllConnector(), [[1, 2], [3, 4], [5, 6]], 2.0, "inhibitory")])
    g = to_nir(net)
    lif = g.nodes["n"]
    assert isinstance(lif, nir.CubaLIF) and isinstance(g.nodes["s"], nir.Input)
    np.testing.assert_allclose(lif.tau_mem, 4e-3)
    np.testing.assert_allclose(lif.tau_syn, 2e-3)
    np.testing.assert_allclose(lif.r, 16.0)                    # tau_m / cm = 4 ms / 0.25 nF = 16 MOhm
    np.testing.assert_allclose(lif.v_leak, -60 + 16 * 0.1)     # i_offset folds into the leak potential
    np.testing.assert_allclose(lif.w_in, 2e-3)                 # a spike of weight W jumps I by w_in W / tau_syn = W
    np.testing.assert_allclose(g.nodes["p"].weight, -np.array([[1, 3, 5], [2, 4, 6]]))
    np.testing.assert_allclose(g.nodes["p-delay"].delay, [2e-3, 2e-3])
    assert ("s", "p") in g.edges and ("p", "p-delay") in g.edges and ("p-delay", "n") in g.edges


def test_ca3_round_trip_through_a_file_keeps_every_spike(tmp_path):
    net = build_cam(8, 8)
    save_nir(net, tmp_path / "ca3.nir", freeze=True)
    back = load_nir(tmp_path / "ca3.nir")
    assert back.simulation == net.simulation
    cs, dur, inputs = ca3_inputs(8, 8)
    want = get_backend("reference").run(frozen(net), dur, inputs=inputs)
    got = get_backend("reference").run(back, dur, inputs=inputs)
    assert want.count() > 500 and same_spikes(want, got)


def test_learned_weights_export_and_recall():
    """Freeze the weights a batch learned; the imported static memory answers like the frozen original."""
    cs, dur, inputs = ca3_inputs(6, 6, n=1)
    net = build_cam(6, 6, record_weights=True)
    learned = get_backend("reference").run(net, dur, inputs=inputs).weights
    w = {k: v[0] for k, v in learned.items()}
    assert any(np.nansum(v) > 0 for v in w.values())
    back = from_nir(to_nir(net, freeze=True, weights=w))
    want = get_backend("reference").run(frozen(net, **w), dur, inputs=inputs)
    got = get_backend("reference").run(back, dur, inputs=inputs)
    assert same_spikes(want, got)


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_heterogeneous_delays_and_offsets_round_trip(scheme):
    rng = np.random.default_rng(3)
    cell = IFCurrExp(cm=0.25, tau_m=4.0, tau_syn_E=1.5, tau_syn_I=1.5, v_thresh=-57.0, v_rest=-60.0, v_reset=-61.0,
                     tau_refrac=2.0, i_offset=0.05, v_init=-59.0)
    n = 10
    net = Network([Population("src", n, SpikeSourceArray()), Population("a", n, cell), Population("b", n, cell)],
                  [Projection("in", "src", "a", OneToOneConnector(), 2.5, 1.0),
                   Projection("ab", "a", "b", AllToAllConnector(), rng.uniform(0, 1.0, (n, n)),
                              rng.integers(1, 4, (n, n)).astype(float)),
                   Projection("ba", "b", "a", AllToAllConnector(allow_self_connections=False), 0.4, 2.0, "inhibitory")],
                  Simulation(1.0, scheme), Recording(spikes=("a", "b")))
    g = to_nir(net)
    assert {k for k in g.nodes if k.startswith("ab-d")} == {"ab-d0", "ab-d1", "ab-d2", "ab-d0-delay",
                                                             "ab-d1-delay", "ab-d2-delay"}
    back = from_nir(g)
    inputs = {"src": [[sorted(set(rng.integers(0, 200, 25).astype(float))) for _ in range(n)] for _ in range(3)]}
    want = get_backend("reference").run(net, 200, inputs=inputs)
    got = get_backend("reference").run(back, 200, inputs=inputs)
    assert want.count() > 100 and same_spikes(want, got)


def test_import_of_a_hand_written_graph():
    """Delay before the weights, an Affine with zero bias, w_in != tau_syn: weight = w_in W / tau_syn."""
    lif = nir.CubaLIF(tau_syn=np.full(2, 5e-3), tau_mem=np.full(2, 20e-3), r=np.full(2, 20.0),
                      v_leak=np.zeros(2), v_threshold=np.full(2, 1.0), v_reset=np.zeros(2), w_in=np.full(2, 1e-2))
    g = nir.NIRGraph(nodes={"inp": nir.Input(input_type=np.array([3])), "d": nir.Delay(delay=np.array([1e-3, 2e-3, 3e-3])),
                            "w": nir.Affine(weight=np.array([[0.5, 0.0, -1.0], [0.0, 2.0, 0.0]]), bias=np.zeros(2)),
                            "lif": lif, "out": nir.Output(output_type=np.array([2]))},
                     edges=[("inp", "d"), ("d", "w"), ("w", "lif"), ("lif", "out")])
    net = from_nir(g, dt=0.5)
    assert net.simulation == Simulation(0.5, "exact")
    assert net.recording.spikes == ("lif",)
    cell = net.population("lif").cell
    assert (cell.tau_m, cell.tau_syn_E, cell.cm, cell.v_thresh, cell.tau_refrac) == (20.0, 5.0, 1.0, 1.0, 0.0)
    exc, inh = net.projection("w_exc"), net.projection("w_inh")
    assert exc.connector.conn_list == ((0, 0), (1, 1)) and np.allclose(exc.weight, [1.0, 4.0])
    assert np.allclose(exc.delay, [1.0, 2.0])
    assert inh.connector.conn_list == ((2, 0),) and np.allclose(inh.weight, [2.0]) and np.allclose(inh.delay, [3.0])


def test_unsupported_nodes_are_named():
    g = nir.NIRGraph(nodes={"inp": nir.Input(input_type=np.array([1])),
                            "x": nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1))},
                     edges=[("inp", "x")])
    with pytest.raises(UnsupportedFeature, match="'x' of type LIF"):
        from_nir(g)
    lif = nir.CubaLIF(tau_syn=np.ones(1), tau_mem=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1))
    g = nir.NIRGraph(nodes={"inp": nir.Input(input_type=np.array([1])),
                            "a": nir.Affine(weight=np.ones((1, 1)), bias=np.ones(1)), "lif": lif},
                     edges=[("inp", "a"), ("a", "lif")])
    with pytest.raises(UnsupportedFeature, match="'a': an Affine bias"):
        from_nir(g)


def test_distinct_synaptic_time_constants_and_bad_weights_are_refused():
    net = Network([Population("n", 1, IFCurrExp(tau_syn_I=1.0))])
    with pytest.raises(UnsupportedFeature, match="'n': tau_syn_E=5.0 != tau_syn_I=1.0"):
        to_nir(net)
    with pytest.raises(ValidationError, match=r"weights\[cue_to_content_stdp\]"):
        to_nir(build_cam(3, 3), freeze=True, weights={"cue_to_content_stdp": np.zeros((2, 2))})
