"""Export of a trained DSR network to a spikemem Network, run on the reference engine."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from spikemem import Network, UnsupportedFeature  # noqa: E402
from spikemem.models.hlop import dsr, export  # noqa: E402
from spikemem.models.hlop.config import make_config  # noqa: E402
from spikemem.models.hlop.model import SpikingMLP  # noqa: E402
from spikemem.models.hlop.train import Run  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    run = Run(make_config("digits", tasks=1, epochs=4, hidden=64, timesteps=10))
    run.run()
    return run


def test_structure_and_signed_weights(trained):
    d, model = trained.data, trained.model
    net = export.to_network(model, d.mean, d.std)
    sizes = {p.name: p.size for p in net.populations}
    assert sizes == {"input": 256, "bias": 1, "hidden1": 64, "hidden2": 64, "output": 10}
    W1 = model.weights[0].detach().double().numpy()
    exc, inh = net.projection("input_hidden1_exc"), net.projection("input_hidden1_inh")
    assert exc.receptor == "excitatory" and inh.receptor == "inhibitory"
    diff = np.asarray(exc.weight) - np.asarray(inh.weight)
    # one scale for the whole layer: k1·cm·θ/τ_syn/σ with k1 = Δt/(τ·Vth1)
    scale = dsr.DT / (dsr.TAU * float(model.vth[0].detach())) * export.CM * export.THETA / export.TAU_SYN / d.std
    np.testing.assert_allclose(diff, W1.T * scale, rtol=1e-9)
    assert np.all((np.asarray(exc.weight) == 0) | (np.asarray(inh.weight) == 0))


def test_saved_network_loads_back_equal(trained, tmp_path):
    net = export.to_network(trained.model, trained.data.mean, trained.data.std)
    net.save(tmp_path / "n.json")
    assert Network.load(tmp_path / "n.json") == net


def test_regular_input_trains_have_the_coded_rate():
    px = np.array([[0.0, 0.5, 1.0, 0.26]])
    ev = export.input_events(px, 100, rate=0.2)["input"]
    counts = np.bincount(ev.neuron, minlength=4)
    np.testing.assert_array_equal(counts, np.floor(100 * 0.2 * px[0] + 1e-9))


def test_reference_engine_classifies_like_torch(trained):
    d, model = trained.data, trained.model
    n = 60
    net = export.to_network(model, d.mean, d.std)
    px = (d.test_x[:n] * d.std + d.mean)[:, d.perms[0]]
    pred = export.classify(net, px, duration_ms=100)
    with torch.no_grad():
        ref = model(torch.as_tensor(np.ascontiguousarray(d.test_x[:n][:, d.perms[0]])))[0].argmax(1).numpy()
    assert (ref == d.test_y[:n]).mean() > 0.8                     # the torch model did learn
    assert (pred == ref).mean() >= 0.9
    assert (pred == d.test_y[:n]).mean() >= (ref == d.test_y[:n]).mean() - 0.1


def test_bptt_network_is_not_exported():
    pytest.importorskip("snntorch")
    model = SpikingMLP(4, 4, 2, T=2, neuron="bptt")
    with pytest.raises(UnsupportedFeature, match="BPTT"):
        export.to_network(model, 0.0, 1.0)
