"""descend: C++-accelerated optimisation algorithms for training machine-learning models.

Importing descend loads numpy and the compiled core only; optional features (scikit-learn,
matplotlib, ...) are imported when they are used.

Examples
--------
>>> import numpy as np, descend
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3))
>>> y = X @ np.array([1.0, -2.0, 0.5])
>>> r = descend.minimize(descend.LeastSquares(X, y), np.zeros(3), method="gd", lr=0.5)
>>> r.x.round(4).tolist()
[1.0, -2.0, 0.5]
"""

from . import _first_order, _second_order  # noqa: F401  (register the methods)
from . import plot, problems, reference
from ._minimize import methods, minimize
from ._result import History, Result
from .objectives import LeastSquares, Logistic, Objective, Quadratic, Softmax

__version__ = "0.1.0"


def __getattr__(name):
    # Features with optional dependencies load on first use, so that `import descend` stays
    # cheap and needs numpy only (descend.linear_model needs scikit-learn).
    if name == "linear_model":
        import importlib

        return importlib.import_module(".linear_model", __name__)
    raise AttributeError(f"module 'descend' has no attribute {name!r}")

__all__ = [
    "History",
    "LeastSquares",
    "Logistic",
    "Objective",
    "Quadratic",
    "Result",
    "Softmax",
    "methods",
    "minimize",
    "plot",
    "problems",
    "reference",
]
