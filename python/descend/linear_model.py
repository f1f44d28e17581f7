"""scikit-learn estimators backed by descend's solvers.

``LinearRegression``, ``Ridge`` and ``LogisticRegression`` follow scikit-learn's conventions
(parameters, fitted attributes with trailing underscores, shapes of ``coef_`` and
``intercept_``) and pass ``sklearn.utils.estimator_checks.check_estimator``. scikit-learn is
an optional dependency: ``pip install descend[sklearn]``; importing this module needs it.

Each estimator builds a descend objective on the validated data (borrowed, not copied) and
minimises it with :func:`descend.minimize`; ``solver`` picks the method ("auto" takes the
fastest reliable one that is available).
"""

from __future__ import annotations

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "descend.linear_model needs scikit-learn >= 1.6: pip install 'descend[sklearn]'"
    ) from exc

import warnings

from ._minimize import _METHODS, minimize
from .objectives import LeastSquares, Logistic, Softmax

__all__ = ["LinearRegression", "Ridge", "LogisticRegression"]

#: The methods "auto" tries, fastest reliable first, for the smooth convex objectives here.
_AUTO_ORDER = ("newton", "lbfgs", "bfgs", "gd")


class _DescendLinearModel(BaseEstimator):
    """What the estimators share: solver choice, the call to minimize, fitted attributes."""

    def _solver(self):
        if self.solver == "auto":
            for name in _AUTO_ORDER:
                if name in _METHODS:
                    return name
        if not isinstance(self.solver, str) or self.solver.lower() not in _METHODS:
            raise ValueError(f"solver must be 'auto' or one of {sorted(_METHODS)}, "
                             f"got {self.solver!r}")
        return self.solver.lower()

    def _minimize(self, objective):
        solver = self._solver()
        accepted = _METHODS[solver].options
        options = {}
        if "gtol" in accepted:
            options["gtol"] = self.tol
        if "max_iter" in accepted:
            options["max_iter"] = self.max_iter
        if "tol" in accepted:
            options["tol"] = 0.0  # stop on the gradient: the loss change is scale-dependent
        result = minimize(objective, np.zeros(objective.n_params), method=solver, **options)
        if result.status == "diverged":
            raise RuntimeError(f"solver {solver!r} diverged: {result.message}")
        if not result.success:
            warnings.warn(f"{type(self).__name__} did not converge: {result.message}",
                          ConvergenceWarning, stacklevel=3)
        self.n_iter_ = max(int(result.nit), 1)
        return result

    def _check_common_params(self):
        if not (isinstance(self.tol, (int, float)) and self.tol >= 0):
            raise ValueError(f"tol must be a number >= 0, got {self.tol!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(f"fit_intercept must be True or False, got {self.fit_intercept!r}")


class _LeastSquaresRegressor(RegressorMixin, _DescendLinearModel):
    def _alpha(self):
        return 0.0

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data (float64 or float32 is used without a copy).
        y : array_like, shape (n_samples,)
            Targets.
        sample_weight : array_like, shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        self
        """
        self._check_common_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True,
                             order="C")
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X,
                                                                      dtype=X.dtype)
        total = float(X.shape[0] if sw is None else sw.sum())
        objective = LeastSquares(X, y, l2=self._alpha() / total,
                                 fit_intercept=bool(self.fit_intercept), sample_weight=sw)
        result = self._minimize(objective)
        d = X.shape[1]
        self.coef_ = result.x[:d].copy()
        self.intercept_ = float(result.x[d]) if self.fit_intercept else 0.0
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


class LinearRegression(_LeastSquaresRegressor):
    """Ordinary least squares, fitted by a descend solver.

    Minimises ``sum_i s_i (x_i.w + b - y_i)^2`` (the same solution as
    ``sklearn.linear_model.LinearRegression``).

    Parameters
    ----------
    fit_intercept : bool, default True
        Fit the intercept ``b``.
    solver : str, default "auto"
        A method of :func:`descend.minimize`; "auto" picks Newton's method (one Cholesky
        solve for least squares) when available.
    tol : float, default 1e-10
        Stop when the gradient norm of the mean loss is at most ``tol``.
    max_iter : int, default 1000
        Iteration limit of the solver.

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> LinearRegression().fit(X, [1.0, 3.0, 5.0]).coef_.round(8).tolist()
    [2.0]
    """

    def __init__(self, *, fit_intercept=True, solver="auto", tol=1e-10, max_iter=1000):
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
        A method of :func:`descend.minimize`.
    tol : float, default 1e-10
        Gradient-norm tolerance of the solver.
    max_iter : int, default 1000
        Iteration limit of the solver.

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import Ridge
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> Ridge(alpha=1.0).fit(X, [1.0, 3.0, 5.0]).coef_.round(6).tolist()
    [1.333333]
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, solver="auto", tol=1e-10,
                 max_iter=1000):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter

    def _alpha(self):
        if not (isinstance(self.alpha, (int, float, np.number)) and self.alpha >= 0):
            raise ValueError(f"alpha must be a number >= 0, got {self.alpha!r}")
        return float(self.alpha)


class LogisticRegression(ClassifierMixin, _DescendLinearModel):
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
        A method of :func:`descend.minimize`; "auto" picks Newton's method when available.
    tol : float, default 1e-8
        Gradient-norm tolerance of the solver.
    max_iter : int, default 1000
        Iteration limit of the solver.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    coef_ : ndarray, shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray, shape (1,) or (n_classes,)
    n_iter_ : ndarray, shape (1,)
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import LogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> LogisticRegression().fit(X, ["no", "no", "yes", "yes"]).predict([[3.0]]).tolist()
    ['yes']
    """

    def __init__(self, penalty="l2", *, C=1.0, fit_intercept=True, solver="auto", tol=1e-8,
                 max_iter=1000):
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
            Non-negative weights.

        Returns
        -------
        self
        """
        self._check_common_params()
        if self.penalty not in ("l2", None):
            raise ValueError(f"penalty must be 'l2' or None, got {self.penalty!r}")
        if not (isinstance(self.C, (int, float, np.number)) and self.C > 0):
            raise ValueError(f"C must be a number > 0, got {self.C!r}")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("This solver needs samples of at least 2 classes in the data, "
                             f"but the data contains only one class: {self.classes_[0]!r}")
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X,
                                                                      dtype=X.dtype)
        total = float(X.shape[0] if sw is None else sw.sum())
        l2 = 0.0 if self.penalty is None else 1.0 / (float(self.C) * total)
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
        """The most probable class of each row.

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
