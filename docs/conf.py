"""Sphinx configuration for descend's documentation (build: see README.md, "Documentation")."""

import descend

project = "descend"
copyright = "the descend authors"
author = "the descend authors"
version = release = descend.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]

autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False}
numpydoc_show_class_members = False  # the class pages list their members through autodoc
numpydoc_class_members_toctree = False
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # bench/README.md's sections skip heading levels

# The user guide's figures: matplotlib's plot directive, inside MyST's ```{eval-rst}``` blocks
# (MyST's own directive machinery lacks what the plot directive needs), runs each example at
# build time and shows it with its code. The examples are self-contained (they import what they
# use) and small (a build draws them all in seconds); tests/test_docs.py runs the same code.
plot_include_source = True
plot_pre_code = ""
plot_formats = [("png", 100)]
plot_html_show_formats = False
plot_html_show_source_link = False
plot_rcparams = {"figure.figsize": (6.4, 3.6), "figure.dpi": 100, "savefig.bbox": "tight"}

html_theme = "pydata_sphinx_theme"
html_title = f"descend {release}"
html_theme_options = {"navigation_with_keys": False}


def _skip_sklearn_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates set_fit_request & co. on every estimator; their docstrings point
    # into scikit-learn's own documentation, and they are not descend's API.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_request_methods)
