"""PyNN's standard library as spikemem.pynn serves it: ONE table from each PyNN standard type to the
description class it becomes.

Every standard cell, synapse, STDP component and current source of pyNN.standardmodels exists here
as a class (with PyNN's own parameter names, so scripts build them as usual), but only the types in
CELLS, TIMING, WEIGHT_DEPENDENCES and CURRENT_SOURCES lower to the description; using any other one
is an UnsupportedFeature naming it. A type the description gains (IF_cond_exp, SpikeSourcePoisson,
MultiplicativeWeightDependence, ...) becomes supported by adding its entry here.

Per-neuron parameter values and start voltages lower as the description's per-neuron tuples
(see _construct).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
from pyNN.standardmodels import StandardCellType, build_translations, cells, electrodes, synapses
from pyNN.standardmodels.base import STDPTimingDependence, STDPWeightDependence, StandardCurrentSource

from ..description.cells import IFCurrDelta, IFCurrExp, SpikeSourceArray
from ..description.plasticity import STDP
from ..errors import UnsupportedFeature, ValidationError
from .simulator import state

IF_PARAMETERS = ("cm", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")


# -- the table ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellMapping:
    """build(label, parameters, initial_values) -> a description cell; parameters and initial values
    are {PyNN name: per-neuron numpy array}."""
    build: Callable
    recordable: tuple = ("spikes", "v")
    source: bool = False


def _if_cell(cls, names):
    def build(label, params, initial):
        kwargs = {n: params[n] for n in names}
        _zero_state(label, initial, ("isyn_exc", "isyn_inh"))
        v = initial.get("v", params["v_rest"])
        kwargs["v_init"] = None if np.array_equal(v, np.broadcast_to(params["v_rest"], np.shape(v))) else v
        return _construct(cls, kwargs, label)
    return build


def check_spike_times(label, spike_times) -> None:
    """PyNN's rule for a SpikeSourceArray: each neuron's times in increasing order."""
    from pyNN.errors import InvalidParameterValueError
    for i, seq in enumerate(np.atleast_1d(spike_times)):
        t = np.asarray(getattr(seq, "value", seq), dtype=float).ravel()
        if t.size > 1 and np.any(np.diff(t) < 0):
            raise InvalidParameterValueError(f"{label}: spike times of neuron {i} must be in increasing order")


def _spike_source_array(label, params, initial):
    return SpikeSourceArray(spike_times=tuple(tuple(float(t) for t in np.asarray(seq.value if hasattr(seq, "value")
                                                                                 else seq, dtype=float).ravel())
                                              for seq in params["spike_times"]))


CELLS = {
    "IF_curr_exp": CellMapping(_if_cell(IFCurrExp, IF_PARAMETERS + ("tau_syn_E", "tau_syn_I"))),
    "IF_curr_delta": CellMapping(_if_cell(IFCurrDelta, IF_PARAMETERS)),
    "SpikeSourceArray": CellMapping(_spike_source_array, ("spikes",), source=True),
}

# STDP components: PyNN class name -> the description STDP fields it gives
TIMING = {"SpikePairRule": ("tau_plus", "tau_minus", "A_plus", "A_minus")}
WEIGHT_DEPENDENCES = {"AdditiveWeightDependence": ("w_min", "w_max")}
STATIC = ("StaticSynapse",)
# current sources: the description's four (a DCSource on from the start and never off becomes i_offset)
CURRENT_SOURCES = ("DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource")


def cell_mapping(celltype) -> CellMapping:
    """The mapping of a cell type (an instance, a class or a name), or UnsupportedFeature naming it."""
    name = celltype if isinstance(celltype, str) else celltype.__name__ if isinstance(celltype, type) \
        else type(celltype).__name__
    if name not in CELLS:
        raise UnsupportedFeature(f"{name}: spikemem's description has no {name} cell yet "
                                 f"(spikemem.pynn runs {', '.join(sorted(CELLS))})")
    return CELLS[name]


def check_synapse(synapse_type) -> None:
    """Refuse, by name, a synapse type or STDP component the description lacks."""
    name = type(synapse_type).__name__
    if name in STATIC:
        return
    if name != "STDPMechanism":
        raise UnsupportedFeature(f"{name}: spikemem's description has static synapses and pair STDP only "
                                 "(StaticSynapse, STDPMechanism)")
    for part, table in ((synapse_type.timing_dependence, TIMING), (synapse_type.weight_dependence, WEIGHT_DEPENDENCES)):
        if part is None or type(part).__name__ not in table:
            got = type(part).__name__ if part is not None else "None"
            raise UnsupportedFeature(f"STDPMechanism with {got}: spikemem's description has "
                                     f"{' / '.join(sorted(table))} here")
    if synapse_type.voltage_dependence is not None:
        raise UnsupportedFeature("STDPMechanism with a voltage dependence: the description has none")


def stdp_rule(values: dict, label: str, dialect: str) -> STDP:
    """The description's STDP from a projection's per-connection parameter arrays (PyNN names).

    PyNN's documented rule (pyNN.nest, dialect 'pynn') scales A+ and A- by w_max and does not
    depress a pre spike with a post spike of the same time; sPyNNaker (dialect 'spinnaker') takes A
    absolute, depresses at dt = 0 and keeps 16 post events per neuron (docs/stdp.md)."""
    one = {k: _one_value(label, k, values[k]) for k in
           ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max", "dendritic_delay_fraction")}
    if one["dendritic_delay_fraction"] != 1.0:
        raise UnsupportedFeature(f"{label}.dendritic_delay_fraction={one['dendritic_delay_fraction']:g}: the "
                                 "description's STDP sees a post spike one delay late, which is fraction 1")
    scale = one["w_max"] if dialect == "pynn" else 1.0
    try:
        return STDP(tau_plus=one["tau_plus"], tau_minus=one["tau_minus"], A_plus=one["A_plus"] * scale,
                    A_minus=one["A_minus"] * scale, w_min=one["w_min"], w_max=one["w_max"],
                    depress_at_zero=dialect == "spinnaker", post_history=16 if dialect == "spinnaker" else None)
    except ValidationError as e:
        raise ValidationError(f"{label}.{e.field}", e.value, e.reason) from None


def _one_value(label, name, arr):
    arr = np.asarray(arr, dtype=float)
    if arr.size and not np.all(arr == arr.flat[0]):
        raise UnsupportedFeature(f"{label}.{name}: differs between synapses; the description's STDP has one "
                                 f"{name} per projection")
    return float(arr.flat[0]) if arr.size else float("nan")


def _zero_state(label, initial, names):
    for n in names:
        if n in initial and np.any(np.asarray(initial[n], dtype=float) != 0):
            raise UnsupportedFeature(f"{label}: initial {n} != 0; the description starts every synaptic "
                                     "current at 0")


def uniform(values):
    """One value if every neuron has it, else the per-neuron tuple (how the description holds both)."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0 or np.all(arr == arr[0]):
        return float(arr[0]) if arr.size else 0.0
    return tuple(arr.tolist())


def _construct(cls, kwargs, label):
    """cls(**kwargs) with per-neuron tuples where values differ (the description holds a value per
    neuron for every cell field); a refusal names the population."""
    kwargs = {k: (None if v is None else uniform(v)) for k, v in kwargs.items()}
    try:
        return cls(**kwargs)
    except ValidationError as e:
        raise ValidationError(f"{label}.{e.field}", e.value, e.reason) from None


# -- PyNN's standard types as this simulator's classes --------------------------------------------
class _MinDelay:
    def _get_minimum_delay(self):
        return state.dt if state.min_delay == "auto" else state.min_delay


class CurrentSource:
    """A standard current source: parameters kept here, the cells it feeds recorded for lowering
    (lowering.py: a DCSource from t = 0 that never stops adds to i_offset, the others become the
    description's current sources). Only CURRENT_SOURCES lower; the others are refused. A
    NoisyCurrentSource takes an extra `seed` (default 0) for the description's generator."""

    def __init__(self, **parameters):
        from pyNN.parameters import ParameterSpace
        object.__setattr__(self, "seed", parameters.pop("seed", 0) if type(self).__name__ == "NoisyCurrentSource" else 0)
        name = type(self).__name__
        if name not in CURRENT_SOURCES:
            raise UnsupportedFeature(f"{name}: spikemem's description has no such current source (it has "
                                     f"{', '.join(CURRENT_SOURCES)})")
        object.__setattr__(self, "_native", {})
        object.__setattr__(self, "targets", [])
        object.__setattr__(self, "_recording", False)      # record() was called
        object.__setattr__(self, "_injection", None)       # (injection index, population, neuron): lowering.py
        space = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        space.update(**parameters)
        self.set_native_parameters(self.translate(space))

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        self._native.update(parameters.as_dict())
        if type(self).__name__ == "StepCurrentSource":
            self._step_times()
        state.changed("a current source's parameters", self)

    def _step_times(self):
        """PyNN's rule for step times (pyNN.nest, pyNN.neuron): >= 0 and strictly increasing, else
        ValueError; then rounded to the dt grid, where times that meet keep the last amplitude."""
        from pyNN.parameters import Sequence
        times = np.asarray(getattr(self._native.get("times"), "value", []), dtype=float).ravel()
        amps = np.asarray(getattr(self._native.get("amplitudes"), "value", []), dtype=float).ravel()
        if times.size and np.min(times) < 0:
            raise ValidationError("StepCurrentSource.times", float(np.min(times)), "must be >= 0 ms")
        if times.size > 1 and np.min(np.diff(times)) <= 0:
            raise ValidationError("StepCurrentSource.times", times.tolist(), "must increase strictly")
        if len(times) != len(amps):
            raise ValidationError("StepCurrentSource.amplitudes", len(amps), f"must hold one per time ({len(times)})")
        dt = state.dt
        grid = np.rint(times / dt) * dt
        last = np.r_[grid[1:] != grid[:-1], True] if len(grid) else np.zeros(0, bool)
        self._native["times"], self._native["amplitudes"] = Sequence(grid[last]), Sequence(amps[last])

    def get_native_parameters(self):
        """The parameters; a StepCurrentSource's times and amplitudes as arrays (readable by index,
        source.times[0], as pyNN.nest returns them)."""
        from pyNN.parameters import ParameterSpace, Sequence
        return ParameterSpace({k: np.asarray(v.value, dtype=float) if isinstance(v, Sequence) else v
                               for k, v in self._native.items()}, shape=None)

    def inject_into(self, cells):
        """Kept for the network's build, which refuses what the description lacks (lowering.py)."""
        if hasattr(cells, "celltype") and not cells.celltype.injectable:
            raise TypeError("Can't inject current into a spike source.")
        self.targets.append(cells)
        if self not in state.current_sources:
            state.current_sources.append(self)
        state.changed("a current source's cells", self)

    def record(self):
        """Record the injected current from now on (the description's values at the first target
        cell, trial 0; one sample per step, the current of the step starting at its time)."""
        object.__setattr__(self, "_recording", True)

    def _get_data(self):
        """(times ms, currents nA) recorded so far (PyNN's get_data makes the neo signal)."""
        return (np.zeros(0), np.zeros(0)) if state.live is None else state.live.current_trace(self)


def _identity(cls):
    return build_translations(*((n, n) for n in cls.default_parameters))


def _simple_constructor(cls) -> bool:
    try:
        inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return False
    return isinstance(getattr(cls, "default_parameters", None), dict) and not inspect.isabstract(cls)


def _subclasses(module, base):
    for name, cls in vars(module).items():
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base and cls.__module__ == module.__name__:
            yield name, cls


def _make_types() -> dict:
    out = {}
    for name, cls in _subclasses(cells, StandardCellType):
        if name in ("PointNeuron", "MultiCompartmentNeuron") or not _simple_constructor(cls):
            out[name] = _refused(name, "a composite or multi-compartment cell")
            continue
        out[name] = type(name, (cls,), {"__doc__": cls.__doc__, "translations": _identity(cls),
                                        "__module__": __name__})
    for name, cls in _subclasses(synapses, synapses.StandardSynapseType):
        attrs = {"__doc__": cls.__doc__, "__module__": __name__}
        if name == "STDPMechanism":
            attrs["base_translations"] = build_translations(("weight", "weight"), ("delay", "delay"),
                                                            ("dendritic_delay_fraction", "dendritic_delay_fraction"))
        else:
            attrs["translations"] = _identity(cls)
        out[name] = type(name, (_MinDelay, cls), attrs)
    for base in (STDPTimingDependence, STDPWeightDependence):
        for name, cls in _subclasses(synapses, base):
            out[name] = type(name, (cls,), {"__doc__": cls.__doc__, "translations": _identity(cls),
                                            "__module__": __name__})
    for name, cls in _subclasses(electrodes, StandardCurrentSource):
        out[name] = type(name, (CurrentSource, cls), {"__doc__": cls.__doc__, "translations": _identity(cls),
                                                      "__module__": __name__})
    return out


def _refused(name, what):
    def __init__(self, *args, **kwargs):
        raise UnsupportedFeature(f"{name}: spikemem.pynn has no {what}")
    return type(name, (), {"__init__": __init__, "__module__": __name__})


TYPES = _make_types()


def supported_cell_types() -> list:
    return sorted(CELLS)
