"""Which neuron model runs each IF-index slice, and the raw parameters each model reads.

flatten() orders the neuron populations by model (LIF cells first, in the description's order,
so a network of IF_curr_exp / IF_curr_delta cells keeps its indices), so that every model
updates one contiguous slice of the flat arrays. The LIF cells keep their constants in the
FlatNetwork's shared params; the other models find their raw cell parameters here, one value
per neuron of their slice, and derive their own constants (spikemem.engine.neuron_models).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..description import realisation

MODEL_OF = {"IF_curr_exp": "lif", "IF_curr_delta": "lif", "IF_cond_exp": "cond", "IF_curr_alpha": "alpha",
            "Izhikevich": "izh"}
ORDER = ("lif", "cond", "alpha", "izh")
RAW = {
    "lif": (),
    "cond": ("cm", "tau_m", "tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I"),
    "alpha": ("cm", "tau_m", "tau_syn_E", "tau_syn_I"),
    "izh": ("a", "b", "c", "d", "u_init", "tau_syn_E", "tau_syn_I"),
}


@dataclass
class ModelSlice:
    """One neuron model's neurons: IF indices [lo, hi), its populations, and its raw parameters
    (arrays of hi - lo values; Izhikevich: `delta` is 1 where synapses are voltage jumps, and
    tau_syn_E/I hold 1 there)."""

    kind: str
    lo: int
    hi: int
    populations: list = field(default_factory=list)
    params: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.hi - self.lo


def by_model(if_pops: list) -> list:
    """The neuron populations grouped by model, in ORDER; the description's order within a model."""
    return sorted(if_pops, key=lambda p: ORDER.index(MODEL_OF[p.cell.kind]))


def model_slices(if_pops: list) -> list:
    """A ModelSlice per model present, in index order (if_pops as by_model gives them)."""
    out, lo = [], 0
    for kind in ORDER:
        pops = [p for p in if_pops if MODEL_OF[p.cell.kind] == kind]
        if not pops:
            continue
        size = sum(p.size for p in pops)
        params = {}
        for name in RAW[kind]:
            params[name] = np.concatenate([_values(p, name) for p in pops])
        if kind == "izh":
            params["delta"] = np.concatenate([np.full(p.size, float(p.cell.delta)) for p in pops])
        out.append(ModelSlice(kind, lo, lo + size, [p.name for p in pops], params))
        lo += size
    return out


def _values(pop, name: str) -> np.ndarray:
    """One raw value per neuron (spikemem.description.realisation: a number, a tuple or a distribution)."""
    if getattr(pop.cell, name) is None:
        return np.ones(pop.size)              # an Izhikevich voltage-jump synapse has no tau_syn
    return realisation.neuron_values(pop, name)


def columns(arr, lo: int, hi: int, n: int):
    """The exc | inh columns of neurons [lo, hi) from an array of 2 n exc | inh columns."""
    return np.concatenate([arr[..., lo:hi], arr[..., n + lo:n + hi]], axis=-1)
