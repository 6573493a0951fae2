"""Current sources: PyNN's four electrodes that sPyNNaker 7.4 runs, and where they are injected.

A source's current (nA) adds to every target neuron's i_offset, in that cell's own update and
by the same scheme rule (docs/sources.md, "Current sources"). Times are ms on the dt grid: the
current set at time t acts in the steps from t on (the step [t, t + dt) is the first), as
sPyNNaker's current_source_*.h test `time >= start && time < stop` and as NEST's generators act
through PyNN. Several injections into one neuron add.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ..errors import ValidationError
from . import validation


def _time(field: str, value) -> float:
    return validation.non_negative(field, value)


def _stop(field: str, value) -> float:
    """A stop time in ms: >= 0 or infinity (never stops)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == math.inf:
        return math.inf
    return validation.non_negative(field, value)


def _window(src) -> None:
    object.__setattr__(src, "start", _time("start", src.start))
    object.__setattr__(src, "stop", _stop("stop", src.stop))
    if src.stop < src.start:
        raise ValidationError("stop", src.stop, f"must be >= start ({src.start:g} ms)")


class _Source:
    def to_dict(self) -> dict:
        d = {"kind": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d

    def grid_times(self) -> tuple:
        """(field, ms) of every time that must lie on the dt grid."""
        return (("start", self.start),) + ((("stop", self.stop),) if self.stop != math.inf else ())


@dataclass(frozen=True)
class DCSource(_Source):
    """PyNN's DCSource: `amplitude` nA in the steps with start <= t < stop."""

    amplitude: float = 1.0       # nA
    start: float = 0.0           # ms
    stop: float = math.inf       # ms

    kind = "DCSource"

    def __post_init__(self):
        object.__setattr__(self, "amplitude", validation.finite("amplitude", self.amplitude))
        _window(self)


@dataclass(frozen=True)
class StepCurrentSource(_Source):
    """PyNN's StepCurrentSource: 0 nA before times[0], then amplitudes[k] from times[k] on
    (the last amplitude holds to the end), times strictly increasing."""

    times: tuple = ()            # ms
    amplitudes: tuple = ()       # nA

    kind = "StepCurrentSource"

    def __post_init__(self):
        times = tuple(_time(f"times[{i}]", t) for i, t in enumerate(validation.sequence("times", self.times)))
        amps = tuple(validation.finite(f"amplitudes[{i}]", a)
                     for i, a in enumerate(validation.sequence("amplitudes", self.amplitudes)))
        if len(times) != len(amps):
            raise ValidationError("amplitudes", len(amps), f"must hold one amplitude per time ({len(times)})")
        for i in range(1, len(times)):
            if times[i] <= times[i - 1]:
                raise ValidationError(f"times[{i}]", times[i], f"must be > times[{i - 1}] ({times[i - 1]:g} ms): "
                                                               "times are strictly increasing")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "amplitudes", amps)

    def grid_times(self) -> tuple:
        return tuple((f"times[{i}]", t) for i, t in enumerate(self.times))


@dataclass(frozen=True)
class ACSource(_Source):
    """PyNN's ACSource: offset + amplitude sin(2 pi frequency (t - start) / 1000 + phase pi / 180)
    nA in the steps with start <= t < stop, t the step's start time (ms; frequency in Hz, phase
    in degrees)."""

    amplitude: float = 1.0
    offset: float = 0.0
    frequency: float = 10.0
    phase: float = 0.0
    start: float = 0.0
    stop: float = math.inf

    kind = "ACSource"

    def __post_init__(self):
        for f in ("amplitude", "offset", "phase"):
            object.__setattr__(self, f, validation.finite(f, getattr(self, f)))
        object.__setattr__(self, "frequency", validation.non_negative("frequency", self.frequency))
        _window(self)


@dataclass(frozen=True)
class NoisyCurrentSource(_Source):
    """PyNN's NoisyCurrentSource: mean + stdev z nA in the steps with start <= t < stop, z a
    standard normal drawn anew every `dt` ms (a multiple of the simulation's dt; the draw k
    holds over [k dt, (k + 1) dt)), independently per trial and per neuron from a counter-based
    generator keyed by (seed, population, injection, trial, neuron, k): every engine backend
    gets the same currents (docs/sources.md). dt=None: the simulation's dt."""

    mean: float = 0.0
    stdev: float = 1.0
    start: float = 0.0
    stop: float = math.inf
    dt: float | None = None
    seed: int = 0

    kind = "NoisyCurrentSource"

    def __post_init__(self):
        object.__setattr__(self, "mean", validation.finite("mean", self.mean))
        object.__setattr__(self, "stdev", validation.non_negative("stdev", self.stdev))
        _window(self)
        if self.dt is not None:
            object.__setattr__(self, "dt", validation.positive("dt", self.dt))
        object.__setattr__(self, "seed", validation.integer("seed", self.seed, lo=0, hi=2**63 - 1))


CURRENT_SOURCES = {c.kind: c for c in (DCSource, StepCurrentSource, ACSource, NoisyCurrentSource)}


def source_from_dict(d):
    validation.mapping("source", d)
    kind = validation.choice("source.kind", d.get("kind"), set(CURRENT_SOURCES))
    cls = CURRENT_SOURCES[kind]
    kwargs = {k: v for k, v in d.items() if k != "kind"}
    unknown = set(kwargs) - {f.name for f in fields(cls)}
    if unknown:
        raise ValidationError("source", sorted(unknown, key=str), f"unknown parameters for {kind}")
    try:
        return cls(**kwargs)
    except ValidationError as e:
        raise ValidationError(f"source.{e.field}", e.value, e.reason) from None


@dataclass(frozen=True)
class CurrentInjection:
    """`source` injected into population `population`: every neuron (neurons=None) or the neurons
    whose indices `neurons` lists (distinct, in range; a slice is made a tuple by the Network)."""

    source: DCSource | StepCurrentSource | ACSource | NoisyCurrentSource
    population: str
    neurons: tuple | None = None

    def __post_init__(self):
        if not isinstance(self.source, tuple(CURRENT_SOURCES.values())):
            raise ValidationError("current_source.source", self.source,
                                  f"must be one of {sorted(CURRENT_SOURCES)}")
        validation.name("current_source.population", self.population)
        if self.neurons is not None and not isinstance(self.neurons, slice):
            ids = validation.sequence("current_source.neurons", self.neurons)
            ids = tuple(validation.integer(f"current_source.neurons[{i}]", v, lo=0) for i, v in enumerate(ids))
            if len(set(ids)) != len(ids):
                raise ValidationError("current_source.neurons", list(ids), "names a neuron twice")
            object.__setattr__(self, "neurons", ids)

    def targets(self, size: int) -> np.ndarray:
        """The population-local indices of the neurons it injects into."""
        if self.neurons is None:
            return np.arange(size, dtype=np.int64)
        return np.asarray(self.neurons, dtype=np.int64)

    def to_dict(self) -> dict:
        return {"source": self.source.to_dict(), "population": self.population,
                "neurons": None if self.neurons is None else list(self.neurons)}

    @classmethod
    def from_dict(cls, d) -> "CurrentInjection":
        validation.mapping("current_source", d)
        unknown = set(d) - {"source", "population", "neurons"}
        if unknown:
            raise ValidationError("current_source", sorted(unknown, key=str), "unknown fields")
        if "source" not in d or "population" not in d:
            raise ValidationError("current_source", sorted(d, key=str), "needs 'source' and 'population'")
        return cls(source_from_dict(d["source"]), d["population"], d.get("neurons"))


def resolve(injection: CurrentInjection, pop, dt: float, k: int = 0) -> CurrentInjection:
    """The injection (the network's k-th) checked against its population and dt (a slice becomes
    its indices)."""
    where = f"current_sources[{k}]"
    if pop.is_source:
        raise ValidationError(f"{where}.population", pop.name, "a spike source has no membrane to inject into")
    neurons = injection.neurons
    if isinstance(neurons, slice):
        neurons = tuple(range(pop.size))[neurons]
    if neurons is not None:
        bad = [i for i in neurons if i >= pop.size]
        if bad:
            raise ValidationError(f"{where}.neurons", bad[0], f"out of range [0, {pop.size})")
    src = injection.source
    for f, t in src.grid_times():
        validation.steps(f"{where}.source.{f}", t, dt)
    if isinstance(src, NoisyCurrentSource) and src.dt is not None:
        k = validation.steps(f"{where}.source.dt", src.dt, dt)
        if k < 1:
            raise ValidationError(f"{where}.source.dt", src.dt, f"must be a positive multiple of dt={dt:g} ms")
    if neurons is injection.neurons:
        return injection
    return CurrentInjection(src, injection.population, neurons)
