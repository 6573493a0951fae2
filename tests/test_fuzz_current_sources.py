"""Property tests (hypothesis) of the current-source file entries: a network file whose
current_sources entries are mutated or filled with hostile values ends in spikemem's declared
errors (naming current_sources[k]) or in a network that saves and reloads equal, lowers to every
PyNN simulator or is refused by name, and runs in float and fixed numerics; never in another
exception. CI runs a few hundred examples per property; SPIKEMEM_SLOW=1 the `slow` versions."""
import copy

import pytest
from fuzz_inputs import HOSTILE_FIELD, exercise_network_dict, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spikemem import SpikememError, ValidationError
from spikemem.interchange.json_format import network_from_dict

CI = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
MANY = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))

SOURCES = {
    "DCSource": {"kind": "DCSource", "amplitude": 0.6, "start": 1.0, "stop": 8.0},
    "StepCurrentSource": {"kind": "StepCurrentSource", "times": [0.0, 3.0, 5.0], "amplitudes": [0.2, 0.9, -0.1]},
    "ACSource": {"kind": "ACSource", "amplitude": 0.5, "offset": 0.3, "frequency": 50.0, "phase": 30.0,
                 "start": 2.0, "stop": float("inf")},
    "NoisyCurrentSource": {"kind": "NoisyCurrentSource", "mean": 0.4, "stdev": 0.3, "start": 0.0, "stop": 9.0,
                           "dt": 2.0, "seed": 5},
}
CELL = {"kind": "IF_curr_exp", "cm": 0.25, "tau_m": 4.0, "tau_syn_E": 1.0, "tau_syn_I": 2.0, "v_rest": -60.0,
        "v_reset": -61.0, "v_thresh": -57.0, "tau_refrac": 2.0, "i_offset": 0.0, "v_init": None}


def currents_network_dict() -> dict:
    return {"format": "spikemem.network", "version": "1.2", "name": "currents",
            "simulation": {"dt": 1.0, "scheme": "spinnaker", "numerics": "float"},
            "recording": {"spikes": None, "v": ["a"], "weights": []},
            "populations": [
                {"name": "src", "size": 2, "cell": {"kind": "SpikeSourceArray", "spike_times": [[2.0], [4.0]]},
                 "max_expected_summed_weight": None},
                {"name": "a", "size": 3, "cell": dict(CELL), "max_expected_summed_weight": None},
                {"name": "b", "size": 2, "cell": {"kind": "Izhikevich", "a": 0.02, "b": 0.2, "c": -65.0, "d": 6.0,
                                                  "i_offset": 0.0, "v_init": -70.0, "u_init": -14.0,
                                                  "tau_syn_E": 3.0, "tau_syn_I": 3.0},
                 "max_expected_summed_weight": None}],
            "projections": [{"name": "p", "pre": "src", "post": "a", "connector": {"kind": "all_to_all",
                             "allow_self_connections": True}, "weight": 1.0, "delay": 1.0, "receptor": "excitatory",
                             "plasticity": None}],
            "current_sources": [
                {"source": copy.deepcopy(SOURCES["DCSource"]), "population": "a", "neurons": None},
                {"source": copy.deepcopy(SOURCES["StepCurrentSource"]), "population": "a", "neurons": [2, 0]},
                {"source": copy.deepcopy(SOURCES["ACSource"]), "population": "b", "neurons": [1]},
                {"source": copy.deepcopy(SOURCES["NoisyCurrentSource"]), "population": "b", "neurons": None}]}


def test_the_base_network_runs_everywhere():
    assert exercise_network_dict(currents_network_dict()) is not None


@CI
@given(mutated(currents_network_dict))
def test_mutated_networks_with_current_sources_end_in_declared_errors(d):
    exercise_network_dict(d)


@pytest.mark.slow
@MANY
@given(mutated(currents_network_dict, max_mutations=5))
def test_mutated_networks_with_current_sources_end_in_declared_errors_many(d):
    exercise_network_dict(d)


@CI
@given(st.integers(0, 3), st.data())
def test_every_field_of_every_source_is_checked(k, data):
    """One field of one entry replaced by a hostile value: a ValidationError naming current_sources[k],
    or a network that runs."""
    d = currents_network_dict()
    entry = d["current_sources"][k]
    where = data.draw(st.sampled_from(["population", "neurons"] + [f"source.{f}" for f in entry["source"]]))
    value = data.draw(HOSTILE_FIELD)
    if where.startswith("source."):
        entry["source"][where[7:]] = value
    else:
        entry[where] = value
    try:
        network_from_dict(copy.deepcopy(d))
    except ValidationError as e:
        assert e.field.startswith(f"current_sources[{k}].") or e.field.startswith("current_sources"), e
        return
    except SpikememError:
        return
    exercise_network_dict(d)
