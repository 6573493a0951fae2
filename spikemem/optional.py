"""Optional dependencies: import one on demand, or say which extra installs it."""
from __future__ import annotations

import importlib


def require(module: str, extra: str):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"this needs {module}: pip install 'spikemem[{extra}]' ({e})") from e
