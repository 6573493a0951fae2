"""Figures of any memory model, drawn off-screen with matplotlib's object-oriented API.

A figure is a matplotlib.figure.Figure on its own Agg canvas: no pyplot, no matplotlib.use(),
no global state, so a notebook's backend and open figures are left alone. Files are written
through spikemem.files.atomic_path (a failed save leaves the old file).

- raster: the spikes of every population a model names (with its labels), operations marked;
- capacity: recall accuracy against load, one line per memory size;
- state_map: what the memory holds (its plastic weights) beside what the ideal memory holds.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ValidationError
from ..files import atomic_path

PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")
OP_COLORS = {"learn": "tab:green", "recall_cue": "tab:blue", "recall_content": "tab:orange"}


def plot_format(path) -> str:
    """The format a plot path asks for (its suffix; png without one), or a ValidationError."""
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in PLOT_FORMATS:
        raise ValidationError("png", str(path), f"must end in one of {', '.join('.' + f for f in PLOT_FORMATS)}")
    return fmt


def figure(**kw):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path, dpi: int = 110) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=plot_format(path))


def raster(result, case, path, populations, labels=None, trial: int = 0, title: str = "") -> None:
    """Spikes of `populations` (in this order, those the result holds), stacked, each labelled
    by labels[pop] (default: its name), with the operations of `case` marked."""
    labels = labels or {}
    pops = [p for p in populations if p in result.spikes]
    fig = figure(figsize=(11, 1.0 + 0.75 * len(pops)))
    axes = np.atleast_1d(fig.subplots(len(pops), 1, sharex=True))
    for ax, pop in zip(axes, pops):
        tr, st, nr = result.spikes[pop]
        sel = tr == trial
        ax.scatter(st[sel] * result.dt, nr[sel], s=6, marker="|", color="k")
        ax.set_ylabel(labels.get(pop, pop), rotation=0, ha="right", va="center", fontsize=8)
        ax.set_ylim(-0.8, result.sizes[pop] - 0.2)
        ax.set_yticks([])
        for t0, op in case.timed_ops:
            ax.axvline(t0, color=OP_COLORS.get(op.kind, "tab:gray"), lw=0.6, alpha=0.6)
    kinds = sorted({op.kind for op in case.ops}, key=list(OP_COLORS).index)
    axes[-1].set_xlabel("time (ms)   " + ", ".join(f"{OP_COLORS[k].split(':')[1]}: {k.replace('_', ' ')}" for k in kinds))
    fig.suptitle(title or case.name)
    fig.tight_layout()
    save(fig, path)


def capacity(rows, path) -> None:
    """Recall accuracy against load (stored memories per content bit), one line per size."""
    from matplotlib import colormaps
    fig = figure(figsize=(7, 4.5))
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
    ax.set_ylabel("recall accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save(fig, path)


def state_map(panels, path, title: str = "") -> None:
    """Heat maps side by side: panels = [(title, matrix, row label, column label), ...], e.g. a
    memory's learned weights and the ideal memory's contents."""
    fig = figure(figsize=(4.2 * len(panels), 4.0))
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (name, matrix, rows, cols) in zip(axes, panels):
        m = np.asarray(matrix, dtype=float)
        im = ax.imshow(np.nan_to_num(m), aspect="auto", interpolation="nearest", cmap="viridis")
        ax.set_title(name, fontsize=9)
        ax.set_ylabel(rows)
        ax.set_xlabel(cols)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, path)
