"""The live-memory hooks both protocols of the family share (spikemem.harness.live.LiveMemory):
a memory class names its TIMING (protocol.Timing or pattern_protocol.PatternTiming), the
PROTOCOL module that builds its inputs and decodes its answers, and its builder and params."""
from __future__ import annotations

from dataclasses import replace

from spikemem import ValidationError
from spikemem.harness.cases import Case
from spikemem.harness.live import LiveMemory

from .portable import portable


class ProtocolMemory(LiveMemory):
    TIMING = None
    PROTOCOL = None
    PARAMS: type
    PUBLISHED: dict = {}
    VARIANTS: dict = {}          # further named variants: name -> params factory

    @classmethod
    def sized_build(cls, C: int, N: int, params, **kw):
        """The model's Network at C x N (a model sized by N alone ignores C)."""
        return cls.build(C, N, params, **kw)

    @classmethod
    def variant_params(cls, name: str):
        variants = {"faithful": cls.PARAMS, "portable": lambda: portable(cls.PARAMS(), cls.sized_build, "exact"),
                    **cls.VARIANTS}
        if name not in variants:
            raise ValidationError("variant", name, f"unknown {cls.TIMING.name} variant (known: {sorted(variants)})")
        return variants[name]()

    @classmethod
    def published_cases(cls) -> dict:
        return dict(cls.PUBLISHED)

    @classmethod
    def network(cls, C: int, N: int, variant: str = "faithful", numerics: str = "float"):
        return cls.sized_build(C, N, replace(cls.variant_params(variant), numerics=numerics))

    def __init__(self, C: int, N: int, network, params, variant: str, spacing, record: bool, backend, backend_options):
        self.params, self.variant, self.first_ms = params, variant, self.TIMING.first_ms
        super().__init__(C, N, network, params.dt, params.numerics, backend=backend, spacing=spacing, record=record,
                         **backend_options)

    def min_gap(self, kind: str) -> float:
        return self.TIMING.min_gap[kind]

    def window_end(self, t0: float, op=None) -> float:
        return self.TIMING.window_end(t0, None if op is None else op.kind)

    def op_inputs(self, t0, op, end) -> dict:
        return self.PROTOCOL.input_events([Case("op", self.C, self.N, ((t0, op),), end)], self.TIMING, self.params.dt,
                                          check=False)

    def decode(self, result, case) -> tuple:
        return self.PROTOCOL.decode(result, [case], self.TIMING, self.params.dt)

    def check_timing(self, timed) -> None:
        self.TIMING.check_timing(timed, self.params.dt)

    def rerun(self, timed) -> list:
        """Backends without sessions (and fixed point): the whole schedule again, as one batch run."""
        t0, op = timed[-1]
        case = Case("session", self.C, self.N, tuple(timed), self.window_end(t0, op))
        report = self.run_cases([case], self.backend, self.params, self.variant)
        return [report.outcome(0, k) for k in range(len(timed))]
