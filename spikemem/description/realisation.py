"""The one place where a description's random and per-neuron parts become numbers.

Random connectors, random weights and delays and per-neuron cell values (tuples or
RandomDistributions) are realised here, deterministically from their seeds and the names of what
they fill, so the engine's flatten, the PyNN lowering, the exporters and the board-weight
statistics all see the same synapses and values (docs/connectivity.md). Everything else about a
projection (which pairs a deterministic connector holds) is the connector's own.

Delays drawn from a distribution are rounded onto the dt grid: steps = floor(d / dt + 1/2)
(nearest step, halves up); the description refuses distributions that can draw below half a step,
so every realised delay is at least one step.
"""
from __future__ import annotations

from dataclasses import fields
from types import SimpleNamespace

import numpy as np

from ..errors import ValidationError
from . import validation
from .random import RandomDistribution

NOT_VALUES = ("onset", "seed")        # cell fields that are not per-neuron values
ALIASES = {"Izhikevich": {"v_reset": "c"}}     # a model's value under the name the engine reads


def is_scalar(value) -> bool:
    """A single number (Projection keeps scalar weights and delays as float)."""
    return isinstance(value, float)


def _same(pr) -> bool:
    return pr.pre == pr.post


def n_synapses(pr, n_pre: int, n_post: int) -> int:
    """The synapses a projection's connector gives (an upper bound for FixedProbability), without
    building them; refuses a connector that does not fit the sizes."""
    if hasattr(pr.connector, "realise"):
        return pr.connector.n_synapses(n_pre, n_post, same=_same(pr))
    return pr.connector.n_synapses(n_pre, n_post)


def pairs(pr, n_pre: int, n_post: int):
    """(pre, post) index arrays, one entry per synapse."""
    if hasattr(pr.connector, "realise"):
        return pr.connector.realise(n_pre, n_post, same=_same(pr), key=(pr.name,))
    return pr.connector.pairs(n_pre, n_post)


def synapse_values(pr, what: str, pre, post, n_pre: int, n_post: int, dt: float | None = None) -> np.ndarray:
    """The weight or delay ("weight" | "delay") of every synapse (pre[k], post[k]), in ms or nA."""
    value = getattr(pr, what)
    if isinstance(value, RandomDistribution):
        drawn = value.draw(len(pre), what, pr.name)
        return drawn if what == "weight" else delays_on_grid(drawn, dt, f"{pr.name}.delay")
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(len(pre), float(arr))
    shape = pr.connector.weight_shape(n_pre, n_post)
    if arr.shape != shape:
        raise ValidationError(f"{pr.name}.{what}", f"shape {arr.shape}",
                              f"must be a scalar or have shape {shape} for {pr.connector.kind} {n_pre}->{n_post}")
    if len(shape) == 2:                    # a matrix, read at the pairs
        return arr[pre, post]
    return arr.ravel()


def delays_on_grid(values_ms, dt: float | None, field: str) -> np.ndarray:
    """Drawn delays rounded to whole steps of dt (halves up), as ms."""
    if dt is None:
        raise ValidationError(field, "a distribution", "needs the network's dt to be realised")
    steps = np.floor(np.asarray(values_ms, dtype=float) / dt + 0.5)
    if len(steps) and (steps.max() > validation.MAX_STEPS or steps.min() < 1):
        bad = float(values_ms[np.argmax((steps > validation.MAX_STEPS) | (steps < 1))])
        raise ValidationError(field, bad, f"drew a delay outside 1 .. {validation.MAX_STEPS} steps of dt={dt:g} ms")
    return steps * dt


def connections(pr, n_pre: int, n_post: int, dt: float | None = None):
    """(pre, post, weight, delay) arrays, one entry per synapse (a layer connector's weights are its
    kernel's times the projection's gain)."""
    if hasattr(pr.connector, "synapses"):
        pre, post, w = pr.connector.synapses(n_pre, n_post)
        return pre, post, w * float(pr.weight), np.full(len(pre), float(pr.delay))
    pre, post = pairs(pr, n_pre, n_post)
    return (pre, post, synapse_values(pr, "weight", pre, post, n_pre, n_post, dt),
            synapse_values(pr, "delay", pre, post, n_pre, n_post, dt))


# -- per-neuron values -------------------------------------------------------------------------
def neuron_values(pop, name: str) -> np.ndarray:
    """(size,) float array of one cell value of a population: a number, a tuple with one value per
    neuron, or a RandomDistribution drawn with the key ("cell", population, value name)."""
    value = getattr(pop.cell, name)
    if name == "v_init" and value is None:
        return neuron_values(pop, "v_rest")
    if isinstance(value, RandomDistribution):
        return value.draw(pop.size, "cell", pop.name, name)
    return np.broadcast_to(np.asarray(value, dtype=float), (pop.size,)).copy()


def cell_arrays(pop) -> SimpleNamespace:
    """The population's cell with every per-neuron value as a (size,) array (v_start: the start
    voltage, v_init or v_rest); kind and onset as they are, a value a model leaves out (Izhikevich's
    tau_syn for voltage-jump synapses) None. A model's constants (Izhikevich's v_thresh and
    tau_refrac) and other names of its values (its v_reset is c) are arrays too."""
    cell = pop.cell
    names = [f.name for f in fields(cell) if f.name not in NOT_VALUES]
    arrays = {n: None if getattr(cell, n) is None and n != "v_init" else neuron_values(pop, n) for n in names}
    for name, same in ALIASES.get(cell.kind, {}).items():
        arrays[name] = arrays[same]
    for name in ("v_thresh", "tau_refrac"):
        if name not in arrays and hasattr(cell, name):
            arrays[name] = np.full(pop.size, float(getattr(cell, name)))
    if "v_init" in arrays:
        arrays["v_start"] = arrays["v_init"]
    return SimpleNamespace(kind=cell.kind, onset=getattr(cell, "onset", 0.0), **arrays)


def varies(pop, name: str) -> bool:
    """Whether a cell value may differ between the population's neurons."""
    value = getattr(pop.cell, name)
    return isinstance(value, RandomDistribution) or (isinstance(value, tuple) and len(set(value)) > 1)


def per_neuron(field: str, value, check):
    """A cell value as the description keeps it: a number (checked), a tuple with one checked
    value per neuron, or a RandomDistribution (whose support `check` is asked about by the caller)."""
    if isinstance(value, RandomDistribution):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        values = value.tolist() if isinstance(value, np.ndarray) else list(value)
        if not isinstance(values, list):
            values = [values]                          # a 0-d array: one value
        return tuple(check(f"{field}[{i}]", v) for i, v in enumerate(values))
    return check(field, value)
