"""`spikemem demo` and `spikemem cam ...`: the CA3 memory from the command line."""
from __future__ import annotations

from spikemem.description.validation import POSITIVE_INT
from spikemem.harness import memory_cli
from spikemem.harness.memory_cli import MS, SEED, add_backend_args, add_numerics_arg, backend_options, check_png
from spikemem.sweeps import add_sweep_args

from .variants import VARIANTS


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

    cam = sub.add_parser("cam", help="the CA3 content-addressable memory (the CAM's own name for "
                                     "`spikemem memory ca3 ...`, kept as an alias; deprecated, removed in 1.0)")
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


def _demo(args) -> int:
    from .demo import run_demo
    check_png(args.png)
    return run_demo(args.backend, args.variant, args.png, numerics=args.numerics, **backend_options(args))


def _as_ca3(handler):
    """`spikemem cam X` is `spikemem memory ca3 X`."""
    def run(args) -> int:
        args.model = "ca3"
        return handler(args)
    return run


_replay, _stress, _capacity = (_as_ca3(h) for h in (memory_cli._replay, memory_cli._stress, memory_cli._capacity))
