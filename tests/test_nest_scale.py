"""NEST built through native connectors and run on several threads gives the reference's spikes."""
import pytest
from test_structured import assert_same

pytest.importorskip("pyNN")
pytest.importorskip("nest")

from spikemem import get_backend  # noqa: E402
from spikemem.backends.pynn.lowering import lower  # noqa: E402
from spikemem.backends.pynn.simulators import NEST  # noqa: E402
from spikemem.models.ca3 import build_cam, protocol  # noqa: E402
from spikemem.models.ca3 import cases as hc  # noqa: E402
from spikemem.models.ca3.variants import variant_params  # noqa: E402

P = variant_params("portable")


def run(backend, C=6, N=8):
    cases = [hc.random_case(C, N, 30, seed=4)]
    net = build_cam(C, N, P)
    return backend.run(net, cases[0].sim_time_ms, protocol.input_events(cases, P.dt))


def test_lowering_uses_native_connectors_where_they_mean_the_same():
    plain = lower(build_cam(4, 5, P), NEST)
    kinds = {pr["name"]: pr["connector"] for pr in plain["projections"]}
    assert kinds["in_cue"] == "one_to_one"
    assert kinds["cuecont_lateral_inhibition"] == "all_to_all"          # within one population: NEST drops i -> i too
    assert kinds["cue_inhibits_other_cuecont"] == "from_list"           # between two: only the list drops them
    assert kinds["cue_to_content_stdp"] == "all_to_all"
    assert {pr["synapses"] for pr in plain["projections"] if pr["name"] == "cue_inhibits_other_cuecont"} == {4 * 3}


def test_nest_spikes_equal_the_reference_and_do_not_depend_on_threads():
    ref = run(get_backend("reference"))
    one = run(get_backend("nest"))
    assert_same(one, ref)
    assert_same(run(get_backend("nest", threads=2)), one)


def test_threads_is_checked():
    from spikemem import ValidationError
    with pytest.raises(ValidationError, match="threads"):
        get_backend("nest", threads=0)
