"""What a refusal of a memory's update scheme says: the variant that works there."""
from __future__ import annotations

import contextlib

from ..description.features import missing_features
from ..errors import UnsupportedFeature


@contextlib.contextmanager
def naming_the_portable_variant(backend, network, variant: str, memory: str = "memory"):
    """A backend that cannot run a memory's update scheme (NEST and Brian2 integrate exactly, the
    published circuits need SpiNNaker's discrete update) refuses it naming the variant that works
    there, not foreign_scheme, with which the published circuit fails (docs/update_schemes.md)."""
    try:
        yield
    except UnsupportedFeature as e:
        scheme = network.simulation.scheme
        if (variant == "portable" or scheme != "spinnaker" or getattr(backend, "foreign_scheme", False)
                or f"scheme.{scheme}" not in missing_features(backend, network)):
            raise                  # not the scheme: the backend's own reason stands
        raise UnsupportedFeature(
            f"{network.name}: the {memory}'s {variant} variant is written for SpiNNaker's update "
            f"(scheme='spinnaker'), which {backend.name} cannot express: use --variant portable "
            f"(variant='portable' in Python), which reproduces the memory on {backend.name}. --foreign-scheme "
            f"(foreign_scheme=True) would run the {variant} circuit with {backend.name}'s exact integration, "
            "where its timing breaks (the CA3 demo scores 0/9 there)") from e
