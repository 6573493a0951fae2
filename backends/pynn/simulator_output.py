"""Keep a simulator's own output out of the terminal: it goes to the run folder's log file.

NEST prints a banner on import and messages from C++, Brian2 and PyNN raise warnings, and
sPyNNaker logs hundreds of lines and draws progress bars. While `captured(path)` is active,
file descriptors 1 and 2, sys.stdout/sys.stderr and the simulators' loggers all write to
`path`; the root logger is left as it was found (sPyNNaker would otherwise install a handler
on it with logging.basicConfig). With the "spikemem" logger at DEBUG (`spikemem -v`) nothing
is captured and everything shows, as before.
"""
from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
import sys
from pathlib import Path

from spikemem.log import get_logger

SIMULATOR_LOGGERS = ("PyNN", "pyNN", "nest", "brian2", "spinn_utilities", "spinn_machine", "spinnman", "pacman",
                     "spalloc", "spalloc_client", "spinn_front_end_common", "spynnaker", "neo")


def shows_everything() -> bool:
    """True when the user asked for everything (the "spikemem" logger is at DEBUG)."""
    return get_logger("spikemem").isEnabledFor(logging.DEBUG)


def _flush_c_stdio() -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def _fds_to(f) -> None:
    """File descriptors 1 and 2 point at `f` (C and C++ output of the simulators)."""
    for s in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            s.flush()
    _flush_c_stdio()
    saved = []
    try:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
            except OSError:            # no such descriptor (a detached process)
                continue
            os.dup2(f.fileno(), fd)
        yield
    finally:
        _flush_c_stdio()
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


@contextlib.contextmanager
def _loggers_to(handler: logging.Handler):
    """The simulators' loggers write to `handler` only; the root logger keeps its state."""
    with _root_logger_restored():
        root = logging.getLogger()
        if not root.handlers:              # stops sPyNNaker's logging.basicConfig from adding one
            root.addHandler(logging.NullHandler())
        saved = []
        for name in SIMULATOR_LOGGERS:
            lg = logging.getLogger(name)
            saved.append((lg, list(lg.handlers), lg.propagate, lg.level))
            lg.handlers, lg.propagate = [handler], False
            lg.setLevel(logging.INFO)
        try:
            yield
        finally:
            for lg, handlers, propagate, level in saved:
                lg.handlers, lg.propagate = handlers, propagate
                lg.setLevel(level)


@contextlib.contextmanager
def captured(path):
    """Send everything a simulator writes to the file `path` (appending) while active."""
    if shows_everything():
        with _root_logger_restored():
            yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", buffering=1) as f:
        handler = logging.StreamHandler(f)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        text = io.TextIOWrapper(os.fdopen(os.dup(f.fileno()), "wb", buffering=0), write_through=True)
        try:
            with _fds_to(f), contextlib.redirect_stdout(text), contextlib.redirect_stderr(text), \
                    _loggers_to(handler):
                yield
        finally:
            text.close()


@contextlib.contextmanager
def _root_logger_restored():
    """Handlers added to the root logger meanwhile are removed and its level is reset."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for h in list(root.handlers):
            if h not in handlers:
                root.removeHandler(h)
        root.setLevel(level)
