"""Simulators are quiet by default: their output goes to a log in the run folder, the terminal
gets one summary line; -v shows everything; old run folders are pruned in one place."""
import logging
import os
import subprocess
import sys
import time

import pytest
from conftest import golden_file

from spikemem.backends.pynn.run_folder import RunFolder, prune



def _replay_on_nest(tmp_path, *flags):
    env = dict(os.environ, SPIKEMEM_RUN_DIR=str(tmp_path / "runs"))
    recording = golden_file("exp1_functional_learn_recall_forget.json")
    return subprocess.run([sys.executable, "-m", "spikemem", *flags, "cam", "replay", str(recording), "--out",
                           str(tmp_path / "out.json"), "--backend", "nest", "--foreign-scheme"],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)


def test_nest_output_goes_to_the_run_folder_log(tmp_path):
    pytest.importorskip("pyNN.nest")
    proc = _replay_on_nest(tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == ""                                         # no NEST banner among the results
    lines = proc.stderr.splitlines()
    assert len(lines) == 3, proc.stderr                              # scheme warning, run summary, replay summary
    assert lines[0].startswith("spikemem: warning:") and "foreign_scheme" in lines[0]
    assert lines[1].startswith("nest: 1 trial(s) of 90 ms") and lines[1].endswith("simulator.log")
    log = (tmp_path / "runs").glob("nest-*/simulator.log")
    text = next(log).read_text()
    assert "N E S T" in text


def test_verbose_shows_the_simulator(tmp_path):
    pytest.importorskip("pyNN.nest")
    proc = _replay_on_nest(tmp_path, "-v")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "N E S T" in proc.stdout + proc.stderr


def test_quiet_shows_warnings_only(tmp_path):
    pytest.importorskip("pyNN.nest")
    proc = _replay_on_nest(tmp_path, "-q")
    assert proc.returncode == 0 and proc.stdout == ""
    assert [ln.split(":")[1].strip() for ln in proc.stderr.splitlines()] == ["warning"]


def test_a_run_leaves_the_root_logger_as_it_was():
    pytest.importorskip("pyNN.nest")
    from spikemem import AllToAllConnector, IFCurrExp, Network, Population, Projection, Simulation, SpikeSourceArray
    from spikemem import get_backend
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    net = Network([Population("s", 1, SpikeSourceArray(((2.0,),))), Population("n", 1, IFCurrExp())],
                  [Projection("p", "s", "n", AllToAllConnector(), 1.0, 1.0)], Simulation(scheme="exact"))
    get_backend("nest").run(net, 5.0)
    assert (list(root.handlers), root.level) == before


def test_old_run_folders_are_pruned_young_ones_kept(tmp_path):
    folders = [RunFolder.create(tmp_path, "nest").path for _ in range(25)]
    old = time.time() - 7200
    for k, p in enumerate(folders[:22]):                              # the first is the oldest
        os.utime(p, (old + k, old + k))
    removed = prune(tmp_path, keep=20)
    assert sorted(removed) == sorted(folders[:5])                   # the 20 newest stay
    (tmp_path / "not-a-run").mkdir()
    assert prune(tmp_path, keep=0) and (tmp_path / "not-a-run").exists()
    assert all(p.exists() for p in folders[22:])                     # younger than an hour: kept


def test_a_root_is_pruned_at_most_once_a_minute(tmp_path):
    """Creating a run prunes the root only when its last prune is a minute old."""
    from spikemem.backends.pynn import run_folder
    first = RunFolder.create(tmp_path, "nest").path
    os.utime(first, (time.time() - 7200,) * 2)
    for _ in range(run_folder.KEEP):
        RunFolder.create(tmp_path, "nest")
    assert first.exists()                                            # pruned at the first create only
    stamp = tmp_path / ".spikemem-pruned"
    os.utime(stamp, (time.time() - 2 * run_folder.PRUNE_EVERY_S,) * 2)
    RunFolder.create(tmp_path, "nest")
    assert not first.exists()                                        # the 21st newest, two hours old
