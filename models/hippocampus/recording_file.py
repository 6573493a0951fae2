"""The hippocampus memory's recording formats (spec A.10, ../shared/hippocampus_golden/README.md).

Two formats hold a recorded run: the shared JSON (cueSize, contSize, dgInputSize, timestep_ms,
simTime_ms, input_spike_times_ms = [{neuron, role, spike_times_ms}, ...] in network order, and
recorded_spikes[pop].spikes_t_ms_neuron), and the authors' own result files (data/*.txt): one
Python literal per run, a dict with cueSize, memSize (or contSize), timeStep, simTime,
endianness and `variables`, a list of {type: 'spikes' | 'v', popNameShort, data: one list per
neuron}, the input layer 'IL' among them (stored after the endianness reversal: IL[0] is the
least significant cue bit). A .txt is read with ast.literal_eval, never eval. Either way a bad
file is refused, naming the field, before anything runs.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field

from spikemem import FormatError, ValidationError
from spikemem.description import validation
from spikemem.files import atomic_write_text, read_text

from .blocks import cue_width
from .hippocampus_net import RECORDED
from .names import CA1, CA3_CONT, CA3_CUE, DG, IN_CONT, IN_CUE, OUT_CONT, OUT_CUE

MAX_LITERAL_CHARS = 50_000_000       # a result file of the authors' is about 20 kB
# the authors' short population names -> the recording's (the content layer was 'CA3mem' in 2022)
AUTHOR_NAMES = {"DGL": DG, "CA3cueL": CA3_CUE, "CA3memL": CA3_CONT, "CA3contL": CA3_CONT, "CA1L": CA1}


@dataclass(frozen=True)
class Stimulus:
    C: int
    N: int
    dt: float
    sim_time_ms: float
    cue: list         # per cue bit (IN[0] the least significant), spike times in ms
    content: list     # per content bit
    title: str = ""
    recorded: dict | None = field(default=None, compare=False)   # pop -> [[t, i], ...] where the file has them

    @property
    def n(self) -> int:
        return len(self.cue)

    def inputs(self) -> dict:
        """One trial of backend inputs."""
        return {IN_CUE: [self.cue], IN_CONT: [self.content]}


def _sizes(C, N, n, dt, sim, prefix: str = "") -> tuple:
    C = validation.integer(f"{prefix}cueSize", C, lo=1, hi=1_000_000)
    N = validation.integer(f"{prefix}contSize", N, lo=1, hi=1_000_000)
    if n is not None and validation.integer(f"{prefix}dgInputSize", n, lo=1) != cue_width(C):
        raise ValidationError(f"{prefix}dgInputSize", n, f"must be ceil(log2(cueSize + 1)) = {cue_width(C)}")
    dt = validation.positive(f"{prefix}timestep", dt)
    if validation.steps(f"{prefix}simTime", sim, dt) == 0:
        raise ValidationError(f"{prefix}simTime", sim, "must be > 0")
    return C, N, cue_width(C), dt, float(sim)


def _required(d: dict, keys, source: str) -> None:
    missing = [k for k in keys if k not in d]
    if missing:
        raise ValidationError(source, missing, "missing keys")


def parse_recording(d: dict, source: str = "input") -> Stimulus:
    """The shared JSON layout."""
    if not isinstance(d, dict):
        raise ValidationError(source, type(d).__name__, "must be a JSON object")
    _required(d, ("cueSize", "contSize", "timestep_ms", "simTime_ms", "input_spike_times_ms"), source)
    C, N, n, dt, sim = _sizes(d["cueSize"], d["contSize"], d.get("dgInputSize"), d["timestep_ms"], d["simTime_ms"])
    entries = validation.sequence("input_spike_times_ms", d["input_spike_times_ms"])
    if len(entries) != n + N:
        raise ValidationError("input_spike_times_ms", len(entries), f"must hold n + N = {n + N} input neurons")
    for k, e in enumerate(entries):
        validation.mapping(f"input_spike_times_ms[{k}]", e)
        if "spike_times_ms" not in e:
            raise ValidationError(f"input_spike_times_ms[{k}]", "spike_times_ms", "missing key")
        if e.get("neuron", k) != k:
            raise ValidationError(f"input_spike_times_ms[{k}].neuron", e.get("neuron"), f"must be {k} (network order)")
    trains = validation.spike_trains("input_spike_times_ms", [e["spike_times_ms"] for e in entries], n + N, dt)
    recorded = None
    if isinstance(d.get("recorded_spikes"), dict):
        recorded = {pop: v.get("spikes_t_ms_neuron", []) for pop, v in d["recorded_spikes"].items() if isinstance(v, dict)}
    return Stimulus(C, N, dt, sim, trains[:n], trains[n:], str(d.get("title", "")), recorded)


def parse_authors(d: dict, source: str = "input") -> Stimulus:
    """The authors' result-file dict (data/*.txt, after ast.literal_eval)."""
    if not isinstance(d, dict):
        raise ValidationError(source, type(d).__name__, "must be a dict literal")
    _required(d, ("cueSize", "timeStep", "simTime", "variables"), source)
    if "memSize" not in d and "contSize" not in d:
        raise ValidationError(source, ["memSize"], "missing keys")
    C, N, n, dt, sim = _sizes(d["cueSize"], d.get("memSize", d.get("contSize")), None, d["timeStep"], d["simTime"])
    spikes = {}
    for k, var in enumerate(validation.sequence("variables", d["variables"])):
        validation.mapping(f"variables[{k}]", var)
        if var.get("type") == "spikes":
            spikes[var.get("popNameShort")] = var.get("data")
    if "IL" not in spikes:
        raise ValidationError("variables", "IL", "no input layer spikes (type 'spikes', popNameShort 'IL')")
    trains = validation.spike_trains("variables.IL.data", spikes["IL"], n + N, dt)
    recorded = {}
    for short, data in spikes.items():
        if short in AUTHOR_NAMES and isinstance(data, list):
            recorded[AUTHOR_NAMES[short]] = _pairs(data)
        elif short == "OL" and isinstance(data, list):
            recorded[OUT_CUE], recorded[OUT_CONT] = _pairs(data[:n]), _pairs(data[n:])
    return Stimulus(C, N, dt, sim, trains[:n], trains[n:], str(d.get("networkName", "")), recorded)


def _pairs(trains) -> list:
    """Per-neuron spike lists -> [[t, i], ...] sorted by time, then neuron (the JSON layout)."""
    out = [[_ms(t), i] for i, ts in enumerate(trains) if isinstance(ts, list) for t in ts]
    return sorted(out, key=lambda p: (p[0], p[1]))


def _ms(t):
    return int(t) if float(t).is_integer() else float(t)


def load_stimulus(path) -> Stimulus:
    """A recording in either format: JSON, else one Python literal (ast.literal_eval)."""
    text = read_text(path, "input")
    try:
        return parse_recording(json.loads(text), str(path))
    except (json.JSONDecodeError, RecursionError):
        pass
    except ValueError as e:
        if isinstance(e, ValidationError):
            raise
        raise FormatError(f"{path}: JSON this reader refuses ({str(e)[:80]})") from None
    if len(text) > MAX_LITERAL_CHARS:
        raise FormatError(f"{path}: {len(text)} characters, more than a result file holds ({MAX_LITERAL_CHARS})")
    try:
        d = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise FormatError(f"{path}: neither JSON nor one Python literal (the authors' data/*.txt format): "
                          f"{type(e).__name__}") from None
    return parse_authors(d, str(path))


def recording_dict(stim: Stimulus, result, trial: int = 0, backend: str = "reference") -> dict:
    """The shared JSON layout and names: the input in network order and every recorded population."""
    n = stim.n
    entries = [{"neuron": i, "role": "cue_bit", "bit": i, "spike_times_ms": [_ms(t) for t in ts]}
               for i, ts in enumerate(stim.cue)]
    entries += [{"neuron": n + j, "role": "content_bit", "bit": j, "spike_times_ms": [_ms(t) for t in ts]}
                for j, ts in enumerate(stim.content)]
    return {"source": f"spikemem replay ({backend} backend)", "title": stim.title, "cueSize": stim.C,
            "contSize": stim.N, "dgInputSize": n, "timestep_ms": _ms(stim.dt), "simTime_ms": _ms(stim.sim_time_ms),
            "input_spike_times_ms": entries,
            "recorded_spikes": {pop: {"size": result.sizes[pop], "spikes_t_ms_neuron": result.spike_list(pop, trial)}
                                for pop in RECORDED}}


def write_recording(path, record: dict) -> None:
    atomic_write_text(path, json.dumps(record, indent=1, allow_nan=False))
