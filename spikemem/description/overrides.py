"""Per-name overrides of a model's populations and projections (a params object's `cells`,
`delays`, `weights`): how variants retime or reweight a circuit without touching its builder."""
from __future__ import annotations

from dataclasses import replace

from ..errors import ValidationError


def override(items, attr: str, pairs, field: str) -> list:
    """Replace `attr` of the named populations/projections; an unknown name is an error."""
    by_name = {x.name: i for i, x in enumerate(items)}
    items = list(items)
    for name, value in pairs:
        if name not in by_name:
            raise ValidationError(field, name, f"unknown name (known: {sorted(by_name)})")
        items[by_name[name]] = replace(items[by_name[name]], **{attr: value})
    return items
