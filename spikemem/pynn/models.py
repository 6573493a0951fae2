"""PyNN's standard library as spikemem.pynn serves it: ONE table from each PyNN standard type to the
description class it becomes.

Every standard cell, synapse, STDP component and current source of pyNN.standardmodels exists here
as a class (with PyNN's own parameter names, so scripts build them as usual), but only the types in
CELLS, TIMING, WEIGHT_DEPENDENCES and CURRENT_SOURCES lower to the description; using any other one
is an UnsupportedFeature naming it. A type the description gains (IF_cond_alpha, SpikeSourceGamma,
...) becomes supported by adding its entry here.

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

from ..description.cells import (IFCondExp, IFCurrAlpha, IFCurrDelta, IFCurrExp, Izhikevich, SpikeSourceArray,
                                 SpikeSourcePoisson)
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
    source: bool = False            # spike times the live run feeds window by window (SpikeSourceArray)
    drawn: bool = False             # a source the engine draws itself (SpikeSourcePoisson)


GSYN = ("gsyn_exc", "gsyn_inh")
SYNAPTIC_STATE = ("isyn_exc", "isyn_inh", "gsyn_exc", "gsyn_inh")


def _if_cell(cls, names):
    def build(label, params, initial):
        kwargs = {n: params[n] for n in names}
        _zero_state(label, initial, SYNAPTIC_STATE)
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


def _izhikevich(label, params, initial):
    """PyNN's Izhikevich. Its i_offset (nA) is read as the script's simulator reads it: dialect
    'pynn' as pyNN.nest (1 nA = 1000 mV/ms, NEST's I_e in pA), dialect 'spinnaker' as sPyNNaker
    (1 nA = 1 mV/ms, the description's reading: docs/cells.md). Synapses: dialect 'pynn' has PyNN's
    voltage jumps (weight in mV, NEST's izhikevich); dialect 'spinnaker' sPyNNaker's exponential
    current synapses (IZK_curr_exp, tau_syn_E / tau_syn_I, 5 ms unless the script sets them)."""
    spinnaker = state.dialect == "spinnaker"
    _zero_state(label, initial, SYNAPTIC_STATE)
    kwargs = {n: params[n] for n in ("a", "b", "c", "d")}
    kwargs["i_offset"] = np.asarray(params["i_offset"], dtype=float) * (1.0 if spinnaker else 1000.0)
    kwargs["v_init"] = initial.get("v", -70.0)
    kwargs["u_init"] = initial.get("u", -14.0)
    taus = {n: np.asarray(params[n], dtype=float) for n in ("tau_syn_E", "tau_syn_I")}
    if spinnaker:
        kwargs.update(taus)
    elif any(np.any(v != IZHIKEVICH_TAU_SYN) for v in taus.values()):
        raise UnsupportedFeature(f"{label}: Izhikevich tau_syn_E / tau_syn_I under dialect 'pynn' (PyNN's "
                                 "Izhikevich has voltage-jump synapses; sPyNNaker's exponential ones need "
                                 "dialect='spinnaker')")
    return _construct(Izhikevich, kwargs, label)


def _poisson(label, params, initial):
    """rate / start / duration per neuron; the trains come from setup(seed=...) (0 without one) and
    the population's name, drawn by the engine (docs/sources.md). PyNN's 'forever' duration
    (1e10 ms) is the description's infinity."""
    duration = np.asarray(params["duration"], dtype=float)
    duration = np.where(duration >= DC_FOREVER_MS, np.inf, duration)
    seed = state.options.get("seed")
    return _construct(SpikeSourcePoisson, {"rate": params["rate"], "start": params["start"],
                                           "duration": duration, "seed": 0 if seed is None else int(seed)}, label)


IZHIKEVICH_TAU_SYN = 5.0        # sPyNNaker's Izhikevich (IZK_curr_exp) default, ms
DC_FOREVER_MS = 1e9             # a duration this long (PyNN's default is 1e10 ms) never ends in practice
CURRENT_CELL_GSYN = {"gsyn_exc": "nA", "gsyn_inh": "nA"}     # the synaptic current, as sPyNNaker records it

CELLS = {
    "IF_curr_exp": CellMapping(_if_cell(IFCurrExp, IF_PARAMETERS + ("tau_syn_E", "tau_syn_I")),
                               ("spikes", "v") + GSYN),
    "IF_curr_delta": CellMapping(_if_cell(IFCurrDelta, IF_PARAMETERS)),
    "IF_cond_exp": CellMapping(_if_cell(IFCondExp, IF_PARAMETERS + ("tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")),
                               ("spikes", "v") + GSYN),
    "IF_curr_alpha": CellMapping(_if_cell(IFCurrAlpha, IF_PARAMETERS + ("tau_syn_E", "tau_syn_I")),
                                 ("spikes", "v") + GSYN),
    "Izhikevich": CellMapping(_izhikevich, ("spikes", "v")),
    "SpikeSourceArray": CellMapping(_spike_source_array, ("spikes",), source=True),
    "SpikeSourcePoisson": CellMapping(_poisson, ("spikes",), drawn=True),
}


def recordable(label, celltype, variable, dialect) -> bool:
    """Whether spikemem records `variable` of this cell type; gsyn of voltage-jump Izhikevich cells
    (dialect 'pynn') has no synaptic state and is refused by name."""
    name = type(celltype).__name__
    ok = variable in CELLS[name].recordable or (name == "Izhikevich" and dialect == "spinnaker" and variable in GSYN)
    if not ok and (variable in GSYN or variable in getattr(celltype, "recordable", ())):
        raise UnsupportedFeature(f"{label}: recording {variable!r} from {name}; spikemem records "
                                 f"{', '.join(CELLS[name].recordable)} here"
                                 + (" (an Izhikevich cell's u is not recorded; its gsyn exists with sPyNNaker's "
                                    "exponential synapses, dialect='spinnaker')" if name == "Izhikevich" else ""))
    return ok


# STDP components: PyNN class name -> the description STDP fields it gives
TIMING = {"SpikePairRule": ("tau_plus", "tau_minus", "A_plus", "A_minus")}
WEIGHT_DEPENDENCES = {"AdditiveWeightDependence": ("w_min", "w_max"),
                      "MultiplicativeWeightDependence": ("w_min", "w_max")}
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


def stdp_rule(values: dict, label: str, dialect: str, weight_dependence: str = "AdditiveWeightDependence") -> STDP:
    """The description's STDP from a projection's per-connection parameter arrays (PyNN names).

    PyNN's documented rule (pyNN.nest, dialect 'pynn') scales additive A+ and A- by w_max and does
    not depress a pre spike with a post spike of the same time; sPyNNaker (dialect 'spinnaker')
    takes A absolute, depresses at dt = 0 and keeps 16 post events per neuron (docs/stdp.md).
    Multiplicative amplitudes have no unit in both (w += A+ (w_max - w), w -= A- (w - w_min))."""
    multiplicative = weight_dependence == "MultiplicativeWeightDependence"
    one = {k: _one_value(label, k, values[k]) for k in
           ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max", "dendritic_delay_fraction")}
    if one["dendritic_delay_fraction"] != 1.0:
        raise UnsupportedFeature(f"{label}.dendritic_delay_fraction={one['dendritic_delay_fraction']:g}: the "
                                 "description's STDP sees a post spike one delay late, which is fraction 1")
    scale = one["w_max"] if dialect == "pynn" and not multiplicative else 1.0
    try:
        return STDP(tau_plus=one["tau_plus"], tau_minus=one["tau_minus"], A_plus=one["A_plus"] * scale,
                    A_minus=one["A_minus"] * scale, w_min=one["w_min"], w_max=one["w_max"],
                    depress_at_zero=dialect == "spinnaker", post_history=16 if dialect == "spinnaker" else None,
                    weight_dependence="multiplicative" if multiplicative else "additive")
    except ValidationError as e:
        raise e.within(label) from None


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
    kwargs = {k: (v if v is None or isinstance(v, int) else uniform(v)) for k, v in kwargs.items()}
    try:
        return cls(**kwargs)
    except ValidationError as e:
        raise e.within(label) from None


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
        attrs = {"__doc__": cls.__doc__, "__module__": __name__}
        if name == "Izhikevich":        # sPyNNaker's Izhikevich has exponential synapses (dialect 'spinnaker')
            attrs["default_parameters"] = dict(cls.default_parameters, tau_syn_E=IZHIKEVICH_TAU_SYN,
                                               tau_syn_I=IZHIKEVICH_TAU_SYN)
            attrs["units"] = dict(cls.units, tau_syn_E="ms", tau_syn_I="ms", **CURRENT_CELL_GSYN)
            attrs["recordable"] = list(cls.recordable) + list(GSYN)
        elif name in ("IF_curr_exp", "IF_curr_alpha"):     # sPyNNaker records their synaptic current
            attrs["units"] = dict(cls.units, **CURRENT_CELL_GSYN)
            attrs["recordable"] = list(cls.recordable) + list(GSYN)
        attrs["translations"] = build_translations(*((n, n) for n in attrs.get("default_parameters",
                                                                                   cls.default_parameters)))
        attrs["__init__"] = _cell_init(cls)
        out[name] = type(name, (cls,), attrs)
    from pyNN.standardmodels import receptors
    from pyNN.standardmodels.base import StandardCellTypeComponent, StandardPostSynapticResponse
    composed = "composed neuron model part (PointNeuron components: spikemem's description has whole cells)"
    for module, base in ((cells, StandardCellTypeComponent), (receptors, StandardPostSynapticResponse)):
        for name, cls in _subclasses(module, base):
            if name not in out:
                out[name] = _refused(name, composed)
    for name in ("AlphaPSR", "BetaPSR", "ExpPSR"):          # pyNN's short names of the receptors
        out.setdefault(name, _refused(name, composed))
    for name, cls in _subclasses(synapses, synapses.StandardSynapseType):
        attrs = {"__doc__": cls.__doc__, "__module__": __name__, "parameter_checks": {"weight": _check_weights}}
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


def split_initial(celltype_class, parameters: dict) -> tuple:
    """(parameters, initial values): sPyNNaker takes a cell's initial values (v, u, isyn_exc, ...)
    among its parameters; PyNN (dialect 'pynn') does not, and refuses them as pyNN.nest does."""
    names = getattr(celltype_class, "default_initial_values", {})
    if state.dialect != "spinnaker" or not names:
        return dict(parameters), {}
    return ({k: v for k, v in parameters.items() if k not in names},
            {k: v for k, v in parameters.items() if k in names})


def _cell_init(cls):
    def __init__(self, **parameters):
        parameters, initial = split_initial(type(self), parameters)
        cls.__init__(self, **parameters)
        self.initial_from_parameters = initial
    return __init__


def _check_weights(weights, projection):
    """PyNN's sign rule under dialect 'pynn' (inhibitory current weights < 0, as pyNN.nest wants);
    sPyNNaker's scripts give every weight as a magnitude, the receptor giving the sign."""
    from pyNN.standardmodels.base import check_weights
    if state.dialect == "spinnaker":
        return
    check_weights(weights, projection)


def _refused(name, what):
    def __init__(self, *args, **kwargs):
        raise UnsupportedFeature(f"{name}: spikemem.pynn has no {what}")
    return type(name, (), {"__init__": __init__, "__module__": __name__})


TYPES = _make_types()


def supported_cell_types() -> list:
    return sorted(CELLS)
