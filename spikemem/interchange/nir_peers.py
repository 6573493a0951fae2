"""Run a NIR graph, or a model, in the peer library (Norse, snnTorch) on spikemem's inputs, and
line its spikes up with a spikemem Result: the checks behind the spike-agreement tests and
`benchmarks/nir_matrix.py`. Imports torch and the peer only when called.

Time: a peer runs one hop per step in no time; spikemem takes a step per hop, so population p
of spikemem runs `shift[p]` steps behind the peer (docs/nir.md, "Time"). The peer's input at
step t is spikemem's source spikes at step t + shift[source].

dtype: everything runs in float64. Norse's from_nir casts numpy arrays to float32, so the
graph's arrays are handed over as float64 tensors; snnTorch's surrogate spikes are float32
0/1 values, which are cast (exactly) to the dtype of the Linear layers they enter.
"""
from __future__ import annotations

import numpy as np


def as_tensors(graph):
    """The graph with its float arrays as float64 torch tensors (kept by norse.torch.from_nir)."""
    import torch
    for node in graph.nodes.values():
        for f, v in list(vars(node).items()):
            if isinstance(v, np.ndarray) and v.dtype.kind == "f" and f not in ("input_type", "output_type"):
                setattr(node, f, torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64)))
    return graph


def cast_linear_inputs(module):
    """Spikes enter Linear layers in the layers' dtype (snnTorch emits float32 spikes)."""
    import torch
    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            m.register_forward_pre_hook(lambda mod, args: (args[0].to(mod.weight.dtype),))
    return module


def load(graph, target: str, dt_ms: float = 1.0):
    """The peer's module for `graph`, loaded by the peer's own importer, in float64."""
    import torch
    if target == "norse":
        import norse.torch as nt
        return nt.from_nir(as_tensors(graph), dt=dt_ms * 1e-3).double()
    from snntorch.import_nir import import_from_nir
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return cast_linear_inputs(import_from_nir(graph))
    finally:
        torch.set_default_dtype(previous)


def run(module, kind: str, x, layers: dict) -> dict:
    """Step `module` over x (T, batch, n_in) and return {name: (batch, T, n) bool spikes} of the
    submodules layers[name] (their first output). kind: 'norse' (state threaded through each
    call), 'snntorch' (hidden state inside the modules, reset first)."""
    import torch
    outs = {name: [] for name in layers}
    subs = dict(module.named_modules())
    hooks = [subs[sub].register_forward_hook(
        lambda m, i, o, name=name: outs[name].append((o[0] if isinstance(o, tuple) else o).detach().clone()))
        for name, sub in layers.items()]
    try:
        with torch.no_grad():
            if kind == "snntorch":
                import snntorch.utils
                snntorch.utils.reset(module)
            state = None
            for t in range(x.shape[0]):
                if kind == "norse":
                    _, state = module(x[t], state)
                else:
                    module(x[t])
    finally:
        for h in hooks:
            h.remove()
    return {name: torch.stack(v).numpy().astype(bool).transpose(1, 0, 2) for name, v in outs.items()}


def inputs(spikes, source: str, dt_ms: float, shift: int = 0) -> dict:
    """spikemem inputs for a (batch, T, n) bool array fed to a peer at steps t: spikes at
    spikemem step t + shift (those before step 0 cannot be given and are refused)."""
    spikes = np.asarray(spikes, dtype=bool)
    if shift < 0 and spikes[:, :-shift].any():
        raise ValueError(f"peer input in its first {-shift} steps has no spikemem step")
    return {source: [[((np.flatnonzero(spikes[b, :, j]) + shift) * dt_ms).round(9).tolist()
                      for j in range(spikes.shape[2])] for b in range(spikes.shape[0])]}


def peer_input(spikes, shift: int, steps: int):
    """The (T, batch, n) float64 tensor a peer gets for spikemem source spikes (batch, T', n)
    when spikemem runs `shift` steps ahead of it: peer step t = spikemem step t + shift."""
    import torch
    spikes = np.asarray(spikes, dtype=bool)
    x = np.zeros((steps, spikes.shape[0], spikes.shape[2]))
    lo, hi = max(0, -shift), min(steps, spikes.shape[1] - shift)     # peer steps with a spikemem step
    if lo < hi:
        x[lo:hi] = spikes[:, lo + shift:hi + shift, :].transpose(1, 0, 2)
    return torch.from_numpy(x)


def disagreement(result, population: str, peer_spikes, shift: int) -> tuple:
    """(differing (trial, step, neuron) entries, spikemem spikes, peer spikes) over the steps both
    cover, spikemem's population read `shift` steps later than the peer's."""
    mine = result.spike_matrix(population)[:, shift:]
    n = min(mine.shape[1], peer_spikes.shape[1])
    a, b = mine[:, :n], peer_spikes[:, :n]
    return int((a != b).sum()), int(a.sum()), int(b.sum())
