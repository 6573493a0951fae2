"""`spikemem demo`: the functional test of the paper, as a table and a raster plot."""
from __future__ import annotations

import sys

from spikemem.harness.operations import LEARN, RECALL_CUE, _fmt

from . import cases as hc
from .memory import CA3Memory


def describe(op) -> str:
    if op.kind == LEARN:
        return f"learn {op.address} <- {_fmt(op.bits)}"
    if op.kind == RECALL_CUE:
        return f"recall cue {op.address}"
    return f"recall content {_fmt(op.bits)}"


def outcome_text(o) -> str:
    return f"{_fmt(o.addresses)} {_fmt(o.bits)}" + (f" +echo {_fmt(o.echo)}" if o.echo else "")


def run_demo(backend=None, variant="faithful", png="ca3_demo.png", out=None, numerics=None,
             **backend_options) -> int:
    out = out or sys.stdout      # looked up per call: a default bound at import outlives a swapped stdout
    case = hc.functional()
    report, result = CA3Memory.run_cases([case], backend, variant=variant, return_result=True, numerics=numerics,
                                         **backend_options)
    print(f"CA3 content-addressable memory: {case.C} addresses x {case.N} bits, backend {report.label['backend']}, "
          f"variant {variant}, numerics {report.label['numerics']}", file=out)
    print("The paper's functional test: learn, recall by cue and by fragment, forget by relearning.",
          file=out)
    head = f"{'t0 ms':>5}  {'operation':<28} {'expected (addresses, bits)':<30} {'recalled':<30}"
    print(head, file=out)
    print("-" * len(head) + "---", file=out)
    for k, ((t0, op), exp) in enumerate(zip(case.timed_ops, report.expected[0])):
        got = report.outcome(0, k)
        mark = "✓" if report.correct[0, k] else "✗"
        print(f"{t0:>5.0f}  {describe(op):<28} {outcome_text(exp):<30} {outcome_text(got):<30} {mark}", file=out)
    ok, n = report.counts()["overall"]
    print(f"{ok}/{n} operations correct", file=out)
    if png:
        from .plots import raster
        raster(result, case, png, title=f"CA3 memory, functional test ({report.label['backend']} backend)")
        print(f"raster plot: {png}", file=out)
    return 0 if ok == n else 1
