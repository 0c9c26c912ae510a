"""Sphinx configuration of the skdae documentation.

Build it from the repository root with
``sphinx-build -W -b html docs docs/_build/html`` (see docs/index.rst).
Nothing here downloads anything: links to scikit-learn's documentation are
made from its URL scheme (see ``_link_to_scikit_learn``), not intersphinx.
"""

import os
import sys
from pathlib import Path

import threadpoolctl
import torch
from docutils import nodes

# Document the skdae of this checkout, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import skdae  # noqa: E402

project = "skdae"
author = "The skdae developers"
copyright = "The skdae developers"
version = release = skdae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
default_role = "literal"

# -- API reference ------------------------------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
# Methods are documented in full below each class, as in scikit-learn's
# reference, rather than as numpydoc's summary tables.
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
# Fail the build (with -W) on an undocumented object, parameter or return
# value, and on an unknown or misplaced parameter.
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "PR03", "PR07", "RT03"}

# -- gallery ------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "ExampleTitleSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skdae",),
    "reference_url": {"skdae": None},
    "image_scrapers": ("matplotlib",),
    "min_reported_time": 0,
    "show_memory": False,
    "remove_config_comments": True,
}

# The examples' models and data are tiny, so that threads spend more time
# synchronising than computing, and on a small or shared CPU several threads
# per process make every example many times slower. One thread each for
# PyTorch and for the BLAS and OpenMP pools of NumPy and scikit-learn.
threadpoolctl.threadpool_limits(limits=1)
torch.set_num_threads(1)

# The gallery runs each example from the example's own folder, where the
# defaults of the Adult and ADBench examples (../shared/data/...) are not the
# project's data beside the repository, and sphinx-gallery gives examples no
# __file__: point them there, unless the variables already name folders.
for _variable, _folder in (
    ("SKDAE_ADULT_DIR", "adult"),
    ("SKDAE_ADBENCH_DIR", "adbench"),
):
    os.environ.setdefault(
        _variable,
        str(Path(__file__).resolve().parents[2] / "shared" / "data" / _folder),
    )

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "benchmarks": [], "install": []}
html_show_sourcelink = False

# -- links to scikit-learn, without downloads ---------------------------------

SKLEARN_DOCS = "https://scikit-learn.org/stable/"

# Labels of scikit-learn's own documentation that appear in docstrings skdae
# inherits from it (set_output, metadata routing): a page, or None for plain
# text.
SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
    ),
    "df_output_transform": None,
}


def _sklearn_url(target):
    """The page of a ``sklearn.*`` object; a method's anchor on its class."""
    parts = target.split(".")
    if len(parts) > 2 and parts[-2][:1].isupper():
        return f"{SKLEARN_DOCS}modules/generated/{'.'.join(parts[:-1])}.html#{target}"
    return f"{SKLEARN_DOCS}modules/generated/{target}.html"


def _link_to_scikit_learn(app, env, node, contnode):
    """Resolve references to scikit-learn objects, glossary terms and labels."""
    domain, kind = node.get("refdomain"), node.get("reftype")
    target = node.get("reftarget", "")
    if domain == "py" and target.startswith("sklearn."):
        url = _sklearn_url(target)
    elif domain == "std" and kind == "term":
        url = f"{SKLEARN_DOCS}glossary.html#term-{target.replace(' ', '-')}"
    elif domain == "std" and kind == "ref" and target in SKLEARN_LABELS:
        page = SKLEARN_LABELS[target]
        if page is None:
            return nodes.inline("", contnode.astext())
        url = SKLEARN_DOCS + page
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("missing-reference", _link_to_scikit_learn)
