"""pytest plugin: run the shared harness on any backend.

    pytest --spikemem-backend=NAME [--spikemem-model=M] [--spikemem-variant=V] [--spikemem-device=D]

Harness tests take the `spikemem_target` fixture; a case the backend cannot run (it declares
the features it lacks) is skipped with the reason, so a new backend runs the whole suite and
reports what it cannot pass. --spikemem-model=M runs only the tests of memory model M (a name
of the `spikemem.memories` group); a test asks `spikemem_target.wants(M)` or skips with
`spikemem_target.only(M)`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("spikemem", "spikemem shared harness")
    group.addoption("--spikemem-backend", default="reference", help="backend the harness tests run on")
    group.addoption("--spikemem-variant", default=None, help="memory variant (default: the test's own)")
    group.addoption("--spikemem-device", default=None, help="device option for array backends")
    group.addoption("--spikemem-model", default=None, help="memory model whose harness tests run (default: every model)")


@dataclass(frozen=True)
class Target:
    backend: str
    variant: str | None
    options: dict
    model: str | None = None

    def wants(self, model: str) -> bool:
        return self.model in (None, model)

    def only(self, model: str) -> None:
        """Skip the calling test unless --spikemem-model is unset or `model`."""
        if not self.wants(model):
            pytest.skip(f"--spikemem-model={self.model}: a {model} test")

    def run(self, cases, variant: str = "faithful", model: str = "ca3"):
        """The harness Report of a batch, or pytest.skip with the backend's missing features."""
        from .runner import run_case_batch
        report, reason = run_case_batch(cases, self.backend, self.variant or variant, model, **self.options)
        if report is None:
            pytest.skip(reason)
        return report


@pytest.fixture(scope="session")
def spikemem_target(request) -> Target:
    cfg = request.config
    device = cfg.getoption("--spikemem-device")
    model = cfg.getoption("--spikemem-model")
    if model is not None:
        from .runner import memory_model
        memory_model(model)                # an unknown name fails the session with the known ones
    return Target(cfg.getoption("--spikemem-backend"), cfg.getoption("--spikemem-variant"),
                  {"device": device} if device else {}, model)
