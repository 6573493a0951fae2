"""Population, PopulationView and Assembly of spikemem.pynn, on PyNN's common classes (as pyNN.mock).

Parameters are kept as PyNN gives them (one array per parameter, per neuron); the first run lowers
them to the description (lowering.py). Any standard cell type can be created; one outside
models.CELLS is an UnsupportedFeature naming it when the network is built.
"""
from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from . import models, simulator
from .recording import Recorder
from .spinnaker import SpinnakerPopulationCalls


class Assembly(common.Assembly):
    _simulator = simulator

    @property
    def receptor_types(self):
        """The receptor types every member has, in the first member's order. PyNN's is a set for
        several members, whose order follows the string hash seed: a Projection onto an Assembly then
        guessed 'inhibitory' for positive weights in some processes and 'excitatory' in others."""
        common_types = set.intersection(*(set(p.celltype.receptor_types) for p in self.populations))
        return [t for t in self.populations[0].celltype.receptor_types if t in common_types]


class PopulationView(SpinnakerPopulationCalls, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _get_parameters(self, *names):
        return _parameters(self, names, lambda name: self.parent._parameters[name][self.mask], self.size)

    def _set_parameters(self, parameter_space):
        """parameter_space holds native parameters (the same names as PyNN's here)."""
        for name, value in parameter_space.items():
            try:
                self.parent._parameters[name][self.mask] = value.evaluate(simplify=True)
            except ValueError:
                raise errors.InvalidParameterValueError(f"{name} should not be of type {type(value)}")
        simulator.state.changed(("set", tuple(parameter_space.keys())), self.parent)

    def _set_initial_value_array(self, variable, initial_values):
        grand = self.grandparent
        value = grand.initial_values.get(variable)
        full = np.array(value.evaluate(simplify=False), dtype=float) if value is not None else \
            np.full(grand.size, np.nan)
        full[self.index_in_grandparent(np.arange(self.size))] = initial_values.evaluate(simplify=False)
        grand.initial_values[variable] = common.populations.LazyArray(full, shape=(grand.size,), dtype=float)
        simulator.state.changed(("initialize", (variable,)), grand)

    def initialize(self, **initial_values):
        for variable, value in initial_values.items():
            self._set_initial_value_array(variable, common.populations.LazyArray(value, shape=(self.size,), dtype=float))

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(SpinnakerPopulationCalls, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None, initial_values={}, label=None,
                 additional_parameters=None, **additional_kwargs):
        """PyNN's Population; additional_parameters / extra keywords are sPyNNaker's (spinnaker.py).
        Any standard cell type can be created and set up; one the description lacks is refused, by
        name, when the network is built (the first run() or network())."""
        self._spinnaker = dict(additional_parameters or {}, **additional_kwargs)
        if isinstance(cellclass, type):       # sPyNNaker's initial values among the parameters (v, u, ...)
            cellparams, initial = models.split_initial(cellclass, cellparams or {})
        else:
            initial = getattr(cellclass, "initial_from_parameters", {})
        initial_values = dict(initial, **(initial_values or {}))
        common.Population.__init__(self, size, cellclass, cellparams, structure, initial_values, label)
        self._spinnaker_hints(self._spinnaker)
        simulator.state.populations.append(self)
        simulator.state.changed("a new Population", self)

    def can_record(self, variable, location=None):
        """What spikemem records for this cell type; a variable other simulators record (gsyn_exc on
        sPyNNaker's IF_curr_exp) is refused by name instead of PyNN's RecordingError."""
        if type(self.celltype).__name__ not in models.CELLS:       # refused when the network is built
            return self.celltype.can_record(variable, location)
        return models.recordable(self.label, self.celltype, variable, simulator.state.dialect)

    def _create_cells(self):
        state = simulator.state
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        space = self.celltype.native_parameters if isinstance(self.celltype, StandardCellType) \
            else self.celltype.parameter_space
        space.shape = (self.size,)
        space.evaluate(mask=self._mask_local, simplify=False)
        self._parameters = space.as_dict()
        if "spike_times" in self._parameters:
            models.check_spike_times(self.label, self._parameters["spike_times"])
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size

    def initialize(self, **initial_values):
        """PyNN's, with random values drawn once, here (pyNN.nest draws them when initialize() is
        called too): every later build and get() reads the same numbers."""
        from pyNN.random import RandomDistribution
        frozen = {k: np.broadcast_to(np.asarray(common.populations.LazyArray(v, shape=(self.size,), dtype=float)
                                                .evaluate(simplify=False), dtype=float), (self.size,)).copy()
                  if isinstance(v, RandomDistribution) else v for k, v in initial_values.items()}
        common.Population.initialize(self, **frozen)

    def _set_initial_value_array(self, variable, initial_values):
        simulator.state.changed(("initialize", (variable,)), self)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        return _parameters(self, names, lambda name: self._parameters[name], self.local_size)

    def _get_native_parameters(self, *names):
        return ParameterSpace({n: simplify(self._parameters[n]) for n in names}, shape=(self.local_size,))

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False, mask=self._mask_local)
        if "spike_times" in parameter_space.keys():
            models.check_spike_times(self.label, parameter_space["spike_times"])
        for name, value in parameter_space.items():
            self._parameters[name] = value
        simulator.state.changed(("set", tuple(parameter_space.keys())), self)


def _parameters(pop, names, native, size) -> ParameterSpace:
    """PyNN's parameters from the native ones (the translations are identities here)."""
    celltype = pop.celltype
    if any(n in celltype.computed_parameters() for n in names):
        names = celltype.get_parameter_names()
    native_names = celltype.get_native_names(*names)
    space = ParameterSpace({n: simplify(native(n)) for n in native_names}, shape=(size,))
    return celltype.reverse_translate(space)
