"""Run harness cases on any backend through a memory model found by name.

Memory models register in the `spikemem.memories` entry-point group; what a model offers the
harness is spikemem.contracts.MemoryModel (its cases, its network, and running a batch).
"""
from __future__ import annotations

from dataclasses import replace
from importlib.metadata import entry_points

from ..description.features import missing_features
from ..errors import ValidationError
from ..registry import get_backend

GROUP = "spikemem.memories"


def memory_model(name: str = "ca3"):
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in eps:
        raise ValidationError("model", name, f"unknown memory model (available: {sorted(eps)})")
    return eps[name].load()


def published_cases(names=None, model: str = "ca3") -> list:
    published = memory_model(model).published_cases()
    names = list(published) if names is None else names
    for n in names:
        if n not in published:
            raise ValidationError("case", n, f"unknown case (known: {sorted(published)})")
    return [published[n]() for n in names]


def _numerics(numerics: str) -> dict:
    """The keyword a memory model gets for numerics: none for "float", so a model without a
    numerics parameter still runs (MemoryModel: passed only when asked for)."""
    return {} if numerics == "float" else {"numerics": numerics}


def unsupported_reason(backend, model, case, variant: str, numerics: str = "float"):
    """None if the backend can run this case, else the reason (its missing features)."""
    missing = missing_features(backend, model.network(case.C, case.N, variant, **_numerics(numerics)))
    return f"{backend.name} does not support {', '.join(missing)}" if missing else None


def run_case_batch(cases, backend_name=None, variant="faithful", model="ca3", numerics="float", **backend_options):
    """Run a batch of same-size cases; returns (Report or None, reason it was skipped).
    numerics other than "float" is passed to the memory model (numerics=...)."""
    mem = memory_model(model)
    be = get_backend(backend_name, **backend_options)
    reason = unsupported_reason(be, mem, cases[0], variant, numerics)
    if reason:
        return None, reason
    return mem.run_cases(cases, be, variant=variant, **_numerics(numerics)), None


def score_batch(label: str, cases, backend_name, variant, model, backend_options, numerics: str = "float") -> dict:
    """One harness row (a sweep chunk): counts per kind, or why the backend skipped the batch."""
    report, reason = run_case_batch(cases, backend_name, variant, model, numerics, **backend_options)
    row = {"case": label, "variant": variant, "numerics": numerics}
    if report is None:
        row["skipped"] = reason
    else:
        row.update(backend=report.label["backend"], counts=report.counts())
    return row


def batch_setup(cases, backend, params, variant: str, numerics, variant_params, backend_options: dict) -> tuple:
    """What every model's run_cases starts with: (the report's variant label, the params with
    `numerics` (None keeps theirs), the backend instance). A batch needs one memory size."""
    label = variant if params is None else "custom"
    params = params or variant_params(variant)
    if numerics is not None:
        params = replace(params, numerics=numerics)
    sizes = {(c.C, c.N) for c in cases}
    if len(sizes) != 1:
        raise ValidationError("cases", sorted(sizes), "a batch needs one memory size")
    be = backend if hasattr(backend, "run") else get_backend(backend, **backend_options)
    return label, params, be
