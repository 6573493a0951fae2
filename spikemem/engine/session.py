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
import hashlib
import json
import zipfile

import numpy as np

from ..description import validation
from ..errors import FormatError, UnsupportedFeature, ValidationError
from ..files import atomic_path
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

    def __init__(self, network, batch: int = 1, *, label: str, ops=None, neurons=None, structured: str = "auto"):
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValidationError("batch", batch, "must be an integer >= 1")
        if getattr(network.simulation, "numerics", "float") != "float":
            raise UnsupportedFeature(f"a session with numerics={network.simulation.numerics!r}: the fixed-point "
                                     "engine keeps state a session does not carry yet; run whole schedules")
        self.network, self.batch, self.label = network, batch, label
        self.dt = network.simulation.dt
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
        start = e.t
        e.queue.add(events, e.t)
        log, v = e.advance(until, self.network.recording.v)
        return engine_result(self.network, self.c, e, start, log, v, self.label)

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
        """Write state, weights and time to `path` (a .npz archive) atomically."""
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
        checked completely before the session changes."""
        try:
            with np.load(path, allow_pickle=False) as z:
                files = {k: z[k] for k in z.files}
            meta = json.loads(str(files.pop("meta")))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
            raise FormatError(f"{path}: not a saved spikemem session ({err})") from err
        if meta.get("format") != FORMAT:
            raise FormatError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
        if meta["network"] != network_digest(self.network):
            raise ValidationError("session file", str(path), "was saved from another network description")
        if meta["batch"] != self.batch:
            raise ValidationError("session file", str(path), f"holds batch={meta['batch']}, this session has {self.batch}")
        fresh = self._make()
        for name, dst in fresh.state_arrays().items():
            got = files.get(f"a/{name}")
            if got is None or tuple(got.shape) != tuple(dst.shape):
                raise FormatError(f"{path}: state array {name!r} is missing or has another shape")
        fresh.load_state_arrays({k[2:]: v for k, v in files.items() if k.startswith("a/")})
        fresh.t = int(meta["step"])
        for s in fresh.plastic:
            s.t_end = fresh.t
        index = fresh.ops.index
        for k in range(int(meta["recent"])):
            fresh.recent.append((int(files[f"r/{k}/t"]), index(files[f"r/{k}/b"]), index(files[f"r/{k}/i"])))
        fresh.queue.restore((files["q/trial"], files["q/step"], files["q/neuron"]))
        self.engine = fresh
