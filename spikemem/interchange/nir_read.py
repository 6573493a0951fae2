"""NIR graph -> Network: populations from Input and neuron nodes, projections from the weight,
scale and delay nodes between them, and the time shift that gives every hop at least the one
step a spikemem projection takes (docs/nir.md, "Time")."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..description.cells import SpikeSourceArray
from ..description.connectors import FromListConnector
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
    meta = dict(getattr(graph, "metadata", None) or {})
    dt = float(dt if dt is not None else _scalar(meta.get("dt_ms", reading.dt_ms)))
    if scheme is not None and reading.zero_lag and scheme != reading.scheme:
        raise ValidationError("scheme", scheme, f"a graph read as {semantics} moves V with this step's input: "
                                                f"scheme {reading.scheme!r}")
    scheme = scheme or (_text(meta["scheme"]) if semantics == "nir" and "scheme" in meta else reading.scheme)
    kinds = {k: type(v).__name__ for k, v in graph.nodes.items()}
    for key, kind in kinds.items():
        if kind not in KNOWN:
            raise UnsupportedFeature(f"NIR node '{key}' of type {kind}: spikemem imports {', '.join(KNOWN)}")
    succ = {}
    for a, b in graph.edges:
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
            s = np.asarray(node.scale, dtype=float)
            W = np.diag(s) if s.ndim == 1 and s.size > 1 else s.reshape(())
        else:
            W = np.asarray(node.weight, dtype=float)
            if W.ndim != 2:
                raise UnsupportedFeature(f"NIR node '{key}': weight of shape {W.shape}; only 2-D Linear/Affine")
        if np.ndim(delay) == 2 and len(np.unique(delay)) > 1:
            raise UnsupportedFeature(f"NIR node '{key}': a Delay that differs between the neurons of a weight layer "
                                     "and the next weight layer; spikemem keeps one delay per synapse")
        if np.ndim(delay) == 2:
            delay = float(np.asarray(delay).flat[0])
        M = _apply(W, M)
        bias = None if bias is None else _apply(W, bias)
        if kind == "Affine" and np.any(np.asarray(node.bias) != 0):
            b = np.asarray(node.bias, dtype=float).reshape(-1)
            bias = b if bias is None else bias + b
        if np.ndim(delay) == 1 and M.ndim == 2:         # a Delay before the weights: per pre neuron
            delay = np.broadcast_to(delay[None, :], M.shape)
        name = name or key
    elif kind == "Delay":
        d = np.atleast_1d(np.asarray(node.delay, dtype=float))
        if M is None or M.ndim == 0:
            delay = np.asarray(delay, dtype=float) + d
        else:
            delay = np.asarray(delay, dtype=float) + np.broadcast_to(d[:, None], M.shape)
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
        leak = np.broadcast_to(np.asarray(node.v_leak, dtype=float).reshape(-1), (n,))
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


def _input_size(key, node) -> int:
    """Input of shape (n,) or (batch, n): spikemem populations are flat, trials are its batch."""
    shape = np.atleast_1d(np.asarray(node.input_type["input"])).astype(int).tolist()
    if len(shape) == 1 or (len(shape) == 2 and shape[0] >= 1):
        return int(shape[-1])
    raise UnsupportedFeature(f"NIR node '{key}': input shape {shape}; only flat populations, (n,) or (batch, n)")


def _neuron_size(key, node, paths) -> int:
    """From the node's parameters, else from the weights that reach or leave it (Norse writes scalars)."""
    shape = np.atleast_1d(np.asarray(node.input_type.get("input", []))).astype(int).tolist()
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
    arr = np.atleast_1d(np.asarray(value, dtype=float)).reshape(-1)
    if arr.size not in (1, n):
        raise UnsupportedFeature(f"NIR node '{key}': {field} has {arr.size} values for {n} neurons")
    if not np.all(arr == arr[0]):
        raise UnsupportedFeature(f"NIR node '{key}': {field} varies across neurons; a spikemem population has one "
                                 "cell type")
    return float(arr[0])


def _scalar(v) -> float:
    return float(np.asarray(v).item())


def _text(v) -> str:
    v = np.asarray(v).item() if isinstance(v, np.ndarray) else v
    return v.decode() if isinstance(v, bytes) else str(v)
