"""The offline demo's claim, at its default settings: HLOP keeps old tasks, fine-tuning forgets (slow: ~2 min)."""
import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from spikemem.cli import main  # noqa: E402


@pytest.mark.slow
def test_default_digits_run_shows_hlops_advantage(tmp_path, capsys):
    assert main(["continual", "--dataset", "digits", "--out", str(tmp_path), "--json", "--no-plot",
                 "--export-samples", "20"]) == 0
    res = json.loads(capsys.readouterr().out)["methods"]
    hlop, ft = res["hlop"], res["finetune"]
    assert len(hlop["matrix"]) == 10
    assert hlop["bwt"] >= -2.0
    assert hlop["bwt"] - ft["bwt"] >= 15.0
    assert hlop["acc"] > ft["acc"] + 10.0
    assert hlop["export"]["agreement"] >= 90.0
