"""`spikemem demo` and `spikemem cam ...`: the CA3 memory from the command line."""
from __future__ import annotations

import json

from spikemem.log import get_logger
from spikemem.sweeps import add_sweep_args, sweep_options

from spikemem.description.validation import POSITIVE_INT, comma_integers, flag, integer, non_negative, threads
from spikemem.files import check_writable

from .recording_file import load_stimulus, write_recording
from .replay import replay
from .variants import VARIANTS, variant_params

logger = get_logger(__name__)


SEED = flag(integer, int, lo=0, hi=2**63 - 1)
MS = flag(non_negative)


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


def add_variant_arg(p):
    p.add_argument("--variant", default="faithful", choices=sorted(VARIANTS),
                   help="model variant (default: faithful, the authors' model)")


def register(sub):
    demo = sub.add_parser("demo", help="the main job: the CA3 memory learns, recalls and forgets (functional test)")
    add_backend_args(demo)
    add_variant_arg(demo)
    add_numerics_arg(demo)
    demo.add_argument("--png", default="ca3_demo.png", help="raster plot to write ('' for none)")
    demo.set_defaults(func=_demo)

    cam = sub.add_parser("cam", help="the CA3 content-addressable memory")
    cam_sub = cam.add_subparsers(dest="cam_command", metavar="CAM_COMMAND")
    cam_sub.required = True

    rp = cam_sub.add_parser("replay", help="re-run a recorded stimulus (golden JSON format) and write every spike")
    rp.add_argument("input", help="JSON with cueSize_C, contSize_N, timestep_ms, simTime_ms, input_spike_times_ms")
    rp.add_argument("--out", required=True, help="where to write the recording (same format, recorded_spikes)")
    add_backend_args(rp)
    add_variant_arg(rp)
    add_numerics_arg(rp)
    rp.set_defaults(func=_replay)

    st = cam_sub.add_parser("stress", help="accuracy per operation kind on seeded random operation sequences")
    st.add_argument("--memories", "-C", type=POSITIVE_INT, default=5, help="addresses C (default 5)")
    st.add_argument("--bits", "-N", type=POSITIVE_INT, default=10, help="content bits N (default 10)")
    st.add_argument("--ops", type=POSITIVE_INT, default=60, help="operations per sequence (default 60)")
    st.add_argument("--spacing", type=MS, default=None,
                    help="ms between operations, >= 7 (default: the minimum, 7 after a learn and 6 after a recall)")
    st.add_argument("--seed", type=SEED, default=0)
    st.add_argument("--batch", type=POSITIVE_INT, default=1, help="independent sequences, seeds seed..seed+batch-1")
    st.add_argument("--content", default="mixed", choices=["none", "single", "mixed"],
                    help="recalls by content: none, 1-bit only, or 1-bit and multi-bit fragments")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    add_backend_args(st)
    add_variant_arg(st)
    add_numerics_arg(st)
    add_sweep_args(st)
    st.set_defaults(func=_stress)

    cp = cam_sub.add_parser("capacity", help="sweep C and N with batches of random sequences: table and plot")
    cp.add_argument("--sizes", default="8,16,32,64", help="values of C and of N (default 8,16,32,64)")
    cp.add_argument("--sequences", type=POSITIVE_INT, default=64, help="random sequences per size (default 64)")
    cp.add_argument("--ops", type=POSITIVE_INT, default=100, help="operations per sequence (default 100)")
    cp.add_argument("--spacing", type=MS, default=None, help="ms between operations, >= 7 (default: the minimum)")
    cp.add_argument("--seed", type=SEED, default=0)
    cp.add_argument("--png", default="ca3_capacity.png", help="plot to write ('' for none)")
    cp.add_argument("--json", action="store_true")
    add_backend_args(cp)
    add_variant_arg(cp)
    add_sweep_args(cp)
    cp.set_defaults(func=_capacity)


def _check_png(path) -> None:
    """A plot path ('' for none) is refused before the run that draws it, not after."""
    if path:
        from .plots import plot_format
        check_writable(path, "png")
        plot_format(path)


def _demo(args) -> int:
    from .demo import run_demo
    _check_png(args.png)
    return run_demo(args.backend, args.variant, args.png, numerics=args.numerics, **backend_options(args))


def _replay(args) -> int:
    check_writable(args.out, "out")
    from dataclasses import replace
    stim = load_stimulus(args.input)
    params = replace(variant_params(args.variant), numerics=args.numerics)
    if args.variant != "portable":      # the published circuit runs at the recording's timestep, portable at 0.1 ms
        params = replace(params, dt=stim.dt)
    record = replay(stim, args.backend, params=params, variant=args.variant, **backend_options(args))
    write_recording(args.out, record)
    n = sum(len(v["spikes_t_ms_neuron"]) for v in record["recorded_spikes"].values())
    logger.info("replayed %dx%d memory for %g ms: %d spikes -> %s", stim.C, stim.N, stim.sim_time_ms, n, args.out)
    return 0


def _fmt_acc(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _stress(args) -> int:
    from .sweeps import stress
    res = stress(args.memories, args.bits, args.ops, args.spacing, args.seed, args.batch, args.backend,
                 args.variant, args.content, progress=None if not args.json else False, numerics=args.numerics,
                 **sweep_options(args),
                 **backend_options(args))
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"CA3 {args.memories}x{args.bits}, {args.batch} sequence(s) of {args.ops} operations, spacing "
          f"{'minimum' if args.spacing is None else f'{args.spacing:g} ms'}, backend {res['backend']}, "
          f"variant {res['variant']}, numerics {res['numerics']}")
    for k, (c, n) in res["counts"].items():
        print(f"  {k:<15} {c:>6}/{n:<6} {_fmt_acc(res['accuracy'][k]):>7}")
    return 0


def _capacity(args) -> int:
    from .sweeps import capacity
    sizes = comma_integers("sizes", args.sizes, lo=1, unique=False)
    _check_png(args.png)
    rows = capacity(sizes, args.sequences, args.ops, args.spacing, args.seed, args.backend, args.variant,
                    progress=None if not args.json else False, **sweep_options(args), **backend_options(args))
    if args.png:
        from .plots import capacity as plot
        plot(rows, args.png)
    if args.json:
        print(json.dumps({"rows": rows, "png": args.png or None}))
        return 0
    print(f"{'C':>4} {'N':>4} {'ops':>6} {'learn':>7} {'cue':>7} {'content':>8} {'overall':>8}")
    for r in rows:
        print(f"{r['C']:>4} {r['N']:>4} {r['operations']:>6} {_fmt_acc(r['learn']):>7} {_fmt_acc(r['recall_cue']):>7} "
              f"{_fmt_acc(r['recall_content']):>8} {_fmt_acc(r['overall']):>8}")
    if args.png:
        print(f"plot: {args.png}")
    return 0
