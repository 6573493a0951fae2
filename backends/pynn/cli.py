"""`spikemem export pynn NETWORK.json --simulator nest|brian2|spinnaker --out DIR`."""
from __future__ import annotations

from spikemem.description.validation import flag, positive


def register(sub):
    ex = sub.add_parser("export", help="write a saved network in another form")
    es = ex.add_subparsers(dest="export_command", metavar="FORMAT")
    es.required = True
    p = es.add_parser("pynn", help="a standalone PyNN script for NEST, Brian2 or sPyNNaker that writes its spikes")
    p.add_argument("network", help="a saved spikemem network (JSON); its sources' spike_times are the stimulus")
    p.add_argument("--simulator", required=True, choices=["nest", "brian2", "spinnaker"])
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--duration", type=flag(positive), default=None,
                   help="the script's default run time in ms (default: the last stimulus spike + 100 ms)")
    p.add_argument("--foreign-scheme", action="store_true",
                   help="allow a network written for another update scheme (it runs with the simulator's own)")
    p.add_argument("--spike-precision", default="on_grid", choices=["on_grid", "off_grid"], help="nest only")
    p.add_argument("--codegen", default="numpy", choices=["numpy", "cython"], help="brian2 only")
    p.set_defaults(func=_export_pynn)


def _export_pynn(args) -> int:
    from spikemem import Network

    from .export import export_script
    opts = {"foreign_scheme": args.foreign_scheme}
    if args.simulator == "nest":
        opts["spike_precision"] = args.spike_precision
    if args.simulator == "brian2":
        opts["codegen"] = args.codegen
    for path in export_script(Network.load(args.network), args.out, args.simulator, args.duration, **opts):
        print(path)
    return 0
