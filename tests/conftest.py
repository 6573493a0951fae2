import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "ca3_cam_golden"


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


@pytest.fixture
def golden_path():
    return lambda name: GOLDEN / name
