"""`spikemem bench va`: the Vogels-Abbott network (models/va/network.py), COBA and CUBA, on NEST
through pyNN.nest (one trial) and on the engines (reference numpy, torch CPU) at batch 1 to 256,
side by side.

Each case runs in its own process, so its peak RSS (VmHWM) is its own. Build is the session's
creation (realising the synapses, lowering, the network in the simulator); run is session.run
over the whole duration, reading the spikes back included; "sim.run s" is NEST's own sim.run
inside it. Throughput is trial-ms simulated per wall second of the run (batch x duration / run s)
and of build and run together. The firing rates of trial 0 show that each engine runs the same
network. A batch whose time, extrapolated linearly from the batch before, exceeds --budget is
skipped and said so. torch runs on one thread by default (--torch-threads): on a shared machine
its thread pool spin-waits. `--engines torch-cuda` adds a GPU row (its peak GPU memory beside).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from spikemem.description.validation import comma_integers, flag, integer, positive, threads

BATCHES = (1, 4, 16, 64, 256)
ENGINES = {"reference": ("reference", {}), "torch-cpu": ("torch", {"device": "cpu"}),
           "torch-cuda": ("torch", {"device": "cuda"})}
DEFAULT_ENGINES = "reference,torch-cpu"


def register(sub):
    p = sub.add_parser("va", help="Vogels-Abbott network (4,000 cells, COBA and CUBA): NEST build and run beside "
                                  "the engines at batch 1..256 (simulated ms per wall s, peak RSS)")
    p.add_argument("--kinds", default="coba,cuba", help="coba, cuba or both (default %(default)s)")
    p.add_argument("--neurons", type=flag(integer, int, lo=5, hi=10_000_000), default=4000,
                   help="cells (default 4000; fewer keep 80 inputs per cell)")
    p.add_argument("--duration", type=flag(positive), default=200.0, help="ms simulated (default 200)")
    p.add_argument("--batches", default=",".join(map(str, BATCHES)), help="engine batches (default %(default)s)")
    p.add_argument("--engines", default=DEFAULT_ENGINES, help=f"some of {','.join(ENGINES)} (default %(default)s)")
    p.add_argument("--no-nest", action="store_true", help="leave NEST out")
    p.add_argument("--scheme", default="exact", choices=["exact", "spinnaker"],
                   help="the engines' update scheme (default exact, NEST's; NEST always runs exact)")
    p.add_argument("--budget", type=flag(positive), default=300.0,
                   help="seconds one case may take, extrapolated from the batch before (default 300)")
    p.add_argument("--torch-threads", type=flag(threads, int), default=1, help="torch CPU threads (default 1)")
    p.add_argument("--seed", type=flag(integer, int, lo=0, hi=2**63 - 1), default=1)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_bench)


def _bench(args) -> int:
    from importlib.util import find_spec

    from spikemem.errors import ValidationError
    from spikemem.models.va.network import KINDS, va_network
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for field, names, known in (("--kinds", kinds, KINDS), ("--engines", engines, ENGINES)):
        if not names or any(x not in known for x in names):
            raise ValidationError(field, ",".join(names), f"must name some of {list(known)}")
    batches = comma_integers("--batches", args.batches, lo=1, hi=1_000_000)
    va_network(kinds[0], args.neurons, seed=args.seed)        # bad sizes refused here, not in a child
    nest = not args.no_nest and find_spec("nest") is not None and find_spec("pyNN") is not None
    rows = []
    if not args.json:
        print(f"Vogels-Abbott network, {args.neurons:,} cells (80/20 exc/inh, 80 inputs per cell), "
              f"{args.duration:g} ms at dt 0.1 ms, seed {args.seed}; engines in scheme '{args.scheme}', NEST "
              f"exact; each case in its own process")
        print(f"{'version':<7} {'backend':<12} {'batch':>5} {'build s':>8} {'run s':>8} {'sim.run s':>9} "
              f"{'trial-ms/s':>10} {'w/ build':>9} {'peak MiB':>9} {'exc Hz':>7} {'inh Hz':>7}", flush=True)
    for kind in kinds:
        cases = ([("nest (PyNN)", "nest", {"foreign_scheme": False}, 1, "exact")] if nest else [])
        for label in engines:
            name, opts = ENGINES[label]
            cases += [(label, name, dict(opts), b, args.scheme) for b in batches]
        last = {}
        for label, name, opts, batch, scheme in cases:
            row = {"kind": kind, "backend": label, "batch": batch}
            prev = last.get(label)
            guess = prev and prev[1] * batch / prev[0]
            if guess and guess > args.budget:
                row["skipped"] = f"skipped: extrapolated {guess:,.0f} s > --budget {args.budget:g} s"
            else:
                if name == "torch":
                    opts["torch_threads"] = args.torch_threads
                row.update(_run_child(kind, args, name, opts, batch, scheme, timeout=3 * args.budget + 60))
                if "run_s" in row:
                    last[label] = (batch, row["build_s"] + row["run_s"])
            rows.append(row)
            if not args.json:
                _print_row(row, args.duration)
    if args.json:
        print(json.dumps(rows, indent=1))
    elif not nest and not args.no_nest:
        print("NEST rows left out: pyNN and nest are not installed (pip install 'spikemem[nest]')")
    return 0


def _print_row(r, duration):
    head = f"{r['kind']:<7} {r['backend']:<12} {r['batch']:>5}"
    if "run_s" not in r:
        print(f"{head} {r.get('skipped') or r.get('error')}", flush=True)
        return
    sim_run = f"{r['sim_run_s']:>9.2f}" if "sim_run_s" in r else f"{'-':>9}"
    ms = r["batch"] * duration
    print(f"{head} {r['build_s']:>8.2f} {r['run_s']:>8.2f} {sim_run} {ms / r['run_s']:>10,.0f} "
          f"{ms / (r['build_s'] + r['run_s']):>9,.0f} {r['peak_rss_mib']:>9,.0f} {r['rate_exc']:>7.1f} "
          f"{r['rate_inh']:>7.1f}" + (f"  GPU peak {r['peak_gpu_mib']:,.0f} MiB" if "peak_gpu_mib" in r else ""),
          flush=True)


def _run_child(kind, args, name, opts, batch, scheme, timeout) -> dict:
    from spikemem.child_process import run_json
    return run_json([sys.executable, "-P", "-m", "spikemem.models.va.bench", "--child", kind, str(args.neurons),
                     str(args.duration), name, json.dumps(opts), str(batch), scheme, str(args.seed)], timeout)


def _child(kind, n, duration, name, opts, batch, scheme, seed) -> dict:
    from spikemem.models.va.network import va_network
    from spikemem.registry import get_backend
    threads_ = opts.pop("torch_threads", None)
    if threads_:
        import torch
        torch.set_num_threads(threads_)
    cuda = "cuda" in str(opts.get("device", ""))
    be = get_backend(name, **opts)
    net = va_network(kind, n, seed=seed, scheme=scheme)
    in_sim = _time_simulator_runs(be)
    if in_sim is not None:
        be.sim          # imported before the clock starts: an import is no part of building the network
    t = time.perf_counter()
    session = be.session(net, batch=batch)
    build = time.perf_counter() - t
    t = time.perf_counter()
    res = session.run(duration)
    if cuda:
        torch.cuda.synchronize()
    run = time.perf_counter() - t
    if hasattr(session, "close"):
        session.close()
    row = {"build_s": build, "run_s": run, "peak_rss_mib": _peak_rss(), "spikes": res.count()}
    if cuda:
        row["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    for pop in ("exc", "inh"):
        trial = res.spikes[pop][0] == 0
        row[f"rate_{pop}"] = float(trial.sum()) / res.sizes[pop] / (duration / 1000.0)
    if in_sim is not None:
        row["sim_run_s"] = in_sim[0]
    return row


def _peak_rss() -> float:
    """This process's peak RSS (VmHWM), MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _time_simulator_runs(backend):
    """For a PyNN backend: a list whose first entry adds up the seconds spent in the simulator's
    own sim.run (as `bench scale` measures it); None for an engine."""
    if not hasattr(backend, "_simulate"):
        return None
    total, simulate = [0.0], backend._simulate

    def timed(duration):
        t = time.perf_counter()
        try:
            return simulate(duration)
        finally:
            total[0] += time.perf_counter() - t
    backend._simulate = timed
    return total


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=8, metavar=("KIND", "N", "MS", "BACKEND", "OPTIONS", "BATCH", "SCHEME", "SEED"),
                    required=True)
    a = ap.parse_args()
    k, n, ms, be, opt, b, sch, s = a.child
    print(json.dumps(_child(k, int(n), float(ms), be, json.loads(opt), int(b), sch, int(s))))
