"""Run PyNN's own system scenarios (test/system/scenarios of NeuralEnsemble/PyNN) against spikemem.pynn.

The scenarios are not part of spikemem: fetch them into a folder of your own and pass it here, e.g.
from PyNN's source distribution (`pip download pyNN==0.13.0 --no-binary :all: --no-deps`, then
pynn-0.13.0/test/system/scenarios) or from a clone of PyNN's repository. Both fixture styles are
understood: the repository's `sim_name` + get_simulator() and 0.13's `sim` (a LazySimulator).

    python benchmarks/pynn_scenarios.py SCENARIOS_DIR [--simulator spikemem|nest] [--backend NAME] [--json]

Every scenario PyNN runs on NEST (its sim_name="nest" case), or on Brian2 where it has no NEST case,
runs once; with --simulator spikemem the simulator it asks for is spikemem.pynn. Prints each
scenario's outcome and, for failures, the exception and its first line: a scenario that needs what
spikemem's description lacks should fail with an UnsupportedFeature naming it, and any other
failure is a bug to look at. Also prints how many cases each file gave and names the files none
was taken from (0.13's test_scenario5.py: multicompartment, Arbor and NEURON only), so that a
count can be checked against the folder. Runs in a temporary working folder (scenarios write files).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter


class Scenarios:
    """A pytest plugin: keeps one case per scenario and records how each ends."""

    def __init__(self, simulator: str):
        self.simulator = simulator
        self.results = {}
        self.files = {}         # scenario file -> [cases kept, simulators its cases name]

    def pytest_collection_modifyitems(self, config, items):
        keep = []
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            name, arg = _simulator_param(params)
            entry = self.files.setdefault(item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1], [0, set()])
            if name is None:
                continue
            entry[1].add(name)
            marks = [m for m in item.iter_markers("parametrize") if m.args and m.args[0] == arg]
            offered = {_param_name(v) for v in marks[0].args[1]} if marks else set()
            if name == "nest" or (name == "brian2" and "nest" not in offered):
                keep.append(item)
                entry[0] += 1
                if self.simulator == "spikemem":
                    if arg == "sim_name":
                        item.module.get_simulator = _spikemem
                    else:               # PyNN 0.13's fixtures: the parameter is the simulator itself
                        params[arg] = _SpikememSimulator()
        items[:] = keep

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            entry = {"outcome": report.outcome}
            if report.outcome == "failed":
                exc = getattr(report.longrepr, "reprcrash", None)
                entry["error"] = exc.message.splitlines()[0] if exc is not None else str(report.longrepr)[:200]
            elif report.outcome == "skipped":
                entry["error"] = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else "skipped"
            self.results[report.nodeid.split("::", 1)[-1]] = entry


def _simulator_param(params):
    """(simulator name, parameter name) of a scenario case: PyNN's repository parametrizes sim_name
    (a string; get_simulator(sim_name) imports it), PyNN 0.13's sdist parametrizes sim (a
    LazySimulator whose _sim_name is the name)."""
    if "sim_name" in params:
        return params["sim_name"], "sim_name"
    sim = params.get("sim")
    name = getattr(sim, "_sim_name", None) if sim is not None else None
    return (name, "sim") if isinstance(name, str) else (None, None)


def _param_name(value):
    value = value.values[0] if hasattr(value, "values") and hasattr(value, "marks") else value
    return value if isinstance(value, str) else getattr(value, "_sim_name", None)


class _SpikememSimulator:
    """spikemem.pynn in place of a scenario's LazySimulator (named so, so that a scenario's
    simulator-specific branches, `"nest" in str(sim)`, are not taken)."""

    __name__ = "spikemem.pynn"

    def __str__(self):
        return "spikemem.pynn"

    def __getattr__(self, name):
        return getattr(_spikemem(None), name)


def _spikemem(sim_name):
    import spikemem.pynn as sim
    return sim


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", help="a folder holding PyNN's test/system/scenarios files")
    ap.add_argument("--simulator", choices=["spikemem", "nest"], default="spikemem")
    ap.add_argument("--backend", default=None,
                    help="spikemem's engine backend for every scenario (as `spikemem pynn run --backend`)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.backend is not None:
        from spikemem.pynn.simulator import state
        state.forced = {"backend": args.backend}     # what setup() is asked is overridden, as `pynn run` does
    import pytest
    import pyNN.utility
    from pyNN.utility import plotting
    if not hasattr(pyNN.utility, "connection_plot"):    # older scenario files import it from pyNN.utility
        pyNN.utility.connection_plot = plotting.connection_plot
    folder = os.path.abspath(args.scenarios)
    plugin = Scenarios(args.simulator)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        try:
            pytest.main([folder, "-q", "-p", "no:cacheprovider", "-p", "no:spikemem", "--no-header",
                         "-o", "python_files=test_*.py", "--rootdir", os.path.dirname(folder), "-W", "ignore"],
                        plugins=[plugin])
        finally:
            os.chdir(here)
    rows = plugin.results
    counts = Counter(r["outcome"] for r in rows.values())
    files = {f: {"cases": n, "simulators": sorted(sims)} for f, (n, sims) in sorted(plugin.files.items())}
    if args.json:
        print(json.dumps({"simulator": args.simulator, "counts": counts, "files": files, "results": rows}, indent=1))
        return 0
    print("\ncases run, by file: " + ", ".join(f"{f} {v['cases']}" for f, v in files.items() if v["cases"]))
    for f, v in files.items():
        if not v["cases"]:
            print(f"  not run: {f} (its scenarios name {', '.join(v['simulators']) or 'no simulator'}: neither NEST nor Brian2)")
    print(f"\nPyNN scenarios on {args.simulator}: {counts.get('passed', 0)} of {len(rows)} passed, "
          f"{counts.get('failed', 0)} failed, {counts.get('skipped', 0)} skipped")
    for name, r in sorted(rows.items()):
        if r["outcome"] != "passed":
            print(f"  {r['outcome']:<7} {name}: {r.get('error', '')}")
    unsupported = sum(1 for r in rows.values() if r["outcome"] == "failed" and "UnsupportedFeature" in r.get("error", ""))
    print(f"failures that are an UnsupportedFeature naming what is missing: {unsupported} of {counts.get('failed', 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
