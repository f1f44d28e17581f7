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
    from sklearn.utils import check_random_state
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "descend.linear_model needs scikit-learn >= 1.6: pip install 'descend[sklearn]'"
    ) from exc

import warnings

from . import _core
from . import schedules as _schedules
from ._first_order import _stepper as _make_stepper
from ._first_order import ConvergenceWarning as _DescendConvergenceWarning
from ._minimize import _METHODS, minimize
from .objectives import LeastSquares, Logistic, Softmax

__all__ = ["LinearRegression", "Ridge", "LogisticRegression", "SGDRegressor", "SGDClassifier"]

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
        result = minimize(objective, np.zeros(objective.n_params), method=solver,
                          verbose=bool(self.verbose), **options)
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
    verbose : bool, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

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
        A method of :func:`descend.minimize`.
    tol : float, default 1e-10
        Gradient-norm tolerance of the solver.
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
        if not (isinstance(self.alpha, (int, float, np.number)) and self.alpha >= 0):
            raise ValueError(f"alpha must be a number >= 0, got {self.alpha!r}")
        return float(self.alpha)


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
        A method of :func:`descend.minimize`; "auto" picks Newton's method when available.
    tol : float, default 1e-8
        Gradient-norm tolerance of the solver.
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
        if self.penalty not in ("l2", "l1", None):
            raise ValueError(f"penalty must be 'l2', 'l1' or None, got {self.penalty!r}")
        if not (isinstance(self.alpha, (int, float, np.number)) and self.alpha >= 0):
            raise ValueError(f"alpha must be a number >= 0, got {self.alpha!r}")
        if not (self.eta0 == "auto" or
                (isinstance(self.eta0, (int, float, np.number)) and self.eta0 > 0)):
            raise ValueError(f"eta0 must be 'auto' or a number > 0, got {self.eta0!r}")
        if self.learning_rate not in ("constant", "invscaling", "cosine"):
            raise ValueError("learning_rate must be 'constant', 'invscaling' or 'cosine', "
                             f"got {self.learning_rate!r}")
        if self.solver not in _RULES:
            raise ValueError(f"solver must be one of {', '.join(_RULES)}, got {self.solver!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if not (isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1):
            raise ValueError(f"batch_size must be an integer >= 1, got {self.batch_size!r}")
        if self.tol is not None and not (isinstance(self.tol, (int, float)) and self.tol >= 0):
            raise ValueError(f"tol must be None or a number >= 0, got {self.tol!r}")

    def _penalties(self):
        alpha = float(self.alpha)
        return {"l2": (alpha, 0.0), "l1": (0.0, alpha), None: (0.0, 0.0)}[self.penalty]

    def _schedule(self):
        if self.learning_rate == "invscaling":
            return _schedules.inverse(1.0, float(self.power_t))
        if self.learning_rate == "cosine":
            return _schedules.cosine(int(self.max_iter))
        return None

    def _learning_rate(self):
        return self.eta0_

    def _set_eta0(self, X):
        """eta0='auto': the step that is stable for any batch, 1 / max curvature of a sample."""
        if self.eta0 != "auto":
            self.eta0_ = float(self.eta0)
            return
        rows = np.einsum("ij,ij->i", X, X, dtype=np.float64) + (1.0 if self.fit_intercept else 0.0)
        self.eta0_ = 1.0 / (self._curvature_bound * float(rows.max()) + float(self.alpha))

    def _rule_options(self):
        options = {"lr": self._learning_rate()}
        if self.solver in ("momentum", "nesterov"):
            options["momentum"] = float(self.momentum)
        return options

    def _run(self, objective, x0):
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        batch = min(int(self.batch_size), objective.n_samples)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", _DescendConvergenceWarning)
            result = minimize(
                objective, x0, method="gd" if self.solver == "sgd" else self.solver,
                batch_size=batch, epochs=int(self.max_iter), shuffle=bool(self.shuffle),
                seed=seed, tol=self.tol, n_iter_no_change=int(self.n_iter_no_change),
                schedule=self._schedule(), epoch_loss="running", verbose=bool(self.verbose),
                **self._rule_options())
        if result.status == "diverged":
            raise RuntimeError(f"{type(self).__name__} diverged: {result.message}; lower eta0")
        if any(issubclass(w.category, _DescendConvergenceWarning) for w in caught):
            warnings.warn(f"{type(self).__name__}: {result.message}; raise max_iter",
                          ConvergenceWarning, stacklevel=3)
        self.n_iter_ = int(result.nit)
        self.t_ = float(result.nit * -(-objective.n_samples // batch))
        return result.x

    def _partial_step(self, objective):
        """One epoch in the compiled loop, continuing the stepper's state between calls."""
        if getattr(self, "_stepper", None) is None:
            options = {"lr": np.array([self.eta0_]), "weight_decay": 0.0,
                       **{k: v for k, v in self._rule_options().items() if k != "lr"}}
            self._stepper = _make_stepper(self.solver if self.solver != "sgd" else "gd",
                                          options)
        calls = getattr(self, "n_iter_", 0)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        batch = {"batch_size": min(int(self.batch_size), objective.n_samples), "epochs": 1,
                 "shuffle": bool(self.shuffle), "seed": (seed + calls) % (2**31),
                 "drop_last": False, "tol": None, "n_iter_no_change": 1,
                 "epoch_loss": "running", "keep_state": True}
        raw = _core.run_first_order(objective, self._params, self._stepper,
                                    _schedules.constant(), -1.0, -1.0, 0.0, 0.0, 1,
                                    batch, None, None)
        if raw["status"] == "diverged" or not np.isfinite(raw["x"]).all():
            raise RuntimeError(f"{type(self).__name__} diverged; lower eta0")
        self._params = raw["x"]
        self.n_iter_ = calls + 1
        return self._params

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
        or batch can make unstable.
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
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X,
                                                                      dtype=X.dtype)
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
        """
        self._check_sgd_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True,
                             order="C")
        self._set_eta0(X)
        objective = self._objective(X, y, sample_weight)
        self._params = self._run(objective, np.zeros(objective.n_params))
        self._stepper = None
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
        """
        first = not hasattr(self, "_params")
        if first:
            self._check_sgd_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True,
                             order="C", reset=first)
        if first:
            self._set_eta0(X)
        objective = self._objective(X, y, sample_weight)
        if first:
            self._params = np.zeros(objective.n_params)
            self._stepper = None
        self._set_coef(self._partial_step(objective), X.shape[1])
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
        sw = None if sample_weight is None else _check_sample_weight(sample_weight, X,
                                                                      dtype=X.dtype)
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
        """
        self._check_sgd_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("The data contains only one class: "
                             f"{self.classes_[0]!r}; at least 2 classes are needed")
        self._set_eta0(X)
        objective = self._objective(X, self._encode(y), sample_weight)
        self._params = self._run(objective, np.zeros(objective.n_params))
        self._stepper = None
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
        """
        first = not hasattr(self, "_params")
        if first:
            self._check_sgd_params()
            if classes is None:
                raise ValueError("classes must be given on the first call to partial_fit")
            self.classes_ = np.unique(classes)
            if len(self.classes_) < 2:
                raise ValueError("classes must hold at least 2 classes")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                             reset=first)
        check_classification_targets(y)
        if first:
            self._set_eta0(X)
        objective = self._objective(X, self._encode(y), sample_weight)
        if first:
            self._params = np.zeros(objective.n_params)
            self._stepper = None
        self._set_coef(objective, self._partial_step(objective), X.shape[1])
        return self
