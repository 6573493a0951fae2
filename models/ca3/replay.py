"""Re-run a recorded stimulus on any backend."""
from __future__ import annotations

from spikemem import get_backend

from .builder import build_cam
from .params import CA3Params
from .recording_file import Stimulus, recording_dict


def replay(stim: Stimulus, backend: str | None = None, params: CA3Params | None = None, **options) -> dict:
    """The recording (golden layout) that `backend` produces for `stim`."""
    params = params or CA3Params()
    net = build_cam(stim.C, stim.N, params)   # the stimulus times must lie on the network's dt grid
    be = get_backend(backend, **options)
    result = be.run(net, stim.sim_time_ms, inputs=stim.inputs())
    return recording_dict(stim, result, backend=be.name)
