"""ConvolutionConnector and PoolDenseConnector: their synapses are PyTorch's conv2d / avg_pool2d /
linear maps; the engines deliver them from their structure, equal to the synapse table they
stand for; NEST gets the lists and spikes alike; sPyNNaker gets its own connectors, a population
per channel, on a virtual board."""
from dataclasses import replace

import numpy as np
import pytest

from spikemem import (FromListConnector, IFCurrExp, Network, Population, Projection, Recording,
                      Simulation, SpikeSourceArray, SpikeSourcePoisson, UnsupportedFeature, ValidationError,
                      get_backend)
from spikemem.description.layers import ConvolutionConnector, PoolDenseConnector
from spikemem.engine import budget
from spikemem.engine.array_engine import run_engine
from spikemem.engine.flatten import flatten

GEOMETRIES = [  # c_in, h, w, c_out, k, stride, padding, pool_shape, pool_stride
    (2, 6, 7, 3, 3, 1, 1, None, None), (1, 8, 8, 2, 3, 2, 0, 2, None), (3, 9, 9, 2, 2, 1, 1, 3, None),
    (2, 5, 6, 1, (3, 1), (1, 2), (1, 0), 2, None), (2, 9, 8, 2, 3, 1, 1, 3, 2),
]


def dense_of(conn):
    pre, post, w = conn.synapses(conn.n_pre, conn.n_post)
    M = np.zeros((conn.n_pre, conn.n_post))
    np.add.at(M, (pre, post), w)
    return M


@pytest.mark.parametrize("c_in, h, w, c_out, k, stride, pad, pool, pool_stride", GEOMETRIES)
def test_convolution_synapses_are_torch_conv2d(c_in, h, w, c_out, k, stride, pad, pool, pool_stride):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    kh, kw = (k, k) if np.ndim(k) == 0 else k
    K = rng.uniform(0, 1, (c_out, c_in, kh, kw))
    conn = ConvolutionConnector(K, (c_in, h, w), strides=stride, padding=pad, pool_shape=pool, pool_stride=pool_stride)
    x = rng.uniform(0, 1, (1, c_in, h, w))
    xt = torch.as_tensor(x)
    if pool is not None:        # sPyNNaker's pooling: sums over pool_stride blocks, divided by pool_shape's area
        ps = pool_stride or pool
        hp, wp = h // ps, w // ps
        xt = xt[:, :, :hp * ps, :wp * ps].reshape(1, c_in, hp, ps, wp, ps).sum((3, 5)) / (pool * pool)
    want = F.conv2d(xt, torch.as_tensor(K), stride=stride, padding=pad).numpy()
    assert conn.out_shape == want.shape[1:]
    np.testing.assert_allclose(x.ravel() @ dense_of(conn), want.ravel(), rtol=1e-12)
    assert len(conn.synapses(conn.n_pre, conn.n_post)[0]) == conn.n_synapses(conn.n_pre, conn.n_post)


def test_pool_dense_synapses_are_pooling_then_linear():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    W = rng.uniform(0, 1, (4, 2 * 3 * 3))
    conn = PoolDenseConnector(W, (2, 7, 6), pool_shape=2)            # 7 // 2 = 3 rows: the last is left out
    x = rng.uniform(0, 1, (1, 2, 7, 6))
    want = torch.nn.functional.avg_pool2d(torch.as_tensor(x), 2).flatten(1).numpy() @ W.T
    np.testing.assert_allclose(x.ravel() @ dense_of(conn), want.ravel(), rtol=1e-12)
    assert len(conn.synapses(conn.n_pre, conn.n_post)[0]) == conn.n_synapses(conn.n_pre, conn.n_post)


def layer_net(seed: int, scheme: str = "spinnaker", dt: float = 1.0, geometry=None) -> Network:
    """A Poisson map -> conv (+ pooling) -> pooled dense head, with an inhibitory conv beside;
    geometry: (h, w, padding, pool), else drawn."""
    rng = np.random.default_rng(seed)
    c_in, h, w = 2, int(rng.integers(5, 10)), int(rng.integers(5, 10))
    pad, pool = int(rng.integers(0, 2)), [None, 2][int(rng.integers(2))]
    if geometry is not None:
        h, w, pad, pool = geometry
    exc = ConvolutionConnector(rng.uniform(0, 2.0, (3, c_in, 3, 3)), (c_in, h, w), padding=pad, pool_shape=pool)
    inh = ConvolutionConnector(rng.uniform(0, 1.0, (3, c_in, 3, 3)), (c_in, h, w), padding=pad, pool_shape=pool)
    co = exc.out_shape
    head = PoolDenseConnector(rng.uniform(0, 1.0, (4, co[0] * (co[1] // 2) * (co[2] // 2))), co, pool_shape=2)
    cell = IFCurrExp(tau_m=10.0, tau_syn_E=2.0, tau_syn_I=3.0, v_thresh=-62.0)
    return Network(
        [Population("s", c_in * h * w, SpikeSourcePoisson(rate=150.0, seed=seed)),
         Population("c", exc.n_post, cell), Population("o", 4, cell)],
        [Projection("sc", "s", "c", exc, weight=1.5, delay=float(rng.integers(1, 3))),
         Projection("sci", "s", "c", inh, weight=1.0, delay=1.0, receptor="inhibitory"),
         Projection("co", "c", "o", head, weight=2.0, delay=1.0)],
        Simulation(dt=dt, scheme=scheme), Recording(spikes=("c", "o"), v=("o",)))


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_structured_delivery_equals_the_synapse_table(scheme):
    for seed in range(4):
        net = layer_net(seed, scheme)
        assert not len(flatten(net).csr[1]) and len(flatten(net, "never").csr[1])      # no table, then the table
        a = get_backend("reference").run(net, 60.0, batch=3)
        b = run_engine(net, 60.0, None, 3, "table", structured="never")
        for k in range(3):
            assert a.spike_list("c", trial=k) == b.spike_list("c", trial=k), seed
            assert a.spike_list("o", trial=k) == b.spike_list("o", trial=k), seed
        np.testing.assert_allclose(a.v["o"], b.v["o"], atol=1e-9)
        assert a.count("c") > 50


def test_torch_agrees_with_numpy(one_torch_thread):
    pytest.importorskip("torch")
    net = layer_net(5)
    a = get_backend("reference").run(net, 60.0, batch=2)
    b = get_backend("torch", dtype="float64").run(net, 60.0, batch=2)
    assert a.spike_list("c", trial=1) == b.spike_list("c", trial=1) and a.spike_list("o") == b.spike_list("o")
    np.testing.assert_allclose(a.v["o"], b.v["o"], rtol=0, atol=1e-10)          # BLAS order: not bit for bit


def test_session_windows_equal_one_run():
    net = layer_net(2)
    whole = get_backend("reference").run(net, 50.0, batch=2)
    s = get_backend("reference").session(net, batch=2)
    windows = [s.run(t) for t in (7.0, 30.0, 50.0)]
    assert sorted(x for w in windows for x in w.spike_list("c", trial=1)) == whole.spike_list("c", trial=1)


def test_bad_layers_are_refused_by_name():
    K = np.ones((2, 1, 3, 3))
    for make, field in [
        (lambda: ConvolutionConnector(-K, (1, 5, 5)), "kernel_weights"),
        (lambda: ConvolutionConnector(K, (2, 5, 5)), "kernel_weights"),           # channels differ
        (lambda: ConvolutionConnector(np.ones((1, 1, 7, 7)), (1, 5, 5)), "kernel_weights"),
        (lambda: ConvolutionConnector(K, (1, 5, 5), strides=0), "strides"),
        (lambda: ConvolutionConnector(K, (1, 5)), "in_shape"),
        (lambda: ConvolutionConnector(K, (1, 5, 5), pool_stride=2), "pool_stride"),
        (lambda: PoolDenseConnector(np.ones((3, 5)), (1, 4, 4), pool_shape=2), "weights"),
    ]:
        with pytest.raises(ValidationError, match=field):
            make()
    conv = ConvolutionConnector(K, (1, 5, 5), padding=1)
    pops = [Population("a", 25, SpikeSourceArray()), Population("b", 50)]
    with pytest.raises(ValidationError, match="p.weight"):
        Projection("p", "a", "b", conv, weight=np.ones(3))
    with pytest.raises(ValidationError, match="connector"):
        Network([Population("a", 24, SpikeSourceArray()), Population("b", 50)], [Projection("p", "a", "b", conv, 1.0)])
    from spikemem import STDP
    with pytest.raises(ValidationError, match="p.plasticity"):
        Projection("p", "a", "b", conv, 1.0, plasticity=STDP())
    fixed = Network(pops, [Projection("p", "a", "b", conv, 1.0)], Simulation(numerics="fixed"))
    with pytest.raises(UnsupportedFeature, match="connector.convolution.fixed"):
        get_backend("reference").run(fixed, 5.0)


def test_the_file_keeps_the_structure(tmp_path):
    net = layer_net(3)
    net.save(tmp_path / "n.json")
    back = Network.load(tmp_path / "n.json")
    assert back == net
    assert '"kind": "convolution"' in (tmp_path / "n.json").read_text()


def test_a_layer_costs_no_synapse_table_in_the_estimate():
    """The reference CIFAR CNN's shape (3x32x32 -> 64 -> 128 -> 256, pooled dense heads): kernels, not
    134 million listed synapses; a batch of 100 images of 100 ms fits in far less than 8 GB."""
    rng = np.random.default_rng(0)
    pops, projs, shape = [Population("input", 3 * 32 * 32, SpikeSourceArray())], [], (3, 32, 32)
    for i, c_out in enumerate((64, 128, 256)):
        conv = ConvolutionConnector(rng.uniform(0, 1, (c_out, shape[0], 3, 3)), shape, padding=1,
                                    pool_shape=None if i == 0 else 2)
        pops.append(Population(f"conv{i + 1}", conv.n_post, IFCurrExp()))
        projs.append(Projection(f"p{i}", pops[-2].name, pops[-1].name, conv, 1.0))
        shape = conv.out_shape
    head = PoolDenseConnector(rng.uniform(0, 1, (10, shape[0] * 16)), shape, pool_shape=2)
    pops.append(Population("output", 10, IFCurrExp()))
    projs.append(Projection("head", "conv3", "output", head, 1.0))
    net = Network(pops, projs, recording=Recording(spikes=(), v=("output",)))
    listed = sum(pr.connector.n_synapses(net.population(pr.pre).size, net.population(pr.post).size) for pr in projs)
    assert listed > 1.3e8
    est = budget.estimate(net, 100, 100)
    assert est.synapses == 0 and est.total < 4 * 2**30              # mostly the spike log (an assumed rate)


# -- PyNN simulators -----------------------------------------------------------------------------
@pytest.mark.parametrize("simulator, seeds", [("nest", range(4)), pytest.param("brian2", range(2), marks=pytest.mark.slow)])
def test_simulators_without_the_connector_get_the_lists(simulator, seeds):
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)
    for seed in seeds:
        net = layer_net(seed, scheme="exact")
        ref = get_backend("reference").run(net, 60.0)
        got = get_backend(simulator).run(net, 60.0)
        for pop in ("c", "o"):
            assert got.spike_list(pop) == ref.spike_list(pop), (seed, pop)


def test_spinnaker_gets_its_own_connectors_a_population_per_channel():
    pytest.importorskip("spynnaker")
    from spikemem.backends.pynn.lowering import lower
    from spikemem.backends.pynn.simulators import SPINNAKER
    net = layer_net(1, geometry=(8, 8, 1, 2))
    plain = lower(net, SPINNAKER)
    pops = {p["name"]: p for p in plain["populations"]}
    c_in, h, w = net.projection("sc").connector.in_shape
    assert {f"s~c{k}" for k in range(c_in)} <= set(pops) and pops["s~c0"]["grid"] == [h, w]
    kinds = [pr["connector"] for pr in plain["projections"]]
    assert kinds.count("convolution") == 2 * 3 * c_in and kinds.count("pool_dense") == 3
    total = sum(pr["synapses"] for pr in plain["projections"])
    assert total == sum(pr.connector.n_synapses(net.population(pr.pre).size, net.population(pr.post).size)
                        for pr in net.projections)
    sc = next(pr for pr in plain["projections"] if pr["name"] == "sc~1~2")
    K = net.projection("sc").connector.kernel_weights
    assert np.array_equal(np.array(sc["kernel"]), K[2, 1, ::-1, ::-1] * 1.5)          # flipped, with the gain
    # a list into a layer's target: sPyNNaker cannot mix it with local-only synapses, so lists for all
    mixed = Network(net.populations + (Population("x", 1, SpikeSourceArray()),),
                    net.projections + (Projection("xc", "x", "c", FromListConnector(((0, 0),)), 1.0),))
    assert "convolution" not in [pr["connector"] for pr in lower(mixed, SPINNAKER)["projections"]]


def test_a_layered_network_maps_on_a_virtual_board(tmp_path):
    pytest.importorskip("spynnaker")
    from spikemem.backends.pynn.run_folder import RunFolder
    from spikemem.hardware.spinnaker.mapping import map_network
    net = layer_net(0, geometry=(8, 8, 1, 2))
    report = map_network(net, run_folder=RunFolder.create(tmp_path, virtual=True))
    assert report["synapses"] == sum(pr.connector.n_synapses(net.population(pr.pre).size, net.population(pr.post).size)
                                     for pr in net.projections)
    assert {"c~c0", "c~c1", "c~c2", "s~c0", "o"} <= set(report["populations"])


def test_the_spinnaker_backend_reads_split_populations_as_one(tmp_path):
    """A run on a virtual board: the channel populations of a split layer are read back as the
    population (spikes as one neo SpikeTrainList, V as one signal per variable); a virtual board
    records nothing, so the V is NaN."""
    pytest.importorskip("spynnaker")
    net = layer_net(0, geometry=(8, 8, 1, 2))
    net = replace(net, recording=Recording(spikes=("s", "c", "o"), v=("c", "o")))
    res = get_backend("spinnaker", run_base=str(tmp_path)).run(net, 5.0)
    assert res.count() == 0 and res.v["c"].shape == (1, 5, net.population("c").size)
    assert np.isnan(res.v["c"]).all() and len(res.neo_segments[0].analogsignals) == 2


def test_hlop_conv_export_uses_the_layer_connectors():
    torch = pytest.importorskip("torch")
    from spikemem.models.hlop.convnets import SpikingCNN
    from spikemem.models.hlop.export_conv import cnn_to_network
    g = torch.Generator().manual_seed(0)
    m = SpikingCNN((3, 8, 8), 4, T=2, channels=(4, 6, 8), generator=g)
    m.add_head(g)
    m.eval()
    net = cnn_to_network(m, 0.5, 0.25, (3, 8, 8))
    kinds = {pr.name: pr.connector.kind for pr in net.projections if not pr.name.startswith("bias")}
    assert set(kinds.values()) == {"convolution", "pool_dense"}
    assert budget.estimate(net, 1, 10).synapses == sum(len(pr.connector.conn_list) for pr in net.projections
                                                       if pr.name.startswith("bias"))
