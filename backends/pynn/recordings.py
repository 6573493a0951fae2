"""What PyNN recorded, read from the simulator's arrays and kept as neo on the Result's time axis.

Spikes are read as (neuron, time) arrays: pyNN.nest and pyNN.brian2 hand their recorder's arrays to
neo as one array-backed SpikeTrainList, which is read as is (`multiplexed`), never one SpikeTrain
per neuron; other simulators' lists are read train by train, still in time linear in the spikes.
Each trial's spikes and membrane signals go into one neo Segment per trial (PyNN's annotations:
source_population, source_index, channel_id), moved onto the reference time axis (the stimulus
shift undone, nothing outside [0, steps) kept); the Segment's spike trains are one SpikeTrainList
built in one step from those arrays. The Result's arrays are the same arrays, and Result.to_neo()
hands the Segments back.
"""
from __future__ import annotations

import numpy as np

from spikemem.results import grid_ms


def record_trial(pops: dict, spike_names, analog: dict, dt: float, shift: int, steps: int, trial: int,
                 every: int = 1, lag: int = 0):
    """(neo Segment of the trial, {pop: (step, neuron)}, {signal: {pop: (samples, size)}}) where
    analog maps "v", "gsyn_exc" and "gsyn_inh" to the populations recording them; analog signals
    are sampled after every `every`-th step (Recording.sampling_interval); lag: the profile's
    analog_lag_steps."""
    import neo
    import quantities as pq
    seg = neo.Segment(name=f"trial{trial:03d}", index=trial)
    spikes, out, trains = {}, {signal: {} for signal in ANALOG}, []
    for name in dict.fromkeys(list(spike_names) + [n for names in analog.values() for n in names]):
        pop = pops[name]
        signals = [signal for signal in ANALOG if name in analog.get(signal, ())]
        # (not clear=True: pyNN.nest 0.13 then carries one variable's samples past the end into the next)
        got = pop.get_data((["spikes"] if name in spike_names else []) + signals, clear=False).segments[0] \
            if signals else None
        if name in spike_names:
            s, i = spike_arrays(got, pop, dt) if signals else read_spikes(pop, dt)
            s = s - shift
            keep = (s >= 0) & (s < steps)
            spikes[name] = (s[keep], i[keep])
            trains.append((pop, name, spikes[name]))
        for signal in signals:
            sig = got.filter(name=signal)[0]
            out[signal][name], order = _v_array(sig, pop.size, dt, shift + lag, steps, every=every)
            ann = dict(sig.annotations)
            if len(np.atleast_1d(ann.get("channel_ids", ()))) == pop.size:
                ann["channel_ids"] = np.asarray(ann["channel_ids"])[order]
            seg.analogsignals.append(neo.AnalogSignal(
                out[signal][name], units=sig.units, t_start=0 * pq.ms, sampling_period=every * dt * pq.ms,
                name=signal, **ann, array_annotations={"channel_index": np.arange(pop.size)}))
    if trains:
        seg.spiketrains = _train_list(trains, dt, steps, neo, pq)
        seg.spiketrains.segment = seg
    for x in seg.analogsignals:
        x.segment = seg
    return seg, spikes, out


ANALOG = ("v", "gsyn_exc", "gsyn_inh")


def read_spikes(pop, dt: float, clear: bool = False):
    """(step, neuron index) of a population's recorded spikes: on pyNN.nest in one process straight
    from its spike recorder's arrays, with what get_data("spikes", clear) would give (the same
    PyNN reader, the same cut at the current time, the same clear) but no neo Block, whose
    describe() and Segment cost more than the spikes; elsewhere through get_data."""
    rec = getattr(pop, "recorder", None)
    det = getattr(rec, "_spike_detector", None)
    if det is None or not hasattr(det, "_get_data_arrays") or rec._simulator.state.num_processes != 1:
        return spike_arrays(pop.get_data("spikes", clear=clear).segments[0], pop, dt)
    ids, times = det._get_data_arrays("times", "times", 1, clear=clear)
    now = np.asarray(times) <= rec._simulator.state.t
    if clear:
        rec.clear()
    ids = np.asarray(ids, dtype=np.int64)[now]
    return np.round(np.asarray(times, dtype=float)[now] / dt).astype(np.int64), ids - int(pop.first_id)


def spike_arrays(segment, pop, dt: float):
    """(step, neuron index) int64 arrays of a PyNN recording Segment's spikes, in time linear in the
    spikes (see the module doc)."""
    trains = segment.spiketrains
    if getattr(trains, "_spike_time_array", None) is not None:       # neo's array-backed list (NEST, Brian2)
        ids, times = trains.multiplexed
        ids = np.asarray(ids, dtype=np.int64)
        t = np.asarray(times.rescale("ms").magnitude if hasattr(times, "rescale") else times, dtype=float)
        idx = ids - int(pop.first_id) if len(ids) else ids
    else:
        parts = [(np.asarray(st.rescale("ms").magnitude, dtype=float), int(st.annotations["source_index"]))
                 for st in trains]
        t = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
        idx = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int64) for p in parts]) if parts else \
            np.zeros(0, dtype=np.int64)
    return np.round(t / dt).astype(np.int64), idx


def _train_list(trains, dt: float, steps: int, neo, pq):
    """One SpikeTrainList of every recorded neuron of the trial (a train per neuron, built lazily)."""
    from neo.core.spiketrainlist import SpikeTrainList
    ids, labels, index, times, senders = [], [], [], [], []
    for pop, name, (s, i) in trains:
        cells = int(pop.first_id) + np.arange(pop.size, dtype=np.int64)     # PyNN's ids are consecutive
        ids.append(cells)
        labels.append(np.full(pop.size, pop.label, dtype=object))
        index.append(np.arange(pop.size))
        order = np.lexsort((s, i))
        times.append(grid_ms(s[order], dt))
        senders.append(cells[i[order]])
    return SpikeTrainList.from_spike_time_array(
        np.concatenate(times), np.concatenate(senders), np.concatenate(ids), t_stop=grid_ms(steps, dt) * pq.ms, units="ms",
        t_start=0.0 * pq.ms, source_population=np.concatenate(labels), source_index=np.concatenate(index))


def only_populations(trains, keep: set):
    """The spike trains of the populations in `keep`; an array-backed list stays one, unbuilt."""
    labels = getattr(trains, "_annotations", {}).get("source_population")
    if getattr(trains, "_spike_time_array", None) is not None and labels is not None:
        from neo.core.spiketrainlist import SpikeTrainList
        ids = np.asarray(trains._all_channel_ids)
        mine = np.isin(np.asarray(labels, dtype=object), list(keep))
        senders = np.asarray(trains._channel_id_array)
        hit = np.isin(senders, ids[mine])
        ann = {k: (np.asarray(v)[mine] if np.ndim(v) and len(v) == len(ids) else v)
               for k, v in trains._annotations.items()}
        meta = trains._spiketrain_metadata
        out = SpikeTrainList.from_spike_time_array(trains._spike_time_array[hit], senders[hit], ids[mine],
                                                   meta["t_stop"], t_start=meta["t_start"], **ann)
        out.segment = trains.segment
        return out
    return [st for st in trains if st.annotations.get("source_population") in keep]


def _v_array(sig, size: int, dt: float, shift: int, steps: int, start: int = 0, every: int = 1):
    """(samples, size) of an analog signal (V, gsyn) at the end of the reference steps in
    [start, steps) that are multiples of `every`, columns in neuron order; and the order of the
    signal's channels that gives it."""
    t = np.asarray(sig.times.rescale("ms").magnitude)
    idx = np.asarray(sig.array_annotations.get("channel_index", np.arange(sig.shape[1])))
    wanted = np.arange(-(-start // every) * every, steps, every)
    if not len(t):                  # nothing recorded (sPyNNaker on a virtual board)
        return np.full((len(wanted), size), np.nan), np.argsort(idx)
    rows = np.searchsorted(np.round(t / dt).astype(np.int64), wanted + shift)
    rows = np.minimum(rows, len(t) - 1)
    out = np.empty((len(wanted), size))
    out[:, idx] = np.asarray(sig.magnitude)[rows]
    return out, np.argsort(idx)


def sort_trials(parts):
    """Concatenate per-trial (trial, step, neuron) parts, sorted by trial, step, neuron."""
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    b, s, i = (np.concatenate(x).astype(np.int64) for x in zip(*parts))
    order = np.lexsort((i, s, b))
    return b[order], s[order], i[order]


def read_weights(projs, pr, network):
    """(pre, post) weights, NaN where there is no synapse; a projection without synapses is
    never built (instantiate.py), so it reads as all NaN, as on the engine. pyNN.nest sets the
    weights onto voltage-jump cells (mV) times their receptor_scale but reads them back without
    undoing it: undone here."""
    if pr.name not in projs:
        return np.full((network.population(pr.pre).size, network.population(pr.post).size), np.nan)
    proj = projs[pr.name]
    unit = getattr(getattr(proj.post, "celltype", None), "receptor_scale", 1.0)
    return np.abs(np.asarray(proj.get("weight", format="array"), dtype=float)) / unit
