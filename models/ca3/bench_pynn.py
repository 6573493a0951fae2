"""`spikemem bench pynn`: the same CA3 workload on reference, NEST and Brian2, side by side."""
from __future__ import annotations

import time

from spikemem.description.validation import POSITIVE_INT, flag, integer


def register(sub):
    p = sub.add_parser("pynn", help="CA3 memory (C = N = 32, 200 random operations) on reference, NEST and Brian2")
    p.add_argument("--size", type=POSITIVE_INT, default=32, help="C = N (default 32)")
    p.add_argument("--ops", type=POSITIVE_INT, default=200, help="random operations (default 200)")
    p.add_argument("--seed", type=flag(integer, int, lo=0, hi=2**63 - 1), default=0)
    p.add_argument("--variant", default="portable", help="CA3 variant (default portable: it runs on all three)")
    p.add_argument("--backends", default="reference,nest,brian2", help="comma-separated, the first is the baseline")
    p.set_defaults(func=_bench)


def _bench(args) -> int:
    from spikemem.models.ca3 import cases as hc
    from spikemem.models.ca3.memory import CA3Memory

    case = hc.random_case(args.size, args.size, args.ops, seed=args.seed, spacing=14)
    print(f"CA3 {case.C}x{case.N}, {args.ops} random operations 14 ms apart, {case.sim_time_ms:g} ms simulated, "
          f"variant {args.variant}")
    print(f"{'backend':12s} {'wall (s)':>9s} {'sim ms/s':>10s} {'vs baseline':>12s} {'ops correct':>12s}")
    base = None
    for name in args.backends.split(","):
        t0 = time.perf_counter()
        report = CA3Memory.run_cases([case], name, variant=args.variant)
        wall = time.perf_counter() - t0
        ok, n = report.counts()["overall"]
        base = base or wall
        print(f"{name:12s} {wall:9.2f} {case.sim_time_ms / wall:10.0f} {wall / base:11.1f}x {ok:>6d}/{n}", flush=True)
    return 0
