"""The reference engine reproduces the authors' SpiNNaker recordings spike for spike, in float and in
SpiNNaker's fixed-point numerics."""
import json

import pytest
from conftest import golden_file
from spikemem.models.ca3 import RECORDED, cases, parse_stimulus, protocol, replay
from spikemem.models.ca3.params import CA3Params

from spikemem.cli import main

FILES = ["exp1_functional_learn_recall_forget.json", "exp2_stress_pyramidal_sequence.json"]


def spike_sets(record):
    return {pop: sorted(map(tuple, record["recorded_spikes"][pop]["spikes_t_ms_neuron"])) for pop in RECORDED}


@pytest.mark.parametrize("numerics", ["float", "fixed"])
@pytest.mark.parametrize("name", FILES)
def test_replay_matches_every_population_every_ms(name, numerics):
    golden = json.loads(golden_file(name).read_text())
    ours = replay(parse_stimulus(golden), params=CA3Params(numerics=numerics))
    want, got = spike_sets(golden), spike_sets(ours)
    for pop in RECORDED:
        assert got[pop] == want[pop], pop
    assert sum(map(len, got.values())) == sum(len(v["spikes_t_ms_neuron"]) for v in golden["recorded_spikes"].values())


@pytest.mark.parametrize("numerics", ["float", "fixed"])
@pytest.mark.parametrize("name", FILES)
def test_cli_replay_writes_identical_spikes(name, numerics, tmp_path):
    out = tmp_path / "spikes.json"
    assert main(["cam", "replay", str(golden_file(name)), "--out", str(out), "--numerics", numerics]) == 0
    golden = json.loads(golden_file(name).read_text())
    written = json.loads(out.read_text())
    assert spike_sets(written) == spike_sets(golden)
    assert written["input_spike_times_ms"] == golden["input_spike_times_ms"]
    assert {k: written[k] for k in ("cueSize_C", "contSize_N", "simTime_ms")} == \
        {k: golden[k] for k in ("cueSize_C", "contSize_N", "simTime_ms")}


@pytest.mark.parametrize("case, name", [(cases.functional, FILES[0]), (cases.stress_pyramidal, FILES[1])])
def test_published_cases_generate_the_recorded_stimulus(case, name):
    golden = json.loads(golden_file(name).read_text())["input_spike_times_ms"]
    cue, content = protocol.spike_trains(case())
    assert cue == golden["cue_neurons_0..C-1"]
    assert content == golden["content_neurons_0..N-1"]


def test_replay_rejects_bad_files(tmp_path):
    golden = json.loads(golden_file(FILES[0]).read_text())
    bad = dict(golden)
    bad["input_spike_times_ms"] = {**golden["input_spike_times_ms"],
                                   "cue_neurons_0..C-1": golden["input_spike_times_ms"]["cue_neurons_0..C-1"][:4]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    out = tmp_path / "out.json"
    out.write_text("previous")
    assert main(["cam", "replay", str(path), "--out", str(out)]) == 2
    assert out.read_text() == "previous"


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["input_spike_times_ms"]["content_neurons_0..N-1"].append([3]), "content_neurons"),
    (lambda d: d["input_spike_times_ms"]["cue_neurons_0..C-1"][0].append(-1), "-1"),
    (lambda d: d["input_spike_times_ms"]["cue_neurons_0..C-1"][0].append(2.5), "2.5"),
    (lambda d: d.pop("simTime_ms"), "simTime_ms"),
    (lambda d: d["input_spike_times_ms"].pop("cue_neurons_0..C-1"), "cue_neurons_0..C-1"),
])
def test_bad_stimulus_files_name_the_field(mutate, field):
    from spikemem import ValidationError
    d = json.loads(golden_file(FILES[0]).read_text())
    mutate(d)
    with pytest.raises(ValidationError, match=field.replace(".", r"\.")):
        parse_stimulus(d)


def test_input_after_the_end_of_the_run_is_ignored():
    d = json.loads(golden_file(FILES[0]).read_text())
    d["input_spike_times_ms"]["cue_neurons_0..C-1"][1].append(d["simTime_ms"] + 5)
    assert spike_sets(replay(parse_stimulus(d))) == spike_sets(d)
