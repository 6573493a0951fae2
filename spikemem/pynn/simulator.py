"""The simulator state behind spikemem.pynn: what PyNN's common classes call `_simulator`.

One State per process, as in every PyNN backend (pyNN.mock is the template). It holds the
setup options (engine backend, device, update scheme, numerics, trials, seed, dialect), the
populations, projections and current sources in creation order, and the live run (runner.Live)
that the first run() builds from them. Times are PyNN's (ms); the live run counts engine steps.
"""
from __future__ import annotations

from pyNN import common

name = "spikemem"

DIALECTS = ("pynn", "spinnaker")


class ID(int, common.IDMixin):
    """A cell: its int value is unique in the process; its parent Population knows its index."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank, self.num_processes = 0, 1
        self.dt, self.min_delay, self.max_delay = 0.1, "auto", "auto"
        self.options = {}
        self.dialect = "pynn"
        self.trials = 1
        self.rng = None
        self.segment_counter = -1
        self.clear()

    def clear(self):
        """A new network: setup() and end() call it."""
        self.recorders = set()
        self.write_on_end = []
        self.id_counter = 0
        self.populations, self.projections, self.current_sources = [], [], []
        self.neurons_per_core = {}       # sPyNNaker hint: cell type name -> neurons per core
        self.segment_counter = -1
        self.live = None
        self.reset()

    def reset(self):
        """Back to t = 0 (PyNN's reset): the next run builds the network again from its current
        parameters, with a new recording segment."""
        self.running = False
        self.t = 0.0
        self.t_start = 0
        self.segment_counter += 1
        self.live = None

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        from . import runner
        runner.advance(self, tstop)
        self.running = True

    def changed(self, what: str, obj=None) -> None:
        """Something the live network was built from changed (a parameter, a weight, a new object)."""
        if self.live is not None:
            self.live.changed(what, obj)


state = State()
