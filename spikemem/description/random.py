"""Random distributions for per-synapse weights and delays and per-neuron cell values (PyNN's
RandomDistribution, with its own seed): a frozen description, realised deterministically by
spikemem.description.realisation when a network is flattened or lowered (docs/connectivity.md).

The realisation of one use is keyed by the distribution's seed and by what it fills (for example
("weight", projection name)), so two projections with the same seed still get different values
and the same description gives the same values on every backend.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import ValidationError
from . import validation

# name -> its parameters, in PyNN's names and order
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mu", "sigma"),
    "normal_clipped": ("mu", "sigma", "low", "high"),
    "exponential": ("beta",),
}
MIN_MASS = 1e-3       # normal_clipped: the least probability [low, high] may hold (resampling ends)
MAX_SEED = 2**63 - 1


def generator(seed: int, *key) -> np.random.Generator:
    """numpy's PCG64 seeded from a seed and a key of names and numbers: the one stream every
    realisation of spikemem draws from (stable across platforms and numpy versions)."""
    words = [seed & 0xFFFFFFFF, seed >> 32]
    for part in key:
        words.append(zlib.crc32(part.encode()) if isinstance(part, str) else int(part) & 0xFFFFFFFF)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


@dataclass(frozen=True, init=False)
class RandomDistribution:
    """RandomDistribution("uniform", low=0.0, high=1.0, seed=3) and likewise "normal" (mu, sigma),
    "normal_clipped" (mu, sigma, low, high: values outside [low, high] are drawn again, as PyNN
    does) and "exponential" (beta, the mean)."""

    distribution: str
    parameters: tuple          # ((name, value), ...) in DISTRIBUTIONS order
    seed: int

    def __init__(self, distribution: str, seed: int = 0, **parameters):
        name = validation.choice("distribution", distribution, set(DISTRIBUTIONS))
        want = DISTRIBUTIONS[name]
        if set(parameters) != set(want):
            raise ValidationError(f"{name}.parameters", sorted(parameters, key=str), f"must be exactly {list(want)}")
        values = {k: validation.finite(f"{name}.{k}", parameters[k]) for k in want}
        seed = validation.integer(f"{name}.seed", seed, lo=0, hi=MAX_SEED)
        object.__setattr__(self, "distribution", name)
        object.__setattr__(self, "parameters", tuple((k, values[k]) for k in want))
        object.__setattr__(self, "seed", seed)
        self._check()

    def __getattr__(self, item):        # dist.low, dist.sigma, ...
        for k, v in object.__getattribute__(self, "parameters"):
            if k == item:
                return v
        raise AttributeError(item)

    def _check(self) -> None:
        p, name = dict(self.parameters), self.distribution
        if name == "uniform" and not p["low"] <= p["high"]:
            raise ValidationError("uniform.high", p["high"], f"must be >= low={p['low']}")
        if name in ("normal", "normal_clipped"):
            validation.non_negative(f"{name}.sigma", p["sigma"])
        if name == "normal_clipped":
            if not p["low"] < p["high"]:
                raise ValidationError("normal_clipped.high", p["high"], f"must be > low={p['low']}")
            if _normal_mass(p) < MIN_MASS:
                raise ValidationError("normal_clipped", f"[{p['low']:g}, {p['high']:g}]",
                                      f"holds less than {MIN_MASS:g} of normal(mu={p['mu']:g}, sigma={p['sigma']:g}): "
                                      "resampling would not end")
        if name == "exponential":
            validation.positive("exponential.beta", p["beta"])

    @property
    def support(self) -> tuple:
        """(lowest, highest) value a draw can take."""
        p = dict(self.parameters)
        if self.distribution == "uniform":
            return p["low"], p["high"]
        if self.distribution == "normal":
            return (p["mu"], p["mu"]) if p["sigma"] == 0 else (-math.inf, math.inf)
        if self.distribution == "normal_clipped":
            return p["low"], p["high"]
        return 0.0, math.inf

    def draw(self, n: int, *key) -> np.ndarray:
        """n float64 values from the stream (seed, *key)."""
        rng, p = generator(self.seed, *key), dict(self.parameters)
        if self.distribution == "uniform":
            return rng.uniform(p["low"], p["high"], n) if p["low"] < p["high"] else np.full(n, p["low"])
        if self.distribution == "normal":
            return rng.normal(p["mu"], p["sigma"], n)
        if self.distribution == "exponential":
            return rng.exponential(p["beta"], n)
        out, filled = np.empty(n), 0             # normal_clipped: draw again what falls outside
        while filled < n:
            want = n - filled
            x = rng.normal(p["mu"], p["sigma"], int(want / _normal_mass(p) * 1.2) + 16)
            x = x[(x >= p["low"]) & (x <= p["high"])][:want]
            out[filled:filled + len(x)] = x
            filled += len(x)
        return out

    def to_dict(self) -> dict:
        return {"distribution": self.distribution, "parameters": dict(self.parameters), "seed": self.seed}

    @classmethod
    def from_dict(cls, d, field: str = "distribution") -> "RandomDistribution":
        validation.mapping(field, d)
        unknown = set(d) - {"distribution", "parameters", "seed"}
        if unknown:
            raise ValidationError(field, sorted(unknown, key=str), "unknown fields of a random distribution")
        params = validation.mapping(f"{field}.parameters", d.get("parameters"))
        if not all(isinstance(k, str) for k in params):
            raise ValidationError(f"{field}.parameters", sorted(params, key=str), "names must be strings")
        if "seed" not in d:
            raise ValidationError(f"{field}.seed", None, "is missing")
        return cls(d.get("distribution"), d["seed"], **params)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.parameters)
        return f"RandomDistribution({self.distribution!r}, {args}, seed={self.seed})"


def _normal_mass(p: dict) -> float:
    """P(low <= X <= high) for X ~ normal(mu, sigma)."""
    if p["sigma"] == 0:
        return 1.0 if p["low"] <= p["mu"] <= p["high"] else 0.0
    z = (lambda x: 0.5 * math.erfc(-(x - p["mu"]) / (p["sigma"] * math.sqrt(2))))
    return z(p["high"]) - z(p["low"])


def is_random(value) -> bool:
    return isinstance(value, RandomDistribution)


def within(field: str, dist: RandomDistribution, lo: float | None = None, lo_open: bool = False) -> RandomDistribution:
    """Refuse a distribution that can draw below lo (or at lo, lo_open), naming the field."""
    low, _ = dist.support
    if lo is not None and (low < lo or (lo_open and low <= lo)):
        raise ValidationError(field, dist, f"can draw {low:g}; values must be {'>' if lo_open else '>='} {lo:g} "
                                           "(use uniform or normal_clipped with such a low bound)")
    return dist
