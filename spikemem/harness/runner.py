"""Run harness cases on any backend through a memory model found by name.

Memory models register in the `spikemem.memories` entry-point group; a model class offers
run_cases(cases, backend, variant=...) -> Report and network(C, N, variant) -> Network.
"""
from __future__ import annotations

from importlib.metadata import entry_points

from ..errors import ValidationError
from ..features import missing_features
from ..registry import get_backend
from . import cases as case_lib

GROUP = "spikemem.memories"


def memory_model(name: str = "ca3"):
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in eps:
        raise ValidationError("model", name, f"unknown memory model (available: {sorted(eps)})")
    return eps[name].load()


def published_cases(names=None) -> list:
    names = list(case_lib.PUBLISHED) if names is None else names
    for n in names:
        if n not in case_lib.PUBLISHED:
            raise ValidationError("case", n, f"unknown case (known: {sorted(case_lib.PUBLISHED)})")
    return [case_lib.PUBLISHED[n]() for n in names]


def unsupported_reason(backend, model, case, variant: str):
    """None if the backend can run this case, else the reason (its missing features)."""
    missing = missing_features(backend, model.network(case.C, case.N, variant))
    return f"{backend.name} does not support {', '.join(missing)}" if missing else None


def run_case_batch(cases, backend_name=None, variant="faithful", model="ca3", **backend_options):
    """Run a batch of same-size cases; returns (Report or None, reason it was skipped)."""
    mem = memory_model(model)
    be = get_backend(backend_name, **backend_options)
    reason = unsupported_reason(be, mem, cases[0], variant)
    if reason:
        return None, reason
    return mem.run_cases(cases, be, variant=variant), None
