"""The file format of the CA3 memory's SpiNNaker recordings (docs/guide/recordings.md).

A stimulus file holds cueSize_C, contSize_N, timestep_ms, simTime_ms and
input_spike_times_ms = {"cue_neurons_0..C-1": [[t, ...], ...], "content_neurons_0..N-1": [...]};
a recording adds recorded_spikes[pop]["spikes_t_ms_neuron"] = [[t, i], ...].
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from spikemem import FormatError, ValidationError
from spikemem.description import validation
from spikemem.files import atomic_write_text, read_json
from spikemem.interchange.json_format import FORMAT

from .builder import IN_CONT, IN_CUE, RECORDED

REQUIRED = ("cueSize_C", "contSize_N", "timestep_ms", "simTime_ms", "input_spike_times_ms")
CUE_KEY, CONT_KEY = "cue_neurons_0..C-1", "content_neurons_0..N-1"


@dataclass(frozen=True)
class Stimulus:
    C: int
    N: int
    dt: float
    sim_time_ms: float
    cue: list        # per cue neuron, spike times in ms
    content: list    # per content neuron

    def inputs(self) -> dict:
        """One trial of backend inputs."""
        return {IN_CUE: [self.cue], IN_CONT: [self.content]}


def parse_stimulus(d: dict, source: str = "input") -> Stimulus:
    if not isinstance(d, dict):
        raise ValidationError(source, type(d).__name__, "must be a JSON object")
    if isinstance(d.get("format"), str) and not any(k in d for k in REQUIRED):   # another kind of spikemem file
        what = "a spikemem network file" if d["format"] == FORMAT else f"a {d['format']!r} file"
        raise FormatError(f"{source}: {what}, not a CA3 recording (a recording holds {', '.join(REQUIRED)})")
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ValidationError(source, missing, "missing keys")
    C = validation.integer("cueSize_C", d["cueSize_C"], lo=1)
    N = validation.integer("contSize_N", d["contSize_N"], lo=1)
    dt = validation.positive("timestep_ms", d["timestep_ms"])
    sim = d["simTime_ms"]
    if validation.steps("simTime_ms", sim, dt) == 0:
        raise ValidationError("simTime_ms", sim, "must be > 0")
    spikes = validation.mapping("input_spike_times_ms", d["input_spike_times_ms"])
    for k in (CUE_KEY, CONT_KEY):
        if k not in spikes:
            raise ValidationError("input_spike_times_ms", k, "missing key")
    return Stimulus(C, N, dt, float(sim),
                    validation.spike_trains(f"input_spike_times_ms.{CUE_KEY}", spikes[CUE_KEY], C, dt),
                    validation.spike_trains(f"input_spike_times_ms.{CONT_KEY}", spikes[CONT_KEY], N, dt))


def load_stimulus(path) -> Stimulus:
    return parse_stimulus(read_json(path, "input"), str(path))


def recording_dict(stim: Stimulus, result, trial: int = 0, backend: str = "reference") -> dict:
    """The golden layout, the same population names, spikes of one trial."""
    def ms(t):
        return int(t) if float(t).is_integer() else t
    return {
        "source": f"spikemem replay ({backend} backend)",
        "cueSize_C": stim.C, "contSize_N": stim.N, "timestep_ms": ms(stim.dt), "simTime_ms": ms(stim.sim_time_ms),
        "input_spike_times_ms": {CUE_KEY: [[ms(t) for t in r] for r in stim.cue],
                                 CONT_KEY: [[ms(t) for t in r] for r in stim.content]},
        "recorded_spikes": {pop: {"spikes_t_ms_neuron": result.spike_list(pop, trial)} for pop in RECORDED},
    }


def write_recording(path, record: dict) -> None:
    atomic_write_text(path, json.dumps(record, indent=1, allow_nan=False))
