"""The `spikemem` command. Subcommand groups come from the `spikemem.commands` entry points.

An entry point names a function register(subparsers) that adds its parsers; each parser sets
`func` (called with the parsed args, returns an exit code). Benchmarks register the same way
under `spikemem bench` through the `spikemem.benchmarks` group. The core thus stays free of
models and backends while `spikemem cam ...` or `spikemem bench cam` appear once installed.

A command's result goes to stdout; messages and progress go to stderr through the
"spikemem" logger: INFO by default, -v/--verbose DEBUG (and every simulator's own output),
-q/--quiet WARNING. The flags may stand anywhere on the command line.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from importlib.metadata import entry_points

from . import __version__
from .errors import SpikememError
from .log import get_logger

GROUP = "spikemem.commands"
BENCH_GROUP = "spikemem.benchmarks"
VERBOSITY = {"-v": logging.DEBUG, "--verbose": logging.DEBUG, "-q": logging.WARNING, "--quiet": logging.WARNING}

logger = get_logger("spikemem.cli")


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit status 2), like every other error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="spikemem", description="Spiking associative memories described once, run on any backend.")
    parser.add_argument("--version", action="version", version=f"spikemem {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show debug messages and every simulator's own output")
    parser.add_argument("-q", "--quiet", action="store_true", help="show warnings and errors only")
    parser.add_argument("--memory-limit", default=None, metavar="SIZE",
                        help="refuse runs estimated above SIZE (e.g. 8G; 'none' switches the check off); "
                             "default: the memory available now")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    backends = sub.add_parser("backends", help="list the backends: available, or missing with the extra to install")
    backends.add_argument("--json", action="store_true", help="print one JSON object per backend")
    backends.set_defaults(func=_list_backends)
    from .harness.cli import register as register_harness
    register_harness(sub)
    bench = sub.add_parser("bench", help="benchmarks: print speed and memory figures side by side")
    bench_sub = bench.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    bench_sub.required = True
    for group, target in ((GROUP, sub), (BENCH_GROUP, bench_sub)):
        for ep in sorted(entry_points(group=group), key=lambda e: e.name):
            try:
                register = ep.load()
            except ImportError as e:   # a broken plugin must not take the whole CLI down
                logger.warning("'%s' commands unavailable: %s", ep.name, e)
                continue
            register(target)
    return parser


def _list_backends(args) -> int:
    from .registry import backend_status
    rows = backend_status()
    if args.json:
        for s in rows:
            print(json.dumps({"name": s.name, "available": s.available, "extra": s.extra, "install": s.install,
                              "problem": s.problem}))
        return 0
    width = max(len(s.name) for s in rows) if rows else 8
    for s in rows:
        state = "available" if s.available else "missing"
        hint = "" if s.available else (s.install or s.problem)
        print(f"{s.name:<{width}}  {state:<9}  {hint}".rstrip())
    return 0


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (so redirections and test captures see it)."""

    def __init__(self):
        super().__init__(sys.stderr)
        self.setFormatter(_Format())

    def emit(self, record):
        self.stream = sys.stderr
        super().emit(record)


class _Format(logging.Formatter):
    def format(self, record):
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"spikemem: {record.levelname.lower()}: {text}"
        return text


def _verbosity(argv: list) -> tuple:
    """(argv without -v/-q, the spikemem logger's level): the flags may come after the subcommand;
    the last one given wins."""
    level, rest = logging.INFO, []
    for a in argv:
        if a in VERBOSITY:
            level = VERBOSITY[a]
        else:
            rest.append(a)
    return rest, level


def main(argv=None) -> int:
    """Run a command. Any declared error (SpikememError) is one line on stderr and exit status 2;
    Ctrl-C is one line and 130, and leaves no partial output file (every write is atomic)."""
    from .engine.budget import memory_limit, parse_size
    argv, level = _verbosity(list(sys.argv[1:] if argv is None else argv))
    root = get_logger("spikemem")
    handler, saved_level = _StderrHandler(), root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:          # a usage error (already printed) or --help
            return e.code if isinstance(e.code, int) else 2
        try:
            limit = parse_size(args.memory_limit, "--memory-limit") if args.memory_limit is not None else False
            with memory_limit(limit) if limit is not False else contextlib.nullcontext():
                return int(args.func(args) or 0)
        except SpikememError as e:
            print(f"spikemem: error: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\nspikemem: interrupted; no output file was written for the unfinished step", file=sys.stderr)
            return 130
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


if __name__ == "__main__":
    sys.exit(main())
