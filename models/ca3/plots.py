"""Figures of the CA3 memory: the shared figures of spikemem.harness.plots with the CA3
populations, named as the recordings, `map`, `check` and `replay` name them."""
from __future__ import annotations

from spikemem.harness import plots as _plots
from spikemem.harness.plots import PLOT_FORMATS, plot_format  # noqa: F401  (the CA3 plotting API)

from .builder import IN_CONT, IN_CUE, MODEL_POPULATIONS, OUT_CONT, OUT_CUE

POPULATIONS = (IN_CUE, IN_CONT, *MODEL_POPULATIONS, OUT_CUE, OUT_CONT)
CAPACITY_TITLE = "CA3 memory capacity: recall accuracy against load"


def raster(result, case, path, trial: int = 0, title: str = "") -> None:
    """Spikes of every population, stacked, with the operations marked."""
    _plots.raster(result, case, path, POPULATIONS, trial=trial, title=title)


def raster_figure(result, case, trial: int = 0, title: str = ""):
    return _plots.raster_figure(result, case, POPULATIONS, trial=trial, title=title)


def capacity(rows, path) -> None:
    _plots.capacity(rows, path, CAPACITY_TITLE)


def capacity_figure(rows):
    return _plots.capacity_figure(rows, CAPACITY_TITLE)
