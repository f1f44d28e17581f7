"""descend: C++-accelerated optimisation algorithms for training machine-learning models.

Importing descend loads numpy and one build of the compiled core only. Every other name is
loaded on first use (PEP 562): ``descend.minimize``, ``descend.analysis``,
``descend.linear_model`` (which needs scikit-learn) and so on, so optional features
(scikit-learn, matplotlib, dask, threadpoolctl, ...) are imported only when they are used.

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

import importlib as _importlib
import typing as _typing

from . import _threads
from ._core import permutation as _permutation
from ._on_import import on_import as _on_import
from ._version import __version__

# The public names defined in submodules, each loaded on first use: name -> module.
_LAZY_NAMES = {
    "ConvergenceWarning": "._first_order",
    "GradientCheck": "._check_grad",
    "check_grad": "._check_grad",
    "constrained_least_squares": ".constraints",
    "get_num_threads": "._threads",
    "set_num_threads": "._threads",
    "methods": "._minimize",
    "minimize": "._minimize",
    "History": "._result",
    "Result": "._result",
    "LeastSquares": ".objectives",
    "LinearLoss": ".objectives",
    "Logistic": ".objectives",
    "Objective": ".objectives",
    "Quadratic": ".objectives",
    "Softmax": ".objectives",
    "MLP": "._mlp",
    "show_config": "._config",
}

# The public submodules, each imported on first use (linear_model and neural_network need
# scikit-learn, dask needs dask and distributed, plot needs matplotlib when it draws).
_LAZY_MODULES = ("analysis", "constraints", "dask", "demo", "init", "linear_model",
                 "neural_network", "optimizers", "plot", "problems", "reference", "schedules")

if _typing.TYPE_CHECKING:  # what static type checkers see: the same names, imported eagerly
    import numpy as np
    from numpy.typing import NDArray

    from . import (analysis, constraints, dask, demo, init, linear_model, neural_network,
                   optimizers, plot, problems, reference, schedules)
    from ._check_grad import GradientCheck, check_grad
    from ._config import show_config
    from ._first_order import ConvergenceWarning
    from ._minimize import methods, minimize
    from ._mlp import MLP
    from ._result import History, Result
    from ._threads import get_num_threads, set_num_threads
    from .constraints import constrained_least_squares
    from .objectives import LeastSquares, LinearLoss, Logistic, Objective, Quadratic, Softmax

# threadpoolctl's threadpool_limits limits descend too, without descend importing threadpoolctl.
_threads.install()


def _register_methods(_minimize: _typing.Any = None) -> None:
    # minimize's methods register themselves when their modules are imported; they are imported
    # with the registry, whoever imports it first (descend.minimize, neural_network, demo, ...).
    from . import _first_order, _second_order  # noqa: F401


_on_import(__name__ + "._minimize", _register_methods)


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


def __getattr__(name: str) -> _typing.Any:
    """Load a public name or submodule on first use, then keep it in the module (PEP 562)."""
    if name in _LAZY_NAMES:
        value = getattr(_importlib.import_module(_LAZY_NAMES[name], __name__), name)
    elif name in _LAZY_MODULES:
        value = _importlib.import_module("." + name, __name__)
    elif name.startswith("_") and not name.startswith("__") and name.isidentifier():
        try:  # a private submodule (descend._config, ...), as eager imports once made them
            value = _importlib.import_module("." + name, __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'descend' has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Return the module's names, those not loaded yet included."""
    return sorted(set(globals()) | set(_LAZY_NAMES) | set(_LAZY_MODULES))


__all__ = [
    "ConvergenceWarning",
    "GradientCheck",
    "History",
    "LeastSquares",
    "LinearLoss",
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
    "get_num_threads",
    "set_num_threads",
]
