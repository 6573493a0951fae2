"""`spikemem bench cam`: simulated ms per wall second and peak memory of the CA3 memory.

Workloads: the 60-operation stress recording (5x10) and a seeded random sequence on a large
memory (C = N = 100, 1000 operations, 14 ms apart: about 14 s of simulated time), each for
one trial and for a batch of trials, measured side by side in one run. The `x NEST` column
divides by NEST's rate on the one-trial random workload, measured in the same run (its own
process, the run without the build, as `sim.run`) when the nest backend is installed.
"""
from __future__ import annotations

import json
import time
import tracemalloc

from spikemem import ValidationError, get_backend
from spikemem.description.validation import POSITIVE_INT

from . import cases as hc
from . import protocol
from .builder import build_cam
from spikemem.harness.memory_cli import add_backend_args, backend_options
from .params import CA3Params


def register(sub):
    p = sub.add_parser("cam", help="CA3 memory throughput: one trial and a batch, stress and large random workloads")
    p.add_argument("--size", type=POSITIVE_INT, default=100, help="C = N of the random workload (default 100)")
    p.add_argument("--ops", type=POSITIVE_INT, default=1000, help="operations in the random workload (default 1000)")
    p.add_argument("--batch", type=POSITIVE_INT, default=256, help="trials in the batched runs (default 256)")
    p.add_argument("--batch-ops", type=POSITIVE_INT, default=None,
                   help="operations per trial in the batched random run (default: --ops)")
    p.add_argument("--numerics", default="float,fixed", help="comma list of numerics to measure (default float,fixed)")
    p.add_argument("--no-nest", dest="nest", action="store_false",
                   help="skip the NEST run that the 'x NEST' column divides by")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_backend_args(p)
    p.set_defaults(func=_bench)


def measure(backend, cases, numerics: str = "float") -> dict:
    """Run `cases` as one batch, twice: timed, then under tracemalloc for the peak memory
    (tracemalloc slows allocation, so it must not share the timed run)."""
    C, N = cases[0].C, cases[0].N
    net = build_cam(C, N, CA3Params(numerics=numerics))
    T = max(c.sim_time_ms for c in cases)
    inputs = protocol.input_events(cases)
    t = time.perf_counter()
    res = backend.run(net, T, inputs=inputs)
    wall = time.perf_counter() - t
    tracemalloc.start()
    backend.run(net, T, inputs=inputs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"memory": f"{C}x{N}", "trials": len(cases), "sim_ms": T, "wall_s": wall,
            "sim_ms_per_s": T * len(cases) / wall, "peak_mib": peak / 2**20, "spikes": res.count()}


def nest_reference(size: int, ops: int, spacing: float = 14.0) -> dict:
    """NEST on the one-trial random workload, in its own process: the faithful network with
    NEST's exact integrator (a speed figure, not an accuracy one); `sim_ms_per_s` counts the
    run only, as `sim.run` does. {"skipped": why} when NEST is not installed or the run fails."""
    from spikemem.registry import available_backends

    from .bench_scale import _run_child
    if "nest" not in available_backends():
        return {"skipped": "nest backend not installed"}
    r = _run_child(size, ops, spacing, "nest", {"foreign_scheme": True, "threads": 1}, timeout=None)
    if "run_s" not in r:
        return {"skipped": f"NEST run failed: {r.get('error')}"}
    return {**r, "sim_ms_per_s": r["sim_ms"] / r["run_s"]}


def _bench(args) -> int:
    numerics = [x.strip() for x in args.numerics.split(",") if x.strip()]
    for x in numerics:          # checked before the NEST reference run, which may take minutes
        if x not in ("float", "fixed"):
            raise ValidationError("numerics", x, "must be float or fixed")
    be = get_backend(args.backend, **backend_options(args))
    nest = nest_reference(args.size, args.ops) if args.nest else {"skipped": "--no-nest"}
    nest_rate = nest.get("sim_ms_per_s")
    batch_ops = args.batch_ops or args.ops
    runs = [
        ("stress recording, 1 trial", [hc.stress_pyramidal()]),
        (f"stress recording, batch {args.batch}", [hc.stress_pyramidal()] * args.batch),
        (f"random {args.ops} ops, 1 trial", [hc.random_case(args.size, args.size, args.ops, seed=0, spacing=14)]),
        (f"random {batch_ops} ops, batch {args.batch}",
         [hc.random_case(args.size, args.size, batch_ops, seed=s, spacing=14) for s in range(args.batch)]),
    ]
    rows = []
    for label, cases in runs:
        first = None
        for num in numerics:
            row = {"workload": label, "numerics": num, **measure(be, cases, num)}
            row["x_nest"] = row["sim_ms_per_s"] / nest_rate if nest_rate else None
            first = first or row
            row["wall_x_first"] = row["wall_s"] / first["wall_s"]
            rows.append(row)
            if not args.json:
                if len(rows) == 1:
                    print(f"backend: {be.name}   (NEST: {_nest_line(nest, args)}; "
                          f"'x {numerics[0]}' is wall time over the {numerics[0]} run of the same workload)")
                    print(f"{'workload':<34} {'numerics':>8} {'memory':>8} {'sim ms':>8} {'wall s':>8} {'sim ms/s':>12} "
                          f"{'x NEST':>7} {'x ' + numerics[0]:>8} {'peak MiB':>9}")
                print(f"{label:<34} {num:>8} {row['memory']:>8} {row['sim_ms'] * row['trials']:>8.0f} {row['wall_s']:>8.2f} "
                      f"{row['sim_ms_per_s']:>12,.0f} {_fmt(row['x_nest']):>7} {row['wall_x_first']:>8.2f} "
                      f"{row['peak_mib']:>9.1f}", flush=True)
    if args.json:
        print(json.dumps({"backend": be.name, "nest": nest, "runs": rows}, indent=1))
    return 0


def _nest_line(nest, args) -> str:
    if "skipped" in nest:
        return f"not measured, {nest['skipped']}"
    return (f"random {args.ops} ops, 1 trial, build {nest['build_s']:.2f} s, run {nest['run_s']:.2f} s = "
            f"{nest['sim_ms_per_s']:,.0f} simulated ms per wall s of run, measured now")


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.2f}"
