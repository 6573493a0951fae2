"""snnTorch and Norse backends: their cells inside the batched engine, scored by the harness.

Exactness is measured against the numpy reference; the functional experiment is scored
against the ideal memory with the shared harness scoring.
"""
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spikemem.models.ca3 import CA3Params, build_cam, protocol  # noqa: E402
from spikemem.models.ca3 import cases as hc  # noqa: E402

from spikemem import IFCurrExp, UnsupportedFeature, ValidationError, get_backend  # noqa: E402

EXACT_CONFIGS = [("snntorch", {}), ("norse", {}), ("norse", {"integration": "exact"})]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def need(backend):
    pytest.importorskip({"snntorch": "snntorch", "norse": "norse.torch"}[backend])


def functional_counts(backend, **opts):
    case = hc.functional()
    res = get_backend(backend, **opts).run(build_cam(case.C, case.N), case.sim_time_ms,
                                           inputs=protocol.input_events([case]))
    return protocol.score_cases(res, [case]).counts()["overall"]


def flips(backend, scheme, dtype="float64", trials=4, **opts):
    """(differing spikes, reference spikes) on a batch of random CA3 sequences."""
    cs = [hc.random_case(12, 12, 40, seed=s) for s in range(trials)]
    net = build_cam(12, 12, replace(CA3Params(), scheme=scheme))
    dur, inputs = max(c.sim_time_ms for c in cs), protocol.input_events(cs)
    ref = get_backend("reference").run(net, dur, inputs=inputs)
    got = get_backend(backend, dtype=dtype, **opts).run(net, dur, inputs=inputs)
    assert got.backend == backend
    return sum(int((ref.spike_matrix(p) != got.spike_matrix(p)).sum()) for p in ref.spikes), ref.count()


@pytest.mark.parametrize("backend,opts", EXACT_CONFIGS + [("norse", {"integration": "substep"})])
def test_functional_experiment_is_recalled_perfectly(backend, opts):
    need(backend)
    assert functional_counts(backend, **opts) == (9, 9)


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
@pytest.mark.parametrize("backend,opts", EXACT_CONFIGS)
def test_library_cells_reproduce_the_reference_spikes(backend, opts, scheme):
    need(backend)
    diff, total = flips(backend, scheme, **opts)
    assert total > 1000 and diff == 0


@pytest.mark.parametrize("scheme", ["spinnaker", "exact"])
def test_norse_substeps_converge_to_the_reference(scheme):
    need("norse")
    coarse, total = flips("norse", scheme, trials=2, integration="substep", substeps=2)
    fine, _ = flips("norse", scheme, trials=2, integration="substep", substeps=40)
    assert fine < coarse
    assert fine <= 0.01 * total


def test_norse_native_euler_is_refused_where_unstable():
    need("norse")
    case = hc.functional()
    with pytest.raises(UnsupportedFeature, match=r"tau_syn=0.3 ms is unstable.*substep"):
        get_backend("norse", integration="euler").run(build_cam(case.C, case.N), 10.0,
                                                       inputs=protocol.input_events([case]))


def test_norse_native_euler_runs_where_stable():
    """PyNN's default cell (tau_m 20 ms, tau_syn 5 ms) is Euler-stable at dt = 1 ms: close, not exact."""
    need("norse")
    from spikemem import (
        Network,
        OneToOneConnector,
        Population,
        Projection,
        Simulation,
        SpikeSourceArray,
    )
    net = Network([Population("s", 20, SpikeSourceArray()), Population("n", 20, IFCurrExp(tau_refrac=2.0))],
                  [Projection("p", "s", "n", OneToOneConnector(), 1.5, 1.0)], Simulation(1.0, "exact"))
    rng = np.random.default_rng(1)
    inputs = {"s": [[sorted(set(rng.integers(0, 300, 60).astype(float))) for _ in range(20)] for _ in range(2)]}
    ref = get_backend("reference").run(net, 300, inputs=inputs)
    eul = get_backend("norse", integration="euler", dtype="float64").run(net, 300, inputs=inputs)
    assert ref.count("n") > 50
    assert abs(eul.count("n") - ref.count("n")) <= 0.25 * ref.count("n")


@pytest.mark.parametrize("backend", ["snntorch", "norse"])
def test_distinct_synaptic_time_constants_are_refused(backend):
    need(backend)
    p = CA3Params()
    net = build_cam(3, 3, replace(p, slow=replace(p.slow, tau_syn_I=1.0)))
    with pytest.raises(UnsupportedFeature, match="tau_syn_I != tau_syn_E"):
        get_backend(backend).run(net, 5.0)


def test_snntorch_refuses_i_offset_into_exponential_cells_and_declares_it():
    """snntorch.Synaptic has no membrane input; an IFCurrDelta's i_offset is a constant input and runs."""
    from spikemem.description.features import missing_features
    need("snntorch")
    p = CA3Params()
    be = get_backend("snntorch")
    net = build_cam(3, 3, replace(p, slow=replace(p.slow, i_offset=0.1)))
    assert missing_features(be, net) == ["cell.i_offset.exp"]
    with pytest.raises(UnsupportedFeature, match="i_offset into IFCurrExp"):
        be.run(net, 5.0)


def test_norse_options_are_validated():
    need("norse")
    with pytest.raises(ValidationError, match="integration"):
        get_backend("norse", integration="rk4")
    with pytest.raises(ValidationError, match="substeps"):
        get_backend("norse", integration="substep", substeps=0)
    with pytest.raises(ValidationError, match="device"):
        get_backend("norse", device="cuda:x")


@pytest.mark.gpu
@pytest.mark.parametrize("backend", ["snntorch", "norse"])
def test_cuda_functional(backend):
    need(backend)
    assert functional_counts(backend, device="cuda") == (9, 9)
