"""sPyNNaker's own calls, as `spikemem pynn run` serves them to scripts written for pyNN.spiNNaker.

Mapping hints (neurons per core, synapse cores, placement constraints) change nothing in what a
network computes: they are kept (spikemem.pynn.hints()) and `spikemem spinnaker check --pynn`
reports them. Population's additional_parameters keep max_expected_summed_weight (the description's
ring-buffer override); other sPyNNaker-only features (extra_models, external_devices, structural
plasticity, convolution connectors, get_machine) are refused by name when used.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedFeature

# additional_parameters of sPyNNaker's Population that only steer mapping or buffering on a board
MAPPING_ONLY = {"neurons_per_core", "max_atoms_per_core", "splitter", "n_steps_per_timestep",
                "incoming_spike_buffer_size", "drop_late_spikes", "ring_buffer_sigma", "spikes_per_second",
                "seed", "rb_left_shifts"}
MODEL = {"max_expected_summed_weight"}


class SpinnakerPopulationCalls:
    """sPyNNaker's extra Population / PopulationView methods."""

    def _spinnaker_hints(self, extra: dict) -> None:
        unknown = set(extra) - MAPPING_ONLY - MODEL
        if unknown:
            raise UnsupportedFeature(f"{self.label}: sPyNNaker additional_parameters {sorted(unknown)} have no "
                                     "meaning in spikemem")
        mesw = extra.get("max_expected_summed_weight")
        if mesw is not None and np.ndim(mesw) == 0:
            extra["max_expected_summed_weight"] = (float(mesw), float(mesw))

    def _root(self):
        return getattr(self, "grandparent", self)

    def _hint(self, key, value) -> None:
        self._root()._spinnaker.setdefault("hints", {})[key] = value

    def set_max_atoms_per_core(self, max_atoms_per_core) -> None:
        """sPyNNaker 7: neurons of this population per core (a mapping hint)."""
        self._hint("max_atoms_per_core", max_atoms_per_core)

    def add_placement_constraint(self, x, y, p=None) -> None:
        """sPyNNaker: place this population on chip (x, y), core p (a mapping hint)."""
        self._hint("placement", (x, y) if p is None else (x, y, p))

    def set_constraint(self, constraint) -> None:
        self._hint("constraint", repr(constraint))

    def spinnaker_get_data(self, variable, as_matrix=False, view_indexes=None):
        """sPyNNaker's numpy form of a recording: spikes as rows (neuron, t), a signal as rows
        (neuron, t, value), or with as_matrix a (samples, neurons) matrix."""
        if isinstance(variable, (list, tuple)):
            if len(variable) != 1:
                raise UnsupportedFeature("spinnaker_get_data reads one variable at a time (as sPyNNaker)")
            variable = variable[0]
        seg = self.get_data(variable).segments[-1]
        if variable == "spikes":
            ids, times = seg.spiketrains.multiplexed
            neurons = np.asarray(ids, dtype=np.int64) - int(self._root().first_id)
            times = np.asarray(getattr(times, "magnitude", times), dtype=float)
            order = np.lexsort((times, neurons))
            out = np.column_stack([neurons[order], times[order]]).astype(float)
        else:
            sig = seg.filter(name=variable)[0]
            data = np.asarray(sig.magnitude)
            if as_matrix:
                return data
            times = np.asarray(sig.times.rescale("ms").magnitude)
            idx = np.asarray(sig.array_annotations["channel_index"])
            out = np.column_stack([np.repeat(idx, len(times)), np.tile(times, len(idx)), data.T.ravel()])
        if view_indexes is not None:
            out = out[np.isin(out[:, 0], view_indexes)]
        return out

    def record(self, variables, to_file=None, sampling_interval=None, indexes=None, locations=None):
        """PyNN's record; sPyNNaker's `indexes` records those neurons only, and its "all" every
        variable of the cell type that spikemem records."""
        if isinstance(variables, str) and variables == "all":
            from . import models
            from .simulator import state
            celltype = self._root().celltype
            variables = [v for v in celltype.recordable if type(celltype).__name__ in models.CELLS
                         and _quietly(models.recordable, "", celltype, v, state.dialect)]
        if indexes is not None:
            return self[list(indexes)].record(variables, to_file, sampling_interval)
        return super().record(variables, to_file, sampling_interval, locations)


def _quietly(check, *args) -> bool:
    from ..errors import UnsupportedFeature
    try:
        return bool(check(*args))
    except UnsupportedFeature:
        return False


def set_number_of_neurons_per_core(neuron_type, max_permitted) -> None:
    """sPyNNaker: at most `max_permitted` neurons of this type per core (a mapping hint)."""
    from .simulator import state
    name = neuron_type if isinstance(neuron_type, str) else getattr(neuron_type, "__name__", type(neuron_type).__name__)
    state.neurons_per_core[name] = max_permitted


def set_number_of_synapse_cores(neuron_type, n_synapse_cores) -> None:
    from .simulator import state
    state.neurons_per_core[f"{getattr(neuron_type, '__name__', neuron_type)} synapse cores"] = n_synapse_cores


def set_allow_delay_extensions(neuron_type, allow: bool) -> None:
    """sPyNNaker: delay-extension cores are a board's way of holding long delays (no effect here)."""


def get_machine(*args, **kwargs):
    raise UnsupportedFeature("get_machine(): spikemem simulates the network; there is no SpiNNaker machine")


class _Refused:
    """A sPyNNaker-only module (extra_models, external_devices): every name in it is refused by name."""

    def __init__(self, module: str, why: str):
        self._module, self._why = module, why

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise UnsupportedFeature(f"{self._module}.{name}: {self._why}")


extra_models = _Refused("extra_models", "a sPyNNaker-specific model; spikemem's description does not have it")
external_devices = _Refused("external_devices", "live input/output with a SpiNNaker machine; spikemem simulates "
                                                "the network offline")


def _refused_type(name: str, what: str):
    def __init__(self, *args, **kwargs):
        raise UnsupportedFeature(f"{name}: {what}")
    return type(name, (), {"__init__": __init__, "__module__": __name__})


REFUSED = {name: _refused_type(name, what) for name, what in (
    ("KernelConnector", "sPyNNaker's kernel connector (convolution connectors are not in the description yet)"),
    ("ConvolutionConnector", "sPyNNaker's convolution connector is not in the description yet"),
    ("PoolDenseConnector", "sPyNNaker's pooling connector is not in the description yet"),
    ("Convolution", "sPyNNaker's local-only convolution is not in the description"),
    ("PoolDense", "sPyNNaker's local-only pooling is not in the description"),
    ("StructuralMechanismStatic", "structural plasticity is not in the description"),
    ("StructuralMechanismSTDP", "structural plasticity is not in the description"),
    ("LastNeuronSelection", "structural plasticity is not in the description"),
    ("RandomSelection", "structural plasticity is not in the description"),
    ("DistanceDependentFormation", "structural plasticity is not in the description"),
    ("RandomByWeightElimination", "structural plasticity is not in the description"),
    ("SpiNNakerProjection", "sPyNNaker's on-board projection is not in the description"),
)}


def hints() -> dict:
    """The mapping hints the script gave: neurons per core by cell type, per population."""
    from .simulator import state
    pops = {p.label: dict(p._spinnaker.get("hints", {}), **{k: v for k, v in p._spinnaker.items()
                                                             if k in MAPPING_ONLY})
            for p in state.populations}
    return {"neurons_per_core": dict(state.neurons_per_core), "populations": {k: v for k, v in pops.items() if v}}
