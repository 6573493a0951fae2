"""The array operations of the shared engine for torch, on CPU or CUDA (see spikemem.engine.numpy_ops).

Imported only by the torch-based backends: importing spikemem never imports torch.
Where numpy's way would add host-device round trips, these take a step's spikes with one
nonzero and sum plastic rows per trial with index_add_ (numpy: add.at; both add row after row).
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch

from ..description import validation
from ..errors import ValidationError
from .numpy_ops import ElementwiseOps

DTYPES = ("float32", "float64")


def resolve_device(device) -> torch.device:
    """A torch.device for 'cpu' | 'cuda' | 'cuda:N'; CUDA that is not there is a ValidationError."""
    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise ValidationError("device", device, "must be 'cpu', 'cuda' or 'cuda:N'")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValidationError("device", device, "CUDA is not available here (torch.cuda.is_available() is False)")
        idx = int(device.split(":")[1]) if ":" in device else 0
        if idx >= torch.cuda.device_count():
            raise ValidationError("device", device, f"only {torch.cuda.device_count()} CUDA device(s) present")
    return torch.device(device)


def resolve_dtype(dtype) -> torch.dtype:
    return getattr(torch, validation.choice("dtype", dtype, DTYPES))


def select(mask, *arrays):
    """The entries of `arrays` where `mask` holds: one nonzero (one device sync) for all of them."""
    idx = mask.nonzero().squeeze(1)
    return tuple(a[idx] for a in arrays)


class TorchOps(ElementwiseOps):
    """device: 'cpu' | 'cuda' | 'cuda:N'; dtype: 'float32' | 'float64' (checked here, so a backend
    that builds its ops on construction refuses bad options before any run)."""

    inf = math.inf
    xp = torch

    def __init__(self, device: str = "cpu", dtype: str = "float32"):
        self.device, self.dtype = resolve_device(device), resolve_dtype(dtype)

    # -- allocation and conversion ----------------------------------------------------------
    def array(self, a):
        return torch.as_tensor(np.asarray(a, dtype=np.float64), device=self.device).to(self.dtype)

    def index(self, a):
        return torch.as_tensor(np.asarray(a, dtype=np.int64), device=self.device)

    def zeros(self, shape):
        return torch.zeros(shape, dtype=self.dtype, device=self.device)

    def bools(self, shape):
        return torch.zeros(shape, dtype=torch.bool, device=self.device)

    def full(self, shape, value):
        return torch.full(shape, value, dtype=self.dtype, device=self.device)

    def ones_int(self, shape):
        return torch.ones(shape, dtype=torch.int64, device=self.device)

    def ints(self, a):
        return torch.as_tensor(np.asarray(a, dtype=np.int64), device=self.device).clone()

    def zeros_int(self, shape):
        return torch.zeros(shape, dtype=torch.int64, device=self.device)

    def copy(self, a):
        return a.clone()

    def whole(self, a):
        return a.to(torch.int64)

    def floats(self, a):
        return a.to(self.dtype)

    def numpy(self, a) -> np.ndarray:
        return a.cpu().double().numpy()

    def host(self, a) -> np.ndarray:
        return a.detach().cpu().numpy().copy()

    def row_max(self, a) -> np.ndarray:
        return a.amax(dim=1).detach().cpu().numpy() if a.shape[1] else np.full(a.shape[0], -np.inf)

    def int_numpy(self, a) -> np.ndarray:
        return a.cpu().numpy()

    def compact(self, idx):
        return idx

    def cat(self, arrays):
        return torch.cat(arrays)

    def stack(self, arrays, axis):
        return torch.stack(arrays, axis)

    def pairs(self, batch: int, n: int):
        idx = torch.arange(batch, device=self.device).repeat_interleave(n)
        return idx, torch.arange(n, device=self.device).repeat(batch)

    def no_grad(self):
        return torch.inference_mode()

    # -- element-wise (the rest: ElementwiseOps) -----------------------------------------------
    def clip_(self, a, lo, hi):
        return a.clamp_(lo, hi)

    def at_most_(self, a, hi: float):
        return a.clamp_(max=hi)

    # -- spikes and synapses ---------------------------------------------------------------
    select = staticmethod(select)

    def step_spikes(self, fired, src_trials, src_neurons):
        fb, fi = fired.nonzero(as_tuple=True)                 # the step's one sync
        if not len(src_trials):
            return fb, fi, fb, fi
        return torch.cat([fb, src_trials]), torch.cat([fi, src_neurons]), fb, fi

    def repeat(self, a, counts, total: int):
        return torch.repeat_interleave(a, counts, output_size=total)

    def arange(self, n: int):
        return torch.arange(n, device=self.device)

    def cumsum(self, a):
        return torch.cumsum(a, 0)

    def scatter_add(self, target, idx, values):
        target.index_add_(0, idx, values)

    def counts(self, idx, n: int):
        # index_add_, not bincount: bincount sizes its output from the data, a host sync on CUDA
        out = torch.zeros(n, dtype=self.dtype, device=self.device)
        return out.index_add_(0, idx, torch.ones(idx.shape, dtype=self.dtype, device=self.device))

    def add_scaled(self, target, values, w: float):
        target.add_(values * w)      # one rounding of values * w as numpy has it (no fused alpha)

    def cast_like(self, a, like):
        return torch.as_tensor(np.asarray(a), device=like.device).to(like.dtype)

    def trial_sums(self, rows, trials, batch: int):
        total = torch.zeros(batch, rows.shape[1], dtype=rows.dtype, device=self.device)
        total.index_add_(0, trials, rows)
        return slice(None), total
