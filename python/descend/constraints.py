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

import numpy as np

from . import _core
from ._validation import check_real, check_vector

__all__ = ["Constraint", "Ball", "Box", "NonNegative", "Simplex", "Projection"]


class Constraint:
    """A convex set with a Euclidean projection ``project(x)``."""

    def _core_projection(self):
        raise NotImplementedError

    def project(self, x):
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

    def contains(self, x, tol=1e-10):
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
        return bool(np.linalg.norm(self.project(x) - x) <= tol * max(1.0, np.linalg.norm(x)))


class Ball(Constraint):
    """The ball ``||x - center|| <= radius``.

    Parameters
    ----------
    radius : float
        >= 0.
    center : array_like, optional
        The origin by default.

    Examples
    --------
    >>> from descend.constraints import Ball
    >>> Ball(2.0, center=[1.0, 1.0]).project([1.0, 5.0]).tolist()
    [1.0, 3.0]
    """

    def __init__(self, radius, center=None):
        self.radius = check_real(radius, "radius", low=0.0)
        self.center = None if center is None else check_vector(center, "center")

    def _core_projection(self):
        p = _core.Projection()
        p.kind = _core.Projection.Kind.ball
        p.radius = self.radius
        if self.center is not None:
            p.center = self.center
        return p

    def __repr__(self):
        return f"Ball(radius={self.radius})"


class Box(Constraint):
    """The box ``lower <= x <= upper`` (element-wise).

    Parameters
    ----------
    lower, upper : array_like
        Bounds of the same length with ``lower <= upper``; ``-inf``/``inf`` allowed.

    Examples
    --------
    >>> from descend.constraints import Box
    >>> Box([0.0, 0.0], [1.0, 2.0]).project([-1.0, 3.0]).tolist()
    [0.0, 2.0]
    """

    def __init__(self, lower, upper):
        lower = np.asarray(lower, dtype=np.float64).ravel()
        upper = np.asarray(upper, dtype=np.float64).ravel()
        if lower.shape != upper.shape or lower.size == 0:
            raise ValueError("lower and upper must be non-empty and of the same length")
        if np.isnan(lower).any() or np.isnan(upper).any() or (lower > upper).any():
            raise ValueError("the box needs lower <= upper, without NaN")
        self.lower, self.upper = lower, upper

    def _core_projection(self):
        p = _core.Projection()
        p.kind = _core.Projection.Kind.box
        p.lower, p.upper = self.lower, self.upper
        return p

    def __repr__(self):
        return f"Box(n={self.lower.size})"


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

    def __init__(self, function):
        if not callable(function):
            raise TypeError("function must be callable")
        self.function = function

    def _core_projection(self):
        return self.function

    def project(self, x):
        """Apply the function (checked: same length, finite).

        Parameters
        ----------
        x : array_like

        Returns
        -------
        ndarray
        """
        x = check_vector(x, "x")
        out = np.asarray(self.function(x.copy()), dtype=np.float64)
        if out.shape != x.shape or not np.isfinite(out).all():
            raise ValueError("the projection must return a finite array of x's length")
        return out


def as_constraint(value, name="constraint"):
    """Validate a constraint option: None, a Constraint, or a projection callable."""
    if value is None or isinstance(value, Constraint):
        return value
    if callable(value):
        return Projection(value)
    raise TypeError(f"{name} must be a descend.constraints set or a projection callable, "
                    f"got {type(value).__name__}")


def constrained_least_squares(A, b, radius, *, tol=1e-12, max_iter=100):
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
    AtA, Atb = A.T @ A, A.T @ b
    n = A.shape[1]
    target = radius ** 2
    if np.linalg.matrix_rank(A) < n:
        # A'A is singular: at lam = 0 the minimisers form an affine set, and the one of least
        # norm (the limit of x(lam) as lam -> 0+) is the candidate. If it is outside the ball,
        # lam > 0 and the ascent starts just above 0, where A'A + 2 lam I is definite.
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        if x @ x <= target * (1.0 + tol):
            return x, 0.0
        lam, floor = 1e-10 * max(1.0, np.trace(AtA) / n), True
    else:
        lam, floor = 0.0, False
    for _ in range(max_iter):
        L = np.linalg.cholesky(AtA + 2.0 * lam * np.eye(n))
        x = np.linalg.solve(L.T, np.linalg.solve(L, Atb))
        excess = x @ x - target  # dL/dlam
        if excess <= tol * target and (lam == 0.0 or excess >= -tol * target):
            return x, float(lam)
        z = np.linalg.solve(L, x)
        step = excess / (4.0 * (z @ z))  # ascent step / |d2L/dlam2|: Newton on x'x = r^2
        # lam >= 0; with A'A singular it must stay > 0 (it is > 0 at the solution).
        lam = lam / 10.0 if floor and lam + step <= 0.0 else max(0.0, lam + step)
    raise RuntimeError("the multiplier did not converge; raise max_iter or tol")
