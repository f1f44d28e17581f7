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

from typing import TYPE_CHECKING

from . import _first_order, _second_order  # noqa: F401  (register the methods)
from . import analysis, constraints, init, optimizers, plot, problems, reference, schedules
from ._check_grad import GradientCheck, check_grad
from .constraints import constrained_least_squares
from ._core import permutation as _permutation
from ._first_order import ConvergenceWarning
from ._minimize import methods, minimize
from ._result import History, Result
from .objectives import LeastSquares, Logistic, Objective, Quadratic, Softmax
from ._mlp import MLP
from ._config import show_config
from ._version import __version__

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


def permutation(n: int, seed: int, epoch: int) -> "NDArray[np.int64]":
    """Return the order in which a shuffled mini-batch run visits the samples in an epoch.

    Epoch ``e`` (counted from 0) of a run with ``seed`` walks ``permutation(n, seed, e)`` in
    consecutive slices of ``batch_size``. The generator is SplitMix64 with Fisher-Yates,
    implemented in descend (see ``cpp/include/descend/batches.hpp``), so a seed gives the
    same batches on every platform.

    Parameters
    ----------
    n : int
        Number of samples, >= 1.
    seed : int
        The run's seed, >= 0.
    epoch : int
        The epoch, >= 0.

    Returns
    -------
    numpy.ndarray of int64
        A permutation of ``0 .. n-1``.

    Examples
    --------
    >>> import descend
    >>> p = descend.permutation(5, seed=0, epoch=0)
    >>> sorted(p.tolist())
    [0, 1, 2, 3, 4]
    """
    from ._validation import check_int

    return _permutation(check_int(n, "n", low=1), check_int(seed, "seed", low=0),
                        check_int(epoch, "epoch", low=0))


def __getattr__(name):
    # Features with optional dependencies load on first use, so that `import descend` stays
    # cheap and needs numpy only (descend.linear_model needs scikit-learn).
    if name in ("linear_model", "neural_network"):
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'descend' has no attribute {name!r}")

__all__ = [
    "ConvergenceWarning",
    "GradientCheck",
    "History",
    "LeastSquares",
    "Logistic",
    "MLP",
    "Objective",
    "Quadratic",
    "Result",
    "Softmax",
    "analysis",
    "check_grad",
    "constrained_least_squares",
    "constraints",
    "init",
    "methods",
    "minimize",
    "optimizers",
    "permutation",
    "plot",
    "problems",
    "reference",
    "schedules",
    "show_config",
]
