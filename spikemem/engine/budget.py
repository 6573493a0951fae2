"""Memory a run will need, estimated from array sizes before anything is allocated.

A run is refused (ResourceError) when its estimate exceeds the memory limit: the memory this
machine (and its cgroup) has available now, capped by this process's RLIMIT_AS / RLIMIT_DATA
(`ulimit -v` / `ulimit -d`), or SPIKEMEM_MEMORY_LIMIT / `spikemem --memory-limit` (a size such
as 8G, or 'none' to switch the check off). The message gives the estimate by part, the limit
and what sets it, and the largest batch and duration that fit. An allocation that fails anyway
(the machine had less than it said) is a ResourceError too, naming what was being allocated
(allocating()). Spikes are the one
part not known in advance: the estimate assumes ASSUMED_RATE spikes per neuron and step, and
the run itself stops with a ResourceError (before the machine runs out) when its spike log
outgrows the memory left. docs/validation.md, resource limits.

The per-element costs below are those of the numpy reference engine (float64, int64 indices;
engine/flatten.py and engine/array_engine.py), peaks included: the temporaries flatten makes
while it sorts synapses, the per-trial copy of a plastic matrix while it is built.
"""
from __future__ import annotations

import contextlib
import math
import os
import re
from dataclasses import dataclass, field

from ..description import realisation
from ..description.random import RandomDistribution
from ..errors import ResourceError, ValidationError
from .flatten import delivery_mode, is_layer, table_synapses, uniform_start
from .layers import per_trial_bytes as layer_bytes
from .poisson import expected_spikes_per_step

ENV = "SPIKEMEM_MEMORY_LIMIT"
ASSUMED_RATE = 0.02           # spikes per IF neuron per step assumed a priori (20 Hz at dt = 1 ms)
SYNAPSE_BUILD = 112           # bytes per static synapse while flatten sorts them (peak)
SYNAPSE_KEPT = 40             # bytes per static synapse during the run (CSR + merged copy)
SPIKE = 96                    # bytes per logged spike, log and per-population split (peak)
EVENT = 72                    # bytes per input spike event (events, merged, index copies)
PYNN_SYNAPSE = 400           # bytes per synapse lowered to PyNN lists plus the simulator's own copy
PER_NEURON = 160              # parameters and per-neuron tables of the flat network
_limit_override: list = []    # innermost memory_limit() value
LIF_KINDS = ("IF_curr_exp", "IF_curr_delta")
NO_FIT = "the network does not fit at any batch or duration: use fewer or smaller populations, or sparser connectors"


@dataclass
class Estimate:
    """Bytes by part: `fixed` does not grow with the batch, `per_trial` grows with it, and
    `per_trial_step` with batch x steps; `peak_build` is the transient peak while building."""

    batch: int
    steps: int
    fixed: dict = field(default_factory=dict)
    per_trial: dict = field(default_factory=dict)
    per_trial_step: dict = field(default_factory=dict)
    peak_build: int = 0
    synapses: int = 0
    build_parts: dict = field(default_factory=dict)    # what peak_build holds, by part (else: synapse tables)

    def bytes_at(self, batch: int, steps: int) -> int:
        run = sum(self.fixed.values()) + batch * (sum(self.per_trial.values()) + steps * sum(self.per_trial_step.values()))
        return int(max(run, self.peak_build))

    @property
    def total(self) -> int:
        return self.bytes_at(self.batch, self.steps)

    def parts(self) -> dict:
        out = dict(self.fixed)
        for k, v in self.per_trial.items():
            out[k] = out.get(k, 0) + self.batch * v
        for k, v in self.per_trial_step.items():
            out[k] = out.get(k, 0) + self.batch * self.steps * v
        return {k: int(v) for k, v in out.items() if v}

    def largest_batch(self, limit: int) -> int:
        per = sum(self.per_trial.values()) + self.steps * sum(self.per_trial_step.values())
        room = limit - sum(self.fixed.values())
        if self.peak_build > limit or room < per:
            return 0
        return int(room // per) if per else self.batch

    def longest_steps(self, limit: int) -> int | None:
        """Steps that fit at this batch, or None when duration is not what is too large."""
        per = self.batch * sum(self.per_trial_step.values())
        room = limit - sum(self.fixed.values()) - self.batch * sum(self.per_trial.values())
        if self.peak_build > limit or room < 0 or not per:
            return None
        return int(room // per)

    def __add__(self, other: "Estimate") -> "Estimate":
        out = Estimate(self.batch, self.steps, dict(self.fixed), dict(self.per_trial), dict(self.per_trial_step),
                       max(self.peak_build, other.peak_build), self.synapses + other.synapses)
        for mine, theirs in ((out.fixed, other.fixed), (out.per_trial, other.per_trial),
                             (out.per_trial_step, other.per_trial_step)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        return out


def _count_synapses(network):
    """(static synapses, plastic matrix cells, plastic (n_pre, n_post, history, per_update) blocks)."""
    sizes = {p.name: p.size for p in network.populations}
    static, cells, blocks = 0, 0, []
    mode = delivery_mode(network)
    for pr in network.projections:
        n_pre, n_post = sizes[pr.pre], sizes[pr.post]
        n = realisation.n_synapses(pr, n_pre, n_post)
        if pr.plasticity is None:
            static += table_synapses(pr, n_pre, n_post, mode)     # structured all-to-all: no table (docs/scale.md)
        else:
            cells += n_pre * n_post
            blocks.append((n_pre, n_post, pr.plasticity.post_history or 0, pr.plasticity.clamp == "per_update", n))
    return static, cells, blocks


def estimate(network, batch: int, steps: int, n_events: int = 0, *, events_per_trial_step: float = 0.0,
             synapse_build: int = SYNAPSE_BUILD, synapse_kept: int = SYNAPSE_KEPT, rate: float = ASSUMED_RATE) -> Estimate:
    """What the array engine allocates to run `network` for `steps` steps over `batch` trials,
    computed from the description alone (no synapse is built). n_events: input spikes, or
    events_per_trial_step when they grow with the run."""
    n_if = sum(p.size for p in network.populations if not p.is_source)
    n_all = sum(p.size for p in network.populations)
    static, _, blocks = _count_synapses(network)
    max_delay = 0
    dt = network.simulation.dt
    for pr in network.projections:
        d = pr.delay
        if isinstance(d, RandomDistribution):      # unbounded ones: a generous guess (the ring is per trial)
            hi = d.support[1]
            top = hi if math.isfinite(hi) else d.support[0] + 50 * (getattr(d, "sigma", 0) or getattr(d, "beta", 0) or 1)
        else:
            top = float(d) if getattr(d, "ndim", 0) == 0 else (float(d.max()) if d.size else 0.0)
        max_delay = max(max_delay, math.floor(top / dt + 0.5))
    poisson = sum(expected_spikes_per_step(p, dt) for p in network.populations
                  if p.cell.kind == "SpikeSourcePoisson")       # drawn while the run goes, logged as spikes
    width = 2 * n_if
    n_v = sum(network.population(p).size for p in network.recording.v)
    n_v += sum(network.population(p).size for p in network.recording.gsyn_exc + network.recording.gsyn_inh)
    # the other neuron models' state and step temporaries (neuron_models.py): at most 12 values each
    n_other = sum(p.size for p in network.populations if not p.is_source and p.cell.kind not in LIF_KINDS)
    recorded_w = set(network.recording.weights)
    plastic_trial, plastic_fixed = 0, 0
    for (n_pre, n_post, hist, per_update, n), pr in zip(blocks, [p for p in network.projections if p.plasticity]):
        cells = n_pre * n_post
        uniform = uniform_start(pr)                               # filled, not built from pairs
        plastic_fixed += 0 if uniform else 2 * 8 * cells + 6 * 8 * n   # w0 and mask; the pairs that filled them
        copies = (1 if uniform else 2) + per_update + (pr.name in recorded_w)   # W, its build copy, pending, the result
        plastic_trial += 8 * (copies * cells + 3 * (n_pre + n_post) + 2 * hist * n_post)
    mode = delivery_mode(network)
    layers = [pr.connector for pr in network.projections if is_layer(pr, mode)]     # delivered from structure
    est = Estimate(batch, steps)
    est.fixed = {"network tables": PER_NEURON * n_all + 8 * (n_all + 1), "synapses": synapse_kept * static,
                 "layer weights": sum(2 * 8 * (c.kernel_weights.size if c.kind == "convolution" else c.weights.size)
                                      for c in layers),
                 "plastic matrices": plastic_fixed, "input events": EVENT * n_events}
    est.per_trial = {"neuron state": 8 * (4 * n_if + width + 12 * n_other) + n_if,
                     "ring buffer": 8 * (max_delay + 1) * width,
                     "plastic matrices": plastic_trial,
                     "layer delivery": max((layer_bytes(c) for c in layers), default=0),
                     # the generator's words per Poisson neuron and a step's temporaries (engine/poisson.py)
                     "Poisson generator": 48 * sum(p.size for p in network.populations
                                                   if p.cell.kind == "SpikeSourcePoisson")}
    est.per_trial_step = {"recorded V and gsyn": 2 * 8 * n_v, "spikes (assumed rate)": SPIKE * rate * n_if,
                          "input events": EVENT * events_per_trial_step, "Poisson spikes": SPIKE * poisson}
    est.peak_build = synapse_build * static + plastic_fixed + est.fixed["network tables"]
    est.synapses = static
    return est


def objects(n: int, bytes_each: int, label: str, batch: int = 1, steps: int = 0) -> Estimate:
    """An extra fixed part: n Python objects (cases, operations) of about bytes_each."""
    return Estimate(batch, steps, fixed={label: n * bytes_each})


# -- the limit -------------------------------------------------------------------------------------
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str, field: str = "memory limit") -> int | None:
    """'8G', '512M', '1.5g', '2000000' (bytes) or 'none'/'off' (no limit, None)."""
    t = str(text).strip().lower()
    if t in ("none", "off", "unlimited"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?", t)
    if not m:
        raise ValidationError(field, text, "must be a size such as 8G, 512M or 1000000 (bytes), or 'none'")
    value = float(m.group(1)) * _UNITS[m.group(2)]
    if not 0 < value < 2**62:
        raise ValidationError(field, text, "must be > 0 and < 4 EiB")
    return int(value)


def available() -> tuple:
    """(bytes, what bounds them): the memory available now, the least of MemAvailable, the
    cgroup's limit minus its usage, and this process's address-space and data-segment limits
    (RLIMIT_AS, `ulimit -v`; RLIMIT_DATA, `ulimit -d`) minus what it already maps."""
    rooms = []
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    rooms.append((int(line.split()[1]) * 1024, "the memory available (MemAvailable)"))
    if not rooms:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            rooms.append((os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "the memory available"))
    for cap, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                      ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        with contextlib.suppress(OSError, ValueError):
            with open(cap) as f, open(used) as g:
                rooms.append((int(f.read().strip()) - int(g.read().strip()), f"the cgroup's limit ({cap})"))
                break
    rooms += _rlimit_rooms()
    if not rooms:
        return 2**62, "nothing (no limit found)"
    room, what = min(rooms, key=lambda r: r[0])
    return max(int(room), 0), what


def _rlimit_rooms() -> list:
    """[(bytes, what)] under this process's soft RLIMIT_AS and RLIMIT_DATA, less what it maps
    now (VmSize and VmData of /proc/self/status)."""
    try:
        import resource
    except ImportError:          # not on this platform
        return []
    mapped = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmSize:", "VmData:")):
                    mapped[line.split(":")[0]] = int(line.split()[1]) * 1024
    out = []
    for name, status, shell in (("RLIMIT_AS", "VmSize", "ulimit -v"), ("RLIMIT_DATA", "VmData", "ulimit -d")):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            soft = resource.getrlimit(getattr(resource, name))[0]
            if soft != resource.RLIM_INFINITY and soft >= 0:
                out.append((soft - mapped.get(status, 0), f"this process's {name} ({shell}: {gib(soft)}, "
                                                          f"{gib(mapped.get(status, 0))} of it in use)"))
    return out


def available_bytes() -> int:
    """Memory available now (see available())."""
    return available()[0]


def limit() -> int | None:
    """The limit in force: memory_limit(), else SPIKEMEM_MEMORY_LIMIT, else what is available."""
    return limit_and_source()[0]


def limit_and_source() -> tuple:
    """(the limit in force or None, where it comes from)."""
    if _limit_override:
        return _limit_override[-1], "memory_limit()"
    if os.environ.get(ENV):
        return parse_size(os.environ[ENV], ENV), ENV
    return available()


@contextlib.contextmanager
def memory_limit(size):
    """Run the block under another limit: bytes, a size text ('8G') or None for no check."""
    value = parse_size(size) if isinstance(size, str) else size
    _limit_override.append(value)
    try:
        yield
    finally:
        _limit_override.pop()


def gib(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:,.1f} GiB"
    return f"{n / 2**20:,.1f} MiB" if n >= 2**20 else f"{n / 2**10:,.1f} KiB"


def require(est: Estimate, what: str, dt: float | None = None, hint: str | None = None) -> int | None:
    """Refuse the run if `est` does not fit the limit; returns the limit (None: unchecked).
    `hint` names what else could be made smaller (e.g. the number of operations)."""
    lim, source = limit_and_source()
    if lim is None or est.total <= lim:
        return lim
    parts = ", ".join(f"{k} {gib(v)}" for k, v in sorted(est.parts().items(), key=lambda kv: -kv[1])[:5])
    hints = []
    if est.peak_build > lim:
        held = (", ".join(f"{k} {gib(v)}" for k, v in est.build_parts.items()) if est.build_parts
                else f"{est.synapses:,} synapses and plastic matrices")
        parts = f"building the network {gib(est.peak_build)}: {held}"
        hints.append(NO_FIT)
    b = est.largest_batch(lim)
    if 0 < b < est.batch and est.peak_build <= lim:
        hints.append(f"the largest batch that fits is {b}")
    s = est.longest_steps(lim)
    if s is not None and s < est.steps:
        hints.append(f"the longest run that fits is {s} steps" + (f" ({s * dt:g} ms)" if dt else ""))
    if hint:
        hints.append(hint)
    if not hints:        # even one trial's state (its plastic matrices, say) exceeds the limit
        hints.append(NO_FIT)
    raise ResourceError(f"{what} needs about {gib(est.total)} ({parts}) but the memory limit is {gib(lim)} "
                        f"(set by {source}); " + "; ".join(hints)
                        + f". Set {ENV} or --memory-limit (e.g. 64G, or 'none') to override")


_OOM_WORDS = ("out of memory", "can't allocate memory", "not enough memory", "cannot allocate memory")


@contextlib.contextmanager
def allocating(what: str, est: Estimate | None = None):
    """Run the block; an allocation that fails inside it (numpy's MemoryError, torch's
    OutOfMemoryError or its CPU allocator's error) becomes a ResourceError naming `what` was
    being allocated, the failed allocation as the library reported it, and the estimate."""
    try:
        yield
    except MemoryError as e:
        raise ResourceError(_oom_message(what, e, est)) from None
    except RuntimeError as e:        # torch: OutOfMemoryError, or the CPU allocator's RuntimeError
        if type(e).__name__ != "OutOfMemoryError" and not any(w in str(e).lower() for w in _OOM_WORDS):
            raise
        raise ResourceError(_oom_message(what, e, est)) from None


def _oom_message(what: str, err, est) -> str:
    lim, source = limit_and_source()
    detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
    plan = f"; the plan estimated {gib(est.total)}" if est is not None else ""
    if lim is None:
        why = f" with the memory check switched off ({source}=none): run fewer trials or a shorter duration, " \
              "or switch the check on"
    else:
        why = f" under a limit of {gib(lim)} (set by {source}), which the machine did not have: run fewer trials " \
              f"or a shorter duration, or set {ENV} or --memory-limit lower"
    return f"out of memory while {what}: {detail}{plan}{why}"


class SpikeGuard:
    """Called by the engine every few hundred steps: stops a run whose spike log outgrows the
    memory left under the limit, instead of letting the machine run out."""

    def __init__(self, est: Estimate, lim: int | None, progress=None):
        assumed = est.batch * est.steps * (est.per_trial_step.get("spikes (assumed rate)", 0)
                                           + est.per_trial_step.get("Poisson spikes", 0))     # the log counts both
        self.room = None if lim is None else lim - (est.total - assumed)
        self.progress, self.spikes, self.seen = progress, 0, 0

    def __call__(self, t: int, log: list) -> None:
        for _, bs, _ in log[self.seen:]:
            self.spikes += len(bs)
        self.seen = len(log)
        if self.room is not None and self.spikes * SPIKE > self.room:
            raise ResourceError(f"the run stopped at step {t}: its {self.spikes} spikes need about "
                                f"{gib(self.spikes * SPIKE)}, more than the {gib(max(self.room, 0))} left under the memory "
                                f"limit; run fewer trials or a shorter duration, or raise {ENV}")
        if self.progress is not None:
            self.progress.update(t - self.progress.n)
