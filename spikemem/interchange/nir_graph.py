"""NIR interchange: a Network to a NIR graph and back (nir >= 1.0), for NIR's own equations or
for the readers and writers of Norse and snnTorch. The mapping, node by node, and the reasons
are in docs/nir.md; in short:

  to_nir(net, target="generic")   NIR's continuous equations: SpikeSourceArray -> Input,
      IFCurrExp -> CubaLIF, IFCurrDelta -> LIF (IF without leak), Projection -> Linear + Delay,
      recorded population -> Output. spikemem's extras (tau_refrac, v_init, onset, cm of delta
      cells) travel in node metadata; times in s, voltages in mV, currents in nA.
  to_nir(net, target="norse" | "snntorch")   the parameters norse.torch.from_nir /
      snntorch.import_nir read, so that the peer runs spikemem's spikes: voltages relative to
      rest (v_leak = 0), thresholds one float64 ulp down (peers test v > threshold), no Delay
      nodes (each population's delay is folded into a time shift, node metadata
      'spikemem_skew_steps'), one Input node.
  from_nir(graph, semantics=...)  'nir' (default), 'norse' (a graph written by
      norse.torch.to_nir), 'norse.from_nir' or 'snntorch' (as those importers run it). A graph
      exported by spikemem for a peer is read with that peer's importer semantics. A hop of
      NIR that takes no time becomes a one-step projection and moves the populations after it
      one step later (cell.onset holds them until then): spikes are the graph's, each
      population shifted by its onset.
"""
from __future__ import annotations

import os

from ..description import validation
from ..errors import FormatError, ValidationError
from ..files import atomic_path
from ..optional import require
from .nir_semantics import READINGS, TARGET_READING
from .nir_write import TARGETS

SEMANTICS = tuple(READINGS)


def to_nir(network, freeze: bool = False, weights: dict | None = None, *, target: str = "generic"):
    """The NIR graph of `network` for `target` ('generic', 'norse' or 'snntorch').

    Plastic projections are refused unless freeze=True, which exports their weights as
    static: the initial ones, or weights[name] (n_pre, n_post), e.g. a trial of
    Result.weights[name] (NaN marks an absent synapse).
    """
    require("nir", "nir")
    from .nir_write import write
    if not isinstance(freeze, bool):
        raise ValidationError("freeze", freeze, "must be True or False (pass the target as target=...)")
    return write(network, target, freeze, weights)


def from_nir(graph, dt: float | None = None, scheme: str | None = None, name: str | None = None, *,
             semantics: str | None = None):
    """A Network from a NIR graph of Input, Output, CubaLIF, LIF, IF, Linear, Affine, Scale,
    Delay and (no-op) Flatten nodes. dt in ms (default: the graph's dt_ms, else the reading's:
    1 ms, 0.1 ms for snnTorch's fixed 1e-4 s)."""
    require("nir", "nir")
    from .nir_read import read
    if semantics is None:
        target = (getattr(graph, "metadata", None) or {}).get("spikemem_target")
        semantics = TARGET_READING.get(str(target), "nir")
    validation.choice("semantics", semantics, tuple(READINGS))      # (unhashable values refused, not crashed on)
    return read(graph, semantics, dt, scheme, name)


def save_nir(network, path, freeze: bool = False, weights: dict | None = None, *, target: str = "generic") -> None:
    nir = require("nir", "nir")
    graph = to_nir(network, freeze, weights, target=target)
    with atomic_path(path) as tmp:
        nir.write(str(tmp), graph)


def load_nir(path, dt: float | None = None, scheme: str | None = None, *, semantics: str | None = None):
    nir = require("nir", "nir")
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ValidationError("path", path, "must be a file path")
    if not os.path.isfile(path):
        raise ValidationError("path", str(path), "no such file" if not os.path.exists(path) else "is not a file")
    try:
        graph = nir.read(str(path))
    # nir.read parses with h5py and asserts node types: a damaged or foreign file fails inside it in many ways
    except (OSError, KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError, AssertionError) as e:
        raise FormatError(f"{path}: not a readable NIR file ({type(e).__name__}: {str(e)[:120]})") from None
    return from_nir(graph, dt=dt, scheme=scheme, semantics=semantics)


__all__ = ["to_nir", "from_nir", "save_nir", "load_nir", "SEMANTICS", "TARGETS"]
