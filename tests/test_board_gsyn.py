"""gsyn_exc of numerics='fixed' against a SpiNNaker board: sPyNNaker's synfire integration tests
(spynnaker_integration_tests/test_param_vertex, SynfireRunner) recorded gsyn_exc of a ring of 20
IF_curr_exp neurons on a board (../shared/spynnaker_board, PROVENANCE.md). The fixed-point run of
the same network must give those values within the tolerance sPyNNaker's own tests apply to them
(numpy.allclose, rtol=1e-4)."""
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from spikemem import (FromListConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation,
                      SpikeSourceArray, get_backend)

SHARED = Path(os.environ.get("SPIKEMEM_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
BOARD = SHARED / "spynnaker_board"
# SynfireRunner's CELL_PARAMS_LIF, weight_to_spike and run times of the three recordings
CELL = IFCurrExp(cm=0.25, i_offset=0.0, tau_m=20.0, tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0, v_reset=-70.0,
                 v_rest=-65.0, v_thresh=-50.0)
RUNS = {1: 100, 7: 200, 17: 500}


def synfire(n: int, delay: float) -> Network:
    """A chain i -> i + 1 (wrapping) of weight 2 nA and the given delay, started by one source
    spike at 0 ms into neuron 0 (weight 2, delay 1)."""
    loop = tuple((i, (i + 1) % n) for i in range(n))
    return Network([Population("pop_1", n, CELL), Population("inputSSA_1", 1, SpikeSourceArray(((0.0,),)))],
                   [Projection("loop", "pop_1", "pop_1", FromListConnector(loop), 2.0, delay),
                    Projection("input", "inputSSA_1", "pop_1", FromListConnector(((0, 0),)), 2.0, 1.0)],
                   Simulation(1.0, "spinnaker", "fixed"), Recording(spikes=("pop_1",), gsyn_exc=("pop_1",)))


@pytest.mark.parametrize("delay", sorted(RUNS))
def test_synfire_gsyn_exc_is_the_boards(delay):
    path = BOARD / f"20_{delay}_gsyn.csv"
    if not path.exists():
        pytest.skip(f"the board recordings are not here: {BOARD} (set SPIKEMEM_SHARED)")
    board = np.loadtxt(path, delimiter=",")                        # rows: neuron, t ms, gsyn_exc nA
    res = get_backend("reference").run(synfire(20, float(delay)), float(RUNS[delay]))
    g = res.gsyn_exc["pop_1"][0]                                    # (steps, neurons)
    ours = np.column_stack([np.repeat(np.arange(20), RUNS[delay]), np.tile(np.arange(RUNS[delay]), 20),
                            g.T.ravel()])
    assert board.shape == ours.shape
    np.testing.assert_array_equal(board[:, :2], ours[:, :2])
    assert np.allclose(board, ours, rtol=1e-4), np.abs(board[:, 2] - ours[:, 2]).max()
    assert (board[:, 2] > 0).sum() > 10 * 20                       # every neuron received input
    # the tolerance tells the numerics apart: float's exponentials miss the board's small currents
    flt = get_backend("reference").run(replace(synfire(20, float(delay)), simulation=Simulation(1.0, "spinnaker")),
                                       float(RUNS[delay]))
    assert not np.allclose(board[:, 2], flt.gsyn_exc["pop_1"][0].T.ravel(), rtol=1e-4)
