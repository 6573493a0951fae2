"""The `spikemem` command. Subcommand groups come from the `spikemem.commands` entry points.

An entry point names a function register(subparsers) that adds its parsers; each parser sets
`func` (called with the parsed args, returns an exit code). Benchmarks register the same way
under `spikemem bench` through the `spikemem.benchmarks` group. The core thus stays free of
models and backends while `spikemem cam ...` or `spikemem bench cam` appear once installed.
"""
from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

from .errors import SpikememError

GROUP = "spikemem.commands"
BENCH_GROUP = "spikemem.benchmarks"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spikemem", description="Spiking associative memories described once, run on any backend.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    backends = sub.add_parser("backends", help="list the installed backends")
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
                print(f"spikemem: warning: '{ep.name}' commands unavailable: {e}", file=sys.stderr)
                continue
            register(target)
    return parser


def _list_backends(args) -> int:
    from .registry import available_backends
    for name in available_backends():
        print(name)
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpikememError as e:
        print(f"spikemem: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
