"""The features a Network uses, by name: backends declare the ones they cannot run.

A backend's `unsupported` is a set of these names; the harness skips (and reports) what a
backend cannot run instead of letting it fail or silently change the model.

Vocabulary: scheme.spinnaker, scheme.exact, connector.from_list, delay.heterogeneous,
stdp, stdp.gate, stdp.post_history, stdp.traces.nearest, stdp.clamp.per_update,
stdp.transmit.before_update, stdp.potentiate_at_zero, stdp.no_depress_at_zero,
stdp.dendritic_delay (a dendritic delay other than the synaptic delay), stdp.w_min_nonzero,
cell.i_offset, cell.v_init.
"""
from __future__ import annotations

import numpy as np

from .errors import UnsupportedFeature


def required_features(net) -> set:
    f = {f"scheme.{net.simulation.scheme}"}
    for p in net.populations:
        if not p.is_source:
            if p.cell.i_offset:
                f.add("cell.i_offset")
            if p.cell.v_init is not None and p.cell.v_init != p.cell.v_rest:
                f.add("cell.v_init")
    for pr in net.projections:
        if pr.connector.kind == "from_list":
            f.add("connector.from_list")
        if np.ndim(pr.delay) and len(np.unique(pr.delay)) > 1:
            f.add("delay.heterogeneous")
        r = pr.plasticity
        if r is None:
            continue
        f.add("stdp")
        checks = {
            "stdp.gate": r.gate is not None,
            "stdp.post_history": r.post_history is not None,
            "stdp.traces.nearest": r.traces == "nearest",
            "stdp.clamp.per_update": r.clamp == "per_update",
            "stdp.transmit.before_update": r.transmit == "before_update",
            "stdp.potentiate_at_zero": r.potentiate_at_zero,
            "stdp.no_depress_at_zero": not r.depress_at_zero,
            "stdp.dendritic_delay": r.dendritic_delay is not None and r.dendritic_delay != float(pr.delay),
            "stdp.w_min_nonzero": r.w_min != 0.0,
        }
        f.update(k for k, used in checks.items() if used)
    return f


def missing_features(backend, net) -> list:
    return sorted(required_features(net) & set(getattr(backend, "unsupported", ())))


def check_supported(backend, net) -> None:
    missing = missing_features(backend, net)
    if missing:
        raise UnsupportedFeature(f"backend '{backend.name}' cannot run network '{net.name}': it does not support "
                                 + ", ".join(missing))
