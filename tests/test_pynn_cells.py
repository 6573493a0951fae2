"""IF_curr_alpha, Izhikevich and IF_cond_exp on NEST (and Brian2, slow) against the reference
engine on seeded random networks (tests/pynn_cell_networks.py), the exact scheme:
- IF_curr_alpha (iaf_psc_alpha) and Izhikevich (izhikevich): spike for spike, V and gsyn equal
  to rounding;
- IF_cond_exp (iaf_cond_exp, integrated by GSL's adaptive rkf45 at an absolute tolerance of
  1e-3): spikes paired within one step, a spike only one side has allowed only where the other
  side's V is within NEAR_MV of the threshold; V within V_TOL of the reference in networks whose
  spikes are equal (docs/cells.md states both).
Also the refusals by name, and sPyNNaker on a virtual board."""
from dataclasses import replace

import numpy as np
import pytest
from pynn_cell_networks import random_network

from spikemem import (AllToAllConnector, IFCondExp, IFCurrAlpha, IFCurrExp, Izhikevich, Network, OneToOneConnector,
                      Population, Projection, Recording, Simulation, SpikeSourceArray, UnsupportedFeature, get_backend)
from spikemem.description.features import missing_features

NEAR_MV = 0.01                        # NEST's V at a spike only one side has: this close to threshold
V_TOL = {1.0: 0.02, 0.1: 1e-5}        # mV, IF_cond_exp against NEST in networks with equal spikes


def _need(simulator):
    pytest.importorskip("pyNN")
    pytest.importorskip(simulator)


@pytest.mark.parametrize("model, seeds", [("alpha", range(16)), ("izhikevich", range(16))])
def test_alpha_and_izhikevich_networks_match_nest_spike_for_spike(model, seeds):
    _need("nest")
    spikes = 0
    for seed in seeds:
        net = random_network(seed, model)
        ref, got = get_backend("reference").run(net, 80.0), get_backend("nest").run(net, 80.0)
        for pop in ("a", "b"):
            assert got.spike_list(pop) == ref.spike_list(pop), (seed, pop)
            np.testing.assert_allclose(got.v[pop], ref.v[pop], rtol=0, atol=1e-9, err_msg=f"{seed} {pop}")
            for g in ("gsyn_exc", "gsyn_inh"):
                if pop in getattr(ref, g):
                    np.testing.assert_allclose(getattr(got, g)[pop], getattr(ref, g)[pop], rtol=0, atol=1e-12)
        spikes += ref.count("a") + ref.count("b")
    assert spikes > 15 * len(seeds)


def _paired(ref_steps, got_steps) -> tuple:
    """Spikes paired at the same step first, then within one step; (unpaired of ref, of got)."""
    r, g = sorted(ref_steps), sorted(got_steps)
    for s in set(r) & set(g):
        r.remove(s), g.remove(s)
    lone_r = []
    for s in r:
        near = [x for x in g if abs(x - s) <= 1]
        if near:
            g.remove(near[0])
        else:
            lone_r.append(s)
    return lone_r, g


def compare_cond(net, ref, got, dt):
    """(networks' spikes equal, largest |V difference|, unpaired spikes): asserts the pairing rule."""
    equal, lone = True, 0
    for pop in ("a", "b"):
        th = net.population(pop).cell.v_thresh
        for i in range(net.population(pop).size):
            rs = [round(t / dt) for t in ref.spike_trains(pop)[i]]
            gs = [round(t / dt) for t in got.spike_trains(pop)[i]]
            equal &= rs == gs
            lone_r, lone_g = _paired(rs, gs)
            for s in lone_r:          # NEST did not fire where the reference did: it was just below
                assert th - got.v[pop][0, s, i] <= NEAR_MV, (pop, i, s, got.v[pop][0, s, i])
            for s in lone_g:
                assert th - ref.v[pop][0, s, i] <= NEAR_MV, (pop, i, s, ref.v[pop][0, s, i])
            lone += len(lone_r) + len(lone_g)
    dv = max(float(np.abs(ref.v[p] - got.v[p]).max()) for p in ("a", "b"))
    return equal, dv, lone


@pytest.mark.parametrize("dt, seeds", [(1.0, range(24)), (0.1, range(6))])
def test_conductance_networks_match_nest_within_its_tolerance(dt, seeds):
    _need("nest")
    equal_nets, spikes = 0, 0
    for seed in seeds:
        net = random_network(seed, "cond", dt)
        ref, got = get_backend("reference").run(net, 80.0), get_backend("nest").run(net, 80.0)
        equal, dv, lone = compare_cond(net, ref, got, dt)
        assert lone <= 2, seed
        if equal:
            equal_nets += 1
            assert dv <= V_TOL[dt], (seed, dv)
            for g in ("gsyn_exc", "gsyn_inh"):
                for p in ("a", "b"):
                    np.testing.assert_allclose(getattr(got, g)[p], getattr(ref, g)[p], rtol=0, atol=1e-6)
        spikes += ref.count("a") + ref.count("b")
    assert equal_nets >= 0.9 * len(seeds) and spikes > 30 * len(seeds)


@pytest.mark.slow
def test_brian2_alpha_and_cond_spike_for_spike():
    """IF_cond_exp on Brian2 runs classic Runge-Kutta on the sub-steps the run needs (the backend's
    choice; pyNN.brian2 would take forward Euler): the spikes are the reference's and V within 1e-4 mV.
    IF_curr_alpha with tau_syn near tau_m is refused there (cell.alpha.tau_syn_near_tau_m): left out."""
    _need("brian2")
    alpha = []
    for seed in range(6):
        net = random_network(seed, "alpha")
        net = replace(net, populations=[replace(p, cell=replace(p.cell, tau_syn_I=p.cell.tau_syn_E))
                                        if not p.is_source else p for p in net.populations])
        if not missing_features(get_backend("brian2"), net):
            alpha.append(net)
    assert len(alpha) >= 3
    for seed, net in enumerate(alpha[:3]):
        ref, got = get_backend("reference").run(net, 80.0), get_backend("brian2").run(net, 80.0)
        for pop in ("a", "b"):
            assert got.spike_list(pop) == ref.spike_list(pop), (seed, pop)
            np.testing.assert_allclose(got.v[pop], ref.v[pop], rtol=0, atol=1e-6)     # Brian2's own propagators
        net = random_network(seed, "cond", 0.1)
        ref, got = get_backend("reference").run(net, 80.0), get_backend("brian2").run(net, 80.0)
        for pop in ("a", "b"):
            assert got.spike_list(pop) == ref.spike_list(pop), (seed, pop)
            np.testing.assert_allclose(got.v[pop], ref.v[pop], rtol=0, atol=1e-4)


def test_sessions_on_nest_record_gsyn_window_by_window():
    _need("nest")
    net = random_network(3, "alpha")
    ref = get_backend("reference").run(net, 80.0)
    s = get_backend("nest").session(net)
    try:
        windows = [s.run(t) for t in (30.0, 55.0, 80.0)]
    finally:
        s.close()
    for g in ("gsyn_exc", "gsyn_inh"):
        got = np.concatenate([getattr(w, g)["a"] for w in windows], axis=1)
        np.testing.assert_allclose(got, getattr(ref, g)["a"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("simulator, cell, feature", [
    ("nest", Izhikevich(tau_syn_E=5.0, tau_syn_I=5.0), "cell.izhikevich.exp"),
    ("brian2", Izhikevich(), "cell.izhikevich.delta"),
    ("brian2", IFCurrAlpha(tau_syn_E=2.0, tau_syn_I=3.0), "cell.alpha.distinct_tau_syn"),
    # Brian2's exact solutions divide by tau_m - tau_syn: V was NaN at equality, 0.04 mV off 0.1 % beside it
    ("brian2", IFCurrExp(tau_m=3.188, tau_syn_E=3.188), "cell.exp.tau_syn_near_tau_m"),
    ("brian2", IFCurrExp(tau_m=3.188, tau_syn_I=3.188 * (1 + 1e-12)), "cell.exp.tau_syn_near_tau_m"),
    ("brian2", IFCurrAlpha(tau_m=30.0, tau_syn_E=30.03, tau_syn_I=30.03), "cell.alpha.tau_syn_near_tau_m"),
    ("spinnaker", Izhikevich(), "cell.izhikevich.delta"),
    ("spinnaker", IFCurrAlpha(tau_syn_E=0.5, tau_syn_I=2.0), "cell.alpha.short_tau")])
def test_what_a_simulator_lacks_is_refused_by_name(simulator, cell, feature):
    _need({"nest": "nest", "brian2": "brian2", "spinnaker": "spynnaker"}[simulator])
    scheme = "spinnaker" if simulator == "spinnaker" else "exact"
    net = Network([Population("s", 1, SpikeSourceArray(((3.0,),))), Population("n", 1, cell)],
                  [Projection("p", "s", "n", OneToOneConnector(), 1.0, 1.0)], Simulation(1.0, scheme))
    backend = get_backend(simulator)
    assert feature in missing_features(backend, net)
    with pytest.raises(UnsupportedFeature, match=feature.replace(".", r"\.")):
        backend.run(net, 5.0)


def test_the_new_cells_map_on_a_virtual_spinnaker_board(tmp_path):
    _need("spynnaker")
    from spikemem.backends.pynn.run_folder import RunFolder
    from spikemem.hardware.spinnaker.mapping import map_network
    cells = {"cond": IFCondExp(), "alpha": IFCurrAlpha(tau_syn_E=2.0, tau_syn_I=3.0),
             "izh": Izhikevich(tau_syn_E=5.0, tau_syn_I=5.0, i_offset=4.0)}
    net = Network([Population("s", 4, SpikeSourceArray())] + [Population(k, 5, c) for k, c in cells.items()],
                  [Projection(f"p{k}", "s", k, AllToAllConnector(), w, 1.0) for k, w in
                   (("cond", 0.01), ("alpha", 0.5), ("izh", 5.0))] +
                  [Projection("ci", "cond", "izh", AllToAllConnector(), 1.0, 2.0, "inhibitory")],
                  Simulation(1.0, "spinnaker"), Recording(gsyn_exc=("cond", "alpha", "izh"), v=("izh",)))
    report = map_network(net, run_folder=RunFolder.create(tmp_path, virtual=True))
    assert set(cells) <= set(report["populations"]) and report["cores"] >= 3


def test_brian2_analog_signals_are_on_the_reference_steps():
    """pyNN.brian2 prepends the initial value to signals recorded at each step's end: its V read
    as it came was one step behind the reference (max 0.99 mV off here before the fix)."""
    _need("brian2")
    from spikemem import IFCurrExp
    net = Network([Population("s", 2, SpikeSourceArray(((3.0, 5.0), (4.0,)))),
                   Population("n", 2, IFCurrExp(tau_syn_E=2.0, v_thresh=-55.0))],
                  [Projection("p", "s", "n", OneToOneConnector(), 1.0, 1.0)], Simulation(1.0, "exact"),
                  Recording(v=("n",), gsyn_exc=("n",)))
    ref, got = get_backend("reference").run(net, 12.0), get_backend("brian2").run(net, 12.0)
    np.testing.assert_allclose(got.v["n"], ref.v["n"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.gsyn_exc["n"], ref.gsyn_exc["n"], rtol=0, atol=1e-12)
    assert ref.v["n"].max() > -64.5
