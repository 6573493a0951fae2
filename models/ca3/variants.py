"""Named variants of the CA3 memory. 'faithful' is the authors' model, spike for spike."""
from __future__ import annotations

import contextlib

from spikemem import UnsupportedFeature, ValidationError
from spikemem.description.features import missing_features

from .params import CA3Params


def faithful() -> CA3Params:
    return CA3Params()


def gated() -> CA3Params:
    """Plasticity only during learn operations: recalls no longer create false associations."""
    return CA3Params(gate_learning=True)


def portable_exact() -> CA3Params:
    """Runs the same on exact integrators (NEST, Brian2) as on SpiNNaker's update (see portable.py)."""
    from .portable import portable
    return portable("exact")


VARIANTS = {"faithful": faithful, "gated": gated, "portable": portable_exact}


def variant_params(name: str) -> CA3Params:
    if name not in VARIANTS:
        raise ValidationError("variant", name, f"unknown CA3 variant (known: {sorted(VARIANTS)})")
    return VARIANTS[name]()


@contextlib.contextmanager
def naming_the_portable_variant(backend, network, variant: str):
    """A backend that cannot run the memory's update scheme (NEST and Brian2 integrate exactly, the
    faithful and gated circuits need SpiNNaker's update) refuses it naming the variant that works
    there, not foreign_scheme, with which the faithful circuit fails (docs/update_schemes.md)."""
    try:
        yield
    except UnsupportedFeature as e:
        scheme = network.simulation.scheme
        if (variant == "portable" or scheme != "spinnaker" or getattr(backend, "foreign_scheme", False)
                or f"scheme.{scheme}" not in missing_features(backend, network)):
            raise                  # not the scheme: the backend's own reason stands
        raise UnsupportedFeature(
            f"{network.name}: the CA3 memory's {variant} variant is written for SpiNNaker's update "
            f"(scheme='spinnaker'), which {backend.name} cannot express: use --variant portable "
            f"(variant='portable' in Python), which reproduces the memory on {backend.name}. --foreign-scheme "
            f"(foreign_scheme=True) would run the {variant} circuit with {backend.name}'s exact integration, "
            "where it fails (0/9 in the demo)") from e
