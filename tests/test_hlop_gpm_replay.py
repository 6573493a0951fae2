"""GPM's energy criterion against hand-built spectra, its projection guarantee, and the replay memory."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from spikemem.models.hlop.config import make_config  # noqa: E402
from spikemem.models.hlop.gpm import GPM, energy_directions  # noqa: E402
from spikemem.models.hlop.replay import ReplayMemory  # noqa: E402
from spikemem.models.hlop.train import Run  # noqa: E402


def _spectrum(energies, n_in=10, n=40, seed=0):
    """A matrix N × n whose squared singular values are `energies` along known directions."""
    g = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(n_in, len(energies), generator=g, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(n, len(energies), generator=g, dtype=torch.float64))
    return U @ torch.diag(torch.tensor(energies, dtype=torch.float64).sqrt()) @ V.T, U


def test_first_task_keeps_the_directions_below_the_energy_threshold():
    A, U = _spectrum([0.5, 0.3, 0.15, 0.05])
    # cumulative energy 0.5, 0.8, 0.95, 1.0: Eq. 5 keeps #{< 0.9} = 2, #{< 0.97} = 3
    for th, k in ((0.9, 2), (0.97, 3), (0.4, 0)):
        B = energy_directions(A, A.new_zeros(10, 0), th)
        assert B.shape == (10, k)
        if k:
            torch.testing.assert_close((B @ B.T) @ U[:, :k], U[:, :k])      # the top-k subspace


def test_later_tasks_add_only_what_the_basis_misses():
    A, U = _spectrum([0.6, 0.25, 0.1, 0.05])
    base = U[:, :1]                                          # explains 0.6 already
    # residual energies 0.25, 0.1, 0.05: running total before each is 0.6, 0.85, 0.95 → 2 below 0.9
    new = energy_directions(A, base, 0.9)
    assert new.shape == (10, 2)
    torch.testing.assert_close(base.T @ new, torch.zeros(1, 2, dtype=torch.float64), atol=1e-10, rtol=0)
    assert energy_directions(A, U, 0.9).shape[1] == 0      # everything explained: nothing added


def test_bases_stay_orthonormal_and_never_exceed_the_input_size():
    gpm = GPM([6], thresholds=(0.999,))
    g = torch.Generator().manual_seed(1)
    for t in range(4):
        gpm.update([torch.randn(30, 6, generator=g)], t)
    H = gpm.bases[0].old_rows()
    assert H.shape[0] == 6
    torch.testing.assert_close(H @ H.T, torch.eye(6), atol=1e-5, rtol=0)


def test_threshold_schedule_per_layer_and_task():
    gpm = GPM([3, 3, 3], thresholds=(0.97,), step=0.003)
    assert gpm.threshold(2, 0) == pytest.approx(0.97) and gpm.threshold(0, 5) == pytest.approx(0.985)
    assert GPM([3, 3], thresholds=(0.95, 0.99, 0.99)).thresholds == [0.95, 0.99]


@pytest.mark.parametrize("scenario", ["domain", "task"])
def test_gpm_training_keeps_stored_representations_fixed(scenario):
    """After task 0, W·x for x in every layer's stored basis does not change during task 1."""
    cfg = make_config("digits", method="gpm", scenario=scenario, tasks=2, epochs=1, timesteps=4, hidden=32,
                      train_limit=300, test_limit=60)
    run = Run(cfg)
    run.train_task(0)
    run.next_task = 1
    bases = [b.old_rows().clone() for b in run.gpm.bases]
    assert all(0 < len(b) for b in bases)
    before = [w.detach().clone() for w in run.model.shared_weights()]
    run.train_task(1)
    for w, w0, B in zip(run.model.shared_weights(), before, bases):
        delta = (w.detach() - w0) @ B.T
        assert float(delta.abs().max()) < 1e-4 * float((w.detach() - w0).abs().max()) + 1e-7
        assert float((w.detach() - w0).abs().max()) > 0


def test_replay_memory_holds_per_class_examples_of_each_task():
    mem = ReplayMemory(per_class=3, batch=50)
    g = torch.Generator().manual_seed(0)
    assert mem.sample(g) is None
    labels = torch.tensor([0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0])
    assert mem.add(0, labels, g) == 6
    assert mem.add(1, torch.tensor([2, 2, 2, 2, 3]), g) == 4       # only one example of class 3 exists
    t0 = mem.rows[mem.tasks == 0]
    assert torch.bincount(labels[t0]).tolist() == [3, 3] and len(set(t0.tolist())) == 6
    tasks, rows = mem.sample(g)
    assert len(rows) == 50 and set(tasks.tolist()) <= {0, 1}
    stored = set(zip(mem.tasks.tolist(), mem.rows.tolist()))
    assert set(zip(tasks.tolist(), rows.tolist())) <= stored


def test_replay_batches_mix_old_tasks_into_training():
    cfg = make_config("digits", method="replay", scenario="task", tasks=3, epochs=1, timesteps=3, hidden=24,
                      train_limit=200, test_limit=40, replay_per_class=2, replay_batch=8)
    run = Run(cfg)
    seen = []
    real = run.batches.batch

    def spy(task, rows, split="train"):
        seen.append(task if isinstance(task, int) else tuple(sorted(set(task.tolist()))))
        return real(task, rows, split)

    run.batches.batch = spy
    run.run()
    assert len(run.memory.rows) == 3 * 10 * 2
    replayed = {s for s in seen if isinstance(s, tuple)}
    assert replayed and all(max(s) <= 1 for s in replayed)         # never a task not yet finished
    assert any(1 in s for s in replayed)
