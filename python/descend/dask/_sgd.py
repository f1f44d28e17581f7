"""SGDRegressor and SGDClassifier on dask arrays: the chunk walk of :mod:`._minibatch`.

``fit`` and ``partial_fit`` build one chunked objective per problem (:class:`LinearLoss` for
a regressor, a binary classifier and each class of one versus all, :class:`Softmax` for the
multinomial model), with the in-memory fit's penalties, weights, class weights, rate
(``eta0_``), rule, schedule, seeds and tol rule, and run the rule chunk by chunk where the
chunks are (:func:`._minibatch.walk_epochs`): the parameters, the rule's state and the
averaging state travel, the data stays. What differs from the in-memory fit is the order of
the rows (see the estimators' notes) and so the iterates; everything else is the same rule.
"""

from __future__ import annotations

import warnings

import numpy as np

import dask
import dask.array as da

from .. import _core
from .._first_order import _schedule_for_run
from . import _objectives
from ._minibatch import chunk_params, steps_per_epoch, walk_epochs
from ._objectives import _check_aligned, _check_rows

__all__ = ["fit_sgd", "partial_fit_sgd", "max_row_norm2"]


def max_row_norm2(X) -> float:
    """``max_i ||x_i||^2`` over a dask X's rows (one Dask computation, a task per chunk)."""
    from ..linear_model._sgd import _max_row_norm2

    X = _check_rows(X, rechunk=True)
    parts = [dask.delayed(_max_row_norm2)(block) for block in X.to_delayed().ravel()]
    return float(max(dask.compute(*parts)))


def _refuse(estimator, partial):
    """The parameters that cannot apply on dask arrays raise (never silently ignored)."""
    name = type(estimator).__name__
    if estimator.early_stopping and not partial:
        raise ValueError(
            f"{name}(early_stopping=True) on a dask array: the held-out validation split is "
            "not available over chunks; hold out validation chunks yourself and call "
            "partial_fit epoch by epoch, or set early_stopping=False")
    if estimator.verbose:
        raise ValueError(f"{name}(verbose=...) on a dask array: progress reports are not "
                         "available over chunks; set verbose=False (each epoch is one Dask "
                         "computation, which the Dask dashboard shows)")


def _targets(estimator, X, y, *, first, classes=None):
    """(y as a dask array aligned with X: the encoded classes or the float targets)."""
    from sklearn.base import is_classifier

    y = _check_aligned(y, "y", X)
    if not is_classifier(estimator):
        return y.astype(np.float64)
    if first:
        found = np.asarray(da.unique(y).compute()) if classes is None else np.unique(classes)
        if found.dtype.kind == "f" and not np.isfinite(found).all():
            raise ValueError("Input y contains NaN or infinity.")
        from sklearn.utils.multiclass import check_classification_targets

        check_classification_targets(found)
        if len(found) < 2:
            raise ValueError("The data contains only one class: "
                             f"{found[0]!r}; at least 2 classes are needed")
        estimator.classes_ = found
    known = estimator.classes_

    def encode(block):
        index = np.searchsorted(known, block)
        clipped = np.minimum(index, len(known) - 1)
        if (index >= len(known)).any() or (known[clipped] != block).any():
            raise ValueError("y holds a class that is not in classes")
        return index

    return y.map_blocks(encode, dtype=np.int64)


def _class_weights(estimator, encoded, *, partial):
    """scikit-learn's weight of each class (``_expanded_class_weight``), from y's counts."""
    classes = estimator.classes_
    cw = estimator.class_weight
    if cw is None:
        estimator._expanded_class_weight = np.ones(len(classes))
        return
    if isinstance(cw, str):
        if partial:
            estimator._set_class_weight(None, partial=True)  # raises scikit-learn's error
        counts = np.asarray(da.bincount(encoded, minlength=len(classes)).compute())
        if (counts == 0).any():
            raise ValueError("class_weight='balanced': every class needs samples in y")
        # compute_class_weight("balanced"): n_samples / (n_classes * count)
        estimator._expanded_class_weight = encoded.shape[0] / (
            len(classes) * counts.astype(np.float64))
        return
    from sklearn.utils.class_weight import compute_class_weight

    estimator._expanded_class_weight = np.asarray(
        compute_class_weight(cw, classes=classes, y=classes), dtype=np.float64)


def _problem_weights(estimator, encoded, sample_weight, X, k):
    """The sample weights of problem k (lazy), as ``SGDClassifier._problem_weights``."""
    if getattr(estimator, "class_weight", None) is None:
        return sample_weight
    cw = estimator._expanded_class_weight
    binary = len(estimator.classes_) == 2

    def per_row(block):
        if k is None:
            return cw[block]
        if binary:
            return np.where(block == 1, cw[1], cw[0])
        return np.where(block == k, cw[k], 1.0)

    weights = encoded.map_blocks(per_row, dtype=np.float64)
    if sample_weight is None:
        return weights
    return _check_aligned(sample_weight, "sample_weight", X).astype(np.float64) * weights


def _problem(estimator, X, target, sample_weight, k, multinomial=False):
    """One chunked objective with the in-memory fit's weights, penalties and slope clip."""
    from ..linear_model._sgd import MAX_SLOPE

    l2, l1 = estimator._penalties()
    sw, scaled_total, top = _weights(sample_weight, X)
    if sw is not None:
        # scikit-learn's sum_i s_i loss_i / n + alpha R(w) as a weighted mean: the penalty
        # times n / sum_i s_i (see _SGDModel._weights_and_penalties).
        factor = X.shape[0] / (scaled_total * top)
        l2, l1 = l2 * factor, l1 * factor
    fit_intercept = bool(estimator.fit_intercept)
    if multinomial:
        if l1 > 0:
            raise ValueError("penalty='l1' is supported by multi_class='ovr' only")
        return _objectives.Softmax(X, target, l2=l2, fit_intercept=fit_intercept,
                                   sample_weight=sw, n_classes=len(estimator.classes_))
    if k is not None:
        target = target.map_blocks(lambda b: np.where(b == k, 1.0, -1.0), dtype=np.float64)
    return _objectives.LinearLoss(X, target, loss=estimator.loss, l2=l2, l1=l1,
                                  fit_intercept=fit_intercept, sample_weight=sw,
                                  epsilon=float(estimator.epsilon),
                                  max_slope=MAX_SLOPE)


def _problems(estimator, X, target, sample_weight):
    from sklearn.base import is_classifier

    if not is_classifier(estimator):
        return [_problem(estimator, X, target, sample_weight, None)]
    k = len(estimator.classes_)
    if k > 2 and estimator.multi_class == "multinomial":
        return [_problem(estimator, X, target,
                         _problem_weights(estimator, target, sample_weight, X, None), None,
                         multinomial=True)]
    return [_problem(estimator, X, target, _problem_weights(estimator, target, sample_weight,
                                                             X, j), j)
            for j in ([1] if k == 2 else range(k))]


def _train(estimator, objective, k, seed, *, partial):
    """Run problem k's rule over the chunks from ``_params[k]`` (as ``_SGDModel._train``):
    fit runs up to max_iter epochs with the tol rule and the schedule (per epoch: "cosine",
    "adaptive"; the per-step decays are the rule's own) on a fresh copy of the rule;
    partial_fit one epoch without a schedule, continuing the rule's state (the per-step
    decay's step count included) and the averaging. Returns (status, epochs, last epoch loss, the parameters to report)."""
    from ..linear_model._sgd import _DIVERGENCE_RATIO, _fit_exploded

    if estimator._steppers[k] is None:
        estimator._steppers[k] = estimator._new_stepper()
    stepper = estimator._steppers[k]
    batch = chunk_params(min(int(estimator.batch_size), objective.n_samples),
                         bool(estimator.shuffle))
    start = estimator._average_start()
    average = None
    if start:
        previous = estimator._averages[k] if partial else None
        average = (start, *(previous if previous is not None
                            else (0, 0, np.zeros(objective.n_params))))
    if partial:
        walk = walk_epochs(objective, estimator._params[k], stepper, None, batch,
                           (seed + getattr(estimator, "n_iter_", 0)) % (2**31), 1, full=False,
                           average=average, first_loss=False)
        stepper.set_state(dict(walk.stepper.state()))
    else:
        # The tol rule (early stopping is refused here) and the schedule, "adaptive"'s
        # included, as the in-memory fit's.
        schedule, tol, _ = estimator._stop_rules(objective, None)
        schedule = _schedule_for_run(schedule, int(estimator.max_iter))
        fresh = _core.Stepper(stepper.params())  # fit: the rule from its start
        walk = walk_epochs(objective, estimator._params[k], fresh, schedule, batch, seed,
                           int(estimator.max_iter), full=False, average=average,
                           first_loss=False,
                           callback=None if tol is None else lambda e, x, loss: tol(loss))
    reported = walk.x
    if start:
        _, steps, count, mean = walk.average
        estimator._averages[k] = (steps, count, mean)
        reported = walk.x if steps < start else mean + (walk.x - mean) / float(count + 1)
    fun = float(walk.losses[-1])
    if not partial and (walk.status == "diverged" or _fit_exploded(
            estimator, fun, float(objective.value(np.zeros(objective.n_params))))):
        advice = ("use learning_rate='constant' with a small eta0 (or eta0='auto'), or a "
                  "larger alpha (the first rate of 'optimal' is alpha^(-1/4))"
                  if estimator.learning_rate == "optimal" else "lower eta0")
        raise RuntimeError(
            f"{type(estimator).__name__}(solver={estimator.solver!r}) diverged in epoch "
            f"{walk.nit} on the dask array: the loss became non-finite or grew beyond "
            f"{_DIVERGENCE_RATIO:g} times the zero model's; {advice} "
            f"(the rate was {estimator.eta0_:.3g})")
    estimator._params[k] = walk.x
    return walk.status, walk.nit, fun, reported


def _set_coef(estimator, objectives, xs):
    d = objectives[0].n_features
    fit_intercept = bool(estimator.fit_intercept)
    parts = [_unpack(x, d, getattr(f, "n_classes", None) or 1, fit_intercept)
             for f, x in zip(objectives, xs)]
    coef = np.vstack([c for c, _ in parts])
    estimator.intercept_ = np.concatenate([b for _, b in parts])
    estimator.coef_ = coef[0] if estimator._coef_1d else coef


def _release(objectives):
    for f in objectives:
        f.release()


def fit_sgd(estimator, X, y, sample_weight=None, coef_init=None, intercept_init=None):
    """``fit`` of SGDRegressor and SGDClassifier on a dask array X (see the module notes).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from descend.linear_model import SGDRegressor
    >>> X = da.from_array(np.random.default_rng(0).normal(size=(400, 2)), chunks=(150, 2))
    >>> model = SGDRegressor(random_state=0).fit(X, X @ np.array([2.0, -1.0]) + 0.5)
    >>> model.coef_.round(2).tolist()
    [2.0, -1.0]
    """
    from ..linear_model._base import ConvergenceWarning
    from ..linear_model._sgd import _warn_on_parameter_scales

    estimator._check_sgd_params()
    _refuse(estimator, partial=False)
    X = _check_rows(X, rechunk=True)
    target = _targets(estimator, X, y, first=True)
    if hasattr(estimator, "classes_") and hasattr(estimator, "_set_class_weight"):
        _class_weights(estimator, target, partial=False)
    coef_init, intercept_init = estimator._initial_coefficients(coef_init, intercept_init)
    estimator.n_features_in_ = int(X.shape[1])
    objectives = _problems(estimator, X, target, sample_weight)
    try:
        x0s = estimator._starting_points(coef_init, intercept_init, objectives, X.shape[1])
        estimator._start(X, objectives)
        if x0s is not None:
            estimator._params = list(x0s)
        _warn_on_parameter_scales(type(estimator).__name__, objectives[0])
        reported, epochs, unfinished = [], 0, False
        for k, (f, seed) in enumerate(zip(objectives, estimator._seeds(len(objectives)))):
            status, nit, _, x = _train(estimator, f, k, seed, partial=False)
            f.release()  # one problem's chunks in memory at a time (one versus all)
            unfinished |= estimator.tol is not None and status == "completed"
            epochs = max(epochs, nit)
            reported.append(x)
        if unfinished:
            warnings.warn(
                f"{type(estimator).__name__}(solver={estimator.solver!r}): Maximum number of "
                f"iterations reached before convergence: the epoch loss was still improving "
                f"by more than tol={estimator.tol!r} after max_iter={estimator.max_iter!r} "
                "epochs; consider increasing max_iter or tol", ConvergenceWarning, stacklevel=3)
        estimator.n_iter_ = epochs
        batch = min(int(estimator.batch_size), int(X.shape[0]))
        estimator.t_ = float(epochs * steps_per_epoch(X.chunks[0], batch))
        _set_coef(estimator, objectives, reported)
    finally:
        _release(objectives)
    estimator.validation_scores_ = estimator.best_score_ = None
    return estimator


def partial_fit_sgd(estimator, X, y, sample_weight=None, classes=None):
    """``partial_fit`` on a dask array: one epoch of the chunk walk, continuing the rule's
    state, the averaging and the rate (as the in-memory ``partial_fit``; the model is left as
    it was when the call raises)."""
    from ..linear_model._sgd import _DIVERGENCE_RATIO, _exploded
    from ._estimators import _check_features

    first = not hasattr(estimator, "_params")
    if first:
        estimator._check_sgd_params()
        if hasattr(estimator, "_set_class_weight") and classes is None:
            raise ValueError("classes must be given on the first call to partial_fit")
    _refuse(estimator, partial=True)
    with estimator._unchanged_on_error():
        X = _check_rows(X, rechunk=True) if first else _check_features(estimator, X)
        target = _targets(estimator, X, y, first=first, classes=classes)
        if hasattr(estimator, "_set_class_weight"):
            if estimator.class_weight is not None:
                estimator._check_sgd_params()
            _class_weights(estimator, target, partial=True)
        if first:
            estimator.n_features_in_ = int(X.shape[1])
        objectives = _problems(estimator, X, target, sample_weight)
        try:
            if first:
                estimator._start(X, objectives)
            else:
                estimator._set_eta0(X, reset=False)
            n = int(X.shape[0])
            loss = getattr(estimator, "_stream_loss", 0.0)
            null = getattr(estimator, "_stream_null_loss", 0.0)
            diverged, reported = False, []
            seeds = estimator._seeds(len(objectives))
            for k, f in enumerate(objectives):
                status, _, fun, x = _train(estimator, f, k, seeds[k], partial=True)
                loss += n * fun
                null += n * float(f.value(np.zeros(f.n_params)))
                diverged |= status == "diverged" or not np.isfinite(estimator._params[k]).all()
                reported.append(x)
            if diverged or _exploded(loss, null):
                raise RuntimeError(
                    f"{type(estimator).__name__}.partial_fit diverged on the dask array "
                    f"(solver={estimator.solver!r}): the loss on the batches seen so far is "
                    f"{loss / null if null > 0 else np.inf:.3g} times that of the zero model "
                    f"(more than {_DIVERGENCE_RATIO:g}); lower eta0 (the rate was "
                    f"{estimator.eta0_:.3g}). The model is left as it was before this call.")
            estimator._stream_loss, estimator._stream_null_loss = loss, null
            estimator.n_iter_ = getattr(estimator, "n_iter_", 0) + 1
            _set_coef(estimator, objectives, reported)
        finally:
            _release(objectives)
    return estimator


# At the end: _estimators imports this module's functions at its own end, so either module
# may be imported first without meeting the other half-initialised.
from ._estimators import _unpack, _weights  # noqa: E402
