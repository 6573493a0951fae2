"""`spikemem spinnaker check|map|export --model NAME`: every memory model of the hippocampus family
on SpiNNaker: its verdict (float against sPyNNaker's fixed point), its mapping on a virtual board,
and a standalone script that runs there. ~/.spynnaker.cfg is never touched (the scripts run with
HOME in a run folder)."""
import json
import os
import subprocess
import sys

import pytest

from spikemem.cli import main
from spikemem.engine.board_weights import ring_buffer_shifts
from spikemem.harness.runner import memory_model

FAMILY = ["hippocampus", "ca3_onehot", "hippocampus_dg_ca1", "ca3_oscillatory", "ca3_regulated"]


@pytest.mark.parametrize("model", FAMILY)
def test_check_gives_each_model_a_verdict(model, capsys):
    assert main(["spinnaker", "check", "--model", model, "--ops", "20", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    mem = memory_model(model)
    C, N = mem.random_size
    net = mem.network(C, N)
    shifts = ring_buffer_shifts(net)
    assert {n: (p["ring_buffer_shifts"]["excitatory"], p["ring_buffer_shifts"]["inhibitory"])
            for n, p in r["populations"].items()} == {n: s for n, s in shifts.items() if n in r["populations"]}
    assert r["memory"]["operations"] == 20 and r["memory"]["float"] == r["memory"]["fixed"]
    assert r["spikes"]["differ"] == 0 and r["verdict"].startswith("YES")
    assert main(["spinnaker", "check", "--model", model, "--ops", "5"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("verdict: YES")


def test_model_flags_are_checked(capsys):
    assert main(["spinnaker", "check", "--model", "hippocampus", "--cam", "5", "10"]) == 2
    assert "exactly one of" in capsys.readouterr().err
    assert main(["spinnaker", "map", "--cam", "5", "10", "--size", "5", "10"]) == 2
    assert "size=" in capsys.readouterr().err
    assert main(["spinnaker", "export", "--model", "ca3_onehot", "--stimulus", "x.json", "--out", "."]) == 2
    assert "reads no stimulus files" in capsys.readouterr().err


def test_map_places_every_population_of_the_hippocampus(capsys):
    pytest.importorskip("spynnaker")
    assert main(["spinnaker", "map", "--model", "hippocampus", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cores"] == 12 == len(report["populations"])          # INcue, INcont, CSS x 2, DG x 3, CA3 x 2, CA1, OUT x 2
    assert report["populations"]["DG"]["neurons_per_core"] == 8 and report["synapses"] == 152


def test_exported_hippocampus_runs_on_a_virtual_board(tmp_path):
    pytest.importorskip("spynnaker")
    out = tmp_path / "export"
    assert main(["spinnaker", "export", "--model", "hippocampus", "--out", str(out)]) == 0
    script = (out / "run_spinnaker.py").read_text()
    assert "import spikemem" not in script and "from spikemem" not in script
    assert all(name in script for name in ("CSS_latch", "DG_NOT", "DG_OR", "CA3cue", "CA1", "OUTcont"))
    from spikemem.backends.pynn.run_folder import RunFolder
    folder = RunFolder.create(tmp_path / "runs", virtual=True)
    env = dict(os.environ, HOME=str(folder.path), XDG_CONFIG_HOME=str(folder.path / ".config"))
    proc = subprocess.run([sys.executable, str(out / "run_spinnaker.py"), "--out", str(tmp_path / "spikes.json")],
                          cwd=folder.path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    spikes = json.loads((tmp_path / "spikes.json").read_text())
    assert spikes["simulator"] == "spinnaker" and set(spikes["populations"]) >= {"DG", "CA3cue", "CA3cont", "CA1"}
