"""NIR export and import: node parameters follow NIR's CubaLIF equations and a round trip
through a NIR file keeps every spike on the reference backend."""
import math
from dataclasses import replace

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from spikemem.models.ca3 import build_cam, protocol  # noqa: E402
from spikemem.models.ca3 import cases as hc  # noqa: E402

from spikemem import (  # noqa: E402
    AllToAllConnector,
    IFCurrDelta,
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
    tau = np.ones(1)
    g = nir.NIRGraph(nodes={"inp": nir.Input(input_type=np.array([1])), "w": nir.Linear(weight=np.ones((1, 1))),
                            "x": nir.LI(tau=tau, r=tau, v_leak=np.zeros(1))},
                     edges=[("inp", "w"), ("w", "x")])
    with pytest.raises(UnsupportedFeature, match="'x' of type LI: spikemem imports Input, Output, CubaLIF, LIF, IF"):
        from_nir(g)
    lif = nir.CubaLIF(tau_syn=np.ones(1), tau_mem=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1))
    g = nir.NIRGraph(nodes={"inp": nir.Input(input_type=np.array([1])),
                            "a": nir.Affine(weight=np.ones((1, 1)), bias=np.ones(1)), "lif": lif},
                     edges=[("inp", "a"), ("a", "lif")])
    with pytest.raises(UnsupportedFeature, match="'lif' of type CubaLIF: a bias .* drives its synaptic current"):
        from_nir(g)
    g = nir.NIRGraph(nodes={"inp": nir.Input(input_type=np.array([1, 2, 3])), "f": nir.Flatten(input_type={"input": np.array([2, 3])}),
                            "w": nir.Linear(weight=np.ones((1, 6))), "lif": lif},
                     edges=[("inp", "f"), ("f", "w"), ("w", "lif")], type_check=False)
    with pytest.raises(UnsupportedFeature, match=r"'inp': input shape \[1, 2, 3\]; only flat populations"):
        from_nir(g)


def test_distinct_synaptic_time_constants_and_bad_weights_are_refused():
    net = Network([Population("n", 1, IFCurrExp(tau_syn_I=1.0))])
    with pytest.raises(UnsupportedFeature, match="'n': tau_syn_E=5.0 != tau_syn_I=1.0"):
        to_nir(net)
    with pytest.raises(ValidationError, match=r"weights\[cue_to_content_stdp\]"):
        to_nir(build_cam(3, 3), freeze=True, weights={"cue_to_content_stdp": np.zeros((2, 2))})


# -- the node types peers write, and what a zero-time hop becomes --------------------------------
def peer_style_graph(bias=True):
    """What norse.torch.to_nir writes: a batch dimension, scalar parameters, Affine biases, no Delay."""
    w1 = np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 0.5]])
    return nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([1, 3])),
        "flat": nir.Flatten(input_type={"input": np.array([1, 3])}, start_dim=1),
        "0": nir.Affine(weight=w1, bias=np.array([0.1, 0.2]) if bias else np.zeros(2)),
        "1": nir.LIF(tau=np.array(0.02), r=np.array(1.0), v_leak=np.array(0.0), v_threshold=np.array(1.0)),
        "2": nir.Scale(scale=np.array([2.0, 3.0])),
        "3": nir.Linear(weight=np.array([[1.0, -0.2]])),
        "4": nir.IF(r=np.array([2.0]), v_threshold=np.array([1.5])),
        "output": nir.Output(output_type=np.array([1, 1]))},
        edges=[("input", "flat"), ("flat", "0"), ("0", "1"), ("1", "2"), ("2", "3"), ("3", "4"), ("4", "output")],
        type_check=False)


def test_peer_style_graph_imports_with_its_time_shift():
    net = from_nir(peer_style_graph())
    assert net.simulation == Simulation(1.0, "exact") and net.recording.spikes == ("4",)
    sizes = {p.name: p.size for p in net.populations}
    assert sizes == {"input": 3, "1": 2, "4": 1}
    lif, if_ = net.population("1").cell, net.population("4").cell
    # NIR LIF: a spike of weight W moves v by r W / tau (mV); the bias b is a current with R i_offset = r b
    assert lif.kind == "IF_curr_delta" and lif.tau_m == 20.0 and lif.onset == 1.0
    assert np.allclose(lif.i_offset, np.array([0.1, 0.2]) * lif.cm / lif.tau_m)
    assert np.allclose(net.projection("0").weight, np.array([1.0, 2.0, 0.5, 0.5, 0.5]) / 0.02)
    # IF has no leak: v jumps by r W; Scale folds into the weights, exc and inh split
    assert math.isinf(if_.tau_m) and if_.onset == 2.0
    assert np.allclose(net.projection("2_exc").weight, [2.0 * 2.0]) and np.allclose(net.projection("2_inh").weight, [1.2])
    assert all(np.all(np.asarray(p.delay) == 1.0) for p in net.projections)   # every hop one step


def test_a_zero_time_hop_runs_as_a_one_step_delay_reported_by_onset():
    """spikemem's projections take at least a step. A layered graph of zero-time hops therefore
    runs exactly as the same graph with one-step Delay nodes (whose populations start at once),
    its layers held until their onset: NIR time = spikemem time - onset."""
    g0 = peer_style_graph(bias=False)
    delayed = peer_style_graph(bias=False)
    for a, b in (("0", "1"), ("3", "4")):
        key = f"d{a}"
        delayed.nodes[key] = nir.Delay(delay=np.full(delayed.nodes[a].weight.shape[0], 1e-3))
        delayed.edges = [e for e in delayed.edges if e != (a, b)] + [(a, key), (key, b)]
    net0, net1 = from_nir(g0), from_nir(delayed)
    assert [net0.population(p).cell.onset for p in ("1", "4")] == [1.0, 2.0]
    assert all(p.cell.onset == 0 for p in net1.populations if not p.is_source)
    rng = np.random.default_rng(0)
    inputs = {"input": [[sorted(set(rng.integers(0, 80, 30).astype(float))) for _ in range(3)] for _ in range(2)]}
    r0 = get_backend("reference").run(replace(net0, recording=Recording()), 100, inputs=inputs)
    r1 = get_backend("reference").run(replace(net1, recording=Recording()), 100, inputs=inputs)
    assert r0.count("1") > 50 and r0.count("4") > 10 and same_spikes(r0, r1)


def test_cycles_through_zero_time_hops_are_refused():
    lif = nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))
    g = nir.NIRGraph(nodes={"inp": nir.Input(input_type=np.array([2])), "w0": nir.Linear(weight=np.eye(2)),
                            "a": lif, "wab": nir.Linear(weight=np.eye(2)), "b": lif, "wba": nir.Linear(weight=np.eye(2))},
                     edges=[("inp", "w0"), ("w0", "a"), ("a", "wab"), ("wab", "b"), ("b", "wba"), ("wba", "a")],
                     type_check=False)
    with pytest.raises(UnsupportedFeature, match="cycle between populations"):
        from_nir(g)
    g.edges = [e for e in g.edges if e[0] != "b"] + [("a", "self"), ("self", "a")]
    g.nodes["self"] = nir.Linear(weight=np.eye(2))
    net = from_nir(g)                                  # a self-loop without Delay: the next step
    assert np.all(np.asarray(net.projection("self").delay) == 1.0)


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_delta_cells_round_trip_through_generic_nir(scheme, tmp_path):
    rng = np.random.default_rng(4)
    n = 6
    leaky = IFCurrDelta(cm=0.4, tau_m=12.0, v_rest=-65, v_reset=-66, v_thresh=-61, tau_refrac=1.0,
                        i_offset=tuple(rng.uniform(0, 0.2, n)), v_init=-64.0)
    integ = IFCurrDelta(cm=2.0, tau_m=math.inf, v_rest=-70, v_reset=-70, v_thresh=-66, tau_refrac=0.0, onset=2.0)
    net = Network([Population("s", n, SpikeSourceArray()), Population("a", n, leaky), Population("b", n, integ)],
                  [Projection("sa", "s", "a", AllToAllConnector(), rng.uniform(0, 1.5, (n, n)), 1.0),
                   Projection("ab", "a", "b", AllToAllConnector(), rng.uniform(0, 2, (n, n)), rng.integers(1, 3, (n, n)) * 1.0),
                   Projection("ba", "b", "a", AllToAllConnector(), 0.5, 2.0, "inhibitory")],
                  Simulation(1.0, scheme))
    save_nir(net, tmp_path / "d.nir")
    g = nir.read(str(tmp_path / "d.nir"))
    assert isinstance(g.nodes["a"], nir.LIF) and isinstance(g.nodes["b"], nir.IF)
    back = load_nir(tmp_path / "d.nir")
    assert back.simulation == net.simulation and back.population("b").cell.onset == 2.0
    inputs = {"s": [[sorted(set(rng.integers(0, 150, 30).astype(float))) for _ in range(n)] for _ in range(2)]}
    want = get_backend("reference").run(net, 150, inputs=inputs)
    got = get_backend("reference").run(back, 150, inputs=inputs)
    assert want.count() > 200 and same_spikes(want, got)


# -- exports for the peers: what is folded, what is refused ---------------------------------------
def layered(delay_bc=1.0, chain=False, **cell):
    c = dict(cm=0.5, tau_m=8.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-60.0, tau_refrac=0.0)
    c.update(cell)
    return Network([Population("src", 3, SpikeSourceArray()), Population("a", 4, IFCurrDelta(**c)),
                    Population("b", 2, IFCurrDelta(**c))],
                   [Projection("sa", "src", "a", AllToAllConnector(), 3.0, 1.0),
                    Projection("ab", "a", "b", AllToAllConnector(), 2.0, 1.0),
                    Projection("sb", "src", "b", AllToAllConnector(), 1.0, delay_bc)][:2 if chain else 3])


@pytest.mark.parametrize("target", ["norse", "snntorch"])
def test_peer_exports_fold_delays_into_time_shifts(target):
    g = to_nir(layered(delay_bc=2.0) if target == "snntorch" else layered(chain=True), target=target)
    assert not any(isinstance(n, nir.Delay) for n in g.nodes.values())
    assert g.metadata["spikemem_target"] == target
    shifts = {k: g.nodes[k].metadata["spikemem_skew_steps"] for k in ("src", "a", "b")}
    assert shifts == {"src": -1, "a": 0, "b": 1}
    assert np.all(g.nodes["a"].v_leak == 0) and np.all(g.nodes["a"].v_threshold < 5.0)   # relative to rest, strict
    assert np.all(np.nextafter(g.nodes["a"].v_threshold, np.inf) == 5.0)


@pytest.mark.parametrize("target", ["norse", "snntorch"])
def test_peer_exports_refuse_what_the_peer_cannot_hold(target):
    with pytest.raises(UnsupportedFeature, match=r"projection 'sb' \(1 steps\) reaches 'b' -1 steps off"):
        to_nir(layered(delay_bc=1.0), target=target)
    with pytest.raises(UnsupportedFeature, match="'a': v_reset=-66.0 != v_rest=-65.0"):
        to_nir(layered(chain=True, v_reset=-66.0), target=target)
    with pytest.raises(UnsupportedFeature, match="'a': tau_refrac=2.0 ms"):
        to_nir(layered(chain=True, tau_refrac=2.0), target=target)
    two = replace(layered(chain=True), populations=layered().populations + (Population("src2", 1, SpikeSourceArray()),))
    with pytest.raises(UnsupportedFeature, match="feeds one Input node; the network has 2 spike sources"):
        to_nir(two, target=target)
    with pytest.raises(ValidationError, match="target"):
        to_nir(layered(), target="loihi")


def test_norse_export_refuses_two_inputs_into_one_population():
    with pytest.raises(UnsupportedFeature, match="'b' is fed by 2 populations .* a step late"):
        to_nir(layered(delay_bc=2.0), target="norse")


@pytest.mark.parametrize("target", ["norse", "snntorch"])
@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_peer_export_reads_back_with_the_peers_semantics(target, scheme):
    """from_nir reads a graph spikemem wrote for a peer as that peer's importer does: the same
    spikes, each population shifted by its onset minus its exported shift (the peer's input at
    step t is what reaches the first layer at t, so the Input, now at step 0, carries the source
    spikes one step later)."""
    rng = np.random.default_rng(2)
    net = replace(layered(chain=True, i_offset=0.1), simulation=Simulation(1.0, scheme))
    net = replace(net, populations=(net.populations[0], net.populations[1],
                                    Population("b", 2, IFCurrExp(cm=0.5, tau_m=8.0, tau_syn_E=2.0, tau_syn_I=2.0,
                                                                 v_rest=-65, v_reset=-65, v_thresh=-64.5,
                                                                 tau_refrac=0.0))))
    back = from_nir(to_nir(net, target=target))
    assert back.simulation.scheme == "spinnaker"
    times = [[sorted(set(rng.integers(0, 100, 40).astype(float))) for _ in range(3)] for _ in range(2)]
    want = get_backend("reference").run(net, 104, inputs={"src": times})
    later = [[[t + 1.0 for t in row] for row in trial] for trial in times]
    got = get_backend("reference").run(replace(back, recording=Recording()), 104, inputs={"src": later})
    for pop in ("a", "b"):
        s = round(back.population(pop).cell.onset / back.simulation.dt) - \
            to_nir(net, target=target).nodes[pop].metadata["spikemem_skew_steps"]
        assert want.count(pop) > 20 and np.array_equal(want.spike_matrix(pop)[:, :104 - s], got.spike_matrix(pop)[:, s:])


def test_format_1_2_values_export_or_are_refused_by_name():
    """A Poisson source and a per-neuron value other than i_offset have no NIR form and are
    refused by name; an i_offset drawn from a distribution is realised per neuron (the CubaLIF's
    v_leak, v_rest + R i_offset, as the engines draw it)."""
    from spikemem import IFCondExp, RandomDistribution, SpikeSourcePoisson
    from spikemem.description import realisation

    def net(source, cell):
        return Network([Population("s", 2, source), Population("a", 3, cell)],
                       [Projection("p", "s", "a", AllToAllConnector(), 1.0, 1.0)], Simulation(1.0, "exact"),
                       Recording(spikes=("a",)))
    drawn = RandomDistribution("uniform", low=0.1, high=0.3, seed=2)
    n = net(SpikeSourceArray(), IFCurrExp(tau_syn_E=5.0, tau_syn_I=5.0, i_offset=drawn))
    want = -65.0 + 20.0 * realisation.neuron_values(n.population("a"), "i_offset")
    np.testing.assert_allclose(to_nir(n).nodes["a"].v_leak, want, rtol=1e-12)
    with pytest.raises(UnsupportedFeature, match=r"population 's': a SpikeSourcePoisson has no NIR node"):
        to_nir(net(SpikeSourcePoisson(rate=10.0), IFCurrExp()))
    with pytest.raises(UnsupportedFeature, match=r"population 'a': tau_m is given per neuron"):
        to_nir(net(SpikeSourceArray(), IFCurrExp(tau_m=(10.0, 20.0, 30.0))))
    with pytest.raises(UnsupportedFeature, match=r"population 'a': NIR has no node for IF_cond_exp"):
        to_nir(net(SpikeSourceArray(), IFCondExp(tau_m=(10.0, 20.0, 30.0))))
