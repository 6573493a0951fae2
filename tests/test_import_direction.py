"""The architecture as a test: every import runs the allowed way.

Rooms (installed names): the core spikemem.* with its sub-packages, spikemem.backends.<name>,
spikemem.models.<name> and spikemem.hardware.<name>. Allowed arrows:
- the core imports no backend, model or hardware module (they are found by entry-point name);
- inside the core, the description imports nothing of the engine, interchange, harness or CLI
  (Network.to_dict/save/load reach interchange.json_format through a call-time import, the one
  exception), the engine and interchange import no harness, CLI or each other;
- a backend imports the core and its own package only: no other backend, no model, no hardware;
- a model imports the core and its own package only;
- hardware imports the core, backends and models; nothing imports hardware.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = {"spikemem": "spikemem", "backends": "spikemem.backends", "models": "spikemem.models",
         "hardware": "spikemem.hardware"}
CALL_TIME_EXCEPTIONS = {("spikemem.description.network", "spikemem.interchange.json_format")}


def modules():
    for folder, prefix in ROOMS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((prefix,) + tuple(p for p in rel if p != "__init__"))
            yield name, path


def imports(name, path):
    """(imported module, imported at call time) for every import statement of a module."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top_level = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) not in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            yield target, id(node) not in top_level
            for alias in node.names:                # from pkg import x: x may be a module
                yield f"{target}.{alias.name}", id(node) not in top_level


def room(module: str) -> tuple:
    """('core', sub-package) | ('backends'|'models'|'hardware', package) | ('outside', '')."""
    parts = module.split(".")
    if parts[0] != "spikemem":
        return ("outside", "")
    if len(parts) > 1 and parts[1] in ("backends", "models", "hardware"):
        return (parts[1], parts[2] if len(parts) > 2 else "")
    return ("core", parts[1] if len(parts) > 1 else "")


CORE_FORBIDDEN = {   # core sub-package -> core sub-packages it must not import
    "description": {"engine", "interchange", "harness", "cli", "registry"},
    "engine": {"interchange", "harness", "cli", "registry"},
    "interchange": {"engine", "harness", "cli", "registry"},
}


def wrong_way(src: str, dst: str, call_time: bool):
    (s_room, s_pkg), (d_room, d_pkg) = room(src), room(dst)
    if d_room == "outside" or (s_room, s_pkg) == (d_room, d_pkg):
        return None
    if s_room == "core":
        if d_room != "core":
            return "the core imports no backend, model or hardware module"
        excepted = call_time and any(src == a and (dst == b or dst.startswith(b + ".")) for a, b in CALL_TIME_EXCEPTIONS)
        if d_pkg in CORE_FORBIDDEN.get(s_pkg, ()) and not excepted:
            return f"core.{s_pkg} must not import core.{d_pkg}"
    elif s_room in ("backends", "models") and d_room != "core":
        return f"a {s_room[:-1]} imports the core and its own package only"
    elif s_room == "hardware" and d_room == "hardware":
        return "one hardware package imports no other"
    return None


def test_no_import_runs_the_wrong_way():
    bad, arrows = [], 0
    for name, path in modules():
        for target, call_time in imports(name, path):
            arrows += target.startswith("spikemem")
            why = wrong_way(name, target, call_time)
            if why:
                bad.append(f"{name} -> {target}: {why}")
    assert arrows > 200, "the walk found too few spikemem imports to mean anything"
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("src, dst, call_time", [
    ("spikemem.backends.torch", "spikemem.models.ca3", False),
    ("spikemem.backends.pynn.backend", "spikemem.hardware.spinnaker.config", True),
    ("spikemem.backends.norse", "spikemem.backends.torch", False),
    ("spikemem.harness.runner", "spikemem.models.ca3.cases", False),
    ("spikemem.description.cells", "spikemem.engine.flatten", False),
    ("spikemem.models.hlop.export", "spikemem.models.ca3", False),
    ("spikemem.models.ca3.memory", "spikemem.hardware.spinnaker", True),
])
def test_the_rule_catches_each_kind_of_wrong_arrow(src, dst, call_time):
    assert wrong_way(src, dst, call_time)


def test_the_walk_sees_relative_and_call_time_imports(tmp_path):
    f = tmp_path / "mod.py"
    f.write_text("from . import sibling\nfrom ..engine import flatten\ndef g():\n    import spikemem.models.ca3\n")
    found = set(imports("spikemem.description.mod", f))
    assert found == {("spikemem.description", False), ("spikemem.description.sibling", False),
                     ("spikemem.engine", False), ("spikemem.engine.flatten", False), ("spikemem.models.ca3", True)}
