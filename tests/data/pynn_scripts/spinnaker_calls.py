"""A small script that uses sPyNNaker-only calls, plots, and shows the plot; it prints the output
population's spike count and its first spike as JSON on the last line.

Written for spynnaker8 (the module name sPyNNaker 6 scripts import).
"""
import json

import matplotlib.pyplot as plt
import spynnaker8 as p
from pyNN.utility.plotting import Figure, Panel
from spynnaker.spynnaker_plotting import SpynnakerPanel

p.setup(timestep=1.0, min_delay=1.0, max_delay=144.0, db_name="ignored.sqlite")
p.set_number_of_neurons_per_core(p.IF_curr_exp, 50)
p.set_number_of_synapse_cores(p.IF_curr_exp, 1)
source = p.Population(1, p.SpikeSourceArray(spike_times=[[5, 25]]), label="source")
relay = p.Population(4, p.IF_curr_exp, {"tau_refrac": 2.0}, label="relay",
                     additional_parameters={"max_expected_summed_weight": (12.0, 0.0)})
relay.set_max_atoms_per_core(2)
relay.add_placement_constraint(x=0, y=0, p=3)
p.Projection(source, relay, p.AllToAllConnector(), p.StaticSynapse(weight=6.0, delay=2))
relay.record(["spikes", "v"])
p.run(40)
spikes = relay.spinnaker_get_data("spikes")
Figure(SpynnakerPanel(spikes, xlim=(0, 40)), Panel(relay.get_data("v").segments[0].filter(name="v")[0]),
       title="relay")
plt.show()
try:
    p.extra_models.IFCurrExpCa2Adaptive
    refused = None
except Exception as e:
    refused = f"{type(e).__name__}: {e}"
p.end()
print(json.dumps({"spikes": len(spikes), "first": spikes[0].tolist(), "refused": refused}))
