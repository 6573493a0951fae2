"""The golden recording format of the CA3 memory (tests/data/ca3_cam_golden/README.md).

A stimulus file holds cueSize_C, contSize_N, timestep_ms, simTime_ms and
input_spike_times_ms = {"cue_neurons_0..C-1": [[t, ...], ...], "content_neurons_0..N-1": [...]};
a recording adds recorded_spikes[pop]["spikes_t_ms_neuron"] = [[t, i], ...].
"""
from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from pathlib import Path

from spikemem import ValidationError
from spikemem.files import atomic_write_text

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


def _int(field, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != int(value) or value < minimum:
        raise ValidationError(field, value, f"must be an integer >= {minimum}")
    return int(value)


def _trains(field: str, value, n: int, dt: float) -> list:
    """Spike lists per neuron; times at or after simTime_ms are kept but never reached, as on SpiNNaker."""
    if not isinstance(value, list) or len(value) != n:
        got = len(value) if isinstance(value, list) else type(value).__name__
        raise ValidationError(field, got, f"must be a list of {n} spike-time lists (one per neuron)")
    out = []
    for i, times in enumerate(value):
        if not isinstance(times, list):
            raise ValidationError(f"{field}[{i}]", times, "must be a list of spike times")
        for t in times:
            if isinstance(t, bool) or not isinstance(t, numbers.Real):
                raise ValidationError(f"{field}[{i}]", t, "spike times must be numbers")
            if t < 0:
                raise ValidationError(f"{field}[{i}]", t, "spike times must be >= 0")
            if abs(t / dt - round(t / dt)) > 1e-9:
                raise ValidationError(f"{field}[{i}]", t, f"spike times must be whole multiples of timestep_ms={dt}")
        out.append([float(t) for t in times])
    return out


def parse_stimulus(d: dict, source: str = "input") -> Stimulus:
    if not isinstance(d, dict):
        raise ValidationError(source, type(d).__name__, "must be a JSON object")
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ValidationError(source, missing, "missing keys")
    C = _int("cueSize_C", d["cueSize_C"], 1)
    N = _int("contSize_N", d["contSize_N"], 1)
    dt = d["timestep_ms"]
    if isinstance(dt, bool) or not isinstance(dt, numbers.Real) or dt <= 0:
        raise ValidationError("timestep_ms", dt, "must be a number > 0")
    sim = d["simTime_ms"]
    if isinstance(sim, bool) or not isinstance(sim, numbers.Real) or sim <= 0 or abs(sim / dt - round(sim / dt)) > 1e-9:
        raise ValidationError("simTime_ms", sim, f"must be a positive multiple of timestep_ms={dt}")
    spikes = d["input_spike_times_ms"]
    if not isinstance(spikes, dict):
        raise ValidationError("input_spike_times_ms", type(spikes).__name__, "must be an object")
    for k in (CUE_KEY, CONT_KEY):
        if k not in spikes:
            raise ValidationError("input_spike_times_ms", k, "missing key")
    return Stimulus(C, N, float(dt), float(sim),
                    _trains(f"input_spike_times_ms.{CUE_KEY}", spikes[CUE_KEY], C, dt),
                    _trains(f"input_spike_times_ms.{CONT_KEY}", spikes[CONT_KEY], N, dt))


def load_stimulus(path) -> Stimulus:
    try:
        d = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ValidationError("input", str(path), "no such file") from None
    except json.JSONDecodeError as e:
        raise ValidationError("input", str(path), f"not valid JSON ({e})") from None
    return parse_stimulus(d, str(path))


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
    atomic_write_text(path, json.dumps(record, indent=1))
