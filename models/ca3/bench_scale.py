"""`spikemem bench scale`: the CA3 memory from C = N = 100 to 10,000, engines beside NEST.

One trial of a seeded random sequence of 100 operations, 14 ms apart (about 1.4 s simulated),
per memory size. Each (size, backend) runs in its own process through a live session, so its
build (description, lowering, network in the simulator: session creation) is timed apart from
its run (session.run over the whole schedule), and its peak RSS (VmHWM) is its own. NEST runs
the same faithful network with its exact integrator (foreign_scheme=True): a speed figure, not
an accuracy one. NEST is skipped, and said so, from the size whose extrapolated time (x4 per
doubling of C, its build being O(C N)) exceeds --budget.

Targets: C = N = 10,000 within 8 GiB peak; at 3,000 >= 5x the 224 simulated ms/s measured before
structured delivery, within 1.5 GiB; at 1,000 NEST's build no longer than its run, and everything
outside NEST's own sim.run (lowering, building, reading the results back) no longer than sim.run
(column "sim.run s": the seconds inside it). The simulator is imported before the clock starts.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from spikemem.description.validation import flag, integer, positive, threads

SIZES = (100, 300, 1000, 3000, 10000)
BACKENDS = {   # label -> (backend, options)
    "reference": ("reference", {}),
    "torch-cpu": ("torch", {"device": "cpu"}),
    "nest": ("nest", {"foreign_scheme": True}),
}
BEFORE_3000 = 224.0     # simulated ms per wall s, reference, C = N = 3,000, 100 operations, before this work
TARGET_PEAK_10000_MIB = 8 * 1024
TARGET_PEAK_3000_MIB = 1536


def register(sub):
    p = sub.add_parser("scale", help="CA3 memory C = N = 100..10,000, 100 operations: reference, torch-cpu and NEST "
                                     "side by side (build, run, simulated ms/s, peak RSS)")
    p.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated C = N (default %(default)s)")
    p.add_argument("--backends", default=",".join(BACKENDS), help=f"subset of {','.join(BACKENDS)}")
    p.add_argument("--ops", type=flag(integer, int, lo=1, hi=1_000_000), default=100, help="operations (default 100)")
    p.add_argument("--spacing", type=flag(positive), default=14.0, help="ms between operations (default 14)")
    p.add_argument("--budget", type=flag(positive), default=300.0,
                   help="seconds NEST may take at one size, extrapolated from the size before (default 300)")
    p.add_argument("--threads", type=flag(threads, int), default=1, help="NEST local_num_threads (default 1)")
    p.add_argument("--torch-threads", type=flag(threads, int), default=None,
                   help="torch CPU threads (default: torch's own; 1 avoids spin-waits on a shared machine)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_bench)


def _bench(args) -> int:
    from spikemem.description.validation import comma_integers
    from spikemem.errors import ValidationError
    sizes = comma_integers("--sizes", args.sizes, lo=1, hi=1_000_000)
    labels = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not labels:
        raise ValidationError("--backends", args.backends, f"must name at least one of {sorted(BACKENDS)}")
    for b in labels:
        if b not in BACKENDS:
            raise ValidationError("--backends", b, f"must be among {sorted(BACKENDS)}")
    from spikemem.models.ca3 import cases as hc
    hc.random_case(min(sizes), min(sizes), args.ops, seed=0, spacing=args.spacing)   # --ops, --spacing: refused here, not in a child
    rows, last = [], {}
    if not args.json:
        print(f"CA3 memory, one trial, {args.ops} operations {args.spacing:g} ms apart; each run in its own process")
        print(f"{'C = N':>7} {'backend':<10} {'build s':>8} {'run s':>8} {'sim.run s':>9} {'sim ms':>7} {'sim ms/s':>9} "
              f"{'peak RSS MiB':>12} {'spikes':>10}", flush=True)
    for size in sizes:
        for label in labels:
            name, opts = BACKENDS[label]
            if name == "nest":
                opts = dict(opts, threads=args.threads)
            if name == "torch" and args.torch_threads:
                opts = dict(opts, torch_threads=args.torch_threads)
            row = {"size": size, "backend": label}
            prev = last.get(label)
            guess = prev and prev[1] * (size / prev[0]) ** 2
            if name == "nest" and guess and guess > args.budget:
                row["skipped"] = f"extrapolated {guess:.0f} s > budget {args.budget:g} s"
            else:
                row.update(_run_child(size, args.ops, args.spacing, name, opts,
                                      timeout=None if name != "nest" else 3 * args.budget))
                if "run_s" in row:
                    last[label] = (size, row["build_s"] + row["run_s"])
            rows.append(row)
            if not args.json:
                _print_row(row)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        _print_targets(rows)
    return 0


def _print_row(r):
    head = f"{r['size']:>7,} {r['backend']:<10}"
    if "run_s" not in r:
        print(f"{head} {r.get('skipped') or r.get('error')}", flush=True)
        return
    sim_run = f"{r['sim_run_s']:>9.2f}" if "sim_run_s" in r else f"{'-':>9}"
    print(f"{head} {r['build_s']:>8.2f} {r['run_s']:>8.2f} {sim_run} {r['sim_ms']:>7.0f} {r['sim_ms_per_s']:>9,.0f} "
          f"{r['peak_rss_mib']:>12,.0f} {r['spikes']:>10,}", flush=True)


def _print_targets(rows):
    by = {(r["size"], r["backend"]): r for r in rows if "run_s" in r}
    checks = []
    r = by.get((10000, "reference"))
    if r:
        checks.append(f"10,000 x 10,000 reference peak {r['peak_rss_mib']:,.0f} MiB "
                      f"(target <= {TARGET_PEAK_10000_MIB:,}): {'met' if r['peak_rss_mib'] <= TARGET_PEAK_10000_MIB else 'MISSED'}")
    r = by.get((3000, "reference"))
    if r:
        x = r["sim_ms_per_s"] / BEFORE_3000
        ok = x >= 5 and r["peak_rss_mib"] <= TARGET_PEAK_3000_MIB
        checks.append(f"3,000 reference {r['sim_ms_per_s']:,.0f} sim ms/s = {x:.1f}x the {BEFORE_3000:g} before "
                      f"(target >= 5x), peak {r['peak_rss_mib']:,.0f} MiB (target <= {TARGET_PEAK_3000_MIB}): "
                      f"{'met' if ok else 'MISSED'}")
    r = by.get((1000, "nest"))
    if r:
        checks.append(f"1,000 NEST build {r['build_s']:.2f} s vs run {r['run_s']:.2f} s (target build <= run): "
                      f"{'met' if r['build_s'] <= r['run_s'] else 'MISSED'}")
        if "sim_run_s" in r:
            outside = r["build_s"] + r["run_s"] - r["sim_run_s"]
            cpu = ""
            if "cpu_s" in r:     # on a loaded machine the process's CPU seconds vary less than wall ones
                cpu = (f"; process CPU {r['cpu_s'] - r['sim_run_cpu_s']:.2f} s vs {r['sim_run_cpu_s']:.2f} s "
                       f"(NEST's threads all count)")
            checks.append(f"1,000 NEST outside sim.run {outside:.2f} s (build, lowering, results) vs sim.run "
                          f"{r['sim_run_s']:.2f} s (target outside <= sim.run): "
                          f"{'met' if outside <= r['sim_run_s'] else 'MISSED'}{cpu}")
    for c in checks:
        print(c)


def _run_child(size, ops, spacing, name, opts, timeout) -> dict:
    from .bench_backends import run_child
    return run_child(["spikemem.models.ca3.bench_scale", "--child", str(size), str(ops), str(spacing), name,
                      json.dumps(opts)], timeout)


def _child(size, ops, spacing, name, opts) -> dict:
    from spikemem.models.ca3 import build_cam, protocol
    from spikemem.models.ca3 import cases as hc
    from spikemem.models.ca3.bench_backends import _peak_rss
    from spikemem.registry import get_backend
    case = hc.random_case(size, size, ops, seed=0, spacing=spacing)
    inputs = protocol.input_events([case])
    threads = opts.pop("torch_threads", None)
    if threads:
        import torch
        torch.set_num_threads(threads)
    be = get_backend(name, **opts)
    net = build_cam(size, size)
    if name == "nest":
        # NEST's own rule at dt = 0: the same work, timed alone (with the default the backend runs
        # the reference engine beside the session to check it; docs/stdp.md, "PyNN simulators")
        net = replace(net, projections=[replace(pr, plasticity=pr.plasticity and replace(pr.plasticity, depress_at_zero=False))
                                        for pr in net.projections])
    in_sim = _time_simulator_runs(be)
    if in_sim is not None:
        be.sim          # imported before the clock starts: an import is no part of building the network
    t, cpu = time.perf_counter(), time.process_time()
    session = be.session(net, batch=1)
    build = time.perf_counter() - t
    t = time.perf_counter()
    res = session.run(case.sim_time_ms, inputs)
    run, cpu = time.perf_counter() - t, time.process_time() - cpu
    if hasattr(session, "close"):
        session.close()
    row = {"build_s": build, "run_s": run, "sim_ms": case.sim_time_ms, "sim_ms_per_s": case.sim_time_ms / (build + run),
           "peak_rss_mib": _peak_rss(), "spikes": res.count()}
    if in_sim is not None:
        row["sim_run_s"], row["sim_run_cpu_s"], row["cpu_s"] = in_sim[0], in_sim[1], cpu
    return row


def _time_simulator_runs(backend):
    """For a PyNN backend: [wall s, process CPU s] spent in the simulator's own sim.run (the rest of
    build + run is spikemem's and PyNN's: lowering, building, reading results)."""
    if not hasattr(backend, "_simulate"):
        return None
    total, simulate = [0.0, 0.0], backend._simulate      # wall s, process CPU s

    def timed(duration):
        t, cpu = time.perf_counter(), time.process_time()
        try:
            return simulate(duration)
        finally:
            total[0] += time.perf_counter() - t
            total[1] += time.process_time() - cpu
    backend._simulate = timed
    return total


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=5, metavar=("SIZE", "OPS", "SPACING", "BACKEND", "OPTIONS"), required=True)
    a = ap.parse_args()
    s, o, sp, n, opt = a.child
    print(json.dumps(_child(int(s), int(o), float(sp), n, json.loads(opt))))
