"""Conv export: the connection lists reproduce torch's conv ∘ batch norm ∘ pooling maps, heads per task, ResNet refused."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

import torch.nn.functional as F  # noqa: E402

from spikemem import UnsupportedFeature  # noqa: E402
from spikemem.models.hlop import dsr, export  # noqa: E402
from spikemem.models.hlop.convnets import SpikingCNN, SpikingResNet18  # noqa: E402
from spikemem.models.hlop.export_conv import cnn_to_network  # noqa: E402


def _dense(net, pre, post):
    """Signed weights post × pre summed over the projections pre → post."""
    n_pre, n_post = net.population(pre).size, net.population(post).size
    D = np.zeros((n_post, n_pre))
    for pr in net.projections:
        if pr.pre == pre and pr.post == post:
            i, j, w, _ = pr.connections(n_pre, n_post)
            np.add.at(D, (j, i), w if pr.receptor == "excitatory" else -w)
    return D


@pytest.fixture(scope="module")
def model():
    g = torch.Generator().manual_seed(0)
    m = SpikingCNN((2, 9, 9), 3, T=2, channels=(3, 4, 5), generator=g)
    m.add_head(g)
    m.add_head(g)
    with torch.no_grad():
        for bn in m.bns:
            bn.running_mean.uniform_(-0.5, 0.5, generator=g)
            bn.running_var.uniform_(0.5, 2.0, generator=g)
            bn.weight.uniform_(0.5, 1.5, generator=g)
            bn.bias.uniform_(-0.3, 0.3, generator=g)
        for v, val in zip(m.vth, (0.2, 0.35, 0.5)):
            v.fill_(val)
        for b in m.head_b:
            b.uniform_(-0.2, 0.2, generator=g)
    return m.eval()


def test_connection_lists_reproduce_the_torch_layers(model):
    mean, std = (0.2, 0.4), (0.3, 0.5)
    rho = export.RATE
    net = cnn_to_network(model, mean, std, (2, 9, 9))
    gain = export.CM * export.THETA / export.TAU_SYN
    sizes = {p.name: p.size for p in net.populations}
    assert sizes == {"input": 162, "bias": 1, "conv1": 243, "conv2": 64, "conv3": 20, "output0": 3, "output1": 3}
    rng = np.random.default_rng(1)
    v = [float(x.detach()) for x in model.vth]
    k = [dsr.DT / (dsr.TAU * x) for x in v]
    # layer 1: pixels p at ρ·p per ms; drive (charge per ms / τ_syn) must be ρ·k·gain·BN(conv((p − μ)/σ))
    p = rng.random((2, 9, 9))
    x = (torch.as_tensor(p)[None] - torch.tensor(mean).view(1, 2, 1, 1)) / torch.tensor(std).view(1, 2, 1, 1)
    with torch.no_grad():
        c1 = model.bns[0](F.conv2d(x.float(), model.convs[0], padding=1)).double().numpy().ravel()
    drive = rho * _dense(net, "input", "conv1") @ p.ravel() + _dense(net, "bias", "conv1")[:, 0]
    np.testing.assert_allclose(drive, rho * k[0] * gain * c1, rtol=1e-4, atol=1e-6)
    # layers 2, 3: spike fractions f of the pre-pooling neurons; input h = avgpool(f)·Vth/Δt
    for i, (pre, post, shape) in enumerate((("conv1", "conv2", (3, 9, 9)), ("conv2", "conv3", (4, 4, 4))), start=1):
        f = rng.random(shape)
        h = F.avg_pool2d(torch.as_tensor(f)[None], 2) * v[i - 1] / dsr.DT
        with torch.no_grad():
            c = model.bns[i](F.conv2d(h.float(), model.convs[i], padding=1)).double().numpy().ravel()
        drive = rho * _dense(net, pre, post) @ f.ravel() + _dense(net, "bias", post)[:, 0]
        np.testing.assert_allclose(drive, rho * k[i] * gain * c, rtol=1e-4, atol=1e-6)
    # heads: potential rate ρ·(CM/τ_syn)·logits of each task's head
    f = rng.random((5, 2, 2))
    feat = (F.avg_pool2d(torch.as_tensor(f)[None], 2) * v[2] / dsr.DT).flatten(1).float()
    for t in (0, 1):
        with torch.no_grad():
            logits = model.heads(feat, t).double().numpy()[0]
        drive = rho * _dense(net, "conv3", f"output{t}") @ f.ravel() + _dense(net, "bias", f"output{t}")[:, 0]
        np.testing.assert_allclose(drive, rho * export.CM / export.TAU_SYN * logits, rtol=1e-4, atol=1e-6)


def test_shared_classifier_has_one_output_population():
    m = SpikingCNN((1, 4, 4), 2, T=1, channels=(2, 2, 2), multi_head=False)
    net = cnn_to_network(m.eval(), 0.0, 1.0, (1, 4, 4))
    assert [p.name for p in net.populations if p.name.startswith("output")] == ["output"]


def test_residual_networks_are_refused_naming_the_layer():
    with pytest.raises(UnsupportedFeature, match=r"blocks\.0"):
        cnn_to_network(SpikingResNet18((3, 8, 8), 2, T=1, nf=2), 0.0, 1.0, (3, 8, 8))
