"""The memory planner under a process's own limits (RLIMIT_AS, `ulimit -v`), and allocation
failures during a run as ResourceError (issue 20). Each case runs in a subprocess that sets its
address-space limit to what it maps already plus 1 GiB and runs a network whose plastic matrix
alone needs 1.7 GiB (the issue's case: `ulimit -v 4000000` and a run of 6.7 GB)."""
import json
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import json, resource, sys
    backend = sys.argv[1]
    if backend == "torch":
        import torch  # noqa: F401  (mapped before the limit is set)
    from spikemem import (STDP, AllToAllConnector, IFCurrExp, Network, Population, Projection, SpikememError,
                          SpikeSourceArray, get_backend)
    mapped = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (mapped + (1 << 30), resource.getrlimit(resource.RLIMIT_AS)[1]))
    n = 15000                                 # an n x n float64 plastic matrix: 1.7 GiB
    net = Network([Population("s", n, SpikeSourceArray()), Population("a", n, IFCurrExp())],
                  [Projection("p", "s", "a", AllToAllConnector(), 0.1, 1.0, plasticity=STDP())])
    be = get_backend(backend, **({"dtype": "float64"} if backend == "torch" else {}))
    try:
        if sys.argv[2] == "session":
            be.session(net).run(5.0)
        else:
            be.run(net, 5.0)
        out = {"outcome": "ran"}
    except SpikememError as e:
        out = {"outcome": type(e).__name__, "message": str(e)}
    except BaseException as e:                # what the test must never see
        out = {"outcome": type(e).__name__, "message": str(e)[:300]}
    print(json.dumps(out))
""")


def child(backend, how="run", planner=True):
    if backend == "torch":
        pytest.importorskip("torch")
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/status")
    env = {"SPIKEMEM_MEMORY_LIMIT": "" if planner else "none", "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-P", "-c", CHILD, backend, how], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend, how", [("reference", "run"), ("reference", "session"), ("torch", "run")])
def test_the_planner_refuses_a_run_past_the_address_space_limit(backend, how):
    """Before, the planner read MemAvailable and the cgroup only, and numpy failed with its own
    _ArrayMemoryError (torch with a RuntimeError of its allocator)."""
    out = child(backend, how)
    assert out["outcome"] == "ResourceError", out
    assert "needs about 1.7 GiB" in out["message"] and "RLIMIT_AS (ulimit -v" in out["message"]


@pytest.mark.parametrize("backend", ["reference", "torch"])
def test_an_allocation_that_fails_is_a_resource_error_naming_it(backend):
    """With the check switched off the same run fails where it allocates the plastic matrix."""
    out = child(backend, planner=False)
    assert out["outcome"] == "ResourceError", out
    msg = out["message"]
    assert msg.startswith("out of memory while allocating the state of 1 trial(s)")
    assert ("Unable to allocate 1.68 GiB" if backend == "reference" else "can't allocate memory") in msg
    assert "the plan estimated 1.7 GiB" in msg and "switched off" in msg
