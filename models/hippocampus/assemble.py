"""What every builder of the family shares: size checks, the per-name overrides of a params
object, and the Network with its recording."""
from __future__ import annotations

from dataclasses import replace

from spikemem import Network, Recording, Simulation, ValidationError
from spikemem.description import validation


def size(field: str, value, lo: int = 1) -> int:
    return validation.integer(field, value, lo=lo, hi=1_000_000)


def _override(items, attr: str, pairs, field: str) -> list:
    """Replace `attr` of the named populations/projections; an unknown name is an error."""
    by_name = {x.name: i for i, x in enumerate(items)}
    items = list(items)
    for name, value in pairs:
        if name not in by_name:
            raise ValidationError(field, name, f"unknown name (known: {sorted(by_name)})")
        items[by_name[name]] = replace(items[by_name[name]], **{attr: value})
    return items


def network(name: str, pops, projs, p, spikes: tuple, v: tuple = (), weights: tuple = ()) -> Network:
    """The Network of a params object `p` (its dt, scheme, numerics and per-name overrides)."""
    pops = _override(pops, "cell", p.cells, "cells")
    projs = _override(_override(projs, "delay", p.delays, "delays"), "weight", p.weights, "weights")
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
