"""`spikemem bench memory [--model NAME]`: what one operation of a memory costs, and a batch's throughput.

Three figures, measured side by side in one run, for the model and (--against, default the CA3
CAM) another at the same C and N:
- one operation on a live session as the history grows: the mean wall time per operation in
  consecutive blocks of operations (flat: an operation costs its own simulated time), beside the
  same memory re-running its whole schedule per operation for the first --rerun-ops operations
  (how backends without sessions work; it grows with the history);
- a batch of --batch random sequences of --batch-ops operations in one backend call (run_cases):
  wall time, simulated ms per wall second and operations per second;
- whether the session's and the re-run's outcomes agree (they must).
Operations run at each model's minimum spacing. An auto-associative model (no addresses) stores
C patterns of at least 2 PCs: where 2 C > N it runs with C = N // 8 and says so.
"""
from __future__ import annotations

import json
import time

from ..description.validation import POSITIVE_INT
from ..registry import get_backend
from .runner import memory_model


def register(sub):
    p = sub.add_parser("memory", help="a memory operation by operation (live session beside whole-schedule re-runs) "
                                      "and batch throughput, the model beside the CA3 CAM at the same size")
    p.add_argument("--model", default="ca3", help="memory model (default ca3; `spikemem memory list`)")
    p.add_argument("--against", default="ca3", help="model measured beside it at the same size ('' for none)")
    p.add_argument("--size", type=POSITIVE_INT, default=100, help="C = N (default 100)")
    p.add_argument("--ops", type=POSITIVE_INT, default=1000, help="operations on the session (default 1000)")
    p.add_argument("--block", type=POSITIVE_INT, default=100, help="operations per table row (default 100)")
    p.add_argument("--rerun-ops", dest="rerun_ops", type=POSITIVE_INT, default=200,
                   help="operations of the re-run comparison (quadratic; default 200)")
    p.add_argument("--batch", type=POSITIVE_INT, default=64, help="sequences of the batch run (default 64)")
    p.add_argument("--batch-ops", dest="batch_ops", type=POSITIVE_INT, default=100,
                   help="operations per sequence of the batch run (default 100)")
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


def _sizes(mem, size: int) -> tuple:
    C, N = size, size
    if not getattr(mem, "valid_size", lambda c, n: True)(C, N):
        C = max(1, N // 8)
    return C, N


def measure(model: str, size: int, ops: int, block: int, rerun_ops: int, batch: int, batch_ops: int, backend=None) -> dict:
    mem = memory_model(model)
    C, N = _sizes(mem, size)
    content = getattr(mem, "content_queries", ("single", "mixed"))[-1]
    case = mem.random_case(C, N, max(ops, rerun_ops), 0, None, content)
    live = mem.open(C, N, backend=backend)
    session = per_op_times(live, case, ops)
    rerun_memory = mem.open(C, N, backend=backend)
    rerun_memory.backend = _NoSession(get_backend(backend))
    rerun = per_op_times(rerun_memory, case, rerun_ops)
    rows = []
    for lo in range(0, ops, block):
        hi = min(ops, lo + block)
        row = {"ops": f"{lo + 1}-{hi}", "session_ms_per_op": 1e3 * sum(session[lo:hi]) / (hi - lo)}
        if hi <= len(rerun):
            row["rerun_ms_per_op"] = 1e3 * sum(rerun[lo:hi]) / (hi - lo)
        rows.append(row)
    cases = [mem.random_case(C, N, batch_ops, s, None, content) for s in range(batch)]
    t = time.perf_counter()
    report = mem.run_cases(cases, backend)
    wall = time.perf_counter() - t
    simulated = sum(c.sim_time_ms for c in cases)
    return {"model": model, "C": C, "N": N, "backend": live.backend.name, "rows": rows,
            "outcomes_equal": rerun_memory.outcomes == live.outcomes[:len(rerun_memory.outcomes)],
            "batch": {"sequences": batch, "operations": batch * batch_ops, "wall_s": wall,
                      "simulated_ms_per_wall_s": simulated / wall, "operations_per_s": batch * batch_ops / wall,
                      "correct": report.counts()["overall"][0]}}


def _bench(args) -> int:
    models = [args.model] + ([args.against] if args.against and args.against != args.model else [])
    res = [measure(m, args.size, args.ops, args.block, args.rerun_ops, args.batch, args.batch_ops, args.backend)
           for m in models]
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"backend {res[0]['backend']}, operations at each model's minimum spacing")
    labels = [f"{r['model']} {r['C']}x{r['N']}" for r in res]
    print(f"{'':>12} " + " ".join(f"{label:>30}" for label in labels))
    print(f"{'operations':>12} " + " ".join(f"{'session ms/op':>15}{'re-run ms/op':>15}" for _ in res))
    for k in range(len(res[0]["rows"])):
        cells = []
        for r in res:
            row = r["rows"][k]
            rr = f"{row['rerun_ms_per_op']:15.1f}" if "rerun_ms_per_op" in row else f"{'-':>15}"
            cells.append(f"{row['session_ms_per_op']:15.1f}{rr}")
        print(f"{res[0]['rows'][k]['ops']:>12} " + " ".join(cells))
    for r in res:
        b = r["batch"]
        print(f"{r['model']}: batch of {b['sequences']} sequences, {b['operations']} operations in {b['wall_s']:.2f} s: "
              f"{b['simulated_ms_per_wall_s']:,.0f} simulated ms/s, {b['operations_per_s']:,.0f} operations/s "
              f"({b['correct']} correct); session and re-run outcomes equal: {r['outcomes_equal']}")
    return 0
