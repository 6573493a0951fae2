"""`spikemem continual`: argument errors before work, a small digits run, PMNIST from tiny IDX files, resume."""
import json

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from spikemem.cli import main  # noqa: E402
from spikemem.models.hlop import train  # noqa: E402
from test_hlop_data import make_mnist  # noqa: E402

SMALL = ["--epochs", "1", "--timesteps", "4", "--hidden", "32", "--train-limit", "160", "--test-limit", "60",
         "--threads", "1", "--no-plot", "--export-samples", "0"]


@pytest.mark.parametrize("argv, field", [
    (["--method", "sgd"], "method"),
    (["--method", "hlop,bogus"], "method"),
    (["--tasks", "0"], "tasks"),
    (["--tasks", "11"], "tasks"),
    (["--epochs", "0"], "epochs"),
    (["--device", "tpu"], "device"),
    (["--dataset", "cifar"], "dataset"),
    (["--dataset", "pmnist"], "data_dir"),
    (["--dataset", "pmnist", "--data-dir", "/no/such/dir"], "data_dir"),
    (["--export-duration", "nan"], "export_duration"),
    (["--export-duration", "inf"], "export_duration"),
    (["--export-duration", "0.5"], "export_duration"),
    (["--lr", "inf"], "lr"),
    (["--seed", "-1"], "seed"),
    (["--hidden", "nan"], "hidden"),
])
def test_bad_arguments_fail_before_any_work(tmp_path, capsys, argv, field):
    out = tmp_path / "out"
    assert main(["continual", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"error: {field}=" in err or f"error: argument --{field.replace('_', '-')}:" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_an_export_duration_that_cannot_fit_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["continual", "--export-duration", "1e9", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the deploy step" in err and "the longest run that fits is" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_missing_data_dir_says_how_to_get_mnist(tmp_path, capsys):
    assert main(["continual", "--dataset", "pmnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte" in err and "--dataset digits" in err


def test_digits_run_writes_results_checkpoints_plot_and_network(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    argv = ["continual", "--dataset", "digits", "--tasks", "2", "--method", "hlop", "--out", str(out), "--json",
            *SMALL[:-3], "--export-samples", "10"]
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out)
    assert set(res) == {"acc", "bwt", "matrix", "seconds", "export"}
    m = res["matrix"]
    assert [len(r) for r in m] == [1, 2]
    assert res["acc"] == pytest.approx(np.mean(m[-1]), abs=0.01)
    assert res["bwt"] == pytest.approx(m[1][0] - m[0][0], abs=0.01)
    for f in ("hlop/task00.pt", "hlop/task01.pt", "hlop/result.json", "hlop/network.json", "accuracy.png", "run.json"):
        assert (out / f).is_file(), f
    assert res["export"]["samples_per_task"] == 10
    assert main(["continual", "--dataset", "digits", "--out", str(out)]) == 2     # refuses to overwrite a run
    assert "--resume" in capsys.readouterr().err


def test_pmnist_from_tiny_idx_files(tmp_path, capsys):
    make_mnist(tmp_path / "mnist", compress=True)
    argv = ["continual", "--dataset", "pmnist", "--data-dir", str(tmp_path / "mnist"), "--tasks", "2",
            "--method", "hlop,finetune", "--out", str(tmp_path / "o"), "--json", *SMALL]
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out)["methods"]
    assert set(res) == {"hlop", "finetune"}
    for r in res.values():
        assert all(0 <= a <= 100 for row in r["matrix"] for a in row)


@pytest.mark.parametrize("methods, extra", [
    ("hlop,ewc", []),
    # GPM bases, the replay memory and the task heads are part of the checkpoint too
    ("gpm,hlop+replay", ["--scenario", "task"]),
])
def test_resume_after_an_interruption_ends_like_an_uninterrupted_run(tmp_path, capsys, monkeypatch, methods, extra):
    base = ["continual", "--dataset", "digits", "--tasks", "3", "--method", methods, "--json", *SMALL, *extra]
    cut_method = methods.split(",")[-1]
    assert main([*base, "--out", str(tmp_path / "full")]) == 0
    full = json.loads(capsys.readouterr().out)["methods"]

    real = train.Run.train_task

    def interrupted(self, t):
        if self.cfg.method == cut_method and t == 1:
            raise KeyboardInterrupt
        return real(self, t)

    monkeypatch.setattr(train.Run, "train_task", interrupted)
    assert main([*base, "--out", str(tmp_path / "cut")]) == 130
    monkeypatch.setattr(train.Run, "train_task", real)
    capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "cut" / cut_method).glob("*.pt")) == ["task00.pt"]
    assert main(["continual", "--resume", str(tmp_path / "cut"), "--json", "--export-samples", "0", "--no-plot"]) == 0
    resumed = json.loads(capsys.readouterr().out)["methods"]
    for m in methods.split(","):
        assert resumed[m]["matrix"] == full[m]["matrix"]
    assert main(["continual", "--resume", str(tmp_path / "cut"), "--tasks", "2"]) == 2
    assert "tasks=2" in capsys.readouterr().err


def test_default_output_folder_is_fresh_per_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["continual", "--tasks", "1", "--method", "finetune", *SMALL]
    assert main(argv) == 0 and main(argv) == 0
    assert (tmp_path / "continual-digits" / "run.json").is_file()
    assert (tmp_path / "continual-digits-2" / "finetune" / "result.json").is_file()
