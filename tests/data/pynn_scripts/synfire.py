"""A synfire ring as sPyNNaker's integration tests build it: 20 IF_curr_exp cells, each exciting the
next with one delay, started by one input spike at 0 ms. Writes sPyNNaker's numpy recordings.

Usage: synfire.py DELAY RUNTIME SPIKES.csv V.csv  (written for pyNN.spiNNaker)
"""
import sys

import numpy
import pyNN.spiNNaker as sim

delay, runtime = int(sys.argv[1]), int(sys.argv[2])
n_neurons = 20
weight = 2.0

sim.setup(timestep=1.0)
sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 10)
chain = sim.Population(n_neurons, sim.IF_curr_exp(cm=0.25, i_offset=0.0, tau_m=20.0, tau_refrac=2.0,
                                                  tau_syn_E=5.0, tau_syn_I=5.0, v_reset=-70.0, v_rest=-65.0,
                                                  v_thresh=-50.0), label="pop_1")
chain.add_placement_constraint(x=0, y=0)
start = sim.Population(1, sim.SpikeSourceArray(spike_times=[[0]]), label="inputSSA_1")
ring = [(i, (i + 1) % n_neurons, weight, delay) for i in range(n_neurons)]
sim.Projection(chain, chain, sim.FromListConnector(ring), sim.StaticSynapse(weight=weight, delay=delay))
sim.Projection(start, chain, sim.FromListConnector([(0, 0, weight, 1)]), sim.StaticSynapse(weight=weight, delay=1))
chain.record(["spikes", "v"])
sim.run(runtime)
numpy.savetxt(sys.argv[3], chain.spinnaker_get_data("spikes"), delimiter=",")
numpy.savetxt(sys.argv[4], chain.spinnaker_get_data("v"), delimiter=",")
sim.end()
