"""The version of descend, defined here and nowhere else.

scikit-build-core reads it from this file into the package metadata (``[tool.scikit-build]
metadata.version`` in pyproject.toml), and the package exposes it as ``descend.__version__``.
"""

__version__ = "0.1.0"
