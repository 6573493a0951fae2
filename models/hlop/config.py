"""Run settings per dataset: the official PMNIST values (docs/hlop.md, 6 and 8) and a scaled digits set."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from spikemem.description import validation
from spikemem.errors import ValidationError

from .data import check_tasks

METHODS = ("hlop", "finetune", "multitask", "ewc")
# Upper bounds far beyond any useful run: they keep a typo (an extra zero, or ten) from starting a
# run that would take years or allocate terabytes before it fails.
LIMITS = {"epochs": 10_000, "timesteps": 10_000, "hidden": 100_000, "batch": 1_000_000, "hebb_iterations": 10_000,
          "eval_batch": 1_000_000, "ewc_samples": 10_000_000, "lateral_steps": 1e6}
DATASETS = ("digits", "pmnist")
DEVICES = ("cpu", "cuda")


@dataclass
class Config:
    dataset: str = "digits"
    method: str = "hlop"
    tasks: int = 5
    epochs: int = 1
    timesteps: int = 20
    seed: int = 2022
    device: str = "cpu"
    neuron: str = "dsr"
    hidden: int = 800
    batch: int = 64
    lr: float = 0.1
    hebb_lr: tuple = (0.001, 0.01, 0.01)
    hebb_iterations: int = 5
    dims_first: tuple = (80, 200, 100)
    dims_inc: tuple = (70, 70, 70)
    dims_shrink: int = 20          # subtracted from the increment at tasks 3, 6, 9 (cumulative)
    spiking_lateral: bool = False
    lateral_steps: float = 40.0
    ewc_lambda: float = 5000.0
    ewc_samples: int = 2000
    eval_batch: int = 1000
    train_limit: int = 0           # 0: all training images of a task
    test_limit: int = 0
    data_dir: str | None = None

    def dims_added(self, task: int) -> tuple:
        """Lateral rows added for `task` (docs/hlop.md, 6: first, then inc − shrink·(task//3) from task 1 on)."""
        if task == 0:
            return tuple(self.dims_first)
        cut = self.dims_shrink * (task // 3)
        return tuple(max(d - cut, 0) for d in self.dims_inc)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hebb_lr"], d["dims_first"], d["dims_inc"] = list(self.hebb_lr), list(self.dims_first), list(self.dims_inc)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValidationError("config", sorted(unknown), "unknown settings")
        d = dict(d)
        for k in ("hebb_lr", "dims_first", "dims_inc"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)

    def validate(self) -> "Config":
        """Every setting checked for type, finiteness and range (spikemem's validation vocabulary)."""
        validation.choice("dataset", self.dataset, set(DATASETS))
        validation.choice("method", self.method, set(METHODS))
        validation.choice("device", self.device, set(DEVICES))
        validation.choice("neuron", self.neuron, {"dsr", "bptt"})
        check_tasks(self.tasks)
        for f in ("epochs", "timesteps", "hidden", "batch", "hebb_iterations", "eval_batch", "ewc_samples"):
            validation.integer(f, getattr(self, f), lo=1, hi=LIMITS[f])
        for f in ("train_limit", "test_limit", "dims_shrink"):
            validation.integer(f, getattr(self, f), lo=0)
        validation.integer("seed", self.seed, lo=0, hi=2**63 - 1)
        validation.positive("lr", self.lr)
        validation.number("lateral_steps", self.lateral_steps, lo=0, lo_open=True, hi=LIMITS["lateral_steps"])
        validation.positive("ewc_lambda", self.ewc_lambda)
        validation.boolean("spiking_lateral", self.spiking_lateral)
        for f, check in (("hebb_lr", validation.positive), ("dims_first", validation.count), ("dims_inc", validation.count)):
            values = validation.sequence(f, getattr(self, f))
            if len(values) != 3:
                raise ValidationError(f, getattr(self, f), "needs one value per shared layer (3)")
            for v in values:
                check(f, v)
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            raise ValidationError("data_dir", self.data_dir, "must be a folder name")
        return self


DEFAULTS = {
    # official PMNIST settings (docs/hlop.md, 6-8)
    "pmnist": dict(tasks=10, epochs=1, timesteps=20, hidden=800, batch=64, lr=0.1,
                   hebb_lr=(0.001, 0.01, 0.01), dims_first=(80, 200, 100), dims_inc=(70, 70, 70),
                   dims_shrink=20, ewc_lambda=5000.0),
    # digits on a 16×16 canvas: a smaller net and more epochs, so the subspaces see enough
    # minibatches (docs/hlop.md, 12); sizes grow per task like PMNIST's, shrinking by 4 at tasks 3, 6, 9
    "digits": dict(tasks=10, epochs=10, timesteps=10, hidden=256, batch=32, lr=0.1,
                   hebb_lr=(0.01, 0.01, 0.01), dims_first=(30, 60, 40), dims_inc=(20, 24, 20),
                   dims_shrink=4, ewc_lambda=20000.0, eval_batch=500),
}


def make_config(dataset: str, **overrides) -> Config:
    validation.choice("dataset", dataset, set(DATASETS))
    base = dict(DEFAULTS[dataset])
    base.update({k: v for k, v in overrides.items() if v is not None})
    return Config(dataset=dataset, **base).validate()
