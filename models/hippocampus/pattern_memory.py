"""The IJCNN 2022 CA3 models as their users drive them: learn(pattern) and recall(fragment) on N
pyramidal cells, one operation at a time on a live session (spikemem.harness.live), and their
entries in the `spikemem.memories` group, scored against spikemem.harness.oracle.IdealPatterns.

The regulated model runs in two phases, as the authors' two scripts do: learns on the plastic
learning network, recalls on the recall network whose static PC -> PC weights are the learned
ones (PC tau_m 5 ms, LEARNING silent). One memory object moves between them: at a change of
phase it starts the other network afresh with the weights so far (the recall network keeps
them; a learn after recalls continues plasticity from them).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from spikemem import get_backend
from spikemem.harness.cases import Case
from spikemem.harness.live import shifted
from spikemem.harness.operations import LEARN, Outcome, RecallContent, Store, as_bits
from spikemem.harness.oracle import IdealPatterns
from spikemem.harness.runner import batch_setup
from spikemem.harness.scoring import score

from . import pattern_cases as pc
from . import pattern_protocol as pp
from .ca3_pattern_nets import PLASTIC, build_oscillatory, build_regulated
from .driver import ProtocolMemory
from .names import DG_IN, INH, LEARNING, PC
from .params import OscillatoryParams, RegulatedParams

LABELS = {DG_IN: "DG (input)", PC: "PC (CA3)", INH: "INH", LEARNING: "LEARNING"}


class PatternMemory(ProtocolMemory):
    """The shared driver of the two auto-associative models."""

    OUTPUTS = (PC,)
    PROTOCOL = pp
    random_size = pc.RANDOM_SIZE
    content_queries = ("mixed",)
    oracle = IdealPatterns
    max_gap_ms, window_ms = 40.0, 32.0
    labels = LABELS
    demo_case = "3_orthogonal"

    def __init__(self, N: int = pc.N_PC, *, variant: str = "faithful", backend: str | None = None,
                 spacing: float | None = None, params=None, record: bool = False, **backend_options):
        params = params or self.variant_params(variant)
        network = self.build(N, params)          # validates N
        super().__init__(0, N, network, params, variant, pc.check_spacing(spacing, self.TIMING), record, backend,
                         backend_options)

    @classmethod
    def open(cls, C: int, N: int, **options):
        """A live memory of N PCs (C, the patterns a random sequence stores, does not size it)."""
        return cls(N, **options)

    # -- operations -------------------------------------------------------------------------
    def learn(self, bits=None, *, pattern=None, at: float | None = None) -> Outcome:
        """Learn a pattern: a set of PCs (or a binary pattern of length N)."""
        return self._do(Store(as_bits(bits, self.N, pattern=pattern)), at)

    def recall(self, bits=None, *, pattern=None, at: float | None = None) -> Outcome:
        """Recall from a fragment: the PCs that answer (the completed pattern)."""
        return self._do(RecallContent(as_bits(bits, self.N, pattern=pattern)), at)

    # -- the harness's memory-model interface (spikemem.contracts.MemoryModel) ---------------------
    @staticmethod
    def build(N, params, **kw):
        raise NotImplementedError

    @classmethod
    def sized_build(cls, C: int, N: int, params, **kw):
        return cls.build(N, params, **kw)

    @classmethod
    def random_case(cls, C: int, N: int, n_ops: int, seed: int = 0, spacing: float | None = None,
                    content: str = "mixed") -> Case:
        return pc.random_case(cls.TIMING, C, N, n_ops, seed, spacing, content)

    @classmethod
    def spikes_per_op(cls, N: int) -> int:
        return 5 * N

    @staticmethod
    def valid_size(C: int, N: int) -> bool:
        """A random sequence stores C disjoint patterns of at least 2 PCs each."""
        return 2 * C <= N

    @staticmethod
    def size_text(case) -> str:
        return f"{case.N} pyramidal cells"

    @classmethod
    def state_panels(cls, case, backend=None, variant: str = "faithful", numerics: str = "float",
                     **backend_options) -> list:
        """The learned PC -> PC weights after `case`, beside the ideal co-membership of its patterns."""
        params = replace(cls.variant_params(variant), numerics=numerics)
        weights = cls.learned_weights(case, params, backend if hasattr(backend, "run") else
                                      get_backend(backend, **backend_options))
        ideal = IdealPatterns(case.C, case.N)
        ideal.expected(case.ops)
        return [("PC -> PC weights (nA)", weights, "pre PC", "post PC"),
                ("ideal: PCs of one pattern", ideal.matrix(), "pre PC", "post PC")]


class OscillatoryMemory(PatternMemory):
    """Part C.1: the oscillatory CA3 model (CA3_oscilatory.py). A recalled pattern keeps
    oscillating with a 2 ms cycle until the next input takes over."""

    TIMING = pp.OSCILLATORY
    PARAMS = OscillatoryParams
    random_spacings = (None, 28)
    PUBLISHED = pc.PUBLISHED_OSCILLATORY
    title = "oscillatory CA3 model (IJCNN 2022)"
    demo_text = "The script's active input: three orthogonal patterns learned, then recalled from fragments."
    raster_populations = (DG_IN, PC)

    @staticmethod
    def build(N, params, **kw):
        return build_oscillatory(N, params, **kw)

    @classmethod
    def run_cases(cls, cases, backend=None, params=None, variant: str = "faithful", return_result: bool = False,
                  numerics: str | None = None, **backend_options):
        label, params, be = batch_setup(cases, backend, params, variant, numerics, cls.variant_params, backend_options)
        N = cases[0].N
        result = be.run(build_oscillatory(N, params), max(c.sim_time_ms for c in cases),
                        inputs=pp.input_events(cases, cls.TIMING, params.dt))
        report = pp.score_cases(pp.decode(result, cases, cls.TIMING, params.dt), cases)
        report.label = {"backend": be.name, "variant": label, "numerics": params.numerics}
        return (report, result) if return_result else report

    @classmethod
    def board_run(cls, case, variant: str = "faithful"):
        """(network, inputs, duration ms) of one case: what `spikemem spinnaker check|export` runs."""
        params = cls.variant_params(variant)
        return build_oscillatory(case.N, params), pp.input_events([case], cls.TIMING, params.dt), case.sim_time_ms

    @classmethod
    def learned_weights(cls, case, params, be) -> np.ndarray:
        res = be.run(build_oscillatory(case.N, params, record_weights=True), case.sim_time_ms,
                     inputs=pp.input_events([case], cls.TIMING, params.dt))
        return res.weights[PLASTIC][0]


class RegulatedMemory(PatternMemory):
    """Part C.2: the regulated-activity CA3 model: learns on CA3_pc_inhibitory.py's network and
    recalls on CA3_pc_inhibitory_static_syn.py's, in one memory object."""

    TIMING = pp.REGULATED
    PARAMS = RegulatedParams
    random_spacings = (None, 60)
    PUBLISHED = pc.PUBLISHED_REGULATED
    VARIANTS = {"recall_tau_m3": lambda: replace(RegulatedParams(), pc_recall=RegulatedParams().pc)}
    title = "regulated-activity CA3 model (IJCNN 2022)"
    demo_case = "2_non_orthogonal"
    demo_text = ("The scripts' active inputs: two overlapping patterns learned (plastic network), then recalled "
                 "from fragments (static network with the learned weights).")
    raster_populations = (DG_IN, LEARNING, INH, PC)

    def __init__(self, N: int = pc.N_PC, **kw):
        super().__init__(N, **kw)
        self.weights = np.zeros((self.N, self.N))
        self.network = self.phase_network("learn")          # the learning network, recording its weights

    @staticmethod
    def build(N, params, **kw):
        return build_regulated(N, params, **kw)

    # the two phases of LiveMemory
    def phase_of(self, op):
        return "learn" if op.kind == LEARN else "recall"

    def phase_network(self, phase):
        self._phase = phase
        return build_regulated(self.N, self.params, phase=phase, init_weights=self.weights,
                               record_weights=phase == "learn")

    def _do(self, op, at) -> Outcome:
        if not self.timed_ops and self.phase_of(op) != self._phase:     # a memory that starts with a recall
            self.network = self.phase_network(self.phase_of(op))
        return super()._do(op, at)

    def _advance(self, timed) -> Outcome:
        out = super()._advance(timed)
        if self._phase == "learn":
            self.weights = np.nan_to_num(self._since[-1].weights[PLASTIC][0])
        return out

    @classmethod
    def run_cases(cls, cases, backend=None, params=None, variant: str = "faithful", return_result: bool = False,
                  numerics: str | None = None, **backend_options):
        """Each case runs phase by phase (a learning run, then a recall run with its weights, ...),
        every phase from its own time 0, first_ms before its first operation."""
        label, params, be = batch_setup(cases, backend, params, variant, numerics, cls.variant_params, backend_options)
        N = cases[0].N
        K = max(len(c.timed_ops) for c in cases)
        bits = np.zeros((len(cases), K, N), dtype=bool)
        results = []
        for b, case in enumerate(cases):
            parts, k0, weights = [], 0, None
            for phase, seg, origin in _segments(case, cls.TIMING.first_ms):
                res = cls._run_phase(be, params, N, phase, seg, weights)
                _, seg_bits = pp.decode(res, [seg], cls.TIMING, params.dt)
                bits[b, k0:k0 + len(seg.timed_ops)] = seg_bits[0, :len(seg.timed_ops)]
                k0 += len(seg.timed_ops)
                if phase == "learn":
                    weights = np.nan_to_num(res.weights[PLASTIC][0])
                parts.append(shifted(res, origin))
            results.append(parts)
        report = score(cases, (np.zeros((len(cases), K, cases[0].C), dtype=bool), bits), IdealPatterns)
        report.label = {"backend": be.name, "variant": label, "numerics": params.numerics}
        return (report, _stacked(results)) if return_result else report

    @classmethod
    def board_run(cls, case, variant: str = "faithful"):
        """The learning phase of a case (the plastic network: the board's STDP and ring buffers
        matter there; `spinnaker check` scores both phases through run_cases)."""
        params = cls.variant_params(variant)
        phase, seg, _ = _segments(case, cls.TIMING.first_ms)[0]
        net = build_regulated(case.N, params, phase=phase)
        return net, pp.input_events([seg], cls.TIMING, params.dt), seg.sim_time_ms

    @staticmethod
    def _run_phase(be, params, N, phase, seg, weights):
        net = build_regulated(N, params, phase=phase, init_weights=weights, record_weights=phase == "learn")
        return be.run(net, seg.sim_time_ms, inputs=pp.input_events([seg], RegulatedMemory.TIMING, params.dt))

    @classmethod
    def learned_weights(cls, case, params, be) -> np.ndarray:
        weights = None
        for phase, seg, _ in _segments(case, cls.TIMING.first_ms):
            if phase == "learn":
                res = cls._run_phase(be, params, case.N, phase, seg, weights)
                weights = np.nan_to_num(res.weights[PLASTIC][0])
        return np.zeros((case.N, case.N)) if weights is None else weights


def _segments(case, first_ms: float):
    """(phase, the case's operations of one phase on its own clock, that clock's origin) in order."""
    out, start = [], 0
    ops = case.timed_ops
    for k in range(1, len(ops) + 1):
        if k == len(ops) or (ops[k][1].kind == LEARN) != (ops[start][1].kind == LEARN):
            origin = ops[start][0] - first_ms
            timed = tuple((t - origin, op) for t, op in ops[start:k])
            t0, last = timed[-1]
            timing = RegulatedMemory.TIMING     # a learning run lasts until the next operation may start, so
            end = max(timing.window_end(t0, last.kind), t0 + timing.min_gap[last.kind])   # STDP sees its last posts
            out.append(("learn" if ops[start][1].kind == LEARN else "recall",
                        Case(case.name, case.C, case.N, timed, end), origin))
            start = k
    return out


def _stacked(results):
    """One Result of a batch from each case's phases (on the case's own clock)."""
    from spikemem.harness.live import joined
    per_case = [joined(parts, parts[-1].steps * parts[-1].dt) for parts in results]
    spikes = {}
    for pop in per_case[0].spikes:
        trial = np.concatenate([np.full(len(r.spikes[pop][1]), b) for b, r in enumerate(per_case)])
        step, neuron = (np.concatenate([r.spikes[pop][i] for r in per_case]) for i in (1, 2))
        spikes[pop] = (trial, step, neuron)
    first, steps = per_case[0], max(r.steps for r in per_case)
    return type(first)(dt=first.dt, steps=steps, batch=len(per_case), sizes=first.sizes, spikes=spikes,
                       backend=first.backend)
