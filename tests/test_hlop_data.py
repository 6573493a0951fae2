"""IDX reading (raw and gzip), the official PMNIST permutations, digits, and ACC/BWT."""
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from spikemem.errors import ValidationError  # noqa: E402
from spikemem.models.hlop import data, metrics  # noqa: E402


def make_mnist(folder, n_train=40, n_test=20, compress=False, seed=0):
    """Tiny MNIST-shaped IDX files (28×28 uint8 images, labels 0..9)."""
    rng = np.random.default_rng(seed)
    ext = ".gz" if compress else ""
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        y = (np.arange(n) % 10).astype(np.uint8)
        x = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
        x[np.arange(n), 4 + y, 4 + 2 * y] = 255             # a label-dependent bright pixel
        data.write_idx(folder / f"{split}-images-idx3-ubyte{ext}", x, compress)
        data.write_idx(folder / f"{split}-labels-idx1-ubyte{ext}", y, compress)
    return folder


@pytest.mark.parametrize("compress", [False, True])
def test_idx_roundtrip(tmp_path, compress):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "a.idx"
    data.write_idx(path, arr, compress)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == compress
    if not compress:                 # header by hand: 0 0 type=8 ndim=3, dims big-endian
        assert raw[:16] == bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4])
    np.testing.assert_array_equal(data.read_idx(path), arr)


def test_idx_errors(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"hello world")
    with pytest.raises(ValidationError, match="bad magic"):
        data.read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]))
    with pytest.raises(ValidationError, match="data bytes"):
        data.read_idx(short)


def test_official_permutation_seeds():
    from sklearn.utils import shuffle
    perms = data.permutations(10, 784)
    seeds = [4, 7, 3, 5, 2, 6, 9, 8, 1, 0]                    # docs/hlop.md, 8
    for i, p in enumerate(perms):
        np.testing.assert_array_equal(p, shuffle(np.arange(784), random_state=seeds[i] * 100 + i))
        assert sorted(p) == list(range(784))
    assert not np.array_equal(perms[0], np.arange(784))        # task 0 is permuted too


@pytest.mark.parametrize("compress", [False, True])
def test_load_pmnist_from_idx(tmp_path, compress):
    make_mnist(tmp_path, compress=compress)
    seq = data.load_pmnist(tmp_path, 3)
    assert seq.train_x.shape == (40, 784) and seq.test_x.shape == (20, 784) and seq.n_tasks == 3
    raw = data.read_idx(next(tmp_path.glob("train-images*")))
    np.testing.assert_allclose(seq.train_x[5], (raw[5].ravel() / 255.0 - 0.1307) / 0.3081, rtol=1e-5)
    np.testing.assert_array_equal(seq.train_y, np.arange(40) % 10)


def test_missing_mnist_explains_how_to_get_it(tmp_path):
    with pytest.raises(ValidationError, match="needs --data-dir"):
        data.find_mnist(None)
    with pytest.raises(ValidationError, match="not a directory"):
        data.find_mnist(tmp_path / "nope")
    make_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(ValidationError, match="t10k-labels-idx1-ubyte.*--dataset digits"):
        data.find_mnist(tmp_path)


def test_digits_tasks_are_offline_and_permuted():
    seq = data.load_digits_tasks(3)
    assert seq.n_in == 256 and len(seq.train_y) + len(seq.test_y) == 1797
    px = seq.train_x * seq.std + seq.mean
    assert px.min() == pytest.approx(0.0, abs=1e-6) and px.max() == pytest.approx(1.0, abs=1e-6)
    img = px.reshape(-1, 16, 16)
    assert np.abs(img[:, :4]).max() < 1e-6 and np.abs(img[:, :, 12:]).max() < 1e-6   # blank border
    assert np.bincount(seq.test_y).min() >= 40                                        # stratified


@pytest.mark.parametrize("bad", [0, 11, -1, 2.5, True])
def test_task_count_is_checked(bad):
    with pytest.raises(ValidationError, match="tasks"):
        data.permutations(bad, 10)


def test_acc_bwt_on_the_official_hlop_matrix():
    """The official code's measured PMNIST matrix (docs/hlop.md, 12) gives the reported ACC 95.18 and BWT −1.34."""
    rows = """96.1
96.0 96.7
96.0 96.7 96.8
95.7 96.6 96.7 96.7
95.5 96.5 96.7 96.5 96.7
95.2 96.2 96.2 96.3 96.4 96.4
94.9 95.9 96.1 96.1 96.2 96.0 96.2
94.5 95.7 96.1 95.8 95.8 95.9 95.8 95.9
94.1 95.3 95.9 95.4 95.6 95.5 95.2 95.5 96.2
94.0 94.8 95.4 95.0 95.4 95.5 94.7 95.0 95.8 96.2"""
    m = np.full((10, 10), np.nan)
    for i, line in enumerate(rows.splitlines()):
        m[i, :i + 1] = [float(v) for v in line.split()]
    assert metrics.acc(m) == pytest.approx(95.18, abs=0.005)
    assert metrics.bwt(m) == pytest.approx(-1.34, abs=0.005)
    assert metrics.bwt(m[:1, :1]) == 0.0
    assert metrics.matrix_list(m[:2, :2]) == [[96.1], [96.0, 96.7]]
