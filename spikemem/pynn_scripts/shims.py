"""The helpers sPyNNaker scripts import beside the simulator, for `spikemem pynn run`: neo_convertor
(recordings as numpy rows, sPyNNaker's layout) and SpynnakerPanel (a pyNN.utility.plotting panel).
Written for spikemem; the layout is sPyNNaker's: spikes as rows (neuron, t), a signal as rows
(neuron, t, value)."""
from __future__ import annotations

import numpy as np


def convert_spiketrains(spiketrains) -> np.ndarray:
    rows = [np.column_stack([np.full(len(st), st.annotations.get("source_index", k)),
                             np.asarray(st.rescale("ms").magnitude)]) for k, st in enumerate(spiketrains)]
    out = np.concatenate(rows) if rows else np.zeros((0, 2))
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def convert_spikes(neo, run: int = 0) -> np.ndarray:
    return convert_spiketrains(neo.segments[run].spiketrains)


def convert_analog_signal(signal, time_unit=None) -> np.ndarray:
    data = np.asarray(signal.magnitude)
    times = np.asarray(signal.times.rescale("ms").magnitude)
    idx = np.asarray(signal.array_annotations.get("channel_index", np.arange(data.shape[1])))
    return np.column_stack([np.repeat(idx, len(times)), np.tile(times, len(idx)), data.T.ravel()])


def convert_data(data, name: str, run: int = 0) -> np.ndarray:
    return convert_analog_signal(data.segments[run].filter(name=name)[0])


def convert_data_list(data, name: str, runs=None) -> list:
    runs = range(len(data.segments)) if runs is None else runs
    return [convert_data(data, name, run) for run in runs]


def convert_v_list(data, runs=None) -> list:
    return convert_data_list(data, "v", runs)


def convert_gsyn_exc_list(data, runs=None) -> list:
    return convert_data_list(data, "gsyn_exc", runs)


def convert_gsyn_inh_list(data, runs=None) -> list:
    return convert_data_list(data, "gsyn_inh", runs)


def count_spiketrains(spiketrains) -> int:
    return int(sum(len(st) for st in spiketrains))


def count_spikes(neo) -> int:
    return int(sum(count_spiketrains(seg.spiketrains) for seg in neo.segments))


class SpynnakerPanel:
    """A panel for pyNN.utility.plotting.Figure: spike trains as a raster, signals as lines."""

    def __init__(self, *data, **options):
        self.data, self.options = list(data), options
        self.options.pop("data_labels", None)
        self.options.pop("line_properties", None)

    def plot(self, axes) -> None:
        for datum in self.data:
            if hasattr(datum, "segments"):
                datum = datum.segments[0]
            if hasattr(datum, "spiketrains"):
                datum = datum.spiketrains if len(datum.spiketrains) else datum.analogsignals[0]
            if isinstance(datum, np.ndarray) and datum.ndim == 2 and datum.shape[1] == 2:
                axes.plot(datum[:, 1], datum[:, 0], ".", markersize=self.options.get("markersize", 2))
            elif isinstance(datum, (list, tuple)) or type(datum).__name__ == "SpikeTrainList":
                rows = convert_spiketrains(list(datum))
                axes.plot(rows[:, 1], rows[:, 0], ".", markersize=self.options.get("markersize", 2))
            else:
                axes.plot(np.asarray(datum.times), np.asarray(datum.magnitude))
        for key in ("xlim", "ylim"):
            if key in self.options:
                getattr(axes, f"set_{key}")(self.options[key])


def plot_spikes_numpy(axes, spikes, label: str = "", **options) -> None:
    SpynnakerPanel(np.asarray(spikes), **options).plot(axes)


def plot_spiketrains(axes, spiketrains, label: str = "", **options) -> None:
    SpynnakerPanel(list(spiketrains), **options).plot(axes)
