"""A memory driven operation by operation on a live session (docs/scale.md, the memory on a session).

Every memory model's live object (the CA3 CAM's CA3Memory, the hippocampus family's memories)
is a LiveMemory with its own protocol: the operations are placed by a scheduler that keeps the
model's minimum spacing (or a wider one). Where the backend offers live sessions the memory
keeps one running, so an operation costs its own simulated time, not the history's: it commits
the steps up to the earliest moment the next operation may start, reads its answer from a
tentative run to the end of its window and takes that run back. Sessions that cannot take a run
back (PyNN) commit the whole window, and the next operation starts after it. Backends without
sessions (and fixed-point numerics, which sessions refuse) re-run the whole schedule. Either way
the history decodes exactly as the batch run of the same schedule. A rejected operation raises
before anything changes.
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..description import validation
from ..errors import UnsupportedFeature, ValidationError
from ..log import get_logger
from ..registry import get_backend
from .cases import Case
from .operations import Outcome

logger = get_logger(__name__)

class LiveMemory:
    """The scheduler and session driver; a model supplies its protocol through these hooks:

    - `min_gap(kind)`: ms from an operation of this kind to the next one;
    - `window_end(t0, op)`: where the batch run of a schedule whose last operation (op) starts at t0 ends (ms);
    - `op_inputs(t0, op, end)`: backend inputs of one operation;
    - `decode(result, case)`: (addresses (1, K, C), bits (1, K, N)) bool arrays of a one-trial case;
    - `check_timing(timed)`: refuse a schedule that breaks the protocol (a ValidationError);
    - `rerun(timed)`: the Outcomes of the whole schedule from one batch run (backends without sessions);
    - `OUTPUTS`: the populations `decode` reads.

    A model that runs its operations in phases on different networks (the regulated CA3 model
    learns on a plastic network and recalls on a static one) names an operation's phase with
    `phase_of(op)` and builds a phase's network with `phase_network(phase)`: at a change of phase
    the memory opens a new session on it, whose time 0 is `first_ms` before the operation.
    """

    OUTPUTS: tuple = ()
    first_ms: float = 0.0       # the earliest start of the first operation

    def __init__(self, C: int, N: int, network, dt: float, numerics: str, *, backend=None, spacing=None,
                 record: bool = False, **backend_options):
        self.C, self.N, self.network, self.dt, self.numerics = int(C), int(N), network, dt, numerics
        self.spacing = spacing
        self.backend = get_backend(backend, **backend_options)
        self.timed_ops: list = []
        self.outcomes: list = []
        self.session = None
        self.record = bool(record)
        self._since: list = []      # committed Results since the last operation's start
        self._kept: list = []       # every committed Result (record=True)
        self._tail = None           # the last operation's tentative end of window
        self.origin_ms = 0.0        # the session's time 0 on the memory's clock
        self._phase_start = 0       # index of the first operation on the current session
        self.reruns = False         # the backend's session refused this network: re-run schedules

    @classmethod
    def open(cls, C: int, N: int, **options):
        """A live memory of this model at C x N (a model whose constructor differs overrides it)."""
        return cls(C, N, **options)

    def phase_of(self, op):
        return None

    def phase_network(self, phase):
        raise NotImplementedError

    def next_time(self) -> float:
        if not self.timed_ops:
            return max(self.first_ms, self._committed_ms())
        t0, op = self.timed_ops[-1]
        return max(t0 + max(self.min_gap(op.kind), self.spacing or 0), self._committed_ms())

    def _committed_ms(self) -> float:
        """The earliest start a session that cannot take a run back allows: its time plus the lead
        its simulator needs for new inputs (0 for sessions that roll back)."""
        s = self.session
        return 0.0 if s is None or s.rollback else s.time_ms + s.input_lead_ms

    def _do(self, op, at) -> Outcome:
        # `at` is checked here, at the API boundary, before anything is scheduled or run.
        t0 = self.next_time() if at is None else validation.number("at", at, lo=0, hi=validation.MAX_STEPS * self.dt)
        if self.timed_ops:
            earliest = self.timed_ops[-1][0] + self.min_gap(self.timed_ops[-1][1].kind)
            if t0 < earliest:
                raise ValidationError("at", t0, f"an operation after a {self.timed_ops[-1][1].kind} at "
                                                f"{self.timed_ops[-1][0]:g} ms must start at >= {earliest:g} ms")
        elif t0 < self.first_ms:
            raise ValidationError("at", t0, f"the first operation must start at >= {self.first_ms:g} ms")
        if t0 < self._committed_ms():
            raise ValidationError("at", t0, f"the {self.backend.name} session takes new operations from "
                                            f"{self._committed_ms():g} ms on (it cannot take a run back)")
        timed = self.timed_ops + [(float(t0), op)]
        self.check_timing(timed[-2:])
        if self._sessions() and self.timed_ops and self.phase_of(op) != self.phase_of(self.timed_ops[-1][1]):
            self._new_phase(op, t0)             # closes the session: the next phase's opens below
        if self.session is None and self._sessions():
            try:
                self.session = self.backend.session(self.network, batch=1)
            except UnsupportedFeature as e:       # e.g. a PyNN session asked to record plastic weights
                logger.info("%s; %s re-runs the whole schedule per operation", e, type(self).__name__)
                self.reruns = True
        if not self._sessions():
            outcomes = self.rerun(timed)        # no session here (fixed-point numerics: sessions refuse them)
            self.timed_ops, self.outcomes = timed, outcomes     # commit only after a successful run
            return outcomes[-1]
        return self._advance(timed)

    def _sessions(self) -> bool:
        """Whether operations run on a live session (else each re-runs the whole schedule)."""
        return hasattr(self.backend, "session") and self.numerics == "float" and not self.reruns

    def _new_phase(self, op, t0: float) -> None:
        """Continue on the network of op's phase, from a new session starting first_ms before t0."""
        network = self.phase_network(self.phase_of(op))
        getattr(self.session, "close", lambda: None)()
        self.network, self.session = network, None
        self.origin_ms, self._phase_start = t0 - self.first_ms, len(self.timed_ops)
        self._since, self._tail = [], None

    def _advance(self, timed) -> Outcome:
        """Run the new operation on the session; decode it and the one before (whose window a
        new operation may cut short) from the spikes since the previous operation's start."""
        s, origin = self.session, self.origin_ms
        t0, op = timed[-1][0] - origin, timed[-1][1]     # on the session's clock
        end = self.window_end(t0, op)                    # the batch run of this schedule ends here
        commit = t0 + self.min_gap(op.kind) if s.rollback else end
        inputs = self.op_inputs(t0, op, end)
        guard = s.atomic() if s.rollback else contextlib.nullcontext()
        with guard:
            now = s.run(commit, inputs)
            tail = None
            if end > commit:
                with s.tentative():
                    tail = s.run(end)
        last = [] if len(timed) - 1 <= self._phase_start else [(timed[-2][0] - origin, timed[-2][1])]
        since = (self._since if last else []) + [now]
        pair = Case("pair", self.C, self.N, tuple(last + [(t0, op)]), end)
        da, db = self.decode(joined(since + ([tail] if tail else []), end, self.OUTPUTS), pair)
        decoded = [Outcome(frozenset(np.flatnonzero(da[0, k]).tolist()), frozenset(np.flatnonzero(db[0, k]).tolist()))
                   for k in range(len(pair.timed_ops))]
        self.timed_ops = timed
        self.outcomes = self.outcomes[:len(timed) - len(decoded)] + decoded
        self._since, self._tail = [now], tail
        if self.record:
            self._kept.append(shifted(now, origin))
        return decoded[-1]

    def recording(self):
        """Every spike of the session so far, as the batch run of history's schedule gives it
        (the committed windows and the last operation's end of window); needs record=True."""
        if not self.record:
            raise ValidationError("record", False, "construct the memory with record=True to keep its spikes")
        parts = self._kept + ([shifted(self._tail, self.origin_ms)] if self._tail is not None else [])
        if not parts:
            raise ValidationError("operations", 0, "nothing has run yet")
        t0, op = self.timed_ops[-1]
        return joined(parts, self.window_end(t0, op))

    @property
    def history(self) -> list:
        return [(t, op, o) for (t, op), o in zip(self.timed_ops, self.outcomes)]

    def close(self) -> None:
        """Close the session (a PyNN simulator holds one per process); the memory can take no more operations."""
        getattr(self.session, "close", lambda: None)()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def joined(parts, end_ms: float, pops=None):
    """One Result from consecutive session windows up to end_ms (only `pops`, or every population):
    a window committed past the end (an operation whose minimum gap outlasts its answer) is cut."""
    last = parts[-1]
    pops = last.spikes if pops is None else pops
    steps = int(round(end_ms / last.dt))
    spikes = {}
    for pop in pops:
        tr, st, nr = (np.concatenate([r.spikes[pop][k] for r in parts]) for k in range(3))
        keep = st < steps
        spikes[pop] = (tr[keep], st[keep], nr[keep])
    return type(last)(dt=last.dt, steps=steps, batch=1, sizes=last.sizes,
                      spikes=spikes, backend=last.backend, start=parts[0].start)


def shifted(result, origin_ms: float):
    """A session window on the memory's clock: its spikes and steps moved by origin_ms."""
    if not origin_ms:
        return result
    k = int(round(origin_ms / result.dt))
    spikes = {pop: (tr, st + k, nr) for pop, (tr, st, nr) in result.spikes.items()}
    return type(result)(dt=result.dt, steps=result.steps + k, batch=result.batch, sizes=result.sizes, spikes=spikes,
                        backend=result.backend, start=result.start + k)
