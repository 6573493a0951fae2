"""Recordings of spikemem.pynn as neo, the way PyNN's backends hand them out.

The live run (runner.Live) keeps every spike of every population and the V of the populations that
record it, as arrays; this Recorder reads them for PyNN's common Recorder, which builds the neo
objects. Spikes go out as one (ids, times) pair, which PyNN turns into a SpikeTrainList in one step
(no SpikeTrain per neuron until someone asks for one). Time stamps (docs/pynn_frontend.md):
- a spike of engine step s is at s * dt under scheme 'spinnaker' (sPyNNaker stamps a step's spikes
  at its start) and at (s + 1) * dt under 'exact' (NEST stamps them at its end);
- V sample k, at k * dt, is V before step k: the start value at k = 0, then V after step k - 1
  (what sPyNNaker and NEST record); dialect 'pynn' records up to the current time inclusive, as
  pyNN.nest does, dialect 'spinnaker' up to the last step, as sPyNNaker does.
With trials > 1 each recorded run gives one neo Segment per trial (annotated trial=k).
"""
from __future__ import annotations

import numpy as np
import quantities as pq
from pyNN import recording
from pyNN.recording import filter_by_variables

from ..errors import UnsupportedFeature, ValidationError
from . import models, simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self.trial = 0

    # -- what PyNN's Recorder asks a backend for ------------------------------------------------
    def _record(self, variable, new_ids, sampling_interval=None):
        known = type(self.population.celltype).__name__ in models.CELLS     # else refused at build time
        if known and not models.recordable(self.population.label, self.population.celltype, variable.name,
                                           self._simulator.state.dialect):
            raise UnsupportedFeature(f"{self.population.label}: recording {variable.name!r} from "
                                     f"{type(self.population.celltype).__name__}; spikemem does not record it")
        if sampling_interval is not None:
            dt = self._simulator.state.dt
            k = sampling_interval / dt
            if k < 1 - 1e-9 or abs(k - round(k)) > 1e-9:
                raise ValidationError("sampling_interval", sampling_interval, f"must be a multiple of dt={dt:g} ms")
            self.sampling_interval = sampling_interval
        if variable.name != "spikes":
            self._simulator.state.changed(("record", (variable.name,)), self.population)

    def _get_spiketimes(self, ids, clear=False):
        live, state = self._simulator.state.live, self._simulator.state
        ids = np.asarray(list(ids), dtype=np.int64) if not isinstance(ids, np.ndarray) else ids.astype(np.int64)
        if live is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        neurons, steps = live.spikes(self.population, self.trial)
        keep = np.isin(neurons, ids - int(self.population.first_id))
        times = (steps[keep] + live.shift) * state.dt
        return neurons[keep] + int(self.population.first_id), np.round(times, 9)

    def _get_all_signals(self, variable, ids, clear=False):
        live, state = self._simulator.state.live, self._simulator.state
        idx = self.population.id_to_index(np.asarray(list(ids), dtype=np.int64)) if len(ids) else np.zeros(0, int)
        if live is None:
            return np.zeros((0, len(idx))), None
        every = int(round(self.sampling_interval / state.dt))
        first = int(round(float(self._recording_start_time.rescale(pq.ms).magnitude) / state.dt))
        last = live.t if state.dialect == "pynn" else live.t - 1
        k = np.arange(first + (-first) % every, last + 1, every)
        return live.v_samples(self.population, self.trial, k, variable.name)[:, idx], None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        live = self._simulator.state.live
        if live is None:
            return {int(i): 0 for i in ids}
        neurons, _ = live.spikes(self.population, self.trial)
        counts = np.bincount(neurons, minlength=self.population.size)
        return {int(i): int(counts[int(i) - int(self.population.first_id)]) for i in ids}

    def _clear_simulator(self):
        live = self._simulator.state.live
        if live is not None:
            live.cleared[id(self.population)] = live.t

    def _reset(self):
        pass

    # -- a Segment per trial ---------------------------------------------------------------------
    def _segments(self, filter_ids=None, variables="all"):
        out = []
        for trial in range(self._simulator.state.trials):
            self.trial = trial
            seg = self._get_current_segment(filter_ids=filter_ids, variables=variables, clear=False)
            if self._simulator.state.trials > 1:
                seg.name = f"{seg.name} trial{trial:03d}"
                seg.annotate(trial=trial)
            out.append(seg)
        self.trial = 0
        return out

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None, locations=None):
        """PyNN's Recorder.get, with one Segment per trial of each recorded run."""
        import neo
        data = neo.Block()
        wanted = "all" if variables == "all" else self._localize_variables(variables, locations)
        data.segments = [filter_by_variables(seg, wanted) for seg in self.cache]
        if self._simulator.state.running:
            data.segments.extend(self._segments(filter_ids, wanted))
        for segment in data.segments:
            segment.block = data
        data.name = self.population.label
        data.description = self.population.describe()
        data.rec_datetime = data.segments[0].rec_datetime if data.segments else None
        data.annotate(**self.metadata)
        if annotations:
            data.annotate(**annotations)
        if clear:
            self.clear()
        return data

    def store_to_cache(self, annotations=None):
        if self._simulator.state.t != 0 and not self.clear_flag:
            for seg in self._segments():
                seg.annotate(**(annotations or {}))
                self.cache.store(seg)
        self.clear_flag = False
        self._recording_start_time = 0.0 * pq.ms
