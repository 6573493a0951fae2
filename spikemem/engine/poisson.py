"""SpikeSourcePoisson: spikes drawn from a counter-based generator, identically on every engine
and device (docs/sources.md).

Neuron i of a Poisson population spikes at step s of trial b when
    h = mix(mix(base[b, i] ^ mix(s ^ STEP_KEY)) ^ OUT_KEY) < floor(p_i 2^32),
p_i = rate_i dt / 1000, base[b, i] = mix(mix(mix(mix(seed) ^ population) ^ b) ^ i), and s lies in
the neuron's [start, start + duration). mix is Wellons' lowbias32 on 32-bit words. Every
operation is an integer one whose intermediate values stay below 2^49 (a 32-bit multiply is done
as two 16 x 32 bit halves), so numpy and torch, on the CPU or a GPU, give the same bits: the
same trains for the same seed everywhere, one step at a time (a live session's windows draw what
one run draws) or all at once for the PyNN simulators (trains()).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..description import realisation, validation
from ..description.random import RandomDistribution

M32 = 0xFFFFFFFF
STEP_KEY, OUT_KEY, SEED_KEY = 0x9E3779B9, 0x85EBCA6B, 0x27D4EB2F


def mul32(x, c: int):
    """x * c mod 2^32 for 32-bit x (an array of int64, numpy or torch) and a 32-bit constant c."""
    return (((((x >> 16) * c) & 0xFFFF) << 16) + (x & 0xFFFF) * c) & M32


def mix(x):
    """lowbias32: a bijection of 32-bit words whose output bits depend on every input bit."""
    x = x ^ (x >> 16)
    x = mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def seed_word(seed: int, population: str) -> int:
    """The 32-bit key of one population's stream (its seed folded with its name)."""
    h = mix((seed & M32) ^ SEED_KEY)
    h = mix(h ^ ((seed >> 32) & M32))
    return mix(h ^ zlib.crc32(population.encode()))


def step_word(step: int) -> int:
    return mix((int(step) & M32) ^ STEP_KEY)


@dataclass
class PoissonBlock:
    """One Poisson population, flattened: its place among all neurons and per-neuron numbers."""

    name: str
    offset: int             # in the all-neuron index space
    size: int
    key: int                # seed_word(seed, name)
    threshold: np.ndarray   # (size,) int64: floor(p 2^32)
    first: np.ndarray       # (size,) int64: first active step
    stop: np.ndarray        # (size,) int64: first step after the active ones


def block(pop, offset: int, dt: float) -> PoissonBlock:
    """The PoissonBlock of a population with a SpikeSourcePoisson cell."""
    rate = realisation.neuron_values(pop, "rate")
    start = realisation.neuron_values(pop, "start")
    duration = realisation.neuron_values(pop, "duration")
    p = rate * dt / 1000.0
    threshold = np.floor(np.minimum(p, 1.0) * 2.0**32).astype(np.int64)
    return PoissonBlock(pop.name, offset, pop.size, seed_word(pop.cell.seed, pop.name), threshold,
                        _first_step(start, dt), _first_step(start + duration, dt))


def _first_step(t_ms: np.ndarray, dt: float) -> np.ndarray:
    """The first step s with s dt >= t (within the grid tolerance; an infinite t: never)."""
    n = np.asarray(t_ms, dtype=float) / dt
    big = ~np.isfinite(n) | (n > validation.MAX_STEPS)
    k = np.ceil(np.where(big, 0.0, n) - validation.GRID_TOL * np.maximum(1.0, np.abs(np.where(big, 0.0, n))))
    return np.where(big, validation.MAX_STEPS + 1, k).astype(np.int64)


def _draw(base, step: int, threshold):
    """bool array: which (trial, neuron) of `base` spike at `step` (threshold already masked)."""
    return mix(mix(base ^ step_word(step)) ^ OUT_KEY) < threshold


def bases(b: PoissonBlock, trials, neurons):
    """base words for trial and neuron index arrays (broadcast), numpy or torch alike."""
    return mix(mix(b.key ^ trials) ^ neurons)


class PoissonSources:
    """The Poisson populations of a FlatNetwork in an engine: draw(t) gives step t's spikes as
    (trials, all-neuron indices), population by population, trials in order."""

    def __init__(self, blocks: list, batch: int, ops):
        self.ops, self.blocks = ops, blocks
        self.base = [ops.ints(np.asarray(bases(b, np.arange(batch, dtype=np.int64)[:, None],
                                               np.arange(b.size, dtype=np.int64)[None, :]))) for b in blocks]
        self.threshold = [ops.ints(b.threshold) for b in blocks]
        self.zero = [ops.zeros_int((b.size,)) for b in blocks]
        self.none = ops.index(np.zeros(0, dtype=np.int64))

    def draw(self, t: int) -> tuple:
        ops, trials, neurons = self.ops, [], []
        for b, base, thr, zero in zip(self.blocks, self.base, self.threshold, self.zero):
            on = (b.first <= t) & (t < b.stop)
            if not on.any():
                continue
            fired = _draw(base, t, thr if on.all() else ops.where(ops.index(on) > 0, thr, zero))
            fb, fi, _, _ = ops.step_spikes(fired, self.none, self.none)
            trials.append(fb)
            neurons.append(fi + b.offset)
        if not trials:
            return self.none, self.none
        return (trials[0], neurons[0]) if len(trials) == 1 else (ops.cat(trials), ops.cat(neurons))


def trains(b: PoissonBlock, trials, steps: int, chunk: int = 1 << 22) -> tuple:
    """(trial, step, neuron) of every spike of population block b over `steps` steps for the given
    trial indices: the engine's draws, on the host in numpy."""
    trials = np.asarray(trials, dtype=np.int64)
    out = ([], [], [])
    if not b.size or not len(trials) or not steps:
        return tuple(np.zeros(0, dtype=np.int64) for _ in out)
    base = bases(b, trials[:, None], np.arange(b.size, dtype=np.int64)[None, :])
    lo, hi = int(max(0, b.first.min())), int(min(steps, b.stop.max()))
    per = max(1, chunk // (len(trials) * b.size))
    for s0 in range(lo, hi, per):
        for s in range(s0, min(hi, s0 + per)):
            on = (b.first <= s) & (s < b.stop)
            k, i = np.nonzero(_draw(base, s, np.where(on, b.threshold, 0)))
            out[0].append(trials[k])
            out[1].append(np.full(len(k), s, dtype=np.int64))
            out[2].append(i.astype(np.int64))
    if not out[0]:
        return tuple(np.zeros(0, dtype=np.int64) for _ in out)
    return tuple(np.concatenate(x) for x in out)


def expected_spikes_per_step(pop, dt: float) -> float:
    """At most the mean number of spikes a Poisson population fires per step and trial, while
    active, without drawing its rates (a distribution counts at its highest rate)."""
    rate = pop.cell.rate
    if isinstance(rate, RandomDistribution):
        return pop.size * min(rate.support[1] * dt / 1000.0, 1.0)
    p = np.minimum(np.asarray(rate, dtype=float) * dt / 1000.0, 1.0)
    return float(p.sum()) if p.ndim else float(p) * pop.size


def events(network, batch: int, steps: int | None, trials=None) -> dict:
    """{population: SpikeEvents} of every SpikeSourcePoisson over `steps` steps (None: to the end of
    every source's duration, which must be finite) of `batch` trials, or of the given trial indices
    (numbered 0.. in the events): the trains the engines draw, for backends that take spike arrays
    (the PyNN simulators)."""
    from ..errors import UnsupportedFeature
    from .inputs import SpikeEvents
    dt, out = network.simulation.dt, {}
    trials = np.arange(batch) if trials is None else np.asarray(trials, dtype=np.int64)
    for p in network.populations:
        if p.cell.kind != "SpikeSourcePoisson":
            continue
        b = block(p, 0, dt)
        n = steps
        if n is None:
            if b.size and b.stop.max() > validation.MAX_STEPS:
                raise UnsupportedFeature(f"{p.name}: a SpikeSourcePoisson without an end (duration=inf) cannot be "
                                         "drawn ahead of an open-ended session; give it a duration")
            n = int(b.stop.max()) if b.size else 0
        trial, step, neuron = trains(b, trials, n)
        index = np.searchsorted(trials, trial) if len(trials) and np.all(np.diff(trials) > 0) else \
            np.array([int(np.flatnonzero(trials == t)[0]) for t in trial], dtype=np.int64)
        out[p.name] = SpikeEvents.from_arrays(index, step, neuron, p.size, len(trials), f"{p.name}.poisson")
    return out
