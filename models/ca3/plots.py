"""Figures of the CA3 memory: the shared figures of spikemem.harness.plots with the CA3
populations and their short names."""
from __future__ import annotations

from spikemem.harness.plots import PLOT_FORMATS, capacity, plot_format  # noqa: F401  (the CA3 plotting API)
from spikemem.harness.plots import raster as _raster

from .builder import IN_CONT, IN_CUE, MODEL_POPULATIONS, OUT_CONT, OUT_CUE

LABELS = {"CA3cueCueRecall": "CueCue", "CA3contCueRecall": "ContCue", "CA3contCond": "ContCond",
          "CA3contCondInt": "CondInt", "CA3cueContRecall": "CueCont", "CA3contContRecall": "ContCont",
          "CA3MergeCue": "MergeCue", "CA3MergeCont": "MergeCont"}
POPULATIONS = (IN_CUE, IN_CONT, *MODEL_POPULATIONS, OUT_CUE, OUT_CONT)


def raster(result, case, path, trial: int = 0, title: str = "") -> None:
    """Spikes of every population, stacked, with the operations marked."""
    _raster(result, case, path, POPULATIONS, LABELS, trial, title)
