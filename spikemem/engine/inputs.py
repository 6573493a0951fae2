"""Spike inputs for a batch of trials, as flat event arrays (trial, step, neuron)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..description import validation
from ..errors import ValidationError


@dataclass(frozen=True)
class SpikeEvents:
    """Spikes of one population over a batch: parallel int arrays, sorted by step."""

    trial: np.ndarray
    step: np.ndarray
    neuron: np.ndarray

    @classmethod
    def from_arrays(cls, trial, step, neuron, size: int, batch: int, field: str) -> "SpikeEvents":
        trial, step, neuron = (_indices(f"{field}.{what}", a) for what, a in
                               (("trial", trial), ("step", step), ("neuron", neuron)))
        if not (len(trial) == len(step) == len(neuron)):
            raise ValidationError(field, "arrays", "trial, step and neuron must have equal lengths")
        for what, arr, hi in (("neuron", neuron, size), ("trial", trial, batch), ("step", step, validation.MAX_STEPS + 1)):
            bad = (arr < 0) | (arr >= hi)
            if np.any(bad):
                raise ValidationError(f"{field}.{what}", int(arr[bad][0]), f"out of range [0, {hi})")
        order = np.lexsort((neuron, trial, step))
        return cls(trial[order], step[order], neuron[order])

    @classmethod
    def from_trains(cls, batch_trains, size: int, dt: float, field: str) -> "SpikeEvents":
        """batch_trains[trial][neuron] is a list of spike times in ms, on the dt grid."""
        trial, step, neuron = [], [], []
        for b, trains in enumerate(batch_trains):
            if isinstance(trains, (str, bytes, dict)) or not hasattr(trains, "__len__"):
                raise ValidationError(f"{field}[{b}]", type(trains).__name__, "must be a list of spike lists, one per neuron")
            if len(trains) != size:
                raise ValidationError(f"{field}[{b}]", len(trains), f"must hold one spike list per neuron ({size})")
            for i, times in enumerate(trains):
                try:
                    t = np.asarray(times, dtype=float)
                except (TypeError, ValueError, OverflowError):
                    t = None
                if t is None or t.ndim > 1 or isinstance(times, (str, bytes)):
                    raise ValidationError(f"{field}[{b}][{i}]", times if len(repr(times)) <= 60 else validation._brief(times),
                                          "must be a list of spike times in ms")
                t = t.ravel()
                if t.size == 0:
                    continue
                s = check_times(t, dt, f"{field}[{b}][{i}]")
                trial.append(np.full(s.size, b))
                step.append(s)
                neuron.append(np.full(s.size, i))
        if not trial:
            return cls.empty()
        return cls.from_arrays(np.concatenate(trial), np.concatenate(step), np.concatenate(neuron),
                               size, len(batch_trains), field)

    @classmethod
    def empty(cls) -> "SpikeEvents":
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z)

    def __len__(self):
        return len(self.step)


def _indices(field: str, values) -> np.ndarray:
    """Integer indices as a flat int64 array: integer arrays, or floats holding whole numbers;
    strings, bools, NaN, fractions and values beyond int64 are refused."""
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        raise ValidationError(field, validation._brief(values), "must be an array of integers") from None
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            raise ValidationError(field, int(arr.max()), "must be at most 2**63 - 1")
        return arr.astype(np.int64).ravel()
    if arr.dtype.kind != "f":
        raise ValidationError(field, validation._brief(values), "must be an array of integers")
    bad = ~np.isfinite(arr) | (np.abs(arr) >= 2.0**63) | (arr != np.round(arr))
    if np.any(bad):
        raise ValidationError(field, arr[bad].ravel()[0].item(), "must be a whole number")
    return arr.astype(np.int64).ravel()


def check_times(t: np.ndarray, dt: float, field: str) -> np.ndarray:
    """Spike times (ms) to steps; negative, non-finite, off-grid or unrepresentable times are refused."""
    return validation.grid_steps(field, t, dt)


def resolve_inputs(network, inputs=None, batch: int | None = None, defaults: bool = True):
    """Per-source SpikeEvents for a batch; sources without inputs replay their own spike_times
    (defaults=False: they are left out, as a live session's later windows want).

    inputs[name] is SpikeEvents or a list (one entry per trial) of per-neuron spike-time lists.
    Returns (batch, {source name: SpikeEvents}).
    """
    if inputs is not None and not isinstance(inputs, Mapping):
        raise ValidationError("inputs", type(inputs).__name__, "must map spike source names to their inputs")
    inputs = dict(inputs or {})
    dt = network.simulation.dt
    sources = {p.name: p for p in network.populations if p.cell.kind == "SpikeSourceArray"}
    for name in inputs:
        if name not in sources:
            drawn = any(p.name == name and p.is_source for p in network.populations)
            raise ValidationError("inputs", name, "is a SpikeSourcePoisson, which draws its own spikes" if drawn else
                                  f"not a spike source of the network (sources: {sorted(sources)})")
    sizes = set()
    for name, val in inputs.items():
        if isinstance(val, SpikeEvents):
            continue
        if not isinstance(val, (list, tuple)):
            raise ValidationError(f"inputs[{name}]", type(val).__name__, "must be SpikeEvents or a list of trials")
        sizes.add(len(val))
    if batch is None:
        if len(sizes) > 1:
            raise ValidationError("inputs", sorted(sizes), "every source needs the same number of trials")
        batch = sizes.pop() if sizes else 1
        for val in inputs.values():
            if isinstance(val, SpikeEvents) and len(val):
                batch = max(batch, int(val.trial.max()) + 1)
    if batch < 1:
        raise ValidationError("batch", batch, "must be >= 1")
    out = {}
    for name, pop in sources.items():
        val = inputs.get(name)
        if val is None and not defaults:
            continue
        if val is None:
            trains = pop.cell.spike_times or [[] for _ in range(pop.size)]
            val = SpikeEvents.from_trains([trains] * batch, pop.size, dt, f"{name}.spike_times")
        elif isinstance(val, SpikeEvents):
            val = SpikeEvents.from_arrays(val.trial, val.step, val.neuron, pop.size, batch, f"inputs[{name}]")
        else:
            if len(val) != batch:
                raise ValidationError(f"inputs[{name}]", len(val), f"must hold {batch} trials")
            val = SpikeEvents.from_trains(val, pop.size, dt, f"inputs[{name}]")
        out[name] = val
    return batch, out
