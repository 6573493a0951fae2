"""spikemem: describe a spiking memory model once, run it on any backend.

The core holds the description, validation, serialization, harness and CLI; it imports no
backend and no model (they live in spikemem.backends / spikemem.models and are found by name).
"""
from . import _compat
from .description.cells import (
    IFCondExp,
    IFCurrAlpha,
    IFCurrDelta,
    IFCurrExp,
    Izhikevich,
    SpikeSourceArray,
    SpikeSourcePoisson,
)
from .description.connectors import (
    AllToAllConnector,
    FixedNumberPostConnector,
    FixedNumberPreConnector,
    FixedProbabilityConnector,
    FixedTotalNumberConnector,
    FromListConnector,
    OneToOneConnector,
)
from .description.current_sources import ACSource, CurrentInjection, DCSource, NoisyCurrentSource, StepCurrentSource
from .description.network import Network, Population, Projection, Recording, Simulation
from .description.plasticity import STDP
from .description.random import RandomDistribution
from .engine.inputs import SpikeEvents
from .errors import FormatError, ResourceError, SpikememError, UnsupportedFeature, ValidationError
from .registry import available_backends, get_backend, simulate
from .results import Result

__version__ = "0.2.0"

_compat.install()   # spikemem 0.1 module paths (spikemem.network, ...) stay importable

__all__ = [
    "IFCurrExp", "IFCurrDelta", "IFCondExp", "IFCurrAlpha", "Izhikevich", "SpikeSourceArray", "AllToAllConnector", "FromListConnector", "OneToOneConnector",
    "FormatError", "ResourceError", "SpikememError", "UnsupportedFeature", "ValidationError", "Network", "Population",
    "Projection", "Recording", "Simulation", "STDP", "available_backends", "get_backend", "simulate",
    "Result", "SpikeEvents", "SpikeSourcePoisson", "FixedProbabilityConnector", "FixedNumberPreConnector",
    "FixedNumberPostConnector", "FixedTotalNumberConnector", "RandomDistribution",
    "DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource", "CurrentInjection",
]
