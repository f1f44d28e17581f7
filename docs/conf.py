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
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]

autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False}
numpydoc_show_class_members = False  # the class pages list their members through autodoc
numpydoc_class_members_toctree = False
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # bench/README.md's sections skip heading levels

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
