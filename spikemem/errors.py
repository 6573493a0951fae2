"""Errors raised by spikemem; every message names the field and the offending value."""
from __future__ import annotations


class SpikememError(Exception):
    """Base class for spikemem errors."""


class ValidationError(SpikememError, ValueError):
    """A description, input file or operation is invalid; nothing was changed or run."""

    def __init__(self, field: str, value, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        self.local_field = field      # the field without the cell type that names it in Python
        super().__init__(f"{field}={value!r}: {reason}")

    def within(self, owner: str) -> "ValidationError":
        """The same refusal named from the population or projection that holds the field."""
        return ValidationError(f"{owner}.{self.local_field}", self.value, self.reason)


class FormatError(SpikememError, ValueError):
    """A saved file has another major version or misses a field."""


class ResourceError(SpikememError):
    """A run would need more memory than the limit allows; refused before it allocates, or
    stopped when its spike log outgrows what is left. The message gives the estimate and the limit."""


class OutputError(SpikememError, OSError):
    """A file could not be written (missing folder, no permission, disk full); an old file
    at that path is left as it was."""


class UnsupportedFeature(SpikememError, NotImplementedError):
    """A backend cannot express a feature of the description."""


class MissingExtra(SpikememError, ImportError):
    """An optional dependency is not installed; the message names the pip command that adds it."""

    def __init__(self, module: str, extra: str, cause: BaseException | None = None):
        self.module, self.extra = module, extra
        detail = f" ({cause})" if cause is not None and str(cause) and module not in str(cause) else ""
        super().__init__(f"{module} is not installed: pip install 'spikemem[{extra}]'{detail}")
