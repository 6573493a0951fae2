"""`spikemem continual` end to end on the split benchmarks' file formats: every method, both scenarios, conv nets."""
import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from hlop_samples import write_cifar100, write_five_datasets, write_miniimagenet, write_mnist_blocks  # noqa: E402
from spikemem.cli import main  # noqa: E402

FAST = ["--timesteps", "3", "--threads", "1", "--epochs", "1"]


def _run(capsys, argv):
    assert main(["continual", *argv, "--json"]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    return out.get("methods", out)


@pytest.mark.parametrize("scenario", ["task", "domain"])
def test_split_mnist_cnn_every_method(tmp_path, capsys, scenario):
    write_mnist_blocks(tmp_path / "mnist", n_train=60, n_test=30)
    methods = "hlop,gpm,replay,hlop+replay,ewc,finetune,multitask"
    res = _run(capsys, ["--dataset", "split-mnist", "--data-dir", str(tmp_path / "mnist"), "--arch", "cnn",
                        "--channels", "2,3,3", "--tasks", "3", "--scenario", scenario, "--method", methods,
                        "--out", str(tmp_path / "o"), "--export-samples", "0", *FAST])
    assert list(res) == methods.split(",")
    for r in res.values():
        assert [len(row) for row in r["matrix"]] == [1, 2, 3]
    png = (tmp_path / "o" / "methods.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    cfg = json.loads((tmp_path / "o" / "gpm" / "result.json").read_text())
    assert cfg["config"]["scenario"] == scenario and all(n > 0 for n in cfg["gpm_basis"])


def test_trained_cnn_scores_on_the_reference_engine_like_torch(tmp_path, capsys):
    write_mnist_blocks(tmp_path / "mnist", n_train=300, n_test=60)
    res = _run(capsys, ["--dataset", "split-mnist", "--data-dir", str(tmp_path / "mnist"), "--arch", "cnn",
                        "--channels", "4,6,6", "--tasks", "2", "--method", "hlop", "--out", str(tmp_path / "o"),
                        "--timesteps", "6", "--epochs", "4", "--lr", "0.05", "--threads", "1", "--export-samples", "12",
                        "--export-duration", "200"])
    ex = res["export"]
    assert ex["torch_acc"] >= 80 and ex["tasks"] == [0, 1]
    assert ex["agreement"] >= 80 and ex["reference_acc"] >= ex["torch_acc"] - 20
    assert (tmp_path / "o" / "hlop" / "network.json").is_file()


def test_cifar100_cnn_protocol_end_to_end(tmp_path, capsys):
    write_cifar100(tmp_path, per_class_train=2, per_class_test=1)
    res = _run(capsys, ["--dataset", "cifar100", "--data-dir", str(tmp_path), "--tasks", "2", "--channels", "2,3,3",
                        "--method", "hlop,finetune", "--proj-type", "weight", "--out", str(tmp_path / "o"),
                        "--export-samples", "4", *FAST])
    assert res["hlop"]["export"]["samples_per_task"] == 4
    cfg = json.loads((tmp_path / "o" / "hlop" / "result.json").read_text())["config"]
    assert (cfg["arch"], cfg["scenario"], cfg["momentum"], cfg["schedule"]) == ("cnn", "task", 0.9, "cosine")


def test_miniimagenet_resnet_runs_and_declines_export(tmp_path, capsys):
    write_miniimagenet(tmp_path, per_class_train=2, per_class_test=1, side=84)
    res = _run(capsys, ["--dataset", "miniimagenet", "--data-dir", str(tmp_path), "--tasks", "2",
                        "--method", "hlop", "--out", str(tmp_path / "o"), "--timesteps", "1", "--threads", "1",
                        "--epochs", "1", "--export-samples", "2", "--batch", "10"])
    assert [len(r) for r in res["matrix"]] == [1, 2]
    assert "blocks.0" in res["export"]["skipped"]


def test_five_datasets_domain_scenario_with_gpm_and_replay(tmp_path, capsys):
    write_five_datasets(tmp_path, n_train=10, n_test=5)
    res = _run(capsys, ["--dataset", "five-datasets", "--data-dir", str(tmp_path), "--arch", "cnn", "--channels",
                        "2,2,2", "--scenario", "domain", "--method", "gpm,replay", "--out", str(tmp_path / "o"),
                        "--export-samples", "0", *FAST])
    assert all(len(r["matrix"]) == 5 for r in res.values())


def test_missing_cifar_fails_before_any_work(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["continual", "--dataset", "cifar100", "--data-dir", str(tmp_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cifar-100-python" in err and "download" in err and not out.exists()
