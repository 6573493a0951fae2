"""
Will it work on the board?
==========================

A SpiNNaker core does not compute in float: sPyNNaker 7.4 keeps membranes and currents in s16.15
fixed point, stores every weight as a 16-bit integer scaled by a per-population shift, saturates
each step's summed input at 16 bits, and runs STDP from lookup tables. ``spikemem spinnaker check``
predicts what that does to a network before it goes near a board: it runs the same stimulus in
float and in the core's arithmetic (``numerics="fixed"``) and reports the difference. It needs no
board and no sPyNNaker.
"""
# %%
# A network file
# --------------
# A saved network's ``SpikeSourceArray`` spike times are the stimulus the check runs.
import json
import tempfile
from pathlib import Path

from matplotlib import pyplot as plt

from spikemem import (
    STDP,
    AllToAllConnector,
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikeSourceArray,
)
from spikemem.cli import main

cell = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60, v_reset=-60,
                 v_thresh=-57, tau_refrac=1.0)


def network(b_override=None):
    return Network(
        [Population("in", 2, SpikeSourceArray(spike_times=[[0, 10, 20, 40, 50], [10, 40]])),
         Population("a", 2, cell),
         Population("b", 1, cell, max_expected_summed_weight=b_override)],
        [Projection("in_a", "in", "a", OneToOneConnector(), weight=6.0, delay=1.0),
         Projection("a_b", "a", "b", AllToAllConnector(), weight=2.5, delay=1.0,
                    plasticity=STDP(tau_plus=3, tau_minus=3, A_plus=4, A_minus=4, w_min=0, w_max=6))],
        Simulation(dt=1.0, scheme="spinnaker"), Recording(spikes=("a", "b")), name="pairing")


folder = Path(tempfile.mkdtemp())               # where this tutorial keeps its files
network().save(folder / "pairing.json")
main(["spinnaker", "check", str(folder / "pairing.json")])

# %%
# Reading the report
# ------------------
# Per population:
#
# - ``shift e/i``: the left shift sPyNNaker chooses for the excitatory and inhibitory ring buffers,
#   from the largest input the population could receive in one step; ``step nA e/i`` is the weight
#   step it gives (one unit of a 16-bit weight) and ``sized for nA e/i`` the largest summed input
#   a buffer entry holds before it saturates;
# - ``gain``: how much charge per step the core's rounded ``exp(-dt/tau_m)`` lets the membrane
#   integrate, relative to float (1.000: no difference);
# - ``sat rb`` and ``sat acc``: ring-buffer entries that saturated, and neuron values clamped at the
#   edge of s16.15 (where a core would wrap);
# - ``V range mV``: the membrane's range, against s16.15's +-65536 mV;
# - ``spikes float/fixed`` and ``differ``: spikes in each arithmetic, and how many differ.
#
# Per projection: the receptor (``r``), synapses, the weight step, weights that round to zero
# (``->0``) or wrap past 16 bits, the largest relative rounding error and the summed one, and for
# STDP the lookup tables' length against the time constants and the amplitudes in weight steps.
#
# The verdict is YES (the same spikes), CLOSE (a few spikes move; for a memory or a classifier, the
# score is not worse), DIFFERS, or NO (s16.15 overflow or weights past 16 bits).
#
# A network that will not work
# ----------------------------
# ``max_expected_summed_weight`` overrides what sPyNNaker sizes a population's buffers for. Sized
# far too small, b's 16-bit weights cannot hold the synapses: the check says NO, and names why.
network(b_override=(0.05, 0.05)).save(folder / "too_fine.json")
main(["spinnaker", "check", str(folder / "too_fine.json")])

# %%
# The CA3 memory on the board
# ---------------------------
# ``--cam C N`` checks the memory on a seeded random sequence of operations and scores it in both
# arithmetics; ``--json`` prints the report as JSON, here plotted population by population.
import contextlib  # noqa: E402
import io  # noqa: E402

out = io.StringIO()
with contextlib.redirect_stdout(out):
    main(["spinnaker", "check", "--cam", "20", "20", "--json"])
report = json.loads(out.getvalue())
print(report["verdict"])
pops = list(report["populations"])
float_spikes = [report["populations"][p]["spikes"]["float"] for p in pops]
fixed_spikes = [report["populations"][p]["spikes"]["fixed"] for p in pops]
fig, ax = plt.subplots(figsize=(9, 3.4))
x = range(len(pops))
ax.bar([i - 0.2 for i in x], float_spikes, width=0.4, label="float", color="#0072B2")
ax.bar([i + 0.2 for i in x], fixed_spikes, width=0.4, label="fixed point (the core)", color="#E69F00")
ax.set_xticks(list(x), pops, rotation=35, ha="right", fontsize=8)
ax.set_ylabel("spikes")
ax.set_title("CA3 memory 20x20 on a random sequence: spikes per population")
ax.legend()
fig.tight_layout()
