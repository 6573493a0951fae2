"""What SpiNNaker boards recorded for sPyNNaker's own tests, run in fixed point (issue 20).

The recordings are sPyNNaker's (Apache-2.0; provenance in shared/spynnaker_board/PROVENANCE.md)
and stay in the shared folder beside the project (or $SPIKEMEM_SHARED): they are read from
there and the tests skip, naming the folder, where it is absent. The networks are rebuilt from
the scripts that made them (sPyNNaker's SynfireRunner and unittests/test_pop_views_assembly/
make_test_data.py) in spikemem's description. Spikes must be the board's exactly; V is compared
as sPyNNaker's integration tests compare it, numpy.allclose(board, run, rtol=1e-3).

A board records V before a step's update, spikemem after it (docs/fixed_point.md, "Known
differences from a board"): the board's V at t is spikemem's at t - 1, and v_init at 0.
gsyn_exc (also recorded in the synfire files) is not compared yet: spikemem does not record
synaptic currents.
"""
import os
from pathlib import Path

import numpy as np
import pytest

from spikemem import (FromListConnector, IFCurrExp, Network, OneToOneConnector, Population, Projection,
                      Recording, Simulation, SpikeSourceArray, get_backend)

RTOL = 1e-3          # sPyNNaker's test_synfire_20n_20pc_*: numpy.allclose(read_v, v, rtol=1e-03)
ENGINES = {"reference": {}, "torch": {"dtype": "float64"}}
# fixed point on both engines, and float, which gives the board's spikes on these runs too
CONFIGS = [("reference", "fixed"), ("torch", "fixed"), ("reference", "float")]


def board_folder() -> Path:
    shared = os.environ.get("SPIKEMEM_SHARED") or Path(__file__).resolve().parents[1].parent / "shared"
    folder = Path(shared) / "spynnaker_board"
    if not folder.is_dir():
        pytest.skip(f"sPyNNaker's board recordings are not here: {folder} is absent "
                    "(set SPIKEMEM_SHARED to the shared folder)")
    return folder


def engine(name):
    if name == "torch":
        pytest.importorskip("torch")
    return get_backend(name, **ENGINES[name])


def board_spikes(path) -> list:
    """[(neuron, step)] of a spikes.csv (rows: neuron, t ms)."""
    rows = np.loadtxt(path, delimiter=",", ndmin=2)
    return sorted((int(n), int(t)) for n, t in rows)


def our_spikes(res, pop) -> list:
    return sorted((n, int(t)) for t, n in res.spike_list(pop))


def board_aligned_v(res, pop, v_init) -> np.ndarray:
    """(neurons, steps) V as a board records it: v_init, then V after each step but the last."""
    v = res.v[pop][0].T
    return np.concatenate([np.full((v.shape[0], 1), v_init), v[:, :-1]], axis=1)


# -- synfire chains: 20 neurons, a loop of 2 nA synapses with delay 1, 7 or 17 ms -----------------------
SYNFIRE_CELL = IFCurrExp(cm=0.25, tau_m=20.0, tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0, v_reset=-70.0,
                         v_rest=-65.0, v_thresh=-50.0)


def synfire(delay: float, numerics: str = "fixed") -> Network:
    """SynfireRunner.do_run(20, delay=...): neuron i excites (i + 1) mod 20 with 2 nA after
    `delay`; one source spike at 0 ms starts neuron 0 (2 nA, 1 ms)."""
    n = 20
    return Network([Population("pop_1", n, SYNFIRE_CELL), Population("inputSSA_1", 1, SpikeSourceArray(((0.0,),)))],
                   [Projection("loop", "pop_1", "pop_1", FromListConnector(tuple((i, (i + 1) % n) for i in range(n))),
                               2.0, delay),
                    Projection("injection", "inputSSA_1", "pop_1", FromListConnector(((0, 0),)), 2.0, 1.0)],
                   Simulation(dt=1.0, scheme="spinnaker", numerics=numerics),
                   Recording(spikes=("pop_1",), v=("pop_1",)))


@pytest.mark.parametrize("delay, runtime, n_spikes", [(1, 100, 33), (7, 200, 22), (17, 500, 27)])
@pytest.mark.parametrize("backend, numerics", CONFIGS)
def test_synfire_chains_give_the_boards_spikes_and_v(delay, runtime, n_spikes, backend, numerics):
    folder = board_folder()
    res = engine(backend).run(synfire(float(delay), numerics), float(runtime))
    want = board_spikes(folder / f"20_{delay}_spikes.csv")
    assert len(want) == n_spikes                        # the count sPyNNaker's test expects
    assert our_spikes(res, "pop_1") == want
    rows = np.loadtxt(folder / f"20_{delay}_v.csv", delimiter=",")        # neuron, t ms, V
    board = np.full((20, runtime), np.nan)
    board[rows[:, 0].astype(int), rows[:, 1].astype(int)] = rows[:, 2]
    ours = board_aligned_v(res, "pop_1", SYNFIRE_CELL.v_start)
    np.testing.assert_allclose(board, ours, rtol=RTOL, atol=1e-8)


# -- pop_views: nine IF_curr_exp cells with PyNN's defaults (tau_refrac = 0.1 ms at dt = 1 ms) --------
POP_VIEWS_TIMES = [[0, 10, 20], [1, 21], [2, 12, 22], [3, 13, 23], [14], [5, 15, 25], [], [17, 27], [8, 18, 28]]


def pop_views(numerics: str = "fixed") -> Network:
    """make_test_data.make_data: 9 default IF_curr_exp fed one to one by a source, 5 nA, 1 ms."""
    times = tuple(tuple(float(t) for t in row) for row in POP_VIEWS_TIMES)
    return Network([Population("pop_1", 9, IFCurrExp()), Population("input", 9, SpikeSourceArray(times))],
                   [Projection("input_pop_1", "input", "pop_1", OneToOneConnector(), 5.0, 1.0)],
                   Simulation(dt=1.0, scheme="spinnaker", numerics=numerics),
                   Recording(spikes=("pop_1",), v=("pop_1",)))


@pytest.mark.parametrize("backend, numerics", CONFIGS)
def test_pop_views_run_gives_the_boards_spikes_and_v(backend, numerics):
    """PyNN's default tau_refrac = 0.1 ms holds a neuron ceil(0.1 / 1) = 1 step on the board, in
    float and, since the fix, in fixed point (which rounded it to 0 steps and moved 5 of the
    20 spikes): after neuron 0's spike at 7 ms its V stays at -65 mV through 9 ms."""
    folder = board_folder()
    res = engine(backend).run(pop_views(numerics), 35.0)
    assert our_spikes(res, "pop_1") == board_spikes(folder / "pop_views_spikes.csv")
    board = np.loadtxt(folder / "pop_views_v.csv", delimiter=",").T          # rows t, columns neuron
    ours = board_aligned_v(res, "pop_1", -65.0)
    np.testing.assert_allclose(board, ours, rtol=RTOL, atol=1e-8)
    assert board[0, 8] == board[0, 9] == ours[0, 9] == -65.0
