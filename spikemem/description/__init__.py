"""The model description: frozen, validated dataclasses that every backend lowers.

network (Population, Projection, Simulation, Recording, Network), cells, connectors (layers:
the convolution connectors), random (distributions), realisation (where random and per-neuron
values become numbers, for every backend alike), plasticity (STDP), validation (the checks every
number entering spikemem passes) and features (the names backends use to declare what they
cannot run).
"""
