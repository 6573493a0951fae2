"""The contracts between spikemem's parts, written down as typing.Protocols.

Nothing inherits from these: a backend, an array library, a neuron model or a memory model is
anything with these members (duck typing, checked by `isinstance(x, Backend)` and by
tests/test_contracts.py for every part that ships). Read the one you are implementing first.
"""
from __future__ import annotations

from typing import AbstractSet, Any, Callable, Protocol, runtime_checkable


@runtime_checkable
class Backend(Protocol):
    """Something that runs a Network and returns a Result. A new backend is a class registered in
    the `spikemem.backends` entry-point group (pyproject.toml), constructed by
    `get_backend(name, **options)` with its own keyword options (refuse unknown ones with a
    ValidationError). `name` labels its results. `unsupported` is a set of feature names from
    spikemem.description.features that it cannot run; the harness skips (and reports) cases
    needing them, and a feature you discover only at run time is an UnsupportedFeature naming
    it. `is_available()` (a classmethod: it is asked before construction, by `spikemem backends`)
    says whether its optional libraries are installed, without importing them
    (spikemem.optional.Extra gives it from `requires` and `extra`; missing ones raise
    MissingExtra through spikemem.optional.require). `run(network, duration_ms, inputs, batch)`
    simulates `batch` independent trials (inputs as spikemem.engine.inputs.resolve_inputs reads
    them; None replays the sources' own spike_times) and returns a Result in the reference
    backend's layout and time convention: a spike at step s is at s * dt ms, V is sampled after
    each step, and update order, delays and STDP conventions are those of docs/update_schemes.md
    and docs/stdp.md. An array backend gets all of this by calling
    spikemem.engine.array_engine.run_engine with its ArrayOps and, if it brings its own membrane,
    a Neurons factory. A backend may also offer live sessions (SessionBackend)."""

    name: str
    unsupported: AbstractSet[str]

    @classmethod
    def is_available(cls) -> bool: ...

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None) -> Any: ...


@runtime_checkable
class Session(Protocol):
    """A network advanced window by window (optional; the array engine's sessions provide it).
    `run(until_ms, inputs)` simulates from the session's current time to `until_ms` and returns
    that window's Result; the spikes of consecutive windows equal those of one run over the whole
    time. `state` is a copy of what the next window starts from; `reset()` returns to time 0.
    `time_ms` is where the next window starts; an input must lie at least `input_lead_ms` after it.
    A session with `rollback` offers `tentative()` and `atomic()`, context managers that take the
    runs inside them back (always, or on an error); one without it cannot undo a run."""

    rollback: bool
    input_lead_ms: float

    @property
    def time_ms(self) -> float: ...

    def run(self, until_ms: float, inputs=None) -> Any: ...

    @property
    def state(self) -> dict: ...

    def reset(self) -> None: ...


@runtime_checkable
class SessionBackend(Backend, Protocol):
    """A Backend that can also open a Session: `session(network, batch=1)`."""

    def session(self, network, batch: int = 1) -> Session: ...


@runtime_checkable
class ArrayOps(Protocol):
    """The array library under the shared engine (spikemem.engine.array_engine and .stdp). The
    engine is written once against these operations; spikemem.engine.numpy_ops.NumpyOps and
    spikemem.engine.torch_ops.TorchOps implement them, and a new library (CuPy, JAX with care
    for in-place updates) implements the same list. Arrays are the library's own; `array` makes
    a float array of the ops' dtype, `index` an integer one, `numpy`/`int_numpy` bring results
    back to numpy. In-place forms (`mul`, `sub`, `ge` with `out`, `clip_`, `scatter_add`) must
    really write in place (`at_most_` too): the engine keeps references to its state arrays. `step_spikes`
    returns the (trial, neuron) indices of a step's spikes, IF spikes first, then the sources';
    `trial_sums` sums plastic weight rows per trial by adding one row after another, in row
    order, and `scatter_add` adds in index order: keep both orders (no pairwise, blocked or
    atomic sums) and float64 runs agree with numpy bit for bit, whatever the batch. Layer
    connectors (spikemem.engine.layers) use the arrays' own `@`, `reshape`, `sum(axis)`, strided
    slicing and `.T`; Poisson sources (spikemem.engine.poisson) the integer operators ^ >> & * <
    on `ints` arrays, which must wrap nowhere below 2^63.
    `whole` turns floats holding whole numbers into int64 (table indices). `select(mask, *arrays)`
    keeps the entries where mask holds; `no_grad()` is a context for the whole run. `ints` and
    `zeros_int` make int64 arrays: numerics='fixed' (spikemem.engine.fixed_engine) keeps a
    SpiNNaker core's raw bits in them and uses only operators on them (+ - * >> << & clip)."""

    inf: float

    def array(self, a): ...
    def index(self, a): ...
    def zeros(self, shape): ...
    def bools(self, shape): ...
    def full(self, shape, value): ...
    def ones_int(self, shape): ...
    def ints(self, a): ...
    def zeros_int(self, shape): ...
    def copy(self, a): ...
    def whole(self, a): ...
    def floats(self, a): ...
    def numpy(self, a): ...
    def int_numpy(self, a): ...
    def compact(self, idx): ...
    def cat(self, arrays): ...
    def stack(self, arrays, axis): ...
    def pairs(self, batch: int, n: int): ...
    def no_grad(self): ...
    def mul(self, a, b, out): ...
    def sub(self, a, b, out): ...
    def ge(self, a, b, out): ...
    def where(self, cond, a, b): ...
    def nan_to_num(self, a): ...
    def clip_(self, a, lo, hi): ...
    def at_most_(self, a, hi: float): ...
    def select(self, mask, *arrays): ...
    def step_spikes(self, fired, src_trials, src_neurons): ...
    def repeat(self, a, counts, total: int): ...
    def arange(self, n: int): ...
    def cumsum(self, a): ...
    def scatter_add(self, target, idx, values): ...
    def trial_sums(self, rows, trials, batch: int): ...
    # structured delivery and live sessions (docs/scale.md): how often each index occurs (no host
    # sync), target += values * w in place, a saved numpy array as the engine's kind, and a numpy
    # copy of an array with its own dtype
    def counts(self, idx, n: int): ...
    def add_scaled(self, target, values, w: float): ...
    def cast_like(self, a, like): ...
    def host(self, a): ...

    def row_max(self, a): ...


@runtime_checkable
class Neurons(Protocol):
    """A membrane model plugged into the engine: `Engine(flat, batch, ops, neurons=factory)` calls
    `factory(engine)` once (engine.c is the FlatNetwork with per-neuron parameters, engine.ops
    the ArrayOps, engine.V the (batch, n) membrane potentials), and then `membrane(engine,
    arrived)` every step. `arrived` is the synaptic weight arriving this step, (batch, 2n) as
    excitatory | inhibitory columns (nA; the built-in IFNeurons alone may get one signed column
    per neuron where both receptors share tau_syn, engine.width); return V after this step's sub-threshold update. The
    engine then applies the refractory hold, the threshold (V >= v_thresh) and the reset, so a
    plug-in only integrates: spikemem.engine.array_engine.IFNeurons (both schemes of
    docs/update_schemes.md), backends/snntorch (snntorch.Synaptic) and backends/norse
    (lif_feed_forward_step) are the examples; spikemem.engine.cell_input turns `arrived` into one
    signed current for libraries that keep a single one. A plug-in that carries state from one
    step to the next names those attributes in STATE (dotted for nested ones, e.g.
    "input.delayed"), so live sessions can save, load and take back windows (docs/scale.md).
    Optional: `syn_now` (the exc | inh synaptic current or conductance after this step's input,
    which gsyn recording reads; without it gsyn is refused) and `spiked(trials, neurons)` (called
    after the reset, for models that change more at a spike). The engine's own neuron models
    (IF_cond_exp, IF_curr_alpha, Izhikevich; spikemem.engine.neuron_models, whose NeuronModel
    documents the injected-current hook) each update one slice of the neurons."""

    def membrane(self, engine, arrived): ...


NeuronsFactory = Callable[[Any], Neurons]


@runtime_checkable
class MemoryModel(Protocol):
    """What the harness needs from a memory model (registered in the `spikemem.memories`
    entry-point group; models/ca3's CA3Memory and models/hippocampus' memories are the
    examples). `published_cases()` maps the model's published experiments to functions returning
    a harness Case (a timed sequence of learn / recall operations on C addresses x N bits);
    `random_case(C, N, n_ops, seed, spacing, content)` returns a seeded random Case that respects
    the model's own minimum spacing (spacing=None: the minimum) with content queries 'none',
    'single' or 'mixed' (those the model has); `random_size` is the (C, N) the harness uses for
    random cases. `network(C, N, variant)` is the Network the model runs for that size (the
    harness compares its features with a backend's `unsupported`); the harness passes
    numerics='fixed' to `network` and `run_cases` only when asked for it. `run_cases(cases,
    backend, variant=...)` runs a batch of same-size cases, one trial each, on a backend (a name
    or an instance) and returns a spikemem.harness.scoring.Report scored against the model's
    ideal memory (spikemem.harness.oracle: IdealCAM, IdealOneHot, IdealPatterns). Optional
    members (the command group, the sweeps, the benchmark and `spinnaker --model` read them with
    defaults) are listed in docs/memories.md, "The harness"; the live memory object of a model is
    a spikemem.harness.live.LiveMemory."""

    random_size: tuple

    @staticmethod
    def published_cases() -> dict: ...

    @staticmethod
    def random_case(C: int, N: int, n_ops: int, seed: int = 0, spacing: float | None = None,
                    content: str = "mixed"): ...

    @staticmethod
    def network(C: int, N: int, variant: str = "faithful"): ...

    @staticmethod
    def run_cases(cases, backend=None, *args, variant: str = "faithful", **kwargs): ...


__all__ = ["Backend", "Session", "SessionBackend", "ArrayOps", "Neurons", "NeuronsFactory", "MemoryModel"]
