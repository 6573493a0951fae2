"""Named variants of the CA3 memory. 'faithful' is the authors' model, spike for spike."""
from __future__ import annotations

from spikemem import ValidationError

from .params import CA3Params


def faithful() -> CA3Params:
    return CA3Params()


def gated() -> CA3Params:
    """Plasticity only during learn operations: recalls no longer create false associations."""
    return CA3Params(gate_learning=True)


def portable_exact() -> CA3Params:
    """Runs the same on exact integrators (NEST, Brian2) as on SpiNNaker's update (see portable.py)."""
    from .portable import portable
    return portable("exact")


VARIANTS = {"faithful": faithful, "gated": gated, "portable": portable_exact}


def variant_params(name: str) -> CA3Params:
    if name not in VARIANTS:
        raise ValidationError("variant", name, f"unknown CA3 variant (known: {sorted(VARIANTS)})")
    return VARIANTS[name]()
