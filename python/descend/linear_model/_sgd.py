"""SGDRegressor and SGDClassifier: the update rules on mini-batches, for ``fit`` (epochs from
zero) and ``partial_fit`` (one epoch, continuing the rule's state), through one path:
``_SGDModel._train`` and the solver layer's mini-batch loop (``_run_epochs``).

An estimator trains one or more *problems*, each an objective with its own parameters, rule
state and (with ``average``) running average: one for a regressor, a binary classifier or the
joint multinomial model, one per class for a one-versus-all classifier. They are trained one
after the other, each with its own seed."""

from __future__ import annotations

import contextlib
import functools
import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.utils.metaestimators import available_if

from .. import _core
from .. import schedules as _schedules
from .._first_order import _schedule_for_run, minibatch_params
from .._minimize import _METHODS
from .._progress import ProgressReporter
from .._result import Result
from .._validation import check_bool, check_int, check_real
from ..objectives import CLASSIFICATION_LOSSES, REGRESSION_LOSSES, LinearLoss, Softmax
from ..optimizers import make_stepper
from ._base import (
    _combined_weights,
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    RegressorMixin,
    _choice,
    _coefficients,
    _check_X,
    _SCORE_DOC,
    _dask_adapter,
    _score,
    _check_Xy,
    _check_sample_weight,
    _check_n_jobs,
    _check_verbose,
    _pack,
    _LinearClassifier,
    _sample_weights,
    _sparse_input_tags,
    check_classification_targets,
    check_is_fitted,
    check_random_state,
    is_sparse,
)

#: A bound on each loss's second derivative in the margin (eta0="auto" divides by it): 1/4 for
#: the log-loss, 2 for the squared losses whose factor is not halved (scikit-learn's
#: definitions), 1 for the squared error and Huber, and 1 for the kinked losses, whose
#: subgradient steps then move the stepped sample's margin by at most about one unit.
_CURVATURE = {"log_loss": 0.25, "squared_error": 1.0, "huber": 1.0, "hinge": 1.0,
              "perceptron": 1.0, "epsilon_insensitive": 1.0, "squared_hinge": 2.0,
              "modified_huber": 2.0, "squared_epsilon_insensitive": 2.0}

#: The losses whose predict_proba scikit-learn gives.
_PROBA_LOSSES = ("log_loss", "modified_huber")

#: The estimators' ``solver`` names and the update rule of minimize each one is: "sgd" (the
#: estimators' and scikit-learn's name) is the plain gradient step, the rule "gd".
SOLVERS = {"sgd": "gd", "momentum": "momentum", "nesterov": "nesterov", "adagrad": "adagrad",
           "rmsprop": "rmsprop", "adam": "adam", "adamw": "adamw"}

#: The estimators' learning_rate names: scikit-learn's four, with its meanings, and descend's
#: "cosine" (annealing per epoch over max_iter epochs).
LEARNING_RATES = ("optimal", "constant", "invscaling", "adaptive", "cosine")

#: The schedules that decay the rate at every step (the plain gradient step's own decay).
_PER_STEP = ("optimal", "invscaling")


def _max_row_norm2(X, block=8192):
    """The largest squared row norm ``max_i ||x_i||^2`` of a dense or sparse X, in float64.

    Dense X: one pass (einsum, no n x d temporary). Sparse X (CSR): from the stored values,
    O(nnz), by blocks of `block` rows (the squares of one block at a time, never a temporary
    of all nnz values and never a densified X); a non-canonical CSR (duplicate entries, which
    stand for their sum) is first summed into a canonical copy.
    """
    if (dask := _dask_adapter(X)) is not None:  # a dask array: a task per chunk
        return dask.max_row_norm2(X)
    if not is_sparse(X):
        return float(np.einsum("ij,ij->i", X, X, dtype=np.float64).max())
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if X.nnz == 0:
        return 0.0
    indptr = np.asarray(X.indptr)
    largest = 0.0
    for first in range(0, X.shape[0], block):
        last = min(first + block, X.shape[0])
        begin, end = int(indptr[first]), int(indptr[last])
        if end == begin:
            continue
        starts = indptr[first:last]
        stored = indptr[first + 1:last + 1] > starts
        squares = np.square(X.data[begin:end], dtype=np.float64)
        # reduceat sums each row's squares; rows without entries are skipped (norm 0).
        largest = max(largest, float(np.add.reduceat(squares, starts[stored] - begin).max()))
    return largest


@functools.lru_cache(maxsize=64)
def _epoch_options(rule, lr, batch_size, shuffle):
    """minimize's validated options for one partial_fit epoch of `rule` (the seed aside)."""
    return _METHODS[rule].parse({"lr": lr, "batch_size": batch_size, "shuffle": shuffle,
                                 "epoch_loss": "running", "epochs": 1, "tol": None,
                                 "n_iter_no_change": 1})


class _EarlyStopping:
    """scikit-learn's early-stopping rule, once an epoch: stop after `n` epochs in a row whose
    validation score was not above the best so far plus `tol` (never when tol is None)."""

    def __init__(self, score, tol, n):
        self.score, self.tol, self.n = score, tol, n
        self.best, self.count = -np.inf, 0
        self.scores: list[float] = []

    def __call__(self, x):
        value = self.score(x)
        self.scores.append(value)
        if self.tol is not None and value < self.best + float(self.tol):
            self.count += 1
        else:
            self.count = 0
        self.best = max(self.best, value)
        return self.count >= self.n


#: The spread of the parameters' curvature scales (a feature's mean square plus alpha, an
#: intercept's 1) beyond which one learning rate cannot suit them all.
SCALE_SPREAD_WARNING = 1e10


def _warn_on_parameter_scales(name, objective):
    """Warn (ConvergenceWarning) when the parameters' curvature scales span more than
    SCALE_SPREAD_WARNING: SGD takes one learning rate for every parameter, so the rate that
    is stable for the largest leaves the smallest where it started (features at 1e8 with an
    intercept: the intercept never moves)."""
    bound = _scale_spread_bound(objective)
    if bound is not None and bound <= SCALE_SPREAD_WARNING:
        return
    scales = objective.parameter_scales()
    if scales is None or len(scales) < 2:
        return
    spread = float(np.max(scales) / np.min(scales))
    if spread > SCALE_SPREAD_WARNING:
        warnings.warn(
            f"{name}: the parameters' curvature scales (each feature's mean square plus alpha, "
            f"and 1 for the intercept) span a factor of {spread:.3g}: SGD's one learning rate "
            f"cannot suit them all, and the fit may stop far from the optimum; standardise "
            f"the features (e.g. sklearn.preprocessing.StandardScaler), or use "
            f"LogisticRegression / Ridge, whose solvers are invariant to the scales",
            ConvergenceWarning, stacklevel=5)


def _scale_spread_bound(objective):
    """An upper bound on the spread of ``objective.parameter_scales()`` from one sum over a
    sparse X's stored values, or None (dense X, no L2 penalty, or not an in-memory objective).

    The exact scales scatter every stored value into its column (on text-like data with
    p = 2**22 columns, 90 ms per fit, more than an epoch). On sparse data the bound nearly
    always settles the question: each scale lies between min(1, l2) and
    max(1, l2 + max(s) sum(x^2) / sum(s)) (a column's weighted mean square is at most the sum
    over all the stored values, each weighted by the largest sample weight).
    """
    X = getattr(objective, "X", None)
    l2 = float(getattr(objective, "l2", 0.0))
    if X is None or not is_sparse(X) or not l2 > 0.0:
        return None
    weights = objective.sample_weight
    if weights is None:
        top, total = 1.0, float(X.shape[0])
    else:
        top, total = float(np.max(weights)), float(np.sum(weights, dtype=np.float64))
    data = X.data
    # By slices, in float64 sums: float32 squares of up to 65,536 values cannot overflow.
    squares = 0.0
    for start in range(0, data.size, _SQUARES_SLICE):
        part = data[start:start + _SQUARES_SLICE]
        squares += float(np.dot(part, part))
    if not (total > 0.0 and np.isfinite(squares)):
        return None
    return max(1.0, l2 + top * squares / total) / min(1.0, l2)


#: Stored values summed at a time by _scale_spread_bound.
_SQUARES_SLICE = 1 << 16


#: The share of each step the intercept takes on sparse X with solver "sgd": scikit-learn's
#: SGD damps the intercept's steps on sparse rows by this factor (its SPARSE_INTERCEPT_DECAY),
#: and a drop-in fit takes the same steps.
SPARSE_INTERCEPT_SHARE = 0.01


def _intercept_share(X, solver):
    """The intercept's share of each step for a fit on X: SPARSE_INTERCEPT_SHARE on sparse X
    with scikit-learn's algorithm (solver "sgd"), else 1 (descend's other rules are not
    scikit-learn's and take the full step)."""
    return SPARSE_INTERCEPT_SHARE if is_sparse(X) and SOLVERS[solver] == "gd" else 1.0


def _run_epochs(objective, x0, stepper, options, callback=None, *, keep_state=False,
                intercept_share=1.0):
    """The compiled mini-batch loop, as the solver layer's ``run_rule`` calls it, with one
    difference: the stop monitor's rule that a loss which rose for a few epochs in a row,
    above its start, has diverged is off. scikit-learn's estimators stop only on a
    non-finite loss; and the start's loss is no reference for losses whose zero model is a
    minimiser of the loss (the perceptron's is 0, which any later epoch's exceeds). A
    non-finite loss still ends the run "diverged"; the estimators check the loss's size
    themselves (``_exploded``). `intercept_share` is the share of each step the intercept
    takes (``_intercept_share``).
    """
    params = minibatch_params(options, keep_state)
    params.intercept_share = float(intercept_share)
    params.divergence_patience = params.epochs + 1  # more rises than epochs: never
    schedule = _schedule_for_run(options["schedule"], options["epochs"])
    return _core.run_minibatch(objective, x0, stepper, schedule, params, callback, None)


#: A run has exploded when its loss is beyond this multiple of the zero model's loss.
_DIVERGENCE_RATIO = 1e4


def _exploded(loss, null):
    """Whether `loss` is non-finite or more than _DIVERGENCE_RATIO times the zero model's
    loss `null` (when that is 0, as the perceptron's, only a non-finite loss counts)."""
    return not np.isfinite(loss) or (null > 0 and loss > _DIVERGENCE_RATIO * null)


def _fit_exploded(estimator, loss, null):
    """fit's divergence rule: a non-finite loss always; a loss beyond _DIVERGENCE_RATIO times
    the zero model's only at eta0="auto", a rate no sample can make unstable, so that such a
    loss is an anomaly. scikit-learn's rates (a given eta0, "optimal") may take large first
    steps by design (on rows of norm 100, or "optimal" at a small alpha, the iterate's loss
    can stay far above the zero model's for many epochs): as scikit-learn's, the fit then
    raises only on overflow."""
    if not np.isfinite(loss):
        return True
    auto = isinstance(estimator.eta0, str) and estimator.learning_rate != "optimal"
    return auto and _exploded(loss, null)


#: scikit-learn's "adaptive" rate: divided by this when the stop rule fires, while above
#: _ADAPTIVE_FLOOR (then the run stops).
_ADAPTIVE_DIVISOR, _ADAPTIVE_FLOOR = 5.0, 1e-6

#: scikit-learn's bound on each loss slope (its MAX_DLOSS): the SGD estimators' objectives clip
#: there (descend.objectives.LinearLoss's max_slope), so that a squared loss under a large
#: first rate ("optimal") keeps finite steps and can come back, as scikit-learn's does.
MAX_SLOPE = 1e12


class _Adaptive:
    """scikit-learn's learning_rate="adaptive": the rate stays at eta0 until the stop rule
    (`rule`: the tol rule on the training loss or early stopping, each with a ``count`` of
    epochs without improvement) fires; then, while the rate is above 1e-6, it is divided by 5
    and the count starts again instead of stopping. It is the run's schedule, read at the
    start of every epoch: called, the current rate (a callable schedule's convention);
    ``factor(epoch)``, its factor of eta0 (a Schedule's, as the Dask chunk walk reads it)."""

    def __init__(self, eta0, rule):
        self.eta0, self.rule, self.scale = float(eta0), rule, 1.0

    def __call__(self, epoch):
        return self.eta0 * self.scale

    def factor(self, epoch):
        return self.scale

    def stop(self, value):
        if not self.rule(value):
            return False
        if self.eta0 * self.scale > _ADAPTIVE_FLOOR:
            self.scale /= _ADAPTIVE_DIVISOR
            self.rule.count = 0
            return False
        return True


#: The loss of a zero margin on a -1/+1 label, for the classification losses.
_ZERO_MARGIN_LOSS = {"hinge": 1.0, "squared_hinge": 1.0, "modified_huber": 1.0,
                     "log_loss": float(np.log(2.0)), "perceptron": 0.0}


def _zero_model_loss(objective):
    """The objective's value at zero (all weights and the intercept 0), read from y and the
    sample weights alone, O(n) with no pass over X: a zero margin's loss does not depend on
    the label for the classification losses (log K for the softmax of K classes), and is
    loss(y_i, 0) for the regression losses, their weighted mean here."""
    if isinstance(objective, Softmax):
        return float(np.log(objective.n_classes))
    loss = objective.loss
    if loss in _ZERO_MARGIN_LOSS:
        return _ZERO_MARGIN_LOSS[loss]
    y, e = np.asarray(objective.y, dtype=np.float64), float(objective.epsilon)
    r = np.abs(y)
    if loss == "squared_error":
        values = 0.5 * r * r
    elif loss == "huber":
        values = np.where(r <= e, 0.5 * r * r, e * r - 0.5 * e * e)
    elif loss == "epsilon_insensitive":
        values = np.maximum(r - e, 0.0)
    else:  # squared_epsilon_insensitive
        values = np.maximum(r - e, 0.0) ** 2
    w = objective.sample_weight
    return float(values.mean() if w is None else np.average(values, weights=np.asarray(w)))


#: Beyond this many epsilons, huber and epsilon_insensitive are about linear in a residual.
_LINEAR_BEYOND = 10.0


def _regression_tol_unit(loss, epsilon, y, sample_weight, fit_intercept, compute=None):
    """SGDRegressor's unit of ``tol``, from s^2, the weighted mean square of y about its
    weighted mean (about 0 without an intercept; s^2 = mean(y^2) when y is constant, 1 when
    y is 0):

    - squared_error and squared_epsilon_insensitive: s^2. Their steps grow with y, so a fit
      of y c runs the steps of y times c and its losses times c^2 (up to epsilon): a unit
      of the loss's degree keeps the rule (n_iter_) the same at any scale, where an absolute
      tol stops a fit of y 1e-8 at once and keeps one of y 1e8 going to max_iter.
    - huber: min(2 H, (10 epsilon)^2), H the weighted mean huber loss of y about the same
      centre (2 H = s^2 when y stays within epsilon of it; 0.14 on standardized y with
      epsilon = 0.1, stricter than scikit-learn's tol, whose absolute rule there stops
      check_estimator's regression fit at R^2 0.38); epsilon_insensitive: min(s, 10 epsilon)
      (s when epsilon is 0). Within epsilon huber is the squared error (the unit s^2); where
      most residuals are beyond 10 epsilon both losses are about linear in them, their
      slopes bounded (by epsilon, by 1) whatever y's size, so a step lowers the loss by an
      amount that does not grow with y: there the unit stops growing and the rule is
      scikit-learn's absolute one (a unit of the loss's size would stop such fits sooner).
      Rescaling y and epsilon together rescales the unit as the loss.

    On standardized y (mean 0, variance 1) with the default epsilon = 0.1 every unit but
    huber's is 1: scikit-learn's absolute tol. Works on numpy and dask arrays (`compute`, a dask
    objective's, computes their sums)."""
    def xp_sum(a):
        return float(a.sum() if compute is None else compute(a.sum()))

    y = y.astype(np.float64) if hasattr(y, "astype") else np.asarray(y, np.float64)
    w = sample_weight
    total = float(y.shape[0]) if w is None else xp_sum(w)
    weigh = (lambda a: a) if w is None else (lambda a: w * a)
    centre = xp_sum(weigh(y)) / total if fit_intercept and total > 0 else 0.0
    square = xp_sum(weigh((y - centre) ** 2)) / total if total > 0 else 0.0
    if not square > 0.0 and total > 0:  # constant y with an intercept
        square = xp_sum(weigh(y * y)) / total
    if not (np.isfinite(square) and square > 0.0):
        return 1.0
    if loss == "huber" and epsilon > 0.0:
        r = abs(y - centre)
        huber = xp_sum(weigh(np.minimum(r, epsilon) * (r - 0.5 * np.minimum(r, epsilon))))
        twice = 2.0 * huber / total
        if twice > 0.0:
            return min(twice, (_LINEAR_BEYOND * epsilon) ** 2)
    if loss == "epsilon_insensitive":
        root = float(np.sqrt(square))
        return min(root, _LINEAR_BEYOND * epsilon) if epsilon > 0.0 else root
    return square


class _LossTol:
    """scikit-learn's tol rule on the training loss, once an epoch: stop after `n` epochs in
    a row whose epoch loss (the mean of its batch losses, penalty included) was not below
    the best epoch loss so far minus `tol`. The best starts at +inf, as scikit-learn's: the
    start's loss does not count, so the first epochs of a schedule that begins with large
    steps ("optimal") are not held against it."""

    def __init__(self, tol, n):
        self.tol, self.n = float(tol), n
        self.best, self.count = np.inf, 0

    def __call__(self, loss):
        self.count = self.count + 1 if loss > self.best - self.tol else 0
        self.best = min(self.best, loss)
        return self.count >= self.n


class _SGDModel(BaseEstimator):
    """Stochastic gradient descent on mini-batches for the linear models (shared parts)."""

    # The training state partial_fit carries between calls, one entry per problem (declared
    # for type checkers): the plain iterates, the compiled rules, the averaging states
    # (steps, count, mean) or None.
    _max_row_norm2: float
    _steppers: list
    _params: list
    _averages: list

    def __sklearn_tags__(self):
        return _sparse_input_tags(super().__sklearn_tags__())

    #: scikit-learn's losses for this estimator (descend trains them all).
    _LOSSES: tuple[str, ...] = ()

    def _set_params(self, params):
        """__init__'s body: store every parameter as it was given (scikit-learn's rule)."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def _check_sgd_params(self):
        _choice(self.loss, "loss", self._LOSSES)
        _choice(self.penalty, "penalty", ("l2", "l1", "elasticnet", None))
        check_real(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
        check_real(self.epsilon, "epsilon", low=0.0)
        check_real(self.alpha, "alpha", low=0.0)
        check_bool(self.early_stopping, "early_stopping")
        check_real(self.validation_fraction, "validation_fraction", low=0.0, high=1.0,
                   low_open=True, high_open=True)
        check_bool(self.warm_start, "warm_start")
        self._average_start()
        check_bool(self.fit_intercept, "fit_intercept")
        check_int(self.max_iter, "max_iter", low=1)
        if self.tol is not None:
            check_real(self.tol, "tol", low=0.0)
        check_bool(self.shuffle, "shuffle")
        _choice(self.learning_rate, "learning_rate", LEARNING_RATES)
        if not (isinstance(self.solver, str) and self.solver in SOLVERS):
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        if self.learning_rate == "optimal" and not float(self.alpha) > 0.0:
            raise ValueError("alpha must be > 0 since learning_rate is 'optimal' (the rate "
                             "is 1 / (alpha (t0 + t)))")
        if not (isinstance(self.eta0, str) and self.eta0 == "auto"):
            if not isinstance(self.eta0, numbers.Real) or isinstance(self.eta0, (bool, np.bool_)):
                raise ValueError(f"eta0 must be 'auto' or a number > 0, got {self.eta0!r}")
            check_real(self.eta0, "eta0", low=0.0, low_open=True)
        if self.learning_rate == "invscaling":
            check_real(self.power_t, "power_t", low=0.0)
        else:
            check_real(self.power_t, "power_t")
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_int(self.batch_size, "batch_size", low=1)
        check_real(self.momentum, "momentum", low=0.0, high=1.0, high_open=True)
        _check_verbose(self.verbose)
        if self.learning_rate in _PER_STEP and SOLVERS[self.solver] != "gd":
            raise ValueError(f"learning_rate={self.learning_rate!r} (a default) decays the "
                             f"rate at every step, which only solver='sgd' does; with "
                             f"solver={self.solver!r} pass learning_rate='constant', "
                             f"'adaptive' or 'cosine'")

    def _average_start(self):
        """The first step averaged (``average``: True is 1, an int n is n, False or 0 off)."""
        if isinstance(self.average, (bool, np.bool_)):
            return int(self.average)
        return check_int(self.average, "average", low=0)

    def _penalties(self):
        """(l2, l1) of the objective: elasticnet is alpha ((1 - l1_ratio) ||w||^2 / 2 +
        l1_ratio ||w||_1), as scikit-learn's."""
        alpha = float(self.alpha)
        if self.penalty == "elasticnet":
            r = float(self.l1_ratio)
            return (1.0 - r) * alpha, r * alpha
        return {"l2": (alpha, 0.0), "l1": (0.0, alpha), None: (0.0, 0.0)}[self.penalty]

    def _weights_and_penalties(self, sample_weight, X):
        """The objective's weights and (l2, l1), scikit-learn's objective rescaled.

        scikit-learn's SGD minimises ``sum_i s_i loss_i / n + alpha R(w)``; descend's
        objectives are weighted *means*, ``sum_i s_i loss_i / S`` (S the sum of the
        weights), so the same minimiser has the penalty times ``n / S``. The weights are
        divided by their maximum (the mean does not change; it keeps sums in range).
        """
        l2, l1 = self._penalties()
        sw, top = _sample_weights(sample_weight, X)
        if sw is not None:
            factor = X.shape[0] / (float(sw.sum()) * top)
            l2, l1 = l2 * factor, l1 * factor
        return sw, l2, l1

    def _schedule(self):
        """The per-epoch schedule of fit: cosine's, or None (the per-step rates are the
        rule's own decay, see _decay; "adaptive" is built by _stop_rules)."""
        if self.learning_rate == "cosine":
            return _schedules.cosine(int(self.max_iter))
        return None

    def _decay(self):
        """The rule's (lr_decay, lr_power), step t's rate being eta0_ / (1 + (t - 1)
        lr_decay)^lr_power with t counted over fit (from 1) and over partial_fit's calls, as
        scikit-learn's t: "optimal" (lr_decay = typw alpha, power 1, eta0_ = typw gives
        1 / (alpha (t0 + t - 1))), "invscaling" (1, power_t: eta0 / t^power_t), else none."""
        if self.learning_rate == "optimal":
            return self._lr_decay, 1.0
        if self.learning_rate == "invscaling":
            return 1.0, float(self.power_t)
        return 0.0, 1.0

    def _stop_rules(self, objective, monitor):
        """fit's (schedule, tol rule, monitor): the tol rule on the training loss (None
        without tol, or with early stopping's `monitor`); with learning_rate="adaptive" the
        rule that fires divides the rate instead (see _Adaptive), the schedule following it."""
        tol = None
        if monitor is None and self.tol is not None:
            tol = _LossTol(float(self.tol) * self._tol_unit(objective),
                           int(self.n_iter_no_change))
        schedule = self._schedule()
        if self.learning_rate == "adaptive" and (tol is not None or monitor is not None):
            adaptive = _Adaptive(self.eta0_, tol if tol is not None else monitor)
            schedule = adaptive
            if tol is not None:
                tol = adaptive.stop
            else:
                monitor = adaptive.stop
        return schedule, tol, monitor

    def _set_eta0(self, X, *, reset):
        """Set ``eta0_``; with eta0='auto', ``1 / (c max ||x_i||^2 + alpha)`` over every row seen.

        That step is stable for any sample or batch (``c`` bounds the loss's curvature). With
        ``reset=False`` (partial_fit) the maximum runs over all the calls so far, so a later,
        larger row lowers the rate; the rule's state (momentum, moments) is kept.
        """
        if self.learning_rate == "optimal":
            # scikit-learn's schedule 1 / (alpha (t0 + t - 1)) at step t, with its heuristic
            # t0 = 1 / (typw alpha), typw = alpha^(-1/4): the rule's lr_decay does it, as
            # eta0_ / (1 + (t - 1) lr_decay) with eta0_ = typw and lr_decay = typw alpha.
            typw = float(self.alpha) ** -0.25
            self.eta0_, self._lr_decay = typw, typw * float(self.alpha)
            return
        if not (isinstance(self.eta0, str) and self.eta0 == "auto"):
            self.eta0_ = float(self.eta0)
            return
        largest = _max_row_norm2(X) + (1.0 if self.fit_intercept else 0.0)
        if not reset and largest <= self._max_row_norm2:
            return
        self._max_row_norm2 = largest if reset else max(largest, self._max_row_norm2)
        self.eta0_ = 1.0 / (_CURVATURE[self.loss] * self._max_row_norm2 + float(self.alpha))
        self._steppers = [None if stepper is None else self._new_stepper(stepper.state())
                          for stepper in getattr(self, "_steppers", [])]

    def _new_stepper(self, state=None):
        """Build the compiled update rule at the current ``eta0_``, with `state` (a dict)."""
        rule = SOLVERS[self.solver]
        hyper = {"lr": self.eta0_, "weight_decay": 0.0}  # the penalty is the objective's
        if self.learning_rate in _PER_STEP:
            hyper["lr_decay"], hyper["lr_power"] = self._decay()
        if rule in ("momentum", "nesterov"):
            hyper["momentum"] = float(self.momentum)
        stepper = make_stepper(rule, **hyper)
        if state:
            stepper.set_state(dict(state))
        return stepper

    def _tol_unit(self, objective):
        """What ``tol`` is measured in (the rule of ``_regression_tol_unit``): 1, scikit-learn's
        absolute tol, for the classifiers (the losses of margins on -1/+1 labels do not
        change when X is rescaled); for SGDRegressor a unit that is 1 on standardized y with
        the default epsilon and scales as the loss does when y (and epsilon) are rescaled."""
        if isinstance(self, ClassifierMixin):
            return 1.0
        return _regression_tol_unit(objective.loss, float(objective.epsilon), objective.y,
                                    objective.sample_weight, bool(objective.fit_intercept),
                                    compute=getattr(objective, "_compute", None))

    def _seeds(self, count):
        """One seed per problem, drawn from ``random_state`` one after the other."""
        state = check_random_state(self.random_state)
        return [int(state.randint(np.iinfo(np.int32).max)) for _ in range(count)]

    def _train(self, objective, k, seed, *, partial, monitor=None):
        """Run the rule of problem `k` from ``_params[k]``: the one path of fit and
        partial_fit.

        ``fit`` (``partial=False``) runs up to ``max_iter`` epochs with the tol rule and the
        schedule, on a fresh copy of the rule; ``partial_fit`` one epoch without a schedule,
        continuing the rule's state (``keep_state``) and leaving it where the epoch ended.
        With ``average`` the run goes through a ``_core.IterateAverage`` of `objective`
        (continuing the problem's averaging state in partial_fit), which keeps the running
        mean of the iterates. Returns the :class:`descend.Result` and the parameters to report
        (the averaged ones, once averaging has begun); raises RuntimeError when the run
        diverged.
        """
        if self._steppers[k] is None:
            self._steppers[k] = self._new_stepper()
        rule = SOLVERS[self.solver]
        batch = min(int(self.batch_size), objective.n_samples)
        tol = None
        if partial:
            # The same validated options on every call but the seed (partial_fit runs in
            # tight loops: they are parsed once per rate, batch size and shuffle flag).
            options = {**_epoch_options(rule, self.eta0_, batch, bool(self.shuffle)),
                       "seed": (seed + getattr(self, "n_iter_", 0)) % (2**31)}
        else:
            schedule, tol, monitor = self._stop_rules(objective, monitor)
            options = _METHODS[rule].parse({
                "lr": self.eta0_, "batch_size": batch, "shuffle": bool(self.shuffle),
                "epoch_loss": "running", "epochs": int(self.max_iter), "seed": seed,
                "tol": None,  # the rules of early stopping or tol are applied below
                "n_iter_no_change": int(self.n_iter_no_change),
                "schedule": schedule})
        reporter = None
        if _check_verbose(self.verbose) and not partial:
            reporter = ProgressReporter(rule, options["epochs"])
        callback: Any = reporter
        if monitor is not None or tol is not None:
            def callback(info, reporter=reporter):
                stop = bool(reporter(info)) if reporter is not None else False
                if monitor is not None:
                    stop = monitor(info.x) or stop
                if tol is not None:
                    stop = tol(float(info.loss)) or stop
                return stop
        start = self._average_start()
        run_on = objective
        if start:
            run_on = _core.IterateAverage(objective, start)
            if partial and self._averages[k] is not None:
                run_on.set_state(*self._averages[k])
        raw = _run_epochs(run_on, self._params[k], self._steppers[k], options, callback,
                          keep_state=partial,
                          intercept_share=getattr(self, "_intercept_share_", 1.0))
        result = Result._from_core(raw, rule)
        reported = result.x
        if start:
            self._averages[k] = (run_on.steps, run_on.count, run_on.mean)
            reported = run_on.average(result.x)
        if reporter is not None:
            reporter.close(result)
        null = _zero_model_loss(objective) if not partial else 0.0
        if not partial and (result.status == "diverged" or _fit_exploded(
                self, float(result.fun), null)):
            advice = ("use learning_rate='constant' with a small eta0 (or eta0='auto'), or a "
                      "larger alpha (the first rate of 'optimal' is alpha^(-1/4))"
                      if self.learning_rate == "optimal" else "lower eta0")
            raise RuntimeError(
                f"{type(self).__name__}(solver={self.solver!r}) diverged in epoch "
                f"{int(result.nit)}: the loss became non-finite or grew beyond "
                f"{_DIVERGENCE_RATIO:g} times the zero model's; {advice} "
                f"(the rate was {self.eta0_:.3g})")
        if not partial and _exploded(float(result.fun), null):
            # scikit-learn's rates may end there, and scikit-learn says nothing: say it.
            warnings.warn(
                f"{type(self).__name__}(learning_rate={self.learning_rate!r}) ended with a "
                f"training loss {float(result.fun) / null:.3g} times that of the zero model: "
                f"the rate is too large for these data (standardise X, e.g. with "
                f"sklearn.preprocessing.StandardScaler, or lower eta0)",
                ConvergenceWarning, stacklevel=4)
        return result, reported

    #: coef_ of shape (n_features,) (a regressor) instead of (k, n_features).
    _coef_1d = False

    def _set_coef(self, objectives, xs):
        """coef_ and intercept_ from the parameters of each problem (their rows stacked;
        _coefficients: multinomial ones centred)."""
        parts = [_coefficients(f, x, bool(self.fit_intercept)) for f, x in zip(objectives, xs)]
        # One problem's rows are already a fresh array: no second copy (32 MB at 2**22).
        coef = parts[0][0] if len(parts) == 1 else np.vstack([c for c, _ in parts])
        self.intercept_ = np.concatenate([b for _, b in parts])
        self.coef_ = coef[0] if self._coef_1d else coef

    def _fit(self, X, objectives, x0s=None, monitors=None):
        """fit: each problem from its `x0s` entry (zero by default), up to max_iter epochs;
        `monitors[k](x)` (early stopping) sees problem k's parameters after every epoch and
        returns True to stop. Returns the parameters to report."""
        self._start(X, objectives)
        self._intercept_share_ = _intercept_share(X, self.solver)
        if x0s is not None:
            self._params = list(x0s)
        _warn_on_parameter_scales(type(self).__name__, objectives[0])
        reported, epochs, unfinished = [], 0, False
        for k, (objective, seed) in enumerate(zip(objectives, self._seeds(len(objectives)))):
            monitor = None if monitors is None else monitors[k]
            result, x = self._train(objective, k, seed, partial=False, monitor=monitor)
            # With a tol, running every epoch means the tol rule never fired (when it or
            # early stopping fires, the status is "callback": scikit-learn's normal stop, no
            # warning); with tol=None, running every epoch is what was asked.
            unfinished |= self.tol is not None and result.status in ("max_iter", "completed")
            epochs = max(epochs, int(result.nit))
            self._params[k] = result.x
            reported.append(x)
        if unfinished:
            warnings.warn(
                f"{type(self).__name__}(solver={self.solver!r}): Maximum number of iterations "
                f"reached before convergence: the epoch loss was still improving by more than "
                f"tol={self.tol!r} after max_iter={self.max_iter!r} epochs; consider increasing "
                f"max_iter or tol", ConvergenceWarning, stacklevel=3)
        self.n_iter_ = epochs
        n = objectives[0].n_samples
        self.t_ = float(epochs * -(-n // min(int(self.batch_size), n)))
        return reported

    def _initial_coefficients(self, coef_init, intercept_init):
        """fit's start: `coef_init` and `intercept_init` as given, or with ``warm_start`` the
        previous fit's; a nonzero intercept_init without an intercept is refused."""
        if intercept_init is not None and not self.fit_intercept and np.any(
                np.asarray(intercept_init, dtype=np.float64) != 0):
            raise ValueError("intercept_init must be zero (or None) when fit_intercept=False: "
                             "descend fits no fixed offset")
        if self.warm_start and coef_init is None and intercept_init is None and hasattr(
                self, "coef_"):
            return self.coef_, self.intercept_
        return coef_init, intercept_init

    def _starting_points(self, coef_init, intercept_init, objectives, n_features):
        """Each problem's starting parameters from `coef_init` and `intercept_init` (zero
        where one is None), or None when both are None (the problems start at zero)."""
        if coef_init is None and intercept_init is None:
            return None
        fit_intercept = bool(self.fit_intercept)
        n_params = sum(f.n_params for f in objectives)
        rows = n_params // (n_features + int(fit_intercept))
        coef = (np.zeros((rows, n_features)) if coef_init is None
                else np.asarray(coef_init, dtype=np.float64))
        return np.split(_pack(coef, intercept_init, fit_intercept, n_params), len(objectives))

    def _fit_data(self, X, target, sample_weight, coef_init, intercept_init, stratify=None):
        """fit on validated data: the early-stopping split, the start, the epochs.

        `target` is y (a regressor) or the encoded classes; `stratify` the labels a
        classifier's validation split keeps the proportions of (scikit-learn's rule). The
        split is made once, for every problem.
        """
        coef_init, intercept_init = self._initial_coefficients(coef_init, intercept_init)
        monitor = None
        X_valid = y_valid = w_valid = None
        if self.early_stopping:
            from sklearn.model_selection import train_test_split

            rows = np.arange(X.shape[0])
            try:
                train, valid = train_test_split(
                    rows, test_size=float(self.validation_fraction),
                    random_state=self.random_state, stratify=stratify)
            except ValueError as exc:
                raise ValueError(f"early_stopping: the validation split failed ({exc}); "
                                 "change validation_fraction or give more samples") from exc
            if sample_weight is not None:
                sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                     ensure_non_negative=True)
            X_valid, y_valid = X[valid], target[valid]
            w_valid = None if sample_weight is None else sample_weight[valid]
            X, target = X[train], target[train]
            sample_weight = None if sample_weight is None else sample_weight[train]
        objectives = self._objectives(X, target, sample_weight)
        monitors = None
        if self.early_stopping:
            monitors = [
                _EarlyStopping(functools.partial(self._validation_score, f, X=X_valid,
                                                 target=self._problem_target(y_valid, k),
                                                 sample_weight=w_valid),
                               self.tol, int(self.n_iter_no_change))
                for k, f in enumerate(objectives)]
        x0s = self._starting_points(coef_init, intercept_init, objectives, X.shape[1])
        self._set_coef(objectives, self._fit(X, objectives, x0s, monitors))
        # One array and one best score, or (one-versus-all) one of each per class.
        self.validation_scores_: Any
        self.best_score_: Any
        if monitors is None:
            self.validation_scores_ = self.best_score_ = None
        elif len(monitors) == 1:
            self.validation_scores_ = np.asarray(monitors[0].scores, dtype=np.float64)
            self.best_score_ = monitors[0].best
        else:  # one-versus-all: one early stopping per class
            self.validation_scores_ = [np.asarray(m.scores, dtype=np.float64)
                                       for m in monitors]
            self.best_score_ = np.array([m.best for m in monitors])
        return self

    def _problem_target(self, target, k):
        """The targets problem `k` is scored on: y itself (a regressor); overridden."""
        return target

    def _validation_score(self, objective, x, *, X, target, sample_weight):
        """The score of the parameters `x` on the held-out rows: R^2 or the accuracy."""
        coef, intercept = _coefficients(objective, np.asarray(x), bool(self.fit_intercept))
        scores = X @ coef.T + intercept
        if isinstance(self, RegressorMixin):
            from sklearn.metrics import r2_score

            return float(r2_score(target, scores[:, 0], sample_weight=sample_weight))
        predicted = (scores[:, 0] > 0).astype(int) if scores.shape[1] == 1 else (
            scores.argmax(axis=1))
        return float(np.average(predicted == target, weights=sample_weight))


    @contextlib.contextmanager
    def _unchanged_on_error(self):
        """Leave the model as it was before a partial_fit call that raised (or was stopped)."""
        saved = dict(self.__dict__)
        # The compiled rules change in place: keep their states, and copies of the lists.
        rule_states = [None if stepper is None else stepper.state()
                       for stepper in saved.get("_steppers", [])]
        for name in ("_params", "_averages"):
            if name in saved:
                saved[name] = list(saved[name])
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            self._steppers = [None if state is None else self._new_stepper(state)
                              for state in rule_states]
            raise

    def _partial_fit(self, X, objectives, first):
        """One epoch on each of `objectives`: from zero on the first call, else where the
        last ended. Returns the parameters to report.

        Raises RuntimeError when the run diverged: a non-finite loss or parameters, or the
        loss on the batches seen so far (each measured before its step, summed over the
        problems) above ``_DIVERGENCE_RATIO`` times that of the zero model.
        """
        if first:
            self._start(X, objectives)
        else:
            self._set_eta0(X, reset=False)
        self._intercept_share_ = _intercept_share(X, self.solver)
        n = objectives[0].n_samples
        loss = getattr(self, "_stream_loss", 0.0)
        null = getattr(self, "_stream_null_loss", 0.0)
        diverged = False
        reported = []
        seeds = self._seeds(len(objectives))
        for k, objective in enumerate(objectives):
            result, x = self._train(objective, k, seeds[k], partial=True)
            loss += n * float(result.fun)
            null += n * _zero_model_loss(objective)
            diverged |= result.status == "diverged" or not np.isfinite(result.x).all()
            self._params[k] = result.x
            reported.append(x)
        if diverged or _exploded(loss, null):
            raise RuntimeError(
                f"{type(self).__name__}.partial_fit diverged (solver={self.solver!r}): the "
                f"loss on the batches seen so far is {loss / null if null > 0 else np.inf:.3g} "
                f"times that of the zero model; lower eta0 (the rate was {self.eta0_:.3g}). "
                "The model is left as it was before this call.")
        self._stream_loss, self._stream_null_loss = loss, null
        self.n_iter_ = getattr(self, "n_iter_", 0) + 1
        return reported

    def __getstate__(self):
        state = dict(super().__getstate__())
        # The compiled rules: keep their states, rebuild them on load.
        state["_steppers"] = [
            None if stepper is None else {k: np.array(v) if isinstance(v, np.ndarray) else v
                                          for k, v in stepper.state().items()}
            for stepper in state.get("_steppers", [])]
        return state

    def __setstate__(self, state):
        rule_states = state.get("_steppers", [])
        super().__setstate__({**state, "_steppers": []})
        self._steppers = [None if rule_state is None else self._new_stepper(rule_state)
                          for rule_state in rule_states]

    def _start(self, X, objectives):
        """Forget any previous training: zero parameters, fresh rules, a new rate, no
        averages, one of each per problem."""
        self._steppers = []
        self._set_eta0(X, reset=True)
        self._params = [np.zeros(f.n_params) for f in objectives]
        self._steppers = [None] * len(objectives)
        self._averages = [None] * len(objectives)
        self._stream_loss = self._stream_null_loss = 0.0

_SGD_DOC = """
    X may be a scipy.sparse matrix or array in any format, in ``fit``, ``partial_fit``,
    ``predict``, ``decision_function`` and ``score``: CSR of float64 or float32 is borrowed,
    other formats are converted to CSR once; X is never densified (the intercept is a
    parameter, X is not centred; ``eta0="auto"`` reads the row norms from the stored
    values). On sparse X the steps of solvers "sgd" (l2 or l1), "adagrad" (l1 or none),
    "momentum" and "nesterov" (no penalty) are lazy: each costs O(the batch's non-zeros),
    whatever n_features, with the same iterates as the dense update (see
    :func:`descend.minimize`); the other cases (and ``average``, whose running mean is
    O(n_features) a step) update all n_features weights per step. On
    sparse X solver "sgd" moves the intercept by 0.01 of each step, as scikit-learn's SGD
    does there (its ``SPARSE_INTERCEPT_DECAY``), so that sparse fits take scikit-learn's
    steps; dense X and descend's other solvers take the full step.

    Parameters
    ----------
    loss : str, default {loss!r}
        One of {losses}, scikit-learn's definitions (see
        :class:`descend.objectives.LinearLoss`, whose compiled kernels train them). The
        kinked losses (hinge, perceptron, epsilon_insensitive) step along a subgradient,
        taking scikit-learn's slope at the kink.{loss_note}
    penalty : {{"l2", "l1", "elasticnet", None}}, default "l2"
        "l1" (and the L1 part of "elasticnet") is handled by a proximal step (exact zeros).
    alpha : float, default 1e-4
        Penalty strength: the objective is the mean loss + alpha ||w||^2 / 2 (l2),
        alpha ||w||_1 (l1), or alpha ((1 - l1_ratio) ||w||^2 / 2 + l1_ratio ||w||_1)
        (elasticnet), as scikit-learn's.
    l1_ratio : float, default 0.15
        The L1 share of the elasticnet penalty, in [0, 1]; used by "elasticnet" only.
    epsilon : float, default 0.1
        The threshold of the huber, epsilon_insensitive and squared_epsilon_insensitive
        losses, >= 0 (the other losses do not use it, as in scikit-learn).{n_jobs}
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the rows ({split}, seeded by
        ``random_state``) and stop when their score ({score}), taken after every epoch, was
        not above the best so far plus ``tol`` for ``n_iter_no_change`` epochs in a row
        (scikit-learn's rule); ``validation_scores_`` and ``best_score_`` keep them. The
        coefficients are those of the last epoch, as in scikit-learn. ``fit`` only.
    validation_fraction : float, default 0.1
        In (0, 1).{class_weight}
    warm_start : bool, default False
        ``fit`` starts from the previous ``coef_`` and ``intercept_`` (a fresh rule and rate
        otherwise, as in scikit-learn) unless ``coef_init``/``intercept_init`` are given.
    average : bool or int, default False
        Averaged SGD (Polyak-Ruppert), as scikit-learn's: True (or 1) reports the mean of the
        iterates after every step, an int n > 1 the mean of those after steps n, n + 1, ...
        (steps counted over all epochs and, in ``partial_fit``, over all calls); before step
        n is reached the plain iterate is reported. The steps themselves, the tol rule and
        early stopping follow the plain iterates. (A batch is one step; the mean is taken
        after each step's proximal L1 step, where scikit-learn takes it before its L1
        truncation.)
    fit_intercept : bool, default True
    max_iter : int, default 1000
        Epochs (passes over the data).
    tol : float or None, default 1e-3
        scikit-learn's rule: stop after n_iter_no_change epochs in a row whose epoch loss (the
        mean of its batch losses, each with the penalty before its step) was not below the
        best epoch loss so far minus tol{tol_unit}; None runs every epoch. On sparse X with
        solver "sgd" and no L1 part the penalty of a step is, as scikit-learn's sums it there
        (its WeightVector's norms), alpha/2 times the squared norm of the weights the
        previous step wrote (its row's columns), not of all the weights; with an L1 part
        (and for descend's other solvers) on sparse X the epoch adds the full penalty once,
        at its end.
    shuffle : bool, default True
    random_state : int, RandomState or None
        Seeds the shuffling (one seed drawn per problem{problems}).
    learning_rate : str, default {lr!r}
        "optimal", "constant", "invscaling", "adaptive" or "cosine": scikit-learn's schedules with its meanings, t counting the steps (batches) from 1
        over fit and on over partial_fit's calls: "optimal" 1 / (alpha (t0 + t - 1)), t0 by
        scikit-learn's heuristic (the first rate alpha^(-1/4); alpha > 0, eta0 not used);
        "constant" eta0; "invscaling" eta0 / t^power_t; "adaptive" eta0, divided by 5 each
        time the tol rule (or early stopping) would stop the fit, while it is above 1e-6
        (then the fit stops; partial_fit keeps eta0). "optimal" and "invscaling" decay at
        every step: solver "sgd" only. descend's "cosine" anneals eta0 per epoch over
        max_iter epochs.{lr_note}
    eta0 : float or "auto", default 0.01
        The initial learning rate (scikit-learn's default). "auto" (descend's) takes
        1 / (c max_i ||x_i||^2 + alpha), with c the loss's curvature bound (1/4 for
        log_loss, 1 for squared_error and huber, 2 for squared_hinge, modified_huber and
        squared_epsilon_insensitive, and 1 for the kinked losses, so that a step moves the
        stepped sample's margin by about one unit at most): a step no single sample or batch
        can make unstable; ``learning_rate="constant", eta0="auto"`` is descend's fast
        constant rate. In ``partial_fit`` the maximum runs over every row seen so far, so a
        later batch with larger rows lowers the rate (the rule's state is kept).
    power_t : float, default {power_t}
        The exponent of "invscaling", >= 0.
    n_iter_no_change : int, default 5
    batch_size : int, default 1
        Mini-batch size (1: the classic per-sample SGD).
    solver : str, default "sgd"
        The update rule: {rules}.
    momentum : float, default 0.9
        For solver "momentum" and "nesterov".
    verbose : bool or int, default False
        Progress: a tqdm bar for fits longer than a second, logging otherwise.{extra_params}

    Attributes
    ----------
    coef_, intercept_, n_iter_, t_, eta0_, n_features_in_{extra}
        ``t_`` counts the steps (epochs times batches); scikit-learn's is that plus one.
        {n_iter_note}
    feature_names_in_ : ndarray of str
        When X was a pandas DataFrame with string column names.
    validation_scores_, best_score_
        With ``early_stopping``: the score after each epoch and the best (else None){scores}.

    Notes
    -----
    ``sample_weight``: the objective is scikit-learn's, ``sum_i s_i loss_i / n + alpha
    R(w)`` (descend's weighted-mean objective with the penalty times ``n / sum_i s_i``). A
    mini-batch of m rows steps on its weighted gradient sum divided by ``m S / n``, the
    weight m rows carry on average: at ``batch_size=1`` a row of weight s takes the
    unweighted step times ``s n / S`` (scikit-learn: times s), the same step when the weights
    average to one, and steps that do not change when every weight is scaled by one factor.

    Each row's loss slope is clipped to [-1e12, 1e12], as scikit-learn clips it (see
    :class:`descend.objectives.LinearLoss`'s ``max_slope``): under a first rate too large for
    a squared loss ("optimal" on unit-scale rows) the steps stay finite and the decaying rate
    can bring the fit back, where an unclipped run would overflow.

    ``fit`` warns (``sklearn.exceptions.ConvergenceWarning``, once) when ``tol`` was given and
    the epoch loss was still improving by more than ``tol`` after ``max_iter`` epochs, and
    raises ``RuntimeError`` when the run diverged: its loss overflowed, or, at
    ``eta0="auto"`` (a rate no sample can make unstable), its last epoch's loss was more than
    1e4 times the zero model's (scikit-learn's rates may keep the iterate's loss that high
    for many epochs by design: with them, as in scikit-learn, only an overflow raises).
    ``partial_fit`` raises ``RuntimeError``,
    leaving the model as it was, when the loss on the batches seen so far (each measured
    before its step) is non-finite or more than 1e4 times that of the zero model. A fitted
    model pickles and deep-copies with the rule's state, so ``partial_fit`` continues where
    it left off. No fit claims a minimum: the epoch loss is the running mean of the batch
    losses, and the gradient is never evaluated.

    **Dask arrays.** With X a dask array chunked by rows (``descend[dask]``), ``fit`` and
    ``partial_fit`` run on Dask (the active ``distributed.Client``, else the threaded
    scheduler): each chunk runs the compiled loop on its own rows in the task that holds
    it, and the parameters, the rule's state and the averaging state travel from chunk to
    chunk (see :mod:`descend.dask`); ``coef_`` and ``intercept_`` are numpy arrays and
    ``predict``, ``decision_function``, ``predict_proba`` and ``score`` on a dask X are lazy
    dask arrays. The penalties, weights, class weights, rate, rule, schedule, seeds and tol
    rule are the in-memory fit's; the *order of the rows* is not: with K chunks (chunk c
    holding n_c rows from row o_c) and the problem's seed s, epoch e visits the chunks in the
    order ``descend.permutation(K, s, e)`` and the rows of chunk c in the order ``o_c +
    descend.permutation(n_c, descend.dask.row_seed(s, e, c, K), 0)`` (index order with
    ``shuffle=False``), in batches of ``batch_size`` that never span two chunks (``t_``
    counts them); ``partial_fit`` walks epoch 0 with the seed ``s + n_iter_``, as in
    memory. :func:`descend.dask.epoch_batches` lists the batches and
    :func:`descend.dask.replay` is the numpy twin. A chunk whose weights are all zero is
    stepped on as memory steps on zero-weight rows (the penalty and the rule's momentum
    act). ``early_stopping=True`` and ``verbose`` raise on dask arrays.
    """


class SGDRegressor(RegressorMixin, _SGDModel):
    _coef_1d = True
    _LOSSES = REGRESSION_LOSSES

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=1e-4, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=False,
                 epsilon=0.1, random_state=None, learning_rate="invscaling", eta0=0.01,
                 power_t=0.25, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, warm_start=False, average=False, batch_size=1,
                 solver="sgd", momentum=0.9):
        self._set_params(locals())

    __doc__ = ("""Linear regression by mini-batch stochastic gradient descent.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import SGDRegressor
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> model = SGDRegressor(random_state=0).fit(X, X @ [2.0, -1.0] + 0.5)
    >>> model.coef_.round(2).tolist(), round(float(model.intercept_[0]), 2)
    ([2.0, -1.0], 0.5)
    >>> robust = SGDRegressor(loss="huber", epsilon=1.0, average=True, random_state=0,
    ...                       learning_rate="constant", eta0="auto")  # descend's rate
    >>> robust.fit(X, X @ [2.0, -1.0] + 0.5).coef_.round(1).tolist()
    [2.0, -1.0]
    """ + _SGD_DOC.format(
        rules=", ".join(SOLVERS), extra="", loss="squared_error",
        losses=", ".join(map(repr, REGRESSION_LOSSES)), loss_note="", n_jobs="",
        split="a random split", score="R^2", class_weight="", lr="invscaling",
        power_t=0.25, lr_note="", problems="", extra_params="", n_iter_note="",
        scores="", tol_unit=(
            " times a unit of y's scale, 1 on standardized y with the default epsilon "
            "(there scikit-learn's absolute tol): with s^2 the weighted mean square of y about "
            "its mean (about 0 without an intercept), s^2 for squared_error and "
            "squared_epsilon_insensitive, min(2 H, (10 epsilon)^2) for huber (H its mean loss "
            "at y about its mean: s^2 within epsilon, 0.14 on standardized y, stricter than "
            "scikit-learn's) and "
            "min(s, 10 epsilon) for epsilon_insensitive, so that a fit of y times 1e-8 or "
            "1e8 runs the epochs a fit of y runs (huber and epsilon_insensitive: y and "
            "epsilon rescaled together; beyond 10 epsilon, where their slopes stop growing "
            "with y, the unit stays absolute, scikit-learn's rule)")))

    def _objectives(self, X, y, sample_weight):
        sw, l2, l1 = self._weights_and_penalties(sample_weight, X)
        return [LinearLoss(X, y, loss=self.loss, epsilon=float(self.epsilon), l2=l2, l1=l1,
                           fit_intercept=bool(self.fit_intercept), sample_weight=sw,
                           max_slope=MAX_SLOPE)]

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit by mini-batch SGD from zero (or from `coef_init` and `intercept_init`, or with
        ``warm_start`` from the previous fit).

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            float64 or float32 used without a copy (C-ordered, or CSR whose data, indices
            and indptr are borrowed); other sparse formats converted to CSR once.
        y : array_like, shape (n_samples,)
        coef_init : array_like, optional
            The starting coefficients, shaped as ``coef_``.
        intercept_init : array_like or float, optional
            The starting intercept(s), shaped as ``intercept_``.
        sample_weight : array_like, optional

        Returns
        -------
        self

        Raises
        ------
        RuntimeError
            If the training diverged (lower ``eta0``).
        """
        if (dask := _dask_adapter(X, y)) is not None:  # fit on Dask, chunk by chunk
            return dask.fit_sgd(self, X, y, sample_weight, coef_init, intercept_init)
        self._check_sgd_params()
        X, y = _check_Xy(self, X, y, reset=True, y_numeric=True)
        return self._fit_data(X, np.asarray(y, dtype=np.float64), sample_weight, coef_init,
                              intercept_init)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD on the given data, continuing from the current state.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            float64 or float32 used without a copy (C-ordered, or CSR whose data, indices
            and indptr are borrowed); other sparse formats converted to CSR once.
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
        if (dask := _dask_adapter(X, y)) is not None:  # one epoch on Dask, chunk by chunk
            return dask.partial_fit_sgd(self, X, y, sample_weight)
        first = not hasattr(self, "_params")
        if first:
            self._check_sgd_params()
        with self._unchanged_on_error():
            X, y = _check_Xy(self, X, y, reset=first, y_numeric=True)
            objectives = self._objectives(X, y, sample_weight)
            self._set_coef(objectives, self._partial_fit(X, objectives, first))
        return self

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,)
        """
        if (dask := _dask_adapter(X)) is not None:  # a dask X: lazy predictions
            return dask.predict_linear(self, X)
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        return X @ self.coef_ + self.intercept_[0]

    def score(self, X, y, sample_weight=None):
        return _score(self, RegressorMixin, X, y, sample_weight)

    score.__doc__ = _SCORE_DOC.format(what="coefficient of determination R^2")


def _has_proba(estimator):
    """available_if's test of predict_proba: scikit-learn's AttributeError for other losses."""
    if estimator.loss not in _PROBA_LOSSES:
        raise AttributeError(f"probability estimates are not available for "
                             f"loss={estimator.loss!r}")
    return True


def _probabilities(estimator, scores, xp):
    """predict_proba from the decision scores, with the array module `xp` (numpy or dask).

    log_loss: the sigmoid of each score (two classes: [1 - p, p]); one-versus-all rows
    normalised to sum to one, the joint multinomial model's softmax. modified_huber: (clip(s,
    -1, 1) + 1) / 2, rows normalised (a row of zeros: uniform), as scikit-learn.
    """
    if estimator.loss == "modified_huber":
        p = (xp.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if scores.ndim == 1:
            return xp.stack([1.0 - p, p], axis=1)
        total = p.sum(axis=1, keepdims=True)
        return xp.where(total == 0.0, 1.0 / p.shape[1], p / xp.where(total == 0.0, 1.0, total))
    if scores.ndim == 1:
        p = 0.5 * (1.0 + xp.tanh(0.5 * scores))  # a sigmoid that cannot overflow
        return xp.stack([1.0 - p, p], axis=1)
    if estimator.multi_class == "multinomial":
        e = xp.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    p = 0.5 * (1.0 + xp.tanh(0.5 * scores))
    return p / p.sum(axis=1, keepdims=True)


class SGDClassifier(ClassifierMixin, _LinearClassifier, _SGDModel):
    _LOSSES = CLASSIFICATION_LOSSES + REGRESSION_LOSSES

    def __init__(self, loss="hinge", *, penalty="l2", alpha=1e-4, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=False,
                 epsilon=0.1, n_jobs=None, random_state=None, learning_rate="optimal",
                 eta0=0.01, power_t=0.5, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False, average=False,
                 batch_size=1, solver="sgd", momentum=0.9, multi_class="ovr"):
        self._set_params(locals())

    def _check_sgd_params(self):
        super()._check_sgd_params()
        _check_n_jobs(self.n_jobs)
        _choice(self.multi_class, "multi_class", ("ovr", "multinomial"))
        if self.multi_class == "multinomial" and self.loss != "log_loss":
            raise ValueError(f"multi_class='multinomial' is the softmax model of "
                             f"loss='log_loss', not of loss={self.loss!r}: use "
                             f"multi_class='ovr'")
        if not (self.class_weight is None or isinstance(self.class_weight, dict)
                or (isinstance(self.class_weight, str) and self.class_weight == "balanced")):
            raise ValueError("class_weight must be None, 'balanced' or a dict, got "
                             f"{self.class_weight!r}")

    def _set_class_weight(self, y, *, partial):
        """scikit-learn's weight of each class, ``_expanded_class_weight`` (ones without
        class_weight): compute_class_weight on the labels y of fit; "balanced" is refused by
        partial_fit, as scikit-learn refuses it (its counts need all of y)."""
        if self.class_weight is None:
            self._expanded_class_weight = np.ones(len(self.classes_))
            return
        if partial and isinstance(self.class_weight, str):
            raise ValueError("class_weight 'balanced' is not supported for partial_fit: pass "
                             "the weights of compute_class_weight('balanced', classes=classes, "
                             "y=y) on a large enough sample of y as a dict instead")
        from sklearn.utils.class_weight import compute_class_weight

        self._expanded_class_weight = np.asarray(
            compute_class_weight(self.class_weight, classes=self.classes_, y=y),
            dtype=np.float64)

    def _problem_weights(self, encoded, sample_weight, X, k):
        """The sample weights of problem k times scikit-learn's class weights: the weight of
        each row's class (multinomial), of the positive and the negative class (two classes),
        or of class k for its rows and 1 for the others (one versus all, as scikit-learn)."""
        cw = self._expanded_class_weight
        if self.class_weight is None:
            return sample_weight
        if k is None:
            per_row = cw[encoded]
        elif len(self.classes_) == 2:
            per_row = np.where(encoded == 1, cw[1], cw[0])
        else:
            per_row = np.where(encoded == k, cw[k], 1.0)
        return _combined_weights(sample_weight, per_row, X)

    def score(self, X, y, sample_weight=None):
        return _score(self, ClassifierMixin, X, y, sample_weight)

    score.__doc__ = _SCORE_DOC.format(what="mean accuracy")

    __doc__ = ("""A linear classifier by mini-batch stochastic gradient descent: scikit-learn's
    SGDClassifier (a linear SVM with the default hinge loss, logistic regression with
    log_loss, ...).

    Two classes train one problem, the positive class being ``classes_[1]``. More train one
    versus all as scikit-learn does: one binary problem per class (that class +1, the others
    -1), one after the other, each with its own seed, rule and rate schedule, and ``coef_``
    with one row per class. With ``loss="log_loss"``, ``multi_class="multinomial"`` trains the
    joint softmax model instead, its ``coef_`` and ``intercept_`` centred over the classes
    (each column sums to zero), as :class:`LogisticRegression` reports them.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linear_model import SGDClassifier
    >>> X = np.random.default_rng(0).normal(size=(400, 2))
    >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    >>> SGDClassifier(random_state=0).fit(X, y).score(X, y) > 0.95
    True
    >>> model = SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """ + _SGD_DOC.format(
        rules=", ".join(SOLVERS), extra=", classes_", loss="hinge",
        losses=", ".join(map(repr, CLASSIFICATION_LOSSES + REGRESSION_LOSSES)),
        loss_note=(" ``predict_proba`` and ``predict_log_proba`` exist for log_loss and "
                   "modified_huber only (an AttributeError otherwise, as in scikit-learn). "
                   "The regression losses fit the -1/+1 targets."),
        n_jobs="""
    n_jobs : int or None, default None
        scikit-learn's hint on parallelism (its one-versus-all fits); accepted and not
        used: descend fits the classes one after the other.""",
        split="a split stratified by class", score="the accuracy",
        class_weight="""
    class_weight : dict, "balanced" or None, default None
        scikit-learn's weights of the classes, multiplying ``sample_weight``: a dict from
        label to weight (labels left out weigh 1), or "balanced", n_samples / (n_classes *
        count) from fit's y (refused by ``partial_fit``, as in scikit-learn). As in
        scikit-learn, a binary problem weighs its positive and negative rows by their
        classes' weights, and problem k of one versus all weighs class k's rows by its
        weight and the others by 1. The objective is scikit-learn's; a step on a row of
        weight s is the unweighted step times s n / sum_i s_i (scikit-learn: times s), the
        same step when the weights average to one, as the "balanced" ones do.""",
        lr="optimal", power_t=0.5, lr_note="", problems=", one per class one versus all",
        extra_params="""
    multi_class : {"ovr", "multinomial"}, default "ovr"
        More than two classes: one versus all (scikit-learn's), or, for log_loss only, the
        joint multinomial (softmax) model (a descend extra).""",
        n_iter_note="One versus all: ``n_iter_`` is the largest over the classes.",
        tol_unit=" (absolute, as scikit-learn's: the losses of margins do not change with "
                 "the scale of X)",
        scores="; one versus all: a list of one array per class and an array of the bests"))

    def _problem_target(self, target, k):
        """The 0/1 targets of problem k: the positive class, or class k one versus all."""
        if len(self.classes_) == 2 or self.multi_class == "multinomial":
            return target
        return (target == k).astype(int)

    def _objectives(self, X, encoded, sample_weight):
        fit_intercept = bool(self.fit_intercept)
        if len(self.classes_) > 2 and self.multi_class == "multinomial":
            sw, l2, l1 = self._weights_and_penalties(
                self._problem_weights(encoded, sample_weight, X, None), X)
            if l1 > 0:
                raise ValueError("penalty='l1' is supported by multi_class='ovr' only")
            return [Softmax(X, encoded, l2=l2, fit_intercept=fit_intercept, sample_weight=sw,
                            n_classes=len(self.classes_))]
        objectives = []
        for k in [1] if len(self.classes_) == 2 else range(len(self.classes_)):
            sw, l2, l1 = self._weights_and_penalties(
                self._problem_weights(encoded, sample_weight, X, k), X)
            objectives.append(LinearLoss(
                X, np.where(encoded == k, 1.0, -1.0), loss=self.loss,
                epsilon=float(self.epsilon), l2=l2, l1=l1, fit_intercept=fit_intercept,
                sample_weight=sw, max_slope=MAX_SLOPE))
        return objectives

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), in the order of ``classes_``.

        For log_loss and modified_huber only (see ``loss``), as scikit-learn computes them.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray

        Examples
        --------
        >>> import numpy as np
        >>> from descend.linear_model import SGDClassifier
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
        >>> model = SGDClassifier(loss="modified_huber", random_state=0).fit(X, [0, 0, 1, 1])
        >>> model.predict_proba([[-5.0], [5.0]]).round(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        scores = self.decision_function(X)
        if _dask_adapter(X) is not None:
            import dask.array as da

            return _probabilities(self, scores, da)
        return _probabilities(self, scores, np)

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Logarithms of :meth:`predict_proba` (log_loss and modified_huber only; -inf where
        modified_huber's probability is 0, without a warning).

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)

        Returns
        -------
        ndarray

        Examples
        --------
        >>> import numpy as np
        >>> from descend.linear_model import SGDClassifier
        >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
        >>> model = SGDClassifier(loss="log_loss", random_state=0).fit(X, [0, 0, 1, 1])
        >>> bool((model.predict_log_proba(X) < 0).all())
        True
        """
        with np.errstate(divide="ignore"):  # modified_huber's probabilities may be 0: -inf
            return np.log(self.predict_proba(X))

    def _encode(self, y):
        index = np.searchsorted(self.classes_, y)
        if (index >= len(self.classes_)).any() or (self.classes_[np.minimum(
                index, len(self.classes_) - 1)] != y).any():
            raise ValueError("y holds a class that is not in classes")
        return index

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit by mini-batch SGD from zero (or from `coef_init` and `intercept_init`, or with
        ``warm_start`` from the previous fit).

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            float64 or float32 used without a copy (C-ordered, or CSR whose data, indices
            and indptr are borrowed); other sparse formats converted to CSR once.
        y : array_like, shape (n_samples,)
        coef_init : array_like, optional
            The starting coefficients, shaped as ``coef_``.
        intercept_init : array_like or float, optional
            The starting intercept(s), shaped as ``intercept_``.
        sample_weight : array_like, optional

        Returns
        -------
        self

        Raises
        ------
        RuntimeError
            If the training diverged (lower ``eta0``).
        """
        if (dask := _dask_adapter(X, y)) is not None:  # fit on Dask, chunk by chunk
            return dask.fit_sgd(self, X, y, sample_weight, coef_init, intercept_init)
        self._check_sgd_params()
        X, y = _check_Xy(self, X, y, reset=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("The data contains only one class: "
                             f"{self.classes_[0]!r}; at least 2 classes are needed")
        self._set_class_weight(y, partial=False)
        encoded = self._encode(y)
        return self._fit_data(X, encoded, sample_weight, coef_init, intercept_init,
                              stratify=encoded)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of SGD on the given data, continuing from the current state.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            float64 or float32 used without a copy (C-ordered, or CSR whose data, indices
            and indptr are borrowed); other sparse formats converted to CSR once.
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
        if (dask := _dask_adapter(X, y)) is not None:  # one epoch on Dask, chunk by chunk
            return dask.partial_fit_sgd(self, X, y, sample_weight, classes)
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
            X, y = _check_Xy(self, X, y, reset=first)
            check_classification_targets(y)
            if self.class_weight is not None:  # set after the first call
                self._check_sgd_params()
            self._set_class_weight(y, partial=True)
            encoded = self._encode(y)
            objectives = self._objectives(X, encoded, sample_weight)
            self._set_coef(objectives, self._partial_fit(X, objectives, first))
        return self
