"""Results as neo Blocks, the form PyNN users analyse spikes in (elephant, viziphant).

Layout, as PyNN's own recordings (pyNN.recording.Recorder) annotate them:
- the Block holds one Segment per trial (Segment.index = trial, name "trialNNN");
- each recorded population gives one SpikeTrain per neuron, in ms, t_start = 0 (or a live
  session window's first step) and t_stop = steps * dt, annotated source_population (the
  population's name), source_index (the neuron's index in it) and channel_id (the index again:
  spikemem has no simulator ids; PyNN backends keep the simulator's);
- each population with recorded V gives one AnalogSignal named "v" in mV, one column per
  neuron, sampled every dt from t = 0 (sample k is V after step k, the step whose spikes are at
  k * dt), annotated source_population, channel_ids and array_annotations channel_index.
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
    for pop, v in result.v.items():
        n = v.shape[2]
        seg.analogsignals.append(neo.AnalogSignal(
            v[trial], units="mV", t_start=t_start, sampling_period=result.dt * pq.ms, name="v",
            source_population=pop, channel_ids=np.arange(n), array_annotations={"channel_index": np.arange(n)}))
    for x in seg.spiketrains + seg.analogsignals:
        x.segment = seg
    return seg


def block_to_result(block, dt: float, backend: str = "neo") -> Result:
    """A Result from a Block in the layout above (a PyNN recording of one population, or a
    spikemem export): spikes and V per source_population, trials from the Segments.

    Spike times must lie on the dt grid; sizes come from the largest source_index (or a V
    signal's width). Raises FormatError for a train without the annotations PyNN sets.
    """
    _neo()
    if not block.segments:
        raise FormatError("neo block: no segments")
    sizes, parts, vs, steps = dict(block.annotations.get("populations") or {}), {}, {}, 0
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
            if sig.name != "v" or "source_population" not in sig.annotations:
                continue
            pop = str(sig.annotations["source_population"])
            sizes[pop] = max(sizes.get(pop, 0), sig.shape[1])
            vs.setdefault(pop, {})[b] = np.asarray(sig.rescale("mV").magnitude)
            steps = max(steps, sig.shape[0])
    batch = len(block.segments)
    spikes = {}
    for pop, p in parts.items():
        tr, st, nr = (np.concatenate(x).astype(np.int64) for x in zip(*p))
        order = np.lexsort((nr, st, tr))
        spikes[pop] = (tr[order], st[order], nr[order])
    res = Result(dt=dt, steps=steps, batch=batch, sizes=sizes, spikes=spikes, backend=backend)
    for pop, per_trial in vs.items():
        v = np.full((batch, steps, sizes[pop]), np.nan)
        for b, arr in per_trial.items():
            v[b, :arr.shape[0], :arr.shape[1]] = arr
        res.v[pop] = v
    return res
