"""`spikemem memory NAME demo|replay|stress|capacity`: every memory model from the command line.

NAME is a model of the `spikemem.memories` entry-point group (`spikemem memory list` names them).
The commands use the MemoryModel contract (spikemem.contracts) and these optional members of a
model: `title`, `demo_case` and `demo_text` (the demo), `describe(op)` (an operation in the
model's words), `raster_populations` and `labels` (the raster, populations named as the model's
spec names them), `state_panels(case, backend, variant, numerics, **options)` (the state map),
`replay_file(path, backend, numerics, variant, **options)` (a recording replayed: (record,
differences or None)), and the sweep members of spikemem.harness.stress.
"""
from __future__ import annotations

import json
import sys

from ..description.validation import POSITIVE_INT, comma_integers, flag, integer, non_negative, threads
from ..errors import ValidationError
from ..files import check_writable
from ..log import get_logger
from ..sweeps import add_sweep_args, sweep_options
from .operations import LEARN, RECALL_CUE, _fmt
from .runner import GROUP, memory_model

logger = get_logger(__name__)
SEED = flag(integer, int, lo=0, hi=2**63 - 1)
MS = flag(non_negative)


# -- flags shared with the model-specific commands (spikemem cam, spikemem harness) --------------
def add_backend_args(p):
    p.add_argument("--backend", default=None, help="backend name (default: reference); see `spikemem backends`")
    p.add_argument("--device", default=None, help="device for array backends, e.g. cpu or cuda")
    p.add_argument("--foreign-scheme", action="store_true",
                   help="PyNN backends: run a network written for another update scheme with the simulator's own")
    p.add_argument("--threads", type=flag(threads, int), default=None, help="NEST's local_num_threads (nest backend)")


def backend_options(args) -> dict:
    """The backend options the command line set (only those given, so each backend sees what it takes)."""
    opts = {"device": args.device} if getattr(args, "device", None) else {}
    if getattr(args, "foreign_scheme", False):
        opts["foreign_scheme"] = True
    if getattr(args, "threads", None) is not None:
        opts["threads"] = args.threads
    return opts


def add_numerics_arg(p):
    p.add_argument("--numerics", default="float", choices=["float", "fixed"],
                   help="float (default) or fixed: a SpiNNaker core's arithmetic (docs/fixed_point.md)")


def check_png(path) -> None:
    """A plot path ('' for none) is refused before the run that draws it, not after."""
    if path:
        from .plots import plot_format
        check_writable(path, "png")
        plot_format(path)


def fmt_acc(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


# -- how operations read ------------------------------------------------------------------------
def describe(op) -> str:
    if op.kind == LEARN:
        return f"learn {op.address} <- {_fmt(op.bits)}" if hasattr(op, "address") else f"learn {_fmt(op.bits)}"
    if op.kind == RECALL_CUE:
        return f"recall cue {op.address}"
    return f"recall content {_fmt(op.bits)}"


def outcome_text(o, addresses: bool = True) -> str:
    return (f"{_fmt(o.addresses)} " if addresses else "") + _fmt(o.bits) + (f" +echo {_fmt(o.echo)}" if o.echo else "")


# -- the command group ----------------------------------------------------------------------------
def register(sub):
    mp = sub.add_parser("memory", help="any memory model: demo, replay a recording, stress, capacity "
                                       "(`spikemem memory list` names the models)")
    mp.add_argument("model", metavar="NAME", help="a memory model (ca3, hippocampus, ca3_onehot, hippocampus_dg_ca1, "
                                                  "ca3_oscillatory, ca3_regulated, ...), or `list`")
    ms = mp.add_subparsers(dest="memory_command", metavar="COMMAND")

    demo = ms.add_parser("demo", help="the model's published demo sequence: operation table, raster and state map")
    add_backend_args(demo)
    _variant_arg(demo)
    add_numerics_arg(demo)
    demo.add_argument("--png", default=None, help="raster plot to write (default NAME_demo.png; '' for none)")
    demo.add_argument("--state-png", default=None,
                      help="state map to write: learned weights beside the ideal memory (default NAME_state.png; '' for none)")
    demo.set_defaults(func=_demo)

    add_commands(ms)
    mp.set_defaults(func=_list)


def add_commands(sub, variant_arg=None, C=None, N=None, content=None, png=None, handler=lambda f: f):
    """The replay, stress and capacity parsers of `spikemem memory NAME` (and of `spikemem cam`, the
    CAM's, with its defaults, its variant choices and `handler` setting the model)."""
    variant_arg = variant_arg or _variant_arg
    rp = sub.add_parser("replay", help="re-run a recording's input and write every recorded population's spikes")
    rp.add_argument("input", help="a recording: the model's JSON layout (the hippocampus also reads the authors' "
                                  "data/*.txt result files)")
    rp.add_argument("--out", required=True, help="where to write the spikes (the recording's JSON layout and names)")
    add_backend_args(rp)
    variant_arg(rp)
    add_numerics_arg(rp)
    rp.set_defaults(func=handler(_replay))

    st = sub.add_parser("stress", help="accuracy per operation kind on seeded random operation sequences")
    st.add_argument("--memories", "-C", type=POSITIVE_INT, default=C,
                    help=f"addresses C (default {C})" if C else "addresses C (default: the model's)")
    st.add_argument("--bits", "-N", type=POSITIVE_INT, default=N,
                    help=f"content bits N (default {N})" if N else "content bits N (default: the model's)")
    st.add_argument("--ops", type=POSITIVE_INT, default=60, help="operations per sequence (default 60)")
    st.add_argument("--spacing", type=MS, default=None, help="ms between operations (default: the model's minimum)")
    st.add_argument("--seed", type=SEED, default=0)
    st.add_argument("--batch", type=POSITIVE_INT, default=1, help="independent sequences, seeds seed..seed+batch-1")
    st.add_argument("--content", default=content, choices=None if content is None else ["none", "single", "mixed"],
                    help="recalls by content: none, single (1-bit) or mixed fragments (default: the model's)")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    add_backend_args(st)
    variant_arg(st)
    add_numerics_arg(st)
    add_sweep_args(st)
    st.set_defaults(func=handler(_stress))

    cp = sub.add_parser("capacity", help="sweep C and N with batches of random sequences: table and plot")
    cp.add_argument("--sizes", default="8,16,32,64", help="values of C and of N (default 8,16,32,64)")
    cp.add_argument("--sequences", type=POSITIVE_INT, default=64, help="random sequences per size (default 64)")
    cp.add_argument("--ops", type=POSITIVE_INT, default=100, help="operations per sequence (default 100)")
    cp.add_argument("--spacing", type=MS, default=None, help="ms between operations (default: the model's minimum)")
    cp.add_argument("--seed", type=SEED, default=0)
    cp.add_argument("--png", default=png, help=f"plot to write (default {png or 'NAME_capacity.png'}; '' for none)")
    cp.add_argument("--json", action="store_true")
    add_backend_args(cp)
    variant_arg(cp)
    add_sweep_args(cp)
    cp.set_defaults(func=handler(_capacity))


def _variant_arg(p):
    p.add_argument("--variant", default="faithful", help="model variant (default: faithful, the authors' model)")


def _model(args):
    if args.model == "list":
        raise ValidationError("model", "list", "names no model; run `spikemem memory list` alone")
    return memory_model(args.model)


def _list(args) -> int:
    from importlib.metadata import entry_points
    if args.model != "list":
        raise ValidationError("command", None, f"give one of demo, replay, stress, capacity after {args.model}")
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        mem = ep.load()
        print(f"{ep.name:<20} {getattr(mem, 'title', '')}")
    return 0


def _default_png(value, model: str, what: str) -> str:
    return f"{model}_{what}.png" if value is None else value


def run_demo(model: str, backend=None, variant="faithful", png=None, state_png="", numerics=None, out=None,
             **backend_options) -> int:
    """The model's demo case: a table of every operation against the ideal memory, a raster
    plot and (state_png) the state map. 0 if every operation is correct."""
    out = out or sys.stdout      # looked up per call: a default bound at import outlives a swapped stdout
    mem = memory_model(model)
    case = mem.published_cases()[getattr(mem, "demo_case", "functional")]()
    report, result = mem.run_cases([case], backend, variant=variant, return_result=True, numerics=numerics,
                                   **backend_options)
    size = getattr(mem, "size_text", lambda c: f"{c.C} {getattr(mem, 'address_words', 'addresses')} x {c.N} bits")
    print(f"{getattr(mem, 'title', model)}: {size(case)}, backend {report.label['backend']}, "
          f"variant {variant}, numerics {report.label['numerics']}", file=out)
    if getattr(mem, "demo_text", ""):
        print(mem.demo_text, file=out)
    say = getattr(mem, "describe", describe)
    addr = case.C > 0
    head = f"{'t0 ms':>5}  {'operation':<28} {'expected (addresses, bits)' if addr else 'expected':<30} {'recalled':<30}"
    print(head, file=out)
    print("-" * len(head) + "---", file=out)
    for k, ((t0, op), exp) in enumerate(zip(case.timed_ops, report.expected[0])):
        got = report.outcome(0, k)
        mark = "✓" if report.correct[0, k] else "✗"
        print(f"{t0:>5.0f}  {say(op):<28} {outcome_text(exp, addr):<30} {outcome_text(got, addr):<30} {mark}", file=out)
    ok, n = report.counts()["overall"]
    print(f"{ok}/{n} operations correct", file=out)
    if png:
        from .plots import raster
        raster(result, case, png, getattr(mem, "raster_populations", tuple(result.spikes)), getattr(mem, "labels", {}),
               title=f"{getattr(mem, 'title', model)}, {case.name} ({report.label['backend']} backend)")
        print(f"raster plot: {png}", file=out)
    if state_png:
        from .plots import state_map
        panels = mem.state_panels(case, backend, variant, numerics or "float", **backend_options)
        state_map(panels, state_png, title=f"{getattr(mem, 'title', model)}: what it holds after {case.name}")
        print(f"state map: {state_png}", file=out)
    return 0 if ok == n else 1


def _demo(args) -> int:
    _model(args)
    png = _default_png(args.png, args.model, "demo")
    state = _default_png(args.state_png, args.model, "state")
    check_png(png)
    check_png(state)
    return run_demo(args.model, args.backend, args.variant, png, state, args.numerics, **backend_options(args))


def _replay(args) -> int:
    mem = _model(args)
    check_writable(args.out, "out")
    if not hasattr(mem, "replay_file"):
        raise ValidationError("model", args.model, "has no recordings to replay")
    record, diffs = mem.replay_file(args.input, args.backend, args.numerics, args.variant, **backend_options(args))
    from ..files import atomic_write_text
    atomic_write_text(args.out, json.dumps(record, indent=1, allow_nan=False))
    n = sum(len(v["spikes_t_ms_neuron"]) for v in record["recorded_spikes"].values())
    versus = ""
    if diffs is not None:
        extra, missing = sum(d[0] for d in diffs.values()), sum(d[1] for d in diffs.values())
        versus = (f"; against the recording: {extra} extra and {missing} missing spikes in "
                  f"{', '.join(p for p, d in diffs.items() if d[0] or d[1])}"
                  if extra or missing else "; against the recording: spike for spike")
    logger.info("replayed %s for %g ms: %d spikes -> %s%s", args.model, record.get("simTime_ms", 0), n, args.out, versus)
    return 0


def _stress(args) -> int:
    from .stress import stress
    mem = _model(args)
    C, N = mem.random_size
    C, N = args.memories or C, args.bits or N
    res = stress(args.model, C, N, args.ops, args.spacing, args.seed, args.batch, args.backend, args.variant,
                 args.content, progress=None if not args.json else False, numerics=args.numerics,
                 **sweep_options(args), **backend_options(args))
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"{args.model} {C}x{N}, {args.batch} sequence(s) of {args.ops} operations, spacing "
          f"{'minimum' if args.spacing is None else f'{args.spacing:g} ms'}, backend {res['backend']}, "
          f"variant {res['variant']}, numerics {res['numerics']}")
    for k, (c, n) in res["counts"].items():
        print(f"  {k:<15} {c:>6}/{n:<6} {fmt_acc(res['accuracy'][k]):>7}")
    return 0


def capacity_table(rows, png) -> None:
    print(f"{'C':>4} {'N':>4} {'ops':>6} {'learn':>7} {'cue':>7} {'content':>8} {'overall':>8}")
    for r in rows:
        print(f"{r['C']:>4} {r['N']:>4} {r['operations']:>6} {fmt_acc(r['learn']):>7} {fmt_acc(r['recall_cue']):>7} "
              f"{fmt_acc(r['recall_content']):>8} {fmt_acc(r['overall']):>8}")
    if png:
        print(f"plot: {png}")


def _capacity(args) -> int:
    from .stress import capacity
    _model(args)
    sizes = comma_integers("sizes", args.sizes, lo=1, unique=False)
    png = _default_png(args.png, args.model, "capacity")
    check_png(png)
    rows = capacity(args.model, sizes, args.sequences, args.ops, args.spacing, args.seed, args.backend, args.variant,
                    progress=None if not args.json else False, **sweep_options(args), **backend_options(args))
    if png:
        from .plots import capacity as plot
        plot(rows, png, f"{getattr(memory_model(args.model), 'title', args.model)}: recall accuracy against load")
    if args.json:
        print(json.dumps({"rows": rows, "png": png or None}))
        return 0
    capacity_table(rows, png)
    return 0
