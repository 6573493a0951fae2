"""`spikemem spinnaker export`: the CA3 memory (or any network) as a standalone sPyNNaker script.

The script is written from the lowered network by spikemem.backends.pynn.export (the same
writer as `spikemem export pynn --simulator spinnaker`); here the memory and its stimulus
come from the command line.
"""
from __future__ import annotations

from spikemem.backends.pynn.export import export_script


def export(network, out_dir, duration_ms: float, inputs=None, trial: int = 0) -> list:
    """Write run_spinnaker.py and spynnaker.cfg.example; the paths."""
    return export_script(network, out_dir, "spinnaker", duration_ms, inputs, trial)
