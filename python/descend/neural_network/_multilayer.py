"""MLPClassifier and MLPRegressor: scikit-learn's multilayer-perceptron estimators on
descend's network objective (:class:`descend.MLP`) and solvers."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "descend.neural_network needs scikit-learn >= 1.6: pip install 'descend[sklearn]'"
    ) from exc

from .._first_order import run_rule
from .._minimize import _METHODS, minimize
from .._mlp import ACTIVATIONS, MLP
from .._result import Result
from .._validation import check_bool, check_int, check_real
from ..optimizers import make_stepper
from ..reference.mlp import forward, output_transform

#: The mini-batch solvers (descend's update rules) and the rule each runs; every other descend
#: method (lbfgs, bfgs, newton-cg, gd, ...) runs on the full batch.
MINIBATCH_SOLVERS = {"sgd": "gd", "momentum": "momentum", "nesterov": "nesterov",
                     "adagrad": "adagrad", "rmsprop": "rmsprop", "adam": "adam",
                     "adamw": "adamw"}


class _BaseMLP(BaseEstimator):
    """What the two estimators share: checks, the objective, the training loops."""

    # The training state partial_fit and warm_start carry (declared for type checkers).
    _stepper: Any
    _params: np.ndarray
    _out_loss = "squared"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 tol=1e-4, n_iter_no_change=10, early_stopping=False, validation_fraction=0.1,
                 shuffle=True, random_state=None, warm_start=False, momentum=0.9,
                 verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.momentum = momentum
        self.verbose = verbose

    # ---- checks ----
    def _check_params(self):
        hidden = self.hidden_layer_sizes
        if np.isscalar(hidden):
            hidden = (hidden,)
        hidden = tuple(check_int(h, "hidden_layer_sizes", low=1) for h in hidden)
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not isinstance(self.solver, str) or self.solver.lower() not in _METHODS:
            raise ValueError(f"solver must be one of {sorted(_METHODS)}, got {self.solver!r}")
        check_real(self.alpha, "alpha", low=0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_int(self.batch_size, "batch_size", low=1)
        check_real(self.learning_rate_init, "learning_rate_init", low=0.0, low_open=True)
        check_int(self.max_iter, "max_iter", low=1)
        check_real(self.tol, "tol", low=0.0)
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_bool(self.early_stopping, "early_stopping")
        check_real(self.validation_fraction, "validation_fraction", low=0.0, high=1.0,
                   low_open=True, high_open=True)
        check_bool(self.shuffle, "shuffle")
        check_bool(self.warm_start, "warm_start")
        check_real(self.momentum, "momentum", low=0.0, high=1.0, high_open=True)
        return hidden

    def _minibatch(self):
        return self.solver.lower() in MINIBATCH_SOLVERS

    def _batch(self, n):
        return min(200, n) if isinstance(self.batch_size, str) else min(int(self.batch_size), n)

    # ---- the objective and the fitted attributes ----
    def _objective(self, X, Y, hidden, sample_weight):
        # scikit-learn's penalty is alpha/2 ||W||^2 over the samples of one gradient (the
        # batch for the stochastic solvers, all rows for the full-batch ones).
        n = X.shape[0]
        scale = self._batch(n) if self._minibatch() else n
        return MLP(X, Y, hidden=hidden, activation=self.activation, loss=self._out_loss,
                   l2=float(self.alpha) / scale, sample_weight=sample_weight,
                   n_outputs=self._n_model_outputs)

    def _tol_unit(self, Y, sample_weight):
        """What ``tol`` on the training loss is measured in: 1 for the classifiers, whose
        losses on labels do not change when X is rescaled (see MLPRegressor's)."""
        return 1.0

    def _set_layers(self, objective, w):
        self._params = w
        layers = objective.unpack(w)
        self.coefs_ = [W for W, _ in layers]
        self.intercepts_ = [b for _, b in layers]
        self.n_layers_ = len(layers) + 1
        self.n_outputs_ = layers[-1][0].shape[1]

    def _forward(self, X):
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return forward(list(zip(self.coefs_, self.intercepts_)), X, self.activation)[-1]

    # ---- training ----
    def _fit(self, X, Y, sample_weight, *, partial, score_data=None):
        hidden = self._check_params()
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
            if not sample_weight.max() > 0:
                raise ValueError("sample_weight must have a positive sum: all are zero")
        rng = check_random_state(self.random_state)
        fresh = not (hasattr(self, "coefs_") and (partial or self.warm_start))
        if not fresh and [W.shape[1] for W in self.coefs_[:-1]] != list(hidden):
            raise ValueError("hidden_layer_sizes changed since the last fit; fit again with "
                             "warm_start=False")
        validation = None
        if self.early_stopping and not partial and self._minibatch():
            stratify = Y if self._out_loss == "softmax" else None
            split = train_test_split(np.arange(X.shape[0]), random_state=rng,
                                     test_size=self.validation_fraction, stratify=stratify)
            train, held = split
            validation = (X[held], score_data[held] if score_data is not None else Y[held])
            X, Y = X[train], Y[train]
            sample_weight = None if sample_weight is None else sample_weight[train]
        objective = self._objective(X, Y, hidden, sample_weight)
        if fresh:
            # scikit-learn's initialisation: Glorot's uniform for every layer.
            w = objective.init(seed=int(rng.randint(np.iinfo(np.int32).max)), scheme="glorot")
            self.loss_curve_ = []
            self.n_iter_ = 0
            self.t_ = 0
            self.best_loss_ = np.inf
            self._stepper = None
            self._no_improvement = 0
            for name in ("validation_scores_", "best_validation_score_"):
                self.__dict__.pop(name, None)  # a fresh fit starts its own record
        else:
            w = self._params
        if self._minibatch():
            self._tol_scale = self._tol_unit(Y, sample_weight)
            self._run_minibatch(objective, w, rng, validation, epochs=1 if partial else None)
        else:
            if partial:
                raise AttributeError(f"partial_fit is only available for the mini-batch "
                                     f"solvers ({', '.join(MINIBATCH_SOLVERS)}), not "
                                     f"{self.solver!r}")
            self._run_full_batch(objective, w)
        return self

    def _run_full_batch(self, objective, w):
        solver = self.solver.lower()
        options: dict[str, Any] = {"max_iter": int(self.max_iter)}
        if "gtol" in _METHODS[solver].options:
            options["gtol"] = max(float(self.tol), 1e-12)
        if "lr" in _METHODS[solver].options:
            options["lr"] = float(self.learning_rate_init)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the estimator says it in its own terms below
            result = minimize(objective, w, method=solver, **options)
        if result.status == "diverged":
            raise RuntimeError(f"{type(self).__name__}(solver={solver!r}) diverged: "
                               f"{result.message}")
        self.loss_curve_ = list(self.loss_curve_) + [float(v) for v in result.history.loss[1:]]
        self.n_iter_ += int(result.nit)
        self.t_ += int(result.nit) * objective.n_samples
        self.loss_ = float(result.fun)
        self.best_loss_ = min(self.best_loss_, self.loss_)
        self._set_layers(objective, result.x)
        if result.status == "max_iter":
            warnings.warn(f"{type(self).__name__}(solver={solver!r}): maximum iterations "
                          f"({self.max_iter}) reached and the optimization hasn't converged "
                          f"yet", ConvergenceWarning, stacklevel=3)

    def _run_minibatch(self, objective, w, rng, validation, epochs=None):
        """All the epochs in one compiled run (the stopping rule in its per-epoch callback).

        One run, not one per epoch: the rule's state and the run's bookkeeping stay in the
        compiled loop. With ``epoch_loss="running"`` a run makes no pass over all the data at
        its start (its first history entry is the first batch's loss), so ``partial_fit``'s
        one-epoch runs cost one epoch.
        """
        solver = self.solver.lower()
        rule = MINIBATCH_SOLVERS[solver]
        if self._stepper is None:
            hyper = {"lr": float(self.learning_rate_init)}
            if rule in ("momentum", "nesterov"):
                hyper["momentum"] = float(self.momentum)
            self._stepper = make_stepper(rule, **hyper)
        n_epochs = int(self.max_iter) if epochs is None else epochs
        options = _METHODS[solver].parse({
            "lr": float(self.learning_rate_init), "batch_size": self._batch(objective.n_samples),
            "shuffle": bool(self.shuffle), "epoch_loss": "running", "epochs": n_epochs,
            "tol": None, "seed": int(rng.randint(np.iinfo(np.int32).max))})
        if validation is not None and not hasattr(self, "validation_scores_"):
            self.validation_scores_: list[float] = []
            self.best_validation_score_ = -np.inf
        tol, patience = float(self.tol), int(self.n_iter_no_change)
        best: dict[str, Any] = {"w": None}
        stopped = {"early": False}

        def after_epoch(info):
            loss = float(info.loss)
            if not np.isfinite(loss):
                return None  # the run ends as diverged
            self.n_iter_ += 1
            self.t_ += objective.n_samples
            self.loss_curve_.append(loss)
            self.loss_ = loss
            # scikit-learn's stopping rule: no improvement by tol for n_iter_no_change epochs
            # (of the validation score with early_stopping, else of the training loss).
            if validation is not None:
                self._set_layers(objective, np.array(info.x))
                score = self.score(*validation)
                self.validation_scores_.append(score)
                improved = score > self.best_validation_score_ + tol
                if score > self.best_validation_score_:
                    self.best_validation_score_, best["w"] = score, np.array(info.x)
            else:
                improved = loss < self.best_loss_ - tol * self._tol_scale
            self.best_loss_ = min(self.best_loss_, loss)
            self._no_improvement = 0 if improved else self._no_improvement + 1
            if epochs is None and self._no_improvement > patience:
                stopped["early"] = True
                return True
            return None

        raw = run_rule(objective, w, self._stepper, options, after_epoch, keep_state=True)
        result = Result._from_core(raw, rule)
        if result.status == "diverged" or not np.isfinite(result.fun):
            raise RuntimeError(f"{type(self).__name__}(solver={solver!r}) diverged in epoch "
                               f"{self.n_iter_ + 1}: lower learning_rate_init (it was "
                               f"{self.learning_rate_init:g})")
        if epochs is None and not stopped["early"]:
            warnings.warn(f"{type(self).__name__}(solver={solver!r}): maximum iterations "
                          f"({self.max_iter}) reached and the optimization hasn't converged "
                          f"yet", ConvergenceWarning, stacklevel=4)
        self._set_layers(objective, best["w"] if best["w"] is not None else result.x)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multilayer-perceptron classifier trained by descend (scikit-learn compatible).

    The network and its parameter names are scikit-learn's ``MLPClassifier``: the same
    layers, activations and output (one logistic unit for two classes, softmax for more, one
    logistic unit per label for a multilabel indicator y), ``coefs_`` and ``intercepts_`` in
    its layout, so copying them into a scikit-learn model gives the same predictions. The
    objective is :class:`descend.MLP` (compiled forward and backward passes) and the training
    is one of descend's methods.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Widths of the hidden layers, each >= 1.
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
    solver : str, default "adam"
        Any :func:`descend.methods` name. The update rules (sgd, momentum, nesterov, adagrad,
        rmsprop, adam, adamw) run on mini-batches, ``max_iter`` epochs; the others (lbfgs,
        bfgs, newton-cg, gd, ...) on the full batch, ``max_iter`` iterations.
    alpha : float, default 1e-4
        L2 penalty ``alpha/2 ||W||^2`` over the samples of one gradient, as in scikit-learn
        (the batch, or all rows for the full-batch solvers); biases are not penalised.
    batch_size : int or "auto", default "auto"
        ``min(200, n_samples)`` for "auto".
    learning_rate_init : float, default 1e-3
        The rule's learning rate (constant).
    max_iter : int, default 200
        Epochs (mini-batch solvers) or iterations (full batch).
    tol : float, default 1e-4
        Training stops when the epoch loss (or, with early_stopping, the validation score)
        has not improved by tol for ``n_iter_no_change`` epochs; for full-batch solvers, the
        relative gradient tolerance. MLPRegressor measures the loss's improvement in units
        of the targets' variance when it is below 1 (1 on standardized targets and above, as
        scikit-learn's absolute tol), so that targets in small units do not stop at once.
    n_iter_no_change : int, default 10
    early_stopping : bool, default False
        Mini-batch solvers: hold out ``validation_fraction`` of the data (stratified for
        classes), score it after each epoch, stop on the rule above and keep the best weights.
        Ignored by the full-batch solvers, which train on all the data.
    validation_fraction : float, default 0.1
    shuffle : bool, default True
        Reshuffle the rows at every epoch.
    random_state : int, RandomState or None
        Seeds the initial weights, the shuffling and the validation split.
    warm_start : bool, default False
        Continue from the previous fit's weights (and the rule's state).
    momentum : float, default 0.9
        For solver "momentum" and "nesterov".
    verbose : bool, default False
        Accepted for compatibility; descend's estimators print nothing.

    Attributes
    ----------
    classes_ : ndarray
    coefs_, intercepts_ : list of ndarray
        ``coefs_[l]`` of shape (fan_in, fan_out), ``intercepts_[l]`` of length fan_out.
    loss_ : float
    best_loss_ : float
    loss_curve_ : list of float
        The training loss per epoch (the mean of the epoch's batch losses, penalty included),
        or per iteration for the full-batch solvers.
    validation_scores_, best_validation_score_ : list of float, float
        With early_stopping only.
    n_iter_, t_, n_layers_, n_outputs_, out_activation_, n_features_in_

    Examples
    --------
    >>> import numpy as np
    >>> from descend.neural_network import MLPClassifier
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10)
    >>> y = np.array([0, 1, 1, 0] * 10)
    >>> clf = MLPClassifier((16,), activation="tanh", solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.predict(X[:4]).tolist()
    [0, 1, 1, 0]
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the network to (X, y).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel 0/1 indicator matrix.
        sample_weight : array_like, shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit_classifier(X, y, sample_weight, partial=False, classes=None)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of a mini-batch solver on (X, y), continuing from the current state.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like
        classes : array_like, optional
            Every class; required on the first call.
        sample_weight : array_like, optional

        Returns
        -------
        self
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit_classifier(X, y, sample_weight, partial=True, classes=classes)

    def _fit_classifier(self, X, y, sample_weight, *, partial, classes):
        first = not hasattr(self, "classes_") or not (partial or self.warm_start)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                             multi_output=True, reset=first)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        check_classification_targets(y)
        if first:
            self._binarizer = LabelBinarizer()
            self._binarizer.fit(y if classes is None else classes)
            self.classes_ = self._binarizer.classes_
            self._multilabel = type_of_target(y) == "multilabel-indicator"
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError("classes differ from those of the first partial_fit call")
        if not self._multilabel and len(self.classes_) < 2 and not partial:
            raise ValueError(f"MLPClassifier needs samples of at least 2 classes in the data, "
                             f"but the data contains only one class: {self.classes_[0]!r}")
        if not self._multilabel and not np.isin(y, self.classes_).all():
            raise ValueError("y holds labels that are not in classes_")
        if self._multilabel:
            Y, self._out_loss, self.out_activation_ = y.astype(np.float64), "logistic", "logistic"
            self._n_model_outputs = Y.shape[1]
        elif len(self.classes_) <= 2:
            Y = (y == self.classes_[-1]).astype(np.float64)
            self._out_loss, self.out_activation_ = "logistic", "logistic"
            self._n_model_outputs = 1
        else:
            Y = np.searchsorted(self.classes_, y)
            self._out_loss, self.out_activation_ = "softmax", "softmax"
            self._n_model_outputs = len(self.classes_)
        return self._fit(X, Y, sample_weight, partial=partial, score_data=y)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, n_classes)
        """
        P = output_transform(self._forward(X), self.out_activation_)
        if not self._multilabel and P.shape[1] == 1:
            P = np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class labels (an indicator matrix for multilabel y).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        P = self.predict_proba(X)
        if self._multilabel:
            return (P > 0.5).astype(int)
        return self.classes_[P.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multilayer-perceptron regressor trained by descend (scikit-learn compatible).

    The network of scikit-learn's ``MLPRegressor`` (identity output, squared error) with its
    parameter names, trained by descend; see :class:`MLPClassifier` for the parameters and
    attributes. The loss is ``(1/2) sum_k (f_k(x) - y_k)^2`` per sample (scikit-learn
    averages over the outputs as well: the same minimiser, a K times larger gradient with
    several outputs).

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate_init, max_iter, \
tol, n_iter_no_change, early_stopping, validation_fraction, shuffle, random_state, \
warm_start, momentum, verbose
        As in :class:`MLPClassifier`; the early-stopping score is R^2.

    Attributes
    ----------
    coefs_, intercepts_, loss_, best_loss_, loss_curve_, n_iter_, t_, n_layers_, n_outputs_, \
out_activation_, n_features_in_
        As in :class:`MLPClassifier` (``out_activation_`` is "identity").

    Examples
    --------
    >>> import numpy as np
    >>> from descend.neural_network import MLPRegressor
    >>> X = np.linspace(-1, 1, 50)[:, None]
    >>> reg = MLPRegressor((20,), activation="tanh", solver="lbfgs", random_state=0)
    >>> reg.fit(X, X[:, 0] ** 2).score(X, X[:, 0] ** 2) > 0.99
    True
    """

    out_activation_ = "identity"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the network to (X, y).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array_like, shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit_regressor(X, y, sample_weight, partial=False)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of a mini-batch solver on (X, y), continuing from the current state.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array_like, optional

        Returns
        -------
        self
        """
        return self._fit_regressor(X, y, sample_weight, partial=True)

    def _tol_unit(self, Y, sample_weight):
        """What ``tol`` on the training loss is measured in: the smaller of 1 and the
        targets' variance (the weighted mean over the outputs of each one's variance about its
        weighted mean; 1 when it is 0). It is 1 on standardized targets, where the rule is
        scikit-learn's. For targets in units of 1e-8 it shrinks as the squared error does, so
        that such a fit does not stop after n_iter_no_change epochs far from the minimum (as
        scikit-learn's absolute tol does). It is never above 1: on targets in units of 1e8 a
        fixed learning rate moves the loss by a tiny share of its scale per epoch, and a
        relative rule would call that converged; the absolute rule runs on and warns.
        """
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        mean = np.average(Y, axis=0, weights=weights)
        variance = float(np.mean(np.average((Y - mean) ** 2, axis=0, weights=weights)))
        return min(variance, 1.0) if np.isfinite(variance) and variance > 0 else 1.0

    def _fit_regressor(self, X, y, sample_weight, *, partial):
        first = not hasattr(self, "coefs_") or not (partial or self.warm_start)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                             multi_output=True, y_numeric=True, reset=first)
        Y = y.reshape(len(y), -1).astype(np.float64)
        if first:
            self._y_1d = y.ndim == 1
        self._n_model_outputs = Y.shape[1]
        return self._fit(X, Y, sample_weight, partial=partial, score_data=y)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples,) or (n_samples, n_targets)
        """
        Z = self._forward(X)
        return Z.ravel() if self._y_1d else Z

