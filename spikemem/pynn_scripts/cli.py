"""`spikemem pynn run SCRIPT.py [--backend] [--device] [--scheme] [--numerics] [--trials] [ARGS...]`.

Flags after SCRIPT.py that spikemem knows are spikemem's; everything else (and everything after a
`--`) goes to the script as its sys.argv. Registered through the `spikemem.commands` entry point;
importing this module imports no simulator.
"""
from __future__ import annotations

import argparse
import time

from ..description.validation import POSITIVE_INT
from ..log import get_logger

logger = get_logger(__name__)


def _flags(p) -> None:
    p.add_argument("--backend", choices=["reference", "torch", "snntorch", "norse"],
                   help="engine backend (default: the script's setup(), else reference)")
    p.add_argument("--device", help="cpu or cuda (torch, snntorch, norse)")
    p.add_argument("--scheme", choices=["spinnaker", "exact"],
                   help="update scheme (default: spinnaker for pyNN.spiNNaker/spynnaker8 scripts, exact for pyNN.nest)")
    p.add_argument("--numerics", choices=["float", "fixed"], help="fixed: a SpiNNaker core's fixed-point arithmetic")
    p.add_argument("--trials", type=POSITIVE_INT, help="independent trials run at once (one neo Segment each)")
    p.add_argument("--save-network", metavar="PATH", help="write the network the script built (spikemem JSON)")


def register(sub):
    pp = sub.add_parser("pynn", help="run PyNN scripts (pyNN.spiNNaker, spynnaker8, pyNN.nest) on spikemem")
    ps = pp.add_subparsers(dest="pynn_command", metavar="PYNN_COMMAND")
    ps.required = True
    r = ps.add_parser("run", help="run a PyNN / sPyNNaker script unchanged, its simulator served by spikemem.pynn",
                      usage="spikemem pynn run SCRIPT.py [--backend NAME] [--device cpu|cuda] [--scheme S] "
                            "[--numerics float|fixed] [--trials N] [--save-network PATH] [ARGS...]")
    r.add_argument("script", help="the PyNN script")
    r.add_argument("args", nargs=argparse.REMAINDER, help="spikemem's flags above, then the script's arguments")
    r.set_defaults(func=_run)


def split_flags(args: list) -> tuple:
    """(spikemem's flags as a Namespace, the script's arguments) from what follows SCRIPT.py."""
    if "--" in args:
        k = args.index("--")
        mine, rest = args[:k], args[k + 1:]
    else:
        mine, rest = args, []
    p = argparse.ArgumentParser(prog="spikemem pynn run SCRIPT.py", add_help=False)
    _flags(p)
    known, unknown = p.parse_known_args(mine)
    return known, unknown + rest


def _run(args) -> int:
    from ..files import check_writable
    from ..errors import ValidationError
    from pathlib import Path
    if not Path(args.script).is_file():
        raise ValidationError("script", args.script, "no such file")
    flags, script_args = split_flags(args.args)
    if flags.save_network:
        check_writable(flags.save_network, "save-network")
    from .hook import run_script
    t0 = time.perf_counter()
    done = run_script(args.script, script_args, backend=flags.backend, device=flags.device, scheme=flags.scheme,
                      numerics=flags.numerics, trials=flags.trials)
    from spikemem.pynn.simulator import state
    if state.populations:
        from spikemem.pynn.lowering import scheme_of
        logger.info("pynn run: %s (%s dialect): %d populations, %d projections, %g ms simulated on %s "
                    "(scheme %s, numerics %s, %d trial(s)) in %.1f s", args.script, done.dialect or "pynn",
                    len(state.populations), len(state.projections), state.t, state.options.get("backend"),
                    scheme_of(state), state.options.get("numerics"), state.trials, time.perf_counter() - t0)
        if flags.save_network:
            import spikemem.pynn as sim
            sim.network().save(flags.save_network)
            logger.info("network -> %s", flags.save_network)
    elif flags.save_network:
        raise ValidationError("save-network", flags.save_network, "the script built no network")
    return done.exit_code
