"""Minibatches of a task sequence on a torch device, for one task or for a row of mixed tasks.

Permuted sequences keep one normalised copy of the images and permute pixels per batch; split
sequences keep each task's uint8 images and normalise per batch. Both hand out images shaped
(B, C, H, W) (permuted MNIST-like data as one 28×28 / 16×16 grey channel) and labels.
"""
from __future__ import annotations

import math

import numpy as np
import torch


def image_shape(n_pixels: int) -> tuple:
    side = int(round(math.sqrt(n_pixels)))
    return (1, side, side) if side * side == n_pixels else (n_pixels,)


class Batches:
    def __init__(self, data, device, train_limit: int = 0, test_limit: int = 0):
        self.data, self.dev = data, torch.device(device)
        self.kind = getattr(data, "kind", "permuted")
        self.shape = data.shape if self.kind == "split" else image_shape(data.n_in)
        limits = {"train": train_limit, "test": test_limit}
        if self.kind == "split":
            self._x, self._y, self._norm = {}, {}, []
            for split in ("train", "test"):
                xs, ys = [], []
                for t in range(data.n_tasks):
                    x, y = data.split(t, split)
                    n = limits[split] or len(y)
                    xs.append(torch.as_tensor(np.ascontiguousarray(x[:n]), device=self.dev))
                    ys.append(torch.as_tensor(np.asarray(y[:n], dtype=np.int64), device=self.dev))
                self._x[split], self._y[split] = xs, ys
            for t in data.tasks:
                c = self.shape[0]
                self._norm.append((torch.tensor(t.mean, dtype=torch.float32, device=self.dev).view(1, c, 1, 1),
                                   torch.tensor(t.std, dtype=torch.float32, device=self.dev).view(1, c, 1, 1)))
        else:
            self._x, self._y = {}, {}
            for split in ("train", "test"):
                x, y = (data.train_x, data.train_y) if split == "train" else (data.test_x, data.test_y)
                n = limits[split] or len(y)
                self._x[split] = torch.as_tensor(np.ascontiguousarray(x[:n]), device=self.dev)
                self._y[split] = torch.as_tensor(np.asarray(y[:n], dtype=np.int64), device=self.dev)
            self._perms = torch.stack([torch.as_tensor(p) for p in data.perms]).to(self.dev)

    @property
    def n_tasks(self) -> int:
        return self.data.n_tasks

    def size(self, task: int, split: str = "train") -> int:
        return len(self._y[split][task] if self.kind == "split" else self._y[split])

    def labels(self, task: int, split: str = "train") -> torch.Tensor:
        return self._y[split][task] if self.kind == "split" else self._y[split]

    def batch(self, task, rows: torch.Tensor, split: str = "train"):
        """(images, labels) of `rows` of `task` (an int, or one task id per row)."""
        if isinstance(task, int):
            return self._one(task, rows, split)
        x = torch.empty((len(rows),) + self.shape, device=self.dev)
        y = torch.empty(len(rows), dtype=torch.long, device=self.dev)
        for k in torch.unique(task).tolist():
            sel = task == k
            x[sel], y[sel] = self._one(k, rows[sel], split)
        return x, y

    def _split_pixels(self, task: int, rows: torch.Tensor, split: str) -> torch.Tensor:
        """A split task's images in [0, 1], grey ones replicated to the sequence's channels."""
        x = self._x[split][task][rows].float().div_(255.0)
        return x.expand(-1, self.shape[0], -1, -1) if x.shape[1] != self.shape[0] else x

    def _one(self, task: int, rows: torch.Tensor, split: str):
        if self.kind == "split":
            mean, std = self._norm[task]
            return (self._split_pixels(task, rows, split) - mean) / std, self._y[split][task][rows]
        x = self._x[split][rows][:, self._perms[task]]
        return x.reshape((len(rows),) + self.shape), self._y[split][rows]

    def pixels(self, task: int, rows, split: str = "test") -> np.ndarray:
        """Raw pixels in [0, 1], (n, C, H, W) (permuted for permuted sequences), for export scoring."""
        rows = torch.as_tensor(rows, device=self.dev)
        if self.kind == "split":
            return self._split_pixels(task, rows, split).cpu().numpy()
        d = self.data
        x = (self._x[split][rows] * d.std + d.mean)[:, self._perms[task]]
        return x.reshape((len(rows),) + self.shape).cpu().numpy()
