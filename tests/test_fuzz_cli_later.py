"""Property tests (hypothesis) of the command-line flags added after the first hardening:
`spikemem continual` (--scenario, --arch, --method lists, --channels, --proj-type, --data-dir,
--threads, ...), `spikemem continual-sweep` (--methods, --seeds, --workers, --scheduler,
--threads), `spikemem export pynn`, `spikemem bench scale`, NEST's --threads and the global
--memory-limit. Any argument list ends in exit 0 or 2, and a 2 is one line on stderr, never a
traceback. Only the parse-and-check paths run: the work after the checks (training, a sweep's
chunks, a benchmark's child processes) is replaced by a stub, so a list that passes every check
costs nothing."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spikemem import Network, Population, Projection, Simulation, SpikeSourceArray, IFCurrExp, OneToOneConnector
from spikemem.errors import ValidationError

CI = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

BAD = ["nan", "inf", "-inf", "-1", "0", "1", "3", "2.5", "-0", "1e19", "99999999999999999999", "", " ", "abc", ",",
       "1,,2", "0,0", "a,b", "16,-3", "none", ".", "/no/such/dir", "tcp://", "tcp://host:99999", "x:y", "tcp://h:8786",
       "inproc://x", "1025", "1024"]
CONTINUAL_VALUES = {
    "--scenario": ["task", "domain", "class"], "--arch": ["mlp", "cnn", "resnet18", "vgg"],
    "--method": ["hlop", "hlop,finetune", "hlop,hlop", "ewc,gpm,replay", "hlop+replay", "bogus", "hlop,"],
    "--channels": ["16,32", "16", "0", "16,0", "-16"], "--proj-type": ["input", "weight", "other"],
    "--dataset": ["digits", "pmnist", "split-mnist", "cifar100", "miniimagenet", "five-datasets", "mnist"],
    "--data-dir": ["DATA", "EMPTY"], "--threads": [], "--seed": [], "--neuron": ["dsr", "bptt", "lif"],
    "--replay-per-class": [], "--lateral-steps": [], "--device": ["cpu", "cuda", "tpu"], "--resume": ["EMPTY", "DATA"],
    "--board-calibration": [], "--export-duration": [], "--tasks": [], "--hidden": [],
}
SWEEP_VALUES = {"--methods": ["hlop", "hlop,hlop", "bogus", ""], "--seeds": ["0,1", "0,0", "-1", "x"],
                "--workers": [], "--scheduler": [], "--threads": [], "--tasks": [], "--epochs": [], "--lr": [],
                "--train-limit": [], "--data-dir": ["EMPTY"], "--dataset": ["digits", "pmnist", "x"]}
SCALE_VALUES = {"--sizes": ["10", "10,20", "10,10", "10,-5"], "--backends": ["reference", "reference,bogus", "nest", ""],
                "--ops": [], "--spacing": ["14", "7"], "--budget": [], "--threads": [], "--torch-threads": []}
EXPORT_VALUES = {"--simulator": ["nest", "brian2", "spinnaker", "neuron"], "--duration": ["10", "0.5"],
                 "--spike-precision": ["on_grid", "off_grid", "x"], "--codegen": ["numpy", "cython", "x"],
                 "--out": ["OUT", "NETWORK"], "network": ["NETWORK", "EMPTY", "/no/such.json"]}
GLOBAL = st.lists(st.tuples(st.sampled_from(["--memory-limit"]),
                            st.sampled_from(["8G", "512M", "1", "0", "none", "-1G", "nan", "1e400", "abc", ""])),
                  max_size=1)


def flags(table):
    return st.lists(st.sampled_from(sorted(table)).flatmap(
        lambda f: st.tuples(st.just(f), st.sampled_from(table[f] + BAD))), min_size=1, max_size=3)


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """main(argv) with the work after the checks stubbed out, in an empty folder; checks the
    exit status and stderr of every call."""
    import spikemem.models.ca3.bench_scale as scale
    import spikemem.models.hlop.cli as continual
    import spikemem.models.hlop.sweep as sweep
    from spikemem.cli import main
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(continual, "run_command", lambda args: (continual.plan(args), 0)[1])
    monkeypatch.setattr(sweep, "run_chunks", lambda work, chunks, **kw: [])
    monkeypatch.setattr(scale, "_run_child", lambda *a, **k: {"error": "stub"})
    (tmp_path / "EMPTY").mkdir()
    (tmp_path / "DATA").mkdir()
    (tmp_path / "DATA" / "run.json").write_text("{")
    net = Network([Population("S", 2, SpikeSourceArray(spike_times=[[1.0], [2.0]])),
                   Population("A", 2, IFCurrExp())], [Projection("sa", "S", "A", OneToOneConnector(), 2.0, 1.0)],
                  Simulation(dt=1.0), name="tiny")
    net.save(tmp_path / "NETWORK")
    names = {"DATA": str(tmp_path / "DATA"), "EMPTY": str(tmp_path / "EMPTY"), "NETWORK": str(tmp_path / "NETWORK"),
             "OUT": str(tmp_path / "out")}

    def call(argv, capsys):
        argv = [names.get(a, a) for a in argv]
        rc = main(argv)                           # an undeclared exception fails the test here
        err = capsys.readouterr().err
        assert rc in (0, 2), (argv, rc, err)
        if rc == 2:
            assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
        return rc, err
    return call


CONTINUAL = ["continual", "--tasks", "1", "--epochs", "1", "--train-limit", "5", "--test-limit", "5", "--no-plot",
             "--export-samples", "0"]


@CI
@given(GLOBAL, flags(CONTINUAL_VALUES))
def test_continual_flags_end_in_exit_0_or_one_line(cli, capsys, pre, pairs):
    pytest.importorskip("torch")
    cli([x for p in pre for x in p] + CONTINUAL + [x for p in pairs for x in p], capsys)


@CI
@given(GLOBAL, flags(SWEEP_VALUES))
def test_continual_sweep_flags_end_in_exit_0_or_one_line(cli, capsys, pre, pairs):
    pytest.importorskip("torch")
    cli([x for p in pre for x in p] + ["continual-sweep", "--tasks", "1", "--epochs", "1"]
        + [x for p in pairs for x in p], capsys)


@CI
@given(GLOBAL, flags(SCALE_VALUES))
def test_bench_scale_flags_end_in_exit_0_or_one_line(cli, capsys, pre, pairs):
    cli([x for p in pre for x in p] + ["bench", "scale", "--json", "--sizes", "10", "--backends", "reference"]
        + [x for p in pairs for x in p], capsys)


@CI
@given(GLOBAL, flags(EXPORT_VALUES))
def test_export_pynn_flags_end_in_exit_0_or_one_line(cli, capsys, pre, pairs):
    args = {"network": "NETWORK", "--simulator": "nest", "--out": "OUT"}
    rest = []
    for f, v in pairs:
        if f in args:
            args[f] = v
        else:
            rest += [f, v]
    cli([x for p in pre for x in p] + ["export", "pynn", args["network"], "--simulator", args["--simulator"],
                                       "--out", args["--out"]] + rest, capsys)


@CI
@given(st.sampled_from(["harness", "cam"]), st.sampled_from(BAD))
def test_nest_threads_flags_end_in_one_line(cli, capsys, command, value):
    argv = (["harness", "--backend", "nest", "--cases", "nope", "--random", "0"] if command == "harness"
            else ["cam", "stress", "-C", "3", "-N", "4", "--ops", "0", "--backend", "nest", "--json"])
    cli(argv + ["--threads", value], capsys)


# -- the rules the properties found broken, one by one ----------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["bench", "scale", "--sizes", "abc"], "--sizes='abc': must be an integer"),
    (["bench", "scale", "--sizes", "0"], "--sizes=0: must be >= 1"),
    (["bench", "scale", "--sizes", "10", "--backends", ","], "--backends=',': must name at least one"),
    (["bench", "scale", "--sizes", "10", "--ops", "-1"], "argument --ops: '-1': must be >= 1"),
    (["bench", "scale", "--sizes", "10", "--spacing", "nan"], "argument --spacing: 'nan': must be a finite number"),
    (["bench", "scale", "--sizes", "10", "--spacing", "2.5"], "spacing=2.5: must be >= 7"),
    (["bench", "scale", "--sizes", "10", "--budget", "-1"], "argument --budget: '-1': must be > 0"),
    (["bench", "scale", "--sizes", "10", "--threads", "0"], "argument --threads: '0': must be >= 1"),
    (["bench", "scale", "--sizes", "10", "--torch-threads", "1025"], "argument --torch-threads: '1025': must be <= 1024"),
    (["continual-sweep", "--threads", "0"], "argument --threads: '0': must be >= 1"),
    (["continual-sweep", "--workers", "99999999999999999999"], "argument --workers: '99999999999999999999': must be <= 1024"),
    (["continual-sweep", "--scheduler", "x:y"], "scheduler='x:y': must be a Dask scheduler address"),
    (["continual-sweep", "--scheduler", "tcp://host:99999"], "scheduler='tcp://host:99999': must be a Dask"),
    (["continual-sweep", "--methods", ","], "methods='': must name at least one"),
    (["continual-sweep", "--methods", "hlop,hlop"], "methods='hlop,hlop': names a method twice"),
    (["continual-sweep", "--seeds", "0,0"], "seeds='0,0': names a value twice"),
    (CONTINUAL + ["--threads", "99999999999999999999"], "argument --threads: '99999999999999999999': must be <= 1024"),
    (CONTINUAL + ["--method", ""], "method='': must not be empty"),
    (CONTINUAL + ["--out", ""], "out='': must not be empty"),
    (CONTINUAL + ["--resume", ""], "resume='': must not be empty"),
    (["harness", "--threads", "0"], "argument --threads: '0': must be >= 1"),
])
def test_later_flags_are_refused_by_name(cli, capsys, argv, message):
    if argv[0].startswith("continual"):
        pytest.importorskip("torch")
    rc, err = cli(argv, capsys)
    assert rc == 2 and message in err, err


def test_an_unreachable_scheduler_is_a_declared_error():
    pytest.importorskip("distributed")
    import dask

    from spikemem.sweeps import run_chunks
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ValidationError, match=r"scheduler='tcp://127\.0\.0\.1:9': cannot be reached"):
            run_chunks(json.dumps, [(1,)], scheduler="tcp://127.0.0.1:9")


def test_nest_threads_option_has_a_ceiling():
    pytest.importorskip("pyNN.nest")
    from spikemem import get_backend
    with pytest.raises(ValidationError, match=r"threads=2048: must be <= 1024"):
        get_backend("nest", threads=2048)
