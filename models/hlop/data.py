"""Permuted-pixel task sequences: PMNIST from IDX files, and permuted scikit-learn digits offline.

The pixels of every task are permuted with the official seeds (docs/hlop.md, 8); the base images are held
once and permuted per batch, so ten tasks cost the memory of one.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass

import numpy as np

from spikemem.errors import ValidationError
from spikemem.files import atomic_write_bytes

MAX_TASKS = 10
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
MNIST_FILES = {"train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
               "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte"}
FETCH_HINT = ("put the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
              "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz) there, e.g. from "
              "https://storage.googleapis.com/cvdf-datasets/mnist/ or with torchvision.datasets.MNIST(root, download=True) "
              "(its MNIST/raw folder), or use --dataset digits, which needs no download")


@dataclass
class TaskSequence:
    """Normalised base images (n, d) and one pixel permutation per task."""

    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    perms: list
    n_classes: int = 10
    mean: float = 0.0           # normalisation: x = (pixel − mean) / std, pixel in [0, 1]
    std: float = 1.0
    kind: str = "permuted"

    @property
    def n_in(self) -> int:
        return self.train_x.shape[1]

    @property
    def n_tasks(self) -> int:
        return len(self.perms)


def permutations(n_tasks: int, n_pixels: int) -> list:
    """Official PMNIST order: seeds = shuffle(arange(10), 2022); task i: shuffle(arange(d), seeds[i]*100+i)."""
    from sklearn.utils import shuffle
    check_tasks(n_tasks)
    seeds = shuffle(np.arange(MAX_TASKS), random_state=2022)
    return [shuffle(np.arange(n_pixels), random_state=int(seeds[i]) * 100 + i) for i in range(n_tasks)]


def check_tasks(n_tasks, most: int = MAX_TASKS) -> int:
    if isinstance(n_tasks, bool) or not isinstance(n_tasks, (int, np.integer)) or not 1 <= n_tasks <= most:
        why = "the official permutation seeds give 10 tasks" if most == MAX_TASKS else "the dataset's task count"
        raise ValidationError("tasks", n_tasks, f"must be an integer in [1, {most}] ({why})")
    return int(n_tasks)


# -- IDX ------------------------------------------------------------------------------------
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """An IDX array (LeCun's MNIST format), raw or gzip-compressed (by magic bytes, not by name)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise ValidationError("idx file", str(path), "is not an IDX file (bad magic number)")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    need = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim:]
    if len(body) != need:
        raise ValidationError("idx file", str(path), f"holds {len(body)} data bytes, dims {dims} need {need}")
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def write_idx(path, arr: np.ndarray, compress: bool = False) -> None:
    """Write a uint8 array as IDX (used by tests and for small exports)."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = head + arr.tobytes()
    atomic_write_bytes(path, gzip.compress(data) if compress else data)


def find_mnist(data_dir) -> dict:
    """The four IDX paths in data_dir; raises a ValidationError explaining how to get them."""
    if data_dir is None:
        raise ValidationError("data_dir", None, "--dataset pmnist needs --data-dir DIR: " + FETCH_HINT)
    if not os.path.isdir(data_dir):
        raise ValidationError("data_dir", str(data_dir), "is not a directory: " + FETCH_HINT)
    found, missing = {}, []
    for key, stem in MNIST_FILES.items():
        dotted = stem.replace("-idx", ".idx")
        cands = [os.path.join(data_dir, n + ext) for n in (stem, dotted) for ext in ("", ".gz")]
        hit = next((c for c in cands if os.path.isfile(c)), None)
        if hit is None:
            missing.append(stem)
        found[key] = hit
    if missing:
        raise ValidationError("data_dir", str(data_dir), f"misses {', '.join(missing)} (raw or .gz): " + FETCH_HINT)
    return found


def load_pmnist(data_dir, n_tasks: int) -> TaskSequence:
    paths = find_mnist(data_dir)
    arr = {k: read_idx(p) for k, p in paths.items()}
    for split in ("train", "test"):
        x, y = arr[f"{split}_x"], arr[f"{split}_y"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValidationError(f"{split} images", paths[f"{split}_x"], f"shape {x.shape} does not match labels {y.shape}")
    norm = (lambda x: ((x.reshape(len(x), -1).astype(np.float32) / 255.0) - MNIST_MEAN) / MNIST_STD)
    tx, sx = norm(arr["train_x"]), norm(arr["test_x"])
    return TaskSequence("pmnist", tx, arr["train_y"].astype(np.int64), sx, arr["test_y"].astype(np.int64),
                        permutations(n_tasks, tx.shape[1]), mean=MNIST_MEAN, std=MNIST_STD)


def load_digits_tasks(n_tasks: int, canvas: int = 16, test_fraction: float = 0.25) -> TaskSequence:
    """scikit-learn's 8×8 digits (ships with the package), a fixed stratified split, pixels permuted per task.

    The digits sit in the middle of a blank canvas×canvas field, as MNIST digits do in their
    28×28 frame: each task's images then span a small subspace of the pixel space, the
    situation PMNIST poses (8×8 alone leaves 64 dimensions for all tasks' subspaces).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    if isinstance(canvas, bool) or not isinstance(canvas, int) or canvas < 8:
        raise ValidationError("canvas", canvas, "must be an integer >= 8 (the digits are 8x8)")
    X, y = load_digits(return_X_y=True)
    img = np.zeros((len(X), canvas, canvas), dtype=np.float32)
    o = (canvas - 8) // 2
    img[:, o:o + 8, o:o + 8] = X.reshape(-1, 8, 8) / 16.0
    X = img.reshape(len(X), -1)
    tx, sx, ty, sy = train_test_split(X, y, test_size=test_fraction, random_state=0, stratify=y)
    mean, std = float(tx.mean()), float(tx.std())
    return TaskSequence("digits", (tx - mean) / std, ty.astype(np.int64), (sx - mean) / std, sy.astype(np.int64),
                        permutations(n_tasks, X.shape[1]), mean=mean, std=std)
