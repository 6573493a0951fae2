"""NIR graph -> Network: populations from Input and neuron nodes, projections from the weight,
scale and delay nodes between them, and the time shift that gives every hop at least the one
step a spikemem projection takes (docs/nir.md, "Time")."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..description.cells import SpikeSourceArray
from ..description.connectors import FromListConnector
from ..description import validation
from ..description.network import Network, Population, Projection, Recording, Simulation
from ..errors import UnsupportedFeature, ValidationError
from ..log import get_logger
from .nir_semantics import MS, READINGS, node_cell

log = get_logger(__name__)
NEURONS = ("CubaLIF", "LIF", "IF")
PASS = ("Linear", "Affine", "Scale", "Delay", "Flatten")
KNOWN = ("Input", "Output") + NEURONS + PASS
PARAMS = {"CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
          "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"), "IF": ("r", "v_threshold", "v_reset")}
OPTIONAL = ("v_reset", "w_in")              # defaults 0 and 1
POSITIVE = ("tau_syn", "tau_mem", "tau", "r")
# spikemem's extras in a neuron node's metadata, and the check each gets
META = {"tau_refrac_ms": validation.non_negative, "onset_ms": validation.non_negative, "v_init_mV": validation.finite,
        "cm_nF": validation.positive, "v_rest_mV": validation.finite}


@dataclass
class Path:
    """Everything between two populations along one route: y = M x + bias, delay (s) per synapse."""

    src: str
    dst: str = ""
    key: str = ""                       # the first weight node: the projection's name
    M: np.ndarray | None = None         # None: identity
    bias: np.ndarray | None = None
    delay: np.ndarray | float = 0.0     # per synapse (n_dst, n_src), or one value
    recurrent: bool = field(default=False)


def read(graph, semantics: str, dt: float | None, scheme: str | None, name: str | None) -> Network:
    reading = READINGS[semantics]
    meta = _mapping("graph.metadata", getattr(graph, "metadata", None))
    nodes, edges = _structure(graph)
    dt = validation.positive("dt", dt) if dt is not None else \
        validation.positive("graph.metadata.dt_ms", _scalar("graph.metadata.dt_ms", meta.get("dt_ms", reading.dt_ms)))
    if scheme is not None and reading.zero_lag and scheme != reading.scheme:
        raise ValidationError("scheme", scheme, f"a graph read as {semantics} moves V with this step's input: "
                                                f"scheme {reading.scheme!r}")
    scheme = scheme or (_text(meta["scheme"]) if semantics == "nir" and "scheme" in meta else reading.scheme)
    kinds = {k: type(v).__name__ for k, v in nodes.items()}
    for key, kind in kinds.items():
        if kind not in KNOWN:
            raise UnsupportedFeature(f"NIR node '{key}' of type {kind}: spikemem imports {', '.join(KNOWN)}")
    graph = _Checked(_checked_nodes(nodes, kinds), edges)
    succ = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    pops = [k for k, kind in kinds.items() if kind == "Input" or kind in NEURONS]
    sizes = {k: _input_size(k, graph.nodes[k]) for k in pops if kinds[k] == "Input"}
    paths, recorded = [], []
    for src in pops:
        for first in succ.get(src, []):
            if kinds[first] == "Output":
                recorded.append(src)
                continue
            paths += _walk(graph, kinds, succ, first, Path(src))
    for k in pops:
        if k not in sizes:
            sizes[k] = _neuron_size(k, graph.nodes[k], paths)
    for pa in paths:
        _check_shape(pa, sizes)
    skew, steps = _time_shift(pops, kinds, paths, reading, dt)
    populations, projections = [], []
    for k in pops:
        if kinds[k] == "Input":
            populations.append(Population(k, sizes[k], SpikeSourceArray()))
            continue
        bias = sum((pa.bias for pa in paths if pa.dst == k and pa.bias is not None), np.zeros(sizes[k]))
        nc = _cell(reading, kinds[k], k, graph.nodes[k], sizes[k], dt, bias, skew[k])
        populations.append(Population(k, sizes[k], nc.cell))
        for pa, d in zip(paths, steps):
            if pa.dst == k:
                projections += _projections(pa, nc.gain, d, dt, sizes)
    return Network(populations, projections, Simulation(dt, scheme), Recording(spikes=recorded or None),
                   name=name or _text(meta.get("name", "nir_network")))


@dataclass
class _Checked:
    nodes: dict
    edges: list


class _Node:
    """A NIR node's fields as checked float arrays (the graph's own node is left untouched)."""

    def __init__(self, node, **fields):
        self.metadata = _mapping("metadata", getattr(node, "metadata", None))
        self.input_type = getattr(node, "input_type", None)
        self.__dict__.update(fields)


def _mapping(field: str, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(field, type(value).__name__, "must be a mapping")
    return dict(value)


def _structure(graph):
    """The graph's nodes and edges; every edge joins two of its nodes."""
    nodes = getattr(graph, "nodes", None)
    if not isinstance(nodes, Mapping):
        raise ValidationError("graph.nodes", type(nodes).__name__, "must map node names to NIR nodes")
    if not all(isinstance(k, str) for k in nodes):
        raise ValidationError("graph.nodes", next(k for k in nodes if not isinstance(k, str)), "node names must be strings")
    edges = getattr(graph, "edges", None)
    if isinstance(edges, (str, bytes, Mapping)) or not hasattr(edges, "__iter__"):
        raise ValidationError("graph.edges", type(edges).__name__, "must be a list of (from, to) pairs")
    out = []
    for e in edges:
        if isinstance(e, (str, bytes)) or not hasattr(e, "__len__") or len(e) != 2:
            raise ValidationError("graph.edges", e, "each edge must be a (from, to) pair of node names")
        a, b = e
        for end in (a, b):
            if not isinstance(end, str) or end not in nodes:
                raise ValidationError("graph.edges", (a, b), f"{end!r} is not a node of the graph")
        out.append((a, b))
    return nodes, out


def _floats(field: str, value, *, ndim=None, lo=None, lo_open=False) -> np.ndarray:
    """A NIR parameter as a float array: numbers only, no NaN or infinity, in range, of the given ndim."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(field, validation._brief(value), "must be numbers") from None
    if ndim is not None and arr.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise ValidationError(field, f"shape {arr.shape}", f"must have {ndim} dimension(s)")
    bad = ~np.isfinite(arr)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if np.any(bad):
        rule = "must be finite" if lo is None else f"must be finite and {'>' if lo_open else '>='} {lo:g}"
        raise ValidationError(field, arr[bad].ravel()[0].item(), rule)
    return arr


def _checked_nodes(nodes, kinds) -> dict:
    """Every node's fields that the reader uses, checked once here: a bad value is a
    ValidationError naming the node and field, never a numpy error further on."""
    out = {}
    for key, node in nodes.items():
        kind = kinds[key]
        f = {}
        if kind in NEURONS:
            for name in PARAMS[kind]:
                value = getattr(node, name, None)
                if value is None:
                    if name in OPTIONAL:
                        continue
                    raise ValidationError(f"{key}.{name}", None, f"a {kind} node needs it")
                f[name] = _floats(f"{key}.{name}", value, ndim=(0, 1), lo=0 if name in POSITIVE else None,
                                  lo_open=True)
            meta = _mapping(f"{key}.metadata", getattr(node, "metadata", None))
            for name, check in META.items():
                if name in meta:
                    meta[name] = check(f"{key}.metadata.{name}", _scalar(f"{key}.metadata.{name}", meta[name]))
            f["metadata"] = meta
        elif kind in ("Linear", "Affine"):
            f["weight"] = _floats(f"{key}.weight", getattr(node, "weight", None))
            if kind == "Affine":
                f["bias"] = _floats(f"{key}.bias", getattr(node, "bias", None), ndim=(0, 1))
        elif kind == "Scale":
            f["scale"] = _floats(f"{key}.scale", getattr(node, "scale", None), ndim=(0, 1))
        elif kind == "Delay":
            f["delay"] = _floats(f"{key}.delay", getattr(node, "delay", None), ndim=(0, 1), lo=0)
        out[key] = _Node(node, **f) if kind != "Input" and kind != "Output" else node
        if kind in ("Input",) + NEURONS:
            it = getattr(node, "input_type", None)
            if not isinstance(it, Mapping):
                raise ValidationError(f"{key}.input_type", type(it).__name__, "must be a mapping")
    return out


def _walk(graph, kinds, succ, key, path: Path, seen=()):
    """Follow pass-through nodes from `key` to the next population, composing what they do."""
    kind, node = kinds[key], graph.nodes[key]
    if key in seen:
        raise UnsupportedFeature(f"NIR node '{key}': a cycle without a neuron node")
    if kind in NEURONS or kind == "Input":
        path.dst, path.recurrent = key, key == path.src
        return [path]
    if kind == "Output":
        raise UnsupportedFeature(f"NIR node '{key}': an Output after '{path.key or path.src}' records a current; "
                                 "spikemem records the spikes of populations (connect Output to a neuron node)")
    M, bias, delay, name = path.M, path.bias, path.delay, path.key
    if kind in ("Linear", "Affine", "Scale"):
        if kind == "Scale":
            s = node.scale
            W = np.diag(s) if s.ndim == 1 and s.size > 1 else s.reshape(-1)[0] if s.size == 1 else None
            if W is None:
                raise ValidationError(f"{key}.scale", "shape (0,)", "must hold a value")
        else:
            W = node.weight
            if W.ndim != 2:
                raise UnsupportedFeature(f"NIR node '{key}': weight of shape {W.shape}; only 2-D Linear/Affine")
        inner = None if M is None else (M.shape[0] if np.ndim(M) == 2 else None)
        if inner is not None and W.ndim == 2 and W.shape[1] != inner:
            raise UnsupportedFeature(f"NIR node '{key}': weight of shape {W.shape} after a layer of {inner} outputs")
        if np.ndim(delay) == 2 and len(np.unique(delay)) > 1:
            raise UnsupportedFeature(f"NIR node '{key}': a Delay that differs between the neurons of a weight layer "
                                     "and the next weight layer; spikemem keeps one delay per synapse")
        if np.ndim(delay) == 2:
            delay = float(np.asarray(delay).flat[0])
        M = _apply(W, M)
        bias = None if bias is None else _apply(W, bias)
        if kind == "Affine" and np.any(node.bias != 0):
            b = np.broadcast_to(node.bias, (W.shape[0],)) if node.bias.size in (1, W.shape[0]) else None
            if b is None:
                raise UnsupportedFeature(f"NIR node '{key}': bias of {node.bias.size} values for {W.shape[0]} outputs")
            bias = b if bias is None else bias + b
        if np.ndim(delay) == 1 and M.ndim == 2:         # a Delay before the weights: per pre neuron
            if delay.size not in (1, M.shape[1]):
                raise UnsupportedFeature(f"NIR node '{key}': a Delay of {delay.size} values before weights of shape "
                                         f"{M.shape}")
            delay = np.broadcast_to(delay[None, :], M.shape)
        name = name or key
    elif kind == "Delay":
        d = np.atleast_1d(node.delay)
        try:
            if M is None or M.ndim == 0:
                delay = np.asarray(delay, dtype=float) + d
            else:
                delay = np.asarray(delay, dtype=float) + np.broadcast_to(d[:, None], M.shape)
        except ValueError:
            raise UnsupportedFeature(f"NIR node '{key}': a Delay of {d.size} values where the path holds "
                                     f"{np.shape(delay) if M is None or M.ndim == 0 else M.shape}") from None
    return [pa for nxt in succ.get(key, [])
            for pa in _walk(graph, kinds, succ, nxt, Path(path.src, key=name, M=M, bias=bias, delay=delay),
                            seen + (key,))]


def _apply(W, x):
    """W (2-D, or a 0-d scale) applied to x (None: identity; 0-d; vector; matrix)."""
    if x is None:
        return W
    if W.ndim == 0 or np.ndim(x) == 0:
        return W * x
    return W @ x


def _time_shift(pops, kinds, paths, reading, dt):
    """Each population's shift s (steps: spikemem step = NIR step + s) and each path's delay in steps.

    A hop of NIR delay d takes s_dst - s_src + d >= 1 steps: the smallest such shifts are the
    longest paths of (1 - d) from the inputs. A self-loop without Delay is one step (the peers'
    recurrent update). A cycle whose hops are shorter than one step each cannot be shifted."""
    d = []
    for pa in paths:
        if reading.zero_lag and np.any(np.asarray(pa.delay) != 0):
            raise UnsupportedFeature(f"NIR path '{pa.key}': a Delay node in a graph read as {reading.name}, "
                                     "whose readers have no Delay node")
        steps = np.round(np.asarray(pa.delay, dtype=float) / (dt * MS))
        if not np.allclose(steps * dt * MS, np.asarray(pa.delay, dtype=float), rtol=1e-9, atol=1e-12):
            raise UnsupportedFeature(f"NIR path '{pa.key}': delays {np.unique(pa.delay).tolist()} s are not "
                                     f"multiples of dt = {dt} ms")
        if pa.recurrent:
            steps = np.maximum(steps, 1)
        d.append(steps)
    s = {k: 0 for k in pops}
    for _ in range(len(pops) + 1):
        changed = False
        for pa, st in zip(paths, d):
            need = s[pa.src] + int(np.max(1 - st))
            if not pa.recurrent and need > s[pa.dst]:
                s[pa.dst], changed = need, True
        if not changed:
            break
    else:
        raise UnsupportedFeature("NIR graph: a cycle between populations whose hops have no Delay of a step or "
                                 "more; spikemem needs every hop to take at least one step")
    return s, [s[pa.dst] - s[pa.src] + st for pa, st in zip(paths, d)]


def _cell(reading, kind, key, node, n, dt, bias, skew):
    meta = dict(node.metadata or {})
    leak = None
    if "v_rest_mV" in meta and getattr(node, "v_leak", None) is not None:
        # spikemem's generic export: v_leak = v_rest + R i_offset per neuron (docs/nir.md)
        leak = node.v_leak.reshape(-1)
        if leak.size not in (1, n):
            raise UnsupportedFeature(f"NIR node '{key}': v_leak has {leak.size} values for {n} neurons")
        leak = np.broadcast_to(leak, (n,))
    p = {f: _uniform(key, f, getattr(node, f), n) for f in PARAMS[kind]
         if getattr(node, f, None) is not None and not (f == "v_leak" and leak is not None)}
    if leak is not None:
        p["v_leak"] = float(meta["v_rest_mV"])
    p.setdefault("v_reset", 0.0)
    p.setdefault("w_in", 1.0)
    nc = node_cell(reading, kind, key, p, n, dt, meta)
    changes = {}
    if np.any(bias != 0):
        if nc.bias_gain is None:
            raise UnsupportedFeature(f"NIR node '{key}' of type {kind}: a bias (Affine) into it drives its synaptic "
                                     "current from zero; spikemem's i_offset is a constant membrane current")
        b = nc.bias_gain * np.broadcast_to(bias, (n,))
        changes["i_offset"] = float(b[0]) if np.all(b == b[0]) else tuple(b.tolist())
    if leak is not None and np.any(leak != p["v_leak"]):
        R = nc.cell.tau_m / nc.cell.cm
        off = (leak - p["v_leak"]) / R + np.asarray(changes.get("i_offset", 0.0))
        changes["i_offset"] = float(off[0]) if np.all(off == off[0]) else tuple(off.tolist())
    if skew:
        changes["onset"] = max(nc.cell.onset, skew * dt)
    if changes:
        from dataclasses import replace
        nc.cell = replace(nc.cell, **changes)
    return nc


def _projections(pa, gain, delay_steps, dt, sizes):
    """Excitatory and inhibitory projections for one path, named after its first weight node."""
    n_dst, n_src = sizes[pa.dst], sizes[pa.src]
    if pa.M is None:
        raise UnsupportedFeature(f"NIR edge from '{pa.src}' reaches '{pa.dst}' without a Linear/Affine/Scale node")
    M = pa.M if pa.M.ndim == 2 else np.eye(n_dst, n_src) * pa.M
    W = M * gain[:, None]
    delay = np.broadcast_to(delay_steps, W.shape) * dt
    out = []
    both = np.any(W > 0) and np.any(W < 0)
    for receptor, sel in (("excitatory", W > 0), ("inhibitory", W < 0)):
        post, pre = np.nonzero(sel)
        if not len(pre):
            continue
        name = f"{pa.key}_{receptor[:3]}" if both else pa.key
        out.append(Projection(name, pa.src, pa.dst, FromListConnector(tuple(zip(pre.tolist(), post.tolist()))),
                              np.abs(W[post, pre]), delay[post, pre], receptor))
    return out


def _check_shape(pa, sizes):
    want = (sizes[pa.dst], sizes[pa.src])
    if pa.M is not None and ((pa.M.ndim == 2 and pa.M.shape != want) or (pa.M.ndim == 0 and want[0] != want[1])):
        raise UnsupportedFeature(f"NIR node '{pa.key}': weights of shape {pa.M.shape} between '{pa.src}' "
                                 f"({sizes[pa.src]} neurons) and '{pa.dst}' ({sizes[pa.dst]} neurons)")


def _shape(key, node) -> list:
    """The node's input_type['input'] as a list of sizes (whole numbers >= 0)."""
    value = node.input_type.get("input", [])
    arr = _floats(f"{key}.input_type['input']", value, ndim=(0, 1), lo=0)
    if np.any(arr != np.round(arr)) or np.any(arr > validation.MAX_STEPS):
        raise ValidationError(f"{key}.input_type['input']", arr.tolist(), "must hold whole sizes")
    return np.atleast_1d(arr).astype(int).tolist()


def _input_size(key, node) -> int:
    """Input of shape (n,) or (batch, n): spikemem populations are flat, trials are its batch."""
    shape = _shape(key, node)
    if len(shape) == 1 or (len(shape) == 2 and shape[0] >= 1):
        return int(shape[-1])
    raise UnsupportedFeature(f"NIR node '{key}': input shape {shape}; only flat populations, (n,) or (batch, n)")


def _neuron_size(key, node, paths) -> int:
    """From the node's parameters, else from the weights that reach or leave it (Norse writes scalars)."""
    shape = _shape(key, node)
    if len(shape) == 1 and shape[0] > 0:
        return shape[0]
    for pa in paths:
        if pa.dst == key and pa.M is not None and pa.M.ndim == 2:
            return pa.M.shape[0]
    for pa in paths:
        if pa.src == key and pa.M is not None and pa.M.ndim == 2:
            return pa.M.shape[1]
    raise UnsupportedFeature(f"NIR node '{key}': no size in its parameters and no weight layer next to it")


def _uniform(key, field, value, n) -> float:
    arr = np.atleast_1d(value).reshape(-1)
    if arr.size not in (1, n):
        raise UnsupportedFeature(f"NIR node '{key}': {field} has {arr.size} values for {n} neurons")
    if not np.all(arr == arr[0]):
        raise UnsupportedFeature(f"NIR node '{key}': {field} varies across neurons; a spikemem population has one "
                                 "cell type")
    return float(arr[0])


def _scalar(field, v) -> float:
    arr = np.asarray(v) if not isinstance(v, (str, bytes)) else None
    if arr is None or arr.size != 1 or isinstance(arr.item(), (bool, str, bytes)) or not validation._is_real(arr.item()):
        raise ValidationError(field, validation._brief(v), "must be one number")
    return float(arr.item())


def _text(v) -> str:
    v = v.item() if isinstance(v, np.ndarray) and v.size == 1 else v
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)
