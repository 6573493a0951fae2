"""Figures of the CA3 memory, drawn off-screen with matplotlib's object-oriented API.

A figure is a matplotlib.figure.Figure on its own Agg canvas: no pyplot, no matplotlib.use(),
no global state, so a notebook's backend and open figures are left alone. Files are written
through spikemem.files.atomic_path (a failed save leaves the old file).
"""
from __future__ import annotations

import numpy as np

from spikemem.files import atomic_path

from .builder import IN_CONT, IN_CUE, MODEL_POPULATIONS, OUT_CONT, OUT_CUE

LABELS = {"CA3cueCueRecall": "CueCue", "CA3contCueRecall": "ContCue", "CA3contCond": "ContCond",
          "CA3contCondInt": "CondInt", "CA3cueContRecall": "CueCont", "CA3contContRecall": "ContCont",
          "CA3MergeCue": "MergeCue", "CA3MergeCont": "MergeCont"}


PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")


def plot_format(path) -> str:
    """The format a plot path asks for (its suffix; png without one), or a ValidationError."""
    from pathlib import Path

    from spikemem.errors import ValidationError
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in PLOT_FORMATS:
        raise ValidationError("png", str(path), f"must end in one of {', '.join('.' + f for f in PLOT_FORMATS)}")
    return fmt


def _figure(**kw):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path, dpi: int = 110) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=plot_format(path))


def raster(result, case, path, trial: int = 0, title: str = "") -> None:
    """Spikes of every population, stacked, with the operations marked."""
    pops = [IN_CUE, IN_CONT, *MODEL_POPULATIONS, OUT_CUE, OUT_CONT]
    pops = [p for p in pops if p in result.spikes]
    fig = _figure(figsize=(11, 1.0 + 0.75 * len(pops)))
    axes = np.atleast_1d(fig.subplots(len(pops), 1, sharex=True))
    for ax, pop in zip(axes, pops):
        tr, st, nr = result.spikes[pop]
        sel = tr == trial
        ax.scatter(st[sel] * result.dt, nr[sel], s=6, marker="|", color="k")
        ax.set_ylabel(LABELS.get(pop, pop), rotation=0, ha="right", va="center", fontsize=8)
        ax.set_ylim(-0.8, result.sizes[pop] - 0.2)
        ax.set_yticks([])
        for t0, op in case.timed_ops:
            ax.axvline(t0, color={"learn": "tab:green", "recall_cue": "tab:blue"}.get(op.kind, "tab:orange"),
                       lw=0.6, alpha=0.6)
    axes[-1].set_xlabel("time (ms)   green: learn, blue: recall by cue, orange: recall by content")
    fig.suptitle(title or case.name)
    fig.tight_layout()
    _save(fig, path)


def capacity(rows, path) -> None:
    """Recall accuracy against load (stored memories per content bit), one line per size."""
    from matplotlib import colormaps
    fig = _figure(figsize=(7, 4.5))
    ax = fig.subplots()
    Cs, Ns = sorted({r["C"] for r in rows}), sorted({r["N"] for r in rows})
    colors, styles = colormaps["viridis"], ["-", "--", "-.", ":", (0, (5, 1)), (0, (1, 3))]
    for row in rows:
        loads, acc = row["load_bins"], row["recall_accuracy_by_load"]
        keep = [i for i, a in enumerate(acc) if a is not None]
        ax.plot([loads[i] for i in keep], [acc[i] for i in keep], marker="o", ms=3,
                color=colors(Ns.index(row["N"]) / max(1, len(Ns) - 1)),
                linestyle=styles[Cs.index(row["C"]) % len(styles)], label=f"C={row['C']}, N={row['N']}")
    ax.set_xlabel("load: stored memories x bits per memory / N (memories per content bit)")
    ax.set_ylabel("recall accuracy (by cue and by content)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    _save(fig, path)


def bin_by_load(loads: np.ndarray, correct: np.ndarray, edges: np.ndarray) -> list:
    idx = np.clip(np.digitize(loads, edges) - 1, 0, len(edges) - 2)
    return [float(correct[idx == i].mean()) if (idx == i).any() else None for i in range(len(edges) - 1)]
