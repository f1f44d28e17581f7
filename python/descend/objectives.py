"""The built-in objectives: least squares, logistic regression and quadratics.

Each is a compiled object with the same methods (``value``, ``gradient``,
``value_and_gradient``, ``hessian``, ``hvp``) that every solver of :func:`descend.minimize`
works with. Arguments are validated here; the arrays are then borrowed by the C++ core.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._validation import (
    check_bool,
    check_int,
    check_matrix,
    check_n_threads,
    check_real,
    check_vector,
)

__all__ = ["Objective", "LeastSquares", "Logistic", "Quadratic", "Softmax"]

#: The base class of every compiled objective (useful for ``isinstance`` checks).
Objective = _core.Objective


def _check_data_arguments(X, l2, fit_intercept, sample_weight, n_threads):
    """Validate the arguments every data objective shares; returns them converted."""
    X = check_matrix(X, "X")
    l2 = check_real(l2, "l2", low=0.0)
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
    if sample_weight is not None:
        sample_weight = check_vector(sample_weight, "sample_weight", size=X.shape[0],
                                     dtype=X.dtype, size_hint="one per row of X")
        if (sample_weight < 0).any():
            raise ValueError("sample_weight must be >= 0")
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must not be all zero")
    return X, l2, fit_intercept, sample_weight, check_n_threads(n_threads)


def _keep_data_arguments(objective, X, y, l2, fit_intercept, sample_weight, n_threads):
    """Keep the validated arguments on the objective (they also keep the arrays alive)."""
    objective.X, objective.y, objective.l2 = X, y, l2
    objective.fit_intercept, objective.sample_weight = fit_intercept, sample_weight
    objective.n_threads = n_threads


class _DataObjective(_core.Glm):
    """Shared construction of the empirical risks over a data matrix X."""

    _loss = ""

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, n_threads=None,
                 l1=0.0):
        X, l2, fit_intercept, sample_weight, threads = _check_data_arguments(
            X, l2, fit_intercept, sample_weight, n_threads)
        y = self._check_targets(y, X.shape[0], X.dtype)
        l1 = check_real(l1, "l1", low=0.0)
        super().__init__(self._loss, X, y, sample_weight, l2, fit_intercept, threads, l1)
        self.l1 = l1
        _keep_data_arguments(self, X, y, l2, fit_intercept, sample_weight, n_threads)

    @staticmethod
    def _check_targets(y, n, dtype):
        return check_vector(y, "y", size=n, dtype=dtype, size_hint="one per row of X")

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
        order = "C" if self.X.flags.c_contiguous else "F"
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
    X : array_like, shape (n_samples, n_features)
        float64 or float32, C- or Fortran-ordered: used in place, without a copy. Any other
        dtype or a non-contiguous view is copied once into a contiguous float64 array.
    y : array_like, shape (n_samples,)
        Targets; converted to X's dtype (a copy of y, not of X, when the dtypes differ).
    l2 : float, default 0.0
        Ridge penalty, >= 0.
    fit_intercept : bool, default False
        Append an unpenalised intercept as the last parameter.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights s_i (all ones when omitted).
    n_threads : int, optional
        Threads for large passes over X; all cores by default.
    l1 : float, default 0.0
        An L1 penalty ``l1 ||w||_1`` (not on the intercept), >= 0. ``value`` includes it;
        ``gradient`` is the gradient of the smooth part only: the first-order methods handle
        the L1 term by a proximal step (soft thresholding) after each step, which gives
        exact zeros. Second-order methods refuse an objective with ``l1 > 0``.

    Raises
    ------
    TypeError
        If X, y or sample_weight are not numeric arrays.
    ValueError
        For wrong shapes, empty data, NaN or infinity, negative ``l2`` or weights.

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
    X : array_like, shape (n_samples, n_features)
        float64 or float32, C- or Fortran-ordered: used in place, without a copy.
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


class Softmax(_core.Softmax):
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
    X : array_like, shape (n_samples, n_features)
        float64 or float32, C- or Fortran-ordered: used in place, without a copy.
    y : array_like of int, shape (n_samples,)
        Class labels 0, 1, ..., K-1 (stored as int64; copied if given in another type).
    l2 : float, default 0.0
        Ridge penalty on the weights (not the intercepts), >= 0.
    fit_intercept : bool, default False
        One unpenalised intercept per class.
    sample_weight : array_like, shape (n_samples,), optional
        Non-negative weights.
    n_classes : int, optional
        K; by default ``max(y) + 1``. Must be at least 2 and larger than every label.
    n_threads : int, optional
        Threads for large passes over X; all cores by default.

    Raises
    ------
    ValueError
        If the labels are not integers in 0..K-1, and for the bad inputs of
        :class:`LeastSquares`.

    Examples
    --------
    >>> import numpy as np, descend
    >>> f = descend.Softmax(np.eye(3), [0, 1, 2])
    >>> round(f.value(np.zeros(9)), 6)  # log(3)
    1.098612
    >>> f.coef_matrix(np.arange(9.0)).shape
    (3, 3)
    """

    def __init__(self, X, y, l2=0.0, fit_intercept=False, sample_weight=None, n_classes=None,
                 n_threads=None):
        X, l2, fit_intercept, sample_weight, threads = _check_data_arguments(
            X, l2, fit_intercept, sample_weight, n_threads)
        y = check_vector(y, "y", size=X.shape[0], size_hint="one per row of X")
        if (y != np.round(y)).any() or (y < 0).any():
            raise ValueError("y must hold integer class labels 0, 1, ..., K-1")
        labels = y.astype(np.int64)
        top = int(labels.max())
        if n_classes is None:
            n_classes = top + 1
            if n_classes < 2:
                raise ValueError("y must contain at least two classes (labels 0 and 1)")
        else:
            n_classes = check_int(n_classes, "n_classes", low=2)
            if top >= n_classes:
                raise ValueError(f"y holds label {top}, which needs n_classes > {top}")
        super().__init__(X, labels, n_classes, sample_weight, l2, fit_intercept, threads)
        _keep_data_arguments(self, X, labels, l2, fit_intercept, sample_weight, n_threads)

    @property
    def n_features(self):
        """Number of columns of X."""
        return self.X.shape[1]

    def coef_matrix(self, w):
        """Return the flat parameter vector `w` as the (n_classes, p) matrix it stands for."""
        return np.asarray(w, dtype=np.float64).reshape(self.n_classes, -1)

    def __reduce__(self):
        args = (self.X, self.y, self.l2, self.fit_intercept, self.sample_weight, self.n_classes,
                self.n_threads)
        return (type(self), args)

    def __repr__(self):
        return (f"Softmax(n_samples={self.X.shape[0]}, n_features={self.X.shape[1]}, "
                f"n_classes={self.n_classes}, dtype={self.X.dtype}, l2={self.l2}, "
                f"fit_intercept={self.fit_intercept})")


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
