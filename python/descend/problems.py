"""The lectures' test functions, each returned as an objective with value, gradient and Hessian.

Every docstring states the function's critical points, so tests and demos have known answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _core
from ._validation import as_real_array, check_int
from .objectives import Quadratic, _Argument

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "AbsoluteDeviation",
    "Polynomial1D",
    "Rosenbrock",
    "parabola",
    "double_well",
    "bowl",
    "dome",
    "saddle",
    "rosenbrock",
    "absolute_deviation",
]


class Polynomial1D(_core.Polynomial1D):
    """A polynomial of one parameter, ``R(w) = sum_k coefficients[k] * w**k``.

    Parameters
    ----------
    coefficients : sequence of float
        Coefficients from the constant term upwards.

    Examples
    --------
    >>> from descend.problems import Polynomial1D
    >>> Polynomial1D([4.0, -3.0, 1.0]).value([2.0])  # 4 - 6 + 4
    2.0
    """

    coefficients = _Argument("The coefficients, constant term first.",
                             _core.Polynomial1D.coefficients)

    def __init__(self, coefficients):
        coef = as_real_array(coefficients, "coefficients").ravel()
        if coef.size == 0 or not np.isfinite(coef).all():
            raise ValueError("coefficients must be a non-empty sequence of finite numbers")
        super().__init__(coef.tolist())

    def __reduce__(self):
        return (type(self), (list(self.coefficients),))

    def __repr__(self):
        return f"Polynomial1D({list(self.coefficients)})"


class Rosenbrock(_core.Rosenbrock):
    """The Rosenbrock function in ``dim`` >= 2 parameters.

    ``R(w) = sum_{i < dim-1} 100 (w[i+1] - w[i]**2)**2 + (1 - w[i])**2``, minimum 0 at
    ``w = (1, ..., 1)``; a curved, ill-conditioned valley.

    Parameters
    ----------
    dim : int, default 2
        Number of parameters, >= 2.

    Attributes
    ----------
    dim : int
        Read-only: build a new Rosenbrock for another dimension.

    Examples
    --------
    >>> from descend.problems import Rosenbrock
    >>> Rosenbrock(3).value([1.0, 1.0, 1.0])
    0.0
    """

    dim = _Argument("The number of parameters.")

    def __init__(self, dim=2):
        dim = check_int(dim, "dim", low=2)
        super().__init__(dim)
        self.__dict__["_arguments"] = {"dim": dim}

    def __reduce__(self):
        return (type(self), (self.dim,))

    def __repr__(self):
        return f"Rosenbrock(dim={self.dim})"


class AbsoluteDeviation(_core.AbsoluteDeviation):
    """``R(w) = sum_i |w_i - center_i|``: convex, not differentiable at its minimum.

    Its ``gradient`` is the subgradient ``sign(w - center)``. Gradient descent with a constant
    rate ends up bouncing around the kink at a distance of about the rate; subgradient steps
    with a decaying rate (``schedule="inverse"``) converge.

    Parameters
    ----------
    center : array_like
        The minimiser.

    Examples
    --------
    >>> from descend.problems import AbsoluteDeviation
    >>> f = AbsoluteDeviation([1.0, -2.0])
    >>> f.value([0.0, 0.0]), f.gradient([0.0, 0.0]).tolist()
    (3.0, [-1.0, 1.0])
    """

    center = _Argument("The minimiser (a read-only view of the compiled copy).",
                       _core.AbsoluteDeviation.center)

    def __init__(self, center):
        from ._validation import check_vector

        super().__init__(check_vector(center, "center"))

    def __reduce__(self):
        return (type(self), (self.center.copy(),))

    def __repr__(self):
        return f"AbsoluteDeviation(n_params={self.n_params})"


def absolute_deviation(center: ArrayLike = (1.0, -2.0)) -> AbsoluteDeviation:
    """Return :class:`AbsoluteDeviation`: minimum 0 at `center`, a kink there (non-smooth).

    Examples
    --------
    >>> import descend
    >>> f = descend.problems.absolute_deviation()
    >>> r = descend.minimize(f, [5.0, 5.0], lr=1.0, schedule="inverse", max_iter=5000,
    ...                      tol=0.0, gtol=0.0)
    >>> bool(abs(r.x - [1.0, -2.0]).max() < 1e-2)
    True
    """
    return AbsoluteDeviation(center)


def parabola() -> Quadratic:
    """Return ``R(w) = w**2 - 3 w + 4`` (1-D): minimum 1.75 at w = 1.5, Hessian 2.

    Examples
    --------
    >>> from descend.problems import parabola
    >>> parabola().value([1.5])
    1.75
    """
    return Quadratic([[2.0]], [3.0], 4.0)


def double_well() -> Polynomial1D:
    """Return ``R(w) = w**4 - 5 w**2 + w + 4`` (1-D): two local minima, one local maximum.

    The minima are near w = -1.6289 (the global one, R = -3.8554...) and w = 1.5285; the
    maximum is near w = 0.1004.

    Examples
    --------
    >>> from descend.problems import double_well
    >>> double_well().value([0.0])
    4.0
    """
    return Polynomial1D([4.0, 1.0, -5.0, 0.0, 1.0])


def bowl() -> Quadratic:
    """Return ``R(w) = (w0 - 1)**2 + (w1 - 2)**2 + 1``: minimum 1 at (1, 2), Hessian 2 I.

    Examples
    --------
    >>> from descend.problems import bowl
    >>> bowl().value([1.0, 2.0])
    1.0
    """
    return Quadratic(2.0 * np.eye(2), [2.0, 4.0], 6.0)


def dome() -> Quadratic:
    """Return the negative of :func:`bowl`: maximum -1 at (1, 2), Hessian -2 I.

    Examples
    --------
    >>> from descend.problems import dome
    >>> dome().value([1.0, 2.0])
    -1.0
    """
    return Quadratic(-2.0 * np.eye(2), [-2.0, -4.0], -6.0)


def saddle() -> Quadratic:
    """Return ``R(w) = -(w0 - 1)**2 + (w1 - 2)**2 + 1``: a saddle point at (1, 2).

    The Hessian is diag(-2, 2): curving down along w0 and up along w1.

    Examples
    --------
    >>> from descend.problems import saddle
    >>> saddle().value([1.0, 2.0])
    1.0
    """
    return Quadratic(np.diag([-2.0, 2.0]), [-2.0, 4.0], 4.0)


def rosenbrock(dim: int = 2) -> Rosenbrock:
    """Return the :class:`Rosenbrock` function in ``dim`` parameters (minimum 0 at all ones).

    Examples
    --------
    >>> from descend.problems import rosenbrock
    >>> rosenbrock().value([1.0, 1.0])
    0.0
    """
    return Rosenbrock(dim)
