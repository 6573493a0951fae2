"""Backends are found by name through the `spikemem.backends` entry-point group.

The core never imports a backend module itself; installing a package that declares the
entry point is enough to make a new backend available everywhere (CLI, harness, tests).
A backend class says whether its optional dependencies are installed (is_available(), see
spikemem.contracts.Backend) and which extra installs them.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from .errors import MissingExtra, ValidationError
from .optional import missing

GROUP = "spikemem.backends"
DEFAULT_BACKEND = "reference"


@dataclass(frozen=True)
class BackendStatus:
    name: str
    available: bool
    extra: str | None      # the pip extra that installs what it needs
    problem: str = ""      # why it is not available

    @property
    def install(self) -> str:
        return f"pip install 'spikemem[{self.extra}]'" if self.extra else ""


def registered_backends() -> list[str]:
    """Every backend name an installed package declares, available or not."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def backend_status() -> list:
    """A BackendStatus per registered backend, without importing any simulator."""
    out = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
        except Exception as e:   # a broken plugin is reported, not fatal
            out.append(BackendStatus(ep.name, False, None, f"cannot load {ep.value}: {e}"))
            continue
        extra = getattr(cls, "extra", None)
        check = getattr(cls, "is_available", None)
        ok = bool(check()) if check is not None else True
        out.append(BackendStatus(ep.name, ok, extra, "" if ok else "not installed"))
    return out


def available_backends() -> list[str]:
    """The names of the backends whose dependencies are installed."""
    return [s.name for s in backend_status() if s.available]


def get_backend(name: str | None = None, **options):
    """Instantiate backend `name` with its options (e.g. device='cuda').

    A backend whose extra is missing raises MissingExtra (one line naming the pip command).
    """
    name = name or DEFAULT_BACKEND
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in eps:
        raise ValidationError("backend", name, f"unknown backend (registered: {sorted(eps)})")
    cls = eps[name].load()
    gone = missing(getattr(cls, "requires", ()))
    if gone:
        raise MissingExtra(gone[0], getattr(cls, "extra", None) or name)
    return cls(**options)


def simulate(network, duration_ms: float, inputs=None, backend: str | None = None, **options):
    """Run `network` for `duration_ms` on a backend; inputs map source names to per-trial spike trains."""
    return get_backend(backend, **options).run(network, duration_ms, inputs=inputs)
