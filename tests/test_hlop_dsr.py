"""DSR LIF neurons and the projected weight gradient against hand-computed values (docs/hlop.md, 3 and 4)."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spikemem.models.hlop import dsr  # noqa: E402
from spikemem.models.hlop.lateral import Lateral  # noqa: E402
from spikemem.models.hlop.model import SpikingMLP  # noqa: E402


def _lif_numpy(current, vth, T):
    beta = math.exp(-dsr.DT / dsr.TAU)
    u, out = np.zeros_like(current[0]), []
    for t in range(T):
        u = beta * u + (1 - beta) * current[t]
        spk = u >= dsr.ALPHA * vth
        u = u - vth * spk
        out.append(spk * vth / dsr.DT)
    return np.stack(out)


def test_lif_forward_matches_the_update_equations():
    rng = np.random.default_rng(0)
    cur = rng.normal(0.5, 1.0, size=(12, 3, 7)).astype(np.float32)
    got = dsr.lif_forward(torch.as_tensor(cur), 0.3, 12).numpy()
    np.testing.assert_allclose(got, _lif_numpy(cur, 0.3, 12), rtol=1e-5)
    const = dsr.lif_forward(torch.as_tensor(cur[0]), 0.3, 12).numpy()
    np.testing.assert_allclose(const, _lif_numpy(np.repeat(cur[:1], 12, 0), 0.3, 12), rtol=1e-5)


def test_weighted_rate_weights():
    w = dsr.rate_weights(20).numpy()
    raw = np.exp(-(20 * 0.05 - np.arange(1, 21) * 0.05) / 1.0)
    np.testing.assert_allclose(w, raw / raw.sum(), rtol=1e-6)
    assert raw[0] == pytest.approx(math.exp(-0.95)) and raw[-1] == 1.0


def test_dsr_backward_is_the_rate_map_gradient():
    torch.manual_seed(0)
    T, B, N, O = 8, 4, 5, 6
    x = torch.rand(T, B, N) * 6
    W = torch.randn(O, N, requires_grad=True)
    vth = torch.tensor(0.3, requires_grad=True)
    xin = x.clone().requires_grad_(True)
    row = x.mean(0)
    out = dsr.DenseDSR.apply(xin, W, vth, row, T)
    g_out = torch.randn(T, B, O)
    out.backward(g_out)
    # hand formulas: a = wfr(I), g = T·wfr(δ), d = g/τ·1[0<a<Vth τ/Δt]
    w = dsr.rate_weights(T)
    a = torch.einsum("t,tbo->bo", w, x @ W.detach().T)
    g = T * torch.einsum("t,tbo->bo", w, g_out)
    up = 0.3 * dsr.TAU / dsr.DT
    d = g / dsr.TAU * ((a > 0) & (a < up)).float()
    torch.testing.assert_close(W.grad, d.T @ row)
    torch.testing.assert_close(xin.grad, (d @ W.detach() / T).expand(T, B, N))
    torch.testing.assert_close(vth.grad, dsr.DT * (g * (a > up).float()).sum())


def test_projected_gradient_is_orthogonal_to_the_old_subspace():
    torch.manual_seed(1)
    model = SpikingMLP(12, 16, 3, T=5, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(3)
    for lat in model.laterals:
        lat.add(4, g)
        lat.merge()
    x = torch.randn(10, 12)
    logits, _ = model(x, project=True)
    torch.nn.functional.cross_entropy(logits, torch.arange(10) % 3).backward()
    for W, lat in zip(model.weights, model.laterals):
        Ho = lat.H[:lat.n_old]
        assert W.grad.abs().max() > 0
        assert (W.grad @ Ho.T).abs().max() < 1e-4 * W.grad.abs().max()
    # without projection the gradient does have components there
    model.zero_grad()
    logits, _ = model(x, project=False)
    torch.nn.functional.cross_entropy(logits, torch.arange(10) % 3).backward()
    W = model.weights[0]
    assert (W.grad @ model.laterals[0].H.T).abs().max() > 1e-3 * W.grad.abs().max()


def test_projection_keeps_old_inputs_outputs_fixed():
    """A projected SGD step leaves W·x unchanged for x in the frozen subspace (HLOP's guarantee)."""
    lat = Lateral(8, 0.01)
    lat.add(3, torch.Generator().manual_seed(0))
    lat.merge()
    x_old = torch.randn(5, 3) @ lat.H                   # inputs inside the old subspace
    W = torch.randn(4, 8, requires_grad=True)
    y = dsr.LinearGradRow.apply(torch.randn(6, 8), W, lat.project_out(torch.randn(6, 8)))
    y.sum().backward()
    torch.testing.assert_close((W - 0.1 * W.grad) @ x_old.T, W @ x_old.T)


def test_bptt_variant_runs_on_snntorch():
    pytest.importorskip("snntorch")
    model = SpikingMLP(12, 16, 3, T=4, neuron="bptt", generator=torch.Generator().manual_seed(0))
    for lat in model.laterals:
        lat.add(3, torch.Generator().manual_seed(1))
        lat.merge()
    logits, rows = model(torch.randn(5, 12))
    assert logits.shape == (5, 3) and rows[1].shape == (4 * 5, 16)
    torch.nn.functional.cross_entropy(logits, torch.zeros(5, dtype=torch.long)).backward()
    model.project_weight_grads()
    for W, lat in zip(model.weights, model.laterals):
        assert (W.grad @ lat.H.T).abs().max() < 1e-4 * max(float(W.grad.abs().max()), 1e-12) + 1e-8
