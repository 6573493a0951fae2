"""The array operations of spikemem.stdp_engine for torch: STDP itself is shared with numpy."""
from __future__ import annotations

import math

import numpy as np
import torch

from spikemem.stdp_engine import HistorySTDP, make_stdp as _make_stdp, see_post_spikes

__all__ = ["TorchOps", "HistorySTDP", "make_stdp", "see_post_spikes", "select"]


def select(mask, *arrays):
    """The entries of `arrays` where `mask` holds: one nonzero (one device sync) for all of them."""
    idx = mask.nonzero().squeeze(1)
    return tuple(a[idx] for a in arrays)


class TorchOps:
    inf = math.inf

    def __init__(self, device, dtype):
        self.device, self.dtype = device, dtype

    def array(self, a):
        return torch.as_tensor(np.asarray(a, dtype=np.float64), device=self.device).to(self.dtype)

    def zeros(self, shape):
        return torch.zeros(shape, dtype=self.dtype, device=self.device)

    def bools(self, shape):
        return torch.zeros(shape, dtype=torch.bool, device=self.device)

    def full(self, shape, value):
        return torch.full(shape, value, dtype=self.dtype, device=self.device)

    def ones_int(self, shape):
        return torch.ones(shape, dtype=torch.int64, device=self.device)

    def copy(self, a):
        return a.clone()

    def clip_(self, a, lo, hi):
        return a.clamp_(lo, hi)

    def where(self, cond, a, b):
        return torch.where(cond, a, b)

    def nan_to_num(self, a):
        return torch.nan_to_num(a)

    def floats(self, a):
        return a.to(self.dtype)

    select = staticmethod(select)

    def pairs(self, batch: int, n: int):
        idx = torch.arange(batch, device=self.device).repeat_interleave(n)
        return idx, torch.arange(n, device=self.device).repeat(batch)

    def numpy(self, a) -> np.ndarray:
        return a.cpu().double().numpy()


def make_stdp(block, batch: int, dt: float, device, dtype):
    return _make_stdp(block, batch, dt, TorchOps(device, dtype))
