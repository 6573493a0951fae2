"""The PyNN script of `spikemem bench pynn-frontend`: a current-based balanced network (Vogels-Abbott
style, IF_curr_exp, 80 % excitatory, 2 % random connectivity from a seeded rng) driven by 100 input
neurons with seeded random spike times. Written for pyNN.nest; `spikemem pynn run` serves it the
same. Prints one JSON line: build, run and read seconds, spike count, peak RSS.

Usage: bench_network.py [N_CELLS] [DURATION_MS] [REPEATS]   (REPEATS: run the whole script again)
"""
import json
import sys
import time

import numpy as np
import pyNN.nest as sim


def peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def once(n_cells: int, duration: float) -> dict:
    t0 = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=0.5, max_delay=10.0, spike_precision="on_grid")  # NEST: on the grid, as spikemem
    n_exc = int(0.8 * n_cells)
    cell = sim.IF_curr_exp(cm=0.2, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=-49.0, v_reset=-60.0,
                           v_thresh=-50.0, tau_refrac=5.0)
    exc = sim.Population(n_exc, cell, label="exc")
    inh = sim.Population(n_cells - n_exc, cell, label="inh")
    exc.initialize(v=-60.0)
    inh.initialize(v=-60.0)
    rng = np.random.default_rng(12345)
    trains = [np.unique(np.round(np.sort(rng.uniform(1.0, duration, rng.poisson(duration / 50.0))), 1)).tolist()
              for _ in range(100)]
    drive = sim.Population(100, sim.SpikeSourceArray(spike_times=trains), label="drive")
    connect = sim.FixedProbabilityConnector(0.02, rng=sim.NumpyRNG(seed=98766987))
    for pre, w, receptor in ((exc, 0.27 * 0.06, "excitatory"), (inh, -4.5 * 0.02, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, connect, sim.StaticSynapse(weight=w, delay=0.5), receptor_type=receptor)
    sim.Projection(drive, exc, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=7)),
                   sim.StaticSynapse(weight=0.2, delay=1.0))
    exc.record("spikes")
    t1 = time.perf_counter()
    sim.run(duration)
    t2 = time.perf_counter()
    block = exc.get_data("spikes")
    spikes = [int(sum(len(st) for st in seg.spiketrains)) for seg in block.segments]   # one Segment per trial
    t3 = time.perf_counter()
    sim.end()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "read_s": t3 - t2, "spikes": sum(spikes), "first": spikes[0],
            "segments": len(block.segments)}


def main(argv) -> None:
    n_cells = int(argv[1]) if len(argv) > 1 else 1000
    duration = float(argv[2]) if len(argv) > 2 else 1000.0
    repeats = int(argv[3]) if len(argv) > 3 else 1
    t = time.perf_counter()
    rows = [once(n_cells, duration) for _ in range(repeats)]
    out = {k: sum(r[k] for r in rows) for k in ("build_s", "run_s", "read_s", "spikes", "segments")}
    out.update(wall_s=time.perf_counter() - t, repeats=repeats, peak_rss_mib=peak_rss_mib(),
               first_spikes=rows[0]["first"], cells=n_cells, duration_ms=duration)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
