"""Logistic regression, binary or multinomial, by the full-batch solvers."""

from __future__ import annotations

import contextlib
import warnings

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

    Minimises ``C sum_i s_i logloss_i + r ||w||_1 + (1 - r) ||w||^2 / 2`` with ``r =
    l1_ratio``, as ``sklearn.linear_model.LogisticRegression`` does; descend's objective is
    that divided by ``C S`` (S the sum of the sample weights), i.e. ``Logistic(l2=(1 - r) /
    (C S), l1=r / (C S))`` (or ``Softmax`` for K > 2 classes). The intercept is never
    penalised.

    X may be a scipy.sparse matrix or array in any format, in ``fit``, ``predict``,
    ``predict_proba``, ``decision_function`` and ``score``: CSR of float64 or float32 is
    borrowed, other formats are converted to CSR once; X is never densified (the intercept
    is a parameter of the objective, not obtained by centring X).

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", None} or "deprecated", default "deprecated"
        As in scikit-learn 1.9, where it is deprecated (since 1.8) in favour of ``l1_ratio``
        and ``C``: the default "deprecated" takes the penalty from them (``l1_ratio=0``: L2,
        1: L1, in between: elastic net; ``C=np.inf``: none). "l2", "l1" and "elasticnet"
        (which uses ``l1_ratio``) and None are still accepted, with scikit-learn's meaning
        and its warnings for inconsistent values, but without its FutureWarning (descend
        keeps the parameter). An L1 part is fitted by orthant-wise L-BFGS (OWL-QN, the
        ``"lbfgs"`` method of :func:`descend.minimize` on an objective with ``l1 > 0``),
        which finds the exact zeros of the solution and certifies it by the pseudo-gradient.
    C : float, default 1.0
        Inverse penalty strength, > 0; ``np.inf`` for no penalty.
    l1_ratio : float, default 0.0
        scikit-learn's share of L1 in the penalty, in [0, 1]: 0 is L2, 1 is L1. None (the
        default before scikit-learn 1.8, deprecated there) is taken as 0 with its
        FutureWarning.
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
        "sag" and "saga" by "lbfgs" (gradient-only, for many samples). With an L1 part in
        the penalty, "auto", "lbfgs", "saga" and "liblinear" all run descend's orthant-wise
        L-BFGS ("lbfgs" with an L1 term; scikit-learn's lbfgs refuses an L1 part, descend's
        takes it); "newton-cg", "newton-cholesky" and "sag" refuse it as in scikit-learn,
        and so does "liblinear" an elastic net (descend's own first-order methods, such as
        "gd", take it by a proximal step). Unlike scikit-learn's liblinear, the intercept is
        not penalised (``intercept_scaling`` is not needed). Otherwise a method of
        :func:`descend.minimize`, or "auto", which chooses by the size of the
        Hessian: Newton's method (a dense Hessian and a Cholesky solve per iteration) when
        the model has at most 1000 parameters (``K (n_features + 1)`` for K > 2 classes,
        ``n_features + 1`` for two, without the ``+ 1`` when ``fit_intercept=False``),
        L-BFGS (gradients only) beyond. For sparse X: Newton's method below the same
        threshold (its dense Hessian accumulated from the sparse rows), Newton-CG above it
        (Hessian-vector products, one pass over the non-zeros each; never a p x p matrix),
        which on wide text-like data reached L-BFGS's objective value 2 to 5 times faster.
    tol : float, default 1e-8
        Stop when the gradient norm is at most ``tol`` times its value at the start (at
        least about 1.2e-5 for float32 data).
    max_iter : int, default 1000
        Iteration limit of the solver.
    verbose : bool or int, default False
        Progress of the solver: a tqdm bar for fits longer than a second, logging otherwise.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    coef_ : ndarray, shape (1, n_features) or (n_classes, n_features)
        For more than two classes, centred over the classes (each column sums to zero), as
        scikit-learn reports it and as :class:`SGDClassifier` does; with an L1 part in the
        penalty the weights are the minimiser's own (centring would change the penalty and
        lose the zeros) and only the intercepts are centred.
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

    An L1 penalty sets the weights of uninformative features to exactly zero:

    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> LogisticRegression(l1_ratio=1.0, C=0.1).fit(X, y).coef_[0, 1:].tolist()
    [0.0, 0.0]
    """

    _SKLEARN_SOLVERS = {"lbfgs": "lbfgs", "newton-cg": "newton-cg",
                        "newton-cholesky": "newton", "liblinear": "newton", "sag": "lbfgs",
                        "saga": "lbfgs"}

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-8,
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
            self._check_common_params()
            penalty, _ = self._penalty()
            if penalty in ("l1", "elasticnet"):
                raise ValueError(
                    f"an L1 part of the penalty (penalty={penalty!r}) is not supported on dask "
                    "arrays: descend.dask's objectives take an L2 penalty only; fit in memory, "
                    "or use l1_ratio=0")
            with _penalty_named(self, penalty):  # the dask fit reads "l2" or None
                return dask.fit(self, X, y, sample_weight)
        self._check_common_params()
        penalty, l1_share = self._penalty()
        C = _check_C(self.C)
        if penalty is not None and not np.isfinite(1.0 / C):
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
        # C sum_i s_i loss_i + r ||w||_1 + (1 - r) ||w||^2 / 2 is C S times the weighted mean
        # loss + l1 ||w||_1 + l2 ||w||^2 / 2 with l1 = r / (C S), l2 = (1 - r) / (C S), S the
        # sum of the weights (top times that of the scaled ones).
        strength = 0.0 if penalty is None else 1.0 / C / total / top
        l1, l2 = l1_share * strength, (1.0 - l1_share) * strength
        fit_intercept = bool(self.fit_intercept)
        if len(self.classes_) == 2:
            objective = Logistic(X, encoded, l2=l2, l1=l1, fit_intercept=fit_intercept,
                                 sample_weight=sw)
        else:
            objective = Softmax(X, encoded, l2=l2, l1=l1, fit_intercept=fit_intercept,
                                sample_weight=sw, n_classes=len(self.classes_))
        # Multinomial coefficients come out centred over the classes (see _coefficients).
        x0 = None
        if self.warm_start and hasattr(self, "coef_"):
            with contextlib.suppress(ValueError):  # another shape: start from zero
                x0 = _pack(self.coef_, self.intercept_, fit_intercept, objective.n_params)
        if x0 is None and l1 > 0 and _zero_is_optimal(
                objective, l1, self._tol, X.shape[1], X.shape[1] + int(fit_intercept)):
            # The pseudo-gradient at zero is at its rounding floor (all-zero weights, classes
            # balanced): a relative tol could not be met from there. Starting from an explicit
            # zero makes tol relative to the data term's gradient at zero (see _minimize).
            x0 = np.zeros(objective.n_params)
        x = self._minimize(objective, x0).x
        if l1 > 0 and isinstance(objective, Softmax):
            # Shifting every class's weights by one vector changes the L1 term: keep the
            # minimiser's weights, centre only the (unpenalised) intercepts.
            W = objective.coef_matrix(x)
            d = X.shape[1]
            self.coef_ = W[:, :d].copy()
            self.intercept_ = (W[:, d] - W[:, d].mean() if fit_intercept
                               else np.zeros(len(W)))
        else:
            self.coef_, self.intercept_ = _coefficients(objective, x, fit_intercept)
        self.n_iter_ = np.array([self.n_iter_])  # type: ignore[assignment]  # sklearn's shape (1,)
        return self

    def _penalty(self):
        """The penalty scikit-learn 1.9 fits, with its warnings: ``(name, share of L1)``,
        name one of "l2", "l1", "elasticnet" or None."""
        l1_ratio = self.l1_ratio
        if l1_ratio is None:
            if self.penalty == "elasticnet":
                raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
            warnings.warn("'l1_ratio=None' was deprecated in version 1.8 and will trigger an "
                          "error in 1.10. Use 0<=l1_ratio<=1 instead.", FutureWarning,
                          stacklevel=3)
            ratio = 0.0
        else:
            ratio = check_real(l1_ratio, "l1_ratio", low=0.0, high=1.0)
        C = _check_C(self.C)
        if self.penalty == "deprecated":  # scikit-learn >= 1.8: l1_ratio and C say it
            penalty = "l2" if ratio == 0 else "l1" if ratio == 1 else "elasticnet"
            if C == np.inf:
                penalty = None
        else:
            penalty = self.penalty
        if penalty != "elasticnet" and 0 < ratio < 1:
            warnings.warn("l1_ratio parameter is only used when penalty is 'elasticnet'. Got "
                          f"(penalty={penalty})", UserWarning, stacklevel=3)
        if (self.penalty == "l2" and ratio != 0) or (self.penalty == "l1" and ratio != 1):
            warnings.warn(f"Inconsistent values: penalty={self.penalty} with "
                          f"l1_ratio={l1_ratio}. penalty is deprecated. Please use l1_ratio "
                          "only.", UserWarning, stacklevel=3)
        if self.penalty is None and C != 1.0:
            warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters",
                          UserWarning, stacklevel=3)
        share = {"l1": 1.0, "elasticnet": ratio}.get(penalty, 0.0)  # type: ignore[arg-type]
        solver = self.solver
        if penalty in ("l1", "elasticnet") and solver in ("newton-cg", "newton-cholesky", "sag"):
            raise ValueError(f"Solver {solver} supports only 'l2' or None penalties, got "
                             f"{penalty} penalty.")
        if penalty == "elasticnet" and solver == "liblinear":
            raise ValueError("Only 'saga' solver supports elasticnet penalty, got "
                             f"solver={solver}.")
        if penalty is None and solver == "liblinear":
            raise ValueError("C=np.inf as well as penalty=None is not supported for the "
                             "liblinear solver")
        self._l1_share = share
        return penalty, share

    def _solver(self, n_params, sparse=False):
        # An L1 part: orthant-wise L-BFGS ("lbfgs" on an objective with l1 > 0) for "auto"
        # and for scikit-learn's solvers that take one.
        if getattr(self, "_l1_share", 0.0) > 0 and self.solver in ("auto", "lbfgs", "saga",
                                                                     "liblinear"):
            return "lbfgs"
        return super()._solver(n_params, sparse)

    def _check_common_params(self):
        super()._check_common_params()
        _choice(self.penalty, "penalty", ("deprecated", "l2", "l1", "elasticnet", None))
        if self.l1_ratio is not None:
            check_real(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
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


def _zero_is_optimal(objective, l1, tol, d, p):
    """Whether the pseudo-gradient at w = 0 is within tol of the smooth gradient's norm (d
    weights in each block of p parameters, the intercept last)."""
    g = objective.gradient(np.zeros(objective.n_params))
    penalised = (np.arange(len(g)) % p) < d
    pg = np.where(penalised, np.sign(g) * np.maximum(np.abs(g) - l1, 0.0), g)
    return bool(np.linalg.norm(pg) <= tol * np.linalg.norm(g))


def _check_C(value):
    """C > 0, or np.inf (scikit-learn's way to ask for no penalty)."""
    if isinstance(value, (int, float, np.floating)) and value == np.inf:
        return np.inf
    return check_real(value, "C", low=0.0, low_open=True)


@contextlib.contextmanager
def _penalty_named(estimator, penalty):
    """``estimator.penalty`` set to `penalty` for the duration (the dask fit reads the name;
    the user's value is put back)."""
    saved = estimator.penalty
    estimator.penalty = penalty
    try:
        yield
    finally:
        estimator.penalty = saved
