"""Importing spikemem and running the main job pulls in no optional simulator."""
import subprocess
import sys

HEAVY = ("torch", "pyNN", "nest", "brian2", "spynnaker", "snntorch", "norse", "nir", "neo", "matplotlib")


def test_core_reference_backend_and_cam_import_no_heavy_simulator():
    code = (
        "import sys\n"
        "import spikemem, spikemem.cli, spikemem.harness, spikemem.engine.array_engine\n"
        "from spikemem.registry import get_backend\n"
        "from spikemem.models.ca3 import CA3Memory\n"
        "m = CA3Memory(4, 4)\n"
        "m.learn(1, [0, 2]); m.recall(1)\n"
        f"print(sorted(h for h in {HEAVY!r} if h in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
