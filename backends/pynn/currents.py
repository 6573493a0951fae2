"""Current sources as PyNN electrodes (sim.DCSource(...).inject_into(pop[ids])), for one trial.

Times move with the run's stimulus shift plus the profile's current_time_steps: pyNN.nest
starts a device min_delay early and NEST's current reaches V one step after it is read, so a
PyNN time T (>= 2 dt) acts in the step the description's T - dt would (measured; docs/sources.md).
A NoisyCurrentSource goes, by default (noise="arrays"), as one StepCurrentSource per neuron
holding exactly the engines' draws of that trial, so every simulator sees the same currents;
noise="native" gives it to the simulator's own NoisyCurrentSource (its own generator:
statistically equal, not the same values).
"""
from __future__ import annotations

import math

import numpy as np

from spikemem.description import validation
from spikemem.description.features import CURRENT_FEATURES
from spikemem.engine.current_sources import normals
from spikemem.engine.poisson import seed_word
from spikemem.errors import UnsupportedFeature

NOISE = ("arrays", "native")
FOREVER_STEPS = 2**31   # a source without a stop stops after this many steps: beyond any run, and within the
                        # uint32 step count sPyNNaker writes (dc_source.py, int(stop * steps per ms))


def first_step(inj, dt: float) -> int | None:
    """The first step at which an injection acts (None: never)."""
    src = inj.source
    if src.kind == "StepCurrentSource":
        return round(src.times[0] / dt) if src.times else None
    return round(src.start / dt) if src.stop > src.start else None


def first_current_step(network) -> int | None:
    steps = [s for s in (first_step(inj, network.simulation.dt) for inj in network.current_sources) if s is not None]
    return min(steps) if steps else None


def plain_currents(network, profile, trial: int, shift: int, steps: int, noise: str = "arrays") -> list:
    """[{"kind", "population", "neurons" (None: all), "params"}] in PyNN units, on the simulator's
    time axis (shifted), for trial `trial`."""
    validation.choice("noise", noise, set(NOISE))
    dt = network.simulation.dt
    move = (shift + profile.current_time_steps) * dt
    out = []
    for k, inj in enumerate(network.current_sources):
        src, pop = inj.source, network.population(inj.population)
        neurons = None if inj.neurons is None else list(inj.neurons)
        if neurons == []:
            continue                        # an injection into no neuron (PyNN has no empty view to inject into)
        if src.kind != "StepCurrentSource" and src.stop <= src.start:
            continue                        # acts in no step; pyNN.brian2 would keep a DC with stop == start on
        # an Izhikevich population takes the simulator's current units, as its i_offset (lowering.py)
        scale = profile.izhikevich_current_scale if pop.cell.kind == "Izhikevich" else 1.0
        at = (lambda t: _ms(t + move))
        end = (lambda t: _ms(FOREVER_STEPS * dt) if t == math.inf else at(t))
        if src.kind == "DCSource":
            params = {"amplitude": src.amplitude * scale, "start": at(src.start), "stop": end(src.stop)}
        elif src.kind == "StepCurrentSource":
            params = {"times": [at(t) for t in src.times], "amplitudes": [a * scale for a in src.amplitudes]}
        elif src.kind == "ACSource":
            params = {"amplitude": src.amplitude * scale, "offset": src.offset * scale, "frequency": src.frequency,
                      "phase": src.phase, "start": at(src.start), "stop": end(src.stop)}
        elif noise == "native":
            params = {"mean": src.mean * scale, "stdev": src.stdev * scale, "start": at(src.start), "stop": end(src.stop),
                      "dt": dt if src.dt is None else src.dt}
        else:
            out.extend(_noise_steps(k, inj, pop, dt, trial, steps, at, scale))
            continue
        out.append({"kind": src.kind, "population": pop.name, "neurons": neurons, "params": params})
    return out


def _ms(t: float) -> float:
    return float(np.round(t, 9))        # the decimal grid (as lowering.stimulus rounds spike times)


def _noise_steps(k, inj, pop, dt, trial, steps, at, scale=1.0) -> list:
    """One StepCurrentSource per target neuron with the engines' draws of `trial` over the run."""
    src = inj.source
    every = 1 if src.dt is None else round(src.dt / dt)
    first = round(src.start / dt)
    stop = steps if src.stop == math.inf else min(steps, round(src.stop / dt))
    if stop <= first:
        return []
    changes = [s for s in range(first, stop) if s == first or s % every == 0]
    local = inj.targets(pop.size)
    key = seed_word(src.seed, f"{pop.name}/current/{k}")
    values = np.stack([src.mean + src.stdev * normals(key, np.array([trial]), local, s // every)[0] for s in changes])
    times = [at(s * dt) for s in changes]
    if stop < steps:
        times.append(at(stop * dt))
        values = np.vstack([values, np.zeros((1, len(local)))])
    return [{"kind": "StepCurrentSource", "population": pop.name, "neurons": [int(i)],
             "params": {"times": times, "amplitudes": (values[:, j] * scale).tolist()}} for j, i in enumerate(local)]


def check_currents(network, profile) -> None:
    """Refuse, by name, a current source the simulator cannot express."""
    for k, inj in enumerate(network.current_sources):
        feature = CURRENT_FEATURES[inj.source.kind]
        if feature in profile.unsupported:
            raise UnsupportedFeature(f"current_sources[{k}]: {profile.name} cannot express "
                                     f"{inj.source.kind} ({feature})")


def inject(sim, pops: dict, currents: list) -> list:
    """Create the electrodes in the current PyNN simulator and inject them; returns them."""
    made = []
    for c in currents:
        pop = pops[c["population"]]
        cls = getattr(sim, c["kind"])
        params = dict(c["params"])
        source = cls(**params)
        source.inject_into(pop if c["neurons"] is None else pop[c["neurons"]])
        made.append(source)
    return made
