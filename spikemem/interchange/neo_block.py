"""Results as neo Blocks, the form PyNN users analyse spikes in (elephant, viziphant).

Layout, as PyNN's own recordings (pyNN.recording.Recorder) annotate them:
- the Block holds one Segment per trial (Segment.index = trial, name "trialNNN");
- each recorded population gives one SpikeTrain per neuron, in ms, t_start = 0 (or a live
  session window's first step) and t_stop = steps * dt, annotated source_population (the
  population's name), source_index (the neuron's index in it) and channel_id (the index again:
  spikemem has no simulator ids; PyNN backends keep the simulator's);
- each population with recorded V gives one AnalogSignal named "v" in mV, one column per
  neuron, sampled every dt from t = 0 (sample k is V after step k, the step whose spikes are at
  k * dt), annotated source_population, channel_ids and array_annotations channel_index;
  recorded gsyn gives AnalogSignals "gsyn_exc" and "gsyn_inh" alike (nA, or uS for IF_cond_exp),
  and a sampling interval (Result.sampling) their sampling_period and first sample.
A result from a PyNN backend hands back the Segments PyNN produced (on spikemem's time axis).
Importing spikemem never imports neo: this module loads it on use (the [neo] extra).
"""
from __future__ import annotations

import numpy as np

from ..errors import FormatError
from ..optional import require
from ..results import Result, grid_ms


def _neo():
    return require("neo", "neo"), require("quantities", "neo")


def result_to_block(result: Result):
    neo, pq = _neo()
    block = neo.Block(name=f"spikemem {result.backend or 'run'}", backend=result.backend, dt=result.dt,
                      steps=result.steps, populations=dict(result.sizes))
    segments = result.neo_segments or [_segment(result, b, neo, pq) for b in range(result.batch)]
    for seg in segments:
        seg.block = block
        block.segments.append(seg)
    return block


def _segment(result: Result, trial: int, neo, pq):
    seg = neo.Segment(name=f"trial{trial:03d}", index=trial)
    t_stop = grid_ms(result.steps, result.dt) * pq.ms
    t_start = grid_ms(result.start, result.dt) * pq.ms   # a live session's window starts later
    for pop, (tr, st, nr) in result.spikes.items():
        sel = tr == trial
        steps, neurons = st[sel], nr[sel]
        order = np.lexsort((steps, neurons))
        counts = np.bincount(neurons, minlength=result.sizes[pop])
        per_neuron = np.split(grid_ms(steps[order], result.dt), np.cumsum(counts)[:-1])
        for i, times in enumerate(per_neuron):
            seg.spiketrains.append(neo.SpikeTrain(times * pq.ms, t_start=t_start, t_stop=t_stop,
                                                  source_population=pop, source_index=i, channel_id=i))
    every = result.sampling
    first = -(-result.start // every) * every * result.dt * pq.ms          # the window's first sample
    for signal, unit in (("v", "mV"), ("gsyn_exc", None), ("gsyn_inh", None)):
        for pop, a in getattr(result, signal).items():
            n = a.shape[2]
            seg.analogsignals.append(neo.AnalogSignal(
                a[trial], units=unit or result.gsyn_units.get(pop, "nA"), t_start=first,
                sampling_period=every * result.dt * pq.ms, name=signal, source_population=pop,
                channel_ids=np.arange(n), array_annotations={"channel_index": np.arange(n)}))
    for x in seg.spiketrains + seg.analogsignals:
        x.segment = seg
    return seg


def block_to_result(block, dt: float, backend: str = "neo") -> Result:
    """A Result from a Block in the layout above (a PyNN recording of one population, or a
    spikemem export): spikes, V and gsyn per source_population, trials from the Segments.

    Spike times must lie on the dt grid; sizes come from the largest source_index (or a V
    signal's width). Raises FormatError for a train without the annotations PyNN sets.
    """
    _, pq = _neo()
    if not block.segments:
        raise FormatError("neo block: no segments")
    sizes, parts, vs, steps, every = dict(block.annotations.get("populations") or {}), {}, {}, 0, 1
    for b, seg in enumerate(block.segments):
        for st in seg.spiketrains:
            ann = st.annotations
            if "source_population" not in ann or "source_index" not in ann:
                raise FormatError("neo SpikeTrain without source_population/source_index annotations")
            pop, i = str(ann["source_population"]), int(ann["source_index"])
            sizes[pop] = max(sizes.get(pop, 0), i + 1)
            s = np.round(np.asarray(st.rescale("ms").magnitude, dtype=float) / dt).astype(np.int64)
            parts.setdefault(pop, []).append((np.full(len(s), b), s, np.full(len(s), i)))
            steps = max(steps, int(round(float(st.t_stop.rescale("ms").magnitude) / dt)))
        for sig in seg.analogsignals:
            if sig.name not in ANALOG or "source_population" not in sig.annotations:
                continue
            pop = str(sig.annotations["source_population"])
            sizes[pop] = max(sizes.get(pop, 0), sig.shape[1])
            unit = "mV" if sig.name == "v" else ("uS" if sig.units.dimensionality == pq.uS.dimensionality else "nA")
            vs.setdefault(sig.name, {}).setdefault(pop, {})[b] = np.asarray(sig.rescale(unit).magnitude)
            every = max(1, int(round(float(sig.sampling_period.rescale("ms").magnitude) / dt)))
            steps = max(steps, sig.shape[0] * every)
    batch = len(block.segments)
    spikes = {}
    for pop, p in parts.items():
        tr, st, nr = (np.concatenate(x).astype(np.int64) for x in zip(*p))
        order = np.lexsort((nr, st, tr))
        spikes[pop] = (tr[order], st[order], nr[order])
    res = Result(dt=dt, steps=steps, batch=batch, sizes=sizes, spikes=spikes, backend=backend, sampling=every)
    samples = -(-steps // every)
    for signal, pops in vs.items():
        for pop, per_trial in pops.items():
            a = np.full((batch, samples, sizes[pop]), np.nan)
            for b, arr in per_trial.items():
                a[b, :arr.shape[0], :arr.shape[1]] = arr
            getattr(res, signal)[pop] = a
    return res


ANALOG = ("v", "gsyn_exc", "gsyn_inh")
