"""The accuracy-matrix heat map and per-task accuracy curves of one or more runs, in one figure.

Drawn with matplotlib's object-oriented API on an Agg canvas (no pyplot, no matplotlib.use():
a notebook's backend is left alone) and written through spikemem.files.atomic_path.
"""
from __future__ import annotations

import numpy as np

from spikemem.files import atomic_path


def _figure(**kw):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str) -> str:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return path


def plot_results(results: dict, path: str) -> str:
    """results: method -> result dict (with "matrix"); writes a PNG and returns its path."""
    n = len(results)
    fig = _figure(figsize=(max(6.0, 4.8 * n), 9.0), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False)
    for col, (method, res) in enumerate(results.items()):
        rows = res["matrix"]
        K = len(rows)
        m = np.full((K, K), np.nan)
        for i, row in enumerate(rows):
            m[i, :len(row)] = row
        ax = axes[0, col]
        im = ax.imshow(m, vmin=0, vmax=100, cmap="viridis")
        for i in range(K):
            for j in range(i + 1):
                ax.text(j, i, f"{m[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] < 60 else "black")
        ax.set(title=f"{method}: ACC {res['acc']:.1f} %, BWT {res['bwt']:+.1f} %",
               xlabel="evaluated task", ylabel="after training task")
        ax.set_xticks(range(K), [str(k + 1) for k in range(K)])
        ax.set_yticks(range(K), [str(k + 1) for k in range(K)])
        ax = axes[1, col]
        for j in range(K):
            ax.plot(range(j + 1, K + 1), m[j:, j], marker="o", ms=3, label=f"task {j + 1}")
        ax.set(xlabel="tasks trained", ylabel="test accuracy (%)", ylim=(0, 100), title="per-task accuracy")
        ax.set_xticks(range(1, K + 1))
        if K <= 10:
            ax.legend(fontsize=6, ncol=2, loc="lower left")
    fig.colorbar(im, ax=axes[0, :].tolist(), shrink=0.8, label="accuracy (%)")
    return _save(fig, path)


def plot_methods(results: dict, path: str, title: str = "") -> str:
    """Final accuracy on every task after the last one, one line per method (results: method -> result)."""
    from .metrics import signed

    fig = _figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    K = 0
    for method, res in results.items():
        final = res["matrix"][-1]
        K = max(K, len(final))
        ax.plot(range(1, len(final) + 1), final, marker="o", ms=4,
                label=f"{method} (ACC {res['acc']:.1f} %, BWT {signed(res['bwt'])} %)")
    ax.set(xlabel="task", ylabel="test accuracy after the last task (%)", ylim=(0, 100),
           title=title or "final accuracy per task")
    ax.set_xticks(range(1, K + 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return _save(fig, path)
