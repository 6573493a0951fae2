"""`spikemem spinnaker map|run|export|check`: the CA3 memory or any saved network on SpiNNaker."""
from __future__ import annotations

import json

from spikemem.description.validation import POSITIVE_INT, flag, integer, positive
from spikemem.log import get_logger

logger = get_logger(__name__)
MS = flag(positive)


def _network_args(p):
    p.add_argument("network", nargs="?", help="a saved spikemem network (JSON)")
    p.add_argument("--cam", nargs=2, type=POSITIVE_INT, metavar=("C", "N"), help="the CA3 memory with C addresses and N bits")
    p.add_argument("--variant", default="faithful", help="CA3 variant for --cam (default: faithful)")
    p.add_argument("--stimulus", help="a CA3 stimulus file (golden JSON layout) for --cam")


def register(sub):
    sp = sub.add_parser("spinnaker", help="SpiNNaker through sPyNNaker: map on a virtual board, export, run on hardware")
    ss = sp.add_subparsers(dest="spinnaker_command", metavar="SPINNAKER_COMMAND")
    ss.required = True
    m = ss.add_parser("map", help="map on a virtual board and print chips, cores, SDRAM and routing entries")
    _network_args(m)
    m.add_argument("--json", action="store_true", help="print the report as a JSON object")
    m.add_argument("--board-version", type=int, choices=(3, 5), default=5, help="virtual board: 5 (48 chips) or 3 (4 chips)")
    m.set_defaults(func=_map)
    r = ss.add_parser("run", help="run on a physical board or a spalloc server and record spikes")
    _network_args(r)
    where = r.add_mutually_exclusive_group(required=True)
    where.add_argument("--machine", help="host name or IP address of a SpiNNaker board")
    where.add_argument("--spalloc", help="URL of a spalloc server")
    r.add_argument("--board-version", type=int, choices=(3, 5), default=5)
    r.add_argument("--duration", type=MS, help="ms to simulate (default: the stimulus length)")
    r.add_argument("--out", required=True, help="where to write the recorded spikes (JSON)")
    r.set_defaults(func=_run)
    e = ss.add_parser("export", help="write a standalone PyNN script (stimulus inside) and a config example for a board")
    _network_args(e)
    e.add_argument("--duration", type=MS, help="ms to simulate (default: the stimulus length)")
    e.add_argument("--out", required=True, help="output folder")
    e.set_defaults(func=_export)
    c = ss.add_parser("check", help="will it work on the board? sPyNNaker's fixed point against float on one stimulus")
    _network_args(c)
    c.add_argument("--hlop", metavar="RUN_DIR", help="an exported HLOP classifier (a `spikemem continual` folder)")
    c.add_argument("--pynn", metavar="SCRIPT", help="a PyNN / sPyNNaker script: the network it builds, with its stimulus")
    c.add_argument("--script-args", default="", metavar="ARGS", help="--pynn: the script's arguments (one string)")
    c.add_argument("--ops", type=POSITIVE_INT, default=100, help="--cam: operations in the random reference sequence (100)")
    c.add_argument("--seed", type=flag(integer, int, lo=0, hi=2**63 - 1), default=0, help="--cam: seed of the random reference sequence")
    c.add_argument("--samples", type=POSITIVE_INT, default=100, help="--hlop: test images per task (100)")
    c.add_argument("--duration", type=MS, help="network file: ms to run (default: last input spike + 100)")
    c.add_argument("--json", action="store_true", help="print only the report as JSON")
    c.set_defaults(func=_check)


def _load(args):
    """(network, inputs or None, duration_ms or None) from the command line."""
    from spikemem import Network
    from spikemem.errors import ValidationError
    if bool(args.network) == bool(args.cam):
        raise ValidationError("network", args.network, "give either a network file or --cam C N")
    if args.network:
        if args.stimulus:
            raise ValidationError("stimulus", args.stimulus, "only for --cam; a network file holds its own spike times")
        return Network.load(args.network), None, None
    from dataclasses import replace

    from spikemem.models.ca3 import build_cam, load_stimulus
    from spikemem.models.ca3.variants import variant_params
    params = variant_params(args.variant)
    C, N = args.cam
    if args.stimulus:
        stim = load_stimulus(args.stimulus)
        if (stim.C, stim.N) != (C, N):
            raise ValidationError("stimulus", f"{stim.C}x{stim.N}", f"does not fit --cam {C} {N}")
        if stim.dt != params.dt:
            params = replace(params, dt=stim.dt)
        return build_cam(C, N, params), stim.inputs(), stim.sim_time_ms
    return build_cam(C, N, params), None, None


def _map(args) -> int:
    from .mapping import format_report, map_network
    net, _, _ = _load(args)
    report = map_network(net, version=args.board_version)
    print(json.dumps(report, indent=1, default=list) if args.json else format_report(report))
    return 0


def _load_timed(args):
    """The network, its inputs and a run duration (from --duration or the stimulus)."""
    from spikemem.errors import ValidationError
    net, inputs, duration = _load(args)
    duration = args.duration or duration
    if not duration:
        raise ValidationError("duration", duration, "give --duration (ms) or a --stimulus")
    return net, inputs, duration


def _run(args) -> int:
    from spikemem.backends.pynn import SpinnakerBackend
    from spikemem.files import check_writable
    check_writable(args.out, "out")
    net, inputs, duration = _load_timed(args)
    be = SpinnakerBackend(machine=args.machine, spalloc=args.spalloc, version=args.board_version)
    res = be.run(net, duration, inputs=inputs)
    from spikemem.files import atomic_write_text
    atomic_write_text(args.out, json.dumps({"dt": res.dt, "backend": "spinnaker", "recorded_spikes": {
        pop: {"spikes_t_ms_neuron": res.spike_list(pop)} for pop in res.spikes}}, indent=1))
    logger.info("%d spikes -> %s", res.count(), args.out)
    return 0


def _export(args) -> int:
    from spikemem.files import check_folder

    from .export import export
    check_folder(args.out, "out")
    net, inputs, duration = _load_timed(args)
    for path in export(net, args.out, duration, inputs):
        print(path)
    return 0


def _check(args) -> int:
    from spikemem.errors import ValidationError

    from .check import NOTHING, check_cam, check_hlop, check_network, check_pynn_script, format_report
    given = [x for x in (args.network, args.cam, args.hlop, args.pynn) if x]
    if len(given) != 1:
        raise ValidationError("network", given or None,
                              "give exactly one of a network file, --cam C N, --hlop RUN_DIR or --pynn SCRIPT")
    if args.pynn:
        import shlex
        report = check_pynn_script(args.pynn, shlex.split(args.script_args), args.duration)
    elif args.hlop:
        report = check_hlop(args.hlop, args.samples)
    elif args.cam and not args.stimulus:
        report = check_cam(args.cam[0], args.cam[1], args.variant, args.ops, args.seed)
    else:
        net, inputs, duration = _load(args)
        report = check_network(net, inputs, args.duration or duration,
                               stimulus=f"stimulus file {args.stimulus}" if args.stimulus else None)
    print(json.dumps(report, indent=1) if args.json else format_report(report))
    if report["verdict"].startswith(NOTHING):
        logger.error("spinnaker check: nothing to check (%s)", report["verdict"].split(": ", 1)[1])
        return 1
    return 0
