"""spikemem 0.1 import paths keep working, with a DeprecationWarning naming the new place."""
import importlib
import subprocess
import sys

import pytest

from spikemem._compat import MOVED

LIGHT = sorted(old for old, new in MOVED.items() if new != "spikemem.engine.torch_ops")


@pytest.mark.parametrize("old", LIGHT)
def test_old_module_path_is_the_new_module_and_warns(old):
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        f"try:\n    importlib.import_module({old!r})\nexcept DeprecationWarning as e:\n    print('warned', e)\n"
        "warnings.simplefilter('ignore')\n"
        f"old, new = importlib.import_module({old!r}), importlib.import_module({MOVED[old]!r})\n"
        "print(old is new, new.__spec__.name)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0].startswith(f"warned {old} moved to {MOVED[old]}")
    assert out[1] == f"True {MOVED[old]}"


def test_from_import_of_old_names_works(monkeypatch):
    monkeypatch.delitem(sys.modules, "spikemem.network", raising=False)
    with pytest.warns(DeprecationWarning):
        from spikemem.network import Network as Old  # noqa: F401
    from spikemem import Network
    assert Old is Network


def test_ca3_cases_still_reachable_from_the_harness_with_a_warning():
    from spikemem.models.ca3 import cases
    harness_cases = importlib.import_module("spikemem.harness.cases")
    with pytest.warns(DeprecationWarning, match="spikemem.models.ca3.cases.random_case"):
        assert harness_cases.random_case is cases.random_case
    with pytest.raises(AttributeError):
        harness_cases.no_such_name
