"""spikemem's named logger: progress and notices go here, so users turn them up or down.

    import logging; logging.getLogger("spikemem").setLevel(logging.WARNING)   # quieter

Child loggers ("spikemem.backends.pynn", ...) come from get_logger(__name__). With no
handler configured by the application, notices at INFO and above reach stderr through
logging's last-resort handler only from WARNING up; the CLI installs a plain stderr handler
at INFO (-v: DEBUG, -q: WARNING). At DEBUG the PyNN backends also let the simulators' own output
through (otherwise it goes to the run folder's simulator.log).
"""
from __future__ import annotations

import logging

LOGGER_NAME = "spikemem"
logger = logging.getLogger(LOGGER_NAME)


def get_logger(name: str) -> logging.Logger:
    """The logger of a spikemem module (any name outside the package becomes a child of 'spikemem')."""
    return logging.getLogger(name if name.startswith(LOGGER_NAME) else f"{LOGGER_NAME}.{name}")
