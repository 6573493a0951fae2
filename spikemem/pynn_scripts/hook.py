"""Run a script written for pyNN.spiNNaker, spynnaker8 or pyNN.nest on spikemem.pynn.

An import hook, installed for this process only, serves those simulator modules as spikemem.pynn,
with the dialect of the one the script imports (sPyNNaker's or PyNN's, see spikemem.pynn.setup).
sPyNNaker's helper modules scripts use (neo_convertor, SpynnakerPanel) are served by shims.py; any
other sPyNNaker module is refused by name when imported. matplotlib draws without a display and
plt.show() returns.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import types
from dataclasses import dataclass

from ..errors import UnsupportedFeature

DIALECT = {"pyNN.spiNNaker": "spinnaker", "spynnaker8": "spinnaker", "spynnaker.pyNN": "spinnaker",
           "pyNN.nest": "pynn"}
SHIMS = {"spynnaker.pyNN.utilities.neo_convertor", "spynnaker8.utilities.neo_convertor",
         "spynnaker.spynnaker_plotting", "spynnaker8.spynnaker_plotting", "spynnaker.plot_utils",
         "spynnaker8.plot_utils"}
PACKAGES = {"spynnaker", "spynnaker.pyNN.utilities", "spynnaker8.utilities"}


class _Loader(importlib.abc.Loader):
    def __init__(self, make):
        self.make = make

    def create_module(self, spec):
        return self.make(spec.name)

    def exec_module(self, module):
        pass


class Finder(importlib.abc.MetaPathFinder):
    """Serves the simulator modules above; records which dialect the script asked for first."""

    def __init__(self):
        self.dialect = None

    def find_spec(self, fullname, path=None, target=None):
        if fullname in DIALECT:
            make = self._simulator
        elif fullname in SHIMS:
            make = _shims
        elif fullname in PACKAGES:
            make = _package
        elif fullname.split(".")[0] in ("spynnaker", "spynnaker8"):
            make = _refused
        else:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(make), is_package=fullname in PACKAGES)

    def _simulator(self, name):
        import spikemem.pynn as sim
        from spikemem.pynn.simulator import state
        if self.dialect is None:
            self.dialect = state.default_dialect = DIALECT[name]
        return sim


def _shims(name):
    from . import shims
    return shims


def _package(name):
    module = types.ModuleType(name)
    module.__path__ = []
    return module


def _refused(name):
    raise UnsupportedFeature(f"import {name}: a sPyNNaker module spikemem does not serve (it serves "
                             "pyNN.spiNNaker, spynnaker8 and spynnaker.pyNN, and their neo_convertor and plotting)")


@dataclass
class ScriptRun:
    """What running a script left: its dialect, and whether it built a network."""
    path: str
    dialect: str | None
    exit_code: int


def headless_matplotlib() -> None:
    """Draw without a display; plt.show() returns at once (figures are left to the script to save)."""
    os.environ["MPLBACKEND"] = "Agg"
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.show = lambda *args, **kwargs: None


def run_script(path: str, args=(), **forced) -> ScriptRun:
    """Run the script at `path` with argv [path, *args], its simulator imports served by spikemem.pynn;
    `forced` (backend, device, scheme, numerics, trials) override what the script's setup() asks for.
    Modules the script imported are forgotten afterwards, so a second script starts clean."""
    from spikemem.pynn.simulator import state
    headless_matplotlib()
    finder = Finder()
    saved_argv, saved_path = list(sys.argv), list(sys.path)
    hidden = {name: sys.modules.pop(name) for name in list(sys.modules) if _served(name)}   # real sPyNNaker
    state.forced = {k: v for k, v in forced.items() if v is not None}
    state.forced.setdefault("name", _network_name(path))
    state.default_dialect = "pynn"
    sys.meta_path.insert(0, finder)
    sys.argv = [str(path), *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    code = 0
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.meta_path.remove(finder)
        sys.argv, sys.path = saved_argv, saved_path
        state.forced, state.default_dialect = {}, "pynn"
        for name in [n for n in sys.modules if _served(n)]:
            del sys.modules[name]
        sys.modules.update(hidden)
        import pyNN
        for attr in ("spiNNaker", "nest"):
            if getattr(pyNN, attr, None) is sys.modules.get("spikemem.pynn"):
                delattr(pyNN, attr)
    return ScriptRun(str(path), finder.dialect, code)


def _network_name(path) -> str:
    import re
    stem = os.path.splitext(os.path.basename(str(path)))[0]
    return re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "pynn_script"


def _served(name: str) -> bool:
    return name in DIALECT or name in SHIMS or name in PACKAGES or name.split(".")[0] in ("spynnaker", "spynnaker8")
