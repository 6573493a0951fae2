"""The reference backend: the shared array engine on numpy, both update schemes, batched trials."""
from __future__ import annotations

from spikemem.engine.array_engine import run_engine
from spikemem.engine.session import EngineSession
from spikemem.errors import ValidationError
from spikemem.optional import Extra


class ReferenceBackend(Extra):
    """numpy only: always available."""

    name = "reference"
    # layers in fixed point: sPyNNaker's local-only synapses are not modelled (docs/connectivity.md)
    unsupported = frozenset({"connector.convolution.fixed"})

    def __init__(self, **options):
        if options:
            raise ValidationError("backend option", sorted(options), "the reference backend takes no options")

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None):
        """Simulate `duration_ms`; inputs give each trial's source spikes (see resolve_inputs)."""
        return run_engine(network, duration_ms, inputs, batch, self.name)

    def session(self, network, batch: int = 1) -> EngineSession:
        """A live session: run(until_ms, inputs) window by window, spikes as one long run."""
        return EngineSession(network, batch, label=self.name)


__all__ = ["ReferenceBackend"]
