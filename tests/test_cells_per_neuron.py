"""Per-neuron values of the cells IFCondExp, IFCurrAlpha and Izhikevich (format 1.2): every field
given as a tuple, or drawn from a RandomDistribution by the one realisation module, means what
one-neuron populations with those values mean, in the float and fixed engines, on torch, in the
PyNN lowering (NEST, sPyNNaker) and in network files."""
import json
import math
from dataclasses import fields, replace

import numpy as np
import pytest

from spikemem import (AllToAllConnector, IFCondExp, IFCurrAlpha, Izhikevich, Network, Population, Projection,
                      RandomDistribution, Recording, Simulation, SpikeSourceArray, UnsupportedFeature, ValidationError,
                      get_backend)
from spikemem.description import realisation
from spikemem.interchange.json_format import network_from_dict, network_to_dict

N = 4
LIF = dict(cm=(0.5, 1.0, 0.8, 1.2), tau_m=(10.0, 20.0, 15.0, 25.0), tau_syn_E=(2.0, 5.0, 3.0, 4.0),
           tau_syn_I=(4.0, 6.0, 5.0, 8.0), v_rest=(-65.0, -64.0, -66.0, -63.0), v_reset=(-70.0, -65.0, -68.0, -66.0),
           v_thresh=(-55.0, -52.0, -54.0, -50.0), tau_refrac=(0.0, 1.0, 2.0, 0.5), i_offset=(0.5, 0.8, 0.6, 1.0),
           v_init=(-60.0, -65.0, -62.0, -64.0))
IZH = dict(a=(0.02, 0.1, 0.02, 0.05), b=(0.2, 0.25, 0.2, 0.22), c=(-65.0, -50.0, -55.0, -60.0), d=(8.0, 2.0, 4.0, 6.0),
           i_offset=(5.0, 10.0, 4.0, 0.0), v_init=(-70.0, -65.0, -60.0, -68.0), u_init=(-14.0, -12.0, -16.0, -13.0))
# kind -> (cell class, per-neuron values of every field, excitatory weight)
CELLS = {"cond": (IFCondExp, dict(LIF, e_rev_E=(0.0, -5.0, 5.0, 2.0), e_rev_I=(-80.0, -75.0, -70.0, -85.0)), 0.05),
         "alpha": (IFCurrAlpha, LIF, 2.0),
         "izh": (Izhikevich, dict(IZH, tau_syn_E=(2.0, 3.0, 4.0, 5.0), tau_syn_I=(3.0, 2.0, 5.0, 4.0)), 6.0),
         "izd": (Izhikevich, IZH, 4.0)}
TIMES = ((5.0, 20.0, 40.0, 41.0), (10.0, 30.0, 50.0), (15.0, 35.0, 60.0, 61.0, 62.0))
MESW = (4.0, 4.0)          # one ring-buffer sizing for every population: the same shifts joined and split


def _record(kind, pops):
    gsyn = pops if kind != "izd" else ()
    return Recording(spikes=tuple(pops), v=tuple(pops), gsyn_exc=tuple(gsyn), gsyn_inh=tuple(gsyn))


def joined(kind, cell, scheme="exact", numerics="float") -> Network:
    """A source into one population of N neurons with `cell` (per-neuron values), exc and inh."""
    w = CELLS[kind][2]
    mesw = MESW if numerics == "fixed" else None
    return Network([Population("s", 3, SpikeSourceArray(TIMES)), Population("p", N, cell, mesw)],
                   [Projection("e", "s", "p", AllToAllConnector(), w, 1.0),
                    Projection("i", "s", "p", AllToAllConnector(), w / 2, 2.0, "inhibitory")],
                   Simulation(1.0, scheme, numerics), _record(kind, ("p",)))


def split(kind, values: dict, scheme="exact", numerics="float") -> Network:
    """The same network with a one-neuron population per neuron, each cell with that neuron's values."""
    cls, _, w = CELLS[kind]
    mesw = MESW if numerics == "fixed" else None
    names = [f"p{k}" for k in range(N)]
    pops = [Population("s", 3, SpikeSourceArray(TIMES))] + [
        Population(names[k], 1, cls(**{f: float(v[k]) for f, v in values.items()}), mesw) for k in range(N)]
    projs = [pr for k in range(N) for pr in (Projection(f"e{k}", "s", names[k], AllToAllConnector(), w, 1.0),
                                             Projection(f"i{k}", "s", names[k], AllToAllConnector(), w / 2, 2.0,
                                                        "inhibitory"))]
    return Network(pops, projs, Simulation(1.0, scheme, numerics), _record(kind, names))


def assert_same(whole, parts, signals=("v", "gsyn_exc", "gsyn_inh")):
    """The joined run's neuron k is the split run's population p<k>, bit for bit."""
    for k in range(N):
        assert np.array_equal(whole.spike_matrix("p")[..., k], parts.spike_matrix(f"p{k}")[..., 0]), k
        for signal in signals:
            if getattr(whole, signal):
                np.testing.assert_array_equal(getattr(whole, signal)["p"][..., k],
                                              getattr(parts, signal)[f"p{k}"][..., 0], err_msg=f"{signal} {k}")


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
@pytest.mark.parametrize("kind", sorted(CELLS))
def test_a_tuple_per_field_is_a_population_per_neuron(kind, scheme):
    cls, values, _ = CELLS[kind]
    whole = get_backend("reference").run(joined(kind, cls(**values), scheme), 80.0)
    parts = get_backend("reference").run(split(kind, values, scheme), 80.0)
    assert_same(whole, parts)
    counts = whole.spike_matrix("p").sum(axis=(0, 1))
    assert counts.sum() > 0 and len(set(counts.tolist())) > 1          # the neurons differ


def drawn(kind) -> dict:
    """Every field a distribution (within what the field allows), each with its own seed."""
    cls, values, _ = CELLS[kind]
    out = {}
    for k, (f, v) in enumerate(values.items()):
        lo, hi = min(v), max(v)
        out[f] = RandomDistribution("uniform", low=lo, high=hi if hi > lo else lo + 1.0, seed=k + 1)
    return out


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_distributions_are_drawn_once_by_the_realisation_the_engine_runs(kind):
    """The engine runs the values realisation.neuron_values draws (keyed by population and field):
    the split network built from those draws gives the same run."""
    cls = CELLS[kind][0]
    net = joined(kind, cls(**drawn(kind)))
    pop = net.population("p")
    values = {f: realisation.neuron_values(pop, f) for f in drawn(kind)}
    assert all(len(set(v.tolist())) == N for v in values.values())          # really per neuron
    assert np.array_equal(values["v_init"], realisation.neuron_values(pop, "v_init"))   # the same draw twice
    assert_same(get_backend("reference").run(net, 80.0), get_backend("reference").run(split(kind, values), 80.0))


@pytest.mark.parametrize("kind", ["cond", "alpha", "izh"])
def test_fixed_numerics_take_a_core_constant_per_distinct_value(kind):
    """numerics='fixed' (sPyNNaker's models): per-neuron values give each neuron the integers its
    own one-neuron population gets (the alpha synapse's tau_syn stays one value here: its board
    weight scale, e tau_syn, is per neuron too, test below)."""
    cls, values, _ = CELLS[kind]
    if kind == "alpha":
        values = dict(values, tau_syn_E=(2.0,) * N, tau_syn_I=(3.0,) * N)
    whole = get_backend("reference").run(joined(kind, cls(**values), "spinnaker", "fixed"), 80.0)
    parts = get_backend("reference").run(split(kind, values, "spinnaker", "fixed"), 80.0)
    assert_same(whole, parts)
    assert whole.count("p") > 0 and not whole.saturations["p"]["accum"].any()


def test_an_alpha_tau_syn_per_neuron_scales_each_neurons_board_weights():
    """sPyNNaker's alpha synapse takes e tau_syn times the peak: with tau_syn per neuron the fixed
    engine's weight scale, the lowered sPyNNaker weights and the board statistics follow each post
    neuron; one STDP rule cannot, and is refused by name."""
    from spikemem.backends.pynn.lowering import lower
    from spikemem.backends.pynn.simulators import SPINNAKER
    from spikemem.engine.flatten import flatten
    cell = IFCurrAlpha(**LIF)
    net = joined("alpha", cell, "spinnaker", "fixed")
    p = flatten(net).params
    np.testing.assert_allclose(p["fx_wscale"], math.e * np.concatenate([LIF["tau_syn_E"], LIF["tau_syn_I"]]))
    plain = lower(replace(net, simulation=Simulation(1.0, "spinnaker")), SPINNAKER)
    rows = {pr["name"]: np.asarray(pr["connections"]) for pr in plain["projections"]}
    np.testing.assert_allclose(rows["e"][:, 2], 2.0 * math.e * np.asarray(LIF["tau_syn_E"])[rows["e"][:, 1].astype(int)])
    np.testing.assert_allclose(rows["i"][:, 2], 1.0 * math.e * np.asarray(LIF["tau_syn_I"])[rows["i"][:, 1].astype(int)])
    assert plain["populations"][1]["params"]["tau_syn_E"] == list(LIF["tau_syn_E"])
    from spikemem import STDP
    plastic = replace(net, projections=[replace(net.projections[0], plasticity=STDP(w_max=4.0))] + [net.projections[1]])
    with pytest.raises(UnsupportedFeature, match="e.plasticity: its post neurons' weights"):
        get_backend("reference").run(plastic, 10.0)
    with pytest.raises(UnsupportedFeature, match="^e: spinnaker takes its post neurons' weights"):
        lower(replace(plastic, simulation=Simulation(1.0, "spinnaker")), SPINNAKER)


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_torch_float64_runs_the_references_numbers(kind, one_torch_thread):
    cls = CELLS[kind][0]
    net = joined(kind, cls(**drawn(kind)), "spinnaker")
    ref = get_backend("reference").run(net, 80.0)
    got = get_backend("torch", dtype="float64").run(net, 80.0)
    assert np.array_equal(ref.spike_matrix("p"), got.spike_matrix("p"))
    np.testing.assert_array_equal(ref.v["p"], got.v["p"])


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_files_hold_tuples_and_distributions_as_format_1_2(kind):
    cls, values, _ = CELLS[kind]
    for cell in (cls(**values), cls(**drawn(kind))):
        net = joined(kind, cell)
        d = json.loads(json.dumps(network_to_dict(net)))
        assert d["version"] == "1.2" and network_from_dict(d) == net
    entry = network_to_dict(joined(kind, cls(**drawn(kind))))["populations"][1]["cell"]
    assert entry["u_init" if kind.startswith("iz") else "cm"]["distribution"] == "uniform"
    with pytest.raises(ValidationError, match=r"^p\.v_init=3: must be one value or one per neuron \(4\)"):
        Population("p", N, cls(**dict(values, v_init=values["v_init"][:3])))


def test_a_distribution_that_can_leave_a_fields_range_is_refused_by_name():
    with pytest.raises(ValidationError, match=r"^Izhikevich\.tau_syn_E=.*can draw -inf; values must be > 0"):
        Izhikevich(tau_syn_E=RandomDistribution("normal", mu=2.0, sigma=1.0), tau_syn_I=2.0)
    with pytest.raises(ValidationError, match=r"^Izhikevich\.u_init\[1\]"):
        Izhikevich(u_init=(1.0, float("nan")))
    with pytest.raises(ValidationError, match=r"^Izhikevich\.tau_syn_I"):
        Izhikevich(tau_syn_E=(2.0, 3.0))            # both numbers or both None, per neuron or not


def test_nest_gets_a_value_per_neuron_and_runs_as_the_reference():
    """pyNN.nest takes the per-neuron values as lists (u as initial values, Izhikevich's current
    scaled per neuron): alpha and voltage-jump Izhikevich runs equal the reference spike for spike."""
    pytest.importorskip("pyNN.nest")
    from spikemem.backends.pynn.lowering import lower
    from spikemem.backends.pynn.simulators import NEST
    plain = lower(joined("izd", Izhikevich(**IZH)), NEST)
    p = plain["populations"][1]
    assert p["params"]["i_offset"] == [v * 1e-3 for v in IZH["i_offset"]]
    assert p["u_init"] == list(IZH["u_init"]) and p["v_init"] == list(IZH["v_init"])
    assert set(p["params"]) == {f.name for f in fields(Izhikevich)} - {"v_init", "u_init", "tau_syn_E", "tau_syn_I"}
    for kind in ("alpha", "izd"):
        cls, values, _ = CELLS[kind]
        if kind == "alpha":                      # pyNN.nest's alpha has tau_syn_E and _I of its own, kept per neuron
            values = dict(values, tau_refrac=(0.0, 1.0, 2.0, 3.0))
        net = replace(joined(kind, cls(**values)), recording=Recording(spikes=("p",)))
        ref = get_backend("reference").run(net, 80.0)
        got = get_backend("nest").run(net, 80.0)
        assert ref.spike_list("p") == got.spike_list("p"), kind
        assert ref.count("p") > 0
