"""`spikemem bench cam`: float and fixed rows side by side, and an `x NEST` column that divides by
a NEST run of the same one-trial workload measured in the same run (no figure carried over)."""
import json

import pytest

from spikemem.cli import main
from spikemem.registry import available_backends


def _bench(capsys, *extra):
    assert main(["bench", "cam", "--size", "6", "--ops", "8", "--batch", "2", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_x_nest_divides_by_nest_measured_in_this_run(capsys):
    if "nest" not in available_backends():
        pytest.skip("nest backend not installed")
    out = _bench(capsys)
    nest, rows = out["nest"], out["runs"]
    one_trial = [r for r in rows if r["workload"] == "random 8 ops, 1 trial"]
    assert [r["numerics"] for r in one_trial] == ["float", "fixed"]
    assert nest["sim_ms"] == one_trial[0]["sim_ms"] and nest["spikes"] > 0
    assert nest["sim_ms_per_s"] == pytest.approx(nest["sim_ms"] / nest["run_s"])
    for r in rows:
        assert r["x_nest"] == pytest.approx(r["sim_ms_per_s"] / nest["sim_ms_per_s"])


def test_without_nest_the_column_is_empty_not_a_stale_figure(capsys):
    out = _bench(capsys, "--no-nest", "--numerics", "float")
    assert out["nest"] == {"skipped": "--no-nest"}
    assert [r["x_nest"] for r in out["runs"]] == [None] * 4
    assert all(r["numerics"] == "float" and r["wall_x_first"] == 1.0 for r in out["runs"])
