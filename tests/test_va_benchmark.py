"""The Vogels-Abbott benchmark network (models/va): it fires at the rates such a network has, the
same spikes on every engine, and `spikemem bench va` measures it (rows, not timings)."""
import json

import numpy as np
import pytest

from spikemem import get_backend
from spikemem.errors import ValidationError
from spikemem.models.va import va_network
from spikemem.models.va.network import weights


def _rates(res, duration_ms, since_ms=0.0):
    """Hz per population over [since_ms, duration_ms)."""
    out = {}
    for pop in ("exc", "inh"):
        _, step, _ = res.spikes[pop]
        out[pop] = float((step * res.dt >= since_ms).sum()) / res.sizes[pop] / ((duration_ms - since_ms) / 1000.0)
    return out


def test_published_parameters():
    """The published network: 80/20, 2 %, the COBA weights in uS, the CUBA ones the conductances
    at -60 mV in nA (0.27 nS * 60 mV, 4.5 nS * 20 mV), the inhibitory sign from the receptor."""
    net = va_network("coba")
    sizes = {p.name: p.size for p in net.populations}
    assert (sizes["exc"], sizes["inh"]) == (3200, 800)
    assert {pr.connector.p_connect for pr in net.projections if pr.pre != "stim"} == {0.02}
    assert weights("coba")[:2] == pytest.approx((0.004, 0.051))
    assert weights("cuba")[:2] == pytest.approx((0.0162, 0.09))
    assert {pr.receptor for pr in net.projections if pr.pre == "inh"} == {"inhibitory"}
    assert net.population("exc").cell.kind == "IF_cond_exp" and va_network("cuba").population("exc").cell.kind == "IF_curr_exp"


@pytest.mark.parametrize("kind", ["coba", "cuba"])
def test_small_network_fires_plausibly_and_alike_on_torch(kind):
    """400 cells (80 inputs each, as the full network) for 100 ms: both populations fire at a few
    to tens of Hz, not silent and not saturated (the refractory period caps a cell at 200 Hz); torch
    in float64 gives the reference's spikes exactly."""
    torch = pytest.importorskip("torch")
    net = va_network(kind, 400)
    ref = get_backend("reference").run(net, 100.0)
    rates = _rates(ref, 100.0)
    assert all(3.0 <= r <= 150.0 for r in rates.values()), rates
    torch.set_num_threads(1)
    other = get_backend("torch", device="cpu", dtype="float64").run(net, 100.0)
    for pop in ("exc", "inh"):
        for a, b in zip(ref.spikes[pop], other.spikes[pop]):
            np.testing.assert_array_equal(a, b)


def test_full_network_sustains_its_activity():
    """4,000 cells: after the 50 ms stimulus the COBA network keeps firing on its own at the low
    asynchronous rates Vogels & Abbott report (a few to ~20 Hz), inhibitory cells no slower."""
    net = va_network("coba")
    res = get_backend("reference").run(net, 200.0)
    late = _rates(res, 200.0, since_ms=100.0)
    assert 3.0 <= late["exc"] <= 40.0 and 3.0 <= late["inh"] <= 40.0, late


def test_batches_are_trials_of_one_network():
    """Each trial draws its own stimulus (the Poisson source) on the same synapses and initial V."""
    net = va_network("cuba", 100)
    res = get_backend("reference").run(net, 30.0, batch=2)
    trial, step, neuron = res.spikes["exc"]
    a = set(zip(step[trial == 0], neuron[trial == 0]))
    b = set(zip(step[trial == 1], neuron[trial == 1]))
    assert a and b and a != b


def test_bad_arguments_are_named():
    with pytest.raises(ValidationError, match="kind"):
        va_network("hh")
    with pytest.raises(ValidationError, match="n"):
        va_network("coba", 3)
    with pytest.raises(ValidationError, match="p_connect"):
        va_network("coba", 40)          # 80 inputs from 40 cells cannot be


def test_nest_gives_the_engines_spikes():
    """CUBA on NEST (exact scheme) and on the reference engine: the same spikes over 40 ms (the same
    synapses, initial V and stimulus trains, integrated exactly by both)."""
    pytest.importorskip("pyNN.nest")
    net = va_network("cuba", 200)
    ref = get_backend("reference").run(net, 40.0)
    nest = get_backend("nest").run(net, 40.0)
    for pop in ("exc", "inh"):
        assert ref.count(pop) > 0
        for a, b in zip(ref.spikes[pop], nest.spikes[pop]):
            np.testing.assert_array_equal(a, b)


def test_bench_va_rows(capsys):
    """The benchmark prints one row per case; a batch past the budget is skipped and says so."""
    from spikemem.cli import main
    assert main(["bench", "va", "--kinds", "cuba", "--neurons", "100", "--duration", "20", "--batches", "1,2,1000",
                 "--engines", "reference", "--no-nest", "--budget", "5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["batch"] for r in rows] == [1, 2, 1000]
    assert all("error" not in r for r in rows), rows
    assert "run_s" in rows[1] and rows[1]["rate_exc"] == rows[0]["rate_exc"] > 0
    assert "skipped" in rows[2] and "budget" in rows[2]["skipped"]


@pytest.mark.parametrize("flag, value, named", [("--kinds", "hh", "--kinds"), ("--engines", "gpu", "--engines"),
                                                ("--batches", "0", "--batches"), ("--neurons", "40", "p_connect")])
def test_bench_va_refuses_bad_flags_in_one_line(capsys, flag, value, named):
    from spikemem.cli import main
    assert main(["bench", "va", "--no-nest", flag, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0]
