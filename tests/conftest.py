import os
from pathlib import Path

import pytest

# The tests run against the installed spikemem (`python -P -m pytest`); so do the Python subprocesses
# they start, whatever their working folder: the checkout's spikemem/ is never imported in its place.
os.environ.setdefault("PYTHONSAFEPATH", "1")



def shared_folder() -> Path:
    """Recordings of other projects stay out of the repository: $SPIKEMEM_SHARED, else the
    project root's sibling `shared` folder (CI has it beside its clone)."""
    env = os.environ.get("SPIKEMEM_SHARED")
    return Path(env) if env else Path(__file__).resolve().parent.parent.parent / "shared"


GOLDEN = shared_folder() / "ca3_cam_golden"
GOLDEN_MISSING = (f"the CA3 SpiNNaker recordings are absent: no folder {GOLDEN} "
                  "(../shared/ca3_cam_golden beside the project root, or $SPIKEMEM_SHARED/ca3_cam_golden)")
needs_golden = pytest.mark.skipif(not GOLDEN.is_dir(), reason=GOLDEN_MISSING)


def golden_file(name: str) -> Path:
    """A CA3 recording's path, or the test is skipped with the folder it looked in."""
    if not GOLDEN.is_dir():
        pytest.skip(GOLDEN_MISSING)
    return GOLDEN / name


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    slow = os.environ.get("SPIKEMEM_SLOW") == "1"
    gpu = None
    for item in items:
        if "slow" in item.keywords and not slow:
            item.add_marker(pytest.mark.skip(reason="slow: set SPIKEMEM_SLOW=1 to run"))
        if "gpu" in item.keywords:
            gpu = _cuda_available() if gpu is None else gpu
            if not gpu:
                item.add_marker(pytest.mark.skip(reason="gpu: no CUDA device"))


def stdp_rules() -> dict:
    """Every STDP timing convention, with weights small enough not to drive a neuron."""
    from spikemem import STDP
    base = dict(tau_plus=3.0, tau_minus=3.0, A_plus=0.2, A_minus=0.2, w_min=0.0, w_max=0.5)
    return {
        "spinnaker7": STDP(**base),
        "nearest": STDP(**base, traces="nearest"),
        "no_depress_at_zero": STDP(**base, depress_at_zero=False),
        "potentiate_at_zero": STDP(**base, potentiate_at_zero=True),
        "clamp_per_update": STDP(3.0, 4.0, 0.3, 0.25, 0.05, 0.5, clamp="per_update"),
        "transmit_before": STDP(**base, transmit="before_update"),
        "dendritic_0": STDP(5.0, 2.0, 0.15, 0.1, 0.0, 0.45, dendritic_delay=0.0),
        "history_4": STDP(**base, post_history=4),
        "history_4_per_update": STDP(**base, post_history=4, clamp="per_update"),
    }


@pytest.fixture
def one_torch_thread():
    """Small tensors: one thread avoids OpenMP spin-waits on a shared CPU."""
    torch = pytest.importorskip("torch")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
