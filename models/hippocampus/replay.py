"""Re-run a recorded hippocampus stimulus on any backend (spec A.10)."""
from __future__ import annotations

from dataclasses import replace

from spikemem import get_backend

from .hippocampus_net import build_hippocampus
from .params import HippocampusParams
from .recording_file import Stimulus, recording_dict


def replay(stim: Stimulus, backend: str | None = None, params: HippocampusParams | None = None, **options) -> dict:
    """The recording (shared JSON layout) that `backend` produces for `stim`. Without `params`
    the model runs at the recording's timestep; with them at theirs (the stimulus must lie on it)."""
    params = params or replace(HippocampusParams(), dt=stim.dt)
    net = build_hippocampus(stim.C, stim.N, params)
    be = get_backend(backend, **options)
    result = be.run(net, stim.sim_time_ms, inputs=stim.inputs())
    return recording_dict(stim, result, backend=be.name)

