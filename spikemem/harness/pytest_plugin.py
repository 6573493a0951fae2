"""pytest plugin: run the shared harness on any backend.

    pytest --spikemem-backend=NAME [--spikemem-variant=V] [--spikemem-device=D]

Harness tests take the `spikemem_target` fixture; a case the backend cannot run (it declares
the features it lacks) is skipped with the reason, so a new backend runs the whole suite and
reports what it cannot pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("spikemem", "spikemem shared harness")
    group.addoption("--spikemem-backend", default="reference", help="backend the harness tests run on")
    group.addoption("--spikemem-variant", default=None, help="memory variant (default: the test's own)")
    group.addoption("--spikemem-device", default=None, help="device option for array backends")


@dataclass(frozen=True)
class Target:
    backend: str
    variant: str | None
    options: dict

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
    return Target(cfg.getoption("--spikemem-backend"), cfg.getoption("--spikemem-variant"),
                  {"device": device} if device else {})
