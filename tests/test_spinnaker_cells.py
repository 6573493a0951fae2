"""IF_cond_exp, IF_curr_alpha and Izhikevich on sPyNNaker: the ring-buffer shifts, weight scales
and 16-bit weights numerics='fixed' uses are sPyNNaker's own, read back after mapping on a virtual
board (conductances carry its global weight scale 1024; alpha weights are sent as charge);
`spikemem spinnaker check` and `spikemem export pynn` take the new cells."""
import json
import math

import numpy as np
import pytest
from random_connectors import random_connector

from spikemem import (STDP, AllToAllConnector, IFCondExp, IFCurrAlpha, Izhikevich, Network, Population, Projection,
                      Simulation, SpikeSourceArray)
from spikemem.engine.board_weights import board_scale, global_weight_scale, quantise, ring_buffer_shifts, weight_scale


def random_group(rng, g: str):
    """Sources and one population of each new model, several projections into each: mixed weight
    scales, excitatory and inhibitory, heterogeneous delays, plastic ones, one override."""
    cells = [IFCondExp(tau_syn_E=float(rng.uniform(1, 5)), tau_syn_I=float(rng.uniform(1, 8))),
             IFCurrAlpha(tau_syn_E=float(rng.uniform(1.2, 5)), tau_syn_I=float(rng.uniform(1.2, 5))),
             Izhikevich(tau_syn_E=float(rng.uniform(1, 5)), tau_syn_I=float(rng.uniform(1, 5)))]
    unit = [0.05, 1.0, 5.0]                   # uS, nA, nA
    pops = [Population(f"{g}s0", 6, SpikeSourceArray()), Population(f"{g}s1", 4, SpikeSourceArray())]
    for k, cell in enumerate(cells):
        mesw = tuple(float(x) * unit[k] for x in rng.uniform(1, 40, 2)) if rng.random() < 0.25 else None
        pops.append(Population(f"{g}p{k}", int(rng.integers(3, 7)), cell, max_expected_summed_weight=mesw))
    size = {p.name: p.size for p in pops}
    rules = [STDP(tau_plus=10, tau_minus=12, A_plus=unit[k] * 0.01, A_minus=unit[k] * 0.01,
                  w_max=float(unit[k] * 10.0 ** rng.uniform(-1, 1)), post_history=16) for k in range(3)]
    projs = []
    for j in range(12):
        pre = f"{g}{rng.choice(['s0', 's1', 'p0', 'p1', 'p2'])}"
        k = int(rng.integers(0, 3))
        post = f"{g}p{k}"
        conn, shape = random_connector(rng, size[pre], size[post])
        w = rng.uniform(0, unit[k] * 10.0 ** rng.uniform(-2, 1), size=shape)
        delay = rng.integers(1, 4, size=shape).astype(float) if rng.random() < 0.3 else float(rng.integers(1, 4))
        plastic = rules[k] if rng.random() < 0.3 and np.ndim(delay) == 0 else None    # one rule per post (sPyNNaker)
        projs.append(Projection(f"{g}pr{j}", pre, post, conn, weight=w, delay=delay,
                                receptor="inhibitory" if rng.random() < 0.4 else "excitatory", plasticity=plastic))
    return pops, projs


def test_shifts_scales_and_weights_of_the_new_cells_equal_sPyNNakers(tmp_path):
    pytest.importorskip("spynnaker")
    from spikemem.backends.pynn.run_folder import RunFolder
    from spikemem.hardware.spinnaker.readback import board_weights
    rng = np.random.default_rng(20261222)
    pops, projs = [], []
    for g in range(4):
        p, q = random_group(rng, f"g{g}")
        pops += p
        projs += q
    net = Network(pops, projs, Simulation(numerics="fixed"))
    ours = ring_buffer_shifts(net)
    board = board_weights(net, RunFolder.create(tmp_path, virtual=True))
    assert set(board["populations"]) == set(ours)
    for name, got in board["populations"].items():
        cell = net.population(name).cell
        assert got["ring_buffer_shifts"] == list(ours[name]), name
        assert got["weight_scales"] == [weight_scale(s) * global_weight_scale(cell) for s in ours[name]], name
    compared = {}
    for pr in projs:
        cell = net.population(pr.post).cell
        pre, post, w, _ = pr.connections(net.population(pr.pre).size, net.population(pr.post).size)
        shift = ours[pr.post][0 if pr.receptor == "excitatory" else 1]
        unit = board_scale(cell, pr.receptor)
        # sPyNNaker reads a weight back as its 16 bits over its weight scale (x 1024 for conductances)
        back = quantise(w, shift, unit) / (weight_scale(shift) * global_weight_scale(cell))
        mine = np.column_stack([pre, post, back])
        mine = mine[np.lexsort((mine[:, 2], mine[:, 1], mine[:, 0]))]
        np.testing.assert_array_equal(mine, board["projections"][pr.name], err_msg=pr.name)
        compared[cell.kind] = compared.get(cell.kind, 0) + len(mine)
    assert min(compared.values()) > 40 and len(compared) == 3
    assert any(ours[p.name][0] != ours[p.name][1] for p in pops if not p.is_source)


def test_alpha_weights_reach_the_board_as_charge():
    cell = IFCurrAlpha(tau_syn_E=2.0, tau_syn_I=4.0)
    assert board_scale(cell, "excitatory") == pytest.approx(2 * math.e)
    assert board_scale(cell, "inhibitory") == pytest.approx(4 * math.e)
    assert board_scale(IFCondExp(), "inhibitory") == 1024.0


def test_spinnaker_check_reports_the_new_cells(capsys, tmp_path):
    from spikemem.cli import main
    net = Network([Population("s", 2, SpikeSourceArray(((1.0, 5.0, 9.0), (3.0, 4.0)))),
                   Population("c", 3, IFCondExp(i_offset=0.3)), Population("a", 2, IFCurrAlpha(tau_syn_E=2.0, tau_syn_I=2.0)),
                   Population("z", 2, Izhikevich(tau_syn_E=4.0, tau_syn_I=4.0, i_offset=6.0))],
                  [Projection("sc", "s", "c", AllToAllConnector(), 0.05, 1.0),
                   Projection("sa", "s", "a", AllToAllConnector(), 3.0, 1.0),
                   Projection("sz", "s", "z", AllToAllConnector(), 8.0, 1.0),
                   Projection("cz", "c", "z", AllToAllConnector(), 2.0, 2.0, "inhibitory")])
    net.save(tmp_path / "n.json")
    assert main(["spinnaker", "check", str(tmp_path / "n.json"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    pops = report["populations"]
    assert {pops[p]["cell"] for p in "caz"} == {"IF_cond_exp", "IF_curr_alpha", "Izhikevich"}
    assert pops["z"]["membrane_gain"] is None and pops["a"]["synapse_charge"] is None
    assert pops["c"]["weight_step_nA"]["excitatory"] < 1e-4          # uS: 1024 times finer than nA
    assert sum(pops[p]["spikes"]["float"] for p in "caz") > 0
    assert report["verdict"].split(":")[0] in ("YES", "CLOSE", "DIFFERS")


@pytest.mark.parametrize("simulator", ["nest", "spinnaker"])
def test_exported_scripts_build_the_new_cells(simulator, tmp_path):
    from spikemem.cli import main
    izh = Izhikevich(i_offset=4.0, v_init=-62.0, u_init=-13.0,
                     **({"tau_syn_E": 3.0, "tau_syn_I": 3.0} if simulator == "spinnaker" else {}))
    net = Network([Population("s", 2, SpikeSourceArray(((2.0,), (3.0,)))), Population("c", 2, IFCondExp()),
                   Population("a", 2, IFCurrAlpha(tau_syn_E=2.0, tau_syn_I=2.0)), Population("z", 2, izh)],
                  [Projection("sc", "s", "c", AllToAllConnector(), 0.05, 1.0),
                   Projection("sa", "s", "a", AllToAllConnector(), 3.0, 1.0, "inhibitory"),
                   Projection("sz", "s", "z", AllToAllConnector(), 8.0, 1.0)],
                  Simulation(1.0, "spinnaker" if simulator == "spinnaker" else "exact"))
    net.save(tmp_path / "n.json")
    assert main(["export", "pynn", str(tmp_path / "n.json"), "--simulator", simulator, "--out", str(tmp_path / "x"),
                 "--duration", "5"]) == 0
    script = (tmp_path / "x" / f"run_{simulator}.py").read_text()
    assert "sim.IF_cond_exp(" in script and "e_rev_I=-70.0" in script and "sim.IF_curr_alpha(" in script
    assert "initialize(v=-62.0, u=-13.0)" in script
    if simulator == "spinnaker":        # charge: e tau_syn times the peak; Izhikevich's current as given
        assert f"{-3.0 * 2.0 * math.e!r}" not in script and f"{3.0 * 2.0 * math.e!r}" in script
        assert "i_offset=4.0" in script and "tau_syn_E=3.0" in script
    else:                               # pyNN.nest reads Izhikevich's current 1000 times stronger
        assert "i_offset=0.004" in script and "-3.0" in script
    compile(script, "script", "exec")


def test_exported_brian2_script_integrates_conductances_as_the_backend():
    from spikemem.backends.pynn.script import pynn_script
    net = Network([Population("s", 1, SpikeSourceArray(((2.0,),))), Population("c", 2, IFCondExp())],
                  [Projection("p", "s", "c", AllToAllConnector(), 0.05, 1.0)], Simulation(0.1, "exact"))
    script = pynn_script(net, "brian2", 10.0)
    assert "method = sub_stepped_rk4(SUBSTEPS) if SUBSTEPS > 1 else 'rk4'" in script and "SUBSTEPS = 1 " in script
    compile(script, "script", "exec")
