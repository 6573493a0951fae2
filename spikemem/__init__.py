"""spikemem: describe a spiking memory model once, run it on any backend.

The core holds the description, validation, serialization, harness and CLI; it imports no
backend and no model (they live in spikemem.backends / spikemem.models and are found by name).
"""
from .cells import IFCurrExp, SpikeSourceArray
from .connectors import AllToAllConnector, FromListConnector, OneToOneConnector
from .errors import FormatError, SpikememError, UnsupportedFeature, ValidationError
from .network import Network, Population, Projection, Recording, Simulation
from .plasticity import STDP
from .registry import available_backends, get_backend, simulate
from .results import Result
from .spiketrains import SpikeEvents

__version__ = "0.1.0"

__all__ = [
    "IFCurrExp", "SpikeSourceArray", "AllToAllConnector", "FromListConnector", "OneToOneConnector",
    "FormatError", "SpikememError", "UnsupportedFeature", "ValidationError", "Network", "Population",
    "Projection", "Recording", "Simulation", "STDP", "available_backends", "get_backend", "simulate",
    "Result", "SpikeEvents",
]
