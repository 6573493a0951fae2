"""sPyNNaker on a virtual board: mapping report, exported script, and the hardware path up
to the connection attempt. ~/.spynnaker.cfg must never be created or changed."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spikemem.cli import main

pytest.importorskip("spynnaker")


@pytest.fixture
def home_cfg():
    path = Path(os.path.expanduser("~")) / ".spynnaker.cfg"
    before = path.read_bytes() if path.exists() else None
    yield
    assert (path.read_bytes() if path.exists() else None) == before


def test_map_reports_resources_as_json(capsys, home_cfg, tmp_path):
    assert main(["spinnaker", "map", "--cam", "5", "10", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chips"] >= 1
    assert report["cores"] == 12 == len(report["populations"])   # 2 IN + 8 CA3 + 2 OUT, one core each
    assert report["populations"]["CA3contCondInt"]["neurons_per_core"] == 1
    assert report["populations"]["CA3contCond"]["neurons_per_core"] == 10
    assert report["routing_entries"] > 0 and report["sdram_bytes"] > 0
    assert (Path(report["run_folder"]) / "spynnaker.cfg").read_text().count("virtual_board = True") == 1


def test_exported_script_runs_on_a_virtual_board(home_cfg, tmp_path):
    golden = Path(__file__).parent / "data" / "ca3_cam_golden" / "exp1_functional_learn_recall_forget.json"
    out = tmp_path / "export"
    assert main(["spinnaker", "export", "--cam", "5", "10", "--stimulus", str(golden), "--out", str(out)]) == 0
    stim = json.loads((out / "stimulus.json").read_text())
    assert stim["spike_times_ms"]["INcue"][0][:3] == [0.0, 1.0, 2.0]
    from spikemem.backends.pynn.spinnaker_config import RunFolder
    folder = RunFolder.create(tmp_path / "runs", virtual=True)
    env = dict(os.environ, HOME=str(folder.path), XDG_CONFIG_HOME=str(folder.path / ".config"))
    proc = subprocess.run([sys.executable, str(out / "run_spinnaker.py"), str(tmp_path / "spikes.json")],
                          cwd=folder.path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    spikes = json.loads((tmp_path / "spikes.json").read_text())
    assert set(spikes["spike_times_ms"]) >= {"OUTcue", "OUTcont", "CA3cueCueRecall"}   # empty: virtual board


def test_run_on_a_missing_board_fails_clearly(capsys, home_cfg, tmp_path):
    rc = main(["spinnaker", "run", "--cam", "5", "10", "--duration", "20", "--machine", "no-such-board.invalid",
               "--out", str(tmp_path / "x.json")])
    assert rc == 2
    assert "no SpiNNaker board answered at 'no-such-board.invalid'" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
