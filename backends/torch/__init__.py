"""The torch backend: the shared array engine (the reference semantics) on torch, batched
over trials on CPU or CUDA.

Options: device ('cpu', 'cuda' or 'cuda:N'; default 'cpu') and dtype ('float32', the
default, or 'float64', which reproduces the reference spike for spike).
"""
from __future__ import annotations

from spikemem.engine.array_engine import run_engine
from spikemem.engine.session import EngineSession
from spikemem.errors import ValidationError
from spikemem.optional import Extra


class TorchBackend(Extra):
    name = "torch"
    requires, extra = ("torch",), "torch"
    unsupported = frozenset({"connector.convolution.fixed"})     # as the reference backend

    def __init__(self, device: str = "cpu", dtype: str = "float32", **unknown):
        if unknown:
            raise ValidationError("backend option", sorted(unknown), "the torch backend takes device and dtype")
        self.require_all()
        from spikemem.engine.torch_ops import TorchOps
        self.ops = TorchOps(device, dtype)

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None):
        """Simulate `duration_ms`; inputs give each trial's source spikes (see resolve_inputs)."""
        return run_engine(network, duration_ms, inputs, batch, self.name, self.ops)

    def session(self, network, batch: int = 1) -> EngineSession:
        """A live session: run(until_ms, inputs) window by window, spikes as one long run."""
        return EngineSession(network, batch, label=self.name, ops=self.ops)


__all__ = ["TorchBackend"]
