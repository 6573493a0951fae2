"""`spikemem demo`: the functional test of the paper, as a table and a raster plot (the shared
demo of spikemem.harness.memory_cli, `spikemem memory ca3 demo`)."""
from __future__ import annotations

from spikemem.harness import memory_cli


def run_demo(backend=None, variant="faithful", png="ca3_demo.png", out=None, numerics=None,
             **backend_options) -> int:
    return memory_cli.run_demo("ca3", backend, variant, png, "", numerics, out, **backend_options)
