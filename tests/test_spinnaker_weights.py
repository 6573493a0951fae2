"""The ring-buffer shifts, weight scales and 16-bit weights of numerics='fixed' are sPyNNaker's own:
read back from the population vertices and synaptic rows after mapping on a virtual board."""
import numpy as np
import pytest
from random_connectors import random_connector

from spikemem import STDP, AllToAllConnector, IFCurrExp, Network, Population, Projection, Simulation, SpikeSourceArray
from spikemem.engine.board_weights import projection_stats, quantise, ring_buffer_shifts, weight_scale

pytest.importorskip("spynnaker")


def random_group(rng, g: str):
    """Sources and IF populations with several projections into each: mixed weight scales,
    excitatory and inhibitory, some with heterogeneous delays, some plastic, one override."""
    pops = [Population(f"{g}s0", 6, SpikeSourceArray()), Population(f"{g}s1", 4, SpikeSourceArray())]
    for k in range(3):
        mesw = tuple(float(x) for x in rng.uniform(1, 40, 2)) if k == 2 else None
        pops.append(Population(f"{g}p{k}", int(rng.integers(3, 7)), IFCurrExp(tau_syn_E=float(rng.uniform(0.5, 5))),
                               max_expected_summed_weight=mesw))
    size = {p.name: p.size for p in pops}
    rules = {f"{g}p{k}": STDP(tau_plus=10, tau_minus=12, A_plus=float(10 ** rng.uniform(-3, 0)), A_minus=0.1,
                              w_max=float(10 ** rng.uniform(-2, 1.5)), post_history=16) for k in range(3)}
    projs = []
    for j in range(9):
        pre = f"{g}{rng.choice(['s0', 's1', 'p0', 'p1', 'p2'])}"
        post = f"{g}p{int(rng.integers(0, 3))}"
        scale = 10.0 ** rng.uniform(-3, 2)
        conn, shape = random_connector(rng, size[pre], size[post])
        w = rng.uniform(0, scale, size=shape)
        delay = rng.integers(1, 4, size=shape).astype(float) if rng.random() < 0.3 else float(rng.integers(1, 4))
        plastic = rules[post] if rng.random() < 0.3 and np.ndim(delay) == 0 else None
        projs.append(Projection(f"{g}pr{j}", pre, post, conn, weight=w, delay=delay,
                                receptor="inhibitory" if rng.random() < 0.4 else "excitatory", plasticity=plastic))
    return pops, projs


def test_shifts_scales_and_weights_equal_sPyNNakers(tmp_path):
    from spikemem.backends.pynn.run_folder import RunFolder
    from spikemem.hardware.spinnaker.readback import board_weights
    rng = np.random.default_rng(20261201)
    pops, projs = [], []
    for g in range(6):
        p, q = random_group(rng, f"g{g}")
        pops += p
        projs += q
    net = Network(pops, projs, Simulation(numerics="fixed"))
    stats = projection_stats(net)
    assert any(s.d_var > 0 for s in stats) and any(s.d_var == 0 for s in stats)   # both sizing rules run
    assert any(pr.plasticity is not None for pr in projs)
    ours = ring_buffer_shifts(net)
    board = board_weights(net, RunFolder.create(tmp_path, virtual=True))
    assert set(board["populations"]) == set(ours)
    for name, got in board["populations"].items():
        assert got["ring_buffer_shifts"] == list(ours[name]), name
        assert got["weight_scales"] == [weight_scale(s) for s in ours[name]], name
    assert len(set(s for v in ours.values() for s in v)) >= 5          # mixed scales give mixed shifts
    compared = 0
    for pr in projs:
        pre, post, w, _ = pr.connections(net.population(pr.pre).size, net.population(pr.post).size)
        shift = ours[pr.post][0 if pr.receptor == "excitatory" else 1]
        q = quantise(w, shift) / weight_scale(shift)
        mine = np.column_stack([pre, post, q])
        mine = mine[np.lexsort((mine[:, 2], mine[:, 1], mine[:, 0]))]
        assert np.array_equal(mine, board["projections"][pr.name]), pr.name
        compared += len(mine)
    assert compared > 300


def test_the_ca3_memory_gets_sPyNNakers_shifts(tmp_path):
    from spikemem.backends.pynn.run_folder import RunFolder
    from spikemem.hardware.spinnaker.readback import board_weights
    from spikemem.models.ca3 import build_cam
    net = build_cam(5, 10)
    board = board_weights(net, RunFolder.create(tmp_path, virtual=True))
    assert {k: tuple(v["ring_buffer_shifts"]) for k, v in board["populations"].items()} == ring_buffer_shifts(net)


def test_exported_board_scripts_keep_the_override(tmp_path):
    from spikemem.cli import main
    net = Network([Population("s", 2, SpikeSourceArray(((1.0,), (2.0,)))), Population("n", 2, IFCurrExp(), (3.0, 1.5))],
                  [Projection("p", "s", "n", AllToAllConnector(), weight=0.3)])
    net.save(tmp_path / "n.json")
    assert main(["export", "pynn", str(tmp_path / "n.json"), "--simulator", "spinnaker", "--out", str(tmp_path / "x"),
                 "--duration", "5"]) == 0
    script = (tmp_path / "x" / "run_spinnaker.py").read_text()
    assert "additional_parameters={'max_expected_summed_weight': [3.0, 1.5]}" in script


def test_random_connectors_and_multiplicative_stdp_get_sPyNNakers_weights(tmp_path):
    """Random connectors (a multapse among them), random weights and delays and a multiplicative
    plastic projection: sPyNNaker holds the synapses spikemem realised, with its 16-bit weights."""
    from spikemem import (FixedNumberPreConnector, FixedProbabilityConnector, FixedTotalNumberConnector,
                          RandomDistribution)
    from spikemem.backends.pynn.run_folder import RunFolder
    from spikemem.hardware.spinnaker.readback import board_weights
    rd = (lambda seed, lo, hi: RandomDistribution("uniform", low=lo, high=hi, seed=seed))
    pops = [Population("s", 12, SpikeSourceArray()), Population("a", 9, IFCurrExp(tau_m=tuple(range(5, 14)))),
            Population("b", 7, IFCurrExp())]
    projs = [Projection("sa", "s", "a", FixedProbabilityConnector(0.4, seed=1), rd(1, 0.1, 2.0), rd(2, 0.6, 4.4)),
             Projection("sb", "s", "b", FixedTotalNumberConnector(40, seed=3), rd(3, 0.5, 1.0), 2.0, "inhibitory"),
             Projection("ab", "a", "b", FixedNumberPreConnector(3, seed=4), 0.2, 1.0,
                        plasticity=STDP(A_plus=0.1, A_minus=0.1, w_max=0.8, post_history=16,
                                        weight_dependence="multiplicative"))]
    net = Network(pops, projs, Simulation(numerics="fixed"))
    pre, post, _, _ = projs[1].connections(12, 7)
    assert len(np.unique(pre * 7 + post)) < 40                        # a repeated pair: two synapses
    ours = ring_buffer_shifts(net)
    board = board_weights(net, RunFolder.create(tmp_path, virtual=True))
    assert {k: tuple(v["ring_buffer_shifts"]) for k, v in board["populations"].items()} == ours
    for pr in projs:
        pre, post, w, _ = pr.connections(net.population(pr.pre).size, net.population(pr.post).size, 1.0)
        shift = ours[pr.post][0 if pr.receptor == "excitatory" else 1]
        mine = np.column_stack([pre, post, quantise(w, shift) / weight_scale(shift)])
        mine = mine[np.lexsort((mine[:, 2], mine[:, 1], mine[:, 0]))]
        assert np.array_equal(mine, board["projections"][pr.name]), pr.name


def test_native_poisson_sources_map(tmp_path):
    from spikemem import SpikeSourcePoisson, get_backend
    net = Network([Population("p", 20, SpikeSourcePoisson(rate=(10.0, 30.0) * 10, start=5.0, seed=2)),
                   Population("n", 3, IFCurrExp())],
                  [Projection("pn", "p", "n", AllToAllConnector(), 0.5)])
    res = get_backend("spinnaker", poisson="native", run_base=str(tmp_path)).run(net, 20.0)
    assert res.count() == 0            # a virtual board maps and loads, and records nothing
