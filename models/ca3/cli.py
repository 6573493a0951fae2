"""`spikemem demo` and `spikemem cam ...`: the CA3 memory from the command line."""
from __future__ import annotations

from spikemem.harness import memory_cli
from spikemem.harness.memory_cli import add_backend_args, add_numerics_arg, backend_options, check_png

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

    memory_cli.add_commands(cam_sub, add_variant_arg, C=5, N=10, content="mixed", png="ca3_capacity.png",
                            handler=_as_ca3)


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
