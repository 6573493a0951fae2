"""The continual-learning loop shared by HLOP and the baselines (docs/hlop.md, 7 and 9).

Every random draw of task t comes from generators seeded by (seed, t), and a checkpoint is
written after every task, so a run resumed from task t's checkpoint ends exactly like an
uninterrupted one.
"""
from __future__ import annotations

import json
import math
import os
import re
import time

import numpy as np
import torch

from spikemem.errors import ValidationError
from spikemem.files import atomic_path, atomic_write_text
from spikemem.progress import Progress

from . import metrics
from .batches import Batches
from .config import Config, layer_dims
from .convnets import SpikingCNN, SpikingResNet18
from .data import load_digits_tasks, load_pmnist
from .ewc import EWC
from .gpm import GPM
from .model import SpikingMLP
from .replay import ReplayMemory
from .split_data import LOADERS

CHECKPOINT = "task{:02d}.pt"


def load_data(cfg: Config):
    if cfg.dataset == "pmnist":
        return load_pmnist(cfg.data_dir, cfg.tasks)
    if cfg.dataset == "digits":
        return load_digits_tasks(cfg.tasks)
    return LOADERS[cfg.dataset](cfg.data_dir, cfg.tasks)


def build_model(cfg: Config, shape: tuple, n_classes: int, generator: torch.Generator):
    """The network of cfg.arch for images of `shape`; a head per task in the task scenario."""
    multi = cfg.scenario == "task"
    lateral = dict(hebb_lr=cfg.hebb_lr, spiking_lateral=cfg.spiking_lateral, lateral_steps=cfg.lateral_steps,
                   generator=generator)
    if cfg.arch == "mlp":
        return SpikingMLP(int(np.prod(shape)), cfg.hidden, n_classes, cfg.timesteps, cfg.neuron,
                          multi_head=multi, **lateral)
    if len(shape) != 3:
        raise ValidationError("arch", cfg.arch, f"needs images (C, H, W); {cfg.dataset} gives vectors of {shape}")
    if cfg.arch == "cnn":
        return SpikingCNN(shape, n_classes, cfg.timesteps, tuple(cfg.channels), multi, proj_type=cfg.proj_type, **lateral)
    return SpikingResNet18(shape, n_classes, cfg.timesteps, cfg.nf, multi, proj_type=cfg.proj_type,
                           first_kernel=5 if cfg.dataset == "miniimagenet" else 3, **lateral)


def _generator(seed: int, *salt: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, *salt]).generate_state(1)[0]))


def check_device(device: str) -> None:
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValidationError("device", device, "CUDA is not available in this torch build or machine")
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")     # deterministic cuBLAS (resume)


def _cosine(cfg: Config):
    """LambdaLR factor per epoch: linear warm-up, then half a cosine over the remaining epochs (docs/continual_learning.md)."""
    w, E = cfg.warmup, max(cfg.epochs, 1)

    def factor(e):
        if e < w:
            return (e + 1) / w
        return 0.5 * (1 + math.cos(math.pi * (e - w) / max(E - w, 1)))
    return factor


class Run:
    """One experiment: data, model, method state, the accuracy matrix and checkpoints."""

    def __init__(self, cfg: Config, data=None, out_dir: str | None = None,
                 progress: bool | None = None, log=None):
        self.cfg = cfg.validate()
        check_device(cfg.device)
        torch.use_deterministic_algorithms(True, warn_only=True)
        self.data = data if data is not None else load_data(cfg)
        self.out_dir, self.progress, self.log = out_dir, progress, log
        self.dev = torch.device(cfg.device)
        self.batches = Batches(self.data, self.dev, cfg.train_limit, cfg.test_limit)
        self.model = build_model(cfg, self.batches.shape, self.data.n_classes,
                                 _generator(cfg.seed, 0xA11)).to(self.dev)
        self.sizes = [lat.n_in for lat in self.model.laterals]
        self.ewc = EWC(cfg.ewc_lambda, cfg.lr) if cfg.method == "ewc" else None
        self.gpm = None
        if cfg.method == "gpm":
            self.gpm = GPM(self.sizes, cfg.gpm_threshold, cfg.gpm_step).to(self.dev)
            self.model.projectors = self.gpm.bases
        self.memory = ReplayMemory(cfg.replay_per_class, cfg.replay_batch) if cfg.replays else None
        self.matrix = np.full((cfg.tasks, cfg.tasks), np.nan)
        self.task_seconds: list = []
        self.next_task = 0

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> dict:
        for t in range(self.next_task, self.cfg.tasks):
            t0 = time.perf_counter()
            if t < self.cfg.first_trained:          # joint-only multitask: nothing to learn before the end
                self._add_heads(t + 1)
                self.task_seconds.append(0.0)
                self.next_task = t + 1
                continue
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

    def _add_heads(self, n: int) -> None:
        while self.model.multi_head and len(self.model.head_w) < n:
            self.model.add_head(_generator(self.cfg.seed, len(self.model.head_w), 0x4EAD))

    def train_task(self, t: int) -> None:
        cfg, model = self.cfg, self.model
        self._add_heads(t + 1)
        if cfg.hebbian:
            g = _generator(cfg.seed, t, 0x1A7)
            for lat, k in zip(model.laterals, layer_dims(cfg, self.sizes, t)):
                lat.add(k, g, against_old=cfg.orth_new_rows)
            model.laterals_to(self.dev)
        model.train()
        if t > cfg.first_trained:                   # BN and thresholds learn in task 0 only (docs/hlop.md, 4)
            model.freeze_after_first_task()
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.SGD(params, lr=cfg.task_lr(t), momentum=cfg.momentum)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, _cosine(cfg)) if cfg.schedule == "cosine" else None
        tasks = list(range(t + 1)) if cfg.method == "multitask" else [t]
        sizes = torch.tensor([self.batches.size(k) for k in tasks])
        starts = torch.cumsum(sizes, 0) - sizes
        n = int(sizes.sum())
        steps = -(-n // cfg.batch)
        project = cfg.projects and t > 0
        gen = _generator(cfg.seed, t, 0xDA7A)
        rgen = _generator(cfg.seed, t, 0x4E9)
        with Progress(steps * cfg.epochs, f"task {t + 1}/{cfg.tasks}", enabled=self.progress) as bar:
            for _ in range(cfg.epochs):
                order = torch.randperm(n, generator=gen)
                for b in range(steps):
                    idx = order[b * cfg.batch:(b + 1) * cfg.batch]
                    if len(tasks) > 1:
                        k = torch.searchsorted(starts, idx, right=True) - 1
                        task, rows = torch.as_tensor(tasks)[k].to(self.dev), (idx - starts[k]).to(self.dev)
                    else:
                        task, rows = t, idx.to(self.dev)
                    self._step(model, opt, t, task, rows, project, rgen)
                    bar.update()
                if sched is not None:
                    sched.step()
        self._after_task(t)

    def _step(self, model, opt, t, task, rows, project, rgen) -> None:
        cfg = self.cfg
        x, y = self.batches.batch(task, rows)
        logits, hebb_rows = model(x, task=task, project=project)
        loss = torch.nn.functional.cross_entropy(logits, y, reduction="sum")
        count = len(y)
        mem = self.memory.sample(rgen) if self.memory is not None else None
        if mem is not None:                          # replayed examples: their own heads, unprojected
            rt, rr = (v.to(self.dev) for v in mem)
            xr, yr = self.batches.batch(rt, rr)
            loss = loss + torch.nn.functional.cross_entropy(model(xr, task=rt)[0], yr, reduction="sum")
            count += len(yr)
        loss = loss / count
        if self.ewc is not None:
            loss = loss + self.ewc.penalty(model)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if project:
            model.project_weight_grads()
        opt.step()
        model.clip_thresholds()
        if cfg.hebbian:
            model.hebb(hebb_rows, cfg.hebb_iterations)

    def _after_task(self, t: int) -> None:
        cfg = self.cfg
        self.model.eval()                           # batch norm as at test time while a task is read out
        if self.ewc is not None:
            self.ewc.consolidate(self.model, self._sample_batches(t, cfg.ewc_samples, 0xF15), t)
        if self.gpm is not None:
            self._gpm_update(t)
        if self.memory is not None:
            self.memory.add(t, self.batches.labels(t), _generator(cfg.seed, t, 0x3E3))

    def _sample_batches(self, t: int, count: int, salt: int):
        gen = _generator(self.cfg.seed, t, salt)
        idx = torch.randperm(self.batches.size(t), generator=gen)[:count].to(self.dev)
        for b in range(0, len(idx), self.cfg.batch):
            x, y = self.batches.batch(t, idx[b:b + self.cfg.batch])
            yield x, y, t

    @torch.no_grad()
    def _gpm_update(self, t: int) -> None:
        """Representation matrices from gpm_samples training examples of task t (in the inference
        mode _after_task set)."""
        cfg, model = self.cfg, self.model
        gen = _generator(cfg.seed, t, 0x69A)
        idx = torch.randperm(self.batches.size(t), generator=gen)[:cfg.gpm_samples].to(self.dev)
        parts = [model(self.batches.batch(t, idx[b:b + cfg.eval_batch])[0], task=t)[1]
                 for b in range(0, len(idx), cfg.eval_batch)]
        reps = [torch.cat(layer) for layer in zip(*parts)]
        keep = list(cfg.gpm_patch_samples[:len(reps)])           # conv layers; the rest (classifier) take all
        keep += [len(idx)] * (len(reps) - len(keep))
        reps = [r[:min(k, len(idx)) * (len(r) // len(idx))] for r, k in zip(reps, keep)]
        self.gpm.update(reps, t)

    @torch.no_grad()
    def evaluate(self, task: int) -> float:
        self.model.eval()
        n = self.batches.size(task, "test")
        correct = 0
        for b in range(0, n, self.cfg.eval_batch):
            x, y = self.batches.batch(task, torch.arange(b, min(b + self.cfg.eval_batch, n), device=self.dev), "test")
            logits, _ = self.model(x, task=task)
            correct += int((logits.argmax(1) == y).sum())
        return 100.0 * correct / n

    # -- results and checkpoints ------------------------------------------------------------
    def result(self) -> dict:
        done = self.next_task
        m = self.matrix[:done, :done]
        return {"acc": metrics.acc(m), "bwt": metrics.bwt(m), "matrix": metrics.matrix_list(m),
                "seconds": float(sum(self.task_seconds)), "task_seconds": list(self.task_seconds),
                "tasks_done": done, "config": self.cfg.to_dict(),
                "orthonormality_error": [lat.orthonormality_error() for lat in self.model.laterals]
                if self.cfg.hebbian else None,
                "gpm_basis": [b.n_old for b in self.gpm.bases] if self.gpm is not None else None}

    def state(self) -> dict:
        return {"config": self.cfg.to_dict(), "next_task": self.next_task, "matrix": self.matrix,
                "task_seconds": self.task_seconds, "weights": self.model.state_dict(),
                "laterals": self.model.lateral_state(), "ewc": self.ewc.state_dict() if self.ewc else None,
                "heads": len(self.model.head_w), "gpm": self.gpm.state_dict() if self.gpm else None,
                "memory": self.memory.state_dict() if self.memory else None}

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
        self._add_heads(int(st.get("heads", 0)))
        self.model.load_state_dict(st["weights"])
        self.model.load_lateral_state(st["laterals"])
        self.model.laterals_to(self.dev)
        if self.ewc is not None and st["ewc"] is not None:
            self.ewc.load_state_dict(st["ewc"], self.dev)
        if self.gpm is not None and st.get("gpm") is not None:
            self.gpm.load_state_dict(st["gpm"])
            self.gpm.to(self.dev)
        if self.memory is not None and st.get("memory") is not None:
            self.memory.load_state_dict(st["memory"])


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
