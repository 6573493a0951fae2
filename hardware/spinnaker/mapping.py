"""Map a network on a virtual SpiNNaker board and report the resources sPyNNaker allocated."""
from __future__ import annotations

import time
from collections import defaultdict

from spikemem.backends.pynn import instantiate
from spikemem.backends.pynn.currents import plain_currents
from spikemem.backends.pynn.lowering import lower
from spikemem.backends.pynn.run_folder import RunFolder
from spikemem.backends.pynn.simulators import SPINNAKER

from .virtual_board import spinnaker_in


def map_network(network, duration_ms: float = 1.0, run_folder: RunFolder | None = None, version: int = 5) -> dict:
    """Run sPyNNaker's mapping on a virtual board; the report is read from its placements.

    sPyNNaker's log and progress bars go to the run folder's simulator.log."""
    folder = run_folder or RunFolder.create(virtual=True, version=version)
    plain = lower(network, SPINNAKER)
    steps = round(duration_ms / network.simulation.dt)
    plain["current_sources"] = plain_currents(network, SPINNAKER, 0, 0, steps)     # trial 0's noise
    t0 = time.perf_counter()
    with spinnaker_in(folder, plain["dt"]) as sim:
        pops, _ = instantiate.build(sim, plain, {})
        sim.run(duration_ms)
        report = _read_mapping(sim)
        report["current_sources"] = {name: _current_sources(pop) for name, pop in pops.items()
                                     if _current_sources(pop)}
    report.update(network=network.name, run_folder=str(folder.path), mapping_s=round(time.perf_counter() - t0, 3),
                  neurons=sum(p.size for p in network.populations),
                  synapses=sum(pr["synapses"] for pr in plain["projections"]))
    return report


def _current_sources(pop) -> list:
    """The PyNN class names of the current sources sPyNNaker holds for a population's vertex."""
    vertex = getattr(pop, "_vertex", None)
    return sorted(type(s).__name__ for s in (getattr(vertex, "current_sources", None) or ()))


def _read_mapping(sim) -> dict:
    from spinn_front_end_common.data import FecDataView
    steps = FecDataView.get_plan_n_timestep() or FecDataView.get_max_run_time_steps()
    pops = defaultdict(lambda: {"cores": 0, "neurons_per_core": [], "sdram_bytes": 0, "chips": set()})
    chips, system_cores = set(), 0
    for pl in FecDataView.iterate_placemements():
        app = pl.vertex.app_vertex
        if app is None or not app.label or app.label.startswith("SYSTEM"):
            system_cores += 1
            continue
        p = pops[app.label]
        p["cores"] += 1
        p["neurons_per_core"].append(int(pl.vertex.vertex_slice.n_atoms))
        p["sdram_bytes"] += int(pl.vertex.sdram_required.get_total_sdram(steps))
        p["chips"].add((pl.x, pl.y))
        chips.add((pl.x, pl.y))
    try:
        tables = FecDataView.get_uncompressed().routing_tables
        routing = sum(t.number_of_entries for t in tables)
        routing_chips = len(tables)
    except Exception:   # sPyNNaker may drop the uncompressed tables after loading
        routing, routing_chips = None, None
    populations = {name: {"cores": v["cores"], "neurons_per_core": max(v["neurons_per_core"]),
                          "sdram_bytes": v["sdram_bytes"], "chips": sorted(v["chips"])} for name, v in pops.items()}
    return {"chips": len(chips), "cores": sum(v["cores"] for v in populations.values()),
            "system_cores": system_cores, "sdram_bytes": sum(v["sdram_bytes"] for v in populations.values()),
            "routing_entries": routing, "routing_tables": routing_chips, "populations": populations}


def format_report(r: dict) -> str:
    lines = [f"{r['network']}: {r['neurons']} neurons, {r['synapses']} synapses mapped in {r['mapping_s']:.2f} s",
             f"chips used: {r['chips']}   application cores: {r['cores']}   SDRAM: {r['sdram_bytes'] / 1e6:.2f} MB   "
             f"routing entries: {r['routing_entries']} (on {r['routing_tables']} chips)",
             f"{'population':24s} {'cores':>5s} {'neurons/core':>12s} {'SDRAM (kB)':>11s}  chips"]
    for name, p in r["populations"].items():
        lines.append(f"{name:24s} {p['cores']:5d} {p['neurons_per_core']:12d} {p['sdram_bytes'] / 1e3:11.1f}  "
                     + " ".join(f"({x},{y})" for x, y in p["chips"]))
    lines.append(f"run folder (config, sPyNNaker's log and reports): {r['run_folder']}")
    return "\n".join(lines)
