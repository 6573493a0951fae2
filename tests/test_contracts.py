"""Every shipped backend, array library, neuron plug-in and memory model satisfies its Protocol
(spikemem.contracts), checked by isinstance and by a real call through the contract."""
import numpy as np
import pytest

from spikemem import (AllToAllConnector, IFCurrExp, Network, Population, Projection, Recording, Simulation,
                      SpikeSourceArray, get_backend)
from spikemem.contracts import ArrayOps, Backend, MemoryModel, Neurons, Session, SessionBackend
from spikemem.registry import backend_status, registered_backends

CELL = IFCurrExp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60, v_reset=-60, v_thresh=-57,
                 tau_refrac=1.0)


def _net(scheme):
    return Network([Population("src", 2, SpikeSourceArray(((1.0, 6.0), (3.0,)))), Population("a", 2, CELL)],
                   [Projection("p", "src", "a", AllToAllConnector(), 4.0, 1.0)], Simulation(dt=1.0, scheme=scheme),
                   Recording(v=("a",)))


SCHEME = {"nest": "exact", "brian2": "exact", "pynn": "exact"}


@pytest.mark.parametrize("name", registered_backends())
def test_every_backend_satisfies_the_backend_protocol(name):
    status = {s.name: s for s in backend_status()}[name]
    if not status.available:
        pytest.skip(f"{name}: {status.install}")
    be = get_backend(name)
    assert isinstance(be, Backend)
    assert type(be).is_available() is True                 # a classmethod, asked before construction
    assert set(be.unsupported) <= set(__import__("spikemem.description.features", fromlist=["FEATURES"]).FEATURES)
    scheme = SCHEME.get(name, "spinnaker")
    res = be.run(_net(scheme), 12.0)
    ref = get_backend("reference").run(_net(scheme), 12.0)
    assert res.sizes == ref.sizes and res.steps == 12 and res.batch == 1
    if name != "spinnaker":                                 # a virtual board records nothing
        assert res.spike_list("a") == ref.spike_list("a") and res.count("a") > 0


@pytest.mark.parametrize("name", ["reference", "torch", "snntorch", "norse", "nest"])
def test_every_session_satisfies_the_session_protocol(name):
    """What the CA3 memory reads of a session (rollback, input_lead_ms, time_ms) is in the contract."""
    status = {s.name: s for s in backend_status()}[name]
    if not status.available:
        pytest.skip(f"{name}: {status.install}")
    be = get_backend(name)
    assert isinstance(be, SessionBackend)
    s = be.session(_net(SCHEME.get(name, "spinnaker")))
    try:
        assert isinstance(s, Session)
        first = s.run(6.0)
        assert s.time_ms == 6.0 and isinstance(s.rollback, bool) and s.input_lead_ms >= 0
        rest = s.run(12.0)
        whole = get_backend("reference").run(_net(SCHEME.get(name, "spinnaker")), 12.0)
        assert first.spike_list("a") + rest.spike_list("a") == whole.spike_list("a")
    finally:
        getattr(s, "close", lambda: None)()


def test_an_incomplete_backend_does_not_satisfy_the_protocol():
    class NoAvailability:
        name, unsupported = "x", frozenset()

        def run(self, network, duration_ms, inputs=None, batch=None):
            return None

    assert not isinstance(NoAvailability(), Backend)


def test_both_array_libraries_satisfy_array_ops():
    from spikemem.engine.array_engine import run_engine
    from spikemem.engine.numpy_ops import NumpyOps
    libs = [NumpyOps()]
    try:
        from spikemem.engine.torch_ops import TorchOps
        libs.append(TorchOps("cpu", "float64"))
    except ImportError:
        pass
    ref = run_engine(_net("spinnaker"), 12.0, None, None, "numpy")
    for ops in libs:
        assert isinstance(ops, ArrayOps)
        res = run_engine(_net("spinnaker"), 12.0, None, None, "ops", ops=ops)
        np.testing.assert_array_equal(res.v["a"], ref.v["a"])
    assert not isinstance(object(), ArrayOps)


def _neuron_factories():
    from spikemem.engine.array_engine import IFNeurons
    out = [("IFNeurons", IFNeurons, None)]
    try:
        from spikemem.backends.snntorch import SynapticNeurons
        from spikemem.engine.torch_ops import TorchOps
        out.append(("snntorch", SynapticNeurons, TorchOps("cpu", "float64")))
        from spikemem.backends.norse import NorseNeurons
        out.append(("norse", lambda e: NorseNeurons(e, "exact", None), TorchOps("cpu", "float64")))
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("label, factory, ops", _neuron_factories(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_neuron_plugin_satisfies_neurons(label, factory, ops):
    from spikemem.engine.array_engine import Engine, run_engine
    from spikemem.engine.flatten import flatten
    engine = Engine(flatten(_net("spinnaker")), 2, ops, factory if label != "IFNeurons" else None)
    assert isinstance(engine.neurons, Neurons)
    arrived = engine.ops.zeros((2, engine.width))      # exc | inh columns (IFNeurons may merge them)
    arrived[:, 0] = 4.0                                    # 4 nA excitatory on neuron 0 of both trials
    v = engine.ops.numpy(engine.neurons.membrane(engine, arrived))
    assert v.shape == (2, 2) and np.all(v[:, 0] > -60.0) and np.all(v[:, 1] == -60.0)
    res = run_engine(_net("spinnaker"), 12.0, None, None, label, ops, factory if label != "IFNeurons" else None)
    assert res.spike_list("a") == get_backend("reference").run(_net("spinnaker"), 12.0).spike_list("a")


def test_the_ca3_memory_satisfies_memory_model():
    from spikemem.harness.runner import memory_model, run_case_batch
    mem = memory_model("ca3")
    assert isinstance(mem, MemoryModel)
    case = mem.published_cases()["functional"]()
    C, N = mem.random_size
    assert mem.random_case(C, N, 5, seed=1).C == C and isinstance(mem.network(C, N), Network)
    report, reason = run_case_batch([case], "reference", "faithful", "ca3")
    assert reason is None and report.counts()["overall"] == (9, 9)
    assert not isinstance(object, MemoryModel)
