"""The new cell models on the torch-based engines: torch in float64 runs the reference's numbers
(spikes, V and gsyn equal, both schemes; numerics='fixed' equal in any dtype), snnTorch and Norse
declare the models and gsyn recording unsupported and refuse them by name."""
from dataclasses import replace

import numpy as np
import pytest
from test_cells import MIXED_INPUTS, mixed_network

from spikemem import Izhikevich, Recording, Simulation, UnsupportedFeature, get_backend
from spikemem.description.features import missing_features


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_torch_float64_equals_the_reference(scheme, one_torch_thread):
    net = mixed_network(scheme)
    ref = get_backend("reference").run(net, 100.0, inputs=MIXED_INPUTS)
    got = get_backend("torch", dtype="float64").run(net, 100.0, inputs=MIXED_INPUTS)
    for pop in ref.spikes:
        assert np.array_equal(ref.spike_matrix(pop), got.spike_matrix(pop)), pop
    for signal in ("v", "gsyn_exc", "gsyn_inh"):
        for pop, a in getattr(ref, signal).items():
            np.testing.assert_array_equal(getattr(got, signal)[pop], a, err_msg=f"{signal} {pop}")
    assert ref.count() > 1000


def test_torch_fixed_numerics_equal_numpys(one_torch_thread):
    net = mixed_network("spinnaker")
    pops = [replace(p, cell=Izhikevich(i_offset=5.0, tau_syn_E=2.0, tau_syn_I=2.0)) if p.name == "izd" else p
            for p in net.populations]
    pops = [replace(p, cell=replace(p.cell, tau_syn_E=2.0, tau_syn_I=3.0)) if p.name == "alpha" else p for p in pops]
    net = replace(net, populations=pops, simulation=Simulation(1.0, "spinnaker", "fixed"))
    ref = get_backend("reference").run(net, 100.0, inputs=MIXED_INPUTS)
    got = get_backend("torch", dtype="float32").run(net, 100.0, inputs=MIXED_INPUTS)
    for pop in ref.spikes:
        assert np.array_equal(ref.spike_matrix(pop), got.spike_matrix(pop)), pop
    for pop, a in ref.gsyn_exc.items():
        np.testing.assert_array_equal(got.gsyn_exc[pop], a)
    assert {k: v["accum"].tolist() for k, v in ref.saturations.items()} == \
        {k: v["accum"].tolist() for k, v in got.saturations.items()}


@pytest.mark.parametrize("library", ["snntorch", "norse"])
def test_library_cells_refuse_the_new_models_by_name(library, one_torch_thread):
    pytest.importorskip({"snntorch": "snntorch", "norse": "norse.torch"}[library])
    backend = get_backend(library, dtype="float64")
    net = mixed_network("exact")
    assert {"cell.cond_exp", "cell.alpha", "cell.izhikevich", "record.gsyn"} <= set(missing_features(backend, net))
    with pytest.raises(UnsupportedFeature, match=r"cell\.cond_exp"):
        backend.run(replace(net, recording=Recording()), 10.0, inputs=MIXED_INPUTS)
    lif = replace(net, populations=[replace(p, cell=replace(p.cell, tau_syn_I=p.cell.tau_syn_E, i_offset=0.0))
                                    if p.name == "lif" else p for p in net.populations if p.name in ("s", "lif")],
                  projections=[pr for pr in net.projections if pr.name == "plif"], recording=Recording())
    with pytest.raises(UnsupportedFeature, match=r"record\.gsyn"):
        backend.run(replace(lif, recording=Recording(gsyn_exc=("lif",))), 10.0, inputs=MIXED_INPUTS)
    assert backend.run(replace(lif, recording=Recording(v=("lif",))), 10.0, inputs=MIXED_INPUTS).count("lif") >= 0


def test_a_conductance_time_constant_too_short_for_the_step_is_refused_by_name():
    """Under exact, IF_cond_exp's Runge-Kutta sub-steps follow its shortest time constant; one too
    short (here subnormal) overflowed building the engine (found by the cell-field fuzzer)."""
    from spikemem import IFCondExp, Network, Population, ValidationError
    net = Network([Population("c", 2, IFCondExp(tau_m=2.2e-309))], [], Simulation(dt=1.0, scheme="exact"),
                  Recording(spikes=("c",)))
    with pytest.raises(ValidationError, match=r"^c\.cell=.*time constant of 2\.2e-309 ms needs"):
        get_backend("reference").run(net, 5.0)
    get_backend("reference").run(replace(net, simulation=Simulation(dt=1.0, scheme="spinnaker")), 5.0)
