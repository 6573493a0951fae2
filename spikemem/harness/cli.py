"""`spikemem harness`: the shared harness from the command line, on any backend."""
from __future__ import annotations

import json

from ..description.validation import flag, integer, threads
from ..sweeps import add_sweep_args, run_chunks, sweep_options
from .runner import memory_model, published_cases, score_batch


def register(sub):
    p = sub.add_parser("harness", help="score published and random cases against the ideal memory on a backend")
    p.add_argument("--backend", default=None, help="backend name (default: reference)")
    p.add_argument("--device", default=None, help="device for array backends")
    p.add_argument("--foreign-scheme", action="store_true",
                   help="PyNN backends: run a network written for another update scheme with the simulator's own")
    p.add_argument("--threads", type=flag(threads, int), default=None, help="NEST's local_num_threads (nest backend)")
    p.add_argument("--model", default="ca3", help="memory model (default: ca3)")
    p.add_argument("--variant", action="append", default=None,
                   help="model variant; repeat to compare variants side by side (default: faithful)")
    p.add_argument("--cases", default=None,
                   help="the model's published cases to run, comma-separated (default: all)")
    p.add_argument("--random", type=flag(integer, int, lo=0, hi=100_000), default=8, help="random sequences per spacing (default 8, 0 for none)")
    p.add_argument("--numerics", default="float", choices=["float", "fixed"],
                   help="float (default) or fixed: a SpiNNaker core's arithmetic (docs/fixed_point.md)")
    p.add_argument("--json", action="store_true")
    add_sweep_args(p)
    p.set_defaults(func=_harness)


def _harness(args) -> int:
    opts = {"device": args.device} if args.device else {}
    if args.foreign_scheme:
        opts["foreign_scheme"] = True
    if args.threads is not None:
        opts["threads"] = args.threads
    names = None if args.cases is None else [n for n in args.cases.split(",") if n]
    batches = [(c.name, [c]) for c in published_cases(names, args.model)]
    if args.random:
        mem = memory_model(args.model)
        C, N = mem.random_size
        for spacing in (None, 14):
            for content in ("single", "mixed"):
                label = f"random {C}x{N} {content}, {'min' if spacing is None else spacing} ms"
                batches.append((label, [mem.random_case(C, N, 60, s, spacing, content)
                                        for s in range(args.random)]))
    variants = args.variant or ["faithful"]
    chunks = [(label, cases, args.backend, variant, args.model, opts, args.numerics)
              for variant in variants for label, cases in batches]
    rows = run_chunks(score_batch, chunks, label="harness", sizes=[len(c[1]) for c in chunks],
                      progress=False if args.json else None, **sweep_options(args))
    if args.json:
        print(json.dumps(rows))
        return 0
    if args.numerics != "float":
        print(f"numerics: {args.numerics} (docs/fixed_point.md)")
    print(f"{'case':<30} {'variant':<10} {'learn':>9} {'cue':>9} {'content':>9} {'overall':>9}")
    for r in rows:
        if "skipped" in r:
            print(f"{r['case']:<30} {r['variant']:<10} skipped: {r['skipped']}")
            continue
        cells = [f"{c}/{n}" if n else "-" for c, n in (r["counts"][k] for k in
                                                       ("learn", "recall_cue", "recall_content", "overall"))]
        print(f"{r['case']:<30} {r['variant']:<10} " + " ".join(f"{x:>9}" for x in cells))
    return 0
