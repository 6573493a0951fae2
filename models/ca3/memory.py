"""The CA3 memory as its users drive it: learn, recall by cue, recall by content fragment.

Operations are placed by a scheduler that keeps the minimum spacing of docs/ca3_protocol.md, 8 (or a
wider one); every call re-runs the whole schedule on the chosen backend (a spiking memory's
state is its spike history, so this is exact on every backend, including ones that cannot
pause). A rejected operation raises before anything changes.
"""
from __future__ import annotations

from dataclasses import replace

from spikemem import ValidationError, get_backend
from spikemem.description import validation
from spikemem.harness.cases import Case
from spikemem.harness.operations import (
    Learn,
    Outcome,
    Recall,
    RecallContent,
    as_bits,
    check_address,
)

from . import protocol
from .builder import build_cam
from .cases import MIN_GAP, PUBLISHED, RANDOM_SIZE, WINDOW, check_spacing, random_case
from .params import CA3Params
from .variants import variant_params


class CA3Memory:
    def __init__(self, C: int, N: int, *, variant: str = "faithful", backend: str | None = None,
                 spacing: float | None = None, params: CA3Params | None = None, **backend_options):
        self.params = params or variant_params(variant)
        self.network = build_cam(C, N, self.params)       # validates C and N
        self.C, self.N, self.variant = int(C), int(N), variant
        self.spacing = check_spacing(spacing)
        self.backend = get_backend(backend, **backend_options)
        self.timed_ops: list = []
        self.outcomes: list = []

    # -- operations -------------------------------------------------------------------------
    def learn(self, address, bits=None, *, pattern=None, at: float | None = None) -> Outcome:
        """Store `bits` at `address`; learning an address again forgets its old bits."""
        return self._do(Learn(check_address(address, self.C), as_bits(bits, self.N, pattern=pattern)), at)

    def recall(self, address, *, at: float | None = None) -> Outcome:
        """Recall by cue: the address and its content."""
        return self._do(Recall(check_address(address, self.C)), at)

    def recall_content(self, bits=None, *, pattern=None, at: float | None = None) -> Outcome:
        """Recall by a content fragment: every address holding one of the bits (an OR)."""
        return self._do(RecallContent(as_bits(bits, self.N, pattern=pattern)), at)

    def next_time(self) -> float:
        if not self.timed_ops:
            return 0.0
        t0, op = self.timed_ops[-1]
        return t0 + max(MIN_GAP[op.kind], self.spacing or 0)

    def _do(self, op, at) -> Outcome:
        # `at` is checked here, at the API boundary, before anything is scheduled or run.
        t0 = self.next_time() if at is None else validation.number("at", at, lo=0, hi=validation.MAX_STEPS * self.params.dt)
        if self.timed_ops:
            earliest = self.timed_ops[-1][0] + MIN_GAP[self.timed_ops[-1][1].kind]
            if t0 < earliest:
                raise ValidationError("at", t0, f"an operation after a {self.timed_ops[-1][1].kind} at "
                                                f"{self.timed_ops[-1][0]:g} ms must start at >= {earliest:g} ms")
        timed = self.timed_ops + [(float(t0), op)]
        protocol.check_timing(timed, self.params.dt)
        case = Case("session", self.C, self.N, tuple(timed), float(t0) + self.params.window_ms + 1)
        report = self.run_cases([case], self.backend, self.params, self.variant)
        outcomes = [report.outcome(0, k) for k in range(len(timed))]
        self.timed_ops, self.outcomes = timed, outcomes     # commit only after a successful run
        return outcomes[-1]

    @property
    def history(self) -> list:
        return [(t, op, o) for (t, op), o in zip(self.timed_ops, self.outcomes)]

    # -- the harness's memory-model interface (spikemem.contracts.MemoryModel) ---------------------
    random_size = RANDOM_SIZE
    random_case = staticmethod(random_case)

    @staticmethod
    def published_cases() -> dict:
        return dict(PUBLISHED)

    @staticmethod
    def network(C: int, N: int, variant: str = "faithful", numerics: str = "float"):
        return build_cam(C, N, replace(variant_params(variant), numerics=numerics))

    @staticmethod
    def run_cases(cases, backend=None, params: CA3Params | None = None, variant: str = "faithful",
                  return_result: bool = False, numerics: str | None = None, **backend_options):
        """Run a batch of cases (one trial each) and score it against the ideal memory.
        numerics: None keeps the params' ("float" unless set), or "float" | "fixed"."""
        label = variant if params is None else "custom"
        params = params or variant_params(variant)
        if numerics is not None:
            params = replace(params, numerics=numerics)
        sizes = {(c.C, c.N) for c in cases}
        if len(sizes) != 1:
            raise ValidationError("cases", sorted(sizes), "a batch needs one memory size")
        be = backend if hasattr(backend, "run") else get_backend(backend, **backend_options)
        net = build_cam(cases[0].C, cases[0].N, params)
        T = max(c.sim_time_ms for c in cases) + max(0.0, params.window_ms - WINDOW)   # room for a wider window
        result = be.run(net, T, inputs=protocol.input_events(cases, params.dt, gate=params.gate_learning))
        report = protocol.score_cases(result, cases, params.dt, params.window_ms)
        report.label = {"backend": be.name, "variant": label, "numerics": params.numerics}
        return (report, result) if return_result else report
