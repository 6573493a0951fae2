"""neo recordings back to the reference backend's Result structures."""
from __future__ import annotations

import numpy as np


def spike_arrays(pop, dt: float, shift: int, steps: int):
    """(step, neuron) int64 arrays of one trial, on the reference time grid (shift undone)."""
    seg = pop.get_data("spikes", clear=True).segments[0]
    if not seg.spiketrains:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    times = [np.asarray(st.rescale("ms").magnitude, dtype=float) for st in seg.spiketrains]
    idx = [np.full(len(t), int(st.annotations["source_index"]), dtype=np.int64)
           for t, st in zip(times, seg.spiketrains)]
    t, i = np.concatenate(times), np.concatenate(idx)
    s = np.round(t / dt).astype(np.int64) - shift
    keep = (s >= 0) & (s < steps)
    return s[keep], i[keep]


def v_array(pop, dt: float, shift: int, steps: int) -> np.ndarray:
    """(steps, size) membrane potential, sampled at the end of each reference step."""
    seg = pop.get_data("v", clear=True).segments[0]
    sig = seg.filter(name="v")[0]
    t = np.asarray(sig.times.rescale("ms").magnitude)
    idx = np.asarray(sig.array_annotations.get("channel_index", np.arange(sig.shape[1])))
    rows = np.searchsorted(np.round(t / dt).astype(np.int64), np.arange(steps) + shift)
    rows = np.minimum(rows, len(t) - 1)
    out = np.empty((steps, pop.size))
    out[:, idx] = np.asarray(sig.magnitude)[rows]
    return out


def sort_trials(parts):
    """Concatenate per-trial (trial, step, neuron) parts, sorted by trial, step, neuron."""
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    b, s, i = (np.concatenate(x).astype(np.int64) for x in zip(*parts))
    order = np.lexsort((i, s, b))
    return b[order], s[order], i[order]
