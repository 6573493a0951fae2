"""`spikemem harness`: the shared harness from the command line, on any backend."""
from __future__ import annotations

import json

from ..description.validation import flag, integer
from ..sweeps import add_sweep_args, run_chunks, sweep_options
from .memory_cli import add_backend_args, add_numerics_arg, backend_options
from .runner import memory_model, published_cases, score_batch


def register(sub):
    p = sub.add_parser("harness", help="score published and random cases against the ideal memory on a backend")
    add_backend_args(p)
    p.add_argument("--model", default="ca3", help="memory model (default: ca3; `spikemem memory list` names them)")
    p.add_argument("--variant", action="append", default=None,
                   help="model variant; repeat to compare variants side by side (default: faithful)")
    p.add_argument("--cases", default=None,
                   help="the model's published cases to run, comma-separated (default: all)")
    p.add_argument("--random", type=flag(integer, int, lo=0, hi=100_000), default=8, help="random sequences per spacing (default 8, 0 for none)")
    add_numerics_arg(p)
    p.add_argument("--json", action="store_true")
    add_sweep_args(p)
    p.set_defaults(func=_harness)


def _harness(args) -> int:
    opts = backend_options(args)
    names = None if args.cases is None else [n for n in args.cases.split(",") if n]
    batches = [(c.name, [c]) for c in published_cases(names, args.model)]
    if args.random:
        mem = memory_model(args.model)
        C, N = mem.random_size
        for spacing in getattr(mem, "random_spacings", (None, 14)):
            for content in getattr(mem, "content_queries", ("single", "mixed")):
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
