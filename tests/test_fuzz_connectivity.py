"""Property tests (hypothesis) of format 1.2's fields, to the standard of tests/test_fuzz.py (which
also mutates and damages the 1.2 file of fuzz_inputs.valid_network_dict_v12): hostile arguments
end in spikemem's declared errors, never in another exception; random networks over the new
vocabulary stay within their memory estimate; a saved network loads back equal and runs to the
same spikes."""
import json
import math

import numpy as np
from fuzz_inputs import HOSTILE, HOSTILE_SCALARS, random_v12, valid_network_dict_v12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spikemem import (FixedNumberPostConnector, FixedNumberPreConnector, FixedProbabilityConnector,
                      FixedTotalNumberConnector, IFCurrExp, Network, RandomDistribution, SpikememError,
                      SpikeSourcePoisson, get_backend)
from spikemem.description.layers import ConvolutionConnector, PoolDenseConnector
from spikemem.interchange.json_format import network_from_dict

CI = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def test_the_v12_dict_loads_and_runs():
    net = network_from_dict(valid_network_dict_v12())
    res = get_backend("reference").run(net, 10.0)
    assert res.count("map") and res.count("conv")


# -- the new classes, argument by argument -------------------------------------------------------
VALUE = st.one_of(HOSTILE, st.floats(-3, 3), st.integers(-2, 20), st.lists(st.floats(-1, 5), max_size=4))


def _declared(make, *args, **kwargs):
    try:
        make(*args, **kwargs)
    except SpikememError:
        pass


@CI
@given(st.sampled_from(["uniform", "normal", "normal_clipped", "exponential", "gamma", 3, None]),
       st.dictionaries(st.sampled_from(["low", "high", "mu", "sigma", "beta", "k"]), VALUE, max_size=4), VALUE)
def test_distributions_take_hostile_arguments(name, params, seed):
    _declared(RandomDistribution, name, seed, **params)


CONNECTORS = [FixedProbabilityConnector, FixedNumberPreConnector, FixedNumberPostConnector, FixedTotalNumberConnector]


@CI
@given(st.sampled_from(CONNECTORS), VALUE, VALUE, VALUE, VALUE)
def test_random_connectors_take_hostile_arguments(cls, a, b, c, seed):
    fields = list(cls.__dataclass_fields__)
    _declared(cls, **dict(zip(fields, (a, b, c, seed))))


@CI
@given(st.sampled_from(["kernel_weights", "in_shape", "strides", "padding", "pool_shape", "pool_stride"]), VALUE)
def test_layer_connectors_take_hostile_arguments(field, value):
    kw = dict(kernel_weights=np.ones((2, 1, 3, 3)), in_shape=(1, 6, 6), padding=1)
    _declared(ConvolutionConnector, **{**kw, field: value})
    dense = dict(weights=np.ones((2, 9)), in_shape=(1, 6, 6), pool_shape=2)
    if field in ("in_shape", "pool_shape", "pool_stride"):
        _declared(PoolDenseConnector, **{**dense, field: value})


@CI
@given(st.sampled_from(["cm", "tau_m", "tau_syn_E", "tau_refrac", "v_thresh", "i_offset", "v_init"]),
       st.one_of(VALUE, st.builds(lambda lo, w: RandomDistribution("uniform", low=lo, high=lo + w),
                                  st.floats(-5, 5), st.floats(0, 3))))
def test_per_neuron_values_take_hostile_arguments(field, value):
    _declared(IFCurrExp, **{field: value})


@CI
@given(st.sampled_from(["rate", "start", "duration", "seed"]), VALUE)
def test_poisson_sources_take_hostile_arguments(field, value):
    _declared(SpikeSourcePoisson, **{field: value})


# -- random networks over the new vocabulary (their memory estimate: tests/test_fuzz.py) ----------------
@CI
@given(random_v12())
def test_random_v12_networks_round_trip(tmp_path_factory, d):
    try:
        net = network_from_dict(d)
        path = tmp_path_factory.mktemp("rt") / "n.json"
        net.save(path)
        back = Network.load(path)
        assert back == net
        a, b = (get_backend("reference").run(x, 8.0, batch=2) for x in (net, back))
    except SpikememError:
        return
    for name in a.spikes:
        assert all(np.array_equal(x, y) for x, y in zip(a.spikes[name], b.spikes[name])), name


def test_hostile_scalars_cover_the_new_fields():
    """The shared hostile values reach what format 1.2 checks: NaN, infinities, bools and huge ints."""
    assert any(isinstance(x, float) and math.isnan(x) for x in HOSTILE_SCALARS)
    assert True in HOSTILE_SCALARS and 2**63 in HOSTILE_SCALARS


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.data())
def test_every_vocabulary_entry_round_trips(data):
    from fuzz_inputs import new_vocabulary

    from spikemem.description.cells import cell_from_dict
    from spikemem.description.connectors import connector_from_dict
    for name, strategy in new_vocabulary().items():
        x = data.draw(strategy)
        if name.startswith("connector"):
            assert connector_from_dict(json.loads(json.dumps(x.to_dict()))) == x
        elif name == "random.distribution":
            assert RandomDistribution.from_dict(json.loads(json.dumps(x.to_dict()))) == x
        elif name == "source.poisson":
            assert cell_from_dict(json.loads(json.dumps(x.to_dict()))) == x
