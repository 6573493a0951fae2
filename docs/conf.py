"""Sphinx configuration of the spikemem documentation site.

Build: pip install -e ".[docs]" && python -m sphinx -W --keep-going -b html docs docs/_build/html

- The user guide is every Markdown page in docs/ (MyST), gathered by a glob toctree in index.md, so a
  page added as docs/NAME.md appears without editing anything else.
- The API reference (docs/api/) is generated from the docstrings. Docstrings are plain text written
  for `help()`, so they are shown as written (a literal block), never parsed as reStructuredText:
  a docstring can never break the build.
- The tutorials are sphinx-gallery scripts in examples/tutorials/, executed at every build. A tutorial
  whose extra is not installed says so instead of failing; CI builds with every extra.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import spikemem

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
from written_files import WrittenFiles  # noqa: E402  (the tutorials' PNG files, embedded in their pages)

project = "spikemem"
author = "The spikemem developers"
copyright = "the spikemem developers; Apache-2.0"
release = version = spikemem.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store", "tutorials/*.py", "tutorials/*.ipynb", "tutorials/*.zip",
                    "tutorials/*.md5", "tutorials/*.json", "tutorials/*.pickle"]
templates_path = []

# -- Markdown pages (MyST) ----------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
# every heading gets an anchor, so [text](page.md#a-heading) links resolve
myst_heading_anchors = 6
# Pages are written to be read on GitHub too, by several people: a link to a file outside the site
# (../README.md, a source file), a heading that skips a level, or a code block in a language Pygments
# does not know is a page's own business and must not fail the site. Only these categories are
# silenced; tests/test_project_files.py checks instead that every relative link of README.md and of
# docs/ names a file and a heading that exist.
suppress_warnings = [
    "myst.xref_missing",         # a Markdown link MyST cannot resolve as a page or heading of the site
    "myst.header",               # "Non-consecutive header level increase" (a page's style)
    "misc.highlighting_failure",  # a code block Pygments cannot lex is shown unhighlighted
]

# -- HTML --------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"spikemem {release}"
html_static_path = []
html_show_sourcelink = False

# -- API reference -------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
autosummary_generate = False

# Heavy extras that are not installed are mocked while autodoc imports a module, so the reference
# builds from a docs-only install; an installed one is imported as it is.
OPTIONAL_MODULES = ["torch", "torchvision", "snntorch", "norse", "nir", "nirtorch", "neo", "quantities", "pyNN",
                    "nest", "brian2", "spynnaker", "sklearn", "distributed", "dask"]
autodoc_mock_imports = [m for m in OPTIONAL_MODULES if importlib.util.find_spec(m) is None]


def literal_docstring(app, what, name, obj, options, lines):
    """Show a docstring as written: an indented literal block (plain text, not reStructuredText)."""
    if not any(line.strip() for line in lines):
        lines[:] = []
        return
    text = [line.rstrip() for line in lines]
    while text and not text[-1]:
        text.pop()
    lines[:] = ["::", ""] + ["    " + line if line else "" for line in text] + [""]


# -- Tutorials (sphinx-gallery) --------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples" / "tutorials"),
    "gallery_dirs": "tutorials",
    "filename_pattern": r"/tutorial_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib", WrittenFiles()),
    "reset_modules": ("matplotlib",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "min_reported_time": 0,
    "capture_repr": (),
    "expected_failing_examples": [],
}


def setup(app):
    app.connect("autodoc-process-docstring", literal_docstring)
    os.environ.setdefault("SPIKEMEM_RUN_DIR", str(HERE / "_build" / "runs"))   # simulators' run folders
