"""Nine IF_curr_exp cells with PyNN's defaults, each driven one to one by a spike source (5 nA,
1 ms), for 35 ms: the network of sPyNNaker's pop_views board recording.

Usage: pop_views.py SPIKES.csv V.csv  (written for pyNN.spiNNaker; V as a (time, neuron) matrix)
"""
import sys

import numpy
import pyNN.spiNNaker as sim
from spynnaker.pyNN.utilities import neo_convertor

sim.setup(timestep=1.0)
sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 5)
cells = sim.Population(9, sim.IF_curr_exp(), label="pop_1")
drive = sim.Population(9, sim.SpikeSourceArray(spike_times=[
    [0, 10, 20], [1, 21], [2, 12, 22], [3, 13, 23], [14], [5, 15, 25], [], [17, 27], [8, 18, 28]]), label="input")
sim.Projection(drive, cells, sim.OneToOneConnector(), synapse_type=sim.StaticSynapse(weight=5, delay=1))
cells.record(["spikes", "v"])
sim.run(35)
block = cells.get_data(variables=["spikes", "v"])
numpy.savetxt(sys.argv[1], neo_convertor.convert_spikes(block), delimiter=",")
numpy.savetxt(sys.argv[2], block.segments[0].filter(name="v")[0], delimiter=",")
sim.end()
