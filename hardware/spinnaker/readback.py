"""Read back, from sPyNNaker itself, the numbers it gives a network's weights on a (virtual) board.

After mapping, each population vertex answers get_ring_buffer_shifts() and get_weight_scales();
connection holders requested before the run are filled during data generation with the
weights as sPyNNaker encoded them in the synaptic rows (16-bit integers, divided back by the
weight scale, which holds the global weight scale of conductance cells), in sPyNNaker's units
(IF_curr_alpha: the lowering's charge, e tau_syn times the description's weight). This is the
reference the fixed-point engine is checked against.
"""
from __future__ import annotations

import numpy as np

from spikemem.backends.pynn import instantiate
from spikemem.backends.pynn.lowering import lower
from spikemem.backends.pynn.run_folder import RunFolder
from spikemem.backends.pynn.simulators import SPINNAKER

from .virtual_board import spinnaker_in


def board_weights(network, run_folder: RunFolder | None = None, version: int = 5) -> dict:
    """{"populations": {name: {"ring_buffer_shifts": [exc, inh], "weight_scales": [exc, inh]}},
        "projections": {name: (pre, post, weight nA) arrays sorted by pre, post, weight}}."""
    folder = run_folder or RunFolder.create(virtual=True, version=version)
    plain = lower(network, SPINNAKER)
    with spinnaker_in(folder, plain["dt"]) as sim:
        pops, projs = instantiate.build(sim, plain, {})
        lists = {p["name"] for p in plain["projections"] if p.get("connector", "from_list") == "from_list"}
        holders = {name: pr.get(["weight"], format="list") for name, pr in projs.items() if name in lists}
        sim.run(plain["dt"])
        out = {"populations": {}, "projections": {}}
        for p in plain["populations"]:
            if p["kind"] == "SpikeSourceArray":
                continue
            vertex = pops[p["name"]]._vertex
            shifts = [int(s) for s in vertex.get_ring_buffer_shifts()]
            out["populations"][p["name"]] = {"ring_buffer_shifts": shifts,
                                             "weight_scales": [float(x) for x in vertex.get_weight_scales(shifts)]}
        for name, h in holders.items():
            rows = np.array([(float(c[0]), float(c[1]), float(c[2])) for c in h], dtype=float).reshape(-1, 3)
            out["projections"][name] = rows[np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))]
    return out
