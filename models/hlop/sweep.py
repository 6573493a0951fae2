"""`spikemem continual-sweep`: continual-learning runs over methods x seeds, one run per chunk.

Each (method, seed) trains from scratch with its own seed, so a chunk computes the same thing
on any worker: in-process by default, on a Dask cluster with --workers N or --scheduler
ADDRESS (spikemem.sweeps). Rows come back in (method, seed) order either way; a row's
`seconds` is its wall time, the only field that differs between runs.
"""
from __future__ import annotations

import json

from spikemem.description.validation import comma_integers, flag
from spikemem.description.validation import threads as check_threads
from spikemem.errors import ValidationError
from spikemem.sweeps import add_sweep_args, run_chunks, sweep_options

SETTINGS = ("tasks", "epochs", "timesteps", "hidden", "batch", "lr", "train_limit", "test_limit", "data_dir")


def register(sub):
    p = sub.add_parser("continual-sweep", help="continual learning over methods x seeds, distributable on Dask")
    p.add_argument("--dataset", default="digits", help="digits (offline, default) or pmnist (needs --data-dir)")
    p.add_argument("--methods", default="hlop,finetune", help="comma-separated methods (default hlop,finetune)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    for name, kind in (("tasks", int), ("epochs", int), ("timesteps", int), ("hidden", int), ("batch", int),
                       ("lr", float), ("train-limit", int), ("test-limit", int)):
        p.add_argument(f"--{name}", dest=name.replace("-", "_"), type=kind, default=None)
    p.add_argument("--data-dir", dest="data_dir", default=None)
    p.add_argument("--threads", type=flag(check_threads, int), default=1, help="torch threads per run (default 1)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    add_sweep_args(p)
    p.set_defaults(func=_sweep)


def sweep_cells(dataset, methods, seeds, settings: dict, threads: int = 1, **sweep) -> list:
    """One row per (method, seed), in that order: ACC, BWT, the accuracy matrix and seconds."""
    from .config import METHODS, make_config
    if not methods:
        raise ValidationError("methods", ",".join(methods), f"must name at least one of {METHODS}")
    for m in methods:
        if m not in METHODS:
            raise ValidationError("methods", m, f"unknown method; choose from {METHODS}")
    if len(set(methods)) != len(methods):
        raise ValidationError("methods", ",".join(methods), "names a method twice")
    check_threads("threads", threads)
    for m in methods:                                   # every configuration is checked before any work
        for s in seeds:
            make_config(dataset, method=m, seed=s, **settings)
    chunks = [(dataset, m, s, settings, threads) for m in methods for s in seeds]
    return run_chunks(train_cell, chunks, label="continual", **sweep)


def train_cell(dataset, method, seed, settings, threads) -> dict:
    """One continual-learning run (a sweep chunk)."""
    import torch

    from .config import make_config
    from .train import Run
    torch.set_num_threads(threads)
    res = Run(make_config(dataset, method=method, seed=seed, **settings), progress=False).run()
    return {"method": method, "seed": seed, "acc": res["acc"], "bwt": res["bwt"],
            "matrix": [list(map(float, row)) for row in res["matrix"]], "seconds": res["seconds"]}


def _sweep(args) -> int:
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    seeds = comma_integers("seeds", args.seeds, lo=0, hi=2**63 - 1)
    settings = {k: getattr(args, k) for k in SETTINGS}
    rows = sweep_cells(args.dataset, methods, seeds, settings, args.threads,
                       progress=False if args.json else None, **sweep_options(args))
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'method':<10} {'seed':>5} {'ACC (%)':>8} {'BWT (%)':>8} {'seconds':>8}")
    for r in rows:
        print(f"{r['method']:<10} {r['seed']:>5} {r['acc']:8.2f} {r['bwt']:+8.2f} {r['seconds']:8.1f}")
    return 0
