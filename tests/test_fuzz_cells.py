"""Property tests (hypothesis) of the new cells and recordings: every field of IFCondExp,
IFCurrAlpha and Izhikevich, the gsyn and sampling entries of a recording and their file entries,
mutated or drawn from hostile values, end in spikemem's declared errors (naming population.field
where a file names the population) or in a network that loads, saves, reloads equal, lowers to
every PyNN simulator or is refused by name, and runs in float and fixed numerics; never in another
exception. CI runs a few hundred examples per property; SPIKEMEM_SLOW=1 the `slow` versions."""
import copy
import math

import pytest
from fuzz_inputs import HOSTILE_FIELD, exercise_network_dict, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spikemem import Network, SpikememError, ValidationError, get_backend
from spikemem.description.cells import cell_from_dict
from spikemem.interchange.json_format import network_from_dict

CI = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
MANY = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))

CELLS = {
    "IF_cond_exp": {"kind": "IF_cond_exp", "cm": 0.25, "tau_m": 10.0, "tau_syn_E": 2.0, "tau_syn_I": 4.0, "e_rev_E": 0.0,
                    "e_rev_I": -75.0, "v_rest": -65.0, "v_reset": -66.0, "v_thresh": -55.0, "tau_refrac": 2.0,
                    "i_offset": 0.2, "v_init": None},
    "IF_curr_alpha": {"kind": "IF_curr_alpha", "cm": 0.5, "tau_m": 10.0, "tau_syn_E": 2.0, "tau_syn_I": 3.0,
                      "v_rest": -65.0, "v_reset": -66.0, "v_thresh": -55.0, "tau_refrac": 1.0, "i_offset": 0.1,
                      "v_init": -62.0},
    "Izhikevich": {"kind": "Izhikevich", "a": 0.02, "b": 0.2, "c": -65.0, "d": 6.0, "i_offset": 5.0, "v_init": -70.0,
                   "u_init": -14.0, "tau_syn_E": 3.0, "tau_syn_I": 3.0},
}


def cells_network_dict() -> dict:
    """A small network with one population of each new cell, gsyn recorded at an interval."""
    pops = [{"name": "src", "size": 2, "cell": {"kind": "SpikeSourceArray", "spike_times": [[0.0, 2.0], [1.0, 3.0]]},
             "max_expected_summed_weight": None}]
    projs = []
    for k, (kind, cell) in enumerate(CELLS.items()):
        pops.append({"name": f"p{k}", "size": 2, "cell": dict(cell), "max_expected_summed_weight": None})
        w = {"IF_cond_exp": 0.02, "IF_curr_alpha": 1.0, "Izhikevich": 6.0}[kind]
        projs.append({"name": f"s{k}", "pre": "src", "post": f"p{k}", "connector": {"kind": "all_to_all",
                      "allow_self_connections": True}, "weight": w, "delay": 1.0, "receptor": "excitatory",
                      "plasticity": None})
        projs.append({"name": f"i{k}", "pre": f"p{(k + 1) % 3}", "post": f"p{k}", "connector": {"kind": "one_to_one"},
                      "weight": [w / 2, w / 3], "delay": 2.0, "receptor": "inhibitory", "plasticity": None})
    return {"format": "spikemem.network", "version": "1.1", "name": "cells",
            "simulation": {"dt": 1.0, "scheme": "spinnaker", "numerics": "float"},
            "recording": {"spikes": None, "v": ["p0", "p2"], "weights": [], "gsyn_exc": ["p0", "p1"],
                          "gsyn_inh": ["p2"], "sampling_interval": 2.0},
            "populations": pops, "projections": projs}


def test_the_base_network_runs_everywhere():
    assert exercise_network_dict(cells_network_dict()) is not None


@CI
@given(mutated(cells_network_dict))
def test_mutated_cell_networks_end_in_declared_errors(d):
    exercise_network_dict(d)


@pytest.mark.slow
@MANY
@given(mutated(cells_network_dict, max_mutations=5))
def test_mutated_cell_networks_end_in_declared_errors_many(d):
    exercise_network_dict(d)


@CI
@given(st.sampled_from(sorted(CELLS)), st.data())
def test_every_field_of_every_new_cell_is_checked(kind, data):
    """One field replaced by a hostile value: a ValidationError naming pop.field, or a cell that runs."""
    entry = copy.deepcopy(CELLS[kind])
    field = data.draw(st.sampled_from(sorted(k for k in entry if k != "kind")))
    entry[field] = data.draw(HOSTILE_FIELD)
    try:
        cell = cell_from_dict(entry, "pop")
    except ValidationError as e:
        assert e.field.startswith("pop."), e
        assert e.field.split(".")[1].split("[")[0] in (field, "tau_syn_E", "tau_syn_I", "cm"), e
        return
    d = cells_network_dict()
    d["populations"][1 + sorted(CELLS).index(kind)]["cell"] = cell.to_dict()
    exercise_network_dict(d)


@CI
@given(st.sampled_from(["gsyn_exc", "gsyn_inh", "sampling_interval"]), HOSTILE_FIELD)
def test_recording_entries_are_checked(key, value):
    d = cells_network_dict()
    d["recording"][key] = value
    try:
        network_from_dict(d)
    except SpikememError as e:
        assert key in str(e) or "recording" in str(e), e


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.floats(0.05, 40), st.floats(0.05, 40), st.floats(-200, 200), st.floats(-200, 200), st.floats(0.01, 5),
       st.floats(-5, 5))
def test_extreme_but_valid_parameters_never_run_silently_wrong(tau_e, tau_i, e_e, e_i, a, i_offset):
    """Drawn parameters: runs end finite (the engine refuses a V that leaves the float range)."""
    d = cells_network_dict()
    d["populations"][1]["cell"].update(tau_syn_E=tau_e, tau_syn_I=tau_i, e_rev_E=e_e, e_rev_I=e_i)
    d["populations"][2]["cell"].update(tau_syn_E=tau_e, tau_syn_I=tau_i, i_offset=i_offset)
    d["populations"][3]["cell"].update(a=a, i_offset=i_offset * 10, tau_syn_E=tau_e)
    net = network_from_dict(d)
    for scheme in ("spinnaker", "exact"):
        from dataclasses import replace

        from spikemem import Simulation
        try:
            res = get_backend("reference").run(replace(net, simulation=Simulation(1.0, scheme)), 20.0)
        except SpikememError:
            continue
        for signal in ("v", "gsyn_exc", "gsyn_inh"):
            for a_ in getattr(res, signal).values():
                assert all(math.isfinite(x) for x in a_.ravel()), signal


def test_errors_from_a_file_name_the_population():
    d = cells_network_dict()
    d["populations"][3]["cell"]["tau_syn_E"] = -1.0
    with pytest.raises(ValidationError, match=r"p2\.tau_syn_E=-1\.0"):
        Network.from_dict(d)


@CI
@given(st.lists(st.integers(0, 3), min_size=4, max_size=4), st.sampled_from(["spinnaker", "exact"]))
def test_any_population_sizes_load_and_run(sizes, scheme):
    """Empty and small populations of every model (an empty model slice once crashed fixed numerics)."""
    d = cells_network_dict()
    d["simulation"]["scheme"] = scheme
    for p, n in zip(d["populations"], sizes):
        p["size"] = n
        if p["cell"]["kind"] == "SpikeSourceArray":
            p["cell"]["spike_times"] = [[float(k)] for k in range(n)]
    for pr in d["projections"]:
        if pr["connector"]["kind"] == "one_to_one":
            pr["weight"] = 0.01
    exercise_network_dict(d)
