"""`spikemem bench pynn`: the same CA3 workload on reference, NEST and Brian2, side by side."""
from __future__ import annotations

import time
import warnings


def register(sub):
    p = sub.add_parser("pynn", help="CA3 memory (C = N = 32, 200 random operations) on reference, NEST and Brian2")
    p.add_argument("--size", type=int, default=32, help="C = N (default 32)")
    p.add_argument("--ops", type=int, default=200, help="random operations (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backends", default="reference,nest,brian2", help="comma-separated, the first is the baseline")
    p.set_defaults(func=_bench)


def _bench(args) -> int:
    from dataclasses import replace

    from spikemem import get_backend
    from spikemem.harness import cases as hc
    from spikemem.harness.oracle import IdealCAM
    from spikemem.models.ca3 import build_cam, protocol
    from spikemem.models.ca3.params import CA3Params

    case = hc.random_case(args.size, args.size, args.ops, seed=args.seed)
    inputs = protocol.input_events([case])
    expected = protocol.expected_arrays([case], [IdealCAM(case.C, case.N).expected(case.ops)])
    print(f"CA3 {case.C}x{case.N}, {args.ops} random operations, {case.sim_time_ms:g} ms simulated, faithful params")
    print(f"{'backend':12s} {'scheme':9s} {'wall (s)':>9s} {'x real time':>12s} {'vs baseline':>12s} {'ops correct':>12s}")
    base = None
    for name in args.backends.split(","):
        scheme = "spinnaker" if name == "reference" else "exact"
        net = build_cam(case.C, case.N, replace(CA3Params(), scheme=scheme))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            be = get_backend(name)
            t0 = time.perf_counter()
            res = be.run(net, case.sim_time_ms, inputs=inputs)
            wall = time.perf_counter() - t0
        da, db = protocol.decode(res, [case])
        ok = int(((da == expected[0]).all(-1) & (db == expected[1]).all(-1)).sum())
        base = base or wall
        print(f"{name:12s} {scheme:9s} {wall:9.2f} {case.sim_time_ms / 1e3 / wall:12.1f} {wall / base:11.1f}x "
              f"{ok:>6d}/{len(case.ops)}", flush=True)
    return 0
