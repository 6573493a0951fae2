"""Property tests (hypothesis): a NIR graph mutated from a valid one (wrong shapes, NaN or
missing parameters, missing or dangling edges, cycles, unknown nodes, zero sizes, odd metadata)
is imported, or refused with a declared error (ValidationError / UnsupportedFeature, both
SpikememError); never a KeyError, IndexError, AttributeError or a numpy error. A damaged NIR
file is a declared error too."""
import copy
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

nir = pytest.importorskip("nir")

from spikemem import (  # noqa: E402
    AllToAllConnector,
    FromListConnector,
    IFCurrDelta,
    IFCurrExp,
    Network,
    OneToOneConnector,
    Population,
    Projection,
    Recording,
    Simulation,
    SpikememError,
    SpikeSourceArray,
    ValidationError,
)
from spikemem.interchange.nir_graph import from_nir, load_nir, save_nir, to_nir  # noqa: E402

CI = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

CELL = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0,
                 tau_refrac=1.0)


def _networks():
    """A recurrent network with per-synapse delays (the generic target) and a feed-forward one
    that the peers' targets (no Delay nodes) can hold, plus delta cells."""
    rich = Network([Population("S", 3, SpikeSourceArray()), Population("A", 3, CELL), Population("B", 2, CELL),
                    Population("D", 2, IFCurrDelta(cm=1.0, tau_m=5.0, v_rest=-60.0, v_reset=-60.0, v_thresh=-58.0))],
                   [Projection("in", "S", "A", OneToOneConnector(), 2.0, np.array([1.0, 2.0, 3.0])),
                    Projection("lat", "A", "A", AllToAllConnector(allow_self_connections=False), 1.5, 2.0, "inhibitory"),
                    Projection("ab", "A", "B", AllToAllConnector(), 0.3, 1.0),
                    Projection("ba", "B", "A", FromListConnector(((0, 1), (1, 2))), 4.0, 3.0),
                    Projection("bd", "B", "D", AllToAllConnector(), 0.5, 1.0)],
                   Simulation(dt=1.0), Recording(spikes=("A", "B", "D")), name="rich")
    peer = replace(CELL, tau_refrac=0.0)
    simple = Network([Population("S", 3, SpikeSourceArray()), Population("A", 3, peer), Population("B", 2, peer)],
                     [Projection("sa", "S", "A", OneToOneConnector(), 2.0, 1.0),
                      Projection("ab", "A", "B", AllToAllConnector(), 0.5, 1.0)],
                     Simulation(dt=1.0), Recording(spikes=("B",)), name="simple")
    return {"generic": to_nir(rich), "generic-simple": to_nir(simple), "norse": to_nir(simple, target="norse"),
            "snntorch": to_nir(simple, target="snntorch")}


GRAPHS = _networks()
VALUES = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, 1e308, 1e-300, None, "x", True, [], [[]], [1.0, "a"],
                     [[1.0, 2.0], [3.0]]]),
    st.builds(np.zeros, st.sampled_from([(0,), (0, 3), (1,), (2,), (3,), (2, 3), (3, 3), (3, 2), (2, 3, 4)])),
    st.builds(lambda shape, v: np.full(shape, v), st.sampled_from([(1,), (2,), (3,), (3, 3), (2, 3)]),
              st.sampled_from([math.nan, -1.0, 0.5, math.inf])),
    st.floats(allow_nan=True, allow_infinity=True),
)
META_KEYS = ["dt_ms", "scheme", "name", "tau_refrac_ms", "onset_ms", "v_init_mV", "cm_nF", "v_rest_mV",
             "spikemem_target", "spikemem_skew_steps"]


def _set(node, field, value):
    try:
        object.__setattr__(node, field, value)
    except (AttributeError, TypeError):
        pass


@st.composite
def mutated_graph(draw):
    name = draw(st.sampled_from(sorted(GRAPHS)))
    base = GRAPHS[name]
    nodes = {k: copy.copy(v) for k, v in base.nodes.items()}
    edges = list(base.edges)
    meta = dict(base.metadata or {})
    for _ in range(draw(st.integers(1, 3))):
        keys = sorted(nodes)
        action = draw(st.sampled_from(["param", "param", "param", "drop_edge", "add_edge", "cycle", "drop_node",
                                       "unknown", "node_meta", "graph_meta", "input_type", "copy_node", "rename"]))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        node = nodes[key]
        if action == "param":
            fields = sorted(f for f in vars(node) if f not in ("metadata", "input_type", "output_type"))
            if fields:
                _set(node, draw(st.sampled_from(fields)), draw(VALUES))
        elif action == "drop_edge" and edges:
            edges.pop(draw(st.integers(0, len(edges) - 1)))
        elif action == "add_edge":
            edges.append((draw(st.sampled_from(keys)), draw(st.sampled_from(keys + ["ghost", 3]))))
        elif action == "cycle":
            a, b = draw(st.sampled_from(keys)), draw(st.sampled_from(keys))
            edges += [(a, b), (b, a)]
        elif action == "drop_node":
            del nodes[key]
        elif action == "unknown":
            nodes[key] = draw(st.sampled_from([nir.Threshold(np.ones(3)), nir.Conv1d(
                input_shape=3, weight=np.ones((1, 1, 1)), stride=1, padding=0, dilation=1, groups=1, bias=np.zeros(1))]))
        elif action == "node_meta":
            _set(node, "metadata", dict(getattr(node, "metadata", None) or {},
                                        **{draw(st.sampled_from(META_KEYS)): draw(VALUES)}))
        elif action == "graph_meta":
            meta[draw(st.sampled_from(META_KEYS))] = draw(VALUES)
        elif action == "input_type":
            _set(node, "input_type", draw(st.sampled_from([None, {}, {"input": None}, {"input": np.array([0])},
                                                           {"input": np.array([-1])}, {"input": np.array([2.5])},
                                                           {"input": np.array([0, 3])}, {"input": np.array([1, 2, 3])},
                                                           {"input": np.array([7])}, {"input": "x"}])))
        elif action == "copy_node":
            nodes[key] = copy.copy(nodes[draw(st.sampled_from(keys))])
        else:
            nodes[key + "2"] = nodes.pop(key)
    g = nir.NIRGraph.__new__(nir.NIRGraph)
    for attr, value in (("nodes", nodes), ("edges", edges), ("metadata", meta),
                        ("input_type", getattr(base, "input_type", {})), ("output_type", getattr(base, "output_type", {}))):
        object.__setattr__(g, attr, value)
    return g, draw(st.sampled_from([None, None, "nir", "norse", "norse.from_nir", "snntorch"]))


def _import(graph, semantics):
    with np.errstate(all="ignore"):
        try:
            return from_nir(graph, semantics=semantics)
        except SpikememError:
            return None


def test_the_unmutated_graphs_import():
    for name, g in GRAPHS.items():
        assert _import(g, None) is not None, name


@CI
@given(mutated_graph())
def test_mutated_nir_graphs_import_or_give_declared_errors(case):
    _import(*case)


@pytest.mark.parametrize("field, value, match", [
    ("A.tau_mem", math.nan, r"A\.tau_mem=nan: must be finite"),
    ("A.tau_syn", 0.0, r"A\.tau_syn=0\.0: must be finite and > 0"),
    ("A.v_threshold", None, r"A\.v_threshold=None: a CubaLIF node needs it"),
    ("ab.weight", np.array(["a"]), r"ab\.weight='?\[?'?a"),
])
def test_a_bad_parameter_is_named(field, value, match):
    g = copy.deepcopy(GRAPHS["generic-simple"])
    key, attr = field.split(".")
    object.__setattr__(g.nodes[key], attr, value)
    with pytest.raises(ValidationError, match=match):
        from_nir(g)


@pytest.mark.parametrize("kw, match", [
    ({"semantics": ["nir"]}, r"semantics=\['nir'\]: must be one of"), ({"semantics": "x"}, r"semantics='x'"),
    ({"dt": math.nan}, r"dt=nan: must be a finite number"), ({"dt": "1"}, r"dt='1': must be a number"),
    ({"dt": 0}, r"dt=0: must be > 0"),
])
def test_bad_arguments_are_named(kw, match):
    with pytest.raises(ValidationError, match=match):
        from_nir(GRAPHS["generic-simple"], **kw)


@pytest.mark.parametrize("path, match", [(None, "path=None: must be a file path"), ("/no/such.nir", "no such file"),
                                         (".", "is not a file")])
def test_a_path_that_is_not_a_nir_file_is_named(path, match):
    with pytest.raises(ValidationError, match=match):
        load_nir(path)


def test_an_edge_to_a_missing_node_is_named():
    g = copy.deepcopy(GRAPHS["generic-simple"])
    del g.nodes["B-out"]
    with pytest.raises(ValidationError, match=r"graph\.edges=\('B', 'B-out'\): 'B-out' is not a node"):
        from_nir(g)


@CI
@given(st.sampled_from(["cut", "flip", "empty", "text"]), st.integers(0, 10**6), st.binary(min_size=1, max_size=8))
def test_damaged_nir_files_give_declared_errors(tmp_path_factory, how, at, junk):
    path = tmp_path_factory.mktemp("nir") / "g.nir"
    save_nir(to_nir_source(), path)
    raw = path.read_bytes()
    i = at % len(raw)
    raw = {"cut": raw[:i], "flip": raw[:i] + junk + raw[i + len(junk):], "empty": b"", "text": b"{}"}[how]
    path.write_bytes(raw)
    try:
        load_nir(path)
    except SpikememError:
        pass


def to_nir_source():
    return Network([Population("S", 2, SpikeSourceArray()), Population("A", 2, CELL)],
                   [Projection("sa", "S", "A", OneToOneConnector(), 2.0, 1.0)], Simulation(dt=1.0),
                   Recording(spikes=("A",)), name="small")
