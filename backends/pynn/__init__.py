"""PyNN backends: one description compiled to pyNN.nest, pyNN.brian2 or pyNN.spiNNaker."""
from .backend import PyNNBackend


class NestBackend(PyNNBackend):
    requires, extra = ("pyNN", "nest"), "nest"

    def __init__(self, **options):
        super().__init__("nest", **options)


class Brian2Backend(PyNNBackend):
    requires, extra = ("pyNN", "brian2"), "brian2"

    def __init__(self, **options):
        super().__init__("brian2", **options)


class SpinnakerBackend(PyNNBackend):
    requires, extra = ("pyNN", "spynnaker"), "spinnaker"

    def __init__(self, **options):
        super().__init__("spinnaker", **options)


__all__ = ["PyNNBackend", "NestBackend", "Brian2Backend", "SpinnakerBackend"]
