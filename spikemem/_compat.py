"""Module paths of spikemem 0.1, before the core was grouped into description/engine/interchange.

`import spikemem.network` and the other old paths keep working: the old name resolves to the
module at its new place (the very same module object) and a DeprecationWarning names the new
path. The aliases will be removed in spikemem 1.0.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "spikemem.network": "spikemem.description.network",
    "spikemem.cells": "spikemem.description.cells",
    "spikemem.connectors": "spikemem.description.connectors",
    "spikemem.plasticity": "spikemem.description.plasticity",
    "spikemem.features": "spikemem.description.features",
    "spikemem._check": "spikemem.description.validation",
    "spikemem.flat": "spikemem.engine.flatten",
    "spikemem.array_engine": "spikemem.engine.array_engine",
    "spikemem.stdp_engine": "spikemem.engine.stdp",
    "spikemem.array_ops": "spikemem.engine.numpy_ops",
    "spikemem.torch_ops": "spikemem.engine.torch_ops",
    "spikemem.cell_input": "spikemem.engine.cell_input",
    "spikemem.spike_log": "spikemem.engine.spike_log",
    "spikemem.spiketrains": "spikemem.engine.inputs",
    "spikemem.serialization": "spikemem.interchange.json_format",
    "spikemem.nir_graph": "spikemem.interchange.nir_graph",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self):
        self.specs = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; the old path goes away in spikemem 1.0",
                      DeprecationWarning, stacklevel=2)
        module = importlib.import_module(new)
        self.specs[new] = module.__spec__
        return module

    def exec_module(self, module):
        """The module ran under its new name already; undo the import system's relabelling."""
        module.__spec__ = self.specs[module.__name__]


def install() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
