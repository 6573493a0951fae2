"""Small data files in the real formats of CIFAR-100, miniImageNet and 5-Datasets, for the loader tests.

Each class has its own bright patch position, so a network can learn the tiny sets quickly.
"""
import pickle

import numpy as np

from spikemem.models.hlop import data


def _images(labels, shape, seed, n_classes):
    """uint8 images (n, C, H, W) with a label-dependent bright square on a dim noise background."""
    rng = np.random.default_rng(seed)
    c, h, w = shape
    x = rng.integers(0, 60, size=(len(labels), c, h, w), dtype=np.uint8)
    cells = max(1, int(np.ceil(np.sqrt(n_classes))))
    ph, pw = max(1, h // cells), max(1, w // cells)
    for i, y in enumerate(labels):
        r, q = divmod(int(y) % (cells * cells), cells)
        x[i, :, r * ph:(r + 1) * ph, q * pw:(q + 1) * pw] = 230
    return x


def write_cifar100(root, per_class_train=4, per_class_test=2, classes=100, seed=0):
    """DIR/cifar-100-python/{train,test,meta} as the real (Python 2, bytes-keyed) pickles."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    for name, per in (("train", per_class_train), ("test", per_class_test)):
        y = np.repeat(np.arange(classes), per)
        x = _images(y % 10, (3, 32, 32), seed + len(name), 10)
        d = {b"data": x.reshape(len(y), 3072), b"fine_labels": y.tolist(), b"coarse_labels": (y // 5).tolist(),
             b"filenames": [b"img%d.png" % i for i in range(len(y))], b"batch_label": name.encode()}
        with open(folder / name, "wb") as f:
            pickle.dump(d, f, protocol=2)
    with open(folder / "meta", "wb") as f:
        pickle.dump({b"fine_label_names": [b"class%d" % i for i in range(classes)],
                     b"coarse_label_names": [b"super%d" % i for i in range(20)]}, f, protocol=2)
    return root


def write_miniimagenet(root, per_class_train=3, per_class_test=1, side=84, seed=0):
    """DIR/miniimagenet/{train,test}.pkl: dicts with 'images' (N, side, side, 3) uint8 and 'labels'."""
    folder = root / "miniimagenet"
    folder.mkdir(parents=True, exist_ok=True)
    for name, per in (("train", per_class_train), ("test", per_class_test)):
        y = np.repeat(np.arange(100), per)
        x = _images(y % 5, (3, side, side), seed + len(name), 5).transpose(0, 2, 3, 1)
        with open(folder / f"{name}.pkl", "wb") as f:
            pickle.dump({"images": np.ascontiguousarray(x), "labels": y}, f)
    return root


def write_five_datasets(root, n_train=20, n_test=10, seed=0):
    """The torchvision / GPM layout under DIR/Five_data: CIFAR-10 batches, MNIST and Fashion-MNIST IDX,
    SVHN .mat files (digit 0 stored as 10), notMNIST pickles."""
    from scipy.io import savemat
    five = root / "Five_data"
    cifar = five / "cifar-10-batches-py"
    cifar.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        y = np.arange(n_train if i < 5 else n_test) % 10
        x = _images(y, (3, 32, 32), seed + i, 10)
        with open(cifar / name, "wb") as f:
            pickle.dump({b"data": x.reshape(len(y), 3072), b"labels": y.tolist()}, f, protocol=2)
    for sub in (("MNIST", "raw"), ("fashion_mnist", "FashionMNIST", "raw")):
        folder = five.joinpath(*sub)
        folder.mkdir(parents=True, exist_ok=True)
        for split, n in (("train", n_train), ("t10k", n_test)):
            y = (np.arange(n) % 10).astype(np.uint8)
            data.write_idx(folder / f"{split}-images-idx3-ubyte", _images(y, (1, 28, 28), seed, 10)[:, 0])
            data.write_idx(folder / f"{split}-labels-idx1-ubyte", y)
    for split, n in (("train", n_train), ("test", n_test)):
        y = np.arange(n) % 10
        x = _images(y, (3, 32, 32), seed + 7, 10).transpose(2, 3, 1, 0)        # H, W, C, N as in the .mat
        savemat(five / f"{split}_32x32.mat", {"X": x, "y": np.where(y == 0, 10, y).reshape(-1, 1)})
    nm = five / "notmnist"
    nm.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        y = np.arange(n) % 10
        with open(nm / f"notmnist_{split}.pkl", "wb") as f:
            pickle.dump({"features": _images(y, (1, 32, 32), seed + 9, 10), "labels": y}, f)
    return root


def write_mnist_blocks(root, n_train=200, n_test=60, seed=0):
    """MNIST IDX files (28×28, labels 0..9) whose digits are class-dependent bright squares: learnable in seconds."""
    root.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        y = (np.arange(n) % 10).astype(np.uint8)
        data.write_idx(root / f"{split}-images-idx3-ubyte", _images(y, (1, 28, 28), seed + n, 10)[:, 0])
        data.write_idx(root / f"{split}-labels-idx1-ubyte", y)
    return root
