"""The CA3 memory as its users drive it: learn, recall by cue, recall by content fragment.

Operations are placed by a scheduler that keeps the minimum spacing of docs/ca3_protocol.md, 8 (or a
wider one). Where the backend offers live sessions the memory keeps one running, so an
operation costs its own simulated time, not the history's (docs/scale.md, the memory on a
session): it commits the steps up to the earliest moment the next operation may start, reads
its answer from a tentative run to the end of its window and takes that run back. Sessions that
cannot take a run back (PyNN) commit the whole window, and the next operation starts after it.
Backends without sessions re-run the whole schedule. Either way the history decodes exactly as
the batch run of the same schedule. A rejected operation raises before anything changes.
"""
from __future__ import annotations

import contextlib
from dataclasses import replace

import numpy as np

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
from .builder import OUT_CONT, OUT_CUE, build_cam
from .cases import MIN_GAP, PUBLISHED, RANDOM_SIZE, WINDOW, check_spacing, random_case
from .params import CA3Params
from .variants import naming_the_portable_variant, variant_params


class CA3Memory:
    def __init__(self, C: int, N: int, *, variant: str = "faithful", backend: str | None = None,
                 spacing: float | None = None, params: CA3Params | None = None, record: bool = False,
                 **backend_options):
        """record=True keeps every spike of the session (recording()); use_session=False in the
        backend options is not a thing: a backend without `session` re-runs the schedule."""
        self.params = params or variant_params(variant)
        self.network = build_cam(C, N, self.params)       # validates C and N
        self.C, self.N, self.variant = int(C), int(N), variant
        self.spacing = check_spacing(spacing)
        self.backend = get_backend(backend, **backend_options)
        self.timed_ops: list = []
        self.outcomes: list = []
        self.session = None
        self.record = bool(record)
        self._since: list = []      # committed Results since the last operation's start
        self._kept: list = []       # every committed Result (record=True)
        self._tail = None           # the last operation's tentative end of window

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
        return max(t0 + max(MIN_GAP[op.kind], self.spacing or 0), self._committed_ms())

    def _committed_ms(self) -> float:
        """The earliest start a session that cannot take a run back allows: its time plus the lead
        its simulator needs for new inputs (0 for sessions that roll back)."""
        s = self.session
        return 0.0 if s is None or s.rollback else s.time_ms + s.input_lead_ms

    def _do(self, op, at) -> Outcome:
        # `at` is checked here, at the API boundary, before anything is scheduled or run.
        t0 = self.next_time() if at is None else validation.number("at", at, lo=0, hi=validation.MAX_STEPS * self.params.dt)
        if self.timed_ops:
            earliest = self.timed_ops[-1][0] + MIN_GAP[self.timed_ops[-1][1].kind]
            if t0 < earliest:
                raise ValidationError("at", t0, f"an operation after a {self.timed_ops[-1][1].kind} at "
                                                f"{self.timed_ops[-1][0]:g} ms must start at >= {earliest:g} ms")
        if t0 < self._committed_ms():
            raise ValidationError("at", t0, f"the {self.backend.name} session takes new operations from "
                                            f"{self._committed_ms():g} ms on (it cannot take a run back)")
        timed = self.timed_ops + [(float(t0), op)]
        protocol.check_timing(timed[-2:], self.params.dt)
        if not hasattr(self.backend, "session") or self.params.numerics != "float":
            return self._rerun(timed)       # no session here (fixed-point numerics: sessions refuse them)
        if self.session is None:
            with naming_the_portable_variant(self.backend, self.network, self.variant):
                self.session = self.backend.session(self.network, batch=1)
        return self._advance(timed)

    def _rerun(self, timed) -> Outcome:
        """Backends without sessions: the whole schedule again."""
        t0 = timed[-1][0]
        case = Case("session", self.C, self.N, tuple(timed), float(t0) + self.params.window_ms + 1)
        report = self.run_cases([case], self.backend, self.params, self.variant)
        outcomes = [report.outcome(0, k) for k in range(len(timed))]
        self.timed_ops, self.outcomes = timed, outcomes     # commit only after a successful run
        return outcomes[-1]

    def _advance(self, timed) -> Outcome:
        """Run the new operation on the session; decode it and the one before (whose window a
        new operation may cut short) from the spikes since the previous operation's start."""
        p, s = self.params, self.session
        t0, op = timed[-1]
        end = t0 + p.window_ms + 1                       # the batch run of this schedule ends here
        commit = t0 + MIN_GAP[op.kind] if s.rollback else end
        inputs = protocol.input_events([Case("op", self.C, self.N, ((t0, op),), end)], p.dt, gate=p.gate_learning)
        guard = s.atomic() if s.rollback else contextlib.nullcontext()
        with guard:
            now = s.run(commit, inputs)
            tail = None
            if end > commit:
                with s.tentative():
                    tail = s.run(end)
        last = [] if len(timed) < 2 else [timed[-2]]
        since = (self._since if last else []) + [now]
        pair = Case("pair", self.C, self.N, tuple(last + [timed[-1]]), end)
        da, db = protocol.decode(_joined(since + ([tail] if tail else []), end), [pair], p.dt, p.window_ms)
        decoded = [Outcome(frozenset(np.flatnonzero(da[0, k]).tolist()), frozenset(np.flatnonzero(db[0, k]).tolist()))
                   for k in range(len(pair.timed_ops))]
        self.timed_ops = timed
        self.outcomes = self.outcomes[:len(timed) - len(decoded)] + decoded
        self._since, self._tail = [now], tail
        if self.record:
            self._kept.append(now)
        return decoded[-1]

    def recording(self):
        """Every spike of the session so far, as the batch run of history's schedule gives it
        (the committed windows and the last operation's end of window); needs record=True."""
        if not self.record:
            raise ValidationError("record", False, "construct the memory with record=True to keep its spikes")
        parts = self._kept + ([self._tail] if self._tail is not None else [])
        if not parts:
            raise ValidationError("operations", 0, "nothing has run yet")
        return _joined(parts, parts[-1].steps * parts[-1].dt, every=True)

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
        with naming_the_portable_variant(be, net, label):
            result = be.run(net, T, inputs=protocol.input_events(cases, params.dt, gate=params.gate_learning))
        report = protocol.score_cases(result, cases, params.dt, params.window_ms)
        report.label = {"backend": be.name, "variant": label, "numerics": params.numerics}
        return (report, result) if return_result else report


def _joined(parts, end_ms: float, every: bool = False):
    """One Result from consecutive session windows (OUT populations only unless every=True)."""
    last = parts[-1]
    pops = last.spikes if every else (OUT_CUE, OUT_CONT)
    spikes = {pop: tuple(np.concatenate([r.spikes[pop][k] for r in parts]) for k in range(3)) for pop in pops}
    return type(last)(dt=last.dt, steps=int(round(end_ms / last.dt)), batch=1, sizes=last.sizes,
                      spikes=spikes, backend=last.backend, start=parts[0].start)
