"""Split benchmarks from small files in their real formats: task split, labels, pixels, normalisation, errors."""
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
pytest.importorskip("sklearn")

from hlop_samples import write_cifar100, write_five_datasets, write_miniimagenet  # noqa: E402
from spikemem.errors import ValidationError  # noqa: E402
from spikemem.models.hlop import split_data  # noqa: E402
from spikemem.models.hlop.config import MAX_TASKS  # noqa: E402
from spikemem.models.hlop.batches import Batches  # noqa: E402
from test_hlop_data import make_mnist  # noqa: E402


def _raw_pickle(path):
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


def test_cifar100_tasks_in_label_order_with_the_reference_normalisation(tmp_path):
    write_cifar100(tmp_path, per_class_train=3, per_class_test=2)
    seq = split_data.load_cifar100(tmp_path, 10)
    raw = _raw_pickle(tmp_path / "cifar-100-python" / "train")
    x_all = raw[b"data"].reshape(-1, 3, 32, 32)
    y_all = np.asarray(raw[b"fine_labels"])
    assert seq.n_tasks == 10 and seq.n_classes == 10 and seq.shape == (3, 32, 32)
    for k, task in enumerate(seq.tasks):
        assert len(task.train_y) == 30 and len(task.test_y) == 20
        np.testing.assert_array_equal(task.train_y, y_all[np.isin(y_all, range(10 * k, 10 * k + 10))] - 10 * k)
        np.testing.assert_array_equal(task.train_x, x_all[(y_all >= 10 * k) & (y_all < 10 * k + 10)])
    b = Batches(seq, "cpu")
    x, y = b.batch(3, torch.tensor([0, 4]))
    mean = np.array([125.3, 123.0, 113.9]) / 255
    std = np.array([63.0, 62.1, 66.7]) / 255
    want = (seq.tasks[3].train_x[[0, 4]] / 255.0 - mean[None, :, None, None]) / std[None, :, None, None]
    np.testing.assert_allclose(x.numpy(), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(y.numpy(), seq.tasks[3].train_y[[0, 4]])


def test_miniimagenet_class_order_labels_and_resizing(tmp_path):
    write_miniimagenet(tmp_path, per_class_train=2, per_class_test=1, side=84)
    seq = split_data.load_miniimagenet(tmp_path, 20)
    np.random.seed(2022)                                    # the official split, computed independently
    order = [list(a) for a in np.split(np.random.permutation(100), 20)]
    raw = _raw_pickle(tmp_path / "miniimagenet" / "train.pkl")
    imgs, labels = raw["images"], np.asarray(raw["labels"])
    assert seq.n_tasks == 20 and seq.n_classes == 5 and seq.shape == (3, 84, 84)
    for k in (0, 7, 19):
        t = seq.tasks[k]
        sel = np.isin(labels, order[k])
        np.testing.assert_array_equal(t.train_x, imgs[sel].transpose(0, 3, 1, 2))
        np.testing.assert_array_equal(t.train_y, [order[k].index(c) for c in labels[sel]])
    small = tmp_path / "small"
    write_miniimagenet(small, per_class_train=1, per_class_test=1, side=42)
    seq2 = split_data.load_miniimagenet(small, 2)
    assert seq2.shape == (3, 84, 84)                        # resized to 84×84 as the official transform does


def test_five_datasets_layout_padding_and_labels(tmp_path):
    write_five_datasets(tmp_path, n_train=20, n_test=10)
    seq = split_data.load_five_datasets(tmp_path, 5)
    assert [t.name for t in seq.tasks] == ["cifar10", "mnist", "svhn", "fashion-mnist", "notmnist"]
    assert seq.shape == (3, 32, 32)
    mn = seq.tasks[1]
    raw = split_data.read_idx(tmp_path / "Five_data" / "MNIST" / "raw" / "train-images-idx3-ubyte")
    np.testing.assert_array_equal(mn.train_x[:, 0, 2:30, 2:30], raw)           # padded by 2
    assert mn.train_x[:, :, :2].max() == 0 and mn.train_x[:, :, :, 30:].max() == 0
    np.testing.assert_array_equal(seq.tasks[2].train_y, np.arange(20) % 10)      # SVHN's 10 is digit 0
    assert len(seq.tasks[0].train_y) == 100                                     # five CIFAR-10 batches
    b = Batches(seq, "cpu")
    x, _ = b.batch(1, torch.tensor([3]))
    assert x.shape == (1, 3, 32, 32)
    np.testing.assert_allclose(x[0, 0].numpy(), (mn.train_x[3, 0] / 255.0 - 0.1) / 0.2752, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(x[0, 0], x[0, 2])                                # grey replicated to 3 channels


def test_split_mnist_pairs_of_digits(tmp_path):
    make_mnist(tmp_path, n_train=60, n_test=30)
    seq = split_data.load_split_mnist(tmp_path, 5)
    y_all = split_data.read_idx(tmp_path / "train-labels-idx1-ubyte")
    for k, t in enumerate(seq.tasks):
        sel = np.isin(y_all, [2 * k, 2 * k + 1])
        np.testing.assert_array_equal(t.train_y, y_all[sel] - 2 * k)
        assert t.train_x.shape == (sel.sum(), 1, 28, 28)


@pytest.mark.parametrize("dataset, writer, remove, name", [
    ("cifar100", write_cifar100, "cifar-100-python/meta", "cifar-100-python"),
    ("miniimagenet", write_miniimagenet, "miniimagenet/test.pkl", "train.pkl and test.pkl"),
    ("five-datasets", write_five_datasets, "Five_data/test_32x32.mat", "train_32x32.mat"),
])
def test_a_missing_file_says_what_to_download_and_where(tmp_path, dataset, writer, remove, name):
    writer(tmp_path)
    (tmp_path / remove).unlink()
    for check in (lambda: split_data.LOADERS[dataset](tmp_path, MAX_TASKS[dataset]),
                  lambda: split_data.check_files(dataset, tmp_path, 5)):
        with pytest.raises(ValidationError) as e:
            check()
        msg = str(e.value)
        assert remove.split("/")[-1] in msg and "download" in msg and name in msg and "\n" not in msg
    with pytest.raises(ValidationError, match="needs --data-dir"):
        split_data.check_files(dataset, None, 2)


def test_pickles_that_would_run_code_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            import os
            return (os.getcwd, ())
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    with open(folder / "train", "wb") as f:
        pickle.dump({"data": Evil()}, f)
    with pytest.raises(ValidationError, match="not allowed"):
        split_data.read_cifar(folder / "train", "fine_labels")
