"""descend on Dask: fit on row-chunked dask arrays with the compiled kernels per chunk.

Needs the ``dask`` extra (``pip install 'descend[dask]'``: dask[array] and distributed).
``import descend`` never imports dask; ``import descend.dask`` does.

The objectives :class:`LeastSquares`, :class:`Logistic`, :class:`Softmax` and
:class:`LinearLoss` (scikit-learn's SGD losses) take a dask array
X chunked by rows (columns in one block) and are evaluated chunk by chunk: each chunk's
unnormalised sums come from the compiled kernel (on a distributed cluster in one task per
worker over the chunks it holds; on the threaded scheduler one task per chunk and a tree of
sums), and only the penalty, the division by the total weight, the addition of the chunks'
sums in their order and the solver's own O(p^2) work (the direction, the Cholesky solve,
the L-BFGS two-loop) run on the driver.
:func:`descend.minimize` runs every deterministic method on them. :func:`minibatch` runs the
first-order rules on mini-batches where the chunks live, and the estimators of
:mod:`descend.linear_model` accept dask arrays.

Examples
--------
>>> import numpy as np, dask.array as da, descend, descend.dask
>>> rng = np.random.default_rng(0)
>>> X = da.from_array(rng.normal(size=(2000, 4)), chunks=(500, 4))
>>> y = (X[:, 0] - X[:, 1] > 0).astype(float)
>>> f = descend.dask.Logistic(X, y, l2=1e-2, fit_intercept=True, scheduler="sync")
>>> descend.minimize(f, np.zeros(f.n_params), method="newton").status
'converged'
"""

try:
    import dask  # noqa: F401
    import dask.array  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without dask
    raise ImportError(
        "descend.dask needs dask: pip install 'descend[dask]' (dask[array] and distributed)"
    ) from exc

from ._minibatch import epoch_batches, minibatch, replay, row_seed, steps_per_epoch
from ._objectives import (DaskObjective, LeastSquares, LinearLoss, Logistic, SchedulerError,
                          Softmax)

__all__ = ["DaskObjective", "LeastSquares", "LinearLoss", "Logistic", "SchedulerError",
           "Softmax", "epoch_batches", "minibatch", "replay", "row_seed", "steps_per_epoch"]
