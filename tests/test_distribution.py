"""What a user installs is the whole project: every package and module of the tree is in the wheel and
the sdist (a folder without __init__.py was left out of both, and every command of the wheel failed),
the licence travels with them, the pytest plugin leaves other projects alone, and --version answers."""
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import spikemem
from spikemem.cli import main

ROOT = Path(__file__).resolve().parent.parent
# the installed package -> the folder of the tree it comes from (setup.py's mapping)
ROOTS = {"spikemem": "spikemem", "spikemem/backends": "backends", "spikemem/models": "models",
         "spikemem/hardware": "hardware"}
BUILD_FILES = ["pyproject.toml", "setup.py", "README.md", "LICENSE"]


def _hidden(rel: Path) -> bool:
    return any(part.startswith((".", "__pycache__")) for part in rel.parts)


def tree() -> dict:
    """Every module of the tree: its path in the checkout -> its path in the wheel
    (backends/pynn/lowering.py -> spikemem/backends/pynn/lowering.py)."""
    found = {}
    for pkg, folder in ROOTS.items():
        for py in (ROOT / folder).rglob("*.py"):
            rel = py.relative_to(ROOT / folder)
            if not _hidden(rel) and not (pkg == "spikemem" and rel.parts[0] in ("backends", "models", "hardware")):
                found[f"{folder}/{rel.as_posix()}"] = f"{pkg}/{rel.as_posix()}"
    assert len(found) > 100, f"no source tree beside the tests ({ROOT})"
    return found


def tree_modules() -> set:
    return set(tree().values())


def test_every_package_folder_has_an_init():
    folders = {(ROOT / source).parent for source in tree()}
    folders |= {parent for f in folders for parent in f.parents if ROOT in parent.parents}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").is_file())
    assert missing == [], f"package folders without __init__.py (left out of the wheel and the sdist): {missing}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The wheel and the sdist, built with setuptools from a copy of the tree (the checkout stays clean)."""
    pytest.importorskip("setuptools", minversion="77", reason="the [test] extra brings setuptools>=77 to build")
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_FILES:
        shutil.copy(ROOT / name, src / name)
    for folder in ROOTS.values():
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    built, log = [], ""
    for hook in ("build_wheel", "build_sdist"):      # one process per hook, as a build frontend does
        code = f"import sys; from setuptools import build_meta; print('BUILT', build_meta.{hook}(sys.argv[1]))"
        proc = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        built.append(out / proc.stdout.rsplit("BUILT ", 1)[1].strip())
        log += proc.stdout + proc.stderr
    return built[0], built[1], log


def test_the_wheel_holds_every_module_and_the_licence(built):
    wheel, _, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(tree_modules() - names)
    assert missing == [], f"modules missing from the wheel: {missing}"
    assert not any(n.split("/")[0] in ("backends", "models", "hardware") for n in names)   # no top-level packages
    dist_info = f"spikemem-{spikemem.__version__}.dist-info"
    assert f"{dist_info}/licenses/LICENSE" in names
    meta = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    assert "License-Expression: Apache-2.0" in meta and "Requires-Python: <3.12,>=3.11" in meta
    assert f"Version: {spikemem.__version__}\n" in meta
    for field in ("Author: The spikemem developers", "Keywords:", "Classifier: Programming Language :: Python :: 3.11"):
        assert field in meta
    entry = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "spikemem = spikemem.harness.pytest_plugin" in entry


def test_the_sdist_holds_every_module_and_the_licence(built):
    _, sdist, _ = built
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = sorted(set(tree()) - names)
    assert missing == [], f"modules missing from the sdist: {missing}"
    assert {"LICENSE", "pyproject.toml", "setup.py", "README.md"} <= names


def test_the_build_has_no_deprecation_warning(built):
    _, _, log = built
    assert "deprecated" not in log.lower(), log[-3000:]


def test_the_installed_package_holds_every_module():
    """The installed distribution itself (CI's first leg installs the wheel, not the checkout)."""
    dist = importlib.metadata.distribution("spikemem")
    direct = dist.read_text("direct_url.json")
    if direct and json.loads(direct).get("dir_info", {}).get("editable"):
        pytest.skip("editable install: the checkout is the package (the built wheel is checked above)")
    installed = {f.as_posix() for f in dist.files or []}
    missing = sorted(tree_modules() - installed)
    assert missing == [], f"modules missing from the installed spikemem: {missing}"
    assert any(f.endswith("licenses/LICENSE") for f in installed)
    assert Path(spikemem.__file__).resolve().parent != ROOT / "spikemem"     # the tests ran the installed copy


def test_version_answers(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"spikemem {spikemem.__version__}\n"
    assert importlib.metadata.version("spikemem") == spikemem.__version__


PLAIN_PROJECT = '''
def test_arithmetic():
    assert 1 + 1 == 2


def test_the_spikemem_plugin_is_loaded_and_harmless(pytestconfig):
    assert pytestconfig.pluginmanager.hasplugin("spikemem")
    assert pytestconfig.getoption("--spikemem-backend") == "reference"
'''


def test_another_projects_pytest_passes_beside_the_plugin(tmp_path):
    """The pytest11 entry point loads in every pytest of the environment: it must not break them."""
    (tmp_path / "test_plain.py").write_text(PLAIN_PROJECT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plain.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 passed" in proc.stdout
