"""The built-in objectives: least squares, logistic regression, the other losses of
scikit-learn's SGD estimators (:class:`LinearLoss`) and quadratics.

Each is a compiled object with the same methods (``value``, ``gradient``,
``value_and_gradient``, ``hessian``, ``hvp``) that every solver of :func:`descend.minimize`
works with. Arguments are validated here; X and y are then borrowed by the C++ core, the
sample weights copied. What an objective was built with (``X``, ``y``, ``l2``, ...) is
read-only: the compiled object cannot follow a change, so build a new objective instead.

Limits, each refused with a ValueError naming the argument:

- entries of X (and the targets of :class:`LeastSquares`) at most ``sqrt(max) / 1e4`` in
  magnitude for X's float type (about 1.3e150 for float64, 1.8e15 for float32), so that the
  sums of squares a gradient step size, a Hessian or an hvp forms cannot overflow; rescale the
  data (e.g. ``sklearn.preprocessing.StandardScaler``) beyond that;
- sample weights finite, >= 0 and not all zero; any finite magnitude is fine (1e307 too), as
  the stored copy is divided by the largest weight, which leaves the weighted mean unchanged;
- :class:`Softmax`: labels integers in ``[0, n_classes)`` and ``n_classes * p`` at most
  ``2**31`` parameters (:data:`MAX_SOFTMAX_PARAMS`);
- ``n_threads`` at most 1024;
- a scipy.sparse X: CSR with indices in range, ``indptr`` non-decreasing from 0 to the number
  of stored entries, finite values, at least one row and one column (duplicate entries add up,
  as in scipy; unsorted indices are fine).

The data objectives also give the unnormalised sums over a range of rows (``loss_sum``,
``weight_sum``, ``hessian_sum``, ``hvp_sum``; see :data:`EmpiricalRisk`), which
add up across objectives built on chunks of the rows.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _core
from ._sparse import check_csr, is_sparse
from ._validation import (
    check_bool,
    check_int,
    check_matrix,
    check_n_threads,
    check_real,
    check_vector,
)

__all__ = ["Objective", "EmpiricalRisk", "LeastSquares", "Logistic", "LinearLoss", "Quadratic",
           "Softmax", "MAX_SOFTMAX_PARAMS", "CLASSIFICATION_LOSSES", "REGRESSION_LOSSES"]

#: The base class of every compiled objective (useful for ``isinstance`` checks).
Objective = _core.Objective

#: The base class of the objectives over a data matrix X (LeastSquares, Logistic, Softmax),
#: with the unnormalised sums over rows (loss_sum, weight_sum, hessian_sum, hvp_sum).
EmpiricalRisk = _core.EmpiricalRisk

#: The most parameters (``n_classes * p``) a :class:`Softmax` objective may have: 2**31, one
#: gradient of 16 GiB. A label such as 1e10 would otherwise ask for 1e10 classes.
MAX_SOFTMAX_PARAMS = 2**31


class _Argument:
    """A read-only attribute holding what an objective was built with.

    Reading gives the validated value; assigning or deleting raises AttributeError, because the
    compiled objective was built from the value and would not follow a change.
    """

    def __init__(self, doc, compiled=None):
        self.__doc__ = doc
        self.compiled = compiled  # a read-only property of the compiled class to read through

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if self.compiled is not None:
            return self.compiled.__get__(obj)
        return obj.__dict__["_arguments"][self.name]

    def _refuse(self, obj):
        kind = type(obj).__name__
        raise AttributeError(
            f"{kind}.{self.name} is read-only: the compiled objective was built with it and "
            f"would not follow a change; build a new objective instead, e.g. "
            f"{kind}(..., {self.name}=...)")

    def __set__(self, obj, value):
        self._refuse(obj)

    def __delete__(self, obj):
        self._refuse(obj)


def _check_magnitude(arr, name, dtype=None):
    """Refuse entries whose squares (summed over many rows) would overflow `dtype`'s range.

    `dtype` is the float type the core computes in (arr's own by default).
    """
    dtype = arr.dtype if dtype is None else np.dtype(dtype)
    limit = float(np.sqrt(np.finfo(dtype).max)) / 1e4
    # max and min read the array without an n x d temporary (no abs).
    top = max(float(arr.max()), -float(arr.min()))
    if top > limit:
        raise ValueError(
            f"{name} has entries of magnitude {top:.3g}, above {limit:.3g} for {dtype}: their "
            f"squares would overflow in the gradient, Hessian and step-size computations; "
            f"rescale {name} (e.g. with sklearn.preprocessing.StandardScaler)")


def _layout(X):
    """'C', 'F' or 'CSR': how the core reads X."""
    if is_sparse(X):
        return "CSR"
    return "C" if X.flags.c_contiguous else "F"


def _check_weights(sample_weight, n, dtype):
    """The sample weights as a read-only copy in `dtype`, checked in float64 first.

    Weights that do not fit `dtype` (float32 beyond 3.4e38, or all below 1e-30) are divided by
    the largest first, which leaves the weighted mean unchanged.
    """
    sw = check_vector(sample_weight, "sample_weight", size=n, dtype=np.float64,
                      size_hint="one per row of X")
    if (sw < 0).any():
        raise ValueError("sample_weight must be >= 0")
    top = sw.max()
    if not top > 0:  # all >= 0: the sum is > 0 iff the largest is
        raise ValueError("sample_weight must not be all zero")
    info = np.finfo(dtype)
    if top > info.max or top < 1e-30:
        sw = sw / top
    sw = sw.astype(dtype)  # always a copy: later edits of the caller's array cannot reach us
    sw.flags.writeable = False
    return sw


def _check_data_arguments(X, l2, fit_intercept, sample_weight, n_threads):
    """Validate the arguments every data objective shares; returns them converted.

    Returns (X, what the core is given for X, l2, fit_intercept, sample_weight, n_threads): a
    dense X is given as it is; a scipy.sparse X as CSR, by the tuple of its arrays (_sparse.py).
    The sample weights come back as a read-only copy (the caller's array may change later).
    """
    if is_sparse(X):
        X, core_X = check_csr(X)  # its values are checked by the core (as _check_magnitude)
    else:
        X = core_X = check_matrix(X, "X")
        _check_magnitude(X, "X")
    l2 = check_real(l2, "l2", low=0.0)
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
    if sample_weight is not None:
        sample_weight = _check_weights(sample_weight, X.shape[0], X.dtype)
    return X, core_X, l2, fit_intercept, sample_weight, check_n_threads(n_threads)


def _keep_data_arguments(objective, **arguments):
    """Keep the validated arguments on the objective, read-only (X and y stay alive with it).

    X and y are the arrays the core borrows (``f.X is X`` when X needed no conversion): the
    objective reads their memory on every call, so a change to their values is seen, which is
    what borrowing means; the attributes themselves cannot be rebound.
    """
    objective.__dict__["_arguments"] = arguments


class _DataArguments:
    """The read-only construction attributes every objective over a data matrix X has."""

    X = _Argument("The data matrix (borrowed: the array passed in when no conversion was needed).")
    l2 = _Argument("The ridge penalty.")
    l1 = _Argument("The L1 penalty.")
    sample_weight = _Argument("A read-only copy of the sample weights, or None.")
    n_threads = _Argument("The n_threads asked for (None: all cores).")


class _DataObjective(_DataArguments, _core.Glm):
    """Shared construction of the empirical risks over a data matrix X."""

    _loss = ""
    y = _Argument("The targets, in X's dtype and the loss's coding (borrowed like X).")
    fit_intercept = _Argument("Whether an intercept is the last parameter.")

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, n_threads=None,
                 l1=0.0):
        X, core_X, l2, fit_intercept, sample_weight, threads = _check_data_arguments(
            X, l2, fit_intercept, sample_weight, n_threads)
        y = self._check_targets(y, X.shape[0], X.dtype)
        l1 = check_real(l1, "l1", low=0.0)
        super().__init__(self._loss, core_X, y, sample_weight, l2, fit_intercept, threads, l1)
        _keep_data_arguments(self, X=X, y=y, l2=l2, fit_intercept=fit_intercept,
                             sample_weight=sample_weight, n_threads=n_threads, l1=l1)

    @staticmethod
    def _check_targets(y, n, dtype):
        y = check_vector(y, "y", size=n, dtype=np.float64, size_hint="one per row of X")
        _check_magnitude(y, "y", dtype)  # before the cast, which would overflow
        return y.astype(dtype, copy=False)

    @property
    def n_features(self):
        """Number of columns of X (``n_params`` minus one when an intercept is fitted)."""
        return self.X.shape[1]

    def __reduce__(self):
        # Pickles (for Dask, multiprocessing) by rebuilding from the validated arrays.
        args = (self.X, self.y, self.l2, self.fit_intercept, self.sample_weight, self.n_threads,
                self.l1)
        return (type(self), args)

    def __repr__(self):
        order = _layout(self.X)
        return (
            f"{type(self).__name__}(n_samples={self.X.shape[0]}, n_features={self.X.shape[1]}, "
            f"dtype={self.X.dtype}, order={order!r}, l2={self.l2}, "
            f"fit_intercept={self.fit_intercept}" + (f", l1={self.l1})" if self.l1 else ")")
        )


class LeastSquares(_DataObjective):
    r"""Least squares, optionally ridge-penalised and weighted.

    .. math::
        R(w, b) = \frac{1}{2S} \sum_i s_i (x_i \cdot w + b - y_i)^2 + \frac{l_2}{2} \|w\|^2,
        \quad S = \sum_i s_i

    The parameter vector is ``w`` (length ``n_features``), followed by the intercept ``b``
    when ``fit_intercept`` is true; the intercept is not penalised.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
        float64 or float32, C- or Fortran-ordered: used in place, without a copy (so do not
        change it while the objective is in use). Any other dtype or a non-contiguous view is
        copied once into a contiguous float64 array. Entries up to about 1.3e150 in magnitude
        (float64; 1.8e15 for float32), see the module notes. A scipy.sparse CSR matrix or
        array (float32/float64 values, int32/int64 indices) is borrowed the same way: its
        ``data``, ``indices`` and ``indptr`` are read in place, so a change of the stored
        values is seen, while restructuring X in place (writing into ``indices`` or
        ``indptr``) is not supported: build a new objective. Other sparse formats, and
        integer or boolean values, are converted to a float64 CSR copy once.
    y : array_like, shape (n_samples,)
        Targets; converted to X's dtype (a copy of y, not of X, when the dtypes differ).
    l2 : float, default 0.0
        Ridge penalty, >= 0.
    fit_intercept : bool, default False
        Append an unpenalised intercept as the last parameter.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights s_i (all ones when omitted), finite and not all zero. Copied
        (in X's dtype; for float32 X, weights beyond float32's range are first divided by the
        largest): later changes to your array do not reach the objective.
    n_threads : int, optional
        Threads for large passes over X, 1 to 1024; all cores by default.
    l1 : float, default 0.0
        An L1 penalty ``l1 ||w||_1`` (not on the intercept), >= 0. ``value`` includes it;
        ``gradient`` is the gradient of the smooth part only: the first-order methods handle
        the L1 term by a proximal step (soft thresholding) after each step, which gives
        exact zeros. Second-order methods refuse an objective with ``l1 > 0``.

    Attributes
    ----------
    X, y, l2, l1, fit_intercept, sample_weight, n_threads
        What the objective was built with, read-only (assigning raises AttributeError: build
        a new objective instead).

    Raises
    ------
    TypeError
        If X, y or sample_weight are not numeric arrays.
    ValueError
        For wrong shapes, empty data, NaN or infinity, entries too large to square, negative
        ``l2`` or weights, ``n_threads`` out of [1, 1024].

    Examples
    --------
    >>> import numpy as np, descend
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> f = descend.LeastSquares(X, [1.0, 2.0, 3.0])
    >>> f.value(np.array([1.0, 2.0]))
    0.0
    >>> f.gradient(np.zeros(2))
    array([-1.33333333, -1.66666667])
    """

    _loss = "squared"


class Logistic(_DataObjective):
    r"""Mean logistic loss (binary cross-entropy), optionally ridge-penalised and weighted.

    .. math::
        R(w, b) = \frac{1}{S} \sum_i s_i \log(1 + e^{-t_i (x_i \cdot w + b)})
        + \frac{l_2}{2} \|w\|^2

    with labels t_i in {-1, +1}. Labels may be given as {0, 1} or {-1, +1}; they are stored
    as -1/+1 in X's dtype. The loss is computed without overflow or ``log(0)`` for any margin.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
        float64 or float32, dense (C or Fortran order) or sparse, used in place as in
        :class:`LeastSquares`.
    y : array_like, shape (n_samples,)
        Binary labels, {0, 1} or {-1, +1}.
    l2 : float, default 0.0
        Ridge penalty, >= 0.
    fit_intercept : bool, default False
        Append an unpenalised intercept as the last parameter.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights.
    n_threads : int, optional
        Threads for large passes over X; all cores by default.
    l1 : float, default 0.0
        An L1 penalty, handled as in :class:`LeastSquares`.

    Raises
    ------
    ValueError
        If the labels are not binary, and for the same bad inputs as :class:`LeastSquares`.

    Examples
    --------
    >>> import numpy as np, descend
    >>> f = descend.Logistic(np.array([[1.0], [-1.0]]), [1, 0])
    >>> round(f.value(np.zeros(1)), 6)  # log(2)
    0.693147
    """

    _loss = "log"

    @staticmethod
    def _check_targets(y, n, dtype):
        y = check_vector(y, "y", size=n, dtype=np.float64, size_hint="one per row of X")
        labels = np.unique(y)
        if labels.size > 2 or not (set(labels.tolist()) <= {0.0, 1.0} or
                                   set(labels.tolist()) <= {-1.0, 1.0}):
            shown = labels[:5].tolist()
            raise ValueError(f"y must hold binary labels {{0, 1}} or {{-1, +1}}, got {shown}")
        return np.where(y > 0, 1.0, -1.0).astype(dtype)


#: The losses of :class:`LinearLoss` on labels (coded -1/+1), scikit-learn's names.
CLASSIFICATION_LOSSES = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron")
#: The losses of :class:`LinearLoss` on real targets, scikit-learn's names.
REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive",
                     "squared_epsilon_insensitive")
#: The compiled core's names of the two losses with their own kernels.
_CORE_LOSS = {"squared_error": "squared", "log_loss": "log"}


class LinearLoss(_DataArguments, _core.Glm):
    r"""The mean loss of a linear model, for any loss of scikit-learn's SGD estimators.

    .. math::
        R(w, b) = \frac{1}{S} \sum_i s_i L(z_i, y_i) + \frac{l_2}{2} \|w\|^2
        + l_1 \|w\|_1, \qquad z_i = x_i \cdot w + b, \quad S = \sum_i s_i

    with L one of scikit-learn's losses (the same definitions, without its constant factors
    changed), on labels t_i in {-1, +1} for the classification losses and on real y_i for
    the regression ones (r = z - y, a = t z):

    =============================== ============================================ =========
    loss                            L                                            smooth
    =============================== ============================================ =========
    "hinge"                         max(0, 1 - a)                                no
    "perceptron"                    max(0, -a)                                   no
    "squared_hinge"                 max(0, 1 - a)^2                              C^1
    "modified_huber"                0 (a >= 1), (1 - a)^2 (a >= -1), -4 a        C^1
    "log_loss"                      log(1 + exp(-a))  (as :class:`Logistic`)     yes
    "squared_error"                 r^2 / 2  (as :class:`LeastSquares`)          yes
    "huber"                         r^2 / 2 (abs(r) <= e), e abs(r) - e^2 / 2    C^1
    "epsilon_insensitive"           max(0, abs(r) - e)                           no
    "squared_epsilon_insensitive"   max(0, abs(r) - e)^2                         C^1
    =============================== ============================================ =========

    (e is ``epsilon``.) The kinked losses ("no") have a subgradient for a gradient: at a
    kink the slope is the one scikit-learn's SGD takes (hinge and perceptron: -t where
    a <= threshold, the kink included; epsilon-insensitive: 0 on the tube's edges). They say
    so with ``smooth`` False and give no Hessian (``has_hessian`` False), so the Newton
    methods refuse them; first-order methods run, and a run on them reports success only
    when the subgradient's norm fell below gtol times its start (for these convex losses
    ``R(w) - R* <= ||g|| ||w - w*||``, so that is a certificate), never from its curvature.
    The C^1 losses have a gradient and, for the Hessian, their second derivative almost
    everywhere (the generalised Hessian: 0, 1 or 2 per row), so Newton's method runs on them
    too. ``hessian_sum`` and ``hvp_sum`` give that almost-everywhere second derivative for
    every loss (0 for the kinked ones).

    "log_loss" and "squared_error" build the same compiled objectives as :class:`Logistic`
    and :class:`LeastSquares`; the other seven share one compiled kernel that chooses the
    loss once per block of rows.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
        float64 or float32, dense (C or Fortran order) or sparse, used in place as in
        :class:`LeastSquares`.
    y : array_like, shape (n_samples,)
        Classification losses: binary labels, {0, 1} or {-1, +1} (stored as -1/+1 in X's
        dtype). Regression losses: real targets (in X's dtype).
    loss : str, default "squared_error"
        One of :data:`CLASSIFICATION_LOSSES` or :data:`REGRESSION_LOSSES`.
    l2 : float, default 0.0
        Ridge penalty on the weights (not the intercept), >= 0.
    fit_intercept : bool, default False
        Append an unpenalised intercept as the last parameter.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights (copied).
    n_threads : int, optional
        Threads for large passes over X, 1 to 1024; all cores by default.
    l1 : float, default 0.0
        An L1 penalty, handled as in :class:`LeastSquares`.
    epsilon : float, default 0.1
        e, the threshold of "huber", "epsilon_insensitive" and
        "squared_epsilon_insensitive" (scikit-learn's default), finite and >= 0; the other
        losses do not use it.
    max_slope : float or None, default None
        None: the exact gradient. A number > 0 clips each row's loss slope dL/dz to
        [-max_slope, max_slope] before its weight multiplies it, in every gradient (not in
        the values or the Hessian), as scikit-learn's SGD clips at 1e12 (the SGD estimators
        pass 1e12). At a point where some row's slope exceeds the bound the gradient is not
        the loss's: a bound meant only to keep diverging steps finite (1e12) leaves every
        gradient near a minimum exact.

    Attributes
    ----------
    X, y, loss, epsilon, l2, l1, fit_intercept, sample_weight, n_threads, max_slope
        What the objective was built with, read-only.
    smooth : bool
        False for the kinked losses.

    Raises
    ------
    ValueError
        For an unknown loss, a negative or non-finite epsilon, labels that are not binary
        for a classification loss, and the bad inputs of :class:`LeastSquares`.

    Examples
    --------
    >>> import numpy as np, descend
    >>> f = descend.objectives.LinearLoss(np.array([[1.0], [-1.0]]), [1, 0], loss="hinge")
    >>> f.value(np.zeros(1)), f.gradient(np.zeros(1)).tolist(), f.smooth
    (1.0, [-1.0], False)
    >>> g = descend.objectives.LinearLoss(np.ones((2, 1)), [0.0, 3.0], loss="huber",
    ...                                   epsilon=1.0)
    >>> g.value(np.zeros(1))  # (0 + (3 - 0.5)) / 2
    1.25
    """

    y = _Argument("The targets, in X's dtype (-1/+1 for a classification loss; borrowed).")
    fit_intercept = _Argument("Whether an intercept is the last parameter.")
    loss = _Argument("The loss's name.")
    epsilon = _Argument("The threshold of huber and the epsilon-insensitive losses.")
    max_slope = _Argument("The clip of each loss slope (None: none).")

    def __init__(self, X, y, loss="squared_error", l2=0.0, fit_intercept=False,
                 sample_weight=None, n_threads=None, l1=0.0, epsilon=0.1, *, max_slope=None):
        if not (isinstance(loss, str) and loss in CLASSIFICATION_LOSSES + REGRESSION_LOSSES):
            raise ValueError(f"loss must be one of "
                             f"{', '.join(map(repr, CLASSIFICATION_LOSSES + REGRESSION_LOSSES))}, "
                             f"got {loss!r}")
        epsilon = check_real(epsilon, "epsilon", low=0.0)
        X, core_X, l2, fit_intercept, sample_weight, threads = _check_data_arguments(
            X, l2, fit_intercept, sample_weight, n_threads)
        check = (Logistic._check_targets if loss in CLASSIFICATION_LOSSES
                 else LeastSquares._check_targets)
        y = check(y, X.shape[0], X.dtype)
        l1 = check_real(l1, "l1", low=0.0)
        if max_slope is not None:
            max_slope = check_real(max_slope, "max_slope", low=0.0, low_open=True)
        super().__init__(_CORE_LOSS.get(loss, loss), core_X, y, sample_weight, l2,
                         fit_intercept, threads, l1, epsilon,
                         np.inf if max_slope is None else max_slope)
        _keep_data_arguments(self, X=X, y=y, loss=loss, epsilon=epsilon, l2=l2,
                             fit_intercept=fit_intercept, sample_weight=sample_weight,
                             n_threads=n_threads, l1=l1, max_slope=max_slope)

    @property
    def n_features(self):
        """Number of columns of X (``n_params`` minus one when an intercept is fitted)."""
        return self.X.shape[1]

    def __reduce__(self):
        args = (self.X, self.y, self.loss, self.l2, self.fit_intercept, self.sample_weight,
                self.n_threads, self.l1, self.epsilon)
        if self.max_slope is None:
            return (type(self), args)
        return (functools.partial(type(self), max_slope=self.max_slope), args)

    def __repr__(self):
        return (f"LinearLoss(loss={self.loss!r}, n_samples={self.X.shape[0]}, "
                f"n_features={self.X.shape[1]}, dtype={self.X.dtype}, "
                f"order={_layout(self.X)!r}, l2={self.l2}, fit_intercept={self.fit_intercept}"
                + (f", l1={self.l1}" if self.l1 else "")
                + (f", epsilon={self.epsilon})" if self.loss in _USES_EPSILON else ")"))


#: The losses whose value depends on epsilon.
_USES_EPSILON = ("huber", "epsilon_insensitive", "squared_epsilon_insensitive")


class Softmax(_DataArguments, _core.Softmax):
    r"""Multinomial logistic regression: the mean softmax cross-entropy over K classes.

    .. math::
        R(W) = \frac{1}{S} \sum_i s_i \Big[\log \sum_k e^{z_{ik}} - z_{i y_i}\Big]
        + \frac{l_2}{2} \|W_{:, :d}\|^2, \qquad z_i = W \tilde x_i

    The parameters form a K x p matrix ``W`` (p = n_features, plus one intercept column when
    ``fit_intercept``), passed to every method flattened row by row: ``w = W.ravel()``; use
    :meth:`coef_matrix` to go back. The Hessian has a K x K block structure. Without a penalty
    the parameters are determined only up to a shift common to all classes (the Hessian is
    singular): use ``l2 > 0`` for Newton-type methods.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
        float64 or float32, dense (C or Fortran order) or sparse, used in place as in
        :class:`LeastSquares`.
    y : array_like of int, shape (n_samples,)
        Class labels 0, 1, ..., K-1 (stored as int64; copied if given in another type).
    l2 : float, default 0.0
        Ridge penalty on the weights (not the intercepts), >= 0.
    fit_intercept : bool, default False
        One unpenalised intercept per class.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights (copied).
    n_classes : int, optional
        K; by default ``max(y) + 1``. Must be at least 2, larger than every label, and
        ``K * p`` (p = n_features, plus 1 with an intercept) at most
        :data:`MAX_SOFTMAX_PARAMS` = 2**31.
    n_threads : int, optional
        Threads for large passes over X, 1 to 1024; all cores by default.
    l1 : float, default 0.0
        An L1 penalty ``l1 ||W[:, :d]||_1`` on the weights (not the intercepts), >= 0, handled
        as in :class:`LeastSquares`: in ``value``, not in ``gradient``; the first-order methods
        take it by a proximal step.

    Attributes
    ----------
    X, y, l2, l1, fit_intercept, sample_weight, n_threads, n_classes
        What the objective was built with, read-only.

    Raises
    ------
    ValueError
        If the labels are not integers in 0..K-1, K exceeds the parameter cap, and for the
        bad inputs of :class:`LeastSquares`.

    Examples
    --------
    >>> import numpy as np, descend
    >>> f = descend.Softmax(np.eye(3), [0, 1, 2])
    >>> round(f.value(np.zeros(9)), 6)  # log(3)
    1.098612
    >>> f.coef_matrix(np.arange(9.0)).shape
    (3, 3)
    """

    y = _Argument("The labels, as int64 (borrowed like X).")
    fit_intercept = _Argument("Whether each class has an intercept (the last column of W).")
    n_classes = _Argument("K, the number of classes.", _core.Softmax.n_classes)

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, n_classes=None,
                 n_threads=None, l1=0.0):
        X, core_X, l2, fit_intercept, sample_weight, threads = _check_data_arguments(
            X, l2, fit_intercept, sample_weight, n_threads)
        l1 = check_real(l1, "l1", low=0.0)
        per_class = X.shape[1] + (1 if fit_intercept else 0)
        max_classes = MAX_SOFTMAX_PARAMS // per_class
        y = check_vector(y, "y", size=X.shape[0], size_hint="one per row of X")
        if (y != np.round(y)).any() or (y < 0).any():
            raise ValueError("y must hold integer class labels 0, 1, ..., K-1")
        top = y.max()  # compared before the cast: a label beyond int64 must not wrap
        if n_classes is not None:
            n_classes = check_int(n_classes, "n_classes", low=2, high=max_classes)
            if top >= n_classes:
                raise ValueError(f"y holds label {top:.17g}, which needs n_classes > {top:.17g}")
        elif top >= max_classes:
            raise ValueError(
                f"y holds label {top:.17g}: labels must be integers in [0, n_classes) with "
                f"n_classes * {per_class} parameters per class at most 2**31, so at most "
                f"{max_classes - 1}")
        labels = np.ascontiguousarray(y, dtype=np.int64)
        if n_classes is None:
            n_classes = int(top) + 1
            if n_classes < 2:
                raise ValueError("y must contain at least two classes (labels 0 and 1)")
        super().__init__(core_X, labels, n_classes, sample_weight, l2, fit_intercept, threads, l1)
        _keep_data_arguments(self, X=X, y=labels, l2=l2, fit_intercept=fit_intercept,
                             sample_weight=sample_weight, n_threads=n_threads, l1=l1)

    @property
    def n_features(self):
        """Number of columns of X."""
        return self.X.shape[1]

    def coef_matrix(self, w):
        """Return the flat parameter vector `w` as the (n_classes, p) matrix it stands for.

        Parameters
        ----------
        w : array_like, shape (n_params,)

        Returns
        -------
        ndarray, shape (n_classes, n_params // n_classes)
        """
        w = check_vector(w, "w", size=self.n_params, size_hint="the objective's n_params")
        return w.reshape(self.n_classes, -1)

    def __reduce__(self):
        args = (self.X, self.y, self.l2, self.fit_intercept, self.sample_weight, self.n_classes,
                self.n_threads, self.l1)
        return (type(self), args)

    def __repr__(self):
        return (f"Softmax(n_samples={self.X.shape[0]}, n_features={self.X.shape[1]}, "
                f"n_classes={self.n_classes}, dtype={self.X.dtype}, order={_layout(self.X)!r}, "
                f"l2={self.l2}, "
                f"fit_intercept={self.fit_intercept}" + (f", l1={self.l1})" if self.l1 else ")"))


class Quadratic(_core.Quadratic):
    r"""The quadratic form :math:`R(w) = \tfrac12 w^\top A w - b^\top w + c`.

    Its gradient is ``A w - b`` and its Hessian ``A`` everywhere: the model problem on which
    the lectures analyse gradient descent.

    Parameters
    ----------
    A : array_like, shape (p, p)
        Symmetric matrix (checked to relative precision 1e-10). Copied (it is small).
    b : array_like, shape (p,), optional
        Linear term; zeros when omitted.
    c : float, default 0.0
        Constant term.

    Attributes
    ----------
    A, b, c
        Read-only (assigning raises AttributeError: build a new Quadratic instead).

    Raises
    ------
    ValueError
        If A is not square or not symmetric, b has the wrong length, or anything is not finite.

    Examples
    --------
    >>> import numpy as np, descend
    >>> f = descend.Quadratic(np.diag([1.0, 10.0]), [1.0, 0.0])
    >>> f.gradient(np.array([1.0, 0.0]))
    array([0., 0.])
    """

    A = _Argument("The matrix A (a read-only view of the compiled copy).", _core.Quadratic.A)
    b = _Argument("The linear term b (a read-only view of the compiled copy).", _core.Quadratic.b)
    c = _Argument("The constant term c.", _core.Quadratic.c)

    def __init__(self, A, b=None, c=0.0):
        A = check_matrix(A, "A", allow_float32=False)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be square, got shape {A.shape}")
        scale = max(1.0, float(np.abs(A).max()))
        if not np.allclose(A, A.T, rtol=0.0, atol=1e-10 * scale):
            raise ValueError("A must be symmetric (A == A.T)")
        p = A.shape[0]
        b = np.zeros(p) if b is None else check_vector(b, "b", size=p, size_hint="A's size")
        c = check_real(c, "c")
        super().__init__(A, b, c)

    def __reduce__(self):
        return (type(self), (np.array(self.A), np.array(self.b), self.c))

    def __repr__(self):
        return f"Quadratic(n_params={self.n_params})"
