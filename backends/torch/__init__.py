"""The torch backend: the reference semantics batched over trials on CPU or CUDA.

Options: device ('cpu', 'cuda' or 'cuda:N'; default 'cpu') and dtype ('float32', the
default, or 'float64', which reproduces the reference spike for spike). `neurons` plugs
another library's cell into the membrane update and `label` names the results (both used by
the snnTorch and Norse backends, which reach this one through the registry).
"""
from __future__ import annotations

import re

from spikemem import _check
from spikemem.errors import ValidationError
from spikemem.flat import flatten
from spikemem.spiketrains import resolve_inputs

DTYPES = ("float32", "float64")


def require(module: str, extra: str):
    """Import an optional dependency or say which extra installs it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"this backend needs {module}: pip install 'spikemem[{extra}]' ({e})") from e


def resolve_device(device):
    """A torch.device for 'cpu' | 'cuda' | 'cuda:N'; CUDA that is not there is a ValidationError."""
    torch = require("torch", "torch")
    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise ValidationError("device", device, "must be 'cpu', 'cuda' or 'cuda:N'")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValidationError("device", device, "CUDA is not available here (torch.cuda.is_available() is False)")
        idx = int(device.split(":")[1]) if ":" in device else 0
        if idx >= torch.cuda.device_count():
            raise ValidationError("device", device, f"only {torch.cuda.device_count()} CUDA device(s) present")
    return torch.device(device)


def resolve_dtype(dtype):
    import torch
    if dtype not in DTYPES:
        raise ValidationError("dtype", dtype, f"must be one of {DTYPES}")
    return getattr(torch, dtype)


class TorchBackend:
    name = "torch"
    unsupported = frozenset()

    def __init__(self, device: str = "cpu", dtype: str = "float32", neurons=None, label: str | None = None,
                 **unknown):
        if unknown:
            raise ValidationError("backend option", sorted(unknown), "the torch backend takes device and dtype")
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype)
        self.neurons = neurons
        if label:
            self.name = label

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None):
        """Simulate `duration_ms`; inputs give each trial's source spikes (see resolve_inputs)."""
        from spikemem.spike_log import assemble_result

        from .engine import Engine
        steps = _check.steps("duration_ms", _check.non_negative("duration_ms", duration_ms), network.simulation.dt)
        batch, events = resolve_inputs(network, inputs, batch)
        c = flatten(network)
        engine = Engine(c, batch, self.device, self.dtype, self.neurons)
        log, v = engine.run(steps, events, network.recording.v)
        rec = network.recording
        rec = type(rec)(spikes=network.recorded_spikes, v=rec.v, weights=rec.weights)
        return assemble_result(c, batch, steps, log, v, engine.plastic, rec, self.name)


__all__ = ["TorchBackend", "resolve_device", "resolve_dtype"]
