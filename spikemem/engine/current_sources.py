"""The current the network's current sources inject at each step, for the engine's neuron models.

The schedule is computed on the host in numpy, one step at a time and vectorized over the
neurons (trials too for NoisyCurrentSource), and handed to every model as its `inject` hook
(spikemem.engine.neuron_models.NeuronModel), which adds it where the cell adds i_offset. So
numpy and torch see the same numbers, and a live session's windows what one run sees.

Step t (the interval [t dt, (t + 1) dt)) carries (docs/sources.md, "Current sources"):
  DCSource           amplitude where start <= t dt < stop
  StepCurrentSource  amplitudes[k], k the last with times[k] <= t dt (0 before times[0])
  ACSource           offset + amplitude sin(2 pi f (t dt - start) / 1000 + phase pi / 180)
                     where start <= t dt < stop
  NoisyCurrentSource mean + stdev z[trial, neuron, floor(t dt / dt_noise)] where start <= t dt < stop
Under numerics="fixed" each value is s16.15 bits as sPyNNaker writes the parameters (DC and
step amplitudes; the noise's mean + stdev z with the accum product truncated) and the sources
add as integers (current_source_impl.h); an ACSource is refused there (sPyNNaker's sink()).
"""
from __future__ import annotations

import math

import numpy as np

from ..description import validation
from ..errors import UnsupportedFeature, ValidationError
from . import fixed_point as fx
from .poisson import OUT_KEY, mix, seed_word, step_word

NEVER = validation.MAX_STEPS + 1
Z_MAX = 9.0             # |z| of a Box-Muller normal from 53-bit uniforms stays below 8.6
V_LIMIT = 1e300         # mV
TWO53 = float(2**53)


def _step(t_ms: float, dt: float) -> int:
    return NEVER if t_ms == math.inf else validation.steps("time", t_ms, dt)


def _u53(hi, lo) -> np.ndarray:
    """A uniform in (0, 1] from two 32-bit words (53 bits)."""
    return (((hi >> 11) << 32) + lo + 1).astype(np.float64) / TWO53


def normals(key: int, trials: np.ndarray, neurons: np.ndarray, draw: int) -> np.ndarray:
    """(len(trials), len(neurons)) standard normals of draw number `draw`: Box-Muller on four
    lowbias32 words of (key, trial, neuron, draw), in float64 numpy (the same bits everywhere)."""
    base = mix(mix(np.int64(key) ^ trials.astype(np.int64)[:, None]) ^ neurons.astype(np.int64)[None, :])
    w1 = mix(base ^ step_word(draw))
    w2 = mix(w1 ^ OUT_KEY)
    w3 = mix(w2 ^ OUT_KEY)
    w4 = mix(w3 ^ OUT_KEY)
    u1 = _u53(w1, w2)
    u2 = _u53(w3, w4)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


class _Part:
    """One injection: its flat neuron indices and its window in steps."""

    def __init__(self, k, inj, pop, offset, dt, fixed, gain):
        src = inj.source
        self.kind, self.src, self.fixed = src.kind, src, fixed
        self.local = inj.targets(pop.size)
        self.idx = offset + self.local
        where = f"current_sources[{k}]"
        if src.kind == "StepCurrentSource":
            self.times = np.array([_step(t, dt) for t in src.times], dtype=np.int64)
            amps = [self._word(a, f"{where}.source.amplitudes") for a in src.amplitudes]
            self.amps = np.array(amps, dtype=np.int64 if fixed else float)
            self.first, self.stop = (int(self.times[0]) if len(self.times) else NEVER), NEVER
        else:
            self.first, self.stop = _step(src.start, dt), _step(src.stop, dt)
        if src.kind == "DCSource":
            self.value = self._word(src.amplitude, f"{where}.source.amplitude")
        if src.kind == "ACSource":
            if fixed:
                raise UnsupportedFeature(f"{where}.source: an ACSource under numerics='fixed' (sPyNNaker computes it "
                                         "with its sink() table, which is not modelled; current_source.ac.fixed)")
            self.omega = 2.0 * math.pi * src.frequency * dt / 1000.0
            self.phi = src.phase * math.pi / 180.0
        if not fixed:
            self._check_range(where, gain[self.idx] if len(self.idx) else np.ones(1))
        if src.kind == "NoisyCurrentSource":
            self.every = 1 if src.dt is None else validation.steps(f"{where}.source.dt", src.dt, dt)
            self.key = seed_word(src.seed, f"{pop.name}/current/{k}")
            if fixed:
                self.mean = fx.s1615(src.mean, f"{where}.source.mean")
                self.stdev = fx.s1615(src.stdev, f"{where}.source.stdev")

    def peak(self) -> float:
        """The largest |current| the source can inject (nA; a normal draw stays within 9 sigma)."""
        s = self.src
        return {"DCSource": lambda: abs(s.amplitude), "StepCurrentSource": lambda: max(map(abs, s.amplitudes), default=0.0),
                "ACSource": lambda: abs(s.offset) + abs(s.amplitude),
                "NoisyCurrentSource": lambda: abs(s.mean) + Z_MAX * s.stdev}[self.kind]()

    def _check_range(self, where, gain) -> None:
        """Refuse a current whose mV (times R, or dt/cm a step) leave the float range: V would
        reach infinity, fire and reset, silently."""
        if not self.peak() * float(np.max(gain)) < V_LIMIT:
            raise ValidationError(f"{where}.source", self.peak(), "injects a current that drives V out of the "
                                                                  "float range (|current| x R)")

    def _word(self, value, field):
        return fx.s1615(value, field) if self.fixed else float(value)

    def constant(self, t: int):
        """This step's value for DC and step sources (one number)."""
        if self.kind == "DCSource":
            return self.value if self.first <= t < self.stop else 0
        k = int(np.searchsorted(self.times, t, side="right")) - 1
        return self.amps[k] if k >= 0 else 0

    def changes(self) -> list:
        """Steps at which a DC or step source's value may change."""
        return [self.first, self.stop] if self.kind == "DCSource" else self.times.tolist()

    def varying(self, t: int, trials):
        """This step's value for AC (one number) and noisy sources ((trials, targets))."""
        if self.kind == "ACSource":
            return self.src.offset + self.src.amplitude * math.sin(self.omega * (t - self.first) + self.phi)
        z = normals(self.key, trials, self.local, t // self.every)
        if self.fixed:
            zb = np.round(z * fx.ONE).astype(np.int64)
            return self.mean + ((self.stdev * zb) >> fx.FRAC_BITS)
        return self.src.mean + self.src.stdev * z


class CurrentSchedule:
    """at(t): the (1 or batch, n_if) current of step t (float nA, or s16.15 bits under fixed
    numerics), or None where no source injects anything at t."""

    def __init__(self, c, batch: int):
        self.fixed = c.numerics == "fixed"
        self.n, self.B = c.n_if, batch
        self.trials = np.arange(batch, dtype=np.int64)
        p = c.params
        gain = np.maximum.reduce([np.abs(p["R"]), np.abs(p["drift_gain"]), np.ones(c.n_if)])   # mV per nA, at most
        parts = [_Part(k, inj, pop, c.offsets[pop.name], c.dt, self.fixed, gain)
                 for k, (inj, pop) in enumerate(c.currents)]
        self.constant = [p for p in parts if p.kind in ("DCSource", "StepCurrentSource")]
        self.varying = [p for p in parts if p.kind not in ("DCSource", "StepCurrentSource")]
        self.change_steps = sorted({s for p in self.constant for s in p.changes()})
        self.dtype = np.int64 if self.fixed else np.float64
        self._base, self._base_at, self._base_version = None, None, None
        self._counter = 0
        self.version = None       # identifies the array at() last returned (None: no current)

    def _constant(self, t: int):
        """The DC and step sources' sum at t, recomputed only where one may change."""
        k = int(np.searchsorted(self.change_steps, t, side="right"))
        if self._base_at != k:
            vec = np.zeros((1, self.n), dtype=self.dtype)
            for p in self.constant:
                v = p.constant(t)
                if v:
                    vec[0, p.idx] += v
            self._base = vec if vec.any() else None
            self._base_at = k
            self._counter += 1
            self._base_version = self._counter
        self.version = None if self._base is None else self._base_version
        return self._base

    def at(self, t: int):
        base = self._constant(t)
        active = [p for p in self.varying if p.first <= t < p.stop]
        if not active:
            return base
        out = np.zeros((self.B if any(p.kind == "NoisyCurrentSource" for p in active) else 1, self.n),
                       dtype=self.dtype)
        if base is not None:
            out += base
        for p in active:
            out[:, p.idx] += p.varying(t, self.trials)
        self._counter += 1
        self.version = self._counter
        return out


def inject_targets(neurons) -> list:
    """(model, lo, hi) of every neuron model that takes injected current, or refused by name."""
    models = getattr(neurons, "models", None)
    if models is not None:
        return [(m, m.lo, m.hi) for m in models]
    if not hasattr(neurons, "inject"):
        raise UnsupportedFeature(f"current sources: the {type(neurons).__name__} membrane has no injected-current "
                                 "input (current_source.*); use the reference or torch backend")
    lo = getattr(neurons, "lo", 0)
    return [(neurons, lo, lo + neurons.n)]


def injection_values(net, k: int, first: int, stop: int, trial: int = 0, neuron: int = 0) -> np.ndarray:
    """The float current (nA) that the network's k-th injection gives its target `neuron` (an index
    in its population) of trial `trial` in steps [first, stop): what spikemem.pynn records of a
    current source."""
    inj = net.current_sources[k]
    pop = net.population(inj.population)
    part = _Part(k, inj, pop, 0, net.simulation.dt, False, np.ones(pop.size))
    steps = np.arange(first, stop)
    if part.kind in ("DCSource", "StepCurrentSource"):
        return np.array([float(part.constant(int(t))) for t in steps])
    out = np.zeros(len(steps))
    j = int(np.flatnonzero(part.local == neuron)[0])
    trials = np.array([trial], dtype=np.int64)
    for i, t in enumerate(steps):
        if part.first <= t < part.stop:
            v = part.varying(int(t), trials)
            out[i] = v if np.ndim(v) == 0 else v[0, j]
    return out
