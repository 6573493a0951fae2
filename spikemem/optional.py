"""Optional dependencies: import one on demand, or say in one line which extra installs it."""
from __future__ import annotations

import importlib

from .errors import MissingExtra


def require(module: str, extra: str):
    """The module, or MissingExtra naming the pip command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtra(module, extra, e) from e
