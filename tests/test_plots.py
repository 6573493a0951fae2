"""Plots leave matplotlib's global state alone (a notebook keeps its backend) and write files
atomically."""
import subprocess
import sys

import pytest

PLOT_ALL = '''
import sys, matplotlib
matplotlib.use("svg")                          # the user's choice, which plotting must not change
before = (matplotlib.get_backend(), dict(matplotlib.rcParams))
from spikemem.models.ca3 import CA3Memory, plots
from spikemem.models.ca3 import cases as hc
case = hc.functional()
report, result = CA3Memory.run_cases([case], "reference", return_result=True)
plots.raster(result, case, sys.argv[1] + "/raster.png")
rows = [{"C": 8, "N": 8, "load_bins": [0.1, 0.4, 0.8], "recall_accuracy_by_load": [1.0, 0.9, None]},
        {"C": 8, "N": 16, "load_bins": [0.1, 0.4, 0.8], "recall_accuracy_by_load": [1.0, 1.0, 0.7]}]
plots.capacity(rows, sys.argv[1] + "/capacity.png")
from spikemem.models.hlop.plots import plot_results
plot_results({"hlop": {"matrix": [[96.0], [95.0, 97.0]], "acc": 96.0, "bwt": -1.0}}, sys.argv[1] + "/acc.png")
after = (matplotlib.get_backend(), dict(matplotlib.rcParams))
print(before == after, "matplotlib.pyplot" in sys.modules)
'''


def test_plotting_leaves_matplotlib_global_state_alone(tmp_path):
    out = subprocess.run([sys.executable, "-c", PLOT_ALL, str(tmp_path)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "False"]          # same backend and rcParams; pyplot never imported
    for name in ("raster.png", "capacity.png", "acc.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_a_failed_save_keeps_the_old_plot(tmp_path, monkeypatch):
    from matplotlib.figure import Figure
    from spikemem.models.hlop.plots import plot_results
    path = tmp_path / "acc.png"
    path.write_bytes(b"old")

    def broken(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plot_results({"hlop": {"matrix": [[96.0]], "acc": 96.0, "bwt": 0.0}}, str(path))
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["acc.png"]
