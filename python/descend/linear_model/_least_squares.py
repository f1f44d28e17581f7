"""Least squares: LinearRegression and Ridge (full-batch solvers, or the minimum-norm solution
of an underdetermined problem: a direct solve on dense X, LSQR on sparse X)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..objectives import LeastSquares
from .._validation import check_bool, check_real
from ._base import (
    ConvergenceWarning,
    RegressorMixin,
    _check_X,
    _check_Xy,
    _SCORE_DOC,
    _coefficients,
    _dask_adapter,
    _DescendLinearModel,
    _check_n_jobs,
    _score,
    _sample_weights,
    check_is_fitted,
    check_random_state,
    is_sparse,
)


class _LeastSquaresRegressor(RegressorMixin, _DescendLinearModel):
    _newton_max_params = 2000  # one Newton step solves least squares exactly

    def _check_common_params(self):
        super()._check_common_params()
        check_bool(self.copy_X, "copy_X")
        check_bool(self.positive, "positive")
        _check_n_jobs(getattr(self, "n_jobs", None))
        if self.positive:
            raise ValueError(f"{type(self).__name__}(positive=True) is not supported: descend "
                             "has no non-negative least-squares solver here; use "
                             "descend.constrained_least_squares or minimize(..., "
                             "constraint=descend.constraints.NonNegative())")

    def _alpha(self):
        return 0.0

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # a 2-D y: one fit per column
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            Training data. float64 or float32 is used without a copy: a C-ordered array, or
            a CSR matrix or array (its data, indices and indptr are borrowed). Other sparse
            formats are converted to CSR once (a copy of the stored entries); X is never
            densified.
        y : array_like, shape (n_samples,) or (n_samples, n_targets)
            Targets (copied once, divided by their largest magnitude: the solution is linear
            in ``y``, so this changes nothing but keeps every scale of ``y`` in range). A 2-D
            ``y`` fits one model per column, on the same X, as scikit-learn's multi-output
            regression does (one solve per column: k columns cost k fits).
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
        if (dask := _dask_adapter(X, y)) is not None:  # fit on the cluster
            return dask.fit(self, X, y, sample_weight)
        self._check_common_params()
        X, y = _check_Xy(self, X, y, reset=True, y_numeric=True, multi_output=True)
        alphas = self._alphas(1 if y.ndim == 1 else y.shape[1])
        sw, top = _sample_weights(sample_weight, X)
        if y.ndim == 1:
            self.coef_, self.intercept_, self.solver_, self.n_iter_ = \
                self._fit_target(X, y, sw, top, alphas[0])
            return self
        # Several targets (scikit-learn's multi-output y): one fit per column, on the same X.
        fits = [self._fit_target(X, y[:, j], sw, top, alphas[j]) for j in range(y.shape[1])]
        self.coef_ = np.array([fit[0] for fit in fits]).reshape(y.shape[1], X.shape[1])
        self.intercept_ = (np.array([fit[1] for fit in fits]) if self.fit_intercept else 0.0)
        self.solver_ = fits[0][2]  # chosen from X and the weights alone: the same for all
        n_iter: Any = np.array([fit[3] for fit in fits])  # one per target, as scikit-learn's
        self.n_iter_ = n_iter
        return self

    def _alphas(self, n_targets):
        """The penalty of each target: ``_alpha()`` for every one (Ridge takes one each)."""
        return [self._alpha()] * n_targets

    def _fit_target(self, X, y, sw, top, alpha):
        """Fit one target column: ``(coef, intercept, solver_, n_iter_)``."""
        fit_intercept = bool(self.fit_intercept)
        scale = float(np.max(np.abs(y))) if len(y) else 0.0
        scale = scale if scale > 0 else 1.0
        y = np.asarray(y, dtype=np.float64) / scale
        n_rows = X.shape[0] if sw is None else int(np.count_nonzero(sw))
        d = X.shape[1]
        auto = isinstance(self.solver, str) and self.solver == "auto"
        if auto and alpha == 0.0 and n_rows <= d and is_sparse(X):
            # Underdetermined and sparse: the least-norm minimiser by LSQR (no densification).
            coef, intercept, n_iter = self._min_norm_lsqr(X, y, sw, fit_intercept)
            solver = "lsqr"
        elif auto and alpha == 0.0 and n_rows <= d:
            # Underdetermined: many minimisers; return the one of least norm, exactly.
            coef, intercept = _min_norm_least_squares(X, y, sw, fit_intercept)
            solver, n_iter = "min-norm", 1
        else:
            # Ridge's sum of squares + alpha ||w||^2 is 2 S times the weighted mean objective
            # with l2 = alpha / S, S the sum of the weights (S = top * sum of the scaled ones).
            total = X.shape[0] if sw is None else float(sw.sum())
            objective = LeastSquares(X, y, l2=alpha / total / top,
                                     fit_intercept=fit_intercept, sample_weight=sw)
            result = self._minimize(objective)
            solver, n_iter = self.solver_, self.n_iter_
            coef, intercept = _coefficients(objective, result.x, fit_intercept)
            coef, intercept = coef[0], float(intercept[0])
            if auto and alpha == 0.0 and d <= self._newton_max_params:
                # Collinear columns (one-hot columns beside an intercept, a constant or a
                # repeated column) leave many minimisers: return scikit-learn's.
                coef, intercept = _least_norm_minimiser(objective, result.x, coef, intercept,
                                                        fit_intercept)
        return coef * scale, intercept * scale, solver, n_iter

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            Dense, or sparse in any format (CSR used as it is, others converted once).

        Returns
        -------
        ndarray, shape (n_samples,), or (n_samples, n_targets) after a fit on a 2-D y
        """
        if (dask := _dask_adapter(X)) is not None:  # a dask X: lazy predictions
            return dask.predict_linear(self, X)
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        return X @ self.coef_.T + self.intercept_  # (n,) or, for a 2-D y, (n, n_targets)

    def score(self, X, y, sample_weight=None):
        return _score(self, RegressorMixin, X, y, sample_weight)

    score.__doc__ = _SCORE_DOC.format(what="coefficient of determination R^2")

    def _min_norm_lsqr(self, X, y, sw, fit_intercept):
        """The least-norm least-squares solution for a sparse X, by scipy's LSQR.

        The sparse counterpart of :func:`_min_norm_least_squares` (as scikit-learn's
        LinearRegression does on sparse data): LSQR started from zero stays in the row space
        of the operator, so it converges to the solution of least norm. The centring for the
        intercept and the square roots of the weights are applied inside a
        ``scipy.sparse.linalg.LinearOperator`` (``x -> r * (X x - m.x)`` and its
        transpose), so X is neither centred nor copied: each iteration costs two passes over
        its non-zeros. LSQR stops at the relative tolerance ``tol`` (its ``atol`` and
        ``btol``), when its estimate of the condition number exceeds
        ``1 / (max(X.shape) eps)`` (its ``conlim``: the cutoff on singular values of the
        dense solve), or after ``max_iter`` iterations (with a ConvergenceWarning). Returns
        ``(coef, intercept, iterations)``.
        """
        from scipy.sparse.linalg import LinearOperator, lsqr

        root = np.ones(X.shape[0]) if sw is None else np.sqrt(sw)
        s2 = root * root
        mean = (X.T @ s2) / s2.sum() if fit_intercept else np.zeros(X.shape[1])
        y_mean = float(s2 @ y / s2.sum()) if fit_intercept else 0.0

        def matvec(v):
            v = np.ravel(v)
            return root * (X @ v - mean @ v)

        def rmatvec(u):
            u = root * np.ravel(u)
            return X.T @ u - mean * u.sum()

        operator = LinearOperator(X.shape, matvec=matvec, rmatvec=rmatvec, dtype=np.float64)
        tol = max(float(self._tol), float(np.finfo(np.float64).eps))
        conlim = 1.0 / (max(X.shape) * np.finfo(np.float64).eps)
        result = lsqr(operator, root * (y - y_mean), atol=tol, btol=tol, conlim=conlim,
                      iter_lim=self._max_iter)
        coef, stop, n_iter = np.asarray(result[0], dtype=np.float64), result[1], result[2]
        if int(stop) == 7:
            warnings.warn(
                f"{type(self).__name__}(solver={self.solver!r}) did not converge: LSQR (the "
                f"minimum-norm solve for sparse X) stopped after max_iter={self.max_iter!r} "
                f"iterations above tol={self.tol!r}; increase max_iter or tol, or scale the "
                f"data", ConvergenceWarning, stacklevel=3)
        intercept = (y_mean - float(mean @ coef)) if fit_intercept else 0.0
        return coef, intercept, max(int(n_iter), 1)


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


def _least_norm_minimiser(objective, x, coef, intercept, fit_intercept):
    """Among the least-squares minimisers, return the one of least ``||coef||``.

    A minimiser ``(coef, intercept)`` of a rank-deficient problem can move along the null
    space of the centred, weighted columns (``G v = 0``, ``G`` their weighted covariance;
    without an intercept, their weighted second moments) with the intercept compensating,
    and stay a minimiser. scikit-learn returns the one of least ``||coef||`` (numpy's
    lstsq on centred data): ``coef`` minus its projection onto that null space. ``G`` comes
    from the objective's Hessian at ``x`` (one pass of descend's threads over X, no copy:
    not numpy's BLAS, whose threads spin for 100x longer on a busy machine), the Schur
    complement of its intercept entry; its eigenvalues at or below ``10 d eps`` times the
    largest count as zero, which holds for exactly collinear columns (rounding leaves them
    near ``eps`` times the largest) and not for full-rank columns short of a condition
    number about ``1e6``.
    """
    H = np.asarray(objective.hessian(x), dtype=np.float64)  # [[A, a], [a', c]]: c = 1
    d = H.shape[0] - (1 if fit_intercept else 0)
    if fit_intercept:
        corner, column = float(H[-1, -1]), H[:-1, -1]
        mean = column / corner
        gram = H[:-1, :-1] - np.outer(column, column) / corner
    else:
        gram = H
    values, vectors = np.linalg.eigh(gram)
    largest = float(values[-1]) if d else 0.0
    null = values <= 10.0 * d * np.finfo(np.float64).eps * largest
    if largest <= 0.0:
        null[:] = True  # every column constant (or zero): the intercept alone fits
    if not null.any():
        return coef, intercept
    basis = vectors[:, null]
    least = coef - basis @ (basis.T @ coef)
    if fit_intercept:
        intercept += float(mean @ (coef - least))
    return least, intercept


class LinearRegression(_LeastSquaresRegressor):
    """Ordinary least squares, fitted by a descend solver.

    Minimises ``sum_i s_i (x_i.w + b - y_i)^2`` (the same solution as
    ``sklearn.linear_model.LinearRegression``). When the problem is underdetermined
    (no more rows with a positive weight than features) it has many minimisers, and
    ``solver="auto"`` returns the one of least norm ``||w||``, as ``numpy.linalg.lstsq`` and
    scikit-learn do, by a direct solve (a singular value decomposition of the centred,
    weighted rows); for a sparse X by LSQR on the implicitly centred rows (X is not
    densified, centred or copied; ``tol`` and ``max_iter`` are LSQR's). A rank-deficient
    problem with more rows than features (collinear columns: one-hot columns beside the
    intercept, a constant or a repeated column) has many minimisers too, with the same
    predictions; ``solver="auto"`` then returns scikit-learn's, the one of least ``||w||``
    (Newton's solution minus its part in the null space of the centred columns, found from
    their d x d covariance). Explicit solvers return the minimiser they reach.

    X may be a scipy.sparse matrix or array in any format, in ``fit``, ``predict`` and
    ``score``: CSR of float64 or float32 is borrowed, other formats are converted to CSR once.
    The intercept is fitted as a parameter of the objective (never by centring X).

    Parameters
    ----------
    fit_intercept : bool, default True
        Fit the intercept ``b``.
    copy_X : bool, default True
        scikit-learn's: whether X may be overwritten. descend never writes to X (it is
        borrowed, not centred), so both values give the same fit and leave X as it was.
    n_jobs : int or None, default None
        scikit-learn's hint on parallelism; accepted and not needed (the compiled solvers
        choose their own threads).
    positive : bool, default False
        True (non-negative coefficients) is refused with a ValueError at fit.
    solver : str, default "auto"
        A method of :func:`descend.minimize`, or "auto": the minimum-norm solution for an
        underdetermined problem (a direct solve, or LSQR for sparse X), otherwise Newton's
        method (one Cholesky solve for least squares; for sparse X its dense Hessian is
        accumulated from the sparse rows) up to 2000 parameters, beyond that L-BFGS on dense
        X and Newton-CG (conjugate gradients on Hessian-vector products) on sparse X: no
        dense p x p Hessian.
    tol : float, default 1e-10
        Stop when the gradient norm of the mean loss is at most ``tol`` times its value at
        the start (a relative test: it does not depend on the scale of ``X`` or ``y``). For
        float32 data it is at least ``100 * finfo(float32).eps`` (about 1.2e-5), what float32
        arithmetic can resolve. For LSQR (the minimum-norm solve on sparse X) its ``atol``
        and ``btol``.
    max_iter : int, default 1000
        Iteration limit of the solver (LSQR's too).
    verbose : bool, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,), or (n_targets, n_features) for a 2-D y
    intercept_ : float, or ndarray of shape (n_targets,) for a 2-D y (0.0 without intercept)
    n_iter_ : int, or ndarray of shape (n_targets,) for a 2-D y
    n_features_in_ : int
    solver_ : str
        The method that fitted the model (what "auto" chose; "min-norm" for the direct
        solve, "lsqr" for the minimum-norm solve on sparse X).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> LinearRegression().fit(X, [1.0, 3.0, 5.0]).coef_.round(8).tolist()
    [2.0]
    """

    def __init__(self, *, fit_intercept=True, copy_X=True, tol=1e-10, n_jobs=None,
                 positive=False, solver="auto", max_iter=1000, verbose=False):
        self.copy_X = copy_X
        self.n_jobs = n_jobs
        self.positive = positive
        self.verbose = verbose
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter


class Ridge(_LeastSquaresRegressor):
    """Least squares with an L2 penalty, as ``sklearn.linear_model.Ridge``.

    Minimises ``sum_i s_i (x_i.w + b - y_i)^2 + alpha ||w||^2``; descend's objective is that
    divided by ``2 S`` (S the sum of weights), i.e. ``LeastSquares(l2=alpha / S)``.

    X may be a scipy.sparse matrix or array in any format, in ``fit``, ``predict`` and
    ``score``: CSR of float64 or float32 is borrowed, other formats are converted to CSR once;
    X is never densified, and the intercept is fitted as a parameter (X is not centred).

    Parameters
    ----------
    alpha : float or array_like of shape (n_targets,), default 1.0
        Penalty strength, >= 0; for a 2-D y, one per target or one for all.
    fit_intercept : bool, default True
        Fit an unpenalised intercept.
    copy_X : bool, default True
        scikit-learn's: whether X may be overwritten. descend never writes to X, so both
        values give the same fit.
    positive : bool, default False
        True (non-negative coefficients) is refused with a ValueError at fit.
    random_state : int, RandomState or None, default None
        scikit-learn uses it only to shuffle in its "sag" and "saga" solvers; descend's
        solvers for those names are deterministic, so it does not change the fit.
    solver : str, default "auto"
        scikit-learn's names are accepted, each run by the descend method doing its job
        (every one reaches the same minimiser): "cholesky" and "svd" by "newton" (an exact
        Cholesky solve of the normal equations, one Newton step); "lsqr" and "sparse_cg" by
        "newton-cg" (conjugate gradients on Hessian-vector products, no p x p matrix, as
        LSQR's and sparse_cg's iterations are); "sag", "saga" and "lbfgs" by "lbfgs" (a
        gradient-only solver for large problems). Or a method of :func:`descend.minimize`, or "auto": Newton's method up to 2000
        parameters (one Cholesky solve; for sparse X the dense Hessian is accumulated from
        the sparse rows), beyond that L-BFGS on dense X and Newton-CG on sparse X (no dense
        p x p Hessian); with ``alpha=0``, as
        :class:`LinearRegression`, the minimum-norm solution for an underdetermined problem
        (a direct solve, LSQR for sparse X).
    tol : float, default 1e-10
        Stop when the gradient norm is at most ``tol`` times its value at the start (at
        least about 1.2e-5 for float32 data).
    max_iter : int, default 1000
        Iteration limit of the solver.
    verbose : bool, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,), or (n_targets, n_features) for a 2-D y
    intercept_ : float, or ndarray of shape (n_targets,) for a 2-D y (0.0 without intercept)
    n_iter_ : int, or ndarray of shape (n_targets,) for a 2-D y
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

    _SKLEARN_SOLVERS = {"cholesky": "newton", "svd": "newton", "lsqr": "newton-cg",
                        "sparse_cg": "newton-cg", "sag": "lbfgs", "saga": "lbfgs",
                        "lbfgs": "lbfgs"}

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None,
                 tol=1e-10, solver="auto", positive=False, random_state=None, verbose=False):
        self.copy_X = copy_X
        self.positive = positive
        self.random_state = random_state
        self.verbose = verbose
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter

    def _alpha(self):
        return check_real(self.alpha, "alpha", low=0.0)

    def _alphas(self, n_targets):
        """One penalty per target: ``alpha`` for all, or scikit-learn's array of them."""
        if np.ndim(self.alpha) == 0:
            return [self._alpha()] * n_targets
        alphas = np.asarray(self.alpha).ravel()
        if len(alphas) != n_targets:
            raise ValueError(f"Number of targets and number of penalties do not correspond: "
                             f"{n_targets} != {len(alphas)}")
        return [check_real(a, "alpha", low=0.0) for a in alphas.tolist()]

    def _check_common_params(self):
        check_random_state(self.random_state)
        super()._check_common_params()
