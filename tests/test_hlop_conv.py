"""Conv HLOP: DSR LIF on feature maps, both projection forms, the reference layer sizes, frozen BN/thresholds."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from spikemem.models.hlop import dsr  # noqa: E402
from spikemem.models.hlop.config import layer_dims, make_config  # noqa: E402
from spikemem.models.hlop.conv import conv, patches, project_weight_grad  # noqa: E402
from spikemem.models.hlop.convnets import SpikingCNN, SpikingResNet18  # noqa: E402
from spikemem.models.hlop.lateral import Lateral  # noqa: E402


def _old(n_in, k, seed=0, spiking=False):
    lat = Lateral(n_in, 0.01, spiking=spiking, steps=40.0)
    lat.add(k, torch.Generator().manual_seed(seed))
    lat.merge()
    return lat


def test_lif_on_feature_maps_matches_the_dense_rate_map():
    torch.manual_seed(0)
    T, B = 6, 3
    cur = (torch.rand(T, B, 2, 4, 4) * 12 - 2).requires_grad_(True)
    vth = torch.tensor(0.3, requires_grad=True)
    out = dsr.LIF.apply(cur, vth, T, False)
    flat = dsr.lif_forward(cur.detach().reshape(T, B, -1), 0.3, T).reshape(out.shape)
    torch.testing.assert_close(out, flat)
    g = torch.randn_like(out)
    out.backward(g)
    w = dsr.rate_weights(T)
    a = torch.einsum("t,t...->...", w, cur.detach())
    gg = T * torch.einsum("t,t...->...", w, g)
    up = 0.3 * dsr.TAU / dsr.DT
    d = gg / dsr.TAU * ((a > 0) & (a < up)).float()
    torch.testing.assert_close(cur.grad, (d / T).expand(T, *d.shape))
    torch.testing.assert_close(vth.grad, dsr.DT * (gg * (a > up).float()).sum())


def test_input_and_weight_projection_agree_and_are_orthogonal():
    torch.manual_seed(1)
    T, B = 4, 2
    W = torch.randn(5, 3, 3, 3)
    lat = _old(27, 6)
    x = torch.rand(T * B, 3, 6, 6)
    gy = torch.randn(B, 5, 6, 6).repeat(T, 1, 1, 1)           # DSR with frozen BN: one error for all steps
    grads = []
    for mode in ("input", "weight", "plain"):
        w = W.clone().requires_grad_(True)
        y = conv(x, w, 1, 1, lat if mode == "input" else None, T)
        y.backward(gy)
        if mode == "weight":
            project_weight_grad(w, lat)
        grads.append(w.grad.reshape(5, -1))
    gin, gw, plain = grads
    torch.testing.assert_close(gin, gw, rtol=1e-4, atol=1e-4)
    Ho = lat.old_rows()
    assert (gin @ Ho.T).abs().max() < 1e-4 * gin.abs().max()
    assert (plain @ Ho.T).abs().max() > 1e-2 * plain.abs().max()
    # per-step patches by hand: Σ_n gy_n ⊗ (u_n − HoᵀHo u_n)
    u = patches(x, 3, 1, 1)
    u = u - (u @ Ho.T) @ Ho
    gflat = gy.flatten(2).transpose(1, 2).reshape(-1, 5)
    torch.testing.assert_close(gin, gflat.T @ u, rtol=1e-4, atol=1e-4)


def test_quantised_lateral_rates_use_the_per_step_patches():
    torch.manual_seed(2)
    T, B = 3, 2
    W = torch.randn(4, 2, 3, 3, requires_grad=True)
    lat = _old(18, 5, spiking=True)
    x = torch.rand(T * B, 2, 5, 5) * 3
    gy = torch.randn(B, 4, 5, 5).repeat(T, 1, 1, 1)
    conv(x, W, 1, 1, lat, T).backward(gy)
    u = patches(x, 3, 1, 1)
    u = u - lat.quantise(u @ lat.old_rows().T) @ lat.old_rows()
    gflat = gy.flatten(2).transpose(1, 2).reshape(-1, 4)
    torch.testing.assert_close(W.grad.reshape(4, -1), gflat.T @ u, rtol=1e-4, atol=1e-4)


def test_cifar_cnn_lateral_sizes_and_subspace_schedule_follow_the_reference():
    cfg = make_config("cifar100", tasks=10)
    model = SpikingCNN((3, 32, 32), 10, T=2, generator=torch.Generator().manual_seed(0))
    sizes = [lat.n_in for lat in model.laterals]
    assert sizes == [27, 576, 1152] and model.n_features == 4096
    assert layer_dims(cfg, sizes, 0) == (6, 100, 200)
    assert all(layer_dims(cfg, sizes, t) == (2, 20, 40) for t in range(1, 10))
    assert sum(np.array([layer_dims(cfg, sizes, t) for t in range(10)])).tolist() == [24, 280, 560]
    shared = SpikingCNN((3, 32, 32), 10, T=2, multi_head=False)
    assert [lat.n_in for lat in shared.laterals] == [27, 576, 1152, 4096]
    pm = make_config("pmnist")
    assert [layer_dims(pm, [784, 800, 800], t) for t in (0, 1, 3, 6, 9)] == [
        (80, 200, 100), (70, 70, 70), (50, 50, 50), (30, 30, 30), (10, 10, 10)]


def test_resnet18_lateral_sizes_follow_the_reference():
    five = SpikingResNet18((3, 32, 32), 10, T=1, nf=20)
    mini = SpikingResNet18((3, 84, 84), 5, T=1, nf=20, first_kernel=5)
    # docs/hlop.md, 6: conv1, then per block [conv1, conv2(, downsample)]
    blocks = [180, 180, 180, 180, 180, 360, 20, 360, 360, 360, 720, 40, 720, 720, 720, 1440, 80, 1440, 1440]
    assert [lat.n_in for lat in five.laterals] == [27] + blocks
    assert [lat.n_in for lat in mini.laterals] == [75] + blocks
    cfg_m = make_config("miniimagenet", tasks=20)
    sm = [lat.n_in for lat in mini.laterals]
    assert layer_dims(cfg_m, sm, 0) == (24, 90, 90, 90, 90, 90, 180, 10, 180, 180, 180, 360, 20, 360, 360, 360,
                                        720, 40, 720, 720)
    assert layer_dims(cfg_m, sm, 5) == (2, 6, 6, 6, 6, 6, 12, 1, 12, 12, 12, 24, 2, 24, 24, 24, 48, 4, 48, 48)
    assert layer_dims(cfg_m, sm, 6) == (0, 2, 2, 2, 2, 2, 4, 0, 4, 4, 4, 8, 0, 8, 8, 8, 16, 0, 16, 16)
    cfg_f = make_config("five-datasets")
    first = layer_dims(cfg_f, [lat.n_in for lat in five.laterals], 0)
    assert first == (6, 40, 40, 40, 40, 40, 100, 6, 100, 100, 100, 200, 8, 200, 200, 200, 200, 16, 200, 200)
    assert layer_dims(cfg_f, [lat.n_in for lat in five.laterals], 3) == first


@pytest.mark.parametrize("arch", ["cnn", "resnet18"])
@pytest.mark.parametrize("proj_type", ["input", "weight"])
def test_projected_conv_training_leaves_old_patches_unchanged(arch, proj_type):
    """After task 0 (BN and thresholds frozen), a projected SGD step keeps every shared conv's
    response to inputs in the old subspace: the HLOP guarantee, per layer."""
    torch.manual_seed(3)
    g = torch.Generator().manual_seed(4)
    if arch == "cnn":
        model = SpikingCNN((3, 8, 8), 4, T=3, channels=(4, 6, 8), proj_type=proj_type, generator=g)
    else:
        model = SpikingResNet18((3, 8, 8), 4, T=2, nf=4, proj_type=proj_type, generator=g)
    model.add_head(g)
    model.add_head(g)
    x = torch.randn(6, 3, 8, 8)
    model.train()
    model(x, task=0)                              # batch-norm statistics from "task 0"
    for lat in model.laterals:
        lat.add(max(1, lat.n_in // 3), g)
        lat.merge()
    model.freeze_after_first_task()
    before = [w.detach().clone() for w in model.shared_weights()]
    logits, rows = model(x, task=1, project=True)
    assert len(rows) == len(model.laterals) and all(r.shape[1] == lat.n_in for r, lat in zip(rows, model.laterals))
    torch.nn.functional.cross_entropy(logits, torch.arange(6) % 4).backward()
    model.project_weight_grads()
    assert all(v.grad is None for v in model.vth)
    moved = 0
    for w, w0, lat in zip(model.shared_weights(), before, model.laterals):
        assert w.grad is not None
        G = w.grad.reshape(w.shape[0], -1)
        Ho = lat.old_rows()
        assert (G @ Ho.T).abs().max() <= 1e-4 * max(float(G.abs().max()), 1e-12)
        moved += int(G.abs().max() > 0)
        with torch.no_grad():
            w.sub_(0.5 * w.grad)
        torch.testing.assert_close((w.detach() - w0).reshape(w.shape[0], -1) @ Ho.T,
                                   torch.zeros(w.shape[0], Ho.shape[0]), atol=1e-5, rtol=0)
    assert moved >= len(before) - 1


def test_batchnorm_and_thresholds_are_frozen_after_the_first_task(tmp_path):
    from hlop_samples import write_cifar100
    from spikemem.models.hlop.train import Run
    write_cifar100(tmp_path, per_class_train=2, per_class_test=1)
    torch.set_num_threads(1)
    run = Run(make_config("cifar100", tasks=2, epochs=1, timesteps=2, channels=(2, 3, 4), batch=10,
                          method="hlop", data_dir=str(tmp_path)))
    run.train_task(0)
    snap = {k: v.clone() for k, v in run.model.state_dict().items()}
    for lat in run.model.laterals:
        lat.merge()
    run.train_task(1)
    state = run.model.state_dict()
    for k, v in snap.items():
        if k.startswith(("bns.", "vth.")):
            torch.testing.assert_close(state[k], v, msg=k)      # affine, running statistics and thresholds
    assert not torch.equal(state["convs.1"], snap["convs.1"])
    assert torch.equal(state["head_w.0"], snap["head_w.0"])     # the old task's head is not touched
    assert math.isfinite(run.evaluate(0))
