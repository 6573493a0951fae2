"""Live sessions on the array engine: run a network window by window, as one long run.

`backend.session(network, batch=...)` opens one (every engine backend: reference, torch,
snntorch, norse). run(until_ms, inputs) simulates from the session's time to until_ms; input
events may lie anywhere from the session's time on, and those past until_ms wait for a later
window. The spikes of consecutive windows are those of one run over the whole time (the
engine carries membrane, currents, ring buffer, refractory and STDP state from one window to
the next; docs/scale.md). A session saves and loads its state atomically, and `tentative()`
runs ahead and takes it back (the CA3 memory uses it to read an answer without committing
the steps a later operation may still change).
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import zipfile

import numpy as np

from ..description import validation
from ..errors import FormatError, UnsupportedFeature, ValidationError
from ..files import atomic_path
from . import budget
from .array_engine import Engine, engine_result
from .flatten import flatten
from .inputs import resolve_inputs

FORMAT = "spikemem-session/1"


def network_digest(network) -> str:
    """A fingerprint of the description, so a saved session only loads into the same network."""
    text = json.dumps(network.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class EngineSession:
    """One network and batch on the array engine, advanced by run() calls (see the module doc)."""

    rollback = True        # tentative() is available (PyNN sessions cannot take a run back)
    input_lead_ms = 0.0    # an input may lie at the session's time

    def __init__(self, network, batch: int = 1, *, label: str, ops=None, neurons=None, structured: str = "auto"):
        validation.network("network", network)
        batch = validation.integer("batch", batch, lo=1)
        if network.simulation.numerics != "float":
            raise UnsupportedFeature(f"a session with numerics={network.simulation.numerics!r}: the fixed-point "
                                     "engine keeps state a session does not carry yet; run whole schedules")
        self.network, self.batch, self.label = network, batch, label
        self.dt = network.simulation.dt
        # the description's memory estimate, once; each window adds its steps and input events
        self._estimate = budget.estimate(network, batch, 0)
        budget.require(self._estimate, f"a session of {network.name} ({batch} trials)", self.dt)
        with budget.allocating(f"building the tables and state of a session of {network.name} ({batch} trial(s))",
                               self._estimate):
            self.c = flatten(network, structured)
            self._make = lambda: Engine(self.c, batch, ops, neurons)
            self.reset()

    # -- running ---------------------------------------------------------------------------
    @property
    def time_ms(self) -> float:
        """How far the session has simulated."""
        return self.engine.t * self.dt

    def run(self, until_ms: float, inputs=None):
        """Simulate [time_ms, until_ms) and return that window's Result (spike steps count from
        the session's start; Result.start is the window's first step). Inputs are validated
        before anything runs: an event before time_ms is refused."""
        e = self.engine
        until = validation.steps("until_ms", validation.finite("until_ms", until_ms), self.dt)
        if until < e.t:
            raise ValidationError("until_ms", until_ms, f"the session is already at {self.time_ms:g} ms")
        _, events = resolve_inputs(self.network, inputs, self.batch, defaults=False)
        for name, ev in events.items():
            if len(ev) and int(ev.step.min()) < e.t:
                raise ValidationError(f"inputs[{name}]", float(ev.step.min() * self.dt),
                                      f"lies before the session's time {self.time_ms:g} ms")
        n_events = sum(len(ev) for ev in events.values()) + len(e.queue)
        est = dataclasses.replace(self._estimate, steps=until - e.t,
                                  fixed=dict(self._estimate.fixed, **{"input events": budget.EVENT * n_events}))
        budget.require(est, f"running {self.network.name} from {self.time_ms:g} to {until * self.dt:g} ms "
                            f"({self.batch} trials x {until - e.t} steps)", self.dt)
        start = e.t
        e.queue.add(events, e.t)
        with budget.allocating(f"running {self.batch} trial(s) x {until - start} steps of a session", est):
            log, analog = e.advance(until, self.network.recording)
            return engine_result(self.network, self.c, e, start, log, analog, self.label)

    def reset(self) -> None:
        """Back to time 0 and the description's initial state; the sources' own spike_times are queued."""
        self.engine = self._make()
        _, defaults = resolve_inputs(self.network, None, self.batch)
        self.engine.queue.add(defaults, 0)

    @contextlib.contextmanager
    def tentative(self):
        """Run ahead inside the block; on leaving it the session is back where it was (state,
        weights, time and queued inputs). Costs a copy of the O(neurons) state plus the weight
        rows and columns the block's steps overwrite."""
        mark = self.engine.checkpoint()
        try:
            yield self
        finally:
            self.engine.rollback(mark)

    @contextlib.contextmanager
    def atomic(self):
        """Keep the block's runs only if it finishes: an error (or Ctrl-C) inside takes them back."""
        mark = self.engine.checkpoint()
        try:
            yield self
        except BaseException:
            self.engine.rollback(mark)
            raise
        self.engine.release(mark)

    # -- state -----------------------------------------------------------------------------
    @property
    def state(self) -> dict:
        """A copy of everything the next window starts from: time, every state array by name
        (numpy), the IF spikes the refractory and STDP bookkeeping still look back on, and the
        queued source events."""
        host = self.engine.ops.host
        return dict(self.state_without_arrays(), arrays={k: host(v) for k, v in self.engine.state_arrays().items()})

    def state_without_arrays(self) -> dict:
        e, host = self.engine, self.engine.ops.host
        return {"time_ms": self.time_ms, "step": e.t, "batch": self.batch,
                "recent": [(int(t), host(b), host(i)) for t, b, i in e.recent],
                "queued": tuple(np.array(a) for a in e.queue.snapshot())}

    def save(self, path) -> None:
        """Write state, weights and time to `path` (a .npz archive) atomically: a failed save
        leaves an old file at `path` as it was."""
        _path("path", path)
        st = self.state_without_arrays()
        e = self.engine
        arrays = {f"a/{k}": v if isinstance(v, np.ndarray) else e.ops.host(v) for k, v in e.state_arrays().items()}
        for k, (t, b, i) in enumerate(st["recent"]):
            arrays[f"r/{k}/t"], arrays[f"r/{k}/b"], arrays[f"r/{k}/i"] = np.array(t), b, i
        arrays["q/trial"], arrays["q/step"], arrays["q/neuron"] = st["queued"]
        meta = {"format": FORMAT, "network": network_digest(self.network), "batch": self.batch,
                "step": st["step"], "dt": self.dt, "backend": self.label, "recent": len(st["recent"])}
        with atomic_path(path) as tmp, open(tmp, "wb") as f:      # streamed: no second copy of the weights
            np.savez(f, meta=np.array(json.dumps(meta)), **arrays)

    def load(self, path) -> None:
        """Continue from a saved session of the same network and batch. The file is read and
        checked completely (every field's type, range and shape) before the session changes."""
        path = _path("path", path)
        try:
            with np.load(path, allow_pickle=False) as z:
                files = {k: z[k] for k in z.files}
            meta = json.loads(str(files.pop("meta")))
        except FileNotFoundError:
            raise ValidationError("path", str(path), "no such file") from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            raise FormatError(f"{path}: not a saved spikemem session ({err})") from err
        if not isinstance(meta, dict):
            raise FormatError(f"{path}: not a saved spikemem session (its meta is a {type(meta).__name__})")
        if meta.get("format") != FORMAT:
            raise FormatError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
        if meta.get("network") != network_digest(self.network):
            raise ValidationError("session file", str(path), "was saved from another network description")
        if meta.get("batch") != self.batch or isinstance(meta.get("batch"), bool):
            raise ValidationError("session file", str(path), f"holds batch={meta.get('batch')!r}, this session has {self.batch}")
        fresh = self._make()
        step = _field(path, "step", lambda f, v: validation.integer(f, v, lo=0, hi=validation.MAX_STEPS), meta)
        n_recent = _field(path, "recent", lambda f, v: validation.integer(f, v, lo=0, hi=fresh.recent.maxlen), meta)
        arrays = {}
        for name, dst in fresh.state_arrays().items():
            got = files.get(f"a/{name}")
            if got is None or tuple(got.shape) != tuple(dst.shape):
                raise FormatError(f"{path}: state array {name!r} is missing or has another shape")
            kind = _kind(dst)
            if got.dtype.kind not in {"f": "fiu", "b": "b", "i": "iu"}[kind]:
                raise FormatError(f"{path}: state array {name!r} holds {got.dtype}, expected {'numbers' if kind == 'f' else 'integers' if kind == 'i' else 'booleans'}")
            if got.dtype.kind == "f" and np.isnan(got).any():     # (inf is a state: 'no spike yet')
                raise FormatError(f"{path}: state array {name!r} holds NaN")
            arrays[name] = got
        c, B = self.c, self.batch
        recent = []
        for k in range(n_recent):
            t = _field(path, f"r/{k}/t", lambda f, v: validation.integer(f, v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v, lo=0, hi=step), files)
            b, i = (_index_array(path, f"r/{k}/{x}", files, hi) for x, hi in (("b", B), ("i", c.n_if)))
            if len(b) != len(i):
                raise FormatError(f"{path}: r/{k}/b and r/{k}/i have different lengths")
            recent.append((t, b, i))
        source = np.zeros(c.n_all, dtype=bool)
        for p in self.network.populations:
            if p.is_source:
                source[c.offsets[p.name]:c.offsets[p.name] + c.sizes[p.name]] = True
        queued = tuple(_index_array(path, f"q/{x}", files, hi, lo) for x, lo, hi in
                       (("trial", 0, B), ("step", step, validation.MAX_STEPS + 1), ("neuron", 0, c.n_all)))
        if len({len(q) for q in queued}) != 1:
            raise FormatError(f"{path}: q/trial, q/step and q/neuron have different lengths")
        if not source[queued[2]].all():
            raise FormatError(f"{path}: q/neuron holds neurons that are not spike sources")
        if len(queued[1]) and np.any(np.diff(queued[1]) < 0):
            raise FormatError(f"{path}: q/step is not sorted")
        # checked: from here nothing can fail on the file's content
        fresh.load_state_arrays(arrays)
        fresh.t = step
        for s in fresh.plastic:
            s.t_end = fresh.t
        index = fresh.ops.index
        for t, b, i in recent:
            fresh.recent.append((t, index(b), index(i)))
        fresh.queue.restore(queued)
        self.engine = fresh


def _path(field: str, path):
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise ValidationError(field, path, "must be a file path")
    return path


def _kind(arr) -> str:
    """'f', 'i' or 'b': the kind of a numpy array's or torch tensor's dtype."""
    dt = arr.dtype
    if isinstance(dt, np.dtype):
        return "f" if dt.kind in "fc" else "b" if dt.kind == "b" else "i"
    text = str(dt)
    return "f" if "float" in text else "b" if "bool" in text else "i"


def _field(path, name: str, check, table):
    """table[name] through a validation check; a missing or refused entry is the file's FormatError."""
    if name not in table:
        raise FormatError(f"{path}: {name} is missing")
    try:
        return check(name, table[name])
    except ValidationError as e:
        raise FormatError(f"{path}: {e}") from None


def _index_array(path, name: str, files: dict, hi: int, lo: int = 0) -> np.ndarray:
    """files[name] as a 1-d int64 array of values in [lo, hi)."""
    arr = files.get(name)
    if arr is None:
        raise FormatError(f"{path}: {name} is missing")
    if arr.ndim != 1 or (arr.dtype.kind not in "iu" and arr.size):
        raise FormatError(f"{path}: {name} must be a 1-d integer array, not {arr.dtype} of shape {arr.shape}")
    bad = (arr < lo) | (arr >= hi)
    if np.any(bad):
        raise FormatError(f"{path}: {name}={int(arr[bad][0])}: out of range [{lo}, {hi})")
    return arr.astype(np.int64)
