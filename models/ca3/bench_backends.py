"""`spikemem bench backends`: the CA3 memory (C = N = 100) on every array backend, side by side.

One table: reference, torch-cpu, torch-cuda (when CUDA is present), snnTorch and Norse at
batch sizes 1, 64, 1024 and 8192 of independent random sequences. Each (backend, batch) runs
in its own process, so its peak memory is its own: the peak RSS the run added to the loaded
process (Linux VmHWM after a clear_refs reset), and the peak CUDA memory allocated on a GPU. Figures: simulated ms per wall second summed over the batch
(x real time = that / 1000) and the ratio to the reference engine on the same batch. The
targets count simulated ms per wall second: >= 5,000,000 for torch-cuda at batch 8192,
i.e. <= 1.6 ms of wall time per 1 ms step of all 8192 trials, and >= 50x the reference.
A backend's larger batches are skipped, and said so, when the previous batch's time
extrapolates beyond --budget seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

from spikemem.description.validation import POSITIVE_INT, comma_integers, flag, number, positive, threads

BACKENDS = {   # label -> (backend name, options)
    "reference": ("reference", {}),
    "torch-cpu": ("torch", {"device": "cpu"}),
    "torch-cuda": ("torch", {"device": "cuda"}),
    "snntorch": ("snntorch", {}),
    "norse": ("norse", {}),
}
TARGET_CUDA_8192 = 5_000_000      # simulated ms per wall s, aggregate, torch-cuda at batch 8192 (<= 1.6 ms per step)
TARGET_VS_REFERENCE = 50.0


def register(sub):
    p = sub.add_parser("backends", help="CA3 100x100 random sequences on reference / torch / snnTorch / Norse, "
                                        "batches 1..8192: simulated ms per wall s and peak memory")
    p.add_argument("--batches", default="1,64,1024,8192", help="comma-separated batch sizes (default 1,64,1024,8192)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help=f"comma-separated subset of {','.join(BACKENDS)} (torch-cuda is skipped without CUDA)")
    p.add_argument("--size", type=POSITIVE_INT, default=100, help="C = N of the memory (default 100)")
    p.add_argument("--ops", type=POSITIVE_INT, default=40, help="operations per random sequence (default 40)")
    p.add_argument("--spacing", type=flag(number, lo=7, hi=1e9), default=14.0, help="ms between operations (default 14)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="dtype of the torch-based backends")
    p.add_argument("--library-device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="device of snnTorch and Norse (auto: cuda when present)")
    p.add_argument("--budget", type=flag(positive), default=120.0,
                   help="seconds one run may take; larger batches of a slower backend are skipped (default 120)")
    p.add_argument("--threads", type=flag(threads, int), default=None, help="torch CPU threads (default: torch's own)")
    p.add_argument("--quick", action="store_true", help="batches 1,64 and 10 operations: a smoke run")
    p.add_argument("--accuracy", action="store_true",
                   help="instead: each backend/option's score on the functional experiment and its spike "
                        "agreement with the reference on random sequences")
    p.add_argument("--no-nest", dest="nest", action="store_false",
                   help="skip the NEST run of one trial printed for scale")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_bench)


ACCURACY_CONFIGS = [   # (label, backend, options)
    ("torch float64", "torch", {"dtype": "float64"}),
    ("torch float32", "torch", {"dtype": "float32"}),
    ("snntorch float32", "snntorch", {}),
    ("norse exact", "norse", {"integration": "exact"}),
    ("norse substep 4", "norse", {"integration": "substep", "substeps": 4}),
    ("norse substep auto", "norse", {"integration": "substep"}),
    ("norse substep 100", "norse", {"integration": "substep", "substeps": 100}),
    ("norse euler", "norse", {"integration": "euler"}),
]


def _accuracy(args) -> int:
    """Functional experiment score and spike agreement with the reference, per backend/option."""
    from spikemem.models.ca3 import build_cam, protocol
    from spikemem.models.ca3 import cases as hc

    from spikemem.errors import SpikememError
    from spikemem.registry import get_backend
    size, ops, trials = (args.size, 10, 2) if args.quick else (args.size, args.ops, 8)
    func = hc.functional()
    rand = [hc.random_case(size, size, ops, seed=s, spacing=args.spacing) for s in range(trials)]
    rand_net, rand_T, rand_in = build_cam(size, size), max(c.sim_time_ms for c in rand), protocol.input_events(rand)
    ref = get_backend("reference").run(rand_net, rand_T, inputs=rand_in)
    ref_m = {p: ref.spike_matrix(p) for p in ref.spikes}
    ref_score = protocol.score_cases(ref, rand).counts()["overall"]
    rows = [{"config": "reference", "functional": "9/9", "flips": 0, "spikes": ref.count(),
             "random": f"{ref_score[0]}/{ref_score[1]}"}]
    for label, name, opts in ACCURACY_CONFIGS:
        row = {"config": label}
        try:
            be = get_backend(name, **opts)
            fr = be.run(build_cam(func.C, func.N), func.sim_time_ms, inputs=protocol.input_events([func]))
            c, n = protocol.score_cases(fr, [func]).counts()["overall"]
            rr = be.run(rand_net, rand_T, inputs=rand_in)
            rc, rn = protocol.score_cases(rr, rand).counts()["overall"]
            flips = sum(int((ref_m[p] != rr.spike_matrix(p)).sum()) for p in ref_m)
            row.update(functional=f"{c}/{n}", flips=flips, spikes=rr.count(), random=f"{rc}/{rn}")
        except (SpikememError, ImportError) as e:
            row["refused"] = str(e)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"functional experiment (5x10, 9 operations) and {trials} random {size}x{size} sequences of {ops} operations")
    print(f"{'backend / option':<20} {'functional':>10} {'random ops ok':>14} {'spikes':>10} {'differ from ref':>16}")
    for r in rows:
        if "refused" in r:
            print(f"{r['config']:<20} refused: {r['refused']}")
        else:
            print(f"{r['config']:<20} {r['functional']:>10} {r['random']:>14} {r['spikes']:>10,} {r['flips']:>16,}")
    return 0


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _installed(name: str) -> bool:
    from spikemem.registry import available_backends
    return name in available_backends()


def _parse_batches(text: str) -> list:
    return sorted(set(comma_integers("--batches", text, lo=1, unique=False)))


def _bench(args) -> int:
    from spikemem.errors import ValidationError
    if args.accuracy:
        return _accuracy(args)
    batches = [1, 64] if args.quick else _parse_batches(args.batches)
    ops = 10 if args.quick else args.ops
    labels = [b for b in args.backends.split(",") if b]
    for b in labels:
        if b not in BACKENDS:
            raise ValidationError("--backends", b, f"unknown (known: {sorted(BACKENDS)})")
    cuda = _cuda_available()
    lib_dev = ("cuda" if cuda else "cpu") if args.library_device == "auto" else args.library_device
    with tempfile.TemporaryDirectory() as tmp:
        workload = os.path.join(tmp, "workload.npz")
        sim_ms = _write_workload(workload, args.size, ops, args.spacing, max(batches))
        if not args.json:
            print(f"CA3 {args.size}x{args.size}, {ops} random operations {args.spacing:g} ms apart: "
                  f"{sim_ms:g} ms simulated per trial; dtype {args.dtype}; CUDA: "
                  f"{_cuda_name() if cuda else 'not available'}", flush=True)
            print(f"{'backend':<12} {'batch':>6} {'wall s':>9} {'sim ms/wall s':>15} {'x real time':>13} "
                  f"{'x reference':>11} {'run RSS MiB':>12} {'peak GPU MiB':>12} {'spikes':>12}", flush=True)
        rows, ref_speed = [], {}
        for label in labels:
            name, opts = BACKENDS[label]
            opts = dict(opts)
            if name in ("torch", "snntorch", "norse"):
                opts["dtype"] = args.dtype
            if name in ("snntorch", "norse"):
                opts["device"] = lib_dev
            skip_all = None
            if not _installed(name):
                skip_all = f"backend '{name}' not installed"
            elif opts.get("device") == "cuda" and not cuda:
                skip_all = "no CUDA device"
            last = None
            for B in batches:
                row = {"backend": label, "options": opts, "batch": B, "sim_ms": sim_ms}
                if skip_all:
                    row["skipped"] = skip_all
                elif last is not None and last["wall_s"] * B / last["batch"] > args.budget:
                    row["skipped"] = (f"estimated {last['wall_s'] * B / last['batch']:.0f} s > budget "
                                      f"{args.budget:g} s")
                else:
                    row.update(_run_child(workload, name, opts, B, args.threads, timeout=max(60.0, 4 * args.budget)))
                    if "wall_s" in row:
                        row["sim_ms_per_s"] = B * sim_ms / row["wall_s"]
                        row["x_real_time"] = row["sim_ms_per_s"] / 1000.0
                        last = row
                        if label == "reference":
                            ref_speed[B] = row["sim_ms_per_s"]
                        if B in ref_speed:
                            row["x_reference"] = row["sim_ms_per_s"] / ref_speed[B]
                rows.append(row)
                if not args.json:
                    _print_row(row)
        if not args.json:
            if args.nest:
                _print_nest(args.size, ops, args.spacing)
            _print_targets(rows)
        else:
            print(json.dumps(rows, indent=1))
    return 0


def _print_row(r):
    if "skipped" in r or "error" in r:
        print(f"{r['backend']:<12} {r['batch']:>6}   {'skipped: ' + r['skipped'] if 'skipped' in r else 'error: ' + r['error']}",
              flush=True)
        return
    gpu = f"{r['peak_gpu_mib']:.0f}" if r.get("peak_gpu_mib") is not None else "-"
    xref = f"{r['x_reference']:.2f}" if "x_reference" in r else "-"
    print(f"{r['backend']:<12} {r['batch']:>6} {r['wall_s']:>9.2f} {r['sim_ms_per_s']:>15,.0f} {r['x_real_time']:>13,.0f} "
          f"{xref:>11} {r['peak_rss_mib']:>12.0f} {gpu:>12} {r['spikes']:>12,}", flush=True)


def _print_nest(size, ops, spacing):
    """For scale: NEST on trial 0 of the workload (the same seed), measured now in its own process."""
    from .bench import nest_reference
    r = nest_reference(size, ops, spacing)
    if "skipped" in r:
        print(f"for scale: NEST not measured ({r['skipped']})")
    else:
        print(f"for scale: NEST runs one trial of this workload at {r['sim_ms_per_s']:,.0f} simulated ms per wall s "
              f"of sim.run (build {r['build_s']:.2f} s, run {r['run_s']:.2f} s; {r['spikes']:,} spikes, faithful "
              "network on NEST's exact integrator), measured now")


def _print_targets(rows):
    cuda = [r for r in rows if r["backend"] == "torch-cuda" and r["batch"] == 8192 and "wall_s" in r]
    if not cuda:
        print("targets (torch-cuda, batch 8192): not measured here (no CUDA device or batch 8192 not run)")
        return
    r = cuda[0]
    ms_per_step = r["wall_s"] * 1000.0 / r["sim_ms"]
    ok1 = r["sim_ms_per_s"] >= TARGET_CUDA_8192
    print(f"target torch-cuda batch 8192 >= {TARGET_CUDA_8192:,} simulated ms per wall s: {r['sim_ms_per_s']:,.0f} "
          f"({ms_per_step:.2f} ms wall per 1 ms step) -> {'met' if ok1 else 'NOT met'}")
    if "x_reference" in r:
        print(f"target >= {TARGET_VS_REFERENCE:g}x the reference at batch 8192: {r['x_reference']:.1f}x -> "
              f"{'met' if r['x_reference'] >= TARGET_VS_REFERENCE else 'NOT met'}")
    else:
        print("target vs reference at batch 8192: reference skipped at this batch (see its row)")


def _cuda_name() -> str:
    import torch
    return torch.cuda.get_device_name(0)


# -- the workload, written once and read by every child -----------------------------------------

def _write_workload(path, size, ops, spacing, batch) -> float:
    from spikemem.models.ca3 import cases as hc
    from spikemem.models.ca3 import protocol
    cases = [hc.random_case(size, size, ops, seed=s, spacing=spacing) for s in range(batch)]
    events = protocol.input_events(cases)
    sim_ms = max(c.sim_time_ms for c in cases)
    arrays = {f"{pop}.{f}": getattr(ev, f) for pop, ev in events.items() for f in ("trial", "step", "neuron")}
    from spikemem.files import atomic_path
    with atomic_path(path) as tmp:
        np.savez(tmp, size=size, sim_ms=sim_ms, pops=np.array(list(events)), **arrays)
    return float(sim_ms)


def _load_inputs(path, batch):
    from spikemem.engine.inputs import SpikeEvents
    z = np.load(path)
    out = {}
    for pop in z["pops"]:
        pop = str(pop)
        tr, st, nr = z[f"{pop}.trial"], z[f"{pop}.step"], z[f"{pop}.neuron"]
        keep = tr < batch
        out[pop] = SpikeEvents(tr[keep], st[keep], nr[keep])
    return int(z["size"]), float(z["sim_ms"]), out


def _run_child(workload, name, opts, batch, threads, timeout) -> dict:
    return run_child(["spikemem.models.ca3.bench_backends", "--child", workload, name, json.dumps(opts),
                      str(batch), str(threads or 0)], timeout)


def run_child(args, timeout) -> dict:
    """`python -m ARGS` in a fresh process (its own peak memory): its last stdout line as JSON,
    or {"error": ...}."""
    from spikemem.child_process import run_json
    return run_json([sys.executable, "-m", *args], timeout)


def _status_mib(key) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak_rss() -> float:
    """Reset the process's peak RSS (Linux clear_refs) and return the RSS now, in MiB."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_mib("VmRSS")


def _peak_rss() -> float:
    return _status_mib("VmHWM")


def _child(workload, name, opts, batch, threads) -> dict:
    from spikemem.models.ca3 import build_cam

    from spikemem.registry import get_backend
    size, sim_ms, inputs = _load_inputs(workload, batch)
    cuda = "cuda" in str(opts.get("device", ""))
    torch = None
    if name != "reference":
        import torch
        if threads:
            torch.set_num_threads(threads)
    be = get_backend(name, **opts)
    net = build_cam(size, size)
    be.run(net, 10.0, inputs=inputs, batch=batch)          # warm-up: allocator, kernels, CUDA context
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    base = _reset_peak_rss()
    t = time.perf_counter()
    res = be.run(net, sim_ms, inputs=inputs, batch=batch)
    if cuda:
        torch.cuda.synchronize()
    wall = time.perf_counter() - t
    return {"wall_s": wall, "spikes": res.count(), "peak_rss_mib": _peak_rss() - base,
            "peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=5, metavar=("WORKLOAD", "BACKEND", "OPTIONS", "BATCH", "THREADS"), required=True)
    a = ap.parse_args()
    w, n, o, b, th = a.child
    print(json.dumps(_child(w, n, json.loads(o), int(b), int(th))))
