"""The batched torch engine: the reference engine's step, in torch, on CPU or CUDA.

Same state layout and per-step order as the numpy reference (neuron update, source spikes,
STDP post events seen after the dendritic delay, plastic pre events with depression then
transmission, static delivery into a ring buffer), so float64 reproduces its spikes exactly.
Synapse delivery is event-driven: a step costs a few kernels plus work per spike, which is
what keeps large batches fast on a GPU. The membrane update is a pluggable `neurons` object
so that other torch libraries' cells (snnTorch, Norse) can drive the same network machinery.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import torch

from spikemem.flat import FlatNetwork
from spikemem.spike_log import merge_sources

from .stdp import HistorySTDP, make_stdp, see_post_spikes, select


class ReferenceNeurons:
    """IF_curr_exp exactly as the reference engine updates it (both schemes, same rounding)."""

    def __init__(self, engine):
        c = engine.c
        self.n, self.scheme = c.n_if, c.scheme
        p = c.params
        self.offset = engine.const(p["i_offset"] * p["R"] + p["v_rest"])
        self.leak_offset = engine.const(p["i_offset"] * p["R"] * (1.0 - p["alpha"]))

    def membrane(self, e, arrived):
        """Candidate V of every neuron after this step; updates the currents e.I in place."""
        p, n, I = e.p, self.n, e.I
        if self.scheme == "spinnaker":
            arrived *= p["init"]
            I += arrived
            a = I[:, :n] - I[:, n:]
            a *= p["R"]
            a += self.offset                       # a = v_rest + (I_E - I_I + i_offset) R
            b = a - e.V
            b *= p["alpha"]
            Vn = a - b                             # V = a - exp(-dt/tau_m) (a - V)
            I *= p["decay"]
        else:
            Vn = e.V - p["v_rest"]
            Vn *= p["alpha"]
            Vn += p["v_rest"]
            a = I[:, :n] * p["p21"][:n]
            a -= I[:, n:] * p["p21"][n:]
            a += self.leak_offset
            Vn += a
            I *= p["decay"]
            I += arrived
        return Vn


class Engine:
    def __init__(self, c: FlatNetwork, batch: int, device, dtype, neurons=None):
        self.c, self.B, self.device, self.dtype = c, batch, torch.device(device), dtype
        n = c.n_if
        self.p = {k: self.const(v) for k, v in c.params.items() if k != "refrac"}
        self.refrac_len = torch.as_tensor(c.params["refrac"], dtype=torch.int64, device=self.device)
        self.max_ref = int(c.params["refrac"].max()) if n else 0
        self.uniform_ref = n == 0 or bool(np.all(c.params["refrac"] == self.max_ref))
        keep = max([self.max_ref] + [b.dendritic + 1 for b in c.plastic])
        self.recent = deque(maxlen=max(keep, 1))     # (step, trials, neurons) of recent IF spikes
        self.V = self.p["v_start"].unsqueeze(0).repeat(batch, 1)
        self.I = torch.zeros(batch, 2 * n, dtype=dtype, device=self.device)
        self.ring = torch.zeros(c.ring_len, batch, 2 * n, dtype=dtype, device=self.device)
        self.ring_flat = self.ring.view(-1)
        self.spk = torch.zeros(batch, c.n_all, dtype=torch.bool, device=self.device)
        indptr, col, w, d = c.csr
        self.csr = (torch.as_tensor(indptr, device=self.device), torch.as_tensor(col, device=self.device),
                    self.const(w), torch.as_tensor(d, device=self.device))
        self.plastic = [make_stdp(b, batch, c.dt, self.device, dtype) for b in c.plastic]
        self.keep_recent = bool(self.max_ref or self.plastic)
        self.neurons = (neurons or ReferenceNeurons)(self)

    def const(self, arr) -> torch.Tensor:
        return torch.as_tensor(np.asarray(arr, dtype=np.float64), device=self.device).to(self.dtype)

    # -- one step -------------------------------------------------------------------------
    def neuron_step(self, arrived, t: int):
        n, v_reset = self.c.n_if, self.p["v_reset"]
        V = self.V = self.neurons.membrane(self, arrived)
        # Refractory neurons keep V = v_reset: they fired at most max_ref steps ago (sparse, as the reference).
        for s, fb, fi in self.recent:
            if t - s > self.max_ref:
                continue
            if not self.uniform_ref:
                k = self.refrac_len[fi] >= t - s
                fb, fi = fb[k], fi[k]
            V[fb, fi] = v_reset[fi]
        fired = V >= self.p["v_thresh"]
        self.spk[:, :n] = fired
        self.V = torch.where(fired, v_reset, V)

    def deliver_static(self, bs, ns, t):
        indptr, col, w, d = self.csr
        start = indptr[ns]
        lens = indptr[ns + 1] - start
        total = int(lens.sum())
        if not total:
            return
        pos = torch.repeat_interleave(start - torch.cumsum(lens, 0) + lens, lens, output_size=total)
        pos += torch.arange(total, device=self.device)
        slot = (t + d[pos]) % self.c.ring_len
        flat = (slot * self.B + torch.repeat_interleave(bs, lens, output_size=total)) * (2 * self.c.n_if) + col[pos]
        self.ring_flat.index_add_(0, flat, w[pos])

    def deliver_plastic(self, stdp, bs, ns, t, open_):
        b = stdp.block
        bs, is_ = select((ns >= b.pre_off) & (ns < b.pre_off + b.n_pre), bs, ns)
        is_ = is_ - b.pre_off
        if not len(bs):
            return
        rows = stdp.pre(bs, is_, t, open_)
        total = torch.zeros(self.B, b.n_post, dtype=self.dtype, device=self.device)
        total.index_add_(0, bs, rows)          # per-trial sums first, in spike order, as the reference
        self.ring[(t + b.delay) % self.c.ring_len, :, b.col_off:b.col_off + b.n_post] += total

    def gates(self) -> dict:
        """For each gated plastic block, the (batch,) bool of trials whose gate spikes now."""
        return {id(s): self.spk[:, s.block.gate].clone() for s in self.plastic if getattr(s.block, "gate", None) is not None}

    # -- the run --------------------------------------------------------------------------
    def run(self, steps: int, source_events: dict, record_v) -> tuple:
        c, n = self.c, self.c.n_if
        trial, step, neuron = merge_sources(c, source_events)
        bounds = np.searchsorted(step, np.arange(steps + 1))
        trial = torch.as_tensor(trial, device=self.device)
        neuron = torch.as_tensor(neuron, device=self.device)
        v_idx = torch.as_tensor(np.concatenate([np.arange(c.offsets[p], c.offsets[p] + c.sizes[p]) for p in record_v]),
                                device=self.device) if record_v else None
        log, vs = [], []
        with torch.inference_mode():
            for t in range(steps):
                arrived = self.ring[t % c.ring_len]
                self.neuron_step(arrived, t)
                arrived.zero_()
                self.spk[:, n:] = False
                lo, hi = bounds[t], bounds[t + 1]
                if hi > lo:
                    self.spk[trial[lo:hi], neuron[lo:hi]] = True
                bs, ns = self.spk.nonzero(as_tuple=True)      # every spike of this step, one sync
                if self.keep_recent:
                    self.recent.append((t, *select(ns < n, bs, ns)))
                if self.plastic:
                    gates = self.gates()
                    see_post_spikes(self.plastic, self.recent, t, gates)
                    for s in self.plastic:
                        self.deliver_plastic(s, bs, ns, t, gates.get(id(s)))
                if v_idx is not None:
                    vs.append(self.V[:, v_idx].clone())
                if len(bs):
                    log.append((bs, torch.full_like(bs, t), ns))
                    self.deliver_static(bs, ns, t)
            for s in self.plastic:
                if isinstance(s, HistorySTDP):
                    s.flush(steps)
            z = np.zeros(0, dtype=np.int64)
            spikes = tuple(torch.cat(x).cpu().numpy() for x in zip(*log)) if log else (z, z, z)
            v = torch.stack(vs, 1).cpu().double().numpy() if vs else None
        return spikes, v
