"""The array operations of the shared engine (spikemem.engine.array_engine, spikemem.engine.stdp), for numpy.

An engine is written once against an ops object; numpy brings this one and torch brings
spikemem.engine.torch_ops. Each method is what both libraries need and spell differently; where a
library is faster another way (numpy's grouped sums, torch's one sync per step) it says so here.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

_EMPTY = np.zeros(0, dtype=np.int64)
_TRIAL0 = np.zeros(1, dtype=np.int64)


class ElementwiseOps:
    """The element-wise operations numpy and torch spell alike: one body, the library as `xp`."""

    xp = np

    def mul(self, a, b, out):
        return self.xp.multiply(a, b, out=out)

    def sub(self, a, b, out):
        return self.xp.subtract(a, b, out=out)

    def ge(self, a, b, out):
        return self.xp.greater_equal(a, b, out=out)

    def where(self, cond, a, b):
        return self.xp.where(cond, a, b)

    def nan_to_num(self, a):
        return self.xp.nan_to_num(a)


class NumpyOps(ElementwiseOps):
    inf = math.inf
    gathers_rows = True     # a gather of data-dependent size is cheap here (stdp: potentiation of traced rows)

    # -- allocation and conversion ----------------------------------------------------------
    def array(self, a):
        return np.array(a, dtype=float)

    def index(self, a):
        return np.asarray(a)

    def zeros(self, shape):
        return np.zeros(shape)

    def bools(self, shape):
        return np.zeros(shape, dtype=bool)

    def full(self, shape, value):
        return np.full(shape, value, dtype=float)

    def ones_int(self, shape):
        return np.ones(shape, dtype=np.int64)

    def ints(self, a):
        """int64 values (the raw bits of numerics='fixed')."""
        return np.array(a, dtype=np.int64)

    def zeros_int(self, shape):
        return np.zeros(shape, dtype=np.int64)

    def copy(self, a):
        return a.copy()

    def whole(self, a):
        """Floats holding whole numbers as int64 (table indices)."""
        return a.astype(np.int64)

    def floats(self, a):
        return a.astype(float)

    def numpy(self, a) -> np.ndarray:
        return np.asarray(a, dtype=np.float64)

    def host(self, a) -> np.ndarray:
        """A numpy copy with the array's own dtype (for saving state)."""
        return np.array(a)

    def row_max(self, a) -> np.ndarray:
        """Each row's largest value, on the host."""
        return a.max(axis=1, initial=-np.inf)

    def int_numpy(self, a) -> np.ndarray:
        return np.asarray(a)

    def compact(self, idx):
        """An index array as the spike log keeps it (int32 halves the log of a long batch)."""
        return idx.astype(np.int32)

    def cat(self, arrays):
        return np.concatenate(arrays)

    def stack(self, arrays, axis):
        return np.stack(arrays, axis=axis)

    def pairs(self, batch: int, n: int):
        """Every (trial, neuron) pair as two flat index arrays."""
        return np.repeat(np.arange(batch), n), np.tile(np.arange(n), batch)

    def no_grad(self):
        return contextlib.nullcontext()

    # -- element-wise (the rest: ElementwiseOps) -----------------------------------------------
    def clip_(self, a, lo, hi):
        return np.clip(a, lo, hi, out=a)

    def at_most_(self, a, hi: float):
        """a = min(a, hi) in place (a tenth of np.clip's call overhead)."""
        return np.minimum(a, hi, out=a)

    # -- spikes and synapses ---------------------------------------------------------------
    def select(self, mask, *arrays):
        return tuple(a[mask] for a in arrays)

    def step_spikes(self, fired, src_trials, src_neurons):
        """(trials, neurons) of every spike of the step, IF spikes first, and the IF spikes alone."""
        fb, fi = np.nonzero(fired) if fired.any() else (_EMPTY, _EMPTY)
        if not len(src_trials):
            return fb, fi, fb, fi
        if not len(fb):
            return src_trials, src_neurons, fb, fi
        return np.concatenate([fb, src_trials]), np.concatenate([fi, src_neurons]), fb, fi

    def repeat(self, a, counts, total: int):
        return np.repeat(a, counts)

    def arange(self, n: int):
        return np.arange(n)

    def cumsum(self, a):
        return np.cumsum(a)

    def scatter_add(self, target, idx, values):
        np.add.at(target, idx, values)

    def counts(self, idx, n: int):
        """(n,) float: how often each index occurs (spikes per trial and population)."""
        return np.bincount(idx, minlength=n).astype(float)

    def add_scaled(self, target, values, w: float):
        """target += values * w, in place (values broadcast)."""
        target += values * w

    def cast_like(self, a, like):
        """A saved numpy array as an array of the engine's kind, dtype and device."""
        return np.asarray(a, dtype=like.dtype)

    def trial_sums(self, rows, trials, batch: int):
        """(trial index, per-trial sums of rows); rows of one trial are contiguous, as step_spikes
        gives them for one population. Each sum adds its rows one after another, in row order,
        as torch's index_add_ does: the rounding of a trial's sum never depends on the batch
        (reduceat, and sum over a contiguous axis, add pairwise in blocks that depend on the count)."""
        n = rows.shape[1]
        if batch == 1 and n > 1:
            return _TRIAL0, rows.sum(axis=0, keepdims=True)      # row by row: axis 0 is the outer loop
        if batch == 1:
            return _TRIAL0, np.add.accumulate(rows, axis=0)[-1:]
        first = np.empty(len(trials), dtype=bool)                # rows are never empty here
        first[0] = True
        np.not_equal(trials[1:], trials[:-1], out=first[1:])
        out = rows[first]                                         # each trial's first row (a copy)
        if not first.all():                                       # then the others, in index order
            rest = ~first                                         # (add.at's fast path is one-dimensional)
            at = ((np.cumsum(first) - 1)[rest][:, None] * n + np.arange(n)).ravel()
            np.add.at(out.reshape(-1), at, rows[rest].ravel())
        return trials[first], out
