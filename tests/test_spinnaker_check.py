"""`spikemem spinnaker check`: the deployment report for a network file, the CA3 memory and an HLOP run."""
import json

import numpy as np
import pytest

from spikemem import (AllToAllConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation,
                      SpikeSourceArray, get_backend)
from spikemem.cli import main
from spikemem.engine.board_weights import ring_buffer_shifts


def report(capsys, argv):
    assert main(["spinnaker", "check", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)          # stdout holds the JSON and nothing else


def test_cam_report_gives_shifts_scores_and_a_verdict(capsys):
    from spikemem.models.ca3 import build_cam
    r = report(capsys, ["--cam", "5", "10", "--ops", "30"])
    shifts = ring_buffer_shifts(build_cam(5, 10))
    assert {n: (p["ring_buffer_shifts"]["excitatory"], p["ring_buffer_shifts"]["inhibitory"])
            for n, p in r["populations"].items()} == shifts
    assert r["memory"]["operations"] == 30 and r["memory"]["float"] == r["memory"]["fixed"]
    assert r["spikes"]["differ"] == 0 and r["verdict"].startswith("YES")
    stdp = r["projections"]["cue_to_content_stdp"]["stdp"]
    assert stdp["lut_plus_ms"] == 24.0 and stdp["A_plus_steps"] == 6 * 2 ** (15 - shifts["CA3contCueRecall"][0])
    assert main(["spinnaker", "check", "--cam", "5", "10", "--ops", "10"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("verdict: YES")


def small_network(w, cell=IFCurrExp(tau_syn_E=2.0), mesw=None):
    rng = np.random.default_rng(7)
    times = [sorted(rng.choice(60, 12, replace=False).astype(float).tolist()) for _ in range(8)]
    return Network([Population("src", 8, SpikeSourceArray(tuple(map(tuple, times)))), Population("n", 5, cell, mesw)],
                   [Projection("p", "src", "n", AllToAllConnector(), weight=w, delay=1.0)], Simulation(),
                   Recording(spikes=("n",)))


def test_a_network_file_is_driven_by_its_spike_times(capsys, tmp_path):
    w = np.random.default_rng(1).uniform(0, 3.0, (8, 5)) * np.array([1, 1, 1e-4, 1, 1])   # some round to zero
    net = small_network(w)
    net.save(tmp_path / "n.json")
    r = report(capsys, [str(tmp_path / "n.json")])
    direct = get_backend("reference").run(net, r["duration_ms"])
    assert r["populations"]["n"]["spikes"]["float"] == direct.count("n") > 0
    p = r["projections"]["p"]
    step = r["populations"]["n"]["weight_step_nA"]["excitatory"]
    assert p["round_to_zero"] == int(((w > 0) & (np.rint(w / step) == 0)).sum()) > 0
    assert 0 < p["max_relative_error"] < 0.5 and p["wrap_past_16_bits"] == 0
    assert r["verdict"].split(":")[0] in ("YES", "CLOSE", "DIFFERS")


@pytest.mark.parametrize("kind", ["accum", "wrap"])
def test_what_cannot_work_on_a_board_says_no(capsys, tmp_path, kind):
    if kind == "accum":    # alpha = I R leaves +-65536 mV: a core's addition wraps there
        net = small_network(20.0, IFCurrExp(cm=1.0, tau_m=1e4, tau_syn_E=2.0, v_thresh=30000.0))
    else:                  # buffers sized for 1 nA (16384 units per nA): 5 nA does not fit in 16 bits
        net = small_network(5.0, mesw=(1.0, 1.0))
    net.save(tmp_path / "n.json")
    r = report(capsys, [str(tmp_path / "n.json")])
    assert r["verdict"].startswith("NO")
    assert (r["populations"]["n"]["saturations"]["accum"] > 0) if kind == "accum" else \
        (r["projections"]["p"]["wrap_past_16_bits"] == 40)


def test_exactly_one_target(capsys, tmp_path):
    assert main(["spinnaker", "check"]) == 2
    assert main(["spinnaker", "check", "--cam", "5", "10", "--hlop", str(tmp_path)]) == 2
    assert main(["spinnaker", "check", "--hlop", str(tmp_path)]) == 2
    assert "run.json" in capsys.readouterr().err


def test_an_hlop_run_is_scored_in_float_and_fixed_point(capsys, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out = tmp_path / "run"
    assert main(["continual", "--dataset", "digits", "--tasks", "1", "--method", "hlop", "--out", str(out),
                 "--epochs", "1", "--timesteps", "4", "--hidden", "32", "--train-limit", "160", "--test-limit", "40",
                 "--threads", "1", "--no-plot", "--export-samples", "8", "--board-calibration", "4", "--json"]) == 0
    board = json.loads(capsys.readouterr().out)["export"]["board"]
    assert {"float_acc", "fixed_acc", "fixes"} <= set(board)
    r = report(capsys, ["--hlop", str(out), "--samples", "8"])
    assert r["classifier"]["samples"] == 8 and set(r["populations"]) == {"hidden1", "hidden2", "output"}
    assert r["file_scheme"] == "exact" and r["scheme"] == "spinnaker"
    assert all(p["spikes"]["float"] > 0 for n, p in r["populations"].items() if n != "output")


def checked(capsys, path, json_out=True):
    """(exit status, report or text) of `spinnaker check PATH`."""
    status = main(["spinnaker", "check", str(path)] + (["--json"] if json_out else []))
    out = capsys.readouterr()
    return status, (json.loads(out.out) if json_out else out.out), out.err


def test_an_empty_stimulus_has_nothing_to_check(capsys, tmp_path):
    """0/0 spikes and the verdict YES before: now the check says there was nothing to compare
    and exits with status 1."""
    net = small_network(2.0)
    net = Network([Population("src", 8, SpikeSourceArray()), net.populations[1]], net.projections, net.simulation,
                  net.recording)
    net.save(tmp_path / "n.json")
    status, r, err = checked(capsys, tmp_path / "n.json")
    assert status == 1
    assert r["spikes"] == {"float": 0, "fixed": 0, "differ": 0} and r["stimulus_spikes"] == 0
    assert r["verdict"].startswith("NOTHING TO CHECK: the stimulus is empty")
    assert "nothing to check" in err
    status, text, _ = checked(capsys, tmp_path / "n.json", json_out=False)
    assert status == 1 and text.strip().splitlines()[-1].startswith("verdict: NOTHING TO CHECK")


def test_a_stimulus_that_makes_nothing_fire_has_nothing_to_check(capsys, tmp_path):
    small_network(1e-3).save(tmp_path / "n.json")          # 96 input spikes of 1 pA: no neuron fires
    status, r, _ = checked(capsys, tmp_path / "n.json")
    assert status == 1 and r["stimulus_spikes"] == 96
    assert r["verdict"].startswith("NOTHING TO CHECK: no neuron fires in float or in fixed point (96 stimulus spikes)")


def test_neurons_that_fire_without_a_stimulus_are_checked(capsys, tmp_path):
    """An offset current drives the cells: there is something to compare, though no input."""
    net = small_network(2.0, IFCurrExp(tau_syn_E=2.0, i_offset=1.0))
    net = Network([Population("src", 8, SpikeSourceArray()), net.populations[1]], net.projections, net.simulation,
                  net.recording)
    net.save(tmp_path / "n.json")
    status, r, _ = checked(capsys, tmp_path / "n.json")
    assert status == 0 and r["stimulus_spikes"] == 0 and r["spikes"]["float"] > 0
    assert r["verdict"].split(":")[0] in ("YES", "CLOSE")
