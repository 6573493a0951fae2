"""Versioned JSON for Networks. A file of another major version or with a missing field is refused.

1.1 adds simulation.numerics and populations[].max_expected_summed_weight; 1.0 files (which
have neither) still load, as numerics="float" and no override.
1.2 adds the random connectors (their rule and seed, never the realised lists), random
distributions (a dict with "distribution", "parameters" and "seed") as weights, delays and cell
values, per-neuron lists for every cell value, SpikeSourcePoisson, multiplicative STDP
("stdp_pair_multiplicative"), the convolution connectors, the cell kinds IF_cond_exp,
IF_curr_alpha and Izhikevich, and the optional recording entries gsyn_exc, gsyn_inh and
sampling_interval (written only when used, so the recording of other networks is written as
before), and current_sources (a list of {"source": {"kind": "DCSource" | "StepCurrentSource" |
"ACSource" | "NoisyCurrentSource", ...}, "population", "neurons": null or indices}, written only
when the network has some); 1.0 and 1.1 files read as before.
"""
from __future__ import annotations

import contextlib
import json

import numpy as np

from ..description import validation
from ..description.cells import cell_from_dict
from ..description.connectors import connector_from_dict
from ..description.current_sources import CurrentInjection
from ..description.plasticity import STDP
from ..description.random import RandomDistribution
from ..errors import FormatError, ValidationError
from ..files import atomic_write_text, read_json

FORMAT = "spikemem.network"
VERSION = "1.2"


def _value(v):
    if isinstance(v, RandomDistribution):
        return v.to_dict()
    return v.tolist() if isinstance(v, np.ndarray) else v


def _read_value(v, field: str):
    """A weight or delay as the file holds it: a number, nested lists, or a distribution's dict."""
    return RandomDistribution.from_dict(v, field) if isinstance(v, dict) else v


def network_to_dict(net) -> dict:
    out = {
        "format": FORMAT,
        "version": VERSION,
        "name": net.name,
        "simulation": {"dt": net.simulation.dt, "scheme": net.simulation.scheme,
                       "numerics": net.simulation.numerics},
        "recording": _recording_to_dict(net.recording),
        "populations": [{"name": p.name, "size": p.size, "cell": p.cell.to_dict(),
                         "max_expected_summed_weight": None if p.max_expected_summed_weight is None
                         else list(p.max_expected_summed_weight)} for p in net.populations],
        "projections": [{
            "name": pr.name, "pre": pr.pre, "post": pr.post, "connector": pr.connector.to_dict(),
            "weight": _value(pr.weight), "delay": _value(pr.delay), "receptor": pr.receptor,
            "plasticity": None if pr.plasticity is None else pr.plasticity.to_dict(),
        } for pr in net.projections],
    }
    if net.current_sources:                  # only when used: other files stay as they were
        out["current_sources"] = [inj.to_dict() for inj in net.current_sources]
    return out


def _recording_to_dict(rec) -> dict:
    out = {"spikes": None if rec.spikes is None else list(rec.spikes), "v": list(rec.v), "weights": list(rec.weights)}
    for key in OPTIONAL_RECORDING:            # only when used: files without them stay as they were
        value = getattr(rec, key)
        if value:
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


OPTIONAL_RECORDING = ("gsyn_exc", "gsyn_inh", "sampling_interval")


def _get(d: dict, key: str, where: str):
    if not isinstance(d, dict) or key not in d:
        raise FormatError(f"missing field '{where}{key}'")
    return d[key]


@contextlib.contextmanager
def _named(owner):
    """A cell, connector or plasticity error names the population or projection it belongs to."""
    try:
        yield
    except ValidationError as e:
        raise e.within(owner) from None


def network_from_dict(d: dict, source: str = "network"):
    from ..description.network import (
        Network,
        Population,
        Projection,
        Recording,
        Simulation,
    )

    if not isinstance(d, dict) or "format" not in d:
        what = "a CA3 recording" if isinstance(d, dict) and "input_spike_times_ms" in d else "a JSON file"
        raise FormatError(f"{source}: {what}, not a spikemem network file (no 'format': {FORMAT!r} field)")
    if d["format"] != FORMAT:
        raise FormatError(f"format={d['format']!r}: not a spikemem network file")
    version = _get(d, "version", "")
    if not isinstance(version, str):
        raise FormatError(f"version={version!r}: must be a string such as {VERSION!r}")
    major = version.split(".")[0]
    if major != VERSION.split(".")[0]:
        raise FormatError(f"version={version!r}: this spikemem reads major version {VERSION.split('.')[0]}")
    minor = int(version.split(".")[1]) if version.count(".") == 1 and version.split(".")[1].isdigit() else 0
    since_1_1 = (lambda obj, key, where, default: _get(obj, key, where) if minor >= 1 else default)
    sim = _get(d, "simulation", "")
    rec = _get(d, "recording", "")
    pops = []
    for p in validation.sequence("populations", _get(d, "populations", "")):
        name = _get(p, "name", "populations[].")
        with _named(name):
            cell = cell_from_dict(_get(p, "cell", "populations[]."))
        pops.append(Population(name, _get(p, "size", "populations[]."), cell,
                               since_1_1(p, "max_expected_summed_weight", "populations[].", None)))
    projs = []
    for pr in validation.sequence("projections", _get(d, "projections", "")):
        w = "projections[]."
        plast, name = _get(pr, "plasticity", w), _get(pr, "name", w)
        with _named(name):
            connector = connector_from_dict(_get(pr, "connector", w))
            plasticity = None if plast is None else STDP.from_dict(plast)
            weight = _read_value(_get(pr, "weight", w), "weight")
            delay = _read_value(_get(pr, "delay", w), "delay")
        projs.append(Projection(
            name=name, pre=_get(pr, "pre", w), post=_get(pr, "post", w), connector=connector,
            weight=weight, delay=delay, receptor=_get(pr, "receptor", w), plasticity=plasticity))
    currents = []
    for k, inj in enumerate(validation.sequence("current_sources", d.get("current_sources", []))):
        with _named(f"current_sources[{k}]"):
            currents.append(CurrentInjection.from_dict(inj))
    return Network(
        populations=pops, projections=projs, name=_get(d, "name", ""), current_sources=currents,
        simulation=Simulation(dt=_get(sim, "dt", "simulation."), scheme=_get(sim, "scheme", "simulation."),
                              numerics=since_1_1(sim, "numerics", "simulation.", "float")),
        recording=Recording(spikes=_get(rec, "spikes", "recording."), v=_get(rec, "v", "recording."),
                            weights=_get(rec, "weights", "recording."),
                            **{k: rec[k] for k in OPTIONAL_RECORDING if k in rec}))


def save_network(net, path) -> None:
    atomic_write_text(path, json.dumps(network_to_dict(net), indent=1))   # IFCurrDelta(tau_m=inf) writes Infinity


def load_network(path):
    return network_from_dict(read_json(path, "network"), str(path))
