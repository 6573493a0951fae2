"""Re-run a recorded stimulus on any backend."""
from __future__ import annotations

from dataclasses import replace as with_fields

from spikemem import get_backend
from spikemem.harness.variants import naming_the_portable_variant

from .builder import build_cam
from .params import CA3Params
from .recording_file import Stimulus, recording_dict


def replay(stim: Stimulus, backend: str | None = None, params: CA3Params | None = None, variant: str = "faithful",
           **options) -> dict:
    """The recording (golden layout) that `backend` produces for `stim`. Without `params` the
    model runs at the recording's timestep; with them at theirs (the stimulus must lie on it).
    `variant` names the params' variant in a refusal."""
    params = params or with_fields(CA3Params(), dt=stim.dt)
    net = build_cam(stim.C, stim.N, params)
    be = get_backend(backend, **options)
    with naming_the_portable_variant(be, net, variant, "CA3 memory"):
        result = be.run(net, stim.sim_time_ms, inputs=stim.inputs())
    return recording_dict(stim, result, backend=be.name)
