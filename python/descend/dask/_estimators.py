"""The estimators of :mod:`descend.linear_model` on dask arrays.

The estimators call these functions (through ``linear_model._base._dask_adapter``) when X is a
dask array: ``fit`` builds the chunked objective of :mod:`descend.dask` and runs the same
solver, from the same start, with the same options and the same scaling of y and of the
weights as the in-memory fit, and stores numpy coefficients; ``predict``,
``decision_function``, ``predict_proba`` and ``score`` return lazy dask results. Fits run on
Dask's default scheduler (the active ``distributed.Client`` if there is one).
"""

from __future__ import annotations

import numpy as np

import dask
import dask.array as da

from .._validation import check_real
from . import _objectives
from ._objectives import _check_aligned, _check_rows


def is_dask_array(X) -> bool:
    """Whether `X` is a dask collection (checked without importing dask)."""
    return type(X).__module__.partition(".")[0] == "dask"


def _weights(sample_weight, X):
    """The weights divided by their largest (as the in-memory estimators do), their sum."""
    if sample_weight is None:
        return None, float(X.shape[0]), 1.0
    sw = _check_aligned(sample_weight, "sample_weight", X).astype(np.float64)
    low, top, total = (float(v) for v in dask.compute(sw.min(), sw.max(), sw.sum()))
    if not np.isfinite(total):
        raise ValueError("sample_weight must be finite")
    if low < 0:
        raise ValueError("Negative values in data passed to sample_weight")
    if not top > 0:
        raise ValueError("sample_weight must have a positive sum: all the weights are zero")
    return sw / top, total / top, top


def _check_features(estimator, X):
    X = _check_rows(X, rechunk=True)
    expected = getattr(estimator, "n_features_in_", None)
    if expected is not None and X.shape[1] != expected:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                         f"expecting {expected} features as input.")
    return X


def _refuse_solver(estimator, solver):
    from .._minimize import _METHODS

    if "batch_size" in _METHODS[solver].options and _METHODS[solver].options[
            "batch_size"].default is not None:
        raise ValueError(f"{type(estimator).__name__}(solver={solver!r}) on a dask array: "
                         "mini-batch solvers run on dask through descend.dask.minibatch or "
                         "the SGD estimators; choose a full-batch solver")


def fit_least_squares(estimator, X, y, sample_weight):
    """``fit`` of LinearRegression and Ridge on a dask array (see the module notes)."""
    estimator._check_common_params()
    alpha = estimator._alpha()
    X = _check_rows(X, rechunk=True)
    y = _check_aligned(y, "y", X).astype(np.float64)
    sw, total, top = _weights(sample_weight, X)
    scale = float(da.abs(y).max().compute())
    if not np.isfinite(scale):
        raise ValueError("Input y contains NaN or infinity.")
    scale = scale if scale > 0 else 1.0
    n, d = X.shape
    auto = isinstance(estimator.solver, str) and estimator.solver == "auto"
    if auto and alpha == 0.0 and n <= d:
        raise ValueError(f"{type(estimator).__name__} on a dask array with no more rows than "
                         f"columns ({n} x {d}): the minimum-norm solution is not available "
                         "on dask; use Ridge(alpha > 0) or compute X into memory")
    objective = _objectives.LeastSquares(X, y / scale, l2=alpha / total / top,
                                         fit_intercept=bool(estimator.fit_intercept),
                                         sample_weight=sw)
    try:
        _refuse_solver(estimator, estimator._solver(objective.n_params))
        x = estimator._minimize(objective).x
    finally:
        objective.release()
    coef, intercept = _unpack(x, d, 1, bool(estimator.fit_intercept))
    estimator.coef_ = coef[0] * scale
    estimator.intercept_ = float(intercept[0]) * scale
    estimator.n_features_in_ = d
    return estimator


def _unpack(x, d, k, fit_intercept):
    """(coef of shape (k, d), intercept of shape (k,)); multinomial coefficients centred."""
    W = x.reshape(k, -1)
    if k > 1:
        W = W - W.mean(axis=0)
    return W[:, :d].copy(), (W[:, d].copy() if fit_intercept else np.zeros(k))


def fit_logistic(estimator, X, y, sample_weight):
    """``fit`` of LogisticRegression on a dask array (binary or multinomial)."""
    from ..linear_model._base import _choice

    estimator._check_common_params()
    _choice(estimator.penalty, "penalty", ("l2", None))
    C = check_real(estimator.C, "C", low=0.0, low_open=True)
    if estimator.penalty is not None and not np.isfinite(1.0 / C):
        raise ValueError(f"C is too small: the penalty strength 1 / C overflows, got {C}")
    X = _check_rows(X, rechunk=True)
    y = _check_aligned(y, "y", X)
    classes = np.asarray(da.unique(y).compute())
    if classes.dtype.kind == "f" and not np.isfinite(classes).all():
        raise ValueError("Input y contains NaN or infinity.")
    if len(classes) < 2:
        raise ValueError("This solver needs samples of at least 2 classes in the data, but "
                         f"the data contains only one class: {classes[0]!r}")
    encoded = y.map_blocks(lambda b: np.searchsorted(classes, b), dtype=np.int64)
    sw, total, top = _weights(sample_weight, X)
    l2 = 0.0 if estimator.penalty is None else 1.0 / C / total / top
    fit_intercept = bool(estimator.fit_intercept)
    k = len(classes)
    objective: _objectives.DaskObjective
    if k == 2:
        objective = _objectives.Logistic(X, encoded, l2=l2, fit_intercept=fit_intercept,
                                         sample_weight=sw)
    else:
        objective = _objectives.Softmax(X, encoded, l2=l2, fit_intercept=fit_intercept,
                                        sample_weight=sw, n_classes=k)
    try:
        _refuse_solver(estimator, estimator._solver(objective.n_params))
        x = estimator._minimize(objective).x
    finally:
        objective.release()
    estimator.classes_ = classes
    estimator.coef_, estimator.intercept_ = _unpack(x, X.shape[1], 1 if k == 2 else k,
                                                    fit_intercept)
    estimator.n_iter_ = np.array([estimator.n_iter_])
    estimator.n_features_in_ = X.shape[1]
    return estimator


def fit(estimator, X, y, sample_weight=None):
    """Fit a :mod:`descend.linear_model` estimator on a dask array X.

    Parameters
    ----------
    estimator : descend.linear_model estimator
    X : dask.array.Array, shape (n_samples, n_features)
        Chunked by rows (a column-chunked X is rechunked into whole rows).
    y, sample_weight : dask.array.Array or array_like, shape (n_samples,)
        Aligned with X's row chunks (rechunked when they differ).

    Returns
    -------
    estimator
        Fitted, with numpy ``coef_`` and ``intercept_``.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from descend.linear_model import Ridge
    >>> X = da.from_array(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]), chunks=2)
    >>> Ridge(alpha=1e-9).fit(X, X[:, 0] + 2 * X[:, 1]).coef_.round(4).tolist()
    [1.0, 2.0]
    """
    name = type(estimator).__name__
    if name in ("LinearRegression", "Ridge"):
        return fit_least_squares(estimator, X, y, sample_weight)
    if name == "LogisticRegression":
        return fit_logistic(estimator, X, y, sample_weight)
    if name in ("SGDRegressor", "SGDClassifier"):
        return fit_sgd(estimator, X, y, sample_weight)
    raise TypeError(f"{name} does not take dask arrays")


def _fitted(estimator):
    from ..linear_model._base import check_is_fitted

    check_is_fitted(estimator)


def predict_linear(estimator, X):
    """``X @ coef_ + intercept_`` of a regressor, lazily (a dask array).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from descend.linear_model import Ridge
    >>> X = da.from_array(np.eye(2), chunks=1)
    >>> model = Ridge().fit(np.eye(2), [1.0, 0.0])
    >>> type(model.predict(X)).__name__
    'Array'
    """
    _fitted(estimator)
    X = _check_features(estimator, X)
    return X @ np.asarray(estimator.coef_, dtype=np.float64).ravel() + estimator.intercept_


def decision_function(estimator, X):
    """The scores of a linear classifier, lazily."""
    _fitted(estimator)
    X = _check_features(estimator, X)
    scores = X @ np.asarray(estimator.coef_, dtype=np.float64).T + estimator.intercept_
    return scores[:, 0] if scores.shape[1] == 1 else scores


def predict_proba(estimator, X):
    """Class probabilities of a linear classifier, lazily."""
    scores = decision_function(estimator, X)
    if scores.ndim == 1:
        p = 0.5 * (1.0 + da.tanh(0.5 * scores))  # a sigmoid that cannot overflow
        return da.stack([1.0 - p, p], axis=1)
    scores = scores - scores.max(axis=1, keepdims=True)
    e = da.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


def predict_class(estimator, X):
    """The most probable class of each row, lazily."""
    scores = decision_function(estimator, X)
    index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
    classes = estimator.classes_
    return index.map_blocks(lambda b: classes[b], dtype=classes.dtype)


def score(estimator, X, y, sample_weight=None):
    """R^2 of a regressor or the accuracy of a classifier, as a lazy 0-d dask array."""
    from sklearn.base import is_classifier

    prediction = estimator.predict(X)
    y = _check_aligned(y, "y", prediction[:, None] if prediction.ndim == 1 else prediction)
    if sample_weight is None:
        sw = da.ones_like(y, dtype=np.float64)
    else:
        sw = _check_aligned(sample_weight, "sample_weight", prediction[:, None])
    if is_classifier(estimator):
        return (sw * (prediction == y)).sum() / sw.sum()
    y = y.astype(np.float64)
    mean = (sw * y).sum() / sw.sum()
    residual = (sw * (y - prediction) ** 2).sum()
    spread = (sw * (y - mean) ** 2).sum()
    return 1.0 - residual / spread


from ._sgd import fit_sgd, max_row_norm2, partial_fit_sgd  # noqa: E402,F401  (uses the above)
