"""Constraint sets for projected gradient descent: ``minimize(..., constraint=...)``.

Every first-order method takes ``constraint=``: after each step the iterate is projected back
into the set (the lectures' constrained optimisation by projection), and the starting point is
projected first. With a constraint the gradient need not vanish at the solution, so such runs
stop on ``tol`` (the change of the loss), not on ``gtol``.

Examples
--------
>>> import numpy as np, descend
>>> ball = descend.constraints.Ball(1.0)
>>> ball.project(np.array([3.0, 4.0])).round(12).tolist()
[0.6, 0.8]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Tuple

import numpy as np

from . import _core
from ._validation import as_real_array, check_real, check_vector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Constraint", "Ball", "Box", "NonNegative", "Simplex", "Projection"]


def _frozen_copy(array):
    """A read-only copy of `array`: later edits of the caller's array cannot reach the set."""
    copy = np.array(array, dtype=np.float64, copy=True)
    copy.flags.writeable = False
    return copy


def _refuse_assignment(obj, name):
    kind = type(obj).__name__
    raise AttributeError(f"{kind}.{name} is read-only: build a new {kind} instead")


class _Parameter:
    """A read-only attribute of a constraint set, validated when the set was built."""

    def __init__(self, doc):
        self.__doc__ = doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return obj.__dict__["_parameters"][self.name]

    def __set__(self, obj, value):
        _refuse_assignment(obj, self.name)

    def __delete__(self, obj):
        _refuse_assignment(obj, self.name)


class Constraint:
    """A convex set with a Euclidean projection ``project(x)``."""

    def _core_projection(self):
        raise NotImplementedError

    def project(self, x: ArrayLike) -> np.ndarray:
        """Return the point of the set closest to `x` (a new array).

        Parameters
        ----------
        x : array_like, shape (n,)

        Returns
        -------
        ndarray
        """
        x = check_vector(x, "x")
        return self._core_projection().project(x)

    def contains(self, x: ArrayLike, tol: float = 1e-10) -> bool:
        """Whether `x` lies in the set (to within `tol`).

        Parameters
        ----------
        x : array_like
        tol : float, default 1e-10

        Returns
        -------
        bool
        """
        x = check_vector(x, "x")
        tol = check_real(tol, "tol", low=0.0)
        return bool(_norm(self.project(x) - x) <= tol * max(1.0, _norm(x)))


def _norm(v):
    """The Euclidean norm, scaled by the largest entry so that it cannot overflow."""
    top = float(np.max(np.abs(v))) if v.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.linalg.norm(v / top))


class Ball(Constraint):
    """The ball ``||x - center|| <= radius``.

    Parameters
    ----------
    radius : float
        >= 0.
    center : array_like, optional
        The origin by default. Copied: later changes to your array do not move the ball.

    Attributes
    ----------
    radius : float
    center : ndarray or None
        Read-only (a read-only copy): build a new Ball for another one.

    Raises
    ------
    ValueError
        For a negative or non-finite radius, or a center with NaN or infinity; projecting an
        x whose length differs from the center's.

    Examples
    --------
    >>> from descend.constraints import Ball
    >>> Ball(2.0, center=[1.0, 1.0]).project([1.0, 5.0]).tolist()
    [1.0, 3.0]
    """

    radius = _Parameter("The radius.")
    center = _Parameter("The center (a read-only copy), or None for the origin.")

    def __init__(self, radius: float, center: Optional[ArrayLike] = None) -> None:
        radius = check_real(radius, "radius", low=0.0)
        center = None if center is None else _frozen_copy(check_vector(center, "center"))
        self.__dict__["_parameters"] = {"radius": radius, "center": center}

    def __reduce__(self):
        return (type(self), (self.radius, self.center))

    def _core_projection(self):
        p = _core.Projection()
        p.kind = _core.Projection.Kind.ball
        p.radius = self.radius
        if self.center is not None:
            p.center = self.center
        return p

    def __repr__(self):
        if self.center is None:
            return f"Ball(radius={self.radius})"
        return f"Ball(radius={self.radius}, center of length {self.center.size})"


class Box(Constraint):
    """The box ``lower <= x <= upper`` (element-wise).

    Each bound is a scalar (the same bound on every coordinate) or an array with one bound per
    coordinate, broadcast as ``numpy.clip`` and ``scipy.optimize.Bounds`` do: ``Box(-0.1, 0.2)``
    fits an x of any length, ``Box(0.0, [1.0, 2.0])`` an x of length 2. Whether the lengths
    fit x is checked when the box is used.

    Parameters
    ----------
    lower, upper : float or array_like
        Bounds with ``lower <= upper``; ``-inf``/``inf`` allowed, NaN not. Two arrays must have
        the same length. Copied: later changes to your arrays do not move the box.

    Attributes
    ----------
    lower, upper : ndarray
        Read-only copies (length 1 for a scalar bound): build a new Box for other bounds.

    Raises
    ------
    TypeError
        If a bound is not numeric.
    ValueError
        For NaN, ``lower > upper``, bounds of different lengths, or more than one dimension;
        projecting an x whose length fits neither bound.

    Examples
    --------
    >>> from descend.constraints import Box
    >>> Box([0.0, 0.0], [1.0, 2.0]).project([-1.0, 3.0]).tolist()
    [0.0, 2.0]
    >>> Box(-0.1, 0.2).project([1.0, 0.0, -1.0]).tolist()
    [0.2, 0.0, -0.1]
    """

    lower = _Parameter("The lower bounds (a read-only copy; length 1 for a scalar).")
    upper = _Parameter("The upper bounds (a read-only copy; length 1 for a scalar).")

    def __init__(self, lower: ArrayLike, upper: ArrayLike) -> None:
        lower, upper = self._bound(lower, "lower"), self._bound(upper, "upper")
        if lower.size != upper.size and lower.size != 1 and upper.size != 1:
            raise ValueError(f"lower and upper must have the same length or be scalars, got "
                             f"lengths {lower.size} and {upper.size}")
        if (lower > upper).any():
            raise ValueError("the box needs lower <= upper")
        if (lower == np.inf).any() or (upper == -np.inf).any():
            raise ValueError("the box must hold a finite point: lower may not be +inf, nor "
                             "upper -inf")
        self.__dict__["_parameters"] = {"lower": _frozen_copy(lower),
                                        "upper": _frozen_copy(upper)}

    @staticmethod
    def _bound(value, name):
        arr = as_real_array(value, name)
        if arr.ndim > 1:
            raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
        arr = arr.reshape(-1)
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty")
        if np.isnan(arr).any():
            raise ValueError(f"{name} contains NaN (the box needs lower <= upper, without NaN)")
        return arr

    def _core_projection(self):
        p = _core.Projection()
        p.kind = _core.Projection.Kind.box
        p.lower, p.upper = self.lower, self.upper
        return p

    def __reduce__(self):
        return (type(self), (self.lower, self.upper))

    def __repr__(self):
        if self.lower.size == 1 and self.upper.size == 1:
            return f"Box(lower={self.lower[0]}, upper={self.upper[0]})"
        return f"Box(n={max(self.lower.size, self.upper.size)})"


class NonNegative(Constraint):
    """The non-negative orthant ``x >= 0``.

    Examples
    --------
    >>> from descend.constraints import NonNegative
    >>> NonNegative().project([-1.0, 2.0]).tolist()
    [0.0, 2.0]
    """

    def _core_projection(self):
        p = _core.Projection()
        p.kind = _core.Projection.Kind.nonnegative
        return p

    def __repr__(self):
        return "NonNegative()"


class Simplex(Constraint):
    """The probability simplex ``x >= 0, sum(x) = 1``.

    Examples
    --------
    >>> from descend.constraints import Simplex
    >>> Simplex().project([0.2, 0.2, 1.6]).round(12).tolist()
    [0.0, 0.0, 1.0]
    >>> Simplex().project([0.5, 0.5, 1.0]).round(4).tolist()
    [0.1667, 0.1667, 0.6667]
    """

    def _core_projection(self):
        p = _core.Projection()
        p.kind = _core.Projection.Kind.simplex
        return p

    def __repr__(self):
        return "Simplex()"


class Projection(Constraint):
    """A set given by your own projection function ``x -> projected x``.

    The compiled loop calls it (with the GIL) after every step; it must return an array of
    x's length.

    Parameters
    ----------
    function : callable

    Examples
    --------
    >>> import numpy as np
    >>> from descend.constraints import Projection
    >>> Projection(lambda x: np.clip(x, -1, 1)).project([3.0, 0.5]).tolist()
    [1.0, 0.5]
    """

    def __init__(self, function: Callable[[np.ndarray], ArrayLike]) -> None:
        if not callable(function):
            raise TypeError("function must be callable")
        self.function = function

    def _core_projection(self):
        return self.function

    def project(self, x: ArrayLike) -> np.ndarray:
        """Apply the function (checked: same length, finite).

        Parameters
        ----------
        x : array_like

        Returns
        -------
        ndarray
        """
        x = check_vector(x, "x")
        out = as_real_array(self.function(x.copy()), "the projection's result")
        if out.shape != x.shape or not np.isfinite(out).all():
            raise ValueError("the projection must return a finite array of x's length")
        return out

    def __repr__(self):
        return f"Projection({self.function!r})"


def as_constraint(value, name="constraint"):
    """Validate a constraint option: None, a Constraint, or a projection callable."""
    if value is None or isinstance(value, Constraint):
        return value
    if callable(value):
        return Projection(value)
    raise TypeError(f"{name} must be a descend.constraints set or a projection callable, "
                    f"got {type(value).__name__}")


def constrained_least_squares(A: ArrayLike, b: ArrayLike, radius: float, *, tol: float = 1e-12,
                              max_iter: int = 100) -> Tuple[np.ndarray, float]:
    """Least squares in a ball by the KKT conditions: min ||Ax - b||^2 / 2, ||x|| <= radius.

    The Lagrangian ``L(x, lam) = ||Ax - b||^2 / 2 + lam (x'x - radius^2)`` is minimised over
    x for fixed lam by solving ``(A'A + 2 lam I) x = A'b`` with a Cholesky factorisation;
    lam >= 0 then climbs by gradient ascent on ``dL/dlam = x'x - radius^2``, each step scaled
    by the curvature ``|d2L/dlam2| = 4 x'(A'A + 2 lam I)^-1 x`` (read off the same Cholesky
    factor), until ``x'x`` meets ``radius^2``. When the unconstrained solution already lies in
    the ball, lam = 0 (the constraint is inactive).

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,)
    radius : float
        > 0.
    tol : float, default 1e-12
        Relative tolerance on ``|x'x - radius^2|``.
    max_iter : int, default 100
        Ascent steps allowed.

    Returns
    -------
    x : ndarray
        The solution.
    lam : float
        The multiplier (0 when the unconstrained solution is inside the ball).

    Raises
    ------
    RuntimeError
        If the multiplier has not converged after max_iter steps.

    Examples
    --------
    >>> import numpy as np, descend
    >>> x, lam = descend.constrained_least_squares(np.eye(2), [3.0, 4.0], 1.0)
    >>> x.round(6).tolist(), round(lam, 6)
    ([0.6, 0.8], 2.0)
    """
    from ._validation import check_int, check_matrix

    A = check_matrix(A, "A", allow_float32=False)
    b = check_vector(b, "b", size=A.shape[0], size_hint="one per row of A")
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    tol = check_real(tol, "tol", low=0.0)
    max_iter = check_int(max_iter, "max_iter", low=1)
    # The minimiser does not change when A and b are divided by one number s (the loss is
    # multiplied by 1/s^2, and so is the multiplier): with s = max|A|, A'A neither
    # underflows nor overflows, whatever the scale of the data.
    scale = float(np.max(np.abs(A)))
    if scale == 0.0:
        return np.zeros(A.shape[1]), 0.0
    x, lam = _ball_least_squares(A / scale, b / scale, radius, tol, max_iter)
    return x, lam * scale * scale


def _ball_least_squares(A, b, radius, tol, max_iter):
    """constrained_least_squares on validated data with max|A| = 1.

    lam solves the secular equation 1/||x(lam)|| = 1/radius by Newton's method (More and
    Sorensen): nearly linear in lam, so it converges from below in a few steps, and every
    quantity stays a ratio of norms (no x'x that could overflow).
    """
    AtA, Atb = A.T @ A, A.T @ b
    n = A.shape[1]
    if np.linalg.matrix_rank(A) < n:
        # A'A is singular: at lam = 0 the minimisers form an affine set, and the one of least
        # norm (the limit of x(lam) as lam -> 0+) is the candidate. If it is outside the ball,
        # lam > 0 and the iteration starts just above 0, where A'A + 2 lam I is definite.
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        if (_norm(x) / radius) * (_norm(x) / radius) <= 1.0 + tol:
            return x, 0.0
        lam, floor = 1e-10 * max(1.0, np.trace(AtA) / n), True
    else:
        lam, floor = 0.0, False
    for _ in range(max_iter):
        L = np.linalg.cholesky(AtA + 2.0 * lam * np.eye(n))
        x = np.linalg.solve(L.T, np.linalg.solve(L, Atb))
        ratio = _norm(x) / radius  # ||x|| / radius, as Python floats: no overflow warnings
        if ratio * ratio <= 1.0 + tol and (lam == 0.0 or ratio * ratio >= 1.0 - tol):
            return x, float(lam)
        z = np.linalg.solve(L, x)
        # Newton on 1/||x(lam)|| - 1/radius (the factor 2 of 2 lam I halves the step).
        step = (_norm(x) / _norm(z)) * (_norm(x) / _norm(z)) * (ratio - 1.0) / 2.0
        # lam >= 0; with A'A singular it must stay > 0 (it is > 0 at the solution).
        lam = lam / 10.0 if floor and lam + step <= 0.0 else max(0.0, lam + step)
    raise RuntimeError("the multiplier did not converge; raise max_iter or tol")
