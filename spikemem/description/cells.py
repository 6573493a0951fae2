"""Neuron types of the description, in PyNN units (ms, mV, nF, nA)."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ..errors import ValidationError
from . import validation


@dataclass(frozen=True)
class IFCurrExp:
    """PyNN's IF_curr_exp: LIF with exponential current synapses.

    After a spike the neuron is held at v_reset for ceil(tau_refrac / dt) steps, as sPyNNaker
    and NEST do (docs/validation.md, refractory period).
    """

    cm: float = 1.0
    tau_m: float = 20.0
    tau_syn_E: float = 5.0
    tau_syn_I: float = 5.0
    v_rest: float = -65.0
    v_reset: float = -65.0
    v_thresh: float = -50.0
    tau_refrac: float = 0.1
    i_offset: float | tuple = 0.0
    v_init: float | None = None  # None: start at v_rest
    onset: float = 0.0            # ms; see _check_if

    kind = "IF_curr_exp"

    def __post_init__(self):
        for f in ("cm", "tau_m", "tau_syn_E", "tau_syn_I"):
            validation.positive(f, getattr(self, f))
        _check_if(self)

    v_start = property(lambda self: self.v_rest if self.v_init is None else self.v_init)

    def to_dict(self) -> dict:
        return _if_dict(self)


@dataclass(frozen=True)
class IFCurrDelta:
    """PyNN's IF_curr_delta: LIF whose synaptic input jumps V by the weight, in mV.

    NEST (iaf_psc_delta) and sPyNNaker (IF_curr_delta) both have it; semantics in
    docs/nir.md ("IFCurrDelta"). tau_m = math.inf is a membrane without leak (NIR's IF
    node): only the array engines run it (feature cell.no_leak).
    """

    cm: float = 1.0
    tau_m: float = 20.0
    v_rest: float = -65.0
    v_reset: float = -65.0
    v_thresh: float = -50.0
    tau_refrac: float = 0.1
    i_offset: float | tuple = 0.0
    v_init: float | None = None
    onset: float = 0.0

    kind = "IF_curr_delta"

    def __post_init__(self):
        validation.positive("cm", self.cm)
        if not (isinstance(self.tau_m, (int, float)) and not isinstance(self.tau_m, bool) and self.tau_m == math.inf):
            validation.positive("tau_m", self.tau_m)
        _check_if(self)

    v_start = property(lambda self: self.v_rest if self.v_init is None else self.v_init)

    def to_dict(self) -> dict:
        return _if_dict(self)


def _check_if(cell) -> None:
    """The checks IF cells share. i_offset is one value or one per neuron (a sequence, as PyNN
    allows; NIR's per-neuron biases). onset (ms) holds every neuron at its start voltage, unable
    to fire, before that time: how an imported NIR layer keeps its place in time (docs/nir.md)."""
    for f in ("v_rest", "v_reset", "v_thresh"):
        validation.finite(f, getattr(cell, f))
    if isinstance(cell.i_offset, (list, tuple, np.ndarray)):
        values = cell.i_offset.tolist() if isinstance(cell.i_offset, np.ndarray) else list(cell.i_offset)
        if not isinstance(values, list):
            values = [values]                      # a 0-d array: one value
        values = tuple(validation.finite(f"i_offset[{i}]", v) for i, v in enumerate(values))
        object.__setattr__(cell, "i_offset", values)
    else:
        validation.finite("i_offset", cell.i_offset)
    validation.non_negative("tau_refrac", cell.tau_refrac)
    if math.isfinite(cell.tau_m) and not abs(cell.tau_m / cell.cm) < 1e300:
        raise ValidationError("cm", cell.cm, f"gives a membrane resistance tau_m/cm that overflows (tau_m={cell.tau_m})")
    validation.non_negative("onset", cell.onset)
    if cell.v_init is not None:
        validation.finite("v_init", cell.v_init)


def _if_dict(cell) -> dict:
    d = {"kind": cell.kind, **{f.name: getattr(cell, f.name) for f in fields(cell)}}
    if not d["onset"]:
        del d["onset"]    # files without onset stay readable by spikemem versions before it
    return d


@dataclass(frozen=True)
class SpikeSourceArray:
    """Spike times in ms, one tuple per neuron; backends may replace them per trial."""

    spike_times: tuple = ()

    kind = "SpikeSourceArray"

    def __post_init__(self):
        rows = validation.sequence("spike_times", self.spike_times)
        out = []
        for i, row in enumerate(rows):
            times = validation.sequence(f"spike_times[{i}]", row)
            out.append(tuple(validation.non_negative(f"spike_times[{i}]", t) for t in times))
        object.__setattr__(self, "spike_times", tuple(out))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "spike_times": [list(r) for r in self.spike_times]}


CELL_TYPES = {c.kind: c for c in (IFCurrExp, IFCurrDelta, SpikeSourceArray)}
IF_CELLS = (IFCurrExp, IFCurrDelta)


def cell_from_dict(d: dict):
    validation.mapping("cell", d)
    kind = validation.choice("cell.kind", d.get("kind"), set(CELL_TYPES))
    cls = CELL_TYPES[kind]
    kwargs = {k: v for k, v in d.items() if k != "kind"}
    known = {f.name for f in fields(cls)}
    unknown = set(kwargs) - known
    if unknown:
        raise ValidationError("cell", sorted(unknown, key=str), f"unknown parameters for {kind}")
    return cls(**kwargs)
