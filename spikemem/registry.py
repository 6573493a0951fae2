"""Backends are found by name through the `spikemem.backends` entry-point group.

The core never imports a backend module itself; installing a package that declares the
entry point is enough to make a new backend available everywhere (CLI, harness, tests).
"""
from __future__ import annotations

from importlib.metadata import entry_points

from .errors import ValidationError

GROUP = "spikemem.backends"
DEFAULT_BACKEND = "reference"


def available_backends() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def get_backend(name: str | None = None, **options):
    """Instantiate backend `name` with its options (e.g. device='cuda')."""
    name = name or DEFAULT_BACKEND
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in eps:
        raise ValidationError("backend", name, f"unknown backend (available: {sorted(eps)})")
    return eps[name].load()(**options)


def simulate(network, duration_ms: float, inputs=None, backend: str | None = None, **options):
    """Run `network` for `duration_ms` on a backend; inputs map source names to per-trial spike trains."""
    return get_backend(backend, **options).run(network, duration_ms, inputs=inputs)
