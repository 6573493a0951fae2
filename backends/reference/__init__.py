"""The reference backend: numpy only, both update schemes, batched trials."""
from __future__ import annotations

from spikemem import _check
from spikemem.errors import ValidationError
from spikemem.flat import flatten
from spikemem.spike_log import assemble_result
from spikemem.spiketrains import resolve_inputs

from .engine import Engine


class ReferenceBackend:
    name = "reference"
    unsupported = frozenset()

    def __init__(self, **options):
        if options:
            raise ValidationError("backend option", sorted(options), "the reference backend takes no options")

    def run(self, network, duration_ms: float, inputs=None, batch: int | None = None):
        """Simulate `duration_ms`; inputs give each trial's source spikes (see resolve_inputs)."""
        steps = _check.steps("duration_ms", _check.non_negative("duration_ms", duration_ms), network.simulation.dt)
        batch, events = resolve_inputs(network, inputs, batch)
        c = flatten(network)
        engine = Engine(c, batch)
        log, v = engine.run(steps, events, network.recording.v)
        rec = network.recording
        rec = type(rec)(spikes=network.recorded_spikes, v=rec.v, weights=rec.weights)
        return assemble_result(c, batch, steps, log, v, engine.plastic, rec, self.name)


__all__ = ["ReferenceBackend"]
