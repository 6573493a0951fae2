"""setup, run, reset, end and the state queries of spikemem.pynn."""
from __future__ import annotations

import numpy as np
from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY
from pyNN.random import NumpyRNG
from pyNN.recording import get_io

from ..description import validation
from ..log import get_logger
from ..description.network import NUMERICS, SCHEMES
from . import simulator
from .runner import ENGINE_BACKENDS
from .simulator import DIALECTS, state

logger = get_logger(__name__)
DEFAULT_TIMESTEP = {"pynn": 0.1, "spinnaker": 1.0}      # PyNN's default; sPyNNaker's
# setup() keywords of other PyNN simulators that change nothing here (threads, verbosity, board sizes)
IGNORED = {"spike_precision", "verbosity", "threads", "rng_seed", "rng_seeds", "rng_seeds_seed", "grng_seed",
           "local_num_threads", "overwrite_files", "use_cvode", "database_socket_addresses",
           "time_scale_factor", "n_chips_required", "n_boards_required", "label", "compile", "codegen",
           "t_flush"}


def setup(timestep=None, min_delay=DEFAULT_MIN_DELAY, max_delay=DEFAULT_MAX_DELAY, backend="reference",
          device=None, scheme=None, numerics="float", trials=1, seed=None, dialect=None, dtype=None,
          **extra_params):
    """Start a new network. Beyond PyNN's arguments:
    backend: the engine backend ('reference', 'torch', 'snntorch', 'norse'); device: 'cpu' or 'cuda'
    (torch family; dtype 'float64' by default, which equals the reference spike for spike);
    scheme: 'spinnaker' (sPyNNaker's update) or 'exact' (NEST's), by default the dialect's;
    numerics: 'float' or 'fixed' (a SpiNNaker core's integers, needs scheme='spinnaker');
    trials: independent trials run at once (get_data gives one Segment per trial);
    seed: seeds the RandomDistributions created without an rng;
    dialect: 'pynn' (PyNN's documented semantics, as pyNN.nest) or 'spinnaker' (sPyNNaker's:
    STDP amplitudes absolute, all-to-all without self pairs drops i -> i between populations too).
    `spikemem pynn run` fixes dialect and may override the others from its command line."""
    forced = getattr(state, "forced", {})
    options = dict(backend=backend, device=device, scheme=scheme, numerics=numerics, trials=trials, seed=seed,
                   dialect=dialect, dtype=dtype)
    options.update({k: v for k, v in forced.items() if v is not None})
    dialect = options["dialect"] or getattr(state, "default_dialect", "pynn")
    validation.choice("dialect", dialect, set(DIALECTS))
    if timestep is None:
        timestep = DEFAULT_TIMESTEP[dialect]
    validation.positive("timestep", timestep)
    validation.choice("backend", options["backend"], set(ENGINE_BACKENDS))
    if options["scheme"] is not None:
        validation.choice("scheme", options["scheme"], set(SCHEMES))
    validation.choice("numerics", options["numerics"], set(NUMERICS))
    trials = validation.integer("trials", options["trials"], lo=1)
    if options["seed"] is not None:
        validation.integer("seed", options["seed"], lo=0, hi=2**32 - 1)
    unknown = sorted(set(extra_params) - IGNORED - {"rank", "num_processes"})
    if unknown:     # other simulators' options (sPyNNaker's db_name, filename, ...): as they do, ignored
        logger.warning("setup(): %s mean nothing to spikemem.pynn and are ignored", ", ".join(unknown))
    common.setup(timestep, min_delay, max_delay=max_delay)
    state.clear()
    state.dt = float(timestep)
    state.min_delay, state.max_delay = min_delay, max_delay
    state.dialect, state.trials = dialect, trials
    state.options = {k: options[k] for k in ("backend", "device", "scheme", "numerics", "seed", "dtype")}
    state.options["name"] = forced.get("name")
    state.options["precise"] = extra_params.get("spike_precision") == "off_grid"    # NEST's precise spike times
    state.rng = NumpyRNG(seed=options["seed"]) if options["seed"] is not None else None
    return rank()


def end(compatible_output=True):
    """Write the files record(..., to_file) asked for. The network stays readable (network())
    until the next setup()."""
    for population, variables, filename in state.write_on_end:
        population.write_data(get_io(filename), variables)
    state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)


def _get_min_delay():
    """setup()'s min_delay; 'auto': the shortest delay of the network once it is built (as NEST)."""
    if state.min_delay != "auto":
        return state.min_delay
    live = state.live
    delays = [float(np.min(pr.delay)) for pr in live.plan.network.projections] if live is not None else []
    return min(delays) if delays else state.dt


def _get_max_delay():
    return 10000 * state.dt if state.max_delay == "auto" else state.max_delay


get_min_delay, get_max_delay = _get_min_delay, _get_max_delay
