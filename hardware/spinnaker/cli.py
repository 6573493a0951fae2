"""`spikemem spinnaker map|run|export|check`: a memory model (the CA3 CAM, the hippocampus family)
or any saved network on SpiNNaker."""
from __future__ import annotations

import json

from spikemem.description.validation import POSITIVE_INT, flag, integer, positive
from spikemem.log import get_logger

logger = get_logger(__name__)
MS = flag(positive)


def _network_args(p):
    p.add_argument("network", nargs="?", help="a saved spikemem network (JSON)")
    p.add_argument("--cam", nargs=2, type=POSITIVE_INT, metavar=("C", "N"), help="the CA3 memory with C addresses and N bits")
    p.add_argument("--model", help="a memory model by name (`spikemem memory list`), e.g. hippocampus")
    p.add_argument("--size", nargs=2, type=POSITIVE_INT, metavar=("C", "N"),
                   help="--model: its size (default: the harness's; the auto-associative models read C as patterns)")
    p.add_argument("--variant", default="faithful", help="model variant for --cam / --model (default: faithful)")
    p.add_argument("--stimulus", help="a stimulus file for --cam (the CA3 golden JSON layout) or --model hippocampus "
                                      "(a recording: the shared JSON or the authors' data/*.txt)")


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
    c.add_argument("--ops", type=POSITIVE_INT, default=100,
                   help="--cam, --model: operations in the random reference sequence (100)")
    c.add_argument("--seed", type=flag(integer, int, lo=0, hi=2**63 - 1), default=0,
                   help="--cam, --model: seed of the random reference sequence")
    c.add_argument("--samples", type=POSITIVE_INT, default=100, help="--hlop: test images per task (100)")
    c.add_argument("--duration", type=MS, help="network file: ms to run (default: last input spike + 100)")
    c.add_argument("--json", action="store_true", help="print only the report as JSON")
    c.set_defaults(func=_check)


def _load(args):
    """(network, inputs or None, duration_ms or None) from the command line."""
    from spikemem import Network
    from spikemem.errors import ValidationError
    if sum(bool(x) for x in (args.network, args.cam, args.model)) != 1:
        raise ValidationError("network", args.network, "give one of a network file, --cam C N or --model NAME")
    if args.size and not args.model:
        raise ValidationError("size", args.size, "only for --model")
    if args.network:
        if args.stimulus:
            raise ValidationError("stimulus", args.stimulus, "only for --cam or --model; a network file holds its own "
                                                             "spike times")
        return Network.load(args.network), None, None
    if args.model:
        return _model_run(args)
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


def _model_run(args):
    """--model: (network, inputs, duration) of a recording's stimulus, else of the model's demo case
    (at the harness's size) or of a seeded random sequence of 20 operations at --size."""
    from spikemem.errors import ValidationError
    from spikemem.harness.runner import memory_model
    mem = memory_model(args.model)
    if args.stimulus:
        if not hasattr(mem, "stimulus_run"):
            raise ValidationError("stimulus", args.stimulus, f"--model {args.model} reads no stimulus files")
        return mem.stimulus_run(args.stimulus, args.variant)
    C, N = args.size or mem.random_size
    case = mem.published_cases()[getattr(mem, "demo_case", "functional")]()
    if (C, N) != (case.C, case.N) and not (case.C == 0 and N == case.N):
        case = mem.random_case(C, N, 20, 0, None, getattr(mem, "content_queries", ("single", "mixed"))[-1])
    return mem.board_run(case, args.variant)


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

    from .check import NOTHING, check_cam, check_hlop, check_model, check_network, check_pynn_script, format_report
    given = [x for x in (args.network, args.cam, args.model, args.hlop, args.pynn) if x]
    if len(given) != 1:
        raise ValidationError("network", given or None,
                              "give exactly one of a network file, --cam C N, --model NAME, --hlop RUN_DIR or --pynn SCRIPT")
    if args.pynn:
        import shlex
        report = check_pynn_script(args.pynn, shlex.split(args.script_args), args.duration)
    elif args.hlop:
        report = check_hlop(args.hlop, args.samples)
    elif args.cam and not args.stimulus:
        report = check_cam(args.cam[0], args.cam[1], args.variant, args.ops, args.seed)
    elif args.model and not args.stimulus:
        from spikemem.harness.runner import memory_model
        C, N = args.size or memory_model(args.model).random_size
        report = check_model(args.model, C, N, args.variant, args.ops, args.seed)
    else:
        net, inputs, duration = _load(args)
        report = check_network(net, inputs, args.duration or duration,
                               stimulus=f"stimulus file {args.stimulus}" if args.stimulus else None)
    print(json.dumps(report, indent=1) if args.json else format_report(report))
    if report["verdict"].startswith(NOTHING):
        logger.error("spinnaker check: nothing to check (%s)", report["verdict"].split(": ", 1)[1])
        return 1
    return 0
