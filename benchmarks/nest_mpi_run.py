"""The NEST workloads of benchmarks/nest_mpi.sh, run once per MPI rank (`mpirun -np K python ...`).

  python benchmarks/nest_mpi_run.py OUT_DIR            # every rank runs it; rank 0 writes OUT_DIR
  python benchmarks/nest_mpi_run.py --compare A B      # spikes of two runs equal?

Workloads (portable CA3 variant, NEST's exact integrator): the harness's published cases and
four random sequences at C = N = 5 x 10, then one trial of 30 operations at C = N = 1,000,
built (session creation) and run (session.run) apart. NEST distributes neurons over the
ranks and PyNN gathers the recorded spikes on rank 0 (the other ranks keep their own part), so
only rank 0 writes.
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np


def _rank_and_size():
    import pyNN.nest as sim
    return sim.rank(), sim.num_processes()


def workloads(out: str) -> None:
    from spikemem import get_backend
    from spikemem.harness.runner import published_cases
    from spikemem.models.ca3 import CA3Memory, build_cam, protocol
    from spikemem.models.ca3 import cases as hc
    from spikemem.models.ca3.variants import variant_params
    be = get_backend("nest")
    p = variant_params("portable")
    spikes, figures = {}, {}
    t = time.perf_counter()
    cases = published_cases() + [hc.random_case(5, 10, 60, seed=s) for s in range(4)]
    scores = {}
    for k, case in enumerate(cases):
        report, res = CA3Memory.run_cases([case], be, p, return_result=True)
        scores[f"{k}:{case.name}"] = report.counts()["overall"]
        for pop, arrays in res.spikes.items():
            spikes[f"harness{k}/{pop}"] = np.stack(arrays)
    figures["harness_s"] = time.perf_counter() - t
    case = hc.random_case(1000, 1000, 30, seed=0, spacing=14)
    t = time.perf_counter()
    session = be.session(build_cam(1000, 1000, p))
    figures["c1000_build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    res = session.run(case.sim_time_ms, protocol.input_events([case], p.dt))
    figures["c1000_run_s"] = time.perf_counter() - t
    figures["c1000_sim_ms"] = case.sim_time_ms
    session.close()
    for pop, arrays in res.spikes.items():
        spikes[f"c1000/{pop}"] = np.stack(arrays)
    rank, size = _rank_and_size()
    figures.update(ranks=size, harness_scores=scores, spikes=int(sum(a.shape[1] for a in spikes.values())))
    print(f"rank {rank}/{size}: " + json.dumps({k: v for k, v in figures.items() if k != "harness_scores"}), flush=True)
    if rank == 0:
        from spikemem.files import atomic_path, atomic_write_text
        os.makedirs(out, exist_ok=True)
        with atomic_path(os.path.join(out, "spikes.npz")) as tmp:
            np.savez(tmp, **spikes)
        atomic_write_text(os.path.join(out, "figures.json"), json.dumps(figures, indent=1))


def compare(a: str, b: str) -> int:
    za, zb = np.load(os.path.join(a, "spikes.npz")), np.load(os.path.join(b, "spikes.npz"))
    fa, fb = (json.load(open(os.path.join(d, "figures.json"))) for d in (a, b))
    differ = sorted(k for k in set(za.files) | set(zb.files)
                    if k not in za.files or k not in zb.files or not np.array_equal(za[k], zb[k]))
    print(f"{'':<22} {fa['ranks']:>3} rank(s) {fb['ranks']:>3} rank(s)")
    for key in ("harness_s", "c1000_build_s", "c1000_run_s"):
        print(f"{key:<22} {fa[key]:>11.2f} {fb[key]:>11.2f}")
    print(f"{'spikes':<22} {fa['spikes']:>11,} {fb['spikes']:>11,}")
    print(f"harness scores equal: {fa['harness_scores'] == fb['harness_scores']}")
    print("spikes equal: " + ("yes, every population of every workload" if not differ else f"NO: {differ}"))
    return 0 if not differ and fa["harness_scores"] == fb["harness_scores"] else 1


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    workloads(sys.argv[1])
