"""What PyNN recorded, kept as neo gave it, on the Result's time axis.

PyNN returns every recording as a neo Block per population. Each trial's spike trains and
membrane signals are kept (with PyNN's annotations: source_population, source_index,
channel_id) in one neo Segment per trial, moved onto the reference time axis (the stimulus
shift undone, nothing outside [0, steps) kept); the Result's arrays are read from that
same Segment, and Result.to_neo() hands the Segments back.
"""
from __future__ import annotations

import numpy as np


def record_trial(pops: dict, spike_names, analog: dict, dt: float, shift: int, steps: int, trial: int,
                 every: int = 1, lag: int = 0):
    """(neo Segment of the trial, {pop: (step, neuron)}, {signal: {pop: (samples, size)}}) where
    analog maps "v", "gsyn_exc" and "gsyn_inh" to the populations recording them; analog signals
    are sampled after every `every`-th step (Recording.sampling_interval); lag: the profile's
    analog_lag_steps."""
    import neo
    import quantities as pq
    seg = neo.Segment(name=f"trial{trial:03d}", index=trial)
    spikes, out = {}, {signal: {} for signal in ANALOG}
    for name in dict.fromkeys(list(spike_names) + [n for names in analog.values() for n in names]):
        pop = pops[name]
        signals = [signal for signal in ANALOG if name in analog.get(signal, ())]
        # (not clear=True: pyNN.nest 0.13 then carries one variable's samples past the end into the next)
        got = pop.get_data((["spikes"] if name in spike_names else []) + signals, clear=False).segments[0]
        if name in spike_names:
            trains = [_on_grid(st, dt, shift, steps, pq) for st in got.spiketrains]
            seg.spiketrains.extend(trains)
            spikes[name] = _spike_arrays(trains, dt)
        for signal in signals:
            sig = got.filter(name=signal)[0]
            out[signal][name], order = _v_array(sig, pop.size, dt, shift + lag, steps, every=every)
            ann = dict(sig.annotations)
            if len(np.atleast_1d(ann.get("channel_ids", ()))) == pop.size:
                ann["channel_ids"] = np.asarray(ann["channel_ids"])[order]
            seg.analogsignals.append(neo.AnalogSignal(
                out[signal][name], units=sig.units, t_start=0 * pq.ms, sampling_period=every * dt * pq.ms,
                name=signal, **ann, array_annotations={"channel_index": np.arange(pop.size)}))
    for x in seg.spiketrains + seg.analogsignals:
        x.segment = seg
    return seg, spikes, out


ANALOG = ("v", "gsyn_exc", "gsyn_inh")


def _on_grid(st, dt: float, shift: int, steps: int, pq):
    """The spike train with the stimulus shift undone, spikes of steps [0, steps) only, t in [0, steps dt)."""
    t = np.asarray(st.rescale("ms").magnitude, dtype=float)
    s = np.round(t / dt).astype(np.int64) - shift
    keep = (s >= 0) & (s < steps)
    return st.duplicate_with_new_data(s[keep] * dt * pq.ms, t_start=0.0 * pq.ms, t_stop=steps * dt * pq.ms)


def _spike_arrays(trains, dt: float):
    """(step, neuron) int64 arrays of one trial."""
    if not trains:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    s = [np.round(np.asarray(st.magnitude, dtype=float) / dt).astype(np.int64) for st in trains]
    i = [np.full(len(x), int(st.annotations["source_index"]), dtype=np.int64) for x, st in zip(s, trains)]
    return np.concatenate(s), np.concatenate(i)


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
    never built (instantiate.py), so it reads as all NaN, as on the engine."""
    if pr.name not in projs:
        return np.full((network.population(pr.pre).size, network.population(pr.post).size), np.nan)
    return np.abs(np.asarray(projs[pr.name].get("weight", format="array"), dtype=float))
