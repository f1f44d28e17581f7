"""What the linear estimators share: the scikit-learn import, sample weights, the one
unpacking of a fitted parameter vector into ``coef_`` and ``intercept_``, the full-batch solver
call and the linear classifiers' predictions."""

from __future__ import annotations

import warnings

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

from .._first_order import ConvergenceWarning as _DescendConvergenceWarning
from .._minimize import _METHODS, minimize
from .._sparse import is_sparse
from .._validation import check_bool, check_int, check_real
from ..objectives import Softmax

#: The least relative tolerance for float32 data: a hundred times its rounding error. The
#: scores x_i'w are rounded to float32 (an error of about eps |x_i| |w| each), and their
#: errors do not average out in the gradient: on standardised data with weights of a few
#: units its floor is some tens of epsilons of the gradient at zero (measured: 50 for a
#: logistic fit of 500 x 8 on an SSE2 core, where an FMA core happened to get below it).
_FLOAT32_TOL = 100 * float(np.finfo(np.float32).eps)

#: The float types X is used in without a conversion (others are converted to float64).
_DTYPES = [np.float64, np.float32]


def _check_X(estimator, X, *, reset=False):
    """Validate `X` for a prediction (see :func:`_check_Xy`)."""
    return validate_data(estimator, X, accept_sparse="csr", dtype=_DTYPES, reset=reset)


def _check_Xy(estimator, X, y, *, reset, y_numeric=False, multi_output=False):
    """Validate `X` and `y` with scikit-learn's ``validate_data``: the one place every
    estimator does it for ``fit`` and ``partial_fit``.

    A dense X of float64 or float32 is used as it is (other dtypes are copied to float64;
    ``fit`` asks for C order, so a Fortran-ordered X is copied once there). A scipy.sparse X
    (matrix or array) is accepted as CSR: CSR of float64 or float32 is used as it is (the
    objective borrows its data, indices and indptr); any other format (CSC, COO, LIL, ...) is
    converted to CSR once, and integer or boolean values to float64. X is never densified.
    ``y`` and ``sample_weight`` must be dense: a sparse one is refused with a TypeError.
    With `multi_output`, a 2-D ``y`` (one column per target) is kept 2-D.
    """
    if multi_output and is_sparse(y):  # scikit-learn would take it; descend's y is dense
        raise TypeError("Sparse data was passed for y, but dense data is required. Use "
                        "'.toarray()' to convert to a dense numpy array.")
    return validate_data(estimator, X, y, accept_sparse="csr", dtype=_DTYPES, order="C",
                         y_numeric=y_numeric, multi_output=multi_output, reset=reset)


def _sparse_input_tags(tags):
    """scikit-learn's tags of an estimator that accepts scipy.sparse X (input_tags.sparse)."""
    tags.input_tags.sparse = True
    return tags


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


def _dask_adapter(*arrays):
    """descend.dask's estimator functions when any of `arrays` is a dask array, else None.

    The estimators hand dask inputs to :mod:`descend.dask._estimators` (fit on the cluster,
    lazy predictions); dask is imported only then.
    """
    if not any(type(a).__module__.partition(".")[0] == "dask" for a in arrays):
        return None
    from ..dask import _estimators

    return _estimators


def _choice(value, name, choices):
    if not any(value is c or (isinstance(value, str) and value == c) for c in choices):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")
    return value




def _check_verbose(value):
    """``verbose``: scikit-learn's int (0 silent, more is louder) or a bool; returns a bool."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return check_int(value, "verbose", low=0) > 0


def _check_n_jobs(value):
    """``n_jobs``: None or a non-zero int, as scikit-learn accepts (a hint descend does not
    need: its compiled loops choose their threads)."""
    if value is not None:
        if check_int(value, "n_jobs") == 0:
            raise ValueError("n_jobs == 0 has no meaning: use None, -1 or a positive int")


def _class_weights(class_weight, classes, y, *, sample_weight=None):
    """The weight of each sample's class (an ndarray of shape (n_samples,)), or None.

    `class_weight` is None, "balanced" (``n_samples / (n_classes * count)``, by scikit-learn's
    ``compute_class_weight``, the sample weights counted when given), or a dict from class
    label to weight (classes left out weigh 1); `y` holds the labels of the samples.
    """
    if class_weight is None:
        return None
    if not (isinstance(class_weight, dict)
            or (isinstance(class_weight, str) and class_weight == "balanced")):
        raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {class_weight!r}")
    from sklearn.utils.class_weight import compute_class_weight

    per_class = compute_class_weight(class_weight, classes=classes, y=y,
                                     sample_weight=sample_weight)
    return np.asarray(per_class, dtype=np.float64)[np.searchsorted(classes, y)]


def _combined_weights(sample_weight, per_sample, X):
    """The product of the validated `sample_weight` and the class weights `per_sample`."""
    if per_sample is None:
        return sample_weight
    if sample_weight is None:
        return per_sample
    return _check_sample_weight(sample_weight, X, dtype=np.float64,
                                ensure_non_negative=True) * per_sample


def _pack(coef, intercept, fit_intercept, n_params, name="coef_init"):
    """The flat parameter vector of (coef, intercept): row k of the objective's (k, p) matrix is
    ``[coef[k], intercept[k]]`` (without the intercept when it is not fitted)."""
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    if fit_intercept:
        b = np.asarray(0.0 if intercept is None else intercept, dtype=np.float64).ravel()
        b = np.repeat(b, coef.shape[0]) if b.size == 1 else b
        if b.shape != (coef.shape[0],):
            raise ValueError(f"Provided intercept_init does not match dataset: shape "
                             f"{np.shape(intercept)}, expected ({coef.shape[0]},)")
        coef = np.column_stack([coef, b])
    x = np.ascontiguousarray(coef).ravel()
    if x.size != n_params:
        raise ValueError(f"Provided {name} does not match dataset: {coef.shape[0]} rows of "
                         f"{coef.shape[1] - int(fit_intercept)} coefficients, not the model's "
                         f"{n_params} parameters")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} and intercept_init must be finite")
    return x


def _coefficients(objective, x, fit_intercept):
    """Unpack the fitted parameters `x` of `objective` into ``(coef, intercept)``: the one
    place every estimator does it.

    Returns ``coef`` of shape (k, n_features) and ``intercept`` of shape (k,), with k = 1 for
    least squares and the binary logistic loss, and k = n_classes for the multinomial
    (softmax) loss. Softmax probabilities do not change when the same vector is added to every
    class's parameters, so the unpenalised intercepts (and, without a penalty, the weights)
    are fixed only up to that shift: the multinomial coefficients are reported *centred*, the
    representative whose columns sum to zero over the classes (as scikit-learn's
    LogisticRegression does), by every estimator (LogisticRegression and SGDClassifier).
    """
    W = objective.coef_matrix(x) if isinstance(objective, Softmax) else x[None, :]
    if len(W) > 1:
        W = W - W.mean(axis=0)
    d = W.shape[1] - (1 if fit_intercept else 0)
    return W[:, :d].copy(), (W[:, d].copy() if fit_intercept else np.zeros(len(W)))


class _DescendLinearModel(BaseEstimator):
    """What the full-batch estimators share: solver choice, the call to minimize, warnings.

    ``_newton_max_params`` is the largest parameter count for which "auto" picks Newton's
    method (its dense Hessian has that many squared entries, and each iteration a Cholesky
    factorisation of it; for sparse X it is accumulated from the sparse rows); larger
    problems go to L-BFGS on dense X and to Newton-CG on sparse X (Hessian-vector products,
    one pass over the non-zeros each, never a p x p matrix: on wide text-like data it
    reached the same objective value as L-BFGS in 2 to 5 times less time).
    """

    _newton_max_params = 1000

    def __sklearn_tags__(self):
        return _sparse_input_tags(super().__sklearn_tags__())

    def _descend_solver(self, n_params, sparse=False):
        if isinstance(self.solver, str) and self.solver == "auto":
            if n_params <= self._newton_max_params:
                return "newton"
            return "newton-cg" if sparse else "lbfgs"
        if not isinstance(self.solver, str) or self.solver.lower() not in _METHODS:
            raise ValueError(f"solver must be 'auto' or one of "
                             f"{sorted(set(_METHODS) | set(self._SKLEARN_SOLVERS))}, "
                             f"got {self.solver!r}")
        return self.solver.lower()

    #: scikit-learn's solver names and the descend method doing each one's job (the
    #: estimators' docstrings say why); descend's own method names are accepted as they are.
    _SKLEARN_SOLVERS: dict[str, str] = {}

    def _solver(self, n_params, sparse=False):
        if isinstance(self.solver, str) and self.solver in self._SKLEARN_SOLVERS:
            return self._SKLEARN_SOLVERS[self.solver]
        return self._descend_solver(n_params, sparse)

    def _minimize(self, objective, x0=None):
        """Minimise `objective` from `x0` (zero by default); warn (once) when the user's tol
        was not met."""
        solver = self._solver(objective.n_params, sparse=is_sparse(objective.X))
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
            options["max_iter"] = self._max_iter
        if x0 is None:
            x0 = np.zeros(objective.n_params)
        elif "gtol_abs" in accepted and "gtol" in options:
            # tol is relative to the gradient at zero, where a cold start begins: a warm start
            # near the minimiser has a tiny gradient, relative to which tol could not be met.
            zero = np.zeros(objective.n_params)
            options["gtol_abs"] = tol * float(np.linalg.norm(objective.gradient(zero)))
        with warnings.catch_warnings():
            # The estimator reports on the run itself, once, in its own terms.
            warnings.simplefilter("ignore", _DescendConvergenceWarning)
            result = minimize(objective, x0, method=solver,
                              verbose=_check_verbose(self.verbose), **options)
        name = f"{type(self).__name__}(solver={self.solver!r})"
        if result.status == "diverged":
            raise RuntimeError(f"{name} diverged: the loss or its gradient became non-finite "
                               f"or kept rising (method {solver!r}, status 'diverged')")
        if not result.success:
            start = float(result.history.grad_norm[0]) if len(result.history) else np.nan
            start = start if start > 0 else np.nan
            if result.status == "stalled" and objective.X.dtype == np.float32:
                advice = ("float32 arithmetic resolves the loss no further: fit on float64 "
                          "data, or raise tol")
            else:
                advice = f"increase max_iter (now {self.max_iter!r}) or tol, or scale the data"
            warnings.warn(
                f"{name} did not converge: method {solver!r} stopped with status "
                f"{result.status!r} after {int(result.nit)} iterations, its gradient norm "
                f"{result.grad_norm:.3g} still {result.grad_norm / start:.3g} times its "
                f"starting value, above tol={tol!r}; {advice}",
                ConvergenceWarning, stacklevel=3)
        self.solver_ = solver
        self.n_iter_ = max(int(result.nit), 1)
        return result

    def _check_common_params(self):
        self._tol = check_real(self.tol, "tol", low=0.0)
        self._max_iter = (1000 if self.max_iter is None
                          else check_int(self.max_iter, "max_iter", low=1))
        check_bool(self.fit_intercept, "fit_intercept")
        _check_verbose(self.verbose)


def _score(estimator, mixin, X, y, sample_weight):
    """``score``: a lazy dask result for dask inputs, else scikit-learn's `mixin`'s."""
    if (dask := _dask_adapter(X, y)) is not None:
        return dask.score(estimator, X, y, sample_weight)
    return mixin.score(estimator, X, y, sample_weight=sample_weight)


_SCORE_DOC = """Return the {what} on (X, y): for dask arrays a lazy 0-d dask array.

        Parameters
        ----------
        X : array_like, scipy.sparse matrix or dask array, shape (n_samples, n_features)
        y : array_like or dask array, shape (n_samples,)
        sample_weight : array_like, shape (n_samples,), optional

        Returns
        -------
        float or dask.array.Array
        """


class _LinearClassifier:
    """Prediction for the linear classifiers, from ``coef_``, ``intercept_``, ``classes_``."""

    # Set by fit (declared for type checkers).
    coef_: np.ndarray
    intercept_: np.ndarray
    classes_: np.ndarray

    def decision_function(self, X):
        """Scores ``X @ coef_.T + intercept_`` (shape (n_samples,) for two classes).

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            Dense, or sparse in any format (CSR used as it is, others converted once).

        Returns
        -------
        ndarray
        """
        if (dask := _dask_adapter(X)) is not None:  # a dask X: lazy scores
            return dask.decision_function(self, X)
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), in the order of ``classes_``.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        if (dask := _dask_adapter(X)) is not None:
            return dask.predict_proba(self, X)
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
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict the most probable class of each row.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        if (dask := _dask_adapter(X)) is not None:
            return dask.predict_class(self, X)
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]
