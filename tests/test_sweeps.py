"""Sweeps on Dask: the same results as in-process, and a killed worker loses nothing."""
import os
import signal

import pytest

from spikemem.errors import ValidationError
from spikemem.models.ca3.sweeps import capacity, stress
from spikemem.sweeps import run_chunks, sweep_options

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    import logging
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as c:
        yield c


def test_stress_on_two_workers_equals_in_process(cluster):
    args = (5, 10, 40, None, 3, 140)          # 140 trials: three chunks of at most 64
    assert stress(*args, scheduler=cluster.scheduler_address) == stress(*args)


def test_capacity_on_two_workers_equals_in_process(cluster):
    args = ([4, 6], 3, 20, None, 1)
    assert capacity(*args, scheduler=cluster.scheduler_address) == capacity(*args)


def test_a_killed_worker_loses_nothing(cluster):
    """Kill the worker that is running a chunk as soon as the first chunk is in: its chunk runs
    again elsewhere, the finished ones are kept, and the results equal the in-process run."""
    chunks = [(6, 8, 40, None, s, s + 2, None, "faithful", "mixed", {}) for s in range(0, 16, 2)]
    from spikemem.models.ca3.sweeps import stress_chunk
    killed = []

    def kill_busy_worker(k, client):
        if killed:
            return
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    got = run_chunks(stress_chunk, chunks, scheduler=cluster.scheduler_address, on_chunk=kill_busy_worker)
    assert killed, "no worker was busy when the first chunk finished"
    assert got == [stress_chunk(*c) for c in chunks]


def test_work_errors_propagate_and_options_are_checked(cluster):
    from spikemem.models.ca3.sweeps import stress_chunk
    with pytest.raises(ValidationError, match="variant"):
        run_chunks(stress_chunk, [(4, 4, 5, None, 0, 1, None, "no-such-variant", "mixed", {})],
                   scheduler=cluster.scheduler_address)

    class Args:
        workers, scheduler = 2, "tcp://127.0.0.1:1"
    with pytest.raises(ValidationError, match="not both"):
        sweep_options(Args)


def test_continual_sweep_on_two_workers_equals_in_process(cluster):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    from spikemem.models.hlop.sweep import sweep_cells
    settings = dict(tasks=2, epochs=1, train_limit=60, test_limit=30, hidden=16)

    def strip(rows):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    serial = sweep_cells("digits", ["hlop"], [0, 1], settings)
    assert [(r["method"], r["seed"]) for r in serial] == [("hlop", 0), ("hlop", 1)]
    assert serial[0]["matrix"] != serial[1]["matrix"]
    assert strip(sweep_cells("digits", ["hlop"], [0, 1], settings, scheduler=cluster.scheduler_address)) == strip(serial)
