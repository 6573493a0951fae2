"""The portable variant keeps the SpiNNaker timing on exact integrators: it reproduces the
authors' recordings spike for spike under both update schemes, on NEST and on Brian2."""
import json
import warnings
from dataclasses import replace

import pytest

from spikemem import ValidationError
from spikemem.models.ca3 import RECORDED, parse_stimulus, replay
from spikemem.models.ca3.portable import DT, portable
from spikemem.models.ca3.variants import variant_params

from conftest import golden_file

FILES = ["exp1_functional_learn_recall_forget.json", "exp2_stress_pyramidal_sequence.json"]


def assert_reproduces(name, backend, scheme, numerics="float"):
    golden = json.loads(golden_file(name).read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = replay(parse_stimulus(golden), backend, params=replace(portable(scheme), numerics=numerics))
    for pop in RECORDED:
        want = sorted(map(tuple, golden["recorded_spikes"][pop]["spikes_t_ms_neuron"]))
        got = sorted((round(t, 9), n) for t, n in ours["recorded_spikes"][pop]["spikes_t_ms_neuron"])
        assert got == want, pop


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_reference_reproduces_the_recordings_in_both_schemes(name, scheme):
    assert_reproduces(name, "reference", scheme)


@pytest.mark.parametrize("name", FILES)
def test_fixed_numerics_reproduce_the_recordings(name):
    """SpiNNaker's own arithmetic (numerics='fixed') at dt = 0.1 ms keeps every spike too."""
    assert_reproduces(name, "reference", "spinnaker", "fixed")


@pytest.mark.parametrize("name", FILES)
def test_nest_reproduces_the_recordings(name):
    pytest.importorskip("pyNN.nest")
    assert_reproduces(name, "nest", "exact")


def test_brian2_reproduces_the_functional_recording():
    pytest.importorskip("brian2")
    pytest.importorskip("pyNN.brian2")
    assert_reproduces(FILES[0], "brian2", "exact")


def test_portable_is_built_from_the_published_circuit():
    p = portable("exact")
    assert p.dt == DT and p.scheme == "exact"
    assert dict(p.delays)["cue_inhibits_other_cuecont"] == pytest.approx(3.0 - DT)
    assert dict(portable("spinnaker").delays)["cue_inhibits_other_cuecont"] == 3.0
    assert variant_params("portable") == p
    with pytest.raises(ValidationError, match="scheme='euler'"):
        portable("euler")
