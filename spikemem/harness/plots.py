"""Figures of any memory model, drawn off-screen with matplotlib's object-oriented API.

A figure is a matplotlib.figure.Figure on its own Agg canvas: no pyplot, no matplotlib.use(),
no global state, so a notebook's backend and open figures are left alone. Files are written
through spikemem.files.atomic_path (a failed save leaves the old file).

- raster: the spikes of every population a model names (with its labels), operations marked;
- capacity: recall accuracy against load, a panel per C and a line per N;
- state_map: what the memory holds (its plastic weights) beside what the ideal memory holds.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ValidationError
from ..files import atomic_path

PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")


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


# Okabe-Ito colours, told apart with every common colour-vision deficiency
OPERATION_COLOURS = {"learn": "#009E73", "recall_cue": "#0072B2", "recall_content": "#D55E00"}
OPERATION_NAMES = {"learn": "learn", "recall_cue": "recall by cue", "recall_content": "recall by content"}


def raster(result, case, path, populations, labels=None, trial: int = 0, title: str = "") -> None:
    """Spikes of `populations`, stacked, with the operations of `case` marked."""
    save(raster_figure(result, case, populations, labels, trial, title), path)


def raster_figure(result, case, populations, labels=None, trial: int = 0, title: str = ""):
    """The raster as a Figure: a panel per population (in this order, those the result holds),
    named labels[pop] (default: its name, as recordings, `map` and `check` name it), with a tick
    per neuron, and the operations as coloured lines."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator
    labels = labels or {}
    pops = [p for p in populations if p in result.spikes]
    heights = [0.35 + 0.1 * min(result.sizes[p], 12) for p in pops]        # inches: room for a tick per neuron
    fig = figure(figsize=(11, 1.0 + sum(heights)))
    axes = np.atleast_1d(fig.subplots(len(pops), 1, sharex=True, gridspec_kw={"height_ratios": heights}))
    for ax, pop in zip(axes, pops):
        tr, st, nr = result.spikes[pop]
        sel = tr == trial
        for t0, op in case.timed_ops:
            ax.axvline(t0, color=OPERATION_COLOURS.get(op.kind, "0.5"), lw=1.2, alpha=0.8, zorder=1)
        ax.scatter(st[sel] * result.dt, nr[sel], s=40, marker="|", linewidths=1.5, color="k", zorder=2)
        ax.set_ylabel(labels.get(pop, pop), rotation=0, ha="right", va="center", fontsize=9)
        size = result.sizes[pop]
        ax.set_ylim(-0.8, size - 0.2)
        if size <= 12:
            ax.set_yticks(range(size))
        else:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", color="0.9", lw=0.5)
    axes[-1].set_xlabel("time (ms); y: neuron index")
    kinds = [k for k in OPERATION_COLOURS if any(op.kind == k for _, op in case.timed_ops)]
    fig.legend([Line2D([], [], color=OPERATION_COLOURS[k], lw=2) for k in kinds], [OPERATION_NAMES[k] for k in kinds],
               loc="upper right", ncol=max(len(kinds), 1), fontsize=9, frameon=False)
    fig.suptitle(title or case.name, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def capacity(rows, path, title: str = "Memory capacity: recall accuracy against load") -> None:
    """Recall accuracy against load (stored memories per content bit), a panel per C."""
    save(capacity_figure(rows, title), path)


def capacity_figure(rows, title: str = "Memory capacity: recall accuracy against load"):
    """A panel per number of addresses C, a line per number of bits N in its own colour."""
    from matplotlib import colormaps
    Cs, Ns = sorted({r["C"] for r in rows}), sorted({r["N"] for r in rows})
    palette = colormaps["tab10" if len(Ns) <= 10 else "tab20"]
    cols = min(len(Cs), 4)
    nrows = -(-len(Cs) // cols)
    fig = figure(figsize=(3.2 * cols + 0.8, 3.0 * nrows + 1.2))
    axes = np.atleast_1d(fig.subplots(nrows, cols, sharex=True, sharey=True, squeeze=False)).ravel()
    for ax, C in zip(axes, Cs):
        for row in (r for r in rows if r["C"] == C):
            loads, acc = row["load_bins"], row["recall_accuracy_by_load"]
            keep = [i for i, a in enumerate(acc) if a is not None]
            ax.plot([loads[i] for i in keep], [acc[i] for i in keep], marker="o", ms=4, lw=1.6,
                    color=palette(Ns.index(row["N"])), label=f"N = {row['N']}")
        ax.set_title(f"C = {C} addresses", fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes[len(Cs):]:
        ax.set_visible(False)
    fig.supxlabel("load: stored memories x bits per memory / N (memories per content bit)", fontsize=9)
    fig.supylabel("recall accuracy (by cue and by content)", fontsize=9)
    by_label = {}
    for ax in axes[:len(Cs)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            by_label.setdefault(label, handle)
    order = [f"N = {N}" for N in Ns if f"N = {N}" in by_label]
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    fig.legend([by_label[k] for k in order], order, loc="upper center", bbox_to_anchor=(0.5, 0.94), ncol=max(len(order), 1),
               fontsize=9, frameon=False)
    return fig


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
