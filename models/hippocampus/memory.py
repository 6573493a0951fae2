"""The one-hot memories with forgetting as their users drive them: learn(address, bits) and
recall(address), one operation at a time on a live session (spikemem.harness.live).

An address is a memory slot, 0..C-1 (CA3cue[address]). The binary-cue models present it as
the cue value address + 1 on their n = ceil(log2(C + 1)) cue bits (IN[0] the least
significant; value 0 means "no cue"), as the authors number their cues; the one-hot model
spikes IN[address]. Learning an address again forgets the old bits not in the new content.
There is no recall by content in these models.

Each class is also the model's entry in the `spikemem.memories` group (spikemem.contracts.
MemoryModel): its published cases, seeded random cases, its network per variant, and batch runs
scored against spikemem.harness.oracle.IdealOneHot.
"""
from __future__ import annotations

from dataclasses import replace

from spikemem import get_backend
from spikemem.harness.cases import Case
from spikemem.harness.operations import Learn, Outcome, Recall, as_bits, check_address
from spikemem.harness.oracle import IdealOneHot
from spikemem.harness.runner import batch_setup
from spikemem.harness.variants import naming_the_portable_variant

from . import cases as hc
from . import protocol
from .dg_ca1_net import build_dg_ca1
from .driver import ProtocolMemory
from .hippocampus_net import PLASTIC, build_hippocampus
from .names import CA1, CA3_CONT, CA3_CUE, DG, IN_CONT, IN_CUE, OUT_CONT, OUT_CUE
from .onehot_net import build_ca3_onehot
from .params import DGCA1Params, HippocampusParams, OneHotParams


# The spec's names (A.4): IN and OUT are split into their cue bits and content bits.
LABELS = {IN_CUE: "IN cue", IN_CONT: "IN content", OUT_CUE: "OUT cue", OUT_CONT: "OUT content"}


class OneHotMemory(ProtocolMemory):
    """The shared driver of the three one-hot models; a subclass names its timing, builder,
    parameters and published cases."""

    OUTPUTS = (OUT_CUE, OUT_CONT)
    PROTOCOL = protocol
    content_queries = ("none",)       # the random rows the harness runs (no recall by content)
    random_size = hc.RANDOM_SIZE
    oracle = IdealOneHot
    max_gap_ms, window_ms = 7.0, 9.0      # the sweeps' memory estimate: the longest gap and window of the three
    address_words = "cues"
    demo_case = "test_3"
    labels = LABELS

    def __init__(self, C: int, N: int, *, variant: str = "faithful", backend: str | None = None,
                 spacing: float | None = None, params=None, record: bool = False, **backend_options):
        """record=True keeps every spike of the session (recording())."""
        params = params or self.variant_params(variant)
        network = self.build(C, N, params)        # validates C and N
        super().__init__(C, N, network, params, variant, hc.check_spacing(spacing, self.TIMING), record, backend,
                         backend_options)

    # -- operations -------------------------------------------------------------------------
    def learn(self, address, bits=None, *, pattern=None, at: float | None = None) -> Outcome:
        """Store `bits` at `address` (0..C-1); learning an address again forgets its old bits."""
        return self._do(Learn(check_address(address, self.C), as_bits(bits, self.N, pattern=pattern)), at)

    def recall(self, address, *, at: float | None = None) -> Outcome:
        """Recall by cue: the address and its content."""
        return self._do(Recall(check_address(address, self.C)), at)

    # -- the harness's memory-model interface (spikemem.contracts.MemoryModel) ---------------------
    @staticmethod
    def build(C, N, params, **kw):
        raise NotImplementedError

    @classmethod
    def spikes_per_op(cls, N: int) -> int:
        """Input spikes of a learn (the sweeps' memory estimate): 3 x (cue bits + content bits)."""
        return 3 * (8 + N)

    @classmethod
    def state_panels(cls, case, backend=None, variant: str = "faithful", numerics: str = "float",
                     **backend_options) -> list:
        """The plastic CA3cue -> CA3cont weights after `case`, beside the ideal memory's contents."""
        params = replace(cls.variant_params(variant), numerics=numerics)
        net = cls.build(case.C, case.N, params, record_weights=True)
        be = backend if hasattr(backend, "run") else get_backend(backend, **backend_options)
        res = be.run(net, case.sim_time_ms, inputs=protocol.input_events([case], cls.TIMING, params.dt))
        ideal = IdealOneHot(case.C, case.N)
        ideal.expected(case.ops)
        return [("CA3cue -> CA3cont weights (nA)", res.weights[PLASTIC][0], "CA3cue (address)", "CA3cont (content bit)"),
                ("ideal memory", ideal.matrix(), "address", "content bit")]

    @classmethod
    def board_run(cls, case, variant: str = "faithful"):
        """(network, inputs, duration ms) of one case: what `spikemem spinnaker check|export` runs."""
        params = cls.variant_params(variant)
        return (cls.build(case.C, case.N, params), protocol.input_events([case], cls.TIMING, params.dt),
                case.sim_time_ms)

    @classmethod
    def random_case(cls, C: int, N: int, n_ops: int, seed: int = 0, spacing: float | None = None,
                    content: str = "none") -> Case:
        return hc.random_case(cls.TIMING, C, N, n_ops, seed, spacing, content)

    @classmethod
    def run_cases(cls, cases, backend=None, params=None, variant: str = "faithful", return_result: bool = False,
                  numerics: str | None = None, **backend_options):
        """Run a batch of cases (one trial each) and score it against the ideal one-hot memory.
        numerics: None keeps the params' ("float" unless set), or "float" | "fixed"."""
        label, params, be = batch_setup(cases, backend, params, variant, numerics, cls.variant_params, backend_options)
        net = cls.build(cases[0].C, cases[0].N, params)
        inputs = protocol.input_events(cases, cls.TIMING, params.dt)
        with naming_the_portable_variant(be, net, label, cls.title):
            result = be.run(net, max(c.sim_time_ms for c in cases), inputs=inputs)
        report = protocol.score_cases(result, cases, cls.TIMING, params.dt)
        report.label = {"backend": be.name, "variant": label, "numerics": params.numerics}
        return (report, result) if return_result else report


class HippocampusMemory(OneHotMemory):
    """Part A: the DG-CA3-CA1 one-hot memory with forgetting (sPyMem hippocampus_with_forgetting).
    The first operation starts at >= 1 ms (the decoder's constant source starts then, spec A.6.4)."""

    TIMING = protocol.HIPPOCAMPUS
    PARAMS = HippocampusParams
    PUBLISHED = hc.PUBLISHED
    build = staticmethod(build_hippocampus)
    title = "DG-CA3-CA1 hippocampus memory with forgetting"
    demo_case = "combined_operations"
    demo_text = ("The authors' combined-operations run, recorded on SpiNNaker: learns, recalls and two relearns "
                 "that forget (address a is the binary cue value a + 1).")
    raster_populations = (IN_CUE, IN_CONT, DG, CA3_CUE, CA3_CONT, CA1, OUT_CUE, OUT_CONT)

    @staticmethod
    def stimulus_run(path, variant: str = "faithful"):
        """(network, inputs, duration ms) of a recording's stimulus (`spikemem spinnaker ... --stimulus`)."""
        from .recording_file import load_stimulus
        stim = load_stimulus(path)
        params = HippocampusMemory.variant_params(variant)
        if variant == "faithful":
            params = replace(params, dt=stim.dt)
        return build_hippocampus(stim.C, stim.N, params), stim.inputs(), stim.sim_time_ms

    @staticmethod
    def replay_file(path, backend=None, numerics: str = "float", variant: str = "faithful", **backend_options):
        """A recording (the shared JSON or the authors' data/*.txt) re-run: (the shared JSON
        layout, differences from the file's recorded spikes per population, or None)."""
        from spikemem.results import spike_differences

        from .recording_file import load_stimulus, recording_dict
        stim = load_stimulus(path)
        params = replace(HippocampusMemory.variant_params(variant), numerics=numerics)
        if variant == "faithful":
            params = replace(params, dt=stim.dt)           # the model runs at the recording's timestep
        be = get_backend(backend, **backend_options)
        net = build_hippocampus(stim.C, stim.N, params)
        with naming_the_portable_variant(be, net, variant, HippocampusMemory.title):
            result = be.run(net, stim.sim_time_ms, inputs=stim.inputs())
        record = recording_dict(stim, result, backend=be.name)
        return record, (None if stim.recorded is None else spike_differences(record, stim.recorded))


class OneHotCA3Memory(OneHotMemory):
    """Part B.1: sPyMem `ca3`, the one-hot CA3 without DG and CA1 (one input neuron per cue)."""

    TIMING = protocol.ONEHOT
    PARAMS = OneHotParams
    PUBLISHED = hc.PUBLISHED_ONEHOT
    build = staticmethod(build_ca3_onehot)
    title = "one-hot CA3 memory (sPyMem ca3)"
    demo_text = "sPyMem's test 3: learns, recalls and two relearns that forget (one input neuron per cue)."
    raster_populations = (IN_CUE, IN_CONT, CA3_CUE, CA3_CONT, OUT_CUE, OUT_CONT)


class DGCA1Memory(OneHotMemory):
    """Part B.2: sPyMem `hippocampus_bioinspired_dg_ca1`, DG and CA1 as plain neuron layers."""

    TIMING = protocol.DG_CA1
    PARAMS = DGCA1Params
    PUBLISHED = hc.PUBLISHED_DG_CA1
    build = staticmethod(build_dg_ca1)
    title = "bioinspired DG-CA3-CA1 memory (sPyMem hippocampus_bioinspired_dg_ca1)"
    demo_text = "sPyMem's test 3 with binary cues: learns, recalls and two relearns that forget."
    raster_populations = (IN_CUE, IN_CONT, DG, CA3_CUE, CA3_CONT, CA1, OUT_CUE, OUT_CONT)
