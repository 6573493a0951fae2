"""PyNN backends: one description compiled to pyNN.nest, pyNN.brian2 or pyNN.spiNNaker."""
from .backend import PyNNBackend


class NestBackend(PyNNBackend):
    def __init__(self, **options):
        super().__init__("nest", **options)


class Brian2Backend(PyNNBackend):
    def __init__(self, **options):
        super().__init__("brian2", **options)


class SpinnakerBackend(PyNNBackend):
    def __init__(self, **options):
        super().__init__("spinnaker", **options)


__all__ = ["PyNNBackend", "NestBackend", "Brian2Backend", "SpinnakerBackend"]
