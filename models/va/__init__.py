"""The Vogels-Abbott benchmark network (Brette et al. 2007, benchmarks 1 and 2), described with
spikemem's public API: `va_network` builds it; `spikemem bench va` times it on NEST and on the
engines (models/va/bench.py)."""
from .network import va_network

__all__ = ["va_network"]
