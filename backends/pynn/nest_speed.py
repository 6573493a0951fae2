"""Two of NEST's Python-level node-collection calls, made cheap in one process.

NEST 3's NodeCollection.tolist() and .local read every node's whole status (about 20 ms for 1,000
nodes each), and NodeCollection.set() asks .local first: pyNN.nest calls them per population and
per initial value, which cost the CA3 memory at C = N = 1,000 about a second of its build
(docs/scale.md). In one MPI process every node is local and the ids come from the kernel's own
array (llapi_node_collection_to_array); under MPI NEST's own calls stay.
"""
from __future__ import annotations

_ONE_PROCESS = []


def _one_process() -> bool:
    if not _ONE_PROCESS:
        import nest
        _ONE_PROCESS.append(nest.NumProcesses() == 1)
    return _ONE_PROCESS[0]


def install() -> None:
    """Patch NodeCollection.tolist and .local (once per process)."""
    from nest.lib import hl_api_types as types
    cls = types.NodeCollection
    if getattr(cls, "_spikemem_fast", False):
        return
    tolist, kernel = cls.tolist, types.nestkernel

    def fast_tolist(self):
        if not _one_process() or not len(self):
            return tolist(self)
        return list(kernel.llapi_node_collection_to_array(self._datum, "all"))

    def local(self):
        if not _one_process():
            return self.get("local")
        return True if len(self) == 1 else (True,) * len(self)

    cls.tolist = fast_tolist
    cls.local = property(local)
    cls._spikemem_fast = True
