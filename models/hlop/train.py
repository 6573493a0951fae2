"""The continual-learning loop shared by HLOP and the baselines (docs/hlop.md, 7 and 9).

Every random draw of task t comes from generators seeded by (seed, t), and a checkpoint is
written after every task, so a run resumed from task t's checkpoint ends exactly like an
uninterrupted one.
"""
from __future__ import annotations

import json
import os
import re
import time

import numpy as np
import torch

from spikemem.errors import ValidationError
from spikemem.files import atomic_path, atomic_write_text
from spikemem.progress import Progress

from . import metrics
from .config import Config
from .data import TaskSequence, load_digits_tasks, load_pmnist
from .ewc import EWC
from .model import SpikingMLP

CHECKPOINT = "task{:02d}.pt"


def load_data(cfg: Config) -> TaskSequence:
    return load_pmnist(cfg.data_dir, cfg.tasks) if cfg.dataset == "pmnist" else load_digits_tasks(cfg.tasks)


def _generator(seed: int, *salt: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, *salt]).generate_state(1)[0]))


def check_device(device: str) -> None:
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValidationError("device", device, "CUDA is not available in this torch build or machine")
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")     # deterministic cuBLAS (resume)


class Run:
    """One experiment: data, model, method state, the accuracy matrix and checkpoints."""

    def __init__(self, cfg: Config, data: TaskSequence | None = None, out_dir: str | None = None,
                 progress: bool | None = None, log=None):
        self.cfg = cfg.validate()
        check_device(cfg.device)
        torch.use_deterministic_algorithms(True, warn_only=True)
        self.data = data if data is not None else load_data(cfg)
        self.out_dir, self.progress, self.log = out_dir, progress, log
        self.dev = torch.device(cfg.device)
        self.model = SpikingMLP(self.data.n_in, cfg.hidden, self.data.n_classes, cfg.timesteps, cfg.neuron,
                                cfg.hebb_lr, cfg.spiking_lateral, cfg.lateral_steps,
                                generator=_generator(cfg.seed, 0xA11)).to(self.dev)
        self.ewc = EWC(cfg.ewc_lambda, cfg.lr) if cfg.method == "ewc" else None
        self.matrix = np.full((cfg.tasks, cfg.tasks), np.nan)
        self.task_seconds: list = []
        self.next_task = 0
        self._train = self._split(self.data.train_x, self.data.train_y, cfg.train_limit)
        self._test = self._split(self.data.test_x, self.data.test_y, cfg.test_limit)
        self._perms = [torch.as_tensor(p, device=self.dev) for p in self.data.perms]

    def _split(self, x, y, limit):
        if limit:
            x, y = x[:limit], y[:limit]
        return torch.as_tensor(np.ascontiguousarray(x), device=self.dev), torch.as_tensor(y, device=self.dev)

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> dict:
        for t in range(self.next_task, self.cfg.tasks):
            t0 = time.perf_counter()
            self.train_task(t)
            self.matrix[t, :t + 1] = [self.evaluate(j) for j in range(t + 1)]
            for lat in self.model.laterals:
                lat.merge()
            self.task_seconds.append(time.perf_counter() - t0)
            self.next_task = t + 1
            if self.log:
                self.log(f"task {t + 1}/{self.cfg.tasks}: " + " ".join(f"{a:.1f}" for a in self.matrix[t, :t + 1])
                         + f"  ({self.task_seconds[-1]:.1f} s)")
            if self.out_dir:
                self.save_checkpoint(t)
        return self.result()

    def train_task(self, t: int) -> None:
        cfg, model = self.cfg, self.model
        hlop = cfg.method == "hlop"
        if hlop:
            g = _generator(cfg.seed, t, 0x1A7)
            for lat, k in zip(model.laterals, cfg.dims_added(t)):
                lat.add(k, g)
            model.laterals_to(self.dev)
        for v in model.vth:                      # thresholds learn in task 0 only (docs/hlop.md, 4)
            v.requires_grad_(t == 0)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.SGD(params, lr=cfg.lr)
        tasks = list(range(t + 1)) if cfg.method == "multitask" else [t]
        X, Y = self._train
        n = len(Y) * len(tasks)
        steps = -(-n // cfg.batch)
        gen = _generator(cfg.seed, t, 0xDA7A)
        with Progress(steps * cfg.epochs, f"task {t + 1}/{cfg.tasks}", enabled=self.progress) as bar:
            for _ in range(cfg.epochs):
                order = torch.randperm(n, generator=gen).to(self.dev)
                for b in range(steps):
                    idx = order[b * cfg.batch:(b + 1) * cfg.batch]
                    task_of, row = idx // len(Y), idx % len(Y)
                    x = self._permuted(X[row], [tasks[k] for k in task_of.tolist()] if len(tasks) > 1 else t)
                    logits, rows = model(x, project=hlop and t > 0)
                    loss = torch.nn.functional.cross_entropy(logits, Y[row])
                    if self.ewc is not None:
                        loss = loss + self.ewc.penalty(model)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    if hlop and t > 0 and model.neuron == "bptt":
                        model.project_weight_grads()
                    opt.step()
                    model.clip_thresholds()
                    if hlop:
                        model.hebb(rows, cfg.hebb_iterations)
                    bar.update()
        if self.ewc is not None:
            self.ewc.consolidate(model, self._fisher_batches(t), t)

    def _permuted(self, x, task):
        if isinstance(task, int):
            return x[:, self._perms[task]]
        perms = torch.stack([self._perms[k] for k in task])
        return torch.gather(x, 1, perms)

    def _fisher_batches(self, t: int):
        X, Y = self._train
        gen = _generator(self.cfg.seed, t, 0xF15)
        idx = torch.randperm(len(Y), generator=gen)[:self.cfg.ewc_samples].to(self.dev)
        for b in range(0, len(idx), self.cfg.batch):
            sel = idx[b:b + self.cfg.batch]
            yield self._permuted(X[sel], t), Y[sel]

    @torch.no_grad()
    def evaluate(self, task: int) -> float:
        X, Y = self._test
        correct = 0
        for b in range(0, len(Y), self.cfg.eval_batch):
            logits, _ = self.model(self._permuted(X[b:b + self.cfg.eval_batch], task))
            correct += int((logits.argmax(1) == Y[b:b + self.cfg.eval_batch]).sum())
        return 100.0 * correct / len(Y)

    # -- results and checkpoints ------------------------------------------------------------
    def result(self) -> dict:
        done = self.next_task
        m = self.matrix[:done, :done]
        return {"acc": metrics.acc(m), "bwt": metrics.bwt(m), "matrix": metrics.matrix_list(m),
                "seconds": float(sum(self.task_seconds)), "task_seconds": list(self.task_seconds),
                "tasks_done": done, "config": self.cfg.to_dict(),
                "orthonormality_error": [lat.orthonormality_error() for lat in self.model.laterals]
                if self.cfg.method == "hlop" else None}

    def state(self) -> dict:
        return {"config": self.cfg.to_dict(), "next_task": self.next_task, "matrix": self.matrix,
                "task_seconds": self.task_seconds, "weights": self.model.state_dict(),
                "laterals": self.model.lateral_state(), "ewc": self.ewc.state_dict() if self.ewc else None}

    def save_checkpoint(self, t: int) -> str:
        os.makedirs(self.out_dir, exist_ok=True)
        path = os.path.join(self.out_dir, CHECKPOINT.format(t))
        with atomic_path(path) as tmp:
            torch.save(self.state(), tmp)
        atomic_write_text(os.path.join(self.out_dir, "config.json"), json.dumps(self.cfg.to_dict(), indent=1))
        return path

    def load_state(self, st: dict) -> None:
        self.next_task = int(st["next_task"])
        self.matrix = np.asarray(st["matrix"], dtype=float)
        self.task_seconds = list(st["task_seconds"])
        self.model.load_state_dict(st["weights"])
        self.model.load_lateral_state(st["laterals"])
        self.model.laterals_to(self.dev)
        if self.ewc is not None and st["ewc"] is not None:
            self.ewc.load_state_dict(st["ewc"], self.dev)


def checkpoints(out_dir: str) -> list:
    """The task checkpoints of a folder, in task order (a kill's leftover temporaries are not)."""
    if not os.path.isdir(out_dir):
        return []
    return sorted(n for n in os.listdir(out_dir) if re.fullmatch(r"task\d{2,}\.pt", n))


def last_checkpoint(out_dir: str) -> str:
    if not os.path.isdir(out_dir):
        raise ValidationError("resume", out_dir, "is not a directory")
    names = checkpoints(out_dir)
    if not names:
        raise ValidationError("resume", out_dir, "holds no task checkpoint (taskNN.pt); nothing to resume")
    return os.path.join(out_dir, names[-1])


def load_checkpoint(path: str) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)
