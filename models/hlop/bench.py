"""`spikemem bench continual`: cost per training minibatch of HLOP vs fine-tuning, side by side.

Runs the PMNIST-size network (784–800–800–10, batch 64) on synthetic inputs, HLOP with the
subspace sizes of the last task (the most expensive state), and prints seconds per batch, the
HLOP/fine-tuning ratio and the projected training time of 10 tasks × 938 batches next to the
official code's measured figures (docs/hlop.md, 12).
"""
from __future__ import annotations

import time

from spikemem.description.validation import POSITIVE_INT, flag, threads
from spikemem.optional import require

# official code, HLOP, seconds per training minibatch (docs/hlop.md, 12: CPU 2 threads; T=20 from a 50-batch probe)
OFFICIAL_PER_BATCH = {"cpu": {10: 0.07, 20: 0.23}}
BATCHES = 10 * 938


def register(sub):
    p = sub.add_parser("continual", help="HLOP vs fine-tuning: seconds per PMNIST training minibatch")
    p.add_argument("--timesteps", type=POSITIVE_INT, nargs="+", default=[10, 20])
    p.add_argument("--batches", type=POSITIVE_INT, default=30, help="timed minibatches per setting")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=flag(threads, int), default=None)
    p.set_defaults(func=run_bench)


def run_bench(args) -> int:
    torch = require("torch", "hlop")

    from .config import layer_dims, make_config
    from .model import SpikingMLP
    from .train import check_device
    check_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = make_config("pmnist", device=args.device)
    dev = torch.device(args.device)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.batches + 3, cfg.batch, 784, generator=g).to(dev)
    y = torch.randint(0, 10, (args.batches + 3, cfg.batch), generator=g).to(dev)
    print(f"device {args.device}, torch threads {torch.get_num_threads()}, batch {cfg.batch}, {args.batches} batches")
    print(f"{'T':>3} {'hlop s/batch':>13} {'finetune s/batch':>17} {'hlop/ft':>8} {'official hlop s/batch':>22} "
          f"{'speed-up':>9} {'hlop 10x938 batches':>20}")
    for T in args.timesteps:
        cost = {}
        for method in ("hlop", "finetune"):
            model = SpikingMLP(784, cfg.hidden, 10, T, generator=torch.Generator().manual_seed(1))
            if method == "hlop":
                for t in range(cfg.tasks):
                    for lat, k in zip(model.laterals, layer_dims(cfg, [lat.n_in for lat in model.laterals], t)):
                        lat.add(k, g)
                    if t < cfg.tasks - 1:
                        lat_merge(model)
            model.to(dev)
            model.laterals_to(dev)
            opt = torch.optim.SGD([w for w in model.weights], lr=cfg.lr)
            for b in range(args.batches + 3):
                if b == 3:
                    _sync(dev)
                    t0 = time.perf_counter()
                logits, rows = model(x[b], project=method == "hlop")
                loss = torch.nn.functional.cross_entropy(logits, y[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                if method == "hlop":
                    model.hebb(rows, cfg.hebb_iterations)
            _sync(dev)
            cost[method] = (time.perf_counter() - t0) / args.batches
        ref = OFFICIAL_PER_BATCH.get(args.device, {}).get(T)
        print(f"{T:>3} {cost['hlop']:13.4f} {cost['finetune']:17.4f} {cost['hlop'] / cost['finetune']:8.2f} "
              f"{('%.3f' % ref) if ref else '-':>22} {('%.1fx' % (ref / cost['hlop'])) if ref else '-':>9} "
              f"{cost['hlop'] * BATCHES:19.0f}s")
    print("hlop at the last task's subspace sizes (the most expensive state); the 10-task column counts "
          "training minibatches only. Official: docs/hlop.md, 12, 2 CPU threads on an idle machine.")
    return 0


def lat_merge(model):
    for lat in model.laterals:
        lat.merge()


def _sync(dev):
    import torch
    if dev.type == "cuda":
        torch.cuda.synchronize()
