"""Brian2 through PyNN (numpy codegen, no compiler): one CA3 run, spike for spike with the
reference exact scheme once refractoriness and the STDP timing convention are converted."""
import warnings
from dataclasses import replace

import numpy as np
import pytest
from spikemem.models.ca3 import RECORDED, build_cam, protocol
from spikemem.models.ca3 import cases as hc
from spikemem.models.ca3.params import CA3Params

from spikemem import get_backend


def test_brian2_matches_reference_exact_on_the_functional_test():
    pytest.importorskip("brian2")
    pytest.importorskip("pyNN.brian2")
    case = hc.functional()
    net = build_cam(case.C, case.N, replace(CA3Params(), scheme="exact"))
    inputs = protocol.input_events([case])
    ref = get_backend("reference").run(net, case.sim_time_ms, inputs=inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = get_backend("brian2").run(net, case.sim_time_ms, inputs=inputs)
    assert res.count() > 300
    for pop in RECORDED:
        for a, b in zip(ref.spikes[pop], res.spikes[pop]):
            np.testing.assert_array_equal(a, b, err_msg=pop)


def _one_source_network():
    from spikemem import IFCurrExp, Network, OneToOneConnector, Population, Projection, Simulation, SpikeSourceArray
    cell = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60, v_reset=-60, v_thresh=-57,
                     tau_refrac=1.0)
    return Network([Population("one", 1, SpikeSourceArray(((2.0, 9.0),))), Population("n", 1, cell)],
                   [Projection("p", "one", "n", OneToOneConnector(), 8.0, 1.0)], Simulation(dt=1.0, scheme="exact"))


def test_a_one_neuron_spike_source_runs_on_brian2():
    """pyNN.brian2 0.13 evaluates a one-neuron SpikeSourceArray's times to one Sequence and failed
    (AttributeError: 'Sequence' object has no attribute 'size'); the hippocampus memory's constant
    spike source is such a population."""
    pytest.importorskip("brian2")
    pytest.importorskip("pyNN.brian2")
    net = _one_source_network()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = get_backend("brian2").run(net, 15.0)
    assert res.spike_list("n") == get_backend("reference").run(net, 15.0).spike_list("n") == [[4, 0], [11, 0]]


def test_an_exported_brian2_script_runs_a_one_neuron_spike_source(tmp_path):
    """The standalone script carries the same fix (it imports no spikemem)."""
    import json
    import os
    import subprocess
    import sys

    from spikemem.cli import main
    pytest.importorskip("pyNN.brian2")
    path = tmp_path / "net.json"
    _one_source_network().save(str(path))
    assert main(["export", "pynn", str(path), "--simulator", "brian2", "--out", str(tmp_path / "x"),
                 "--duration", "15"]) == 0
    proc = subprocess.run([sys.executable, str(tmp_path / "x" / "run_brian2.py"), "--out", str(tmp_path / "s.json")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=""))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "s.json").read_text())["populations"]["n"]["spikes_t_ms_neuron"] == [[4, 0], [11, 0]]
