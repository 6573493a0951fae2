"""The defects of the hardening issue, one test each: inputs refused with one clear line,
nothing silently rounded, no resource blow-up, no lost file."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import golden_file

from spikemem import (STDP, AllToAllConnector, IFCurrExp, Network, OneToOneConnector, Population, Projection,
                      ResourceError, Simulation, SpikeSourceArray, ValidationError, get_backend)
from spikemem.cli import main
from spikemem.engine import budget
from spikemem.engine.flatten import flatten

ROOT = Path(__file__).resolve().parents[1]


def _one_line_error(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("delay", [1e19, 1e300, 3e9])
def test_an_unrepresentable_delay_is_refused(delay):
    with pytest.raises(ValidationError, match=r"p\.delay=.*at most 2147483647 steps"):
        Network([Population("s", 1, SpikeSourceArray([[0.0]])), Population("n", 1)],
                [Projection("p", "s", "n", OneToOneConnector(), 20.0, delay)])


def test_an_off_grid_delay_is_refused_not_rounded():
    with pytest.raises(ValidationError, match=r"p\.delay=1\.5: must be a multiple of dt=1 ms"):
        Network([Population("s", 1, SpikeSourceArray()), Population("n", 1)],
                [Projection("p", "s", "n", OneToOneConnector(), 1.0, 1.5)])


@pytest.mark.parametrize("tau_refrac, dt, held", [(0.1, 1.0, 1), (1.0, 1.0, 1), (1.4, 1.0, 2), (0.0, 1.0, 0),
                                                   (1.5, 0.1, 15), (0.25, 0.1, 3)])
def test_tau_refrac_is_held_ceil_steps_as_spinnaker_and_nest_do(tau_refrac, dt, held):
    """sPyNNaker: T_refract = ceil(tau_refrac / timestep); NEST at resolution 1 ms holds one step for
    t_ref 0.1..1.0 and two for 1.4 (measured); both are this rule."""
    net = Network([Population("n", 1, IFCurrExp(tau_refrac=tau_refrac))], simulation=Simulation(dt=dt))
    assert flatten(net).params["refrac"].tolist() == [held]


def test_the_refractory_rule_shows_in_spikes():
    """A neuron driven above threshold every step fires every held+1 steps."""
    for tau_refrac, isi in ((0.1, 2), (1.4, 3)):
        net = Network([Population("n", 1, IFCurrExp(i_offset=50.0, tau_refrac=tau_refrac, v_init=-49.0))])
        t = [s for s, _ in get_backend("reference").run(net, 12.0).spike_list("n")]
        assert np.all(np.diff(t) == isi), (tau_refrac, t)


def test_a_plastic_projection_with_zero_synapses_runs():
    net = Network([Population("a", 1, IFCurrExp(i_offset=5.0)), Population("b", 1)],
                  [Projection("p", "a", "b", AllToAllConnector(allow_self_connections=False), 0.3, 1.0,
                              plasticity=STDP())],
                  recording=__import__("spikemem").Recording(weights=("p",)))
    res = get_backend("reference").run(net, 20.0)
    assert res.count("a") > 0 and np.isnan(res.weights["p"]).all()


def test_networks_without_if_neurons_run():
    net = Network([Population("s", 2, SpikeSourceArray([[1.0], [2.0]])), Population("e", 0)],
                  [Projection("p", "s", "e", AllToAllConnector(), 0.1, 1.0, plasticity=STDP())])
    assert get_backend("reference").run(net, 5.0).count("s") == 2


def _big_file(path, size=100000):
    cell = {"kind": "IF_curr_exp", "cm": 1.0, "tau_m": 20.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0, "v_rest": -65.0,
            "v_reset": -65.0, "v_thresh": -50.0, "tau_refrac": 1.0, "i_offset": 0.0, "v_init": None}
    stdp = {"kind": "stdp_pair_additive", "tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.01, "A_minus": 0.012,
            "w_min": 0.0, "w_max": 1.0, "dendritic_delay": None, "potentiate_at_zero": False, "depress_at_zero": True,
            "traces": "all_to_all", "clamp": "per_event", "transmit": "after_update", "post_history": None, "gate": None}
    conn = {"kind": "all_to_all", "allow_self_connections": True}
    d = {"format": "spikemem.network", "version": "1.0", "name": "big", "simulation": {"dt": 1.0, "scheme": "spinnaker"},
         "recording": {"spikes": None, "v": [], "weights": []},
         # 100,000 per population: all-to-all static projections need no synapse table (docs/scale.md),
         # so what does not fit is the plastic a -> b matrix (80 GB)
         "populations": [{"name": "src", "size": size, "cell": {"kind": "SpikeSourceArray", "spike_times": []}},
                         {"name": "a", "size": size, "cell": cell}, {"name": "b", "size": size, "cell": cell}],
         "projections": [{"name": n, "pre": pre, "post": post, "connector": conn, "weight": 0.1, "delay": 1.0,
                          "receptor": "excitatory", "plasticity": stdp if n == "ab" else None}
                         for n, pre, post in (("in", "src", "a"), ("ab", "a", "b"), ("ba", "b", "a"))]}
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("size, limit", [(100000, None), (30000, "4G")])
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak RSS from /proc (Linux)")
def test_a_small_file_with_huge_populations_is_refused_quickly_and_small(tmp_path, size, limit):
    """The issue's 1.7 KB file: refused before anything is allocated. At the issue's 30,000 neurons
    the plastic matrix (6.7 GiB) fits a 24 GB machine, so that case runs under a 4 GB limit, as on
    a laptop with 4 GB free; at 100,000 it fits nowhere (80 GB). A fresh process measures its own
    peak RSS; the time is printed, not asserted."""
    path = _big_file(tmp_path / "big.json", size)
    assert path.stat().st_size < 1700
    # VmHWM is this process's own peak: ru_maxrss would carry over the forking test process's peak
    code = ("import re,sys,time;t=time.perf_counter();from spikemem import Network,get_backend,ResourceError\n"
            "try:\n get_backend('reference').run(Network.load(sys.argv[1]),100.0)\nexcept ResourceError as e:print('refused',e)\n"
            "hwm=re.search(r'VmHWM:\\s*(\\d+)',open('/proc/self/status').read()).group(1)\n"
            "print(time.perf_counter()-t, int(hwm)//1024)")
    env = {**os.environ, "SPIKEMEM_MEMORY_LIMIT": limit} if limit else {k: v for k, v in os.environ.items()
                                                                       if k != "SPIKEMEM_MEMORY_LIMIT"}
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                         env=env).stdout
    assert out.startswith("refused") and "the memory limit is" in out and "does not fit" in out
    seconds, rss_mib = out.split()[-2:]
    assert int(rss_mib) < 500
    print(f"{path.stat().st_size} bytes, {size:,} neurons: refused in {float(seconds):.2f} s, peak RSS {rss_mib} MiB")


def test_the_refusal_names_the_largest_batch_and_duration_that_fit():
    net = Network([Population("s", 100, SpikeSourceArray()), Population("n", 1000)],
                  [Projection("p", "s", "n", AllToAllConnector(), 0.1, 1.0)], recording=__import__("spikemem").Recording(v=("n",)))
    est = budget.estimate(net, 64, 100_000)
    with budget.memory_limit(est.total // 4):
        with pytest.raises(ResourceError) as e:
            get_backend("reference").run(net, 100_000.0, batch=64)
    msg = str(e.value)
    b = int(re.search(r"largest batch that fits is (\d+)", msg).group(1))
    s = int(re.search(r"longest run that fits is (\d+) steps", msg).group(1))
    assert budget.estimate(net, b, 100_000).total <= est.total // 4 < budget.estimate(net, b + 1, 100_000).total
    assert budget.estimate(net, 64, s).total <= est.total // 4 < budget.estimate(net, 64, s + 1).total
    with budget.memory_limit(None):          # the override: no check
        assert budget.limit() is None


def test_the_spike_guard_stops_a_run_whose_spikes_outgrow_the_limit():
    net = Network([Population("n", 2000, IFCurrExp(i_offset=50.0, tau_refrac=0.0, v_init=-49.0))])
    est = budget.estimate(net, 1, 2000)                    # at the assumed rate: 80,000 spikes
    with budget.memory_limit(est.total + 1_000_000):       # the run makes 4 million: 384 MB of log
        with pytest.raises(ResourceError, match="the run stopped at step"):
            get_backend("reference").run(net, 2000.0)


@pytest.mark.parametrize("argv, text", [
    (["cam", "stress", "--spacing", "nan"], "argument --spacing: 'nan': must be a finite number"),
    (["cam", "stress", "--spacing", "3"], "spacing=3.0: must be >= 7"),
    (["cam", "stress", "--seed", "-1"], "argument --seed: '-1': must be >= 0"),
    (["cam", "stress", "-C", "100000", "-N", "100000"], "does not fit"),
    (["cam", "stress", "--ops", "100000000"], "operations per sequence fit"),
    (["--memory-limit", "lots", "cam", "stress"], "--memory-limit='lots'"),
    (["cam", "replay", "/no/such.json", "--out", "x.json"], "no such file"),
])
def test_cli_refusals_are_one_line(capsys, argv, text):
    assert text in _one_line_error(capsys, argv)


@pytest.fixture
def stimulus(tmp_path):
    d = json.loads(golden_file("exp1_functional_learn_recall_forget.json").read_text())
    d.pop("recorded_spikes")
    return tmp_path, d


def test_replay_refuses_an_infinite_timestep(stimulus, capsys):
    tmp, d = stimulus
    (tmp / "in.json").write_text(json.dumps({**d, "timestep_ms": float("inf")}))    # Python writes Infinity
    err = _one_line_error(capsys, ["cam", "replay", str(tmp / "in.json"), "--out", str(tmp / "o.json")])
    assert "timestep_ms=inf: must be a finite number" in err and not (tmp / "o.json").exists()


@pytest.mark.parametrize("field, value", [("simTime_ms", float("nan")), ("simTime_ms", 1e19), ("cueSize_C", 5.5)])
def test_replay_refuses_non_finite_and_unrepresentable_fields(stimulus, capsys, field, value):
    tmp, d = stimulus
    (tmp / "in.json").write_text(json.dumps({**d, field: value}))
    assert f"{field}=" in _one_line_error(capsys, ["cam", "replay", str(tmp / "in.json"), "--out", str(tmp / "o.json")])


def test_replay_runs_a_half_millisecond_recording_and_writes_standard_json(stimulus, capsys):
    tmp, d = stimulus
    cue = d["input_spike_times_ms"]["cue_neurons_0..C-1"]
    cue[1] = [t + 0.5 for t in cue[1]]                     # off the 1 ms grid, on the 0.5 ms one
    (tmp / "in.json").write_text(json.dumps({**d, "timestep_ms": 0.5}))
    assert main(["cam", "replay", str(tmp / "in.json"), "--out", str(tmp / "o.json")]) == 0
    text = (tmp / "o.json").read_text()
    out = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert out["timestep_ms"] == 0.5 and out["input_spike_times_ms"]["cue_neurons_0..C-1"][1] == cue[1]
    assert sum(len(v["spikes_t_ms_neuron"]) for v in out["recorded_spikes"].values()) > 0


def test_replay_refuses_a_too_long_recording_before_running(stimulus, capsys):
    tmp, d = stimulus
    (tmp / "in.json").write_text(json.dumps({**d, "simTime_ms": 1e9}))
    with budget.memory_limit("4G"):
        err = _one_line_error(capsys, ["cam", "replay", str(tmp / "in.json"), "--out", str(tmp / "o.json")])
    assert "the longest run that fits is" in err


@pytest.mark.parametrize("out", ["missing_dir/o.json", ".", ""])
def test_replay_refuses_an_unwritable_output_before_running(stimulus, capsys, out, monkeypatch):
    tmp, d = stimulus
    monkeypatch.chdir(tmp)
    (tmp / "in.json").write_text(json.dumps(d))
    assert "out=" in _one_line_error(capsys, ["cam", "replay", "in.json", "--out", out])


def test_a_failed_plot_write_keeps_the_old_png(tmp_path, capsys, monkeypatch):
    """`demo --png F` on a full disk: the write fails as one declared error, the old F survives."""
    png = tmp_path / "demo.png"
    png.write_bytes(b"old plot")
    import matplotlib.figure

    def full_disk(self, fname, *a, **k):
        with open(fname, "wb") as f:
            f.write(b"partial")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full_disk)
    err = _one_line_error(capsys, ["demo", "--png", str(png)])
    assert "the old file is unchanged" in err and "No space left" in err
    assert png.read_bytes() == b"old plot" and os.listdir(tmp_path) == ["demo.png"]


def test_ctrl_c_gives_one_clean_line_and_no_output_file(tmp_path):
    """SIGINT during a long replay: exit 130, one line, no output and no temporary file."""
    d = json.loads(golden_file("exp1_functional_learn_recall_forget.json").read_text())
    d.pop("recorded_spikes")
    d["simTime_ms"] = 3_000_000.0
    (tmp_path / "in.json").write_text(json.dumps(d))
    # A shell without job control starts background jobs with SIGINT ignored, and Python keeps an
    # ignored SIGINT: give the child the default disposition, as a terminal would.
    proc = subprocess.Popen([sys.executable, "-m", "spikemem.cli", "cam", "replay", "in.json", "--out", "o.json"],
                            cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4.0)
    proc.send_signal(2)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "spikemem: interrupted; no output file was written for the unfinished step"
    assert "Traceback" not in err and sorted(os.listdir(tmp_path)) == ["in.json"]


def _readme_block(start: str) -> str:
    text = (ROOT / "README.md").read_text()
    i = text.index(start)
    return text[text.rindex("```python", 0, i) + len("```python"):text.index("```", i)]


def test_the_readme_ca3_example_prints_what_it_returns():
    """Each `# addr {...} bits {...}` comment of the README's CA3 example is what the line returns."""
    block = _readme_block("m = CA3Memory(")
    scope, checked = {}, 0
    for line in block.strip().splitlines():
        code, _, comment = (part.strip() for part in line.partition("#"))
        if comment.startswith("addr"):
            got = str(eval(code, scope))
            assert comment.startswith(got + ":") or comment == got, (code, comment, got)
            checked += 1
        else:
            exec(code, scope)
    assert checked >= 2


@pytest.mark.parametrize("backend, module", [("torch", "torch"), ("snntorch", "snntorch"), ("norse", "norse")])
def test_a_missing_extra_is_one_line(tmp_path, backend, module):
    """With the extra's module unimportable, `--backend NAME` ends in one line naming the pip command."""
    code = (f"import sys; sys.modules[{module!r}] = None\nfrom spikemem.cli import main\n"
            f"sys.exit(main(['cam', 'stress', '--ops', '3', '--backend', {backend!r}]))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert f"pip install 'spikemem[{backend}]'" in p.stderr


@pytest.mark.parametrize("t", [1e300, 3e9, float("nan"), -1.0, 0.5])
def test_input_spike_times_are_refused_not_cast(t):
    """A spike time beyond 2**31-1 steps used to be cast to a garbage step with a RuntimeWarning."""
    net = Network([Population("s", 1, SpikeSourceArray()), Population("n", 1)],
                  [Projection("p", "s", "n", OneToOneConnector(), 1.0, 1.0)])
    with pytest.raises(ValidationError, match=r"inputs\[s\]\[0\]\[0\]="):
        get_backend("reference").run(net, 5.0, inputs={"s": [[[t]]]})


def test_a_long_run_shows_progress_on_a_terminal():
    """The engine's bar appears when stderr is a terminal (a pty here) and the run is long
    (the threshold is lowered so that a short run counts as long)."""
    import pty
    code = ("import spikemem.engine.array_engine as a; a.PROGRESS_WORK = 0\n"
            "from spikemem import Network, Population, IFCurrExp, get_backend\n"
            "get_backend('reference').run(Network([Population('n', 10, IFCurrExp())]), 2000.0)\n")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0
    assert b"reference [" in out and b"2000/2000" in out
