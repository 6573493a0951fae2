"""Named variants of the CA3 memory. 'faithful' is the authors' model, spike for spike."""
from __future__ import annotations

from spikemem import ValidationError

from .params import CA3Params


def faithful() -> CA3Params:
    return CA3Params()


VARIANTS = {"faithful": faithful}


def variant_params(name: str) -> CA3Params:
    if name not in VARIANTS:
        raise ValidationError("variant", name, f"unknown CA3 variant (known: {sorted(VARIANTS)})")
    return VARIANTS[name]()
