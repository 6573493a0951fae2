"""What every builder of the family shares: size checks, the per-name overrides of a params
object, and the Network with its recording."""
from __future__ import annotations

from spikemem import Network, Recording, Simulation, ValidationError
from spikemem.description import validation
from spikemem.description.overrides import override


def size(field: str, value, lo: int = 1) -> int:
    return validation.integer(field, value, lo=lo, hi=1_000_000)


def network(name: str, pops, projs, p, spikes: tuple, v: tuple = (), weights: tuple = ()) -> Network:
    """The Network of a params object `p` (its dt, scheme, numerics and per-name overrides)."""
    pops = override(pops, "cell", p.cells, "cells")
    projs = override(override(projs, "delay", p.delays, "delays"), "weight", p.weights, "weights")
    return Network(pops, projs, Simulation(dt=p.dt, scheme=p.scheme, numerics=p.numerics),
                   Recording(spikes=spikes, v=v, weights=weights), name=name)


def plastic_init(value, shape: tuple, default: float, field: str):
    """A preloaded plastic weight matrix of `shape` (nA), or the params' initial weight."""
    import numpy as np
    if value is None:
        return default
    arr = np.asarray(value, dtype=float)
    if arr.shape != shape:
        raise ValidationError(field, f"shape {arr.shape}", f"must have shape {shape}")
    return arr
