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
