"""Honest availability: with an extra missing, `spikemem backends` says so with the pip command,
and every use of it fails with the same one line. CI installs every extra, so each case runs in
a subprocess whose import system hides the modules of one extra (as on a base install)."""
import subprocess
import sys

import pytest
from conftest import GOLDEN, needs_golden

HIDE = '''
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    names = set(sys.argv[1].split(","))
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Hide())
del sys.argv[1]
'''
CLI = HIDE + "from spikemem.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def _hidden(modules, *args, code=CLI):
    return subprocess.run([sys.executable, "-c", code, ",".join(modules), *args], capture_output=True, text=True,
                          timeout=300)


def test_backends_on_a_base_install_marks_torch_missing():
    proc = _hidden(["torch"], "backends")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()}
    assert rows["torch"].split()[1] == "missing" and rows["torch"].endswith("pip install 'spikemem[torch]'")
    assert rows["snntorch"].endswith("pip install 'spikemem[snntorch]'")
    assert rows["norse"].endswith("pip install 'spikemem[norse]'")
    assert rows["reference"].split()[1:] == ["available"]
    assert "import torch" not in proc.stderr and proc.stderr == ""


def test_backends_lists_every_installed_one_as_available():
    proc = _hidden([], "backends", "--json")
    import json
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {r["name"] for r in rows} >= {"reference", "torch", "snntorch", "norse", "pynn", "nest", "brian2",
                                         "spinnaker"}
    pytest.importorskip("torch")
    assert {r["name"]: r["available"] for r in rows}["torch"] is True


@pytest.mark.parametrize("needs, hidden, args, message", [   # needs: installed, so the hidden one is what fails
    ([], ["torch"], ["demo", "--backend", "torch", "--png", ""], "torch is not installed: pip install 'spikemem[torch]'"),
    (["torch"], ["snntorch"], ["demo", "--backend", "snntorch", "--png", ""],
     "snntorch is not installed: pip install 'spikemem[snntorch]'"),
    ([], ["torch"], ["demo", "--backend", "norse", "--png", ""], "torch is not installed: pip install 'spikemem[norse]'"),
    (["pyNN"], ["nest"], ["demo", "--backend", "nest", "--png", ""], "nest is not installed: pip install 'spikemem[nest]'"),
    pytest.param(["pyNN"], ["brian2"], ["cam", "replay", str(GOLDEN / "exp1_functional_learn_recall_forget.json"),
                                        "--out", "/dev/null", "--backend", "brian2"],
                 "brian2 is not installed: pip install 'spikemem[brian2]'", marks=needs_golden),
    (["pyNN"], ["spynnaker"], ["spinnaker", "map", "--cam", "2", "2"],
     "pyNN.spiNNaker is not installed: pip install 'spikemem[spinnaker]'"),
    ([], ["pyNN"], ["harness", "--backend", "pynn"], "pyNN is not installed: pip install 'spikemem[pynn]'"),
    (["torch"], ["sklearn"], ["continual", "--tasks", "1"], "sklearn is not installed: pip install 'spikemem[hlop]'"),
])
def test_every_missing_extra_is_the_same_one_line_error(needs, hidden, args, message):
    for module in needs:
        pytest.importorskip(module)
    proc = _hidden(hidden, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"spikemem: error: {message}"), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("hidden, code, message", [
    (["nir"], "from spikemem.interchange.nir_graph import to_nir\nfrom spikemem import Network, Population\n"
              "to_nir(Network([Population('a', 1)]))", "nir is not installed: pip install 'spikemem[nir]'"),
    (["neo"], "from spikemem import get_backend, Network, Population\n"
              "get_backend().run(Network([Population('a', 1)]), 1.0).to_neo()",
     "neo is not installed: pip install 'spikemem[neo]'"),
])
def test_library_calls_raise_missing_extra(hidden, code, message):
    wrapped = HIDE + "from spikemem.errors import MissingExtra\ntry:\n" + "".join(
        f"    {line}\n" for line in code.splitlines()) + "except MissingExtra as e:\n    print(e)\n"
    proc = _hidden(hidden, code=wrapped)
    assert proc.stdout.startswith(message), proc.stdout + proc.stderr
