"""`spikemem bench pynn-frontend`: one PyNN script (bench_network.py) through spikemem.pynn and through
pyNN.nest, side by side, each run in its own process.

Rows: build (setup to the first run), run (sim.run: spikemem.pynn lowers the network there), read
(get_data) and peak RSS, for one trial on each; then throughput: `trials` trials in one spikemem.pynn
run against as many sequential NEST runs of the script (NEST has no trials), in simulated ms of all
trials per wall second. The spike counts of trial 0 are printed beside each other: under scheme
'exact' spikemem.pynn and NEST on the grid give the same spikes.
"""
from __future__ import annotations

import json
import sys

from ..description.validation import POSITIVE_INT, flag, positive


def register(sub):
    p = sub.add_parser("pynn-frontend", help="a PyNN script through spikemem.pynn and pyNN.nest side by side: "
                                             "build, run, peak memory; trials on the engine vs sequential NEST runs")
    p.add_argument("--cells", type=POSITIVE_INT, default=500, help="neurons in the network (default 500)")
    p.add_argument("--duration", type=flag(positive), default=200.0, help="ms simulated per run (default 200)")
    p.add_argument("--trials", type=POSITIVE_INT, default=256, help="trials for the throughput rows (default 256)")
    p.add_argument("--nest-runs", type=POSITIVE_INT, default=None,
                   help="sequential NEST runs actually made for its throughput (default: --trials)")
    p.add_argument("--backend", default="reference", choices=["reference", "torch", "snntorch", "norse"])
    p.add_argument("--device", default=None, help="cpu or cuda (torch family)")
    p.add_argument("--timeout", type=flag(positive), default=3600.0, help="seconds per child process (default 3600)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_bench)


def _script() -> str:
    """The script's path (importing it would import pyNN.nest)."""
    from pathlib import Path
    return str(Path(__file__).with_name("bench_network.py"))


def _child(cmd, timeout) -> dict:
    from ..child_process import run_json
    return run_json(cmd, timeout)


def _spikemem(args, trials: int) -> dict:
    cmd = [sys.executable, "-m", "spikemem", "-q", "pynn", "run", _script(), "--backend", args.backend,
           "--trials", str(trials)]
    if args.device:
        cmd += ["--device", args.device]
    return _child(cmd + ["--", str(args.cells), str(args.duration), "1"], args.timeout)


def _nest(args, repeats: int) -> dict:
    return _child([sys.executable, _script(), str(args.cells), str(args.duration), str(repeats)], args.timeout)


def _bench(args) -> int:
    from importlib.util import find_spec
    have_nest = find_spec("nest") is not None and find_spec("pyNN") is not None
    label = f"spikemem.pynn {args.backend}" + (f" {args.device}" if args.device else "")
    rows = [dict(_spikemem(args, 1), simulator=label, trials=1)]
    if have_nest:
        rows.append(dict(_nest(args, 1), simulator="pyNN.nest", trials=1))
    rows.append(dict(_spikemem(args, args.trials), simulator=label, trials=args.trials))
    nest_runs = args.nest_runs or args.trials
    if have_nest:
        rows.append(dict(_nest(args, nest_runs), simulator="pyNN.nest, sequential runs", trials=nest_runs))
    for r in rows:
        if "wall_s" in r:
            r["trial_ms_per_s"] = r["trials"] * args.duration / r["wall_s"]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"PyNN script {_script()}: {args.cells} IF_curr_exp cells, 2 % random connectivity, {args.duration:g} ms "
          f"at dt 0.1 ms; each row in its own process")
    print(f"{'simulator':<30} {'trials':>6} {'build s':>8} {'run s':>8} {'read s':>7} {'wall s':>8} "
          f"{'peak MiB':>9} {'spikes tr.0':>11} {'trial-ms/s':>11}")
    for r in rows:
        head = f"{r['simulator']:<30} {r['trials']:>6}"
        if "error" in r:
            print(f"{head} {r['error']}")
            continue
        print(f"{head} {r['build_s']:>8.2f} {r['run_s']:>8.2f} {r['read_s']:>7.2f} {r['wall_s']:>8.2f} "
              f"{r['peak_rss_mib']:>9,.0f} {r['first_spikes']:>11,} {r['trial_ms_per_s']:>11,.0f}")
    mine, nest = rows[-2], rows[-1] if have_nest else None
    if nest is not None and "trial_ms_per_s" in mine and "trial_ms_per_s" in nest:
        print(f"throughput: {args.trials} trials in one spikemem.pynn run {mine['trial_ms_per_s']:,.0f} trial-ms per "
              f"wall s; {nest_runs} sequential NEST runs {nest['trial_ms_per_s']:,.0f}: "
              f"{mine['trial_ms_per_s'] / nest['trial_ms_per_s']:.1f}x")
    if have_nest and "first_spikes" in rows[0] and "first_spikes" in rows[1]:
        same = rows[0]["first_spikes"] == rows[1]["first_spikes"]
        print(f"spikes of trial 0: spikemem.pynn {rows[0]['first_spikes']:,}, NEST {rows[1]['first_spikes']:,}"
              f" ({'the same' if same else 'DIFFER'})")
    if not have_nest:
        print("pyNN.nest is not installed: its rows are left out (pip install 'spikemem[nest]')")
    return 0
