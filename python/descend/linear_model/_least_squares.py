"""Least squares: LinearRegression and Ridge (full-batch solvers, or the minimum-norm direct
solve for an underdetermined problem)."""

from __future__ import annotations

import numpy as np

from ..objectives import LeastSquares
from .._validation import check_real
from ._base import (
    RegressorMixin,
    _coefficients,
    _DescendLinearModel,
    _sample_weights,
    check_is_fitted,
    validate_data,
)


class _LeastSquaresRegressor(RegressorMixin, _DescendLinearModel):
    _newton_max_params = 2000  # one Newton step solves least squares exactly

    def _alpha(self):
        return 0.0

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data (float64 or float32 is used without a copy).
        y : array_like, shape (n_samples,)
            Targets (copied once, divided by their largest magnitude: the solution is linear
            in ``y``, so this changes nothing but keeps every scale of ``y`` in range).
        sample_weight : array_like, shape (n_samples,), optional
            Non-negative weights, not all zero.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a bad parameter, bad data, or weights that are negative or all zero.
        RuntimeError
            If the solver diverged.
        """
        self._check_common_params()
        alpha = self._alpha()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True,
                             order="C")
        sw, top = _sample_weights(sample_weight, X)
        fit_intercept = bool(self.fit_intercept)
        scale = float(np.max(np.abs(y)))
        scale = scale if scale > 0 else 1.0
        y = np.asarray(y, dtype=np.float64) / scale
        n_rows = X.shape[0] if sw is None else int(np.count_nonzero(sw))
        d = X.shape[1]
        auto = isinstance(self.solver, str) and self.solver == "auto"
        if auto and alpha == 0.0 and n_rows <= d:
            # Underdetermined: many minimisers; return the one of least norm, exactly.
            coef, intercept = _min_norm_least_squares(X, y, sw, fit_intercept)
            self.solver_, self.n_iter_ = "min-norm", 1
        else:
            # Ridge's sum of squares + alpha ||w||^2 is 2 S times the weighted mean objective
            # with l2 = alpha / S, S the sum of the weights (S = top * sum of the scaled ones).
            total = X.shape[0] if sw is None else float(sw.sum())
            objective = LeastSquares(X, y, l2=alpha / total / top,
                                     fit_intercept=fit_intercept, sample_weight=sw)
            coef, intercept = _coefficients(objective, self._minimize(objective).x,
                                            fit_intercept)
            coef, intercept = coef[0], float(intercept[0])
        self.coef_ = coef * scale
        self.intercept_ = intercept * scale
        return self

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return X @ self.coef_ + self.intercept_


def _min_norm_least_squares(X, y, sw, fit_intercept):
    """Return the least-squares solution of least norm (that of ``numpy.linalg.lstsq``).

    With an intercept, the weighted means are removed first (the intercept is not part of
    the norm, as in scikit-learn). The rows, scaled by the square roots of their weights,
    form ``Z``; the solution is ``pinv(Z) t``, computed from the singular value decomposition
    of ``Z`` (n_samples <= n_features here, so this costs O(n_samples^2 n_features)); the
    singular values below ``max(Z.shape) * eps * s_max`` are treated as zero, as lstsq does.
    ``Z`` is one float64 copy of the rows with a positive weight.
    """
    if sw is not None:
        keep = sw > 0
        X, y, root = X[keep], y[keep], np.sqrt(sw[keep])
    else:
        root = np.ones(X.shape[0])
    X = np.asarray(X, dtype=np.float64)
    s2 = root * root
    x_mean = s2 @ X / s2.sum() if fit_intercept else np.zeros(X.shape[1])
    y_mean = float(s2 @ y / s2.sum()) if fit_intercept else 0.0
    Z = root[:, None] * (X - x_mean)
    t = root * (y - y_mean)
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)
    keep = s > max(Z.shape) * np.finfo(np.float64).eps * (s[0] if len(s) else 0.0)
    coef = Vt[keep].T @ ((U[:, keep].T @ t) / s[keep])
    return coef, (y_mean - float(x_mean @ coef)) if fit_intercept else 0.0


class LinearRegression(_LeastSquaresRegressor):
    """Ordinary least squares, fitted by a descend solver.

    Minimises ``sum_i s_i (x_i.w + b - y_i)^2`` (the same solution as
    ``sklearn.linear_model.LinearRegression``). When the problem is underdetermined
    (no more rows with a positive weight than features) it has many minimisers, and
    ``solver="auto"`` returns the one of least norm ``||w||``, as ``numpy.linalg.lstsq`` and
    scikit-learn do, by a direct solve (a singular value decomposition of the centred,
    weighted rows). Explicit solvers return the minimiser they reach.

    Parameters
    ----------
    fit_intercept : bool, default True
        Fit the intercept ``b``.
    solver : str, default "auto"
        A method of :func:`descend.minimize`, or "auto": the minimum-norm direct solve for an
        underdetermined problem, otherwise Newton's method (one Cholesky solve for least
        squares) up to 2000 parameters and L-BFGS beyond (no dense Hessian).
    tol : float, default 1e-10
        Stop when the gradient norm of the mean loss is at most ``tol`` times its value at
        the start (a relative test: it does not depend on the scale of ``X`` or ``y``). For
        float32 data it is at least ``10 * finfo(float32).eps`` (about 1.2e-6), what float32
        arithmetic can resolve.
    max_iter : int, default 1000
        Iteration limit of the solver.
    verbose : bool, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_ : int
    solver_ : str
        The method that fitted the model (what "auto" chose; "min-norm" for the direct
        solve).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> LinearRegression().fit(X, [1.0, 3.0, 5.0]).coef_.round(8).tolist()
    [2.0]
    """

    def __init__(self, *, fit_intercept=True, solver="auto", tol=1e-10, max_iter=1000,
                 verbose=False):
        self.verbose = verbose
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter


class Ridge(_LeastSquaresRegressor):
    """Least squares with an L2 penalty, as ``sklearn.linear_model.Ridge``.

    Minimises ``sum_i s_i (x_i.w + b - y_i)^2 + alpha ||w||^2``; descend's objective is that
    divided by ``2 S`` (S the sum of weights), i.e. ``LeastSquares(l2=alpha / S)``.

    Parameters
    ----------
    alpha : float, default 1.0
        Penalty strength, >= 0.
    fit_intercept : bool, default True
        Fit an unpenalised intercept.
    solver : str, default "auto"
        A method of :func:`descend.minimize`, or "auto": Newton's method up to 2000
        parameters (one Cholesky solve), L-BFGS beyond; with ``alpha=0``, as
        :class:`LinearRegression`, the minimum-norm direct solve for an underdetermined
        problem.
    tol : float, default 1e-10
        Stop when the gradient norm is at most ``tol`` times its value at the start (at
        least about 1.2e-6 for float32 data).
    max_iter : int, default 1000
        Iteration limit of the solver.
    verbose : bool, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_ : int
    solver_ : str
        The method that fitted the model (what "auto" chose).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import Ridge
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> Ridge(alpha=1.0).fit(X, [1.0, 3.0, 5.0]).coef_.round(6).tolist()
    [1.333333]
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, solver="auto", tol=1e-10,
                 max_iter=1000, verbose=False):
        self.verbose = verbose
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter

    def _alpha(self):
        return check_real(self.alpha, "alpha", low=0.0)
