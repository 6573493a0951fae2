"""`spikemem bench memory`: what one operation of a CA3Memory costs as its history grows.

The memory drives a live session (docs/scale.md), so an operation should cost its own simulated
time whatever came before: the table gives the mean wall time per operation in consecutive
blocks of operations, and, beside it, the same memory re-running its whole schedule per
operation (how it worked before sessions, and how backends without sessions still work) for
the first --rerun-ops operations. Flat session figures and growing re-run figures are the point.
"""
from __future__ import annotations

import json
import time


def register(sub):
    p = sub.add_parser("memory", help="CA3Memory operation by operation: wall time per operation as history grows, "
                                      "live session beside whole-schedule re-runs")
    p.add_argument("--size", type=int, default=100, help="C = N (default 100)")
    p.add_argument("--ops", type=int, default=1000, help="operations on the session (default 1000)")
    p.add_argument("--block", type=int, default=100, help="operations per table row (default 100)")
    p.add_argument("--rerun-ops", dest="rerun_ops", type=int, default=200,
                   help="operations of the re-run comparison (quadratic; default 200)")
    p.add_argument("--backend", default=None, help="backend with sessions (default reference)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_bench)


class _NoSession:
    """A backend seen without its session(): the memory re-runs the whole schedule."""

    def __init__(self, backend):
        self.backend, self.name = backend, backend.name

    def run(self, *a, **k):
        return self.backend.run(*a, **k)


def per_op_times(memory, case, n_ops) -> list:
    out = []
    for t0, op in case.timed_ops[:n_ops]:
        t = time.perf_counter()
        memory._do(op, t0)
        out.append(time.perf_counter() - t)
    return out


def _bench(args) -> int:
    from spikemem.registry import get_backend

    from . import cases as hc
    from .memory import CA3Memory
    case = hc.random_case(args.size, args.size, max(args.ops, args.rerun_ops), seed=0)
    live = CA3Memory(args.size, args.size, backend=args.backend)
    session = per_op_times(live, case, args.ops)
    rerun_memory = CA3Memory(args.size, args.size, backend=args.backend)
    rerun_memory.backend = _NoSession(get_backend(args.backend))
    rerun = per_op_times(rerun_memory, case, args.rerun_ops)
    same = rerun_memory.outcomes == live.outcomes[:len(rerun_memory.outcomes)]
    rows = []
    for lo in range(0, args.ops, args.block):
        hi = min(args.ops, lo + args.block)
        row = {"ops": f"{lo + 1}-{hi}", "session_ms_per_op": 1e3 * sum(session[lo:hi]) / (hi - lo)}
        if hi <= len(rerun):
            row["rerun_ms_per_op"] = 1e3 * sum(rerun[lo:hi]) / (hi - lo)
        rows.append(row)
    if args.json:
        print(json.dumps({"size": args.size, "rows": rows, "outcomes_equal": same}))
        return 0
    print(f"CA3Memory {args.size}x{args.size} on {live.backend.name}, operations at the minimum spacing")
    print(f"{'operations':>12} {'session ms/op':>14} {'re-run ms/op':>13}")
    for r in rows:
        rr = f"{r['rerun_ms_per_op']:13.1f}" if "rerun_ms_per_op" in r else f"{'-':>13}"
        print(f"{r['ops']:>12} {r['session_ms_per_op']:14.1f} {rr}")
    print(f"outcomes of the first {len(rerun)} operations equal between the two: {same}")
    return 0
