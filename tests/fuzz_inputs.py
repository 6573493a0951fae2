"""Hypothesis strategies for the fuzz tests: valid inputs and mutations of them.

A mutation replaces one value anywhere in a JSON-like structure by a hostile one (wrong type,
NaN, infinity, huge or negative numbers, deep or ragged lists), deletes a key or adds one.
"""
import copy
import json
import math

from hypothesis import strategies as st

HOSTILE_SCALARS = [None, True, False, 0, -1, 1, 2, 3, 0.5, 0.1, -0.0, 1e-300, 1e19, 1e300, -1e19, 2**31, 2**63, 10**30,
                   30000, math.nan, math.inf, -math.inf, "", "x", "1", "nan", "all_to_all", "IF_curr_exp",
                   "excitatory", "a", "src"]
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_SCALARS),
    st.integers(-5, 50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.sampled_from(HOSTILE_SCALARS), max_size=4),
    st.lists(st.lists(st.sampled_from([0, 1, 2, 0.5, -1, math.nan, None, "a"]), max_size=3), max_size=3),
    st.dictionaries(st.sampled_from(["kind", "name", "x", "size"]), st.sampled_from(HOSTILE_SCALARS), max_size=3),
)
# a field's hostile value, with the floats and extremes a number field must refuse or survive
HOSTILE_FIELD = st.one_of(HOSTILE, st.floats(allow_nan=True, allow_infinity=True),
                          st.sampled_from([0, -0.0, 1e-300, 1e300]))

CELL = {"kind": "IF_curr_exp", "cm": 0.25, "tau_m": 4.0, "tau_syn_E": 1.0, "tau_syn_I": 2.0, "v_rest": -60.0,
        "v_reset": -61.0, "v_thresh": -57.0, "tau_refrac": 2.0, "i_offset": 0.05, "v_init": None}
STDP = {"kind": "stdp_pair_additive", "tau_plus": 3.0, "tau_minus": 3.0, "A_plus": 0.2, "A_minus": 0.2, "w_min": 0.0,
        "w_max": 0.5, "dendritic_delay": None, "potentiate_at_zero": False, "depress_at_zero": True,
        "traces": "all_to_all", "clamp": "per_event", "transmit": "after_update", "post_history": None, "gate": None}


def valid_network_dict() -> dict:
    """A small network with every kind of field: sources with spike times, three connectors,
    array weights and delays, STDP, recorded V and weights."""
    return {
        "format": "spikemem.network", "version": "1.0", "name": "fuzz",
        "simulation": {"dt": 1.0, "scheme": "spinnaker"},
        "recording": {"spikes": None, "v": ["a"], "weights": ["plastic"]},
        "populations": [
            {"name": "src", "size": 3, "cell": {"kind": "SpikeSourceArray", "spike_times": [[0.0, 4.0], [1.0], [2.0, 3.0]]}},
            {"name": "a", "size": 3, "cell": dict(CELL)},
            {"name": "b", "size": 2, "cell": dict(CELL, tau_m=2.0)},
        ],
        "projections": [
            {"name": "src_a", "pre": "src", "post": "a", "connector": {"kind": "one_to_one"}, "weight": 2.0,
             "delay": 1.0, "receptor": "excitatory", "plasticity": None},
            {"name": "plastic", "pre": "a", "post": "b", "connector": {"kind": "all_to_all", "allow_self_connections": True},
             "weight": [[0.1, 0.2], [0.3, 0.0], [0.2, 0.1]], "delay": 1.0, "receptor": "excitatory",
             "plasticity": dict(STDP)},
            {"name": "inh", "pre": "b", "post": "a", "connector": {"kind": "from_list", "conn_list": [[0, 1], [1, 2]]},
             "weight": [0.3, 0.2], "delay": [1.0, 3.0], "receptor": "inhibitory", "plasticity": None},
        ],
    }


def _paths(obj, prefix=()):
    """Every (path to a value) inside nested dicts and lists."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _set(obj, path, value):
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


def _delete(obj, path):
    for k in path[:-1]:
        obj = obj[k]
    del obj[path[-1]]


@st.composite
def mutated(draw, base_factory, max_mutations: int = 3):
    """`base_factory()` with 1..max_mutations random mutations."""
    d = base_factory()
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = [p for p in _paths(d) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "duplicate"]))
        if action == "replace":
            _set(d, path, draw(HOSTILE))
        elif action == "delete":
            _delete(d, path)
        elif action == "add":
            parent = d
            for k in path[:-1]:
                parent = parent[k]
            if isinstance(parent, dict):
                parent[draw(st.sampled_from(["extra", "kind", "name", "size"]))] = draw(HOSTILE)
            else:
                parent.append(draw(HOSTILE))
        else:
            parent = d
            for k in path[:-1]:
                parent = parent[k]
            if isinstance(parent, list):
                parent.append(copy.deepcopy(parent[path[-1]]))
    return d


def random_network_dict():
    """Networks built from scratch: random sizes, connectors, delays and dt."""
    @st.composite
    def build(draw):
        d = valid_network_dict()
        d["simulation"]["dt"] = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0]))
        for p in d["populations"][1:]:
            p["size"] = draw(st.integers(0, 6))
        d["populations"][0]["cell"]["spike_times"] = []
        d["populations"][0]["size"] = draw(st.integers(0, 6))
        for pr in d["projections"]:
            pr["weight"] = draw(st.floats(0, 3))
            pr["delay"] = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0, 3.0, 1e19]))
            pr["connector"] = draw(st.sampled_from([{"kind": "one_to_one"}, {"kind": "all_to_all", "allow_self_connections": False},
                                                    {"kind": "all_to_all", "allow_self_connections": True},
                                                    {"kind": "from_list", "conn_list": [[0, 0]]}]))
        d["projections"][1]["plasticity"]["tau_plus"] = draw(st.floats(0.1, 50))
        return d
    return build()


def json_text_mutations(text: str):
    """Byte-level damage of a JSON text: cut, flipped characters, NaN and Infinity literals."""
    @st.composite
    def damage(draw):
        kind = draw(st.sampled_from(["cut", "flip", "literal", "nest"]))
        if kind == "cut":
            return text[:draw(st.integers(0, len(text)))]
        if kind == "flip":
            i = draw(st.integers(0, len(text) - 1))
            return text[:i] + draw(st.sampled_from(list('[]{}",:0-9eE.aN'))) + text[i + 1:]
        if kind == "literal":
            return text.replace(draw(st.sampled_from(["1.0", "3", "0.2", "2.0"])), draw(st.sampled_from(
                ["NaN", "Infinity", "-Infinity", "1e400", "9" * 5000, "null", '"1"'])), 1)
        return "[" * draw(st.integers(1, 100_000)) + "]" * 3
    return damage()


def recording_dict(golden: dict) -> dict:
    d = {k: v for k, v in golden.items() if k != "recorded_spikes"}
    return json.loads(json.dumps(d))


def valid_network_dict_v12() -> dict:
    """Format 1.2: every field 1.2 adds, each once: a Poisson source with per-neuron values and a
    distribution, the four random connectors with their seeds, distributions as weights, delays and
    cell values, per-neuron tuples, multiplicative STDP, a convolution and a pooled dense layer."""
    dist = (lambda name, **p: {"distribution": name, "parameters": p, "seed": 3})
    cell = dict(CELL, tau_m=[4.0, 5.0, 6.0, 7.0], v_init=dist("uniform", low=-62.0, high=-58.0),
                cm=dist("normal_clipped", mu=0.25, sigma=0.05, low=0.1, high=0.4))
    return {
        "format": "spikemem.network", "version": "1.2", "name": "fuzz12",
        "simulation": {"dt": 1.0, "scheme": "spinnaker", "numerics": "float"},
        "recording": {"spikes": None, "v": ["a"], "weights": ["plastic"]},
        "populations": [
            {"name": "src", "size": 8, "cell": {"kind": "SpikeSourcePoisson", "rate": [50.0, 80.0] * 4, "start": 1.0,
                                                "duration": dist("uniform", low=5.0, high=9.0), "seed": 7},
             "max_expected_summed_weight": None},
            {"name": "a", "size": 4, "cell": cell, "max_expected_summed_weight": None},
            {"name": "b", "size": 3, "cell": dict(CELL, tau_syn_E=[1.0, 1.5, 2.0]), "max_expected_summed_weight": None},
            {"name": "map", "size": 9, "cell": {"kind": "SpikeSourceArray", "spike_times": [[1.0, 3.0]] * 9},
             "max_expected_summed_weight": None},
            {"name": "conv", "size": 8, "cell": dict(CELL), "max_expected_summed_weight": None},
            {"name": "head", "size": 2, "cell": dict(CELL), "max_expected_summed_weight": None},
        ],
        "projections": [
            {"name": "src_a", "pre": "src", "post": "a",
             "connector": {"kind": "fixed_probability", "p_connect": 0.5, "allow_self_connections": True, "seed": 1},
             "weight": dist("exponential", beta=1.0), "delay": dist("uniform", low=0.6, high=3.0), "receptor": "excitatory",
             "plasticity": None},
            {"name": "plastic", "pre": "a", "post": "b",
             "connector": {"kind": "fixed_number_pre", "n": 2, "allow_self_connections": True, "with_replacement": False,
                           "seed": 2},
             "weight": 0.2, "delay": 1.0, "receptor": "excitatory",
             "plasticity": dict(STDP, kind="stdp_pair_multiplicative")},
            {"name": "inh", "pre": "b", "post": "a",
             "connector": {"kind": "fixed_number_post", "n": 2, "allow_self_connections": True, "with_replacement": True,
                           "seed": 3},
             "weight": [[0.3, 0.2, 0.1, 0.0]] * 3, "delay": 2.0, "receptor": "inhibitory", "plasticity": None},
            {"name": "self", "pre": "a", "post": "a",
             "connector": {"kind": "fixed_total_number", "n": 5, "allow_self_connections": False, "with_replacement": True,
                           "seed": 4},
             "weight": dist("uniform", low=0.0, high=0.5), "delay": 1.0, "receptor": "excitatory", "plasticity": None},
            {"name": "map_conv", "pre": "map", "post": "conv",
             "connector": {"kind": "convolution", "kernel_weights": [[[[0.5, 1.0], [1.0, 0.5]]]] * 2, "in_shape": [1, 3, 3],
                           "strides": [1, 1], "padding": [0, 0], "pool_shape": None, "pool_stride": None},
             "weight": 1.0, "delay": 1.0, "receptor": "excitatory", "plasticity": None},
            {"name": "conv_head", "pre": "conv", "post": "head",
             "connector": {"kind": "pool_dense", "weights": [[1.0, 2.0, 0.0, 1.0], [0.5, 0.0, 3.0, 1.0]], "in_shape": [2, 2, 2],
                           "pool_shape": [1, 2], "pool_stride": None},
             "weight": 2.0, "delay": 1.0, "receptor": "inhibitory", "plasticity": None},
        ],
    }


def new_vocabulary():
    """One valid-value strategy per class format 1.2 adds, by feature name: what a differential
    fuzzer (tests/differential, branch i20a) registers with one entry each. Every object is a
    frozen dataclass that round-trips through the JSON format."""
    import numpy as np

    from spikemem import (FixedNumberPostConnector, FixedNumberPreConnector, FixedProbabilityConnector,
                          FixedTotalNumberConnector, RandomDistribution, SpikeSourcePoisson)
    from spikemem.description.layers import ConvolutionConnector, PoolDenseConnector
    seed = st.integers(0, 2**63 - 1)
    small = st.integers(0, 4)
    dist = st.one_of(
        st.builds(lambda lo, w, s: RandomDistribution("uniform", low=lo, high=lo + w, seed=s), st.floats(0, 2),
                  st.floats(0, 2), seed),
        st.builds(lambda m, s: RandomDistribution("normal_clipped", mu=m, sigma=0.5, low=0.0, high=m + 2, seed=s),
                  st.floats(0, 2), seed),
        st.builds(lambda b, s: RandomDistribution("exponential", beta=b, seed=s), st.floats(0.05, 2), seed))
    kernel = st.builds(lambda c, k, s: np.random.default_rng(s).uniform(0, 1, (c, 1, k, k)), st.integers(1, 3),
                       st.sampled_from([1, 3]), st.integers(0, 100))
    return {
        "random.distribution": dist,
        "connector.fixed_probability": st.builds(FixedProbabilityConnector, st.floats(0, 1), st.booleans(), seed),
        "connector.fixed_number_pre": st.builds(FixedNumberPreConnector, small, st.booleans(), st.booleans(), seed),
        "connector.fixed_number_post": st.builds(FixedNumberPostConnector, small, st.booleans(), st.booleans(), seed),
        "connector.fixed_total_number": st.builds(FixedTotalNumberConnector, st.integers(0, 20), st.booleans(),
                                                  st.booleans(), seed),
        "connector.convolution": st.builds(lambda k, pad: ConvolutionConnector(k, (1, 5, 5), padding=pad), kernel,
                                           st.integers(0, 1)),
        "connector.pool_dense": st.builds(lambda n, s: PoolDenseConnector(
            np.random.default_rng(s).uniform(0, 1, (n, 4)), (1, 4, 4), pool_shape=2), st.integers(1, 3), seed),
        "source.poisson": st.builds(SpikeSourcePoisson, st.floats(0, 500), st.floats(0, 20),
                                    st.one_of(st.just(math.inf), st.floats(0, 50)), seed),
        "stdp.multiplicative": st.just("multiplicative"),
    }


@st.composite
def random_v12(draw):
    """valid_network_dict_v12 with random rates, sizes, random connectors, weights and amplitudes."""
    d = valid_network_dict_v12()
    d["simulation"]["dt"] = draw(st.sampled_from([0.5, 1.0]))
    d["populations"][0]["cell"]["rate"] = draw(st.floats(0, 400))
    d["populations"][0]["size"] = draw(st.integers(0, 12))
    for pr in d["projections"][:4]:
        kind = draw(st.sampled_from(["fixed_probability", "fixed_number_pre", "fixed_number_post", "fixed_total_number"]))
        pr["connector"] = {"kind": kind, "seed": draw(st.integers(0, 2**63 - 1)),
                           "allow_self_connections": draw(st.booleans()),
                           **({"p_connect": draw(st.floats(0, 1))} if kind == "fixed_probability" else
                              {"n": draw(st.integers(0, 6)), "with_replacement": draw(st.booleans())})}
        pr["weight"] = draw(st.one_of(st.floats(0, 3), st.builds(
            lambda b, s: {"distribution": "exponential", "parameters": {"beta": b}, "seed": s},
            st.floats(0.01, 2), st.integers(0, 10))))
    d["projections"][1]["plasticity"]["A_plus"] = draw(st.floats(0, 1))
    return d


def exercise_network_dict(d):
    """Load; if it loads: save/reload equal, lower to every PyNN simulator (or refused by name),
    run 6 ms in float and in fixed numerics. Only declared errors may come out."""
    from spikemem import Simulation, SpikememError, get_backend
    from spikemem.interchange.json_format import network_from_dict
    try:
        net = network_from_dict(d)
    except SpikememError:
        return None
    assert network_from_dict(json.loads(json.dumps(net.to_dict()))) == net
    from spikemem.backends.pynn.lowering import lower
    from spikemem.backends.pynn.simulators import PROFILES
    for profile in PROFILES.values():
        try:
            lower(net, profile)
        except SpikememError:
            pass
    from dataclasses import replace
    for numerics in ("float", "fixed"):
        sim = net.simulation if numerics == "float" else Simulation(net.simulation.dt, "spinnaker", "fixed")
        try:
            get_backend("reference").run(replace(net, simulation=sim), 6.0)
        except SpikememError:
            pass
    return net
