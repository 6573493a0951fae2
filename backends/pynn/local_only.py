"""sPyNNaker's own ConvolutionConnector and PoolDenseConnector (its local-only synapses) for the
description's layer connectors (spikemem.description.layers; docs/connectivity.md).

sPyNNaker's connectors are two-dimensional: a population is one H x W map (a Grid2D structure)
and a kernel joins one input map to one output map. So every population a native layer
touches is split into one population per channel ("name~cK", H x W neurons, PyNN's
Grid2D), a ConvolutionConnector runs per (input, output) channel pair with that pair's kernel,
flipped in both axes (sPyNNaker's kernel is a convolution's, the description's PyTorch's
cross-correlation; sPyNNaker's integration test test_single_spike_kernel_response shows a spike
drawing the kernel unflipped around it), and a PoolDenseConnector per input channel with that
channel's weights as weights[x][y][post] (the layout of sPyNNaker's test_pool_dense_values,
whose points lie on the diagonal: a board run would confirm x against y). Every other projection
touching a split population is split by channel as a list.

A layer goes native where sPyNNaker means the same: a square kernel of odd size, stride 1, the
same padding both ways, square pooling that divides the map, an IF_curr_exp target, and every
projection into the target of the same local-only kind (sPyNNaker gives a population one
synapse type). The rest, and every layer on other simulators, is an explicit list.
"""
from __future__ import annotations

import numpy as np

LOCAL_ONLY = ("convolution", "pool_dense")


def _expressible(pr, net) -> bool:
    c = pr.connector
    if net.population(pr.post).cell.kind != "IF_curr_exp":
        return False
    _, h, w = c.in_shape
    if c.pool_shape is not None:
        ps = c.pool_stride
        if c.pool_shape != ps or ps[0] != ps[1] or h % ps[0] or w % ps[1]:
            return False
    if c.kind == "pool_dense":
        return True
    kh, kw = c.kernel_weights.shape[2:]
    return kh == kw and kh % 2 == 1 and c.strides == (1, 1) and c.padding[0] == c.padding[1]


def native_layers(net) -> dict:
    """{projection name: connector} of the layers lowered to sPyNNaker's connectors, and
    {population: (C, H, W)} of the populations split by channel for them."""
    incoming = {}
    for pr in net.projections:
        incoming.setdefault(pr.post, []).append(pr)
    chosen = {}
    for post, prs in incoming.items():
        kinds = {pr.connector.kind for pr in prs}
        if len(kinds) == 1 and kinds <= set(LOCAL_ONLY) and all(_expressible(pr, net) for pr in prs):
            chosen.update({pr.name: pr for pr in prs})
    while True:                                   # the maps of every split population must agree
        shapes, clash = {}, set()
        for pr in chosen.values():
            c = pr.connector
            ends = [(pr.pre, c.in_shape)] + ([(pr.post, c.out_shape)] if c.kind == "convolution" else [])
            for pop, shape in ends:
                if shapes.setdefault(pop, tuple(shape)) != tuple(shape):
                    clash.add(pop)
        drop = {name for name, pr in chosen.items() if pr.pre in clash or pr.post in clash}
        if not drop:
            return chosen, shapes
        chosen = {n: pr for n, pr in chosen.items() if n not in drop}


def channel(name: str, k: int) -> str:
    return f"{name}~c{k}"


def split(plain: dict, net, chosen: dict, shapes: dict) -> dict:
    """The plain description with the chosen layers as sPyNNaker's connectors and the populations in
    `shapes` split by channel; other projections touching them split as lists."""
    pops = []
    for p in plain["populations"]:
        if p["name"] not in shapes:
            pops.append(p)
            continue
        c, h, w = shapes[p["name"]]
        for k in range(c):
            part = dict(p, name=channel(p["name"], k), size=h * w, grid=[h, w], channel_of=[p["name"], k, h * w])
            if "seed" in part:                 # a native Poisson source: a stream per channel
                part["seed"] = part["seed"] + k
            if "params" in part:
                part["params"] = {n: v[k * h * w:(k + 1) * h * w] if isinstance(v, list) else v
                                  for n, v in part["params"].items()}
            for key in ("v_init", "u_init"):
                if isinstance(part.get(key), list):
                    part[key] = part[key][k * h * w:(k + 1) * h * w]
            pops.append(part)
    projs = []
    for pr in plain["projections"]:
        base = pr["name"].split("~")[0]
        if base in chosen:
            projs += _native(pr, chosen[base], shapes)
        elif pr["pre"] in shapes or pr["post"] in shapes:
            projs += _split_list(pr, shapes)
        else:
            projs.append(pr)
    return dict(plain, populations=pops, projections=projs)


def _native(entry, pr, shapes) -> list:
    c, out = pr.connector, []
    c_pre = c.in_shape[0]
    pool = None if c.pool_shape is None else int(c.pool_shape[0])
    common = {"receptor": entry["receptor"], "stdp": None, "delay": float(pr.delay), "pool": pool}
    if c.kind == "convolution":
        k = c.kernel_weights * float(pr.weight)
        per_pair = c.n_synapses(c.n_pre, c.n_post) // (k.shape[0] * k.shape[1])
        for co in range(k.shape[0]):
            for ci in range(c_pre):
                if not k[co, ci].any():
                    continue
                out.append(dict(common, name=f"{pr.name}~{ci}~{co}", pre=channel(pr.pre, ci), post=channel(pr.post, co),
                                connector="convolution", kernel=k[co, ci, ::-1, ::-1].tolist(),
                                padding=int(c.padding[0]), synapses=per_pair))
        return out
    _, hp, wp = c.in_shape[0], *c.pooled
    m = (c.weights * float(pr.weight)).reshape(c.n_post, c_pre, hp, wp)
    for ci in range(c_pre):
        if m[:, ci].any():
            out.append(dict(common, name=f"{pr.name}~{ci}", pre=channel(pr.pre, ci), post=pr.post, connector="pool_dense",
                            weights=m[:, ci].transpose(2, 1, 0).tolist(),       # [x][y][post]
                            synapses=int(c.n_synapses(c.n_pre, c.n_post) // c_pre)))
    return out


def _split_list(pr, shapes) -> list:
    """A list projection between split populations as one list per pair of channels."""
    rows = np.asarray(pr["connections"], dtype=float).reshape(-1, 4)
    size = {end: int(np.prod(shapes[pr[end]][1:])) for end in ("pre", "post") if pr[end] in shapes}
    ch = {end: rows[:, i].astype(np.int64) // size[end] if end in size else np.zeros(len(rows), np.int64)
          for i, end in ((0, "pre"), (1, "post"))}
    out = []
    for cp, cq in sorted(set(zip(ch["pre"].tolist(), ch["post"].tolist()))):
        sel = (ch["pre"] == cp) & (ch["post"] == cq)
        part = rows[sel].copy()
        for i, end in ((0, "pre"), (1, "post")):
            if end in size:
                part[:, i] -= (cp if end == "pre" else cq) * size[end]
        out.append(dict(pr, name=f"{pr['name']}~{cp}~{cq}", connections=part if not isinstance(pr["connections"], list)
                        else part.tolist(), synapses=int(sel.sum()),
                        pre=channel(pr["pre"], cp) if "pre" in size else pr["pre"],
                        post=channel(pr["post"], cq) if "post" in size else pr["post"]))
    return out


class ChannelGroup:
    """The channel populations of one split population, read as the population (recordings).
    PyNN numbers the cells of populations made one after another consecutively, so the group's
    ids start at its first channel's."""

    def __init__(self, parts: list):
        self.parts, self.size = parts, sum(p.size for p in parts)
        self.first_id, self.label = parts[0].first_id, parts[0].label.split("~")[0]

    def get_data(self, variables, clear: bool = False):
        import neo
        block = neo.Block()
        seg = neo.Segment()
        block.segments.append(seg)
        offset, signals = 0, {}
        for p in self.parts:
            got = p.get_data(variables, clear=clear).segments[0]
            for st in got.spiketrains:
                st.annotations["source_index"] = int(st.annotations["source_index"]) + offset
                seg.spiketrains.append(st)
            for sig in got.analogsignals:
                idx = np.asarray(sig.array_annotations.get("channel_index", np.arange(sig.shape[1]))) + offset
                sig.array_annotations["channel_index"] = idx
                signals.setdefault(sig.name, []).append(sig)
            offset += p.size
        for parts in signals.values():       # one signal of every channel's neurons per variable, as a population gives
            first = parts[0]
            seg.analogsignals.append(first if len(parts) == 1 else neo.AnalogSignal(
                np.concatenate([np.asarray(s.magnitude) for s in parts], axis=1), units=first.units,
                t_start=first.t_start, sampling_period=first.sampling_period, name=first.name,
                array_annotations={"channel_index": np.concatenate([s.array_annotations["channel_index"]
                                                                    for s in parts])}))
        return block
