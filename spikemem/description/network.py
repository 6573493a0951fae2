"""The backend-neutral description: populations, projections, simulation and recording settings.

Every object is a frozen dataclass validated on construction; a Network also checks the
references between its parts, so a backend only ever sees a consistent description.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field, fields

import numpy as np

from ..errors import ValidationError
from . import realisation, validation
from .cells import NEURON_CELLS, SOURCES, IFCondExp, IFCurrAlpha, IFCurrDelta, IFCurrExp, Izhikevich, SpikeSourceArray, \
    SpikeSourcePoisson
from .connectors import CONNECTORS
from .current_sources import CurrentInjection
from .current_sources import resolve as resolve_injection
from .plasticity import STDP
from .random import RandomDistribution, within

RECEPTORS = ("excitatory", "inhibitory")
SCHEMES = ("spinnaker", "exact")
NUMERICS = ("float", "fixed")


@dataclass(frozen=True)
class Population:
    """max_expected_summed_weight: (excitatory, inhibitory) nA, or None. sPyNNaker's override of
    the largest input per step that the population's 16-bit ring buffers are sized for (it sets
    the ring-buffer shifts; docs/fixed_point.md); used by numerics="fixed" and on SpiNNaker."""

    name: str
    size: int
    cell: IFCurrExp | IFCurrDelta | IFCondExp | IFCurrAlpha | Izhikevich | SpikeSourceArray | SpikeSourcePoisson = field(
        default_factory=IFCurrExp)
    max_expected_summed_weight: tuple | None = None

    def __post_init__(self):
        validation.name("population.name", self.name)
        validation.count(f"{self.name}.size", self.size)
        if not isinstance(self.cell, (*NEURON_CELLS, *SOURCES)):
            raise ValidationError(f"{self.name}.cell", self.cell, "must be IFCurrExp, IFCurrDelta, IFCondExp, "
                                                                  "IFCurrAlpha, Izhikevich, SpikeSourceArray or "
                                                                  "SpikeSourcePoisson")
        if not isinstance(self.cell, SpikeSourceArray):
            for f in fields(self.cell):
                value = getattr(self.cell, f.name)
                if isinstance(value, tuple) and len(value) != self.size:
                    raise ValidationError(f"{self.name}.{f.name}", len(value),
                                          f"must be one value or one per neuron ({self.size})")
        if self.max_expected_summed_weight is not None:
            field_ = f"{self.name}.max_expected_summed_weight"
            if self.is_source:
                raise ValidationError(field_, self.max_expected_summed_weight, "a spike source has no ring buffers")
            mesw = self.max_expected_summed_weight
            if isinstance(mesw, (str, bytes)) or not hasattr(mesw, "__len__") or len(mesw) != 2:
                raise ValidationError(field_, mesw, "must be (excitatory, inhibitory) in nA")
            object.__setattr__(self, "max_expected_summed_weight",
                               tuple(validation.non_negative(field_, x) for x in mesw))
        if isinstance(self.cell, SpikeSourceArray) and self.cell.spike_times and len(self.cell.spike_times) != self.size:
            raise ValidationError(f"{self.name}.spike_times", len(self.cell.spike_times),
                                  f"must hold one list per neuron ({self.size})")

    @property
    def is_source(self) -> bool:
        return isinstance(self.cell, SOURCES)


def _as_weight(field: str, value):
    """A scalar, a read-only float array or a RandomDistribution (drawn per synapse); anything else
    (strings, ragged lists) is refused."""
    if isinstance(value, RandomDistribution):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return validation.finite(field, value)
    if isinstance(value, (str, bytes, dict, bool, np.bool_)) or value is None:
        raise ValidationError(field, value, "must be a number or an array of numbers")
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(field, _short(value), "must be a number or an array of numbers") from None
    if arr.ndim > 2:
        raise ValidationError(field, _short(arr), "must be a scalar, one value per synapse or an (n_pre, n_post) matrix")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Projection:
    """Weights are >= 0 in nA; the receptor gives the sign, as in sPyNNaker."""

    name: str
    pre: str
    post: str
    connector: object                    # one of spikemem.description.connectors.CONNECTORS
    weight: float | np.ndarray | RandomDistribution = 0.0
    delay: float | np.ndarray | RandomDistribution = 1.0
    receptor: str = "excitatory"
    plasticity: STDP | None = None

    def __post_init__(self):
        validation.name("projection.name", self.name)
        for end in ("pre", "post"):
            validation.name(f"{self.name}.{end}", getattr(self, end))
        object.__setattr__(self, "weight", _as_weight(f"{self.name}.weight", self.weight))
        object.__setattr__(self, "delay", _as_weight(f"{self.name}.delay", self.delay))
        validation.choice(f"{self.name}.receptor", self.receptor, set(RECEPTORS))
        if not isinstance(self.connector, tuple(CONNECTORS.values())):
            raise ValidationError(f"{self.name}.connector", self.connector, "is not a connector")
        if isinstance(self.weight, RandomDistribution):
            within(f"{self.name}.weight", self.weight, 0.0)      # the receptor gives the sign
        else:
            w = np.asarray(self.weight)
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValidationError(f"{self.name}.weight", _short(self.weight),
                                      "must be finite and >= 0 (the receptor gives the sign)")
        if not isinstance(self.delay, RandomDistribution):
            d = np.asarray(self.delay)
            if not np.all(np.isfinite(d)) or np.any(d <= 0):
                raise ValidationError(f"{self.name}.delay", _short(self.delay), "must be > 0 ms")
        if hasattr(self.connector, "synapses"):         # a layer: its kernel holds the weights
            for what in ("weight", "delay"):
                if not realisation.is_scalar(getattr(self, what)):
                    raise ValidationError(f"{self.name}.{what}", _short(getattr(self, what)),
                                          f"must be one number for a {self.connector.kind} connector (the weight: a gain "
                                          "on its kernel)")
            if self.plasticity is not None:
                raise ValidationError(f"{self.name}.plasticity", self.plasticity,
                                      f"a {self.connector.kind} connector is static (its kernel is shared)")
        if self.plasticity is not None:
            if not isinstance(self.plasticity, STDP):
                raise ValidationError(f"{self.name}.plasticity", self.plasticity, "must be STDP or None")
            if not realisation.is_scalar(self.delay):
                raise ValidationError(f"{self.name}.delay", _short(self.delay), "a plastic projection needs one scalar delay")

    def connections(self, n_pre: int, n_post: int, dt: float | None = None):
        """(pre, post, weight, delay) arrays, one entry per synapse (random parts realised by
        spikemem.description.realisation; a delay distribution needs the network's dt)."""
        return realisation.connections(self, n_pre, n_post, dt)

    def __eq__(self, other):
        if not isinstance(other, Projection):
            return NotImplemented
        return (self.name, self.pre, self.post, self.connector, self.receptor, self.plasticity) == (
            other.name, other.pre, other.post, other.connector, other.receptor, other.plasticity) and \
            _equal(self.weight, other.weight) and _equal(self.delay, other.delay)

    __hash__ = None


def _equal(a, b) -> bool:
    if isinstance(a, RandomDistribution) or isinstance(b, RandomDistribution):
        return a == b
    return np.array_equal(a, b)


def _short(value):
    if isinstance(value, np.ndarray):
        return float(value) if value.ndim == 0 else f"array{value.shape}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of {len(value)}"
    return value


@dataclass(frozen=True)
class Simulation:
    """dt in ms and the update scheme.

    spinnaker: sPyNNaker's discrete update (input scaled by the `init` factor, applied
      before the membrane update of the step it arrives in).
    exact: exact integration of the same ODEs, as NEST's iaf_psc_exp: input arriving at
      step t jumps the current at t and moves V from step t+1 on.

    numerics: "float" (float64 / the engine's dtype) or "fixed": a SpiNNaker core's s16.15
      arithmetic, 16-bit weights and ring buffers and s4.11 STDP tables as sPyNNaker 7.4
      computes them (docs/fixed_point.md); it needs scheme="spinnaker".
    """

    dt: float = 1.0
    scheme: str = "spinnaker"
    numerics: str = "float"

    def __post_init__(self):
        validation.positive("simulation.dt", self.dt)
        validation.choice("simulation.scheme", self.scheme, set(SCHEMES))
        validation.choice("simulation.numerics", self.numerics, set(NUMERICS))
        if self.numerics == "fixed" and self.scheme != "spinnaker":
            raise ValidationError("simulation.numerics", self.numerics,
                                  f"fixed-point numerics are a SpiNNaker core's and need scheme='spinnaker' "
                                  f"(got scheme={self.scheme!r})")


@dataclass(frozen=True)
class Recording:
    """What to record. spikes=None means every population. v, gsyn_exc and gsyn_inh name
    populations whose membrane potential (mV) and synaptic input are recorded: gsyn is the
    current in nA for current-based cells, the conductance in uS for IFCondExp (Izhikevich cells
    with voltage-jump synapses have none). sampling_interval (ms, a multiple of dt; None: every
    step) samples these analog signals at steps 0, k, 2k, ... as PyNN's record(sampling_interval=)
    does."""

    spikes: tuple | None = None
    v: tuple = ()
    weights: tuple = ()
    gsyn_exc: tuple = ()
    gsyn_inh: tuple = ()
    sampling_interval: float | None = None

    ANALOG = ("v", "gsyn_exc", "gsyn_inh")

    def __post_init__(self):
        for f in ("spikes", "v", "weights", "gsyn_exc", "gsyn_inh"):
            val = getattr(self, f)
            if val is not None or f != "spikes":
                if not isinstance(val, (list, tuple)):
                    raise ValidationError(f"recording.{f}", val, "must be a list of names")
                object.__setattr__(self, f, tuple(validation.name(f"recording.{f}", v) for v in val))
        if self.sampling_interval is not None:
            validation.positive("recording.sampling_interval", self.sampling_interval)

    def analog(self) -> dict:
        """{signal: populations} of the analog signals recorded (v, gsyn_exc, gsyn_inh)."""
        return {k: getattr(self, k) for k in self.ANALOG if getattr(self, k)}


def _check_shapes(pr: Projection, n_pre: int, n_post: int) -> None:
    """The connector fits the sizes and array weights/delays have its shape (nothing is expanded)."""
    realisation.n_synapses(pr, n_pre, n_post)
    shape = pr.connector.weight_shape(n_pre, n_post)
    for what in ("weight", "delay"):
        arr = getattr(pr, what)
        if isinstance(arr, np.ndarray) and arr.ndim and arr.shape != shape:
            raise ValidationError(f"{pr.name}.{what}", f"shape {arr.shape}",
                                  f"must be a scalar or have shape {shape} for {pr.connector.kind} {n_pre}->{n_post}")


@dataclass(frozen=True)
class Network:
    populations: tuple
    projections: tuple = ()
    simulation: Simulation = field(default_factory=Simulation)
    recording: Recording = field(default_factory=Recording)
    name: str = "network"
    current_sources: tuple = ()     # CurrentInjection: current sources and where they inject

    def __post_init__(self):
        object.__setattr__(self, "populations", tuple(validation.sequence("populations", self.populations)))
        object.__setattr__(self, "projections", tuple(validation.sequence("projections", self.projections)))
        object.__setattr__(self, "current_sources", tuple(validation.sequence("current_sources",
                                                                              self.current_sources)))
        if not isinstance(self.name, str):
            raise ValidationError("network.name", self.name, "must be a string")
        for f, cls in (("simulation", Simulation), ("recording", Recording)):
            if not isinstance(getattr(self, f), cls):
                raise ValidationError(f, getattr(self, f), f"must be a {cls.__name__}")
        self._validate()

    def _validate(self):
        pops = {}
        for p in self.populations:
            if not isinstance(p, Population):
                raise ValidationError("populations", p, "must hold Population objects")
            if p.name in pops:
                raise ValidationError("population.name", p.name, "is used twice")
            pops[p.name] = p
        dt = self.simulation.dt
        for p in self.populations:
            if isinstance(p.cell, SpikeSourcePoisson) and p.size:     # one spike a step at most
                rate = p.cell.rate
                top = rate.support[1] if isinstance(rate, RandomDistribution) else float(np.max(rate))
                if top * dt / 1000.0 > 1.0:
                    raise ValidationError(f"{p.name}.rate", rate if isinstance(rate, RandomDistribution) else top,
                                          f"must be <= {1000.0 / dt:g} Hz at dt={dt:g} ms (at most one spike a step)")
        names = set()
        for pr in self.projections:
            if not isinstance(pr, Projection):
                raise ValidationError("projections", pr, "must hold Projection objects")
            if pr.name in names:
                raise ValidationError("projection.name", pr.name, "is used twice")
            names.add(pr.name)
            for end in ("pre", "post"):
                ref = getattr(pr, end)
                if ref not in pops:
                    raise ValidationError(f"{pr.name}.{end}", ref, f"unknown population (known: {sorted(pops)})")
            if pops[pr.post].is_source:
                raise ValidationError(f"{pr.name}.post", pr.post, "a spike source cannot receive synapses")
            _check_shapes(pr, pops[pr.pre].size, pops[pr.post].size)   # without building the synapses
            if isinstance(pr.delay, RandomDistribution):      # drawn, then rounded to whole steps (realisation)
                within(f"{pr.name}.delay", pr.delay, dt / 2)
            else:
                validation.grid_steps(f"{pr.name}.delay", pr.delay, dt, lo_open=True)
            rule = pr.plasticity
            if rule is not None and rule.dendritic_delay is not None:
                validation.steps(f"{pr.name}.plasticity.dendritic_delay", rule.dendritic_delay, dt)
            if rule is not None and rule.gate is not None:
                gate = pops.get(rule.gate)
                if gate is None or not gate.is_source or gate.size != 1:
                    raise ValidationError(f"{pr.name}.plasticity.gate", rule.gate, "must name a spike source of size 1")
        resolved = []
        for k, inj in enumerate(self.current_sources):
            if not isinstance(inj, CurrentInjection):
                raise ValidationError(f"current_sources[{k}]", inj, "must be a CurrentInjection")
            if inj.population not in pops:
                raise ValidationError(f"current_sources[{k}].population", inj.population,
                                      f"unknown population (known: {sorted(pops)})")
            resolved.append(resolve_injection(inj, pops[inj.population], dt, k))
        object.__setattr__(self, "current_sources", tuple(resolved))
        rec = self.recording
        for f, known, kind in (("spikes", pops, "population"), ("v", pops, "population"),
                               ("weights", names, "projection"), ("gsyn_exc", pops, "population"),
                               ("gsyn_inh", pops, "population")):
            for ref in getattr(rec, f) or ():
                if ref not in known:
                    raise ValidationError(f"recording.{f}", ref, f"unknown {kind} (known: {sorted(known)})")
        for ref in rec.v:
            if pops[ref].is_source:
                raise ValidationError("recording.v", ref, "a spike source has no membrane potential")
        for f in ("gsyn_exc", "gsyn_inh"):
            for ref in getattr(rec, f):
                cell = pops[ref].cell
                if pops[ref].is_source or getattr(cell, "delta", False) or cell.kind == "IF_curr_delta":
                    raise ValidationError(f"recording.{f}", ref, "has no synaptic current or conductance to record "
                                                                 "(a spike source, or voltage-jump synapses)")
        if rec.sampling_interval is not None:
            validation.steps("recording.sampling_interval", rec.sampling_interval, dt)
        plastic = {pr.name for pr in self.projections if pr.plasticity is not None}
        for ref in rec.weights:
            if ref not in plastic:
                raise ValidationError("recording.weights", ref, "only plastic projections have weights to record")

    # -- lookups ----------------------------------------------------------------------------
    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise ValidationError("population", name, "unknown population")

    def projection(self, name: str) -> Projection:
        for p in self.projections:
            if p.name == name:
                return p
        raise ValidationError("projection", name, "unknown projection")

    @property
    def recorded_spikes(self) -> tuple:
        rec = self.recording.spikes
        return tuple(p.name for p in self.populations) if rec is None else rec

    # -- serialization ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        from ..interchange.json_format import network_to_dict
        return network_to_dict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Network":
        from ..interchange.json_format import network_from_dict
        return network_from_dict(d)

    def save(self, path) -> None:
        from ..interchange.json_format import save_network
        save_network(self, path)

    @classmethod
    def load(cls, path) -> "Network":
        from ..interchange.json_format import load_network
        return load_network(path)
