"""Maps backends/, models/ and hardware/ into the spikemem namespace; metadata is in pyproject.toml."""
import os

from setuptools import setup

ROOTS = {"spikemem": "spikemem", "spikemem.backends": "backends", "spikemem.models": "models",
         "spikemem.hardware": "hardware"}


def packages():
    found = []
    for pkg, root in ROOTS.items():
        for dirpath, dirnames, files in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "__"))]
            if "__init__.py" in files:
                rel = os.path.relpath(dirpath, root)
                found.append(pkg if rel == "." else pkg + "." + rel.replace(os.sep, "."))
    return sorted(set(found))


setup(packages=packages(), package_dir=ROOTS)
