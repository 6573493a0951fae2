"""Neuron types of the description, in PyNN units (ms, mV, nF, nA)."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ..errors import ValidationError
from . import realisation, validation
from .random import RandomDistribution, within


class _SynapticIF:
    """Checks and views IF cells with synaptic time constants share (reversal potentials where
    the cell has them)."""

    def __post_init__(self):
        for f in ("cm", "tau_m", "tau_syn_E", "tau_syn_I"):
            _values(self, f, validation.positive, lo_open=True)
        for f in ("e_rev_E", "e_rev_I"):
            if hasattr(self, f):
                _values(self, f, validation.finite)
        _check_if(self)

    v_start = property(lambda self: self.v_rest if self.v_init is None else self.v_init)

    def to_dict(self) -> dict:
        return _if_dict(self)


@dataclass(frozen=True)
class _LIFFields(_SynapticIF):
    """The fields of a LIF cell with synaptic time constants, PyNN's defaults."""

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


@dataclass(frozen=True)
class IFCurrExp(_LIFFields):
    """PyNN's IF_curr_exp: LIF with exponential current synapses.

    After a spike the neuron is held at v_reset for ceil(tau_refrac / dt) steps, as sPyNNaker
    and NEST do (docs/validation.md, refractory period).
    """

    kind = "IF_curr_exp"


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
        _values(self, "cm", validation.positive, lo_open=True)
        if not (isinstance(self.tau_m, (int, float)) and not isinstance(self.tau_m, bool) and self.tau_m == math.inf):
            _values(self, "tau_m", validation.positive, lo_open=True)
        _check_if(self)

    v_start = property(lambda self: self.v_rest if self.v_init is None else self.v_init)

    def to_dict(self) -> dict:
        return _if_dict(self)


@dataclass(frozen=True)
class IFCondExp(_LIFFields):
    """PyNN's IF_cond_exp: LIF with exponentially decaying conductances (uS) that pull V toward
    the reversal potentials e_rev_E and e_rev_I (mV); weights are conductances in uS.

    Update equations of both schemes and the fixed-point arithmetic: docs/cells.md.
    """

    e_rev_E: float = 0.0
    e_rev_I: float = -70.0

    kind = "IF_cond_exp"


@dataclass(frozen=True)
class IFCurrAlpha(_LIFFields):
    """PyNN's IF_curr_alpha: LIF with alpha-shaped current synapses. A weight w (nA) is the
    peak of its current, reached tau_syn after the spike arrives: I(t) = w (t/tau) e^(1 - t/tau),
    as PyNN, NEST and Brian2 define it (sPyNNaker's synapse is scaled to it: docs/cells.md).
    """

    tau_syn_E: float = 0.5
    tau_syn_I: float = 0.5

    kind = "IF_curr_alpha"


@dataclass(frozen=True)
class Izhikevich:
    """PyNN's Izhikevich: dv/dt = 0.04 v^2 + 5 v + 140 - u + I, du/dt = a (b v - u); at
    v >= 30 mV the neuron spikes, v = c and u += d. Units: a, b /ms; c mV; d, u mV/ms; v mV.

    I is in nA with sPyNNaker's reading (1 nA gives 1 mV/ms; pyNN.nest and pyNN.brian2 read it
    1000 times stronger, and their lowering divides by 1000). Synapses: tau_syn_E = tau_syn_I =
    None (the default) are PyNN's standard voltage jumps, a weight in mV (NEST, Brian2);
    numbers are sPyNNaker's exponential current synapses (IZK_curr_exp), weights in nA.
    docs/cells.md has the update of both schemes.
    """

    a: float = 0.02
    b: float = 0.2
    c: float = -65.0
    d: float = 2.0
    i_offset: float | tuple = 0.0
    v_init: float = -70.0
    u_init: float = -14.0
    tau_syn_E: float | None = None
    tau_syn_I: float | None = None

    kind = "Izhikevich"
    v_thresh = 30.0          # mV, fixed (PyNN, NEST and sPyNNaker)
    tau_refrac = 0.0         # no refractory period
    onset = 0.0

    def __post_init__(self):
        for f in ("a", "b", "c", "d", "i_offset", "v_init", "u_init"):
            _values(self, f, validation.finite)
        if (self.tau_syn_E is None) != (self.tau_syn_I is None):
            raise ValidationError("tau_syn_I" if self.tau_syn_I is None else "tau_syn_E", None,
                                  "both tau_syn_E and tau_syn_I are numbers (exponential current synapses) "
                                  "or both None (voltage jumps)")
        if self.tau_syn_E is not None:
            _values(self, "tau_syn_E", validation.positive, lo_open=True)
            _values(self, "tau_syn_I", validation.positive, lo_open=True)

    v_start = property(lambda self: self.v_init)
    v_reset = property(lambda self: self.c)
    delta = property(lambda self: self.tau_syn_E is None)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{f.name: _plain(getattr(self, f.name)) for f in fields(self)}}


def _check_if(cell) -> None:
    """The checks IF cells share. Every value but onset is one number, one per neuron (a tuple,
    as PyNN allows; NIR's per-neuron biases) or a RandomDistribution drawn per neuron
    (spikemem.description.realisation). onset (ms) holds every neuron at its start voltage, unable
    to fire, before that time: how an imported NIR layer keeps its place in time (docs/nir.md)."""
    for f in ("v_rest", "v_reset", "v_thresh", "i_offset"):
        _values(cell, f, validation.finite)
    _values(cell, "tau_refrac", validation.non_negative, lo=0.0)
    tau_m, cm = np.asarray(cell.tau_m if _fixed(cell.tau_m) else 1.0), np.asarray(cell.cm if _fixed(cell.cm) else 1.0)
    if tau_m.shape and cm.shape and tau_m.shape != cm.shape:
        raise ValidationError("cm", len(cm), f"must have as many values as tau_m ({len(tau_m)})")
    big = np.isfinite(tau_m) & ~(np.abs(tau_m / cm) < 1e300)
    if np.any(big):
        raise ValidationError("cm", cell.cm, f"gives a membrane resistance tau_m/cm that overflows (tau_m={cell.tau_m})")
    validation.non_negative("onset", cell.onset)
    if cell.v_init is not None:
        _values(cell, "v_init", validation.finite)


def _fixed(value) -> bool:
    return not isinstance(value, RandomDistribution)


def _values(cell, name: str, check, lo=None, lo_open=False) -> None:
    """Check one cell value (a number, a tuple per neuron, a distribution) and keep its normal form."""
    value = realisation.per_neuron(name, getattr(cell, name), check)
    if isinstance(value, RandomDistribution):
        within(name, value, lo if lo is not None else (0.0 if lo_open else None), lo_open)
    object.__setattr__(cell, name, value)


def _if_dict(cell) -> dict:
    d = {"kind": cell.kind, **{f.name: _plain(getattr(cell, f.name)) for f in fields(cell)}}
    if not d.get("onset", 1):
        del d["onset"]    # files without onset stay readable by spikemem versions before it
    return d


def _plain(value):
    """A cell value as JSON holds it: a number, a list per neuron or a distribution's dict."""
    return value.to_dict() if isinstance(value, RandomDistribution) else value


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


@dataclass(frozen=True)
class SpikeSourcePoisson:
    """PyNN's SpikeSourcePoisson: each neuron spikes in a step with probability rate * dt
    (rate in Hz, dt in ms / 1000; at most one spike a step), in the steps s with
    start <= s * dt < start + duration. rate, start and duration are numbers, one per neuron or
    RandomDistributions. The draws come from a counter-based generator keyed by (seed, population
    name, trial, neuron, step): every engine backend draws the same trains on its own device, and
    PyNN simulators receive those trains (docs/sources.md)."""

    rate: float | tuple = 1.0          # Hz
    start: float | tuple = 0.0         # ms
    duration: float | tuple = math.inf  # ms
    seed: int = 0

    kind = "SpikeSourcePoisson"

    def __post_init__(self):
        _values(self, "rate", validation.non_negative, lo=0.0)
        _values(self, "start", validation.non_negative, lo=0.0)
        _values(self, "duration", _duration, lo=0.0)
        validation.integer("seed", self.seed, lo=0, hi=2**63 - 1)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{f.name: _plain(getattr(self, f.name)) for f in fields(self)}}


def _duration(field: str, value) -> float:
    """A duration in ms: >= 0, or infinity (to the end of the run)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == math.inf:
        return math.inf
    return validation.non_negative(field, value)


NEURON_CELLS = (IFCurrExp, IFCurrDelta, IFCondExp, IFCurrAlpha, Izhikevich)      # cells with a membrane
SOURCES = (SpikeSourceArray, SpikeSourcePoisson)
CELL_TYPES = {c.kind: c for c in (*NEURON_CELLS, *SOURCES)}


def _naming_the_cell(cls) -> None:
    """A cell is built before its population exists, so its refusal names the cell type instead
    (`IFCurrExp.tau_m='10ms'`); a file's loader puts the population's name there."""
    check = cls.__post_init__

    def __post_init__(self):
        try:
            check(self)
        except ValidationError as e:
            if e.field.startswith(f"{cls.__name__}."):
                raise
            named = ValidationError(f"{cls.__name__}.{e.field}", e.value, e.reason)
            named.local_field = e.local_field
            raise named from None
    cls.__post_init__ = __post_init__


for _cls in CELL_TYPES.values():
    _naming_the_cell(_cls)


def cell_from_dict(d: dict, where: str = ""):
    """A cell from its file entry; `where` (a population name) prefixes the field of a refusal."""
    try:
        validation.mapping("cell", d)
        kind = validation.choice("cell.kind", d.get("kind"), set(CELL_TYPES))
        cls = CELL_TYPES[kind]
        kwargs = {k: v for k, v in d.items() if k != "kind"}
        known = {f.name for f in fields(cls)}
        unknown = set(kwargs) - known
        if unknown:
            raise ValidationError("cell", sorted(unknown, key=str), f"unknown parameters for {kind}")
        if cls is not SpikeSourceArray:          # a value may be a distribution's dict (format 1.2)
            kwargs = {k: RandomDistribution.from_dict(v, k) if isinstance(v, dict) else v
                      for k, v in kwargs.items()}
        return cls(**kwargs)
    except ValidationError as e:
        if not where:
            raise ValidationError(e.local_field, e.value, e.reason) from None
        raise e.within(where) from None
