"""The batched network engine, written once for every array library (numpy, torch).

The library comes in as an ops object (spikemem.engine.numpy_ops.NumpyOps for the reference backend,
spikemem.engine.torch_ops.TorchOps for the torch-based ones), so every backend built on it shares each
rule, each order of operations and each rounding: torch in float64 reproduces the reference
spike for spike by construction.

All IF neurons of all populations live in flat (batch, n) arrays. A step is: the membrane
update (IF_curr_exp, docs/update_schemes.md, or a library's cell), the refractory hold,
threshold and reset; the step's IF and source spikes; STDP post events due now, then the
plastic pre events (depression, then transmission); static delivery into a ring buffer of
future input. Synapse delivery is event-driven: a step costs a fixed handful of array
operations plus work per spike, whatever the network's shape and batch. Static all-to-all
and one-to-one projections are delivered by their structure, O(pre + post) per step with no
synapse table (docs/scale.md).

The engine keeps its clock (t, in steps) and a queue of source events that lie ahead, so a
live session (spikemem.engine.session) can advance it window by window: advance(until) from
wherever the last one stopped gives the spikes of one long run.
Simulation(numerics="fixed") runs the same steps on a SpiNNaker core's integers
(spikemem.engine.fixed_engine.FixedEngine, docs/fixed_point.md).
"""
from __future__ import annotations

from collections import deque

import numpy as np

from ..description import validation
from ..errors import ValidationError
from ..progress import Progress
from . import budget
from .flatten import FlatNetwork, flatten
from .inputs import resolve_inputs
from .layers import LayerDelivery
from .layers import deliver as deliver_layers
from .current_sources import CurrentSchedule, inject_targets
from .model_params import columns
from .neuron_models import FLOAT_MODELS, ModelSet, NeuronModel
from .numpy_ops import NumpyOps
from .poisson import PoissonSources
from .recorder import AnalogRecorder
from .spike_log import assemble_result, merge_sources
from .stdp import make_stdp, see_post_spikes


MONITOR_EVERY = 256   # steps between two calls of Engine.monitor
PROGRESS_WORK = 2e8   # neuron-steps x trials above which a run shows progress on a terminal


class IFNeurons(NeuronModel):
    """IF_curr_exp (and IF_curr_delta) updated in place, both schemes; the default membrane of
    the engine, on all its neurons or (beside other models) on the slice of the LIF cells."""

    STATE = ("I",)     # what a step carries to the next (the session saves and restores these)

    def __init__(self, e, m=None):
        c, ops, p = e.c, e.ops, e.c.params
        lo, hi = (0, c.n_if) if m is None else (m.lo, m.hi)
        self.whole = lo == 0 and hi == c.n_if          # every neuron: no slicing at all
        if not self.whole:
            self._slice(e, lo, hi)
            p = {k: v[lo:hi] if np.shape(v) == (c.n_if,) else columns(v, lo, hi, c.n_if) for k, v in p.items()
                 if k in ("init", "decay", "p21", "R", "alpha", "v_rest", "i_offset", "direct", "drift", "drift_gain")}
        n = hi - lo
        w = e.width if self.whole else 2 * n
        self.n, self.spinnaker, self.merged, self.keep = n, c.scheme == "spinnaker", e.merged, c.gsyn
        self.I = ops.zeros((e.B, w))                                  # synaptic currents, nA
        self.a, self.b = ops.zeros((e.B, n)), ops.zeros((e.B, n))     # scratch
        self.init, self.decay = ops.array(p["init"][:w]), ops.array(p["decay"][:w])
        self.p21_e, self.p21_i = ops.array(p["p21"][:n]), ops.array(p["p21"][n:])
        self.R, self.alpha, self.v_rest = ops.array(p["R"]), ops.array(p["alpha"]), ops.array(p["v_rest"])
        self.offset = ops.array(p["i_offset"] * p["R"] + p["v_rest"])           # a = v_rest + (I + i_offset) R
        self.leak_offset = ops.array(p["i_offset"] * p["R"] * (1.0 - p["alpha"]))
        # IFCurrDelta neurons (flatten._delta_cells): the arriving weight jumps V after the leak.
        self.direct = ops.array(p["direct"]) if p["direct"].any() else None
        self.drift = ops.array(p["drift"]) if p["drift"].any() else None
        self.jump = ops.zeros((e.B, n)) if self.direct is not None else None
        # the injected-current hook (NeuronModel.inject) enters where i_offset does: R (1 - alpha)
        # under exact, R under spinnaker, dt / cm a step without leak (the drift's gain)
        self.inject_gain = ops.array(p["R"] if self.spinnaker else p["R"] * (1.0 - p["alpha"]))
        self.inject_drift = ops.array(p["drift_gain"])

    def membrane(self, e, arrived):
        """V of every neuron after this step, before the refractory hold and the threshold."""
        ops, n, I, a, b = e.ops, self.n, self.I, self.a, self.b
        if self.whole:
            V = e.V
        else:
            V, arrived = e.V[:, self.lo:self.hi], arrived[:, self.cols]
        if self.direct is not None:
            self._jumps(e, arrived)
        if self.spinnaker:
            arrived *= self.init
            I += arrived
            if self.merged:
                ops.mul(I, self.R, a)
            else:
                ops.sub(I[:, :n], I[:, n:], a)
                a *= self.R
            a += self.offset                                          # a = v_rest + (I_E - I_I + i_offset) R
            if self.inject is not None:
                a += self.inject * self.inject_gain
            ops.sub(a, V, b)
            b *= self.alpha
            ops.sub(a, b, V)                                          # V = a - exp(-dt/tau_m) (a - V)
            if self.keep:
                self.syn_now = ops.copy(I)
            I *= self.decay
        else:
            V -= self.v_rest
            V *= self.alpha
            V += self.v_rest
            ops.mul(I[:, :n], self.p21_e, a)
            if not self.merged:
                ops.mul(I[:, n:], self.p21_i, b)
                a -= b
            a += self.leak_offset
            if self.inject is not None:
                a += self.inject * self.inject_gain
            V += a
            I *= self.decay
            I += arrived
            self.syn_now = I
        if self.jump is not None:
            V += self.jump
        return V

    def _jumps(self, e, arrived):
        """The mV each IFCurrDelta neuron jumps by this step: signed input, plus its drift."""
        j, n = self.jump, self.n
        if self.merged:
            e.ops.mul(arrived, self.direct, j)
        else:
            e.ops.sub(arrived[:, :n], arrived[:, n:], j)
            j *= self.direct
        if self.drift is not None:
            j += self.drift
        if self.inject is not None:
            j += self.inject * self.inject_drift


class Engine:
    """One batch of trials of a FlatNetwork. `neurons(engine)` replaces the IF membrane update:
    its membrane(engine, arrived) gets the synaptic weight arriving this step as exc | inh
    columns and returns V; threshold, reset and the refractory hold stay the engine's."""

    def __init__(self, c: FlatNetwork, batch: int, ops=None, neurons=None):
        ops = ops or NumpyOps()
        self.c, self.B, self.ops = c, batch, ops
        self.t = 0                                     # steps simulated so far
        self.queue = SourceQueue(c)                    # source events not yet delivered
        p, n = c.params, c.n_if
        # Where every neuron's exc and inh synapses share tau_syn, one signed current does the
        # work of two (half the memory traffic of the hot loop); otherwise columns are exc | inh.
        # (not beside other models, nor where gsyn is recorded: that reads exc and inh apart)
        self.lif_only = not c.models or (len(c.models) == 1 and c.models[0].kind == "lif")
        self.merged = neurons is None and self.lif_only and not c.gsyn and \
            all(np.array_equal(p[k][:n], p[k][n:]) for k in ("decay", "init", "p21"))
        self.width = n if self.merged else 2 * n
        self.csr, self.cols = self._synapse_tables(c)
        self.has_csr = bool(len(c.csr[1]))
        self.blocks, self.rank, self.n_pops = self._blocks(c)
        self.layers = [LayerDelivery(b, ops, *self._column(b.col_off)) for b in c.layers or ()]
        self.V = ops.array(np.repeat(p["v_start"][None], batch, axis=0))
        self.v_thresh, self.v_reset = ops.array(p["v_thresh"]), ops.array(p["v_reset"])
        self.refrac = ops.index(p["refrac"])
        self.ring = ops.zeros((c.ring_len, batch, self.width))        # input arriving at each future step
        self.ring_flat = self.ring.reshape(-1)
        self.fired = ops.bools((batch, n))
        self.plastic = self._make_plastic(c, batch)
        self.gated = any(b.gate is not None for b in c.plastic)
        self.max_ref = int(p["refrac"].max()) if n else 0
        self.uniform_ref = n == 0 or bool(np.all(p["refrac"] == self.max_ref))
        keep = max([self.max_ref] + [b.dendritic + 1 for b in c.plastic])
        self.recent = deque(maxlen=max(keep, 1))       # (step, trials, neurons) of the last steps with IF spikes
        if neurons is not None:
            self.neurons = neurons(self)
        elif self.lif_only:
            self.neurons = IFNeurons(self)
        else:
            self.neurons = ModelSet(self, dict(FLOAT_MODELS, lif=IFNeurons))
        self.on_spike = getattr(self.neurons, "spiked", None)     # models that change more at a spike
        onset = p.get("onset", np.zeros(n, np.int64))
        self.onset, self.onset_max = onset, int(onset.max()) if n else 0
        self.v_start = ops.array(p["v_start"])
        self.poisson = PoissonSources(c.poisson, batch, ops) if c.poisson else None
        self.currents = CurrentSchedule(c, batch) if c.currents else None
        self.inject_into = inject_targets(self.neurons) if c.currents else ()
        self._inject_version = None
        self.monitor = None     # monitor(t, log) every MONITOR_EVERY steps: progress, the spike guard

    def _make_plastic(self, c, batch: int) -> list:
        return [make_stdp(b, batch, c.dt, self.ops) for b in c.plastic]

    def _synapse_tables(self, c):
        """Static synapses as a CSR table by pre neuron and, per plastic block, (column slice, sign)."""
        indptr, col, w, d = c.csr
        n, ops = c.n_if, self.ops
        w_ = max(self.width, 1)          # no IF neuron at all: every plastic block is empty
        cols = [(slice(b.col_off % w_, b.col_off % w_ + b.n_post),
                 -1.0 if self.merged and b.col_off >= n else 1.0) for b in c.plastic]
        if self.merged:
            inh = col >= n
            col, w = np.where(inh, col - n, col), np.where(inh, -w, w)
        return (ops.index(indptr), ops.index(col), ops.array(w), ops.index(d)), cols

    def _column(self, col_off: int) -> tuple:
        """(sign, column) of a post population's first current column (merged: one signed column)."""
        if self.merged and col_off >= self.c.n_if:
            return -1.0, col_off - self.c.n_if
        return 1.0, col_off

    def _blocks(self, c):
        """StructuredBlocks as (population rank, column start, signed weight, delay, n_post), and
        each neuron's population rank (the index of its population's spike count)."""
        names = list(c.offsets)
        rank = np.zeros(c.n_all, dtype=np.int64)
        for r, name in enumerate(names):
            rank[c.offsets[name]:c.offsets[name] + c.sizes[name]] = r
        out = []
        for b in c.structured or []:
            col, sign = b.col_off, 1.0
            if self.merged and col >= c.n_if:
                col, sign = col - c.n_if, -1.0
            out.append((names.index(b.pre), col, sign * b.weight, b.delay, b.n_post))
        return out, self.ops.index(rank), len(names)

    # -- one step -------------------------------------------------------------------------
    def step(self, t: int, src_trials, src_neurons, repeats=None):
        """Advance every trial by step t; returns the (trials, neurons) of all its spikes.
        repeats: None, or (numpy) how many times each source event's (trial, neuron) was
        listed before it in this step (repeat_ranks)."""
        ops = self.ops
        arrived = self.ring[t % self.c.ring_len]
        if self.currents is not None:
            self._inject(t)
        self.V = V = self.neurons.membrane(self, arrived)
        arrived[...] = 0
        self._hold_refractory(t)
        if t < self.onset_max:
            held = ops.index(np.flatnonzero(self.onset > t))   # cell.onset: not started yet
            V[:, held] = self.v_start[held]
        ops.ge(V, self.v_thresh, self.fired)
        bs, ns, fb, fi = ops.step_spikes(self.fired, src_trials, src_neurons)
        if len(fb):
            V[fb, fi] = self.v_reset[fi]
            if self.on_spike is not None:
                self.on_spike(fb, fi)
            self.recent.append((t, fb, fi))
        if self.plastic:
            gates = self._gates(bs, ns) if self.gated else {}
            see_post_spikes(self.plastic, self.recent, t, gates)
            if len(bs):
                rounds = [(bs, ns)] if repeats is None else self._rounds(bs, ns, len(fb), repeats)
                for s, (cols, sign) in zip(self.plastic, self.cols):
                    for rb, rn in rounds:
                        self._deliver_plastic(s, cols, sign, rb, rn, t, gates.get(id(s)))
        if len(bs):
            if self.has_csr:
                self._deliver_static(bs, ns, t)
            if self.blocks:
                self._deliver_structured(bs, ns, t)
            if self.layers:
                deliver_layers(self, bs, ns, t)
        return bs, ns

    def _inject(self, t: int) -> None:
        """Hand step t's injected current to every neuron model (NeuronModel.inject); a new
        device array only where the schedule changed."""
        cur = self.currents.at(t)
        version = self.currents.version
        if version == self._inject_version:
            return
        self._inject_version = version
        if cur is not None:
            cur = self._inject_array(cur)
        for m, lo, hi in self.inject_into:
            m.inject = None if cur is None else cur[:, lo:hi]

    def _inject_array(self, cur):
        return self.ops.array(cur)

    def _rounds(self, bs, ns, n_fired: int, repeats) -> list:
        """The step's spikes in rounds: a source neuron listed k times at this step is in the
        first k rounds, so that each listing is its own STDP pre event, after the one before
        it (as PyNN, sPyNNaker and NEST deliver every listed spike). Static delivery needs no
        rounds: it adds each listing's weight."""
        rank = np.concatenate([np.zeros(n_fired, dtype=np.int64), repeats])
        out = []
        for r in range(int(repeats.max()) + 1):
            idx = self.ops.index(np.flatnonzero(rank == r))
            out.append((bs[idx], ns[idx]))
        return out

    def _hold_refractory(self, t):
        """Neurons that fired at most their refractory period ago stay at v_reset."""
        for s, fb, fi in self.recent:
            if t - s > self.max_ref:
                continue
            if not self.uniform_ref:
                fb, fi = self.ops.select(self.refrac[fi] >= t - s, fb, fi)
            self.V[fb, fi] = self.v_reset[fi]

    def _gates(self, bs, ns) -> dict:
        """For each gated plastic block, the (batch,) bool of trials whose gate spikes now."""
        out = {}
        for s in self.plastic:
            if s.block.gate is not None:
                open_ = self.ops.bools((self.B,))
                open_[self.ops.select(ns == s.block.gate, bs)[0]] = True
                out[id(s)] = open_
        return out

    def _deliver_static(self, bs, ns, t):
        ops = self.ops
        indptr, col, w, d = self.csr
        start = indptr[ns]
        lens = indptr[ns + 1] - start
        total = int(lens.sum())
        if not total:
            return
        pos = ops.repeat(start - ops.cumsum(lens) + lens, lens, total) + ops.arange(total)
        slot = (t + d[pos]) % self.c.ring_len
        flat = (slot * self.B + ops.repeat(bs, lens, total)) * self.width + col[pos]
        self._ring_add(flat, w[pos])

    def _ring_add(self, flat, values):
        """Add synaptic weights into the ring buffer at flat indices (numerics='fixed' saturates here)."""
        self.ops.scatter_add(self.ring_flat, flat, values)

    def _deliver_structured(self, bs, ns, t):
        """All-to-all without a synapse table: one count of each trial's spikes per population,
        then weight x count onto every post neuron (docs/scale.md). No host sync."""
        ops, L = self.ops, self.c.ring_len
        counts = ops.counts(bs * self.n_pops + self.rank[ns], self.B * self.n_pops).reshape(self.B, self.n_pops)
        for r, col, w, d, n in self.blocks:
            ops.add_scaled(self.ring[(t + d) % L][:, col:col + n], counts[:, r:r + 1], w)

    def _deliver_plastic(self, stdp, cols, sign, bs, ns, t, open_):
        b = stdp.block
        bs, is_ = self.ops.select((ns >= b.pre_off) & (ns < b.pre_off + b.n_pre), bs, ns)
        if not len(bs):
            return
        rows = stdp.pre(bs, is_ - b.pre_off, t, open_)
        trials, sums = self.ops.trial_sums(rows, bs, self.B)         # per trial, in spike order
        if sign < 0:
            sums = -sums
        self._ring_add_rows((t + b.delay) % self.c.ring_len, trials, cols, sums, rows, bs)

    def _ring_add_rows(self, slot, trials, cols, sums, rows, row_trials):
        """Add the per-trial sums of transmitted plastic rows into ring-buffer slot `slot`."""
        self.ring[slot][trials, cols] += sums

    # -- the run --------------------------------------------------------------------------
    def run(self, steps: int, source_events: dict, record=()) -> tuple:
        """One run from step 0: ((trial, step, neuron) of every spike as numpy arrays, the analog
        recordings of AnalogRecorder.result)."""
        self.queue.add(source_events, self.t)
        return self.advance(steps, record)

    def advance(self, until: int, record=()) -> tuple:
        """Simulate steps [t, until) with the queued source events that fall in them; the spike log
        uses absolute steps and the analog recordings (a Recording, or the populations whose V
        is recorded) cover the window only."""
        ops = self.ops
        trial, step, neuron = self.queue.take(until)
        bounds = np.searchsorted(step, np.arange(self.t, until + 1))
        repeats = repeat_ranks(trial, step, neuron)
        repeated = set(step[repeats > 0].tolist())        # steps where a source lists a time twice
        trial, neuron = ops.index(trial), ops.index(neuron)
        recorder = AnalogRecorder(self, record)
        log = []
        with ops.no_grad():
            for k, t in enumerate(range(self.t, until)):
                lo, hi = bounds[k], bounds[k + 1]
                st, sn = trial[lo:hi], neuron[lo:hi]
                rep = repeats[lo:hi] if t in repeated else None
                if self.poisson is not None:        # drawn now, after the queued sources of the step
                    pt, pn = self.poisson.draw(t)
                    if len(pt):
                        st, sn = ops.cat([st, pt]), ops.cat([sn, pn])
                        if rep is not None:         # a Poisson train holds a step once: no second round
                            rep = np.concatenate([rep, np.zeros(len(pt), dtype=np.int64)])
                bs, ns = self.step(t, st, sn, rep)
                if recorder:
                    recorder.sample(t)
                if len(bs):
                    log.append((t, ops.compact(bs), ops.compact(ns)))
                if t % MONITOR_EVERY == MONITOR_EVERY - 1:
                    if self.monitor is not None:
                        self.monitor(t + 1, log)
                    self._check_finite(t)
            self._check_finite(until - 1)
            self.t = max(self.t, until)
            for s in self.plastic:
                s.t_end = self.t
            analog = recorder.result()
        return self._flat_log(log), analog

    def _check_finite(self, t: int) -> None:
        """The models beyond LIF (Izhikevich's v^2, a conductance's pull) can leave the float range
        under extreme parameters or inputs, and a NaN V never fires: refuse the run instead,
        naming the population. LIF-only networks cannot (their parameters are checked by flatten),
        unless a current source injects an extreme current."""
        if (self.lif_only and self.currents is None) or self.c.numerics != "float":
            return
        bad = ~np.isfinite(self.ops.numpy(self.V)).all(axis=0)
        if bad.any():
            first = int(np.argmax(bad))
            pop = next(name for name, off in self.c.offsets.items() if off <= first < off + self.c.sizes[name])
            raise ValidationError(f"{pop}.cell", pop, f"its V left the float range by step {t}: a parameter, "
                                                      "i_offset or input weight too extreme for the model")

    def model_of(self, pop: str) -> tuple:
        """(the neuron model that updates population `pop`, the population's first index in it)."""
        start = self.c.offsets[pop]
        if isinstance(self.neurons, ModelSet):
            for m, s in zip(self.neurons.models, self.c.models):
                if pop in s.populations:
                    return m, start - s.lo
        return self.neurons, start

    def _flat_log(self, log) -> tuple:
        if not log:
            z = np.zeros(0, dtype=np.int32)
            return z, z, z
        lens = np.array([len(b) for _, b, _ in log])
        ts = np.repeat(np.array([t for t, _, _ in log], dtype=np.int32), lens)
        cat = self.ops.cat
        return self.ops.int_numpy(cat([b for _, b, _ in log])), ts, self.ops.int_numpy(cat([n for _, _, n in log]))

    # -- state, for live sessions (spikemem.engine.session) ---------------------------------
    def state_arrays(self, dense: bool = True) -> dict:
        """Every array a step carries to the next, by name (the engine's, its membrane's and each
        plastic block's); dense=False leaves out the (batch, pre, post) weight matrices."""
        out = {"V": self.V, "ring": self.ring}
        for name in getattr(self.neurons, "STATE", ()):
            out["neurons." + name] = _get(self.neurons, name)
        for s in self.plastic:
            for name in s.STATE:
                if dense or name not in ("W", "pending"):
                    out[f"plastic.{s.block.name}.{name}"] = getattr(s, name)
        return {k: v for k, v in out.items() if v is not None}

    def load_state_arrays(self, arrays: dict) -> None:
        """Copy saved arrays into the engine's, in place (views such as ring_flat stay valid)."""
        with self.ops.no_grad():
            for name, dst in self.state_arrays().items():
                if name in arrays:
                    dst[...] = arrays[name] if not isinstance(arrays[name], np.ndarray) else self.ops.cast_like(arrays[name], dst)

    def checkpoint(self):
        """A mark to roll back to: a copy of the small state, and an undo journal started in every
        plastic block instead of a copy of its dense weights. Marks nest."""
        ops = self.ops
        small = {k: ops.copy(v) for k, v in self.state_arrays(dense=False).items()}
        outer = [s.journal for s in self.plastic]
        for s in self.plastic:
            s.journal = []
        return self.t, small, list(self.recent), self.queue.snapshot(), outer

    def rollback(self, mark) -> None:
        """Back to `mark`: what ran since is undone."""
        t, small, recent, queue, outer = mark
        with self.ops.no_grad():
            for s, journal in zip(self.plastic, outer):
                s.undo(s.journal or [])
                s.journal, s.t_end = journal, t
        self.load_state_arrays(small)
        self.t = t
        self.recent.clear()
        self.recent.extend(recent)
        self.queue.restore(queue)

    def release(self, mark) -> None:
        """Keep what ran since `mark`; an enclosing mark can still undo it."""
        for s, journal in zip(self.plastic, mark[4]):
            s.journal = None if journal is None else journal + s.journal


def _get(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


class SourceQueue:
    """Source events not yet delivered, as numpy (trial, step, neuron) in the order one long run
    gives them: by step, then source population, trial and neuron (spike_log.merge_sources)."""

    def __init__(self, c: FlatNetwork):
        self.c = c
        z = np.zeros(0, dtype=np.int64)
        self.trial, self.step, self.neuron = z, z, z

    def add(self, source_events: dict, now: int) -> None:
        trial, step, neuron = merge_sources(self.c, source_events)
        if not len(step):
            return
        trial = np.concatenate([self.trial, trial])
        step = np.concatenate([self.step, step])
        neuron = np.concatenate([self.neuron, neuron])
        # neuron ranks source populations (their index ranges follow the network's order)
        pop = np.searchsorted(np.array(sorted(self.c.offsets.values())), neuron, side="right")
        order = np.lexsort((neuron, trial, pop, step))
        self.trial, self.step, self.neuron = trial[order], step[order], neuron[order]

    def take(self, until: int) -> tuple:
        k = int(np.searchsorted(self.step, until))
        out = self.trial[:k], self.step[:k], self.neuron[:k]
        self.trial, self.step, self.neuron = self.trial[k:], self.step[k:], self.neuron[k:]
        return out

    def snapshot(self) -> tuple:
        return self.trial, self.step, self.neuron

    def restore(self, snap) -> None:
        self.trial, self.step, self.neuron = snap

    def __len__(self):
        return len(self.step)


def repeat_ranks(trial, step, neuron) -> np.ndarray:
    """For events sorted as SourceQueue keeps them: how many equal (step, trial, neuron) events
    come before each one (0 for all but a repeated listing)."""
    n = len(step)
    same = np.zeros(n, dtype=bool)
    same[1:] = (step[1:] == step[:-1]) & (trial[1:] == trial[:-1]) & (neuron[1:] == neuron[:-1])
    if not same.any():
        return np.zeros(n, dtype=np.int64)
    start = np.flatnonzero(~same)
    return np.arange(n) - np.repeat(start, np.diff(np.append(start, n)))


def run_engine(network, duration_ms: float, inputs, batch, label: str, ops=None, neurons=None,
               structured: str = "auto"):
    """Run `network` on the engine and return its Result; the body of every engine backend's run().
    structured: "auto", or "always"/"never" to force one delivery of all-to-all projections (tests)."""
    validation.network("network", network)
    steps = validation.steps("duration_ms", validation.non_negative("duration_ms", duration_ms), network.simulation.dt)
    batch, events = resolve_inputs(network, inputs, batch)
    est = budget.estimate(network, batch, steps, sum(len(e) for e in events.values()))
    lim = budget.require(est, f"running {network.name} ({batch} trials x {steps} steps)", network.simulation.dt)
    with budget.allocating(f"building the tables of {network.name} (neurons, synapses)", est):
        c = flatten(network, structured)
    with budget.allocating(f"allocating the state of {batch} trial(s) (neurons, ring buffer, plastic matrices)", est):
        if c.numerics == "fixed":          # a SpiNNaker core's integers (spikemem.engine.fixed_engine)
            from .fixed_engine import FixedEngine
            engine = FixedEngine(c, batch, ops, neurons, label)
        else:
            engine = Engine(c, batch, ops, neurons)
    with Progress(steps, label, enabled=None if steps * batch * c.n_all > PROGRESS_WORK else False) as bar, \
            budget.allocating(f"running {batch} trial(s) x {steps} steps (spikes, recorded V)", est):
        engine.monitor = budget.SpikeGuard(est, lim, bar if bar.enabled else None)
        log, analog = engine.run(steps, events, network.recording)
        bar.update(steps - bar.n)
    with budget.allocating("assembling the result (spikes by population, analog recordings, weights)", est):
        res = engine_result(network, c, engine, 0, log, analog, label)
    if c.numerics == "fixed":
        res.saturations = engine.saturations()
    return res


def engine_result(network, c, engine, start: int, log, analog, label: str):
    """The Result of the steps [start, engine.t) that `log` and `analog` (AnalogRecorder.result) hold."""
    rec = network.recording
    rec = type(rec)(spikes=network.recorded_spikes, v=rec.v, weights=rec.weights)
    res = assemble_result(c, engine.B, engine.t, log, analog, engine.plastic, rec, label)
    res.start = start
    return res
