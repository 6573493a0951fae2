"""EWC baseline: Fisher from squared gradients, averaged over tasks, and a capped quadratic penalty."""
import pytest

torch = pytest.importorskip("torch")

from spikemem.models.hlop.ewc import EWC  # noqa: E402
from spikemem.models.hlop.model import SpikingMLP  # noqa: E402


def test_fisher_average_and_penalty_gradient():
    model = SpikingMLP(6, 8, 3, T=4, generator=torch.Generator().manual_seed(0))
    x, y = torch.randn(5, 6), torch.tensor([0, 1, 2, 0, 1])
    ewc = EWC(lam=10.0, lr=0.1)
    ewc.consolidate(model, [(x, y, 0)], task=0)
    logits, _ = model(x)
    grads = torch.autograd.grad(torch.nn.functional.cross_entropy(logits, y), list(model.weights))
    for f, g in zip(ewc.fisher, grads):
        torch.testing.assert_close(f, g ** 2)
    f0 = [f.clone() for f in ewc.fisher]
    ewc.consolidate(model, [(x, y, 0), (x, y, 0)], task=1)            # same data: the average is unchanged
    for a, b in zip(ewc.fisher, f0):
        torch.testing.assert_close(a, b)
    with torch.no_grad():
        for w in model.weights:
            w.add_(0.5)
    pen = ewc.penalty(model)
    pen.backward()
    cap = 1.0 / (0.1 * 10.0)
    for w, f in zip(model.weights, ewc.fisher):
        torch.testing.assert_close(w.grad, 10.0 * f.clamp(max=cap) * 0.5)
    assert float(pen.detach()) == pytest.approx(sum(float(0.5 * 10.0 * (f.clamp(max=cap) * 0.25).sum()) for f in ewc.fisher), rel=1e-5)
