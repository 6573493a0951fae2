"""sPyNNaker on a virtual board: mapping report, exported script, and the hardware path up
to the connection attempt. ~/.spynnaker.cfg must never be created or changed, and sPyNNaker's
own output stays in the run folder's log."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import golden_file

from spikemem.cli import main

pytest.importorskip("spynnaker")


@pytest.fixture
def home_cfg():
    path = Path(os.path.expanduser("~")) / ".spynnaker.cfg"
    before = path.read_bytes() if path.exists() else None
    yield
    assert (path.read_bytes() if path.exists() else None) == before


def _spikemem(*args, env=None):
    return subprocess.run([sys.executable, "-m", "spikemem", *args], capture_output=True, text=True, timeout=600,
                          env=env)


def test_map_reports_resources_as_json(capsys, home_cfg, tmp_path):
    assert main(["spinnaker", "map", "--cam", "5", "10", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chips"] >= 1
    assert report["cores"] == 12 == len(report["populations"])   # 2 IN + 8 CA3 + 2 OUT, one core each
    assert report["populations"]["CA3contCondInt"]["neurons_per_core"] == 1
    assert report["populations"]["CA3contCond"]["neurons_per_core"] == 10
    assert report["routing_entries"] > 0 and report["sdram_bytes"] > 0
    folder = Path(report["run_folder"])
    assert (folder / "spynnaker.cfg").read_text().count("virtual_board = True") == 1
    assert "Partitioning Graph" in (folder / "simulator.log").read_text()     # sPyNNaker's progress, logged


def test_map_prints_at_most_20_lines(home_cfg, tmp_path):
    proc = _spikemem("spinnaker", "map", "--cam", "5", "10", env=dict(os.environ, SPIKEMEM_RUN_DIR=str(tmp_path)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = (proc.stdout + proc.stderr).splitlines()
    assert len(lines) <= 20, "\n".join(lines)
    assert lines[0].startswith("ca3_cam_5x10: 86 neurons, 295 synapses")
    assert proc.stderr == ""


def test_exported_script_runs_on_a_virtual_board(home_cfg, tmp_path):
    golden = golden_file("exp1_functional_learn_recall_forget.json")
    out = tmp_path / "export"
    assert main(["spinnaker", "export", "--cam", "5", "10", "--stimulus", str(golden), "--out", str(out)]) == 0
    script = (out / "run_spinnaker.py").read_text()
    assert "import spikemem" not in script and "from spikemem" not in script
    assert "INcue" in script and "sim.SpikeSourceArray" in script
    from spikemem.backends.pynn.run_folder import RunFolder
    folder = RunFolder.create(tmp_path / "runs", virtual=True)
    env = dict(os.environ, HOME=str(folder.path), XDG_CONFIG_HOME=str(folder.path / ".config"))
    proc = subprocess.run([sys.executable, str(out / "run_spinnaker.py"), "--out", str(tmp_path / "spikes.json")],
                          cwd=folder.path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    spikes = json.loads((tmp_path / "spikes.json").read_text())
    assert spikes["format"] == "spikemem-spikes/1" and spikes["simulator"] == "spinnaker"
    assert set(spikes["populations"]) >= {"OUTcue", "OUTcont", "CA3cueCueRecall"}   # empty: virtual board


def test_run_on_a_missing_board_fails_in_one_line(home_cfg, tmp_path):
    out = tmp_path / "x.json"
    proc = _spikemem("spinnaker", "run", "--cam", "5", "10", "--duration", "20", "--machine", "no-such-board.invalid",
                     "--out", str(out), env=dict(os.environ, SPIKEMEM_RUN_DIR=str(tmp_path / "runs")))
    assert proc.returncode == 2
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("spikemem: error:")]
    assert len(errors) == 1 and "no SpiNNaker board answered at 'no-such-board.invalid'" in errors[0]
    assert "does not resolve" in errors[0] and "simulator.log" in errors[0]
    assert len(proc.stderr.splitlines()) <= 3 and proc.stdout == ""      # the error and one notice
    assert "Traceback" not in proc.stderr and "SC&MP" not in proc.stderr
    assert not out.exists()
    log = next((tmp_path / "runs").glob("spinnaker-*/simulator.log")).read_text()
    assert "Error getting IP address" in log


def test_board_errors_name_what_a_user_can_act_on():
    import socket

    from spikemem.backends.pynn.spinnaker_config import board_error

    def chained(outer, inner):
        try:
            try:
                raise inner
            except Exception as e:
                raise outer from e
        except Exception as e:
            return e

    version = chained(OSError("IO Error: The machine is currently booted with SC&MP (3, 4, 2) which is incompatible "
                              "with this transceiver, required version is SC&MP (4, 0, 0)"), ValueError("x"))
    msg = str(board_error("10.0.0.9", version, "LOG"))
    assert "did not reply as a booted SpiNNaker board" in msg and "SC&MP" not in msg and msg.endswith("LOG")
    dns = chained(OSError("IO Error"), socket.gaierror(-2, "Name or service not known"))
    assert "does not resolve" in str(board_error("nowhere", dns, "LOG"))
    other = board_error("h", RuntimeError("spalloc said no\nsecond line"), "LOG")
    assert "RuntimeError: spalloc said no;" in str(other)
