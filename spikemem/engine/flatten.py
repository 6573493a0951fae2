"""Lower a Network to flat arrays: every IF neuron in one index space, sources after them.

Backend-neutral: the numpy reference engine runs on it directly and array backends (torch,
snnTorch, Norse) start from it, so every engine agrees on indexing and synapse tables.

Static all-to-all projections with one weight and one delay become StructuredBlocks that the
engine delivers as a count of the pre population's spikes, with no synapse table; where self
pairs are dropped, the table holds the i -> i pairs with the weight negated (O(n)). One-to-one
projections keep one table entry per pre neuron, an index map (docs/scale.md, structured
connectivity). Below STRUCTURED_MIN synapses the table is as fast, so structured="auto" keeps
small projections there; "always" and "never" force one way (the tests compare the two).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..description import realisation, validation
from ..description.propagators import exact_current_gain as _exact_current_gain
from ..description.propagators import spinnaker_init
from ..description.realisation import is_scalar
from ..errors import UnsupportedFeature, ValidationError
from .layers import LayerBlock
from .model_params import by_model, model_slices
from .poisson import block as poisson_block


@dataclass
class PlasticBlock:
    """One plastic projection: dense (n_pre, n_post) weights with a mask of existing synapses."""

    name: str
    pre_off: int          # in the all-neuron index space
    n_pre: int
    post_off: int         # in the IF index space
    n_post: int
    col_off: int          # in the (exc | inh) current columns
    delay: int            # steps
    dendritic: int        # steps between a post spike and the moment STDP sees it
    w0: np.ndarray
    mask: np.ndarray | None
    rule: object
    gate: int | None = None   # all-neuron index of the gating source, if any


@dataclass
class StructuredBlock:
    """A static all-to-all projection with one weight and delay: every post neuron gets weight x
    the number of spikes its trial's pre population fired (self pairs: see flatten)."""

    name: str
    pre: str              # the pre population
    col_off: int          # in the (exc | inh) current columns
    n_post: int
    weight: float
    delay: int            # steps


@dataclass
class FlatNetwork:
    dt: float
    scheme: str
    n_if: int
    n_all: int
    offsets: dict         # population -> start in the all-neuron index space
    sizes: dict
    params: dict          # per-IF-neuron (n_if,) or per-current-column (2 n_if,) arrays
    csr: tuple            # static synapses by pre: indptr, col, weight, delay (steps)
    plastic: list
    ring_len: int
    numerics: str = "float"
    structured: list = None
    models: list = None       # ModelSlice per neuron model, in index order (spikemem.engine.model_params)
    gsyn: bool = False        # the network records gsyn_exc or gsyn_inh
    poisson: list = None  # PoissonBlocks of the SpikeSourcePoisson populations (spikemem.engine.poisson)
    layers: list = None   # LayerBlocks: convolution and pooled dense projections (spikemem.engine.layers)
    currents: tuple = ()  # (CurrentInjection, Population) of the current sources (spikemem.engine.current_sources)


STRUCTURED_MIN = 1 << 16      # synapses; measured: at 100 x 100 the table is as fast with numpy and faster with torch
STRUCTURED = ("auto", "always", "never")


def delivery_mode(net, structured: str = "auto") -> str:
    """The structured mode a network's static projections get: numerics="fixed" keeps every
    synapse in the table, because a core's ring buffer saturates synapse by synapse (fixed_engine)."""
    return structured if net.simulation.numerics == "float" else "never"


def is_structured(pr, n_pre: int, n_post: int, mode: str = "auto") -> bool:
    """Whether a static projection is delivered without a synapse table."""
    big = mode == "always" or (mode == "auto" and n_pre * n_post >= STRUCTURED_MIN)
    return pr.connector.kind == "all_to_all" and is_scalar(pr.weight) and is_scalar(pr.delay) and big


def is_layer(pr, mode: str = "auto") -> bool:
    """A convolution or pooled dense projection delivered from its structure (any size, except with
    structured="never", which the tests use to compare it with the table)."""
    return hasattr(pr.connector, "synapses") and mode != "never"


def table_synapses(pr, n_pre: int, n_post: int, mode: str = "auto") -> int:
    """The synapse-table entries a static projection takes (a structured one: its i -> i pairs)."""
    if is_layer(pr, mode):
        return 0
    if is_structured(pr, n_pre, n_post, mode):
        return 0 if pr.connector.allow_self_connections else min(n_pre, n_post)
    return realisation.n_synapses(pr, n_pre, n_post)


def uniform_start(pr) -> bool:
    """A plastic all-to-all projection with one initial weight: its start is filled, not built."""
    return pr.connector.kind == "all_to_all" and pr.connector.allow_self_connections and is_scalar(pr.weight)


def _structured(pr, pre_pop, post_pop, col_off, dt, mode):
    """The StructuredBlock of a static projection, or None where it goes in the synapse table."""
    if is_structured(pr, pre_pop.size, post_pop.size, mode):
        return StructuredBlock(pr.name, pr.pre, col_off, post_pop.size, float(pr.weight), round(float(pr.delay) / dt))
    return None


def _plastic_start(pr, pre_pop, post_pop):
    """(w0, mask) of a plastic projection; a uniform all-to-all start stays a broadcast view."""
    shape = (pre_pop.size, post_pop.size)
    if uniform_start(pr):
        return np.broadcast_to(float(pr.weight), shape), None
    pre, post, w, _ = pr.connections(*shape)
    if len(pre) and np.any(np.bincount(pre * shape[1] + post) > 1):
        raise ValidationError(f"{pr.name}.connector", pr.connector, "repeats a (pre, post) pair, which a plastic "
                                                                    "projection cannot hold (with_replacement=False)")
    w0 = np.zeros(shape)
    w0[pre, post] = w
    mask = None
    if len(pre) != w0.size:
        mask = np.zeros_like(w0)
        mask[pre, post] = 1.0
    return w0, mask


def flatten(net, structured: str = "auto") -> FlatNetwork:
    structured = delivery_mode(net, validation.choice("structured", structured, STRUCTURED))
    dt = net.simulation.dt
    if_pops = by_model([p for p in net.populations if not p.is_source])     # each model a contiguous slice
    src_pops = [p for p in net.populations if p.is_source]
    offsets, off = {}, 0
    for p in if_pops + src_pops:
        offsets[p.name] = off
        off += p.size
    n_if = sum(p.size for p in if_pops)
    sizes = {p.name: p.size for p in net.populations}

    cells = {p.name: realisation.cell_arrays(p) for p in if_pops}     # every value as a (size,) array

    def per_neuron(fn):
        return np.concatenate([np.full(p.size, fn(cells[p.name]), dtype=float) for p in if_pops]) if if_pops else np.zeros(0)

    # Cells without a leak (Izhikevich) or a synaptic time constant get placeholders of 1 for the
    # LIF constants here; only their own model (model_params) reads their slice.
    params = dict(
        alpha=per_neuron(lambda c: np.exp(-dt / _get(c, "tau_m"))), R=per_neuron(lambda c: _get(c, "tau_m") / _get(c, "cm")),
        v_rest=per_neuron(lambda c: _get(c, "v_rest", 0.0)), v_reset=per_neuron(lambda c: c.v_reset),
        v_thresh=per_neuron(lambda c: c.v_thresh), i_offset=per_neuron(lambda c: c.i_offset),
        v_start=per_neuron(lambda c: c.v_start),
        refrac=per_neuron(lambda c: validation.refractory_steps(c.tau_refrac, dt)).astype(np.int64),
    )
    tau_syn = np.concatenate([per_neuron(lambda c: _get(c, "tau_syn_E")), per_neuron(lambda c: _get(c, "tau_syn_I"))])
    params["decay"] = np.exp(-dt / tau_syn)
    # sPyNNaker scales an arriving weight by init so that a step holds the mean current.
    params["init"] = spinnaker_init(tau_syn, dt)
    tau_m, cm = per_neuron(lambda c: _get(c, "tau_m")), per_neuron(lambda c: _get(c, "cm"))
    params["p21"] = _exact_current_gain(np.tile(np.where(np.isinf(tau_m), 1.0, tau_m), 2), tau_syn, np.tile(cm, 2), dt)
    _delta_cells(params, per_neuron(lambda c: c.kind == "IF_curr_delta") > 0, cm, dt)
    params["onset"] = np.concatenate([np.full(p.size, validation.steps(f"{p.name}.cell.onset", p.cell.onset, dt))
                                      for p in if_pops]).astype(np.int64) if if_pops else np.zeros(0, np.int64)
    models = model_slices(if_pops)
    _check_finite(params, if_pops, net.simulation.scheme, models)
    if net.simulation.numerics == "fixed":     # a core's integers (docs/fixed_point.md); overrides refrac
        refuse_fixed_layers(net)
        from .fixed_neurons import chip_params
        params.update(chip_params(net, if_pops))

    pre_l, col_l, w_l, d_l, plastic, blocks, layers = [], [], [], [], [], [], []
    for pr in net.projections:
        pre_pop, post_pop = net.population(pr.pre), net.population(pr.post)
        col_off = offsets[pr.post] + (n_if if pr.receptor == "inhibitory" else 0)
        if is_layer(pr, structured):
            layers.append(LayerBlock(pr.name, pr.pre, offsets[pr.pre], pr.connector, col_off, post_pop.size,
                                     float(pr.weight), round(float(pr.delay) / dt)))
            continue
        if pr.plasticity is None:
            block = _structured(pr, pre_pop, post_pop, col_off, dt, structured)
            if block is not None:
                blocks.append(block)
                if pr.connector.allow_self_connections:
                    continue
                pre = post = np.arange(min(pre_pop.size, post_pop.size))    # take the i -> i pairs back
                w, d = np.full(len(pre), -block.weight), np.full(len(pre), float(pr.delay))
            else:
                pre, post, w, d = pr.connections(pre_pop.size, post_pop.size, dt)
            pre_l.append(pre + offsets[pr.pre])
            col_l.append(post + col_off)
            w_l.append(w)
            d_l.append(np.round(d / dt).astype(np.int64))
            continue
        w0, mask = _plastic_start(pr, pre_pop, post_pop)
        rule = pr.plasticity
        delay = validation.steps(f"{pr.name}.delay", float(pr.delay), dt)     # one scalar delay (validated)
        dd = delay if rule.dendritic_delay is None else validation.steps(f"{pr.name}.plasticity.dendritic_delay",
                                                                 rule.dendritic_delay, dt)
        plastic.append(PlasticBlock(pr.name, offsets[pr.pre], pre_pop.size, offsets[pr.post], post_pop.size,
                                    col_off, delay, dd, w0, mask, rule, None if rule.gate is None else offsets[rule.gate]))

    cat = (lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype))
    pre, col, w, d = cat(pre_l, np.int64), cat(col_l, np.int64), cat(w_l, float), cat(d_l, np.int64)
    order = np.argsort(pre, kind="stable")
    pre, col, w, d = pre[order], col[order], w[order], d[order]
    indptr = np.zeros(off + 1, dtype=np.int64)
    np.cumsum(np.bincount(pre, minlength=off), out=indptr[1:])
    max_d = max([int(d.max()) if len(d) else 0] + [b.delay for b in plastic]
                + [b.delay for b in blocks] + [b.delay for b in layers])
    poisson = [poisson_block(p, offsets[p.name], dt) for p in src_pops if p.cell.kind == "SpikeSourcePoisson"]
    rec = net.recording
    return FlatNetwork(dt, net.simulation.scheme, n_if, off, offsets, sizes, params,
                       (indptr, col, w, d), plastic, max_d + 1, net.simulation.numerics, blocks, models,
                       bool(rec.gsyn_exc or rec.gsyn_inh), poisson, layers,
                       tuple((inj, net.population(inj.population)) for inj in net.current_sources))


def refuse_fixed_layers(net) -> None:
    """numerics='fixed' does not model sPyNNaker's local-only layers: refused by name, before any
    statistic lists their synapses."""
    for pr in net.projections:
        if hasattr(pr.connector, "synapses"):
            raise UnsupportedFeature(f"{pr.name}.connector: numerics='fixed' does not model sPyNNaker's local-only "
                                     f"{pr.connector.kind} synapses (int16 kernels; connector.convolution.fixed)")


def _get(cell, name: str, default: float = 1.0) -> float:
    """A cell's parameter, or `default` where its model has none (module comment in flatten)."""
    value = getattr(cell, name, None)
    return default if value is None else value


def _check_finite(params, if_pops, scheme, models=()) -> None:
    """Cell parameters whose update factors overflow (an extreme tau_m/cm, say) would give
    silently wrong spikes: refused, naming the first population concerned."""
    n = sum(p.size for p in if_pops)
    bad = np.zeros(n, dtype=bool)
    for v in params.values():
        v = np.asarray(v, dtype=float)
        if v.shape == (n,):
            bad |= ~np.isfinite(v)
        elif v.shape == (2 * n,):
            bad |= ~np.isfinite(v[:n]) | ~np.isfinite(v[n:])
    for m in (m for m in models if m.size):
        for v in m.params.values():
            v = np.asarray(v, dtype=float)
            bad[m.lo:m.hi] |= (~np.isfinite(v)).reshape(-1, m.hi - m.lo).any(axis=0)
    if bad.any():
        first, start = int(np.argmax(bad)), 0
        for p in if_pops:
            if start <= first < start + p.size:
                raise ValidationError(f"{p.name}.cell", p.cell, f"its parameters overflow in the {scheme!r} update")
            start += p.size


def _delta_cells(params, delta, cm, dt):
    """IFCurrDelta neurons keep no synaptic current (decay, init, p21 = 0): the weight arriving
    in a step goes straight onto V (`direct`, in mV). Without leak (tau_m = inf) R is 0 and
    i_offset adds dt/cm per step instead (`drift`). Semantics: docs/nir.md, "IFCurrDelta"."""
    params["direct"] = delta.astype(float)
    no_leak = delta & np.isinf(params["R"])
    params["drift_gain"] = np.where(no_leak, dt / cm, 0.0)          # mV per nA of constant current a step
    params["drift"] = np.where(no_leak, dt * params["i_offset"] / cm, 0.0)
    params["R"] = np.where(no_leak, 0.0, params["R"])
    both = np.tile(delta, 2)
    for k in ("decay", "init", "p21"):
        params[k] = np.where(both, 0.0, params[k])
