"""pyNN.spiNNaker set up on a (virtual) board inside a run folder, for the mapping report and the
weight read-back: the folder's config is the only one sPyNNaker sees, its output goes to the
folder's log, and sim.end() and the exit-message drain run however the body ends."""
from __future__ import annotations

import contextlib

from spikemem.backends.pynn.run_folder import RunFolder
from spikemem.backends.pynn.simulator_output import captured
from spikemem.backends.pynn.spinnaker_config import drain_exit_messages
from spikemem.optional import require


@contextlib.contextmanager
def spinnaker_in(folder: RunFolder, dt: float):
    """pyNN.spiNNaker after sim.setup(timestep=dt), while `folder` is active."""
    try:
        with captured(folder.log), folder.active():
            sim = require("pyNN.spiNNaker", "spinnaker")
            sim.setup(timestep=dt)
            try:
                yield sim
            finally:
                sim.end()
    finally:
        drain_exit_messages()
