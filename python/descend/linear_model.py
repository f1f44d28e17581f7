"""scikit-learn estimators backed by descend's solvers.

``LinearRegression``, ``Ridge`` and ``LogisticRegression`` follow scikit-learn's conventions
(parameters, fitted attributes with trailing underscores, shapes of ``coef_`` and
``intercept_``) and pass ``sklearn.utils.estimator_checks.check_estimator``. scikit-learn is
an optional dependency: ``pip install descend[sklearn]``; importing this module needs it.

Each estimator builds a descend objective on the validated data (borrowed, not copied) and
minimises it with :func:`descend.minimize`; ``solver`` picks the method. "auto" chooses by
the size of the Hessian: Newton's method while the dense Hessian is small, L-BFGS beyond;
an underdetermined least-squares problem gets its minimum-norm solution by a direct solve.
``tol`` is relative (the gradient norm at the end over that at the start), so fits do not
depend on the scale of the data or the weights. A fit that did not meet ``tol`` warns once,
with a ``sklearn.exceptions.ConvergenceWarning`` in the estimator's own terms; one that
diverged raises ``RuntimeError``. Parameters are checked at ``fit`` and refused with a
``TypeError`` or ``ValueError`` naming the parameter.
"""

from __future__ import annotations

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "descend.linear_model needs scikit-learn >= 1.6: pip install 'descend[sklearn]'"
    ) from exc

import contextlib
import numbers
import warnings

from . import _core
from . import schedules as _schedules
from ._first_order import ConvergenceWarning as _DescendConvergenceWarning
from ._first_order import _stepper as _make_stepper
from ._minimize import _METHODS, minimize
from ._validation import check_bool, check_int, check_real
from .objectives import LeastSquares, Logistic, Softmax

__all__ = ["LinearRegression", "Ridge", "LogisticRegression", "SGDRegressor", "SGDClassifier"]

#: The least relative tolerance for float32 data: ten times its rounding error.
_FLOAT32_TOL = 10 * float(np.finfo(np.float32).eps)


def _sample_weights(sample_weight, X):
    """Return the validated weights divided by their maximum, and that maximum.

    The objectives are weighted *means*, which do not change when every weight is divided by
    the same number; dividing by the largest keeps extreme but finite weights (1e307) from
    overflowing the sums. Returns ``(None, 1.0)`` without weights.
    """
    if sample_weight is None:
        return None, 1.0
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    top = float(sw.max())
    if not top > 0:
        raise ValueError("sample_weight must have a positive sum: all the weights are zero")
    return sw / top, top


def _choice(value, name, choices):
    if not any(value is c or (isinstance(value, str) and value == c) for c in choices):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")
    return value


class _DescendLinearModel(BaseEstimator):
    """What the full-batch estimators share: solver choice, the call to minimize, warnings.

    ``_newton_max_params`` is the largest parameter count for which "auto" picks Newton's
    method (its dense Hessian has that many squared entries, and each iteration a Cholesky
    factorisation of it); larger problems go to L-BFGS.
    """

    _newton_max_params = 1000

    def _solver(self, n_params):
        if isinstance(self.solver, str) and self.solver == "auto":
            order = (("newton", "lbfgs") if n_params <= self._newton_max_params
                     else ("lbfgs", "newton"))
            for name in order + ("bfgs", "gd"):
                if name in _METHODS:
                    return name
        if not isinstance(self.solver, str) or self.solver.lower() not in _METHODS:
            raise ValueError(f"solver must be 'auto' or one of {sorted(_METHODS)}, "
                             f"got {self.solver!r}")
        return self.solver.lower()

    def _minimize(self, objective):
        """Minimise `objective` from zero; warn (once) when the user's tol was not met."""
        solver = self._solver(objective.n_params)
        accepted = _METHODS[solver].options
        options = {}
        # Relative to the gradient norm at the start; float32 data cannot resolve gradients
        # much below its rounding error, so there tol is at least _FLOAT32_TOL.
        tol = self._tol
        if objective.X.dtype == np.float32:
            tol = max(tol, _FLOAT32_TOL)
        if "gtol" in accepted:
            options["gtol"] = tol
        if "max_iter" in accepted:
            options["max_iter"] = int(self.max_iter)
        x0 = np.zeros(objective.n_params)
        with warnings.catch_warnings():
            # The estimator reports on the run itself, once, in its own terms.
            warnings.simplefilter("ignore", _DescendConvergenceWarning)
            result = minimize(objective, x0, method=solver,
                              verbose=bool(self.verbose), **options)
        name = f"{type(self).__name__}(solver={self.solver!r})"
        if result.status == "diverged":
            raise RuntimeError(f"{name} diverged: the loss or its gradient became non-finite "
                               f"or kept rising (method {solver!r}, status 'diverged')")
        if not result.success:
            start = float(result.history.grad_norm[0]) if len(result.history) else np.nan
            start = start if start > 0 else np.nan
            warnings.warn(
                f"{name} did not converge: method {solver!r} stopped with status "
                f"{result.status!r} after {int(result.nit)} iterations, its gradient norm "
                f"{result.grad_norm:.3g} still {result.grad_norm / start:.3g} times its "
                f"starting value, above tol={tol!r}; increase max_iter "
                f"(now {self.max_iter!r}) or tol, or scale the data",
                ConvergenceWarning, stacklevel=3)
        self.solver_ = solver
        self.n_iter_ = max(int(result.nit), 1)
        return result

    def _check_common_params(self):
        self._tol = check_real(self.tol, "tol", low=0.0)
        check_int(self.max_iter, "max_iter", low=1)
        check_bool(self.fit_intercept, "fit_intercept")
        check_bool(self.verbose, "verbose")


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
            x = self._minimize(objective).x
            coef, intercept = x[:d], (float(x[d]) if fit_intercept else 0.0)
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


class _LinearClassifier:
    """Prediction for the linear classifiers, from ``coef_``, ``intercept_``, ``classes_``."""

    def decision_function(self, X):
        """Scores ``X @ coef_.T + intercept_`` (shape (n_samples,) for two classes).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), in the order of ``classes_``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = 0.5 * (1.0 + np.tanh(0.5 * scores))  # a sigmoid that cannot overflow
            return np.column_stack([1.0 - p, p])
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithms of :meth:`predict_proba`.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict the most probable class of each row.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]


class LogisticRegression(ClassifierMixin, _LinearClassifier, _DescendLinearModel):
    """Logistic regression (binary, or multinomial for more than two classes).

    Minimises ``C sum_i s_i logloss_i + ||w||^2 / 2`` as ``sklearn.linear_model.
    LogisticRegression`` does; descend's objective is that divided by ``C S``, i.e.
    ``Logistic(l2=1 / (C S))`` (or ``Softmax`` for K > 2 classes).

    Parameters
    ----------
    penalty : {"l2", None}, default "l2"
        The penalty on the weights (never on the intercept).
    C : float, default 1.0
        Inverse penalty strength, > 0.
    fit_intercept : bool, default True
        Fit the intercept(s).
    solver : str, default "auto"
        A method of :func:`descend.minimize`, or "auto", which chooses by the size of the
        Hessian: Newton's method (a dense Hessian and a Cholesky solve per iteration) when
        the model has at most 1000 parameters (``K (n_features + 1)`` for K > 2 classes,
        ``n_features + 1`` for two, without the ``+ 1`` when ``fit_intercept=False``),
        L-BFGS (gradients only) beyond.
    tol : float, default 1e-8
        Stop when the gradient norm is at most ``tol`` times its value at the start (at
        least about 1.2e-6 for float32 data).
    max_iter : int, default 1000
        Iteration limit of the solver.
    verbose : bool, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    coef_ : ndarray, shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray, shape (1,) or (n_classes,)
    n_iter_ : ndarray, shape (1,)
    n_features_in_ : int
    solver_ : str
        The method that fitted the model (what "auto" chose).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import LogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> LogisticRegression().fit(X, ["no", "no", "yes", "yes"]).predict([[3.0]]).tolist()
    ['yes']
    """

    def __init__(self, penalty="l2", *, C=1.0, fit_intercept=True, solver="auto", tol=1e-8,
                 max_iter=1000, verbose=False):
        self.verbose = verbose
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data.
        y : array_like, shape (n_samples,)
            Class labels (any hashable values; at least two classes).
        sample_weight : array_like, shape (n_samples,), optional
            Non-negative weights, not all zero.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a bad parameter, fewer than two classes, or weights that are negative or all
            zero.
        RuntimeError
            If the solver diverged.
        """
        self._check_common_params()
        _choice(self.penalty, "penalty", ("l2", None))
        C = check_real(self.C, "C", low=0.0, low_open=True)
        if self.penalty is not None and not np.isfinite(1.0 / C):
            raise ValueError(f"C is too small: the penalty strength 1 / C overflows, got {C}")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("This solver needs samples of at least 2 classes in the data, "
                             f"but the data contains only one class: {self.classes_[0]!r}")
        sw, top = _sample_weights(sample_weight, X)
        total = float(X.shape[0] if sw is None else sw.sum())
        # C sum_i s_i loss_i + ||w||^2 / 2 is C S times the weighted mean loss + l2 ||w||^2 / 2
        # with l2 = 1 / (C S), S the sum of the weights (top times that of the scaled ones).
        l2 = 0.0 if self.penalty is None else 1.0 / C / total / top
        fit_intercept = bool(self.fit_intercept)
        d = X.shape[1]
        if len(self.classes_) == 2:
            objective = Logistic(X, encoded, l2=l2, fit_intercept=fit_intercept,
                                 sample_weight=sw)
            x = self._minimize(objective).x
            self.coef_ = x[None, :d].copy()
            self.intercept_ = np.array([x[d] if fit_intercept else 0.0])
        else:
            objective = Softmax(X, encoded, l2=l2, fit_intercept=fit_intercept,
                                sample_weight=sw, n_classes=len(self.classes_))
            W = objective.coef_matrix(self._minimize(objective).x)
            # Softmax probabilities do not change when the same vector is added to every
            # class's parameters; the unpenalised intercepts (and, without a penalty, the
            # weights) are fixed only up to that shift. Report the representative whose
            # columns sum to zero over the classes, as scikit-learn does.
            W = W - W.mean(axis=0)
            self.coef_ = W[:, :d].copy()
            self.intercept_ = W[:, d].copy() if fit_intercept else np.zeros(len(self.classes_))
        self.n_iter_ = np.array([self.n_iter_])
        return self


_RULES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


class _SGDModel(BaseEstimator):
    """Stochastic gradient descent on mini-batches for the linear models (shared parts)."""

    def __init__(self, *, penalty="l2", alpha=1e-4, fit_intercept=True, max_iter=1000, tol=1e-3,
                 shuffle=True, random_state=None, learning_rate="constant", eta0="auto",
                 power_t=0.25, n_iter_no_change=5, batch_size=1, solver="sgd", momentum=0.9,
                 verbose=False):
        self.verbose = verbose
        self.penalty = penalty
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.n_iter_no_change = n_iter_no_change
        self.batch_size = batch_size
        self.solver = solver
        self.momentum = momentum

    def _check_sgd_params(self):
        _choice(self.penalty, "penalty", ("l2", "l1", None))
        check_real(self.alpha, "alpha", low=0.0)
        check_bool(self.fit_intercept, "fit_intercept")
        check_int(self.max_iter, "max_iter", low=1)
        if self.tol is not None:
            check_real(self.tol, "tol", low=0.0)
        check_bool(self.shuffle, "shuffle")
        _choice(self.learning_rate, "learning_rate", ("constant", "invscaling", "cosine"))
        if not (isinstance(self.eta0, str) and self.eta0 == "auto"):
            if not isinstance(self.eta0, numbers.Real) or isinstance(self.eta0, (bool, np.bool_)):
                raise ValueError(f"eta0 must be 'auto' or a number > 0, got {self.eta0!r}")
            check_real(self.eta0, "eta0", low=0.0, low_open=True)
        if self.learning_rate == "invscaling":
            check_real(self.power_t, "power_t", low=0.0, low_open=True)
        else:
            check_real(self.power_t, "power_t")
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_int(self.batch_size, "batch_size", low=1)
        if not (isinstance(self.solver, str) and self.solver in _RULES):
            raise ValueError(f"solver must be one of {', '.join(_RULES)}, got {self.solver!r}")
        check_real(self.momentum, "momentum", low=0.0, high=1.0, high_open=True)
        check_bool(self.verbose, "verbose")

    def _penalties(self):
        alpha = float(self.alpha)
        return {"l2": (alpha, 0.0), "l1": (0.0, alpha), None: (0.0, 0.0)}[self.penalty]

    def _schedule(self):
        if self.learning_rate == "invscaling":
            return _schedules.inverse(1.0, float(self.power_t))
        if self.learning_rate == "cosine":
            return _schedules.cosine(int(self.max_iter))
        return None

    def _set_eta0(self, X, *, reset):
        """Set ``eta0_``; with eta0='auto', ``1 / (c max ||x_i||^2 + alpha)`` over every row seen.

        That step is stable for any sample or batch (``c`` bounds the loss's curvature). With
        ``reset=False`` (partial_fit) the maximum runs over all the calls so far, so a later,
        larger row lowers the rate; the rule's state (momentum, moments) is kept.
        """
        if not (isinstance(self.eta0, str) and self.eta0 == "auto"):
            self.eta0_ = float(self.eta0)
            return
        rows = np.einsum("ij,ij->i", X, X, dtype=np.float64) + (1.0 if self.fit_intercept else 0.0)
        largest = float(rows.max())
        if not reset and largest <= self._max_row_norm2:
            return
        self._max_row_norm2 = largest if reset else max(largest, self._max_row_norm2)
        self.eta0_ = 1.0 / (self._curvature_bound * self._max_row_norm2 + float(self.alpha))
        if getattr(self, "_stepper", None) is not None:
            self._stepper = self._new_stepper(self._stepper.state())

    def _rule_options(self):
        options = {"lr": self.eta0_}
        if self.solver in ("momentum", "nesterov"):
            options["momentum"] = float(self.momentum)
        return options

    def _new_stepper(self, state=None):
        """Build the compiled update rule at the current ``eta0_``, with `state` (a dict)."""
        options = {"lr": np.array([self.eta0_]), "weight_decay": 0.0,
                   **{k: v for k, v in self._rule_options().items() if k != "lr"}}
        stepper = _make_stepper(self.solver if self.solver != "sgd" else "gd", options)
        if state:
            stepper.set_state(dict(state))
        return stepper

    def _run(self, objective, x0):
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        batch = min(int(self.batch_size), objective.n_samples)
        with warnings.catch_warnings():
            # The estimator reports on the run itself, once, in its own terms.
            warnings.simplefilter("ignore", _DescendConvergenceWarning)
            result = minimize(
                objective, x0, method="gd" if self.solver == "sgd" else self.solver,
                batch_size=batch, epochs=int(self.max_iter), shuffle=bool(self.shuffle),
                seed=seed, tol=self.tol, n_iter_no_change=int(self.n_iter_no_change),
                schedule=self._schedule(), epoch_loss="running", verbose=bool(self.verbose),
                **self._rule_options())
        name = type(self).__name__
        if result.status == "diverged":
            raise RuntimeError(
                f"{name}(solver={self.solver!r}) diverged in epoch {int(result.nit)}: the loss "
                f"became non-finite or kept rising; lower eta0 (the rate was "
                f"{self.eta0_:.3g})")
        # With a tol, running every epoch means the tol rule never fired (when it fires the
        # status is "stalled", or "converged" from a gradient test: scikit-learn's normal
        # stop, no warning); with tol=None, running every epoch is what was asked for.
        if self.tol is not None and result.status in ("max_iter", "completed"):
            warnings.warn(
                f"{name}(solver={self.solver!r}): Maximum number of iterations reached before "
                f"convergence: the epoch loss was still improving by more than tol="
                f"{self.tol!r} after max_iter={self.max_iter!r} epochs; consider increasing "
                f"max_iter or tol", ConvergenceWarning, stacklevel=3)
        self.n_iter_ = int(result.nit)
        self.t_ = float(result.nit * -(-objective.n_samples // batch))
        return result.x

    #: partial_fit reports divergence when the loss on the incoming batches (summed over
    #: all the calls) exceeds this multiple of what the zero model's loss on them would be.
    _divergence_ratio = 1e4

    @contextlib.contextmanager
    def _unchanged_on_error(self):
        """Leave the model as it was before a partial_fit call that raised (or was stopped)."""
        saved = dict(self.__dict__)
        stepper = saved.get("_stepper")
        rule_state = None if stepper is None else stepper.state()  # it changes in place
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if rule_state is not None:
                self._stepper = self._new_stepper(rule_state)
            raise

    def _partial_fit(self, X, objective, first):
        """One epoch on `objective`: from zero on the first call, else where the last ended."""
        if first:
            self._start(X, objective.n_params)
        else:
            self._set_eta0(X, reset=False)
        return self._partial_step(objective)

    def _partial_step(self, objective):
        """One epoch in the compiled loop, continuing the stepper's state between calls.

        Raises RuntimeError when the run diverged: a non-finite loss or parameters, or the
        loss on the batches seen so far (each measured before its step) above
        ``_divergence_ratio`` times that of the zero model.
        """
        if getattr(self, "_stepper", None) is None:
            self._stepper = self._new_stepper()
        calls = getattr(self, "n_iter_", 0)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        batch = {"batch_size": min(int(self.batch_size), objective.n_samples), "epochs": 1,
                 "shuffle": bool(self.shuffle), "seed": (seed + calls) % (2**31),
                 "drop_last": False, "tol": None, "n_iter_no_change": 1,
                 "epoch_loss": "running", "keep_state": True}
        raw = _core.run_first_order(objective, self._params, self._stepper,
                                    _schedules.constant(), -1.0, -1.0, 0.0, 0.0, 1,
                                    batch, None, None)
        n = objective.n_samples
        loss = getattr(self, "_stream_loss", 0.0) + n * float(raw["fun"])
        null = getattr(self, "_stream_null_loss", 0.0) + n * float(
            objective.value(np.zeros(objective.n_params)))
        if (raw["status"] == "diverged" or not np.isfinite(raw["x"]).all()
                or not np.isfinite(loss) or loss > self._divergence_ratio * null):
            raise RuntimeError(
                f"{type(self).__name__}.partial_fit diverged (solver={self.solver!r}): the "
                f"loss on the batches seen so far is {loss / null if null > 0 else np.inf:.3g} "
                f"times that of the zero model; lower eta0 (the rate was {self.eta0_:.3g}). "
                "The model is left as it was before this call.")
        self._stream_loss, self._stream_null_loss = loss, null
        self._params = raw["x"]
        self.n_iter_ = calls + 1
        return self._params

    def __getstate__(self):
        state = dict(super().__getstate__())
        stepper = state.get("_stepper")
        if stepper is not None:  # the compiled rule: keep its state, rebuild it on load
            state["_stepper"] = {k: np.array(v) if isinstance(v, np.ndarray) else v
                                 for k, v in stepper.state().items()}
        return state

    def __setstate__(self, state):
        rule_state = state.get("_stepper")
        super().__setstate__({**state, "_stepper": None})
        if rule_state is not None:
            self._stepper = self._new_stepper(rule_state)

    def _start(self, X, n_params):
        """Forget any previous training: zero parameters, a fresh rule, a new rate."""
        self._set_eta0(X, reset=True)
        self._params = np.zeros(n_params)
        self._stepper = None
        self._stream_loss = self._stream_null_loss = 0.0

_SGD_DOC = """
    Parameters
    ----------
    penalty : {{"l2", "l1", None}}, default "l2"
        "l1" is handled by a proximal step (exact zeros).
    alpha : float, default 1e-4
        Penalty strength: the objective is the mean loss + alpha ||w||^2 / 2 (l2) or
        alpha ||w||_1 (l1), as scikit-learn's.
    fit_intercept : bool, default True
    max_iter : int, default 1000
        Epochs (passes over the data).
    tol : float or None, default 1e-3
        Stop when the epoch loss (the mean of its batch losses) improved by less than tol for
        n_iter_no_change epochs; None runs every epoch.
    shuffle : bool, default True
    random_state : int, RandomState or None
        Seeds the shuffling.
    learning_rate : {{"constant", "invscaling", "cosine"}}, default "constant"
        eta0, eta0 / (1 + epoch)^power_t, or cosine annealing over max_iter epochs.
    eta0 : float or "auto", default "auto"
        The learning rate; "auto" takes 1 / (c max_i ||x_i||^2 + alpha), with c the loss's
        curvature bound (1 for squared error, 1/4 for the log-loss): a step no single sample
        or batch can make unstable. In ``partial_fit`` the maximum runs over every row seen
        so far, so a later batch with larger rows lowers the rate (the rule's state is
        kept).
    power_t : float, default 0.25
    n_iter_no_change : int, default 5
    batch_size : int, default 1
        Mini-batch size (1: the classic per-sample SGD).
    solver : str, default "sgd"
        The update rule: {rules}.
    momentum : float, default 0.9
        For solver "momentum" and "nesterov".
    verbose : bool, default False
        Progress: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    coef_, intercept_, n_iter_, t_, eta0_, n_features_in_{extra}

    Notes
    -----
    ``fit`` warns (``sklearn.exceptions.ConvergenceWarning``, once) when ``tol`` was given and
    the epoch loss was still improving by more than ``tol`` after ``max_iter`` epochs, and
    raises ``RuntimeError`` when the run diverged. ``partial_fit`` raises ``RuntimeError``,
    leaving the model as it was, when the loss on the batches seen so far (each measured
    before its step) is non-finite or more than 1e4 times that of the zero model. A fitted
    model pickles and deep-copies with the rule's state, so ``partial_fit`` continues where
    it left off.
    """


class SGDRegressor(RegressorMixin, _SGDModel):
    _curvature_bound = 1.0

    __doc__ = ("""Linear regression (squared error) by mini-batch stochastic gradient descent.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import SGDRegressor
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> model = SGDRegressor(random_state=0).fit(X, X @ [2.0, -1.0] + 0.5)
    >>> model.coef_.round(2).tolist(), round(float(model.intercept_[0]), 2)
    ([2.0, -1.0], 0.5)
    """ + _SGD_DOC.format(rules=", ".join(_RULES), extra=""))

    def _objective(self, X, y, sample_weight):
        l2, l1 = self._penalties()
        sw = _sample_weights(sample_weight, X)[0]  # a weighted mean: the scale cancels
        return LeastSquares(X, y, l2=l2, l1=l1, fit_intercept=bool(self.fit_intercept),
                            sample_weight=sw)

    def _set_coef(self, x, d):
        self.coef_ = x[:d].copy()
        self.intercept_ = np.array([x[d] if self.fit_intercept else 0.0])

    def fit(self, X, y, sample_weight=None):
        """Fit by mini-batch SGD from zero.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
        sample_weight : array_like, optional

        Returns
        -------
        self

        Raises
        ------
        RuntimeError
            If the training diverged (lower ``eta0``).
        """
        self._check_sgd_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True,
                             order="C")
        objective = self._objective(X, y, sample_weight)
        self._start(X, objective.n_params)
        self._params = self._run(objective, self._params)
        self._set_coef(self._params, X.shape[1])
        return self

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD on the given data, continuing from the current state.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
        sample_weight : array_like, optional

        Returns
        -------
        self

        Raises
        ------
        RuntimeError
            If the training diverged (see Notes). Whatever the error, the model is left as
            it was before the call.
        """
        first = not hasattr(self, "_params")
        if first:
            self._check_sgd_params()
        with self._unchanged_on_error():
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True,
                                 order="C", reset=first)
            objective = self._objective(X, y, sample_weight)
            self._set_coef(self._partial_fit(X, objective, first), X.shape[1])
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
        return X @ self.coef_ + self.intercept_[0]


class SGDClassifier(ClassifierMixin, _LinearClassifier, _SGDModel):
    _curvature_bound = 0.25

    __doc__ = ("""Logistic regression by mini-batch stochastic gradient descent.

    Two classes use the logistic loss; more use the multinomial (softmax) loss, trained jointly
    (scikit-learn's SGDClassifier trains one-versus-rest instead).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import SGDClassifier
    >>> X = np.random.default_rng(0).normal(size=(400, 2))
    >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    >>> SGDClassifier(random_state=0).fit(X, y).score(X, y) > 0.95
    True
    """ + _SGD_DOC.format(rules=", ".join(_RULES), extra=", classes_"))

    def _objective(self, X, encoded, sample_weight):
        l2, l1 = self._penalties()
        sw = _sample_weights(sample_weight, X)[0]  # a weighted mean: the scale cancels
        if len(self.classes_) == 2:
            return Logistic(X, encoded, l2=l2, l1=l1, fit_intercept=bool(self.fit_intercept),
                            sample_weight=sw)
        if l1 > 0:
            raise ValueError("penalty='l1' is supported for two classes only")
        return Softmax(X, encoded, l2=l2, fit_intercept=bool(self.fit_intercept),
                       sample_weight=sw, n_classes=len(self.classes_))

    def _set_coef(self, objective, x, d):
        if len(self.classes_) == 2:
            self.coef_ = x[None, :d].copy()
            self.intercept_ = np.array([x[d] if self.fit_intercept else 0.0])
        else:
            W = objective.coef_matrix(x)
            self.coef_ = W[:, :d].copy()
            self.intercept_ = W[:, d].copy() if self.fit_intercept else np.zeros(len(W))

    def _encode(self, y):
        index = np.searchsorted(self.classes_, y)
        if (index >= len(self.classes_)).any() or (self.classes_[np.minimum(
                index, len(self.classes_) - 1)] != y).any():
            raise ValueError("y holds a class that is not in classes")
        return index

    def fit(self, X, y, sample_weight=None):
        """Fit by mini-batch SGD from zero.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
        sample_weight : array_like, optional

        Returns
        -------
        self

        Raises
        ------
        RuntimeError
            If the training diverged (lower ``eta0``).
        """
        self._check_sgd_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("The data contains only one class: "
                             f"{self.classes_[0]!r}; at least 2 classes are needed")
        objective = self._objective(X, self._encode(y), sample_weight)
        self._start(X, objective.n_params)
        self._params = self._run(objective, self._params)
        self._set_coef(objective, self._params, X.shape[1])
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD on the given data, continuing from the current state.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
        classes : array_like, optional
            All the classes; required on the first call.
        sample_weight : array_like, optional

        Returns
        -------
        self

        Raises
        ------
        RuntimeError
            If the training diverged (see Notes). Whatever the error, the model is left as
            it was before the call.
        """
        first = not hasattr(self, "_params")
        if first:
            self._check_sgd_params()
            if classes is None:
                raise ValueError("classes must be given on the first call to partial_fit")
        with self._unchanged_on_error():
            if first:
                self.classes_ = np.unique(classes)
                if len(self.classes_) < 2:
                    raise ValueError("classes must hold at least 2 classes")
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                                 reset=first)
            check_classification_targets(y)
            objective = self._objective(X, self._encode(y), sample_weight)
            self._set_coef(objective, self._partial_fit(X, objective, first), X.shape[1])
        return self
