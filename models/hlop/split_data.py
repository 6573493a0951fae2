"""Class-split task sequences from their usual files: Split MNIST, 10-split CIFAR-100, miniImageNet, 5-Datasets.

Every task holds its own uint8 images (n, C, H, W), labels renumbered 0..k−1 within the task,
and the per-channel mean/std its images are normalised with (docs/continual_learning.md). Pickled files
are read with an unpickler that only rebuilds numpy arrays and plain containers, so a data
file cannot run code.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field

import numpy as np

from spikemem.errors import ValidationError

from .data import MNIST_MEAN, MNIST_STD, find_mnist, read_idx

CIFAR_MEAN = tuple(v / 255 for v in (125.3, 123.0, 113.9))
CIFAR_STD = tuple(v / 255 for v in (63.0, 62.1, 66.7))
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
MINI_SIDE = 84

HINTS = {
    "cifar100": ("the CIFAR-100 python version (cifar-100-python.tar.gz from "
                 "https://www.cs.toronto.edu/~kriz/cifar.html); unpack it so that DIR/cifar-100-python/"
                 "{train,test,meta} exist"),
    "miniimagenet": ("the miniImageNet pickles used by GPM and HLOP (train.pkl and test.pkl, dicts with "
                     "'images' N×84×84×3 uint8 and 'labels'); put them in DIR/miniimagenet/"),
    "five-datasets": ("the five datasets in the layout torchvision and the GPM/HLOP loaders leave under "
                      "DIR (or DIR/Five_data): cifar-10-batches-py/, MNIST/raw/ (IDX), train_32x32.mat and "
                      "test_32x32.mat (SVHN), fashion_mnist/FashionMNIST/raw/ (IDX) and "
                      "notmnist/notmnist_{train,test}.pkl"),
}


@dataclass
class SplitTask:
    name: str
    train_x: np.ndarray             # uint8 (n, C, H, W)
    train_y: np.ndarray             # int64 labels 0..k−1
    test_x: np.ndarray
    test_y: np.ndarray
    mean: tuple                     # per output channel, pixel scale [0, 1]
    std: tuple
    channels: int = 0               # replicate a grey image to this many channels (0: as stored)


@dataclass
class SplitSequence:
    """Tasks with their own images and heads of n_classes outputs each."""

    name: str
    tasks: list = field(default_factory=list)
    n_classes: int = 10
    kind: str = "split"

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def shape(self) -> tuple:
        t = self.tasks[0]
        c = t.channels or t.train_x.shape[1]
        return (c,) + tuple(t.train_x.shape[2:])

    def split(self, task: int, split: str):
        t = self.tasks[task]
        return (t.train_x, t.train_y) if split == "train" else (t.test_x, t.test_y)


# -- safe pickles ------------------------------------------------------------------------------
_ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"), ("builtins", "list"), ("builtins", "dict"),
            ("collections", "OrderedDict"), ("_codecs", "encode")}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a data file")
        return super().find_class(module, name)


def load_pickle(path) -> dict:
    """A pickled dict of arrays (Python 2 pickles included); keys come back as str."""
    try:
        with open(path, "rb") as f:
            obj = _ArrayUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise ValidationError("data file", str(path), f"is not a readable pickle of arrays ({e})") from e
    if not isinstance(obj, dict):
        raise ValidationError("data file", str(path), "does not hold a dict")
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _need(path, dataset: str) -> str:
    if not os.path.exists(path):
        raise ValidationError("data_dir", str(path), "missing: download " + HINTS[dataset])
    return path


def _check_dir(data_dir, dataset: str, flag_hint: str) -> str:
    if data_dir is None:
        raise ValidationError("data_dir", None, f"--dataset {dataset} needs --data-dir DIR: {flag_hint}")
    if not os.path.isdir(data_dir):
        raise ValidationError("data_dir", str(data_dir), f"is not a directory: {flag_hint}")
    return str(data_dir)


def _field(d: dict, key: str, path):
    if key not in d:
        raise ValidationError("data file", str(path), f"has no '{key}' entry")
    return d[key]


def _by_classes(x, y, classes, name, mean, std, tx, ty, channels=0) -> SplitTask:
    """The images of `classes`, labelled by their position in `classes`."""
    lut = np.full(int(max(y.max(), ty.max(), max(classes))) + 1, -1, dtype=np.int64)
    lut[list(classes)] = np.arange(len(classes))
    a, b = np.isin(y, classes), np.isin(ty, classes)
    return SplitTask(name, np.ascontiguousarray(x[a]), lut[y[a]], np.ascontiguousarray(tx[b]), lut[ty[b]],
                     mean, std, channels)


# -- Split MNIST ---------------------------------------------------------------------------------
def load_split_mnist(data_dir, n_tasks: int) -> SplitSequence:
    """5 tasks of 2 digits each ({0,1}, {2,3}, ...), 28×28 grey, MNIST mean/std."""
    paths = find_mnist(data_dir)
    arr = {k: read_idx(p) for k, p in paths.items()}
    x, tx = arr["train_x"][:, None], arr["test_x"][:, None]
    y, ty = arr["train_y"].astype(np.int64), arr["test_y"].astype(np.int64)
    tasks = [_by_classes(x, y, [2 * t, 2 * t + 1], f"mnist-{2 * t}{2 * t + 1}", (MNIST_MEAN,), (MNIST_STD,), tx, ty)
             for t in range(n_tasks)]
    return SplitSequence("split-mnist", tasks, n_classes=2)


# -- CIFAR-100 -----------------------------------------------------------------------------------
def read_cifar(path, label_key: str):
    d = load_pickle(path)
    data = np.asarray(_field(d, "data", path), dtype=np.uint8)
    labels = np.asarray(_field(d, label_key, path), dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise ValidationError("data file", str(path), f"data {data.shape} / labels {labels.shape} are not CIFAR rows of 3072 bytes")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar100(data_dir, n_tasks: int) -> SplitSequence:
    """10 tasks of 10 classes in label order (task k: classes 10k..10k+9), CIFAR per-channel mean/std."""
    root = _check_dir(data_dir, "cifar100", "download " + HINTS["cifar100"])
    folder = _need(os.path.join(root, "cifar-100-python"), "cifar100")
    for name in ("train", "test", "meta"):
        _need(os.path.join(folder, name), "cifar100")
    x, y = read_cifar(os.path.join(folder, "train"), "fine_labels")
    tx, ty = read_cifar(os.path.join(folder, "test"), "fine_labels")
    names = load_pickle(os.path.join(folder, "meta")).get("fine_label_names")
    tasks = []
    for k in range(n_tasks):
        cls = list(range(10 * k, 10 * k + 10))
        label = f"cifar100-{cls[0]}-{cls[-1]}" if names is None else "cifar100:" + ",".join(
            (n.decode() if isinstance(n, bytes) else str(n)) for n in names[cls[0]:cls[-1] + 1][:3]) + ",..."
        tasks.append(_by_classes(x, y, cls, label, CIFAR_MEAN, CIFAR_STD, tx, ty))
    return SplitSequence("cifar100", tasks, n_classes=10)


# -- miniImageNet ----------------------------------------------------------------------------------
def mini_class_order(seed: int = 2022) -> list:
    """np.random.seed(seed); np.split(np.random.permutation(100), 20) (docs/continual_learning.md)."""
    return [list(map(int, a)) for a in np.split(np.random.RandomState(seed).permutation(100), 20)]


def _mini_images(path):
    d = load_pickle(path)
    img = np.asarray(_field(d, "images", path), dtype=np.uint8)
    lab = np.asarray(_field(d, "labels", path), dtype=np.int64).reshape(-1)
    if img.ndim != 4 or img.shape[-1] != 3 or len(img) != len(lab):
        raise ValidationError("data file", str(path), f"images {img.shape} are not N×H×W×3 with one label each")
    img = img.transpose(0, 3, 1, 2)
    if img.shape[2:] != (MINI_SIDE, MINI_SIDE):
        import torch
        t = torch.nn.functional.interpolate(torch.as_tensor(img).float(), size=(MINI_SIDE, MINI_SIDE),
                                            mode="bilinear", antialias=True, align_corners=False)
        img = t.round().clamp(0, 255).to(torch.uint8).numpy()
    return np.ascontiguousarray(img), lab


def _mini_folder(root) -> str:
    """The pickles' folder, DIR/miniimagenet or DIR itself: one rule for the loader and check_files."""
    folder = os.path.join(root, "miniimagenet")
    return folder if os.path.isdir(folder) else root


def load_miniimagenet(data_dir, n_tasks: int, seed: int = 2022) -> SplitSequence:
    """20 tasks × 5 classes in the seeded class order, 84×84, ImageNet mean/std."""
    root = _check_dir(data_dir, "miniimagenet", "download " + HINTS["miniimagenet"])
    folder = _mini_folder(root)
    x, y = _mini_images(_need(os.path.join(folder, "train.pkl"), "miniimagenet"))
    tx, ty = _mini_images(_need(os.path.join(folder, "test.pkl"), "miniimagenet"))
    order = mini_class_order(seed)
    tasks = [_by_classes(x, y, order[k], f"miniimagenet-{k}", IMAGENET_MEAN, IMAGENET_STD, tx, ty)
             for k in range(n_tasks)]
    return SplitSequence("miniimagenet", tasks, n_classes=5)


# -- 5-Datasets ------------------------------------------------------------------------------------
FIVE = ("cifar10", "mnist", "svhn", "fashion-mnist", "notmnist")
FIVE_NORM = {   # the GPM/HLOP five_datasets loaders' values; MNIST and Fashion-MNIST include the padding
    "cifar10": (CIFAR_MEAN, CIFAR_STD),
    "mnist": ((0.1,) * 3, (0.2752,) * 3),
    "svhn": ((0.4377, 0.4438, 0.4728), (0.198, 0.201, 0.197)),
    "fashion-mnist": ((0.2190,) * 3, (0.3318,) * 3),
    "notmnist": ((0.4254,) * 3, (0.4501,) * 3),
}


def _idx_pair(folder, dataset):
    paths = {}
    for split, stem in (("train", "train"), ("test", "t10k")):
        for part, kind in (("x", "images-idx3-ubyte"), ("y", "labels-idx1-ubyte")):
            base = os.path.join(folder, f"{stem}-{kind}")
            hit = next((p for p in (base, base + ".gz") if os.path.isfile(p)), None)
            paths[split + part] = _need(hit or base, dataset)
    pad = lambda a: np.pad(a, ((0, 0), (2, 2), (2, 2)))[:, None]    # noqa: E731  28×28 → 32×32
    return (pad(read_idx(paths["trainx"])), read_idx(paths["trainy"]).astype(np.int64),
            pad(read_idx(paths["testx"])), read_idx(paths["testy"]).astype(np.int64))


def _svhn(path):
    from scipy.io import loadmat
    d = loadmat(path)
    x = np.ascontiguousarray(np.asarray(d["X"], dtype=np.uint8).transpose(3, 2, 0, 1))
    y = np.asarray(d["y"], dtype=np.int64).reshape(-1)
    return x, np.where(y == 10, 0, y)                 # SVHN stores the digit 0 as label 10


def _five_root(root) -> str:
    """The datasets' root, DIR/Five_data or DIR itself: one rule for the loader and check_files."""
    folder = os.path.join(root, "Five_data")
    return folder if os.path.isdir(folder) else root


def load_five_datasets(data_dir, n_tasks: int) -> SplitSequence:
    """CIFAR-10, MNIST, SVHN, Fashion-MNIST, notMNIST in that order, 3×32×32, each with its own mean/std."""
    root = _check_dir(data_dir, "five-datasets", "download " + HINTS["five-datasets"])
    root = _five_root(root)
    tasks = []
    for name in FIVE[:n_tasks]:
        if name == "cifar10":
            folder = _need(os.path.join(root, "cifar-10-batches-py"), "five-datasets")
            parts = [read_cifar(_need(os.path.join(folder, f"data_batch_{i}"), "five-datasets"), "labels")
                     for i in range(1, 6)]
            x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
            tx, ty = read_cifar(_need(os.path.join(folder, "test_batch"), "five-datasets"), "labels")
            channels = 0
        elif name in ("mnist", "fashion-mnist"):
            sub = ("MNIST", "raw") if name == "mnist" else ("fashion_mnist", "FashionMNIST", "raw")
            x, y, tx, ty = _idx_pair(os.path.join(root, *sub), "five-datasets")
            channels = 3
        elif name == "svhn":
            x, y = _svhn(_need(os.path.join(root, "train_32x32.mat"), "five-datasets"))
            tx, ty = _svhn(_need(os.path.join(root, "test_32x32.mat"), "five-datasets"))
            channels = 0
        else:
            parts = []
            for split in ("train", "test"):
                path = _need(os.path.join(root, "notmnist", f"notmnist_{split}.pkl"), "five-datasets")
                d = load_pickle(path)
                img = np.asarray(_field(d, "features", path), dtype=np.uint8)
                img = img.reshape(len(img), 1, *img.shape[-2:])
                parts += [img, np.asarray(_field(d, "labels", path), dtype=np.int64).reshape(-1)]
            x, y, tx, ty = parts
            channels = 3
        mean, std = FIVE_NORM[name]
        tasks.append(SplitTask(name, x, y, tx, ty, mean, std, channels))
    shapes = {(t.channels or t.train_x.shape[1],) + t.train_x.shape[2:] for t in tasks}
    if shapes != {(3, 32, 32)}:
        raise ValidationError("data_dir", root, f"5-Datasets images must all be 3x32x32 after padding, got {sorted(shapes)}")
    return SplitSequence("five-datasets", tasks, n_classes=10)


LOADERS = {"split-mnist": load_split_mnist, "cifar100": load_cifar100, "miniimagenet": load_miniimagenet,
           "five-datasets": load_five_datasets}


def check_files(dataset: str, data_dir, n_tasks: int) -> None:
    """The declared error of the loader for a missing folder or file, without reading any data."""
    if dataset == "split-mnist":
        find_mnist(data_dir)
        return
    root = _check_dir(data_dir, dataset, "download " + HINTS[dataset])
    if dataset == "cifar100":
        for name in ("train", "test", "meta"):
            _need(os.path.join(root, "cifar-100-python", name), dataset)
    elif dataset == "miniimagenet":
        folder = _mini_folder(root)
        for name in ("train.pkl", "test.pkl"):
            _need(os.path.join(folder, name), dataset)
    else:
        root = _five_root(root)
        need = {"cifar10": ["cifar-10-batches-py/test_batch"] + [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)],
                "mnist": ["MNIST/raw"], "svhn": ["train_32x32.mat", "test_32x32.mat"],
                "fashion-mnist": ["fashion_mnist/FashionMNIST/raw"],
                "notmnist": ["notmnist/notmnist_train.pkl", "notmnist/notmnist_test.pkl"]}
        for name in FIVE[:n_tasks]:
            for rel in need[name]:
                _need(os.path.join(root, rel), dataset)
