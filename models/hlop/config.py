"""Run settings per dataset: the reference values (docs/hlop.md, 6-8; docs/continual_learning.md), a scaled
digits set, and the architecture's subspace sizes (scaled to the layer sizes when a network differs)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from spikemem.description import validation
from spikemem.errors import ValidationError

from .data import check_tasks

METHODS = ("hlop", "finetune", "multitask", "ewc", "gpm", "replay", "hlop+replay")
DATASETS = ("digits", "pmnist", "split-mnist", "cifar100", "miniimagenet", "five-datasets")
DEVICES = ("cpu", "cuda")
SCENARIOS = ("task", "domain")
ARCHS = ("mlp", "cnn", "resnet18")
PROJ_TYPES = ("input", "weight")
SCHEDULES = ("constant", "cosine")
NEURONS = ("dsr", "bptt")
# Upper bounds far beyond any useful run: they keep a typo (an extra zero, or ten) from starting a
# run that would take years or allocate terabytes before it fails.
LIMITS = {"epochs": 10_000, "timesteps": 10_000, "hidden": 100_000, "batch": 1_000_000, "hebb_iterations": 10_000,
          "eval_batch": 1_000_000, "ewc_samples": 10_000_000, "lateral_steps": 1e6, "nf": 10_000,
          "gpm_samples": 1_000_000, "replay_per_class": 1_000_000, "replay_batch": 1_000_000}
MAX_TASKS = {"digits": 10, "pmnist": 10, "split-mnist": 5, "cifar100": 10, "miniimagenet": 20, "five-datasets": 5}
TUPLES = ("hebb_lr", "dims_first", "dims_inc", "dims_inc_late", "channels", "gpm_threshold", "gpm_patch_samples")


@dataclass
class Config:
    dataset: str = "digits"
    method: str = "hlop"
    scenario: str = "domain"       # domain: one shared head; task: a head per task chosen by the task id
    arch: str = "mlp"
    tasks: int = 5
    epochs: int = 1
    timesteps: int = 20
    seed: int = 2022
    device: str = "cpu"
    neuron: str = "dsr"
    hidden: int = 800
    channels: tuple = (64, 128, 256)
    nf: int = 20
    proj_type: str = "input"
    batch: int = 64
    lr: float = 0.1
    lr_later: float = 0.0          # lr of tasks after the first (0: lr)
    momentum: float = 0.0
    schedule: str = "constant"
    warmup: int = 0
    hebb_lr: tuple = (0.001, 0.01, 0.01)
    hebb_iterations: int = 5
    dims_first: tuple = ()          # empty: the architecture's reference sizes
    dims_inc: tuple = ()
    dims_shrink: int = 0            # subtracted from the increment at tasks 3, 6, 9 (cumulative)
    dims_inc_late: tuple = ()       # increments from task dims_late_from on (miniImageNet)
    dims_late_from: int = 0
    orth_new_rows: bool = False     # start a task's lateral rows orthogonal to the frozen ones
    spiking_lateral: bool = False
    lateral_steps: float = 40.0
    ewc_lambda: float = 5000.0
    ewc_samples: int = 2000
    gpm_threshold: tuple = (0.95, 0.99, 0.99)
    gpm_step: float = 0.0
    gpm_samples: int = 300
    gpm_patch_samples: tuple = ()   # examples whose patches enter a conv layer's matrix (empty: all)
    joint_only: bool = False       # multitask: one joint training on all tasks once the last one has arrived
    replay_per_class: int = 50
    replay_batch: int = 64
    eval_batch: int = 1000
    train_limit: int = 0           # 0: all training images of a task
    test_limit: int = 0
    data_dir: str | None = None

    @property
    def projects(self) -> bool:
        return self.method in ("hlop", "hlop+replay", "gpm")

    @property
    def hebbian(self) -> bool:
        return self.method in ("hlop", "hlop+replay")

    @property
    def replays(self) -> bool:
        return self.method in ("replay", "hlop+replay")

    @property
    def first_trained(self) -> int:
        """The task whose training comes first (the last one for a joint-only multitask run)."""
        return self.tasks - 1 if self.method == "multitask" and self.joint_only else 0

    def task_lr(self, task: int) -> float:
        return self.lr_later if task > self.first_trained and self.lr_later > 0 else self.lr

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in TUPLES:
            d[k] = list(getattr(self, k))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValidationError("config", sorted(unknown), "unknown settings")
        d = dict(d)
        for k in TUPLES:
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)

    def validate(self) -> "Config":
        """Every setting checked for type, finiteness and range (spikemem's validation vocabulary)."""
        for f, allowed in (("dataset", DATASETS), ("method", METHODS), ("device", DEVICES), ("scenario", SCENARIOS),
                           ("arch", ARCHS), ("proj_type", PROJ_TYPES), ("schedule", SCHEDULES), ("neuron", NEURONS)):
            validation.choice(f, getattr(self, f), set(allowed))
        check_tasks(self.tasks, MAX_TASKS[self.dataset])
        for f in ("epochs", "timesteps", "hidden", "batch", "hebb_iterations", "eval_batch", "ewc_samples", "nf",
                  "gpm_samples", "replay_per_class", "replay_batch"):
            validation.integer(f, getattr(self, f), lo=1, hi=LIMITS[f])
        for f in ("train_limit", "test_limit", "dims_shrink", "warmup", "dims_late_from"):
            validation.integer(f, getattr(self, f), lo=0)
        validation.integer("seed", self.seed, lo=0, hi=2**63 - 1)
        validation.positive("lr", self.lr)
        validation.number("lr_later", self.lr_later, lo=0)
        validation.number("momentum", self.momentum, lo=0, hi=1, hi_open=True)
        validation.number("lateral_steps", self.lateral_steps, lo=0, lo_open=True, hi=LIMITS["lateral_steps"])
        validation.positive("ewc_lambda", self.ewc_lambda)
        for f in ("spiking_lateral", "orth_new_rows", "joint_only"):
            validation.boolean(f, getattr(self, f))
        checks = (("hebb_lr", validation.positive, 1), ("channels", _width, 1), ("gpm_threshold", _fraction, 1),
                  ("dims_first", validation.count, 0), ("dims_inc", validation.count, 0),
                  ("dims_inc_late", validation.count, 0), ("gpm_patch_samples", validation.count, 0))
        for f, check, least in checks:
            values = validation.sequence(f, getattr(self, f))
            if len(values) < least:
                raise ValidationError(f, getattr(self, f), "needs at least one value")
            for v in values:
                check(f, v)
        if len(self.dims_first) != len(self.dims_inc):
            raise ValidationError("dims_inc", self.dims_inc, "needs as many entries as dims_first")
        if self.arch != "mlp" and self.neuron != "dsr":
            raise ValidationError("neuron", self.neuron, f"--arch {self.arch} runs on DSR neurons only")
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            raise ValidationError("data_dir", self.data_dir, "must be a folder name")
        return self


def _width(field, v):
    return validation.integer(field, v, lo=1, hi=100_000)


def _fraction(field, v):
    return validation.number(field, v, lo=0, lo_open=True, hi=1)


def per_layer(values, n: int, name: str) -> list:
    """One value per shared layer: the first n of a list at least that long, or one value for all."""
    values = list(values)
    if len(values) >= n:
        return values[:n]
    if len(values) == 1:
        return values * n
    raise ValidationError(name, tuple(values), f"needs one value per shared layer ({n}) or one for all")


# -- subspace sizes (docs/hlop.md, 6; docs/continual_learning.md): reference input size, first task, later tasks
REFERENCE = {
    "mlp": ((784, 800, 800), (80, 200, 100), (70, 70, 70), 20),
    "cnn": ((27, 576, 1152), (6, 100, 200), (2, 20, 40), 0),
    # 5-Datasets ResNet-18: stem, then per block [conv1, conv2(, downsample)]
    "resnet18": ((27, 180, 180, 180, 180, 180, 360, 20, 360, 360, 360, 720, 40, 720, 720, 720, 1440, 80, 1440, 1440),
                 (6, 40, 40, 40, 40, 40, 100, 6, 100, 100, 100, 200, 8, 200, 200, 200, 200, 16, 200, 200),
                 (6, 40, 40, 40, 40, 40, 100, 6, 100, 100, 100, 200, 8, 200, 200, 200, 200, 16, 200, 200), 0),
    # miniImageNet ResNet-18 (5×5 stem); increments change from task 6 on
    "resnet18-mini": ((75, 180, 180, 180, 180, 180, 360, 20, 360, 360, 360, 720, 40, 720, 720, 720, 1440, 80, 1440, 1440),
                      (24, 90, 90, 90, 90, 90, 180, 10, 180, 180, 180, 360, 20, 360, 360, 360, 720, 40, 720, 720),
                      (2, 6, 6, 6, 6, 6, 12, 1, 12, 12, 12, 24, 2, 24, 24, 24, 48, 4, 48, 48), 0),
}
MINI_LATE = (0, 2, 2, 2, 2, 2, 4, 0, 4, 4, 4, 8, 0, 8, 8, 8, 16, 0, 16, 16)
MINI_LATE_FROM = 6


def _scale(ref_dims, ref_sizes, sizes) -> tuple:
    """Reference sizes scaled by the layer's input size relative to the reference one (identical when equal)."""
    return tuple(d if n == r else (max(1, round(d * n / r)) if d else 0) for d, r, n in zip(ref_dims, ref_sizes, sizes))


def layer_dims(cfg: Config, sizes, task: int) -> tuple:
    """Lateral rows added to each layer (input sizes `sizes`) for `task`."""
    n = len(sizes)
    if cfg.dims_first:
        first, inc, late = cfg.dims_first[:n], cfg.dims_inc[:n], cfg.dims_inc_late[:n]
        shrink, late_from = cfg.dims_shrink, cfg.dims_late_from
        if len(first) != n:
            raise ValidationError("dims_first", cfg.dims_first, f"needs one entry per shared layer ({n})")
    else:
        key = "resnet18-mini" if cfg.arch == "resnet18" and sizes[0] == 75 else cfg.arch
        ref, f0, i0, shrink = REFERENCE[key]
        conv = len(ref) if cfg.arch != "mlp" else n
        first, inc = _scale(f0[:conv], ref[:conv], sizes[:conv]), _scale(i0[:conv], ref[:conv], sizes[:conv])
        late, late_from = (), 0
        if key == "resnet18-mini":
            late, late_from = _scale(MINI_LATE, ref, sizes[:len(ref)]), MINI_LATE_FROM
        if n > conv:                                 # the shared classifier of a conv net (domain scenario)
            k = max(1, round(sizes[-1] / 16))
            first, inc = first + (k,), inc + (k,)
            late = late + (k,) if late else late
    if task == 0:
        return tuple(first)
    if late and late_from and task >= late_from:
        return tuple(late)
    cut = shrink * (task // 3)
    return tuple(max(d - cut, 0) for d in inc)


# the reference conv networks' optimiser, Hebbian and GPM settings (docs/continual_learning.md), shared by
# their datasets' presets and by a conv --arch on another dataset
CNN_SETTINGS = dict(lr=0.01, momentum=0.9, hebb_lr=(0.01,), gpm_threshold=(0.97,), gpm_step=0.003, gpm_samples=125,
                    gpm_patch_samples=(24, 100, 100))
RESNET_SETTINGS = dict(momentum=0.9, hebb_lr=(0.01,), gpm_threshold=(0.965,), gpm_samples=100,
                       gpm_patch_samples=(10,) * 8 + (50,) * 3 + (100,) * 9)
RESNET_PRESET = dict(arch="resnet18", scenario="task", epochs=100, timesteps=20, batch=64, lr=0.1, lr_later=0.01,
                     schedule="cosine", ewc_lambda=5000.0, eval_batch=250, **RESNET_SETTINGS)
REFERENCE_DIMS = dict(dims_first=(), dims_inc=(), dims_shrink=0)     # the architecture's reference sizes

DEFAULTS = {
    # official PMNIST settings (docs/hlop.md, 6-8)
    "pmnist": dict(arch="mlp", scenario="domain", tasks=10, epochs=1, timesteps=20, hidden=800, batch=64, lr=0.1,
                   hebb_lr=(0.001, 0.01, 0.01), dims_first=(80, 200, 100), dims_inc=(70, 70, 70),
                   dims_shrink=20, ewc_lambda=5000.0),
    # digits on a 16×16 canvas: a smaller net and more epochs, so the subspaces see enough
    # minibatches (docs/hlop.md, 12); sizes grow per task like PMNIST's, shrinking by 4 at tasks 3, 6, 9
    "digits": dict(arch="mlp", scenario="domain", tasks=10, epochs=10, timesteps=10, hidden=256, batch=32, lr=0.1,
                   hebb_lr=(0.01, 0.01, 0.01), dims_first=(30, 60, 40), dims_inc=(20, 24, 20),
                   dims_shrink=4, ewc_lambda=20000.0, eval_batch=500),
    # 5 × 2 digits, task-incremental; the PMNIST network and Hebbian settings, sizes without shrinking
    # (one epoch is 190 minibatches, a fifth of a PMNIST task: too few for Oja's rule to remove the new
    # rows' overlap with the old subspace, so they start orthogonal to it)
    "split-mnist": dict(arch="mlp", scenario="task", tasks=5, epochs=1, timesteps=10, hidden=800, batch=64, lr=0.1,
                        hebb_lr=(0.001, 0.01, 0.01), dims_first=(80, 200, 100), dims_inc=(70, 70, 70),
                        ewc_lambda=5000.0, orth_new_rows=True),
    # 10-split CIFAR-100 (docs/continual_learning.md): SGD momentum 0.9, lr 0.01, cosine over 200 epochs with 5 warm-up
    "cifar100": dict(arch="cnn", scenario="task", tasks=10, epochs=200, timesteps=20, batch=64, schedule="cosine",
                     warmup=5, ewc_lambda=5000.0, eval_batch=500, **CNN_SETTINGS),
    "miniimagenet": dict(RESNET_PRESET, tasks=20),
    "five-datasets": dict(RESNET_PRESET, tasks=5),
}
# a conv network on a dataset whose preset is an MLP's: the reference CNN settings and sizes
ARCH_OVERRIDES = {"cnn": dict(REFERENCE_DIMS, **CNN_SETTINGS), "resnet18": dict(REFERENCE_DIMS, **RESNET_SETTINGS)}


def make_config(dataset: str, **overrides) -> Config:
    validation.choice("dataset", dataset, set(DATASETS))
    base = dict(DEFAULTS[dataset])
    arch = overrides.get("arch") or base["arch"]
    if arch != base["arch"] and arch in ARCH_OVERRIDES:
        base.update(ARCH_OVERRIDES[arch])
    base.update({k: v for k, v in overrides.items() if v is not None})
    return Config(dataset=dataset, **base).validate()
