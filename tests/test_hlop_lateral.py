"""The Hebbian lateral module against closed-form expectations (PCA by SVD, orthonormality)."""
import pytest

torch = pytest.importorskip("torch")

from spikemem.models.hlop.lateral import Lateral, _orthogonal  # noqa: E402


def _data(n=2000, dim=40, rank=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    basis, _ = torch.linalg.qr(torch.randn(dim, rank, generator=g))
    scales = torch.linspace(3.0, 1.5, rank)
    return (torch.randn(n, rank, generator=g) * scales) @ basis.T + 0.01 * torch.randn(n, dim, generator=g)


def _captured(H, X):
    P = X @ H.T @ H
    return float((P * X).sum() / (X * X).sum())


def test_new_rows_are_orthonormal_and_old_ones_untouched():
    lat = Lateral(30, lr=0.01)
    g = torch.Generator().manual_seed(1)
    lat.add(5, g)
    assert torch.allclose(lat.H @ lat.H.T, torch.eye(5), atol=1e-5)
    lat.merge()
    old = lat.H.clone()
    lat.add(4, g)
    assert lat.H.shape == (9, 30) and lat.n_old == 5
    assert torch.allclose(lat.H[5:] @ lat.H[5:].T, torch.eye(4), atol=1e-5)
    lat.hebb(_data(200, 30, 4), iterations=5)
    assert torch.equal(lat.H[:5], old) and torch.equal(lat.D[:5], torch.zeros(5, 30))


def test_hebbian_rows_converge_to_the_principal_subspace():
    X = _data()
    lat = Lateral(40, lr=0.05)
    lat.add(6, torch.Generator().manual_seed(2))
    for b in range(0, len(X), 50):
        lat.hebb(X[b:b + 50], iterations=5)
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    ideal = float((S[:6] ** 2).sum() / (S ** 2).sum())
    assert lat.orthonormality_error() < 0.02
    assert _captured(lat.H, X) > ideal - 0.01
    # the learned projector equals the SVD one
    assert torch.allclose(lat.H.T @ lat.H, Vh[:6].T @ Vh[:6], atol=0.03)


def test_later_rows_learn_the_residual_only():
    """Deflation: rows of task 2 span the new directions, orthogonal to the frozen task-1 rows."""
    X1 = _data(dim=40, rank=4, seed=3)
    X2 = _data(dim=40, rank=4, seed=4)
    lat = Lateral(40, lr=0.05)
    g = torch.Generator().manual_seed(5)
    lat.add(4, g)
    for b in range(0, len(X1), 50):
        lat.hebb(X1[b:b + 50])
    lat.merge()
    lat.add(4, g)
    for b in range(0, len(X2), 50):
        lat.hebb(X2[b:b + 50])
    assert lat.orthonormality_error() < 0.05
    assert _captured(lat.H, torch.cat([X1, X2])) > 0.97
    r = lat.project_out(X1)                       # task-1 activity is removed by the frozen rows
    assert float((r * r).sum() / (X1 * X1).sum()) < 0.01


def test_momentum_and_clamp_follow_the_rule():
    lat = Lateral(3, lr=0.5)
    lat.H = torch.tensor([[1.0, 0.0, 0.0]])
    lat.D = torch.zeros(1, 3)
    R = torch.tensor([[100.0, 100.0, 0.0]])
    lat.hebb(R, iterations=1)
    # y = 100, x̂ = (100, 0, 0), ΔH = y (x − x̂) = (0, 10000, 0) → clamp 10; D = 0.1·ΔH; H += 0.5·D
    assert torch.allclose(lat.D, torch.tensor([[0.0, 1.0, 0.0]]))
    assert torch.allclose(lat.H, torch.tensor([[1.0, 0.5, 0.0]]))


def test_spiking_lateral_neurons_quantise_rates():
    lat = Lateral(4, lr=0.01, spiking=True, scale=20.0, steps=40.0)
    y = torch.tensor([0.2, 0.26, -30.0, 7.0])
    assert torch.allclose(lat.quantise(y), torch.tensor([0.0, 0.5, -20.0, 7.0]))


def test_orthogonal_init_wide_and_tall():
    g = torch.Generator().manual_seed(0)
    A = _orthogonal(3, 10, g)
    B = _orthogonal(10, 3, g)
    assert torch.allclose(A @ A.T, torch.eye(3), atol=1e-5)
    assert torch.allclose(B.T @ B, torch.eye(3), atol=1e-5)


def test_new_rows_started_against_the_old_ones_stay_orthogonal_to_them():
    """Oja's rule removes a new row's overlap with the frozen subspace only slowly; started orthogonal
    to it, the rows stay (nearly) so while they learn, and HᵀH stays a projector."""
    X1, X2 = _data(2000, 40, 4, seed=6), _data(400, 40, 4, seed=7)
    for against in (False, True):
        lat = Lateral(40, lr=0.05)
        g = torch.Generator().manual_seed(8)
        lat.add(4, g)
        for b in range(0, len(X1), 50):
            lat.hebb(X1[b:b + 50])
        lat.merge()
        assert lat.orthonormality_error() < 0.02
        lat.add(4, g, against_old=against)
        start = float((lat.H[4:] @ lat.H[:4].T).abs().max())
        for b in range(0, len(X2), 50):
            lat.hebb(X2[b:b + 50])
        overlap = float((lat.H[4:] @ lat.H[:4].T).abs().max())
        if against:
            assert start < 1e-6 and overlap < 0.02
        else:
            assert start > 0.1 and overlap > 0.05          # the reference init: the overlap decays slowly
