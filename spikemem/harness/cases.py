"""A harness case: a timed sequence of memory operations on a memory of C addresses x N bits.

What a memory model's cases are (its published experiments, its random sequences and their
timing) is the model's own: the harness asks the model for them (spikemem.harness.runner).
"""
from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    C: int
    N: int
    timed_ops: tuple          # ((t0_ms, op), ...)
    sim_time_ms: float

    @property
    def ops(self) -> list:
        return [op for _, op in self.timed_ops]


_MOVED = {"functional", "stress_pyramidal", "state_map", "random_case", "MIN_GAP", "WINDOW", "PUBLISHED", "STATE_MAP"}


def __getattr__(name):
    """spikemem 0.1 kept the CA3 cases here; they live in spikemem.models.ca3.cases now (deprecated
    path, removed in 1.0). Found through the memory-model registry, as the harness finds models."""
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .runner import memory_model
    warnings.warn(f"spikemem.harness.cases.{name} moved to spikemem.models.ca3.cases.{name}",
                  DeprecationWarning, stacklevel=2)
    return getattr(sys.modules[memory_model("ca3").random_case.__module__], name)
