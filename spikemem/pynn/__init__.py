"""spikemem as a PyNN 0.13 simulator: `import spikemem.pynn as sim`.

Built on PyNN's common classes, as PyNN's own backends are (pyNN.mock is the template). A script's
populations, projections and current sources lower to a spikemem Network (network() returns it) that
runs on any engine backend, with sPyNNaker's or NEST's update scheme, in float or in a SpiNNaker
core's fixed point, and for many trials at once (setup's keywords). What the description cannot
express is an UnsupportedFeature naming it. docs/pynn_frontend.md is the user's page.
Importing this module imports PyNN (the [pynn] extra); importing spikemem does not import this.
"""
from __future__ import annotations

from ..optional import require

require("pyNN", "pynn")
require("neo", "pynn")

from pyNN import errors, random, space  # noqa: E402,F401
from pyNN.connectors import *  # noqa: E402,F401,F403
from pyNN.random import GSLRNG, NumpyRNG  # noqa: E402,F401
from pyNN.random import RandomDistribution as _PyNNRandomDistribution  # noqa: E402
from pyNN.recording import *  # noqa: E402,F401,F403
from pyNN.space import Space  # noqa: E402,F401

from ..errors import UnsupportedFeature, ValidationError  # noqa: E402
from . import models  # noqa: E402
from .control import (end, get_current_time, get_max_delay, get_min_delay, get_time_step,  # noqa: E402,F401
                      initialize, num_processes, rank, reset, run, run_for, run_until, setup)
from .models import TYPES  # noqa: E402
from .populations import Assembly, Population, PopulationView  # noqa: E402,F401
from .projections import Projection  # noqa: E402,F401
from . import simulator as _simulator  # noqa: E402
from .simulator import state as _state  # noqa: E402
from .spinnaker import (REFUSED, external_devices, extra_models, get_machine, hints,  # noqa: E402,F401
                        set_allow_delay_extensions, set_number_of_neurons_per_core, set_number_of_synapse_cores)

globals().update(TYPES)          # IF_curr_exp, StaticSynapse, STDPMechanism, DCSource, ... (models.py)
globals().update(REFUSED)        # sPyNNaker-only names, refused by name when used

from pyNN import common as _common  # noqa: E402
from pyNN.network import Network  # noqa: E402,F401

create = _common.build_create(Population)
connect = _common.build_connect(Projection, FixedProbabilityConnector, TYPES["StaticSynapse"])  # noqa: F405
record = _common.build_record(_simulator)
set = _common.set          # noqa: A001 - PyNN's procedural set(cells, **parameters)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)


class RandomDistribution(_PyNNRandomDistribution):
    """PyNN's RandomDistribution; without an rng it draws from the one setup(seed=...) seeded."""

    def __init__(self, distribution, parameters_pos=None, rng=None, **parameters_named):
        super().__init__(distribution, parameters_pos, rng or _state.rng or NumpyRNG(), **parameters_named)


def name():
    """The simulator's name (sPyNNaker scripts print sim.name())."""
    return "spikemem"


def list_standard_models():
    """The standard cell types spikemem.pynn runs (the others exist, and are refused by name)."""
    return models.supported_cell_types()


def network():
    """The spikemem Network the script's objects make now (its sources hold their spike times):
    network().save(path), to_nir(network()), `spikemem export pynn`, `spikemem spinnaker check`."""
    from .lowering import plan
    if not _state.populations:
        raise ValidationError("network", None, "the script has created no Population since setup()")
    live = _state.live
    return live.plan.network if live is not None and not live.pending else plan(_state).network


def _native(kind):
    def refuse(model_name, **kwargs):
        raise UnsupportedFeature(f"{kind}({model_name!r}): spikemem.pynn has no simulator-native models; "
                                 "use PyNN's standard types")
    refuse.__name__ = kind
    return refuse


native_cell_type = _native("native_cell_type")
native_synapse_type = _native("native_synapse_type")
native_electrode_type = _native("native_electrode_type")
