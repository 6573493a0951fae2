"""The CA3 memory as its users drive it: learn, recall by cue, recall by content fragment.

Operations are placed by the scheduler of spikemem.harness.live (LiveMemory) with the minimum
spacing of docs/ca3_protocol.md, 8 (or a wider one), on a live session where the backend offers
one (docs/scale.md, the memory on a session). A rejected operation raises before anything changes.
"""
from __future__ import annotations

from dataclasses import replace

from spikemem import get_backend
from spikemem.harness.cases import Case
from spikemem.harness.live import LiveMemory
from spikemem.harness.oracle import IdealCAM
from spikemem.harness.runner import batch_setup
from spikemem.harness.variants import naming_the_portable_variant
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
from .plots import POPULATIONS
from .cases import MIN_GAP, PUBLISHED, RANDOM_SIZE, WINDOW, check_spacing, random_case
from .params import CA3Params
from .variants import variant_params


class CA3Memory(LiveMemory):
    OUTPUTS = (OUT_CUE, OUT_CONT)

    def __init__(self, C: int, N: int, *, variant: str = "faithful", backend: str | None = None,
                 spacing: float | None = None, params: CA3Params | None = None, record: bool = False,
                 **backend_options):
        """record=True keeps every spike of the session (recording()); a backend without
        `session` re-runs the schedule."""
        self.params = params or variant_params(variant)
        network = build_cam(C, N, self.params)       # validates C and N
        self.variant = variant
        super().__init__(C, N, network, self.params.dt, self.params.numerics, backend=backend,
                         spacing=check_spacing(spacing), record=record, **backend_options)

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

    # -- the protocol hooks of LiveMemory -------------------------------------------------------
    @staticmethod
    def min_gap(kind: str) -> float:
        return MIN_GAP[kind]

    def window_end(self, t0: float, op=None) -> float:
        return t0 + self.params.window_ms + 1

    def op_inputs(self, t0, op, end) -> dict:
        return protocol.input_events([Case("op", self.C, self.N, ((t0, op),), end)], self.params.dt,
                                     gate=self.params.gate_learning)

    def decode(self, result, case) -> tuple:
        return protocol.decode(result, [case], self.params.dt, self.params.window_ms)

    def check_timing(self, timed) -> None:
        protocol.check_timing(timed, self.params.dt)

    def rerun(self, timed) -> list:
        """Backends without sessions: the whole schedule again."""
        t0 = timed[-1][0]
        case = Case("session", self.C, self.N, tuple(timed), float(t0) + self.params.window_ms + 1)
        report = self.run_cases([case], self.backend, self.params, self.variant)
        return [report.outcome(0, k) for k in range(len(timed))]

    # -- the harness's memory-model interface (spikemem.contracts.MemoryModel) ---------------------
    random_size = RANDOM_SIZE
    random_case = staticmethod(random_case)
    content_queries = ("single", "mixed")
    oracle = IdealCAM
    # the demo and the plots (spikemem.harness.memory_cli)
    title = "CA3 content-addressable memory"
    demo_case = "functional"
    demo_text = "The paper's functional test: learn, recall by cue and by fragment, forget by relearning."
    raster_populations = POPULATIONS

    @staticmethod
    def state_panels(case, backend=None, variant: str = "faithful", numerics: str = "float", **backend_options) -> list:
        """The two plastic weight matrices after `case`, beside the ideal memory's contents."""
        params = replace(variant_params(variant), numerics=numerics)
        net = build_cam(case.C, case.N, params, record_weights=True)
        be = backend if hasattr(backend, "run") else get_backend(backend, **backend_options)
        res = be.run(net, case.sim_time_ms, inputs=protocol.input_events([case], params.dt, gate=params.gate_learning))
        ideal = IdealCAM(case.C, case.N)
        ideal.expected(case.ops)
        return [("CueCue -> ContCue weights (nA)", res.weights["cue_to_content_stdp"][0], "address", "content bit"),
                ("ContCont -> CueCont weights (nA), transposed", res.weights["content_to_cue_stdp"][0].T, "address",
                 "content bit"),
                ("ideal memory", ideal.matrix(), "address", "content bit")]

    @staticmethod
    def board_run(case, variant: str = "faithful"):
        """(network, inputs, duration ms) of one case: what `spikemem spinnaker check|export` runs."""
        params = variant_params(variant)
        return (build_cam(case.C, case.N, params), protocol.input_events([case], params.dt, gate=params.gate_learning),
                case.sim_time_ms + params.window_ms)

    @staticmethod
    def replay_file(path, backend=None, numerics: str = "float", variant: str = "faithful", **backend_options):
        """A golden recording's stimulus re-run: (the recording layout, differences from its
        recorded spikes per population or None). The faithful model runs at the file's timestep."""
        from spikemem.files import read_json
        from spikemem.results import spike_differences

        from .recording_file import parse_stimulus
        from .replay import replay
        d = read_json(path, "input")
        stim = parse_stimulus(d, str(path))
        params = replace(variant_params(variant), numerics=numerics)
        if variant != "portable":      # the published circuit runs at the recording's timestep, portable at 0.1 ms
            params = replace(params, dt=stim.dt)
        record = replay(stim, backend, params=params, variant=variant, **backend_options)
        recorded = d.get("recorded_spikes")
        if not isinstance(recorded, dict):
            return record, None
        return record, spike_differences(record, {p: v.get("spikes_t_ms_neuron", []) for p, v in recorded.items()
                                                  if isinstance(v, dict)})

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
        label, params, be = batch_setup(cases, backend, params, variant, numerics, variant_params, backend_options)
        net = build_cam(cases[0].C, cases[0].N, params)
        T = max(c.sim_time_ms for c in cases) + max(0.0, params.window_ms - WINDOW)   # room for a wider window
        with naming_the_portable_variant(be, net, label, "CA3 memory"):
            result = be.run(net, T, inputs=protocol.input_events(cases, params.dt, gate=params.gate_learning))
        report = protocol.score_cases(result, cases, params.dt, params.window_ms)
        report.label = {"backend": be.name, "variant": label, "numerics": params.numerics}
        return (report, result) if return_result else report

