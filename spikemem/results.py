"""What a run returns, the same structure from every backend."""
from __future__ import annotations

import decimal
from dataclasses import dataclass, field

import numpy as np

from .errors import ValidationError


@dataclass
class Result:
    """spikes[pop] = (trial, step, neuron) int arrays sorted by trial, step, neuron.

    v[pop] has shape (batch, steps, size); weights[proj] has shape (batch, n_pre, n_post)
    (absent synapses are NaN), taken at the end of the run. neo_segments: a backend that
    records through neo (PyNN) keeps its recordings here, one neo Segment per trial.
    saturations (numerics="fixed" only): per IF population, {"ring_buffer": (batch,) count of
    16-bit ring-buffer additions that saturated (sPyNNaker's two provenance counters, static and
    plastic, together), "accum": (batch,) count of clamps of neuron values that left the s16.15
    range (a core would wrap there)} (docs/fixed_point.md). A live
    session's window starts at step `start` (0 for a whole run): its spike steps count from the
    session's beginning and v has shape (batch, steps - start, size).
    gsyn_exc[pop], gsyn_inh[pop] have v's layout: the synaptic current (nA; current-based cells)
    or conductance (uS; IFCondExp) of each neuron just after each step's input was added
    (docs/cells.md, "Recording gsyn"). With Recording(sampling_interval=) the analog signals (v,
    gsyn) hold every `sampling`-th step only: sample j is after step first + j * sampling, first
    the first multiple of `sampling` at or after `start`.
    """

    dt: float
    steps: int
    batch: int
    sizes: dict
    spikes: dict
    v: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    backend: str = ""
    neo_segments: list | None = field(default=None, repr=False)
    saturations: dict = field(default_factory=dict)
    start: int = 0
    gsyn_exc: dict = field(default_factory=dict)
    gsyn_inh: dict = field(default_factory=dict)
    sampling: int = 1
    gsyn_units: dict = field(default_factory=dict)     # population -> "uS" where gsyn is a conductance

    def spike_list(self, pop: str, trial: int = 0) -> list:
        """[[t_ms, neuron], ...] of one trial, the golden-file layout."""
        tr, st, nr = self._recorded(pop)
        sel = tr == trial
        return [[_ms(t), int(n)] for t, n in zip(grid_ms(st[sel], self.dt), nr[sel])]

    def spike_trains(self, pop: str, trial: int = 0) -> list:
        tr, st, nr = self._recorded(pop)
        sel = tr == trial
        out = [[] for _ in range(self.sizes[pop])]
        for t, n in zip(grid_ms(st[sel], self.dt), nr[sel]):
            out[n].append(_ms(t))
        return out

    def spike_matrix(self, pop: str) -> np.ndarray:
        """Dense bool (batch, steps, size): handy for comparisons and decoders."""
        tr, st, nr = self._recorded(pop)
        m = np.zeros((self.batch, self.steps, self.sizes[pop]), dtype=bool)
        m[tr, st, nr] = True
        return m

    def _recorded(self, pop) -> tuple:
        """The spikes of a recorded population; any other name is refused with the recorded ones."""
        if pop not in self.spikes:
            raise ValidationError("population", pop, f"no spikes recorded for it (recorded: {sorted(self.spikes)})")
        return self.spikes[pop]

    def to_neo(self):
        """A neo Block: one Segment per trial, a SpikeTrain per recorded neuron (annotated with
        source_population and source_index, as PyNN does) and an AnalogSignal per population
        with recorded V. Needs the [neo] extra (spikemem.interchange.neo_block)."""
        from .interchange.neo_block import result_to_block
        return result_to_block(self)

    def count(self, pop: str | None = None) -> int:
        pops = [pop] if pop else list(self.spikes)
        return int(sum(len(self._recorded(p)[0]) for p in pops))


def grid_decimals(dt: float) -> int:
    """The decimals of the time grid (1 for dt = 0.1 ms, 0 for 1 ms): those of dt's shortest form."""
    return max(0, -decimal.Decimal(repr(float(dt))).normalize().as_tuple().exponent)


def grid_ms(steps, dt: float) -> np.ndarray:
    """Times in ms of steps on the dt grid, with the grid's own decimals: step 82 at dt = 0.1 ms is
    8.2 ms, not 8.200000000000001 (what 82 * 0.1 gives in binary floating point)."""
    return np.round(np.asarray(steps) * float(dt), grid_decimals(dt))


def _ms(t: float):
    return int(t) if float(t).is_integer() else float(t)


def spike_differences(record: dict, recorded: dict) -> dict:
    """Per population of `recorded` ({pop: [[t, i], ...]}) that `record` (a recording layout:
    recorded_spikes[pop].spikes_t_ms_neuron) also holds: (spikes only in record, spikes only in recorded)."""
    out = {}
    for pop, want in recorded.items():
        if pop not in record["recorded_spikes"]:
            continue
        got = {(round(float(t), 9), int(i)) for t, i in record["recorded_spikes"][pop]["spikes_t_ms_neuron"]}
        want = {(round(float(t), 9), int(i)) for t, i in want}
        out[pop] = (len(got - want), len(want - got))
    return out
