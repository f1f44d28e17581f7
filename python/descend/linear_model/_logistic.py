"""Logistic regression, binary or multinomial, by the full-batch solvers."""

from __future__ import annotations

import contextlib

import numpy as np

from ..objectives import Logistic, Softmax

from .._validation import check_bool, check_real
from ._base import (
    _SCORE_DOC,
    ClassifierMixin,
    _choice,
    _dask_adapter,
    _score,
    _coefficients,
    _DescendLinearModel,
    _LinearClassifier,
    _check_Xy,
    _check_n_jobs,
    _class_weights,
    _combined_weights,
    _pack,
    _sample_weights,
    check_classification_targets,
    check_random_state,
)


class LogisticRegression(ClassifierMixin, _LinearClassifier, _DescendLinearModel):
    """Logistic regression (binary, or multinomial for more than two classes).

    Minimises ``C sum_i s_i logloss_i + ||w||^2 / 2`` as ``sklearn.linear_model.
    LogisticRegression`` does; descend's objective is that divided by ``C S``, i.e.
    ``Logistic(l2=1 / (C S))`` (or ``Softmax`` for K > 2 classes).

    X may be a scipy.sparse matrix or array in any format, in ``fit``, ``predict``,
    ``predict_proba``, ``decision_function`` and ``score``: CSR of float64 or float32 is
    borrowed, other formats are converted to CSR once; X is never densified (the intercept
    is a parameter of the objective, not obtained by centring X).

    Parameters
    ----------
    penalty : {"l2", None}, default "l2"
        The penalty on the weights (never on the intercept). "l1" and "elasticnet" are
        refused with a ValueError at fit (no full-batch solver here handles an L1 term; use
        :class:`SGDClassifier` with ``penalty="l1"`` or ``"elasticnet"``).
    C : float, default 1.0
        Inverse penalty strength, > 0.
    l1_ratio : float, default 0.0
        scikit-learn's share of L1 in the penalty, in [0, 1]; only 0 (pure L2) is supported
        with a penalty (a positive one is refused at fit); with ``penalty=None`` it is not used.
    dual : bool, default False
        True (liblinear's dual formulation) is refused at fit.
    fit_intercept : bool, default True
        Fit the intercept(s).
    intercept_scaling : float, default 1
        liblinear's device for an intercept it penalises. descend never penalises the
        intercept; as in scikit-learn it is not used by the other solvers, and with
        ``solver="liblinear"`` a value other than 1 is refused at fit.
    class_weight : dict, "balanced" or None, default None
        Each sample's weight is multiplied by its class's: a dict from label to weight
        (missing labels weigh 1), or "balanced", ``n_samples / (n_classes * count)``, the
        counts weighted by ``sample_weight`` (scikit-learn's ``compute_class_weight``).
    random_state : int, RandomState or None, default None
        scikit-learn uses it only to shuffle in "sag", "saga" and "liblinear"; the descend
        solvers those names map to are deterministic, so it does not change the fit.
    warm_start : bool, default False
        Start ``fit`` from the previous ``coef_`` and ``intercept_`` (when their shape fits
        the new data) instead of zero.
    n_jobs : int or None, default None
        scikit-learn's hint on parallelism; accepted and not needed (one joint fit).
    solver : str, default "auto"
        scikit-learn's names are accepted, each run by the descend method doing its job (the
        minimiser is the same): "lbfgs" and "newton-cg" by the methods of those names;
        "newton-cholesky" and "liblinear" by "newton" (Cholesky solves of the exact Hessian,
        as newton-cholesky does and as liblinear's trust-region Newton does on the primal);
        "sag" and "saga" by "lbfgs" (gradient-only, for many samples). Otherwise a method of :func:`descend.minimize`, or "auto", which chooses by the size of the
        Hessian: Newton's method (a dense Hessian and a Cholesky solve per iteration) when
        the model has at most 1000 parameters (``K (n_features + 1)`` for K > 2 classes,
        ``n_features + 1`` for two, without the ``+ 1`` when ``fit_intercept=False``),
        L-BFGS (gradients only) beyond. For sparse X: Newton's method below the same
        threshold (its dense Hessian accumulated from the sparse rows), Newton-CG above it
        (Hessian-vector products, one pass over the non-zeros each; never a p x p matrix),
        which on wide text-like data reached L-BFGS's objective value 2 to 5 times faster.
    tol : float, default 1e-8
        Stop when the gradient norm is at most ``tol`` times its value at the start (at
        least about 1.2e-6 for float32 data).
    max_iter : int, default 1000
        Iteration limit of the solver.
    verbose : bool or int, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    coef_ : ndarray, shape (1, n_features) or (n_classes, n_features)
        For more than two classes, centred over the classes (each column sums to zero), as
        scikit-learn reports it and as :class:`SGDClassifier` does.
    intercept_ : ndarray, shape (1,) or (n_classes,)
    n_iter_ : ndarray, shape (1,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When X was a pandas DataFrame with string column names.
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

    _SKLEARN_SOLVERS = {"lbfgs": "lbfgs", "newton-cg": "newton-cg",
                        "newton-cholesky": "newton", "liblinear": "newton", "sag": "lbfgs",
                        "saga": "lbfgs"}

    def __init__(self, penalty="l2", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-8,
                 fit_intercept=True, intercept_scaling=1, class_weight=None, random_state=None,
                 solver="auto", max_iter=1000, verbose=False, warm_start=False, n_jobs=None):
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.warm_start = warm_start
        self.n_jobs = n_jobs
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
        X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
            Training data. float64 or float32 is used without a copy: a C-ordered array, or
            a CSR matrix or array (its data, indices and indptr are borrowed). Other sparse
            formats are converted to CSR once (a copy of the stored entries); X is never
            densified.
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
        if (dask := _dask_adapter(X, y)) is not None:  # fit on the cluster
            if self.class_weight is not None or self.warm_start:
                raise ValueError("class_weight and warm_start are not supported on dask "
                                 "arrays; fold class weights into sample_weight")
            return dask.fit(self, X, y, sample_weight)
        self._check_common_params()
        C = check_real(self.C, "C", low=0.0, low_open=True)
        if self.penalty is not None and not np.isfinite(1.0 / C):
            raise ValueError(f"C is too small: the penalty strength 1 / C overflows, got {C}")
        X, y = _check_Xy(self, X, y, reset=True)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("This solver needs samples of at least 2 classes in the data, "
                             f"but the data contains only one class: {self.classes_[0]!r}")
        sample_weight = _combined_weights(sample_weight, _class_weights(
            self.class_weight, self.classes_, y, sample_weight=sample_weight), X)
        sw, top = _sample_weights(sample_weight, X)
        total = float(X.shape[0] if sw is None else sw.sum())
        # C sum_i s_i loss_i + ||w||^2 / 2 is C S times the weighted mean loss + l2 ||w||^2 / 2
        # with l2 = 1 / (C S), S the sum of the weights (top times that of the scaled ones).
        l2 = 0.0 if self.penalty is None else 1.0 / C / total / top
        fit_intercept = bool(self.fit_intercept)
        if len(self.classes_) == 2:
            objective = Logistic(X, encoded, l2=l2, fit_intercept=fit_intercept,
                                 sample_weight=sw)
        else:
            objective = Softmax(X, encoded, l2=l2, fit_intercept=fit_intercept,
                                sample_weight=sw, n_classes=len(self.classes_))
        # Multinomial coefficients come out centred over the classes (see _coefficients).
        x0 = None
        if self.warm_start and hasattr(self, "coef_"):
            with contextlib.suppress(ValueError):  # another shape: start from zero
                x0 = _pack(self.coef_, self.intercept_, fit_intercept, objective.n_params)
        self.coef_, self.intercept_ = _coefficients(
            objective, self._minimize(objective, x0).x, fit_intercept)
        self.n_iter_ = np.array([self.n_iter_])  # type: ignore[assignment]  # sklearn's shape (1,)
        return self

    def _check_common_params(self):
        super()._check_common_params()
        _choice(self.penalty, "penalty", ("l2", "l1", "elasticnet", None))
        l1_ratio = check_real(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
        if self.penalty in ("l1", "elasticnet") or (self.penalty is not None and l1_ratio > 0):
            raise ValueError(
                f"LogisticRegression(penalty={self.penalty!r}, l1_ratio={self.l1_ratio!r}): an "
                "L1 part of the penalty is not supported by descend's full-batch solvers; use "
                "penalty='l2' with l1_ratio=0, or SGDClassifier(penalty='elasticnet')")
        if check_bool(self.dual, "dual"):
            raise ValueError("dual=True (liblinear's dual formulation) is not supported: "
                             "descend solves the primal problem")
        scaling = check_real(self.intercept_scaling, "intercept_scaling", low=0.0,
                             low_open=True)
        if self.solver == "liblinear" and scaling != 1:
            raise ValueError("intercept_scaling other than 1 is liblinear's way to penalise the "
                             "intercept; descend never penalises it")
        check_bool(self.warm_start, "warm_start")
        check_random_state(self.random_state)
        _check_n_jobs(self.n_jobs)

    def score(self, X, y, sample_weight=None):
        return _score(self, ClassifierMixin, X, y, sample_weight)

    score.__doc__ = _SCORE_DOC.format(what="mean accuracy")
