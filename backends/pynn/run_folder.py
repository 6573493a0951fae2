"""Run folders: where a PyNN simulator's log (and sPyNNaker's config and reports) go.

Every run of a PyNN backend gets its own folder, `<root>/<simulator>-<date>-<time>-<random>`.
The root is `run_base=` (a backend option), else $SPIKEMEM_RUN_DIR, else
`<temp dir>/spikemem-runs`. The simulator's own output (NEST's banner and messages, Brian2's,
sPyNNaker's log lines and progress bars) goes to `simulator.log` in the folder; sPyNNaker also
finds its generated `spynnaker.cfg` there and writes its reports there. When a new run starts,
all but the newest KEEP folders of the root are removed (never one younger than an hour, so
that concurrent runs keep theirs), at most once a minute per root.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from spikemem.files import atomic_write_text

ENV_ROOT = "SPIKEMEM_RUN_DIR"
KEEP = 20
MIN_AGE_S = 3600.0
LOG_NAME = "simulator.log"


def default_root() -> Path:
    return Path(os.environ.get(ENV_ROOT) or Path(tempfile.gettempdir()) / "spikemem-runs")


def prune(root: Path, keep: int = KEEP, min_age_s: float = MIN_AGE_S) -> list:
    """Remove all but the `keep` newest run folders of `root` that are older than `min_age_s`.
    Another process may prune at the same time (MPI ranks do): a folder gone meanwhile is skipped."""
    runs = []
    with os.scandir(root) as entries:        # (os.scandir: a root of thousands of runs costs ms, not 0.1 s)
        for e in entries:
            if e.is_dir(follow_symlinks=False) and os.path.exists(os.path.join(e.path, ".spikemem-run")):
                try:
                    runs.append((e.stat(follow_symlinks=False).st_mtime, Path(e.path)))
                except FileNotFoundError:
                    pass
    runs.sort(key=lambda tp: tp[0], reverse=True)
    now, removed = time.time(), []
    for t, p in runs[keep:]:
        if now - t >= min_age_s:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


PRUNE_EVERY_S = 60.0      # a root is pruned at most this often (only runs older than MIN_AGE_S go)


def _prune_due(root: Path) -> bool:
    """Whether the root was last pruned PRUNE_EVERY_S ago or more (its stamp file's time), and if so
    stamp it now: listing thousands of young runs cost each run 0.1 s, and a prune one minute
    later removes the same old ones."""
    stamp = root / ".spikemem-pruned"
    try:
        if time.time() - stamp.stat().st_mtime < PRUNE_EVERY_S:
            return False
    except FileNotFoundError:
        pass
    stamp.touch()
    return True


@dataclass
class RunFolder:
    path: Path

    @classmethod
    def create(cls, base=None, simulator: str = "spinnaker", **spinnaker_config) -> "RunFolder":
        """A fresh folder under `base` (or the default root); for sPyNNaker with its config
        (spinnaker_config: virtual, version, machine, spalloc, time_scale_factor)."""
        root = Path(base) if base else default_root()
        root.mkdir(parents=True, exist_ok=True)
        if _prune_due(root):
            prune(root)
        path = Path(tempfile.mkdtemp(prefix=time.strftime(f"{simulator}-%Y%m%d-%H%M%S-"), dir=root))
        atomic_write_text(path / ".spikemem-run", f"{simulator}\n")
        if simulator == "spinnaker":
            from .spinnaker_config import config_text
            text = config_text(**spinnaker_config)
            atomic_write_text(path / ".spynnaker.cfg", text)    # the "user" config while HOME points here
            atomic_write_text(path / "spynnaker.cfg", text)     # the working-directory config
            (path / ".config").mkdir()
        return cls(path)

    @property
    def log(self) -> Path:
        return self.path / LOG_NAME

    @contextlib.contextmanager
    def active(self):
        """HOME, XDG_CONFIG_HOME and the working directory inside the folder, restored after.

        sPyNNaker 7 reads one "user" config from ~/.spynnaker.cfg (or the XDG config dirs),
        creates ~/.spynnaker.cfg when none exists, and also reads ./spynnaker.cfg: while the
        folder is active the generated config is the only one it sees, and ~ is never touched.
        """
        saved = {k: os.environ.get(k) for k in ("HOME", "XDG_CONFIG_HOME")}
        cwd = os.getcwd()
        os.environ["HOME"] = str(self.path)
        os.environ["XDG_CONFIG_HOME"] = str(self.path / ".config")
        os.chdir(self.path)
        try:
            yield self
        finally:
            os.chdir(cwd)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
