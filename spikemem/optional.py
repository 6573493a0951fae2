"""Optional dependencies: import one on demand, or say in one line which extra installs it.

Every optional import in spikemem (torch, snnTorch, Norse, PyNN and its simulators, NIR, neo,
scikit-learn) goes through require(), so a missing one is always the same MissingExtra:
"torch is not installed: pip install 'spikemem[torch]'". missing() answers "is it there?"
without importing anything (a backend's is_available() must stay fast: importing torch or
NEST takes seconds and NEST prints a banner).
"""
from __future__ import annotations

import importlib
import importlib.util

from .errors import MissingExtra


def require(module: str, extra: str):
    """The module, or MissingExtra naming the pip command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtra(module, extra, e) from e


def installed(module: str) -> bool:
    """Whether `module` (a top-level name such as 'torch' or 'pyNN') can be found, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):   # a blocked or half-installed package
        return False


def missing(modules) -> list:
    """The modules of `modules` that are not installed, in order."""
    return [m for m in modules if not installed(m)]


class Extra:
    """Mixin for a backend: is_available() checks the modules its extra installs.

    requires: top-level modules the backend imports (found, not imported, by is_available);
    extra: the pip extra that installs them (None: nothing beyond spikemem itself).
    """

    requires: tuple = ()
    extra: str | None = None

    @classmethod
    def is_available(cls) -> bool:
        return not missing(cls.requires)

    @classmethod
    def require_all(cls) -> None:
        """Import every required module, or raise MissingExtra naming this backend's extra."""
        for module in cls.requires:
            require(module, cls.extra)
