"""Gradient checks by central differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np

from . import _core
from ._validation import check_real, check_vector

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["GradientCheck", "check_grad"]


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of :func:`check_grad`.

    Attributes
    ----------
    rel_error : float
        ``||g - g_fd|| / max(||g||, ||g_fd||, 1e-12)``.
    worst : int
        The coordinate where the two disagree most.
    analytic, numeric : ndarray
        The gradient checked and the central-difference estimate.
    """

    rel_error: float
    worst: int
    analytic: np.ndarray
    numeric: np.ndarray


def _real_array(out, what):
    """`out` as a float64 array, refusing anything that is not real numbers."""
    try:
        arr = np.asarray(out)
    except (TypeError, ValueError):  # ragged sequences and the like
        arr = np.asarray(None)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be real numbers, got {type(out).__name__}"
                        + (f" of dtype {arr.dtype}" if isinstance(out, np.ndarray) else ""))
    return arr.astype(np.float64)


def _scalar(out):
    """A function's value as a float; a one-element array counts as its element."""
    arr = _real_array(out, "fun's value")
    if arr.size != 1:
        raise TypeError(f"fun must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _default_eps(objective):
    """1e-6, or 1e-3 for an objective whose values carry float32 rounding."""
    X = getattr(objective, "X", None)
    return 1e-3 if getattr(X, "dtype", None) == np.float32 else 1e-6


def _smooth_part(objective):
    """``objective.value`` less its L1 penalty: the function ``objective.gradient`` is of."""
    l1 = float(objective.l1_penalty)
    if l1 == 0.0:
        return objective.value
    # The penalty covers the weights, not the intercept (the last parameter when fitted).
    size = objective.n_params - (1 if getattr(objective, "fit_intercept", False) else 0)

    def value(w):
        return objective.value(w) - l1 * np.abs(w[:size]).sum()

    return value


def check_grad(fun: Union[_core.Objective, Callable[..., Any]], x: ArrayLike,
               jac: Union[Callable[..., Any], bool, None] = None, *,
               eps: Optional[float] = None) -> GradientCheck:
    """Compare a gradient with central differences ``(f(x + e_i h) - f(x - e_i h)) / 2h``.

    An objective with an L1 penalty (``l1_penalty > 0``, e.g. ``LeastSquares(..., l1=0.1)``)
    has a ``value`` that includes ``l1 ||w||_1`` (the intercept excluded) and a ``gradient``
    of the smooth part only, and ``||w||_1`` has no derivative where a coordinate is zero.
    So that like is compared with like, the differences are then taken of the smooth part,
    ``value(x) - l1 ||x[:n_features]||_1``, which is what ``gradient`` differentiates; this
    holds at any point, the zero coordinates included.

    Parameters
    ----------
    fun : descend.Objective or callable
        An objective (its ``value``, less any L1 penalty, and ``gradient`` are compared), or
        ``f(x) -> float``.
    x : array_like, shape (n,)
        The point: finite, of the objective's ``n_params`` (a numpy array of more dimensions
        is flattened when `fun` is a callable).
    jac : callable or True, optional
        ``x -> gradient`` when `fun` is a callable, or True when ``fun(x)`` returns
        ``(value, gradient)``.
    eps : float, optional
        The step h (relative to ``max(1, |x_i|)``), > 0. By default 1e-6, and 1e-3 for an
        objective on float32 data, whose values carry float32 rounding (about 1e-7
        relative: a step of 1e-6 would leave the differences with a 10% error).

    Returns
    -------
    GradientCheck

    Raises
    ------
    TypeError
        If a callable is given without `jac`, or a function returns something that is not
        real numbers (`fun` a scalar, the gradient an array of x's size).
    ValueError
        If `x` is not a finite vector of the right length, `eps` is not > 0 or so large or
        small that ``x +- h e_i`` overflows or rounds to x, or the gradient or a value of
        `fun` at ``x +- h e_i`` is not finite (choose a smaller `eps` or another point).

    Examples
    --------
    >>> import numpy as np, descend
    >>> r = descend.check_grad(descend.problems.rosenbrock(), [-1.2, 1.0])
    >>> bool(r.rel_error < 1e-8)
    True
    >>> wrong = descend.check_grad(lambda x: x @ x, np.ones(3),
    ...                            jac=lambda x: np.array([2., 2., 3.]))
    >>> wrong.worst
    2

    With an L1 penalty the smooth part is checked, also where a coordinate is zero:

    >>> X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    >>> f = descend.LeastSquares(X, [1.0, 0.0, 2.0], l1=0.1)
    >>> bool(descend.check_grad(f, [0.5, 0.0]).rel_error < 1e-8)
    True
    """
    value: Callable[[np.ndarray], Any]
    gradient: Callable[[np.ndarray], Any]
    if isinstance(fun, _core.Objective):
        x = check_vector(x, "x", size=fun.n_params, size_hint="the objective's n_params")
        value, gradient = _smooth_part(fun), fun.gradient
        default_eps = _default_eps(fun)
    elif callable(fun):
        if jac is True:  # fun returns (value, gradient), as in minimize
            value, gradient = (lambda z: fun(z)[0]), (lambda z: fun(z)[1])
        elif jac is None or not callable(jac):
            raise TypeError("check_grad needs jac=callable (or jac=True) when fun is a callable")
        else:
            value, gradient = fun, jac
        x = check_vector(x.ravel() if isinstance(x, np.ndarray) else x, "x")
        default_eps = 1e-6
    else:
        raise TypeError(f"fun must be a descend objective or a callable, got "
                        f"{type(fun).__name__}")
    x = np.array(x, dtype=np.float64, copy=True)  # the caller's array is never modified
    eps = default_eps if eps is None else check_real(eps, "eps", low=0.0, low_open=True)
    analytic = _real_array(gradient(x.copy()), "the gradient").ravel()
    if analytic.shape != x.shape:
        raise ValueError(f"the gradient has shape {analytic.shape}, expected {x.shape}")
    if not np.isfinite(analytic).all():
        raise ValueError(f"the gradient is not finite at x (coordinate "
                         f"{int(np.argmin(np.isfinite(analytic)))})")
    numeric = np.empty_like(x)
    for i in range(x.size):
        h = eps * max(1.0, abs(float(x[i])))  # a Python float: inf, not a warning
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        if not (np.isfinite(up[i]) and np.isfinite(down[i])) or up[i] == down[i]:
            raise ValueError(f"eps={eps:g} gives no usable step at x[{i}] = {x[i]:g} "
                             f"(x +- h overflows or rounds to x)")
        f_up, f_down = _scalar(value(up)), _scalar(value(down))
        numeric[i] = (f_up - f_down) / (2 * h)
        if not np.isfinite(numeric[i]):
            raise ValueError(f"fun is not finite (or its difference overflows) at x +- h e_{i} "
                             f"with h = {h:g}: choose a smaller eps or another point")
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), 1e-12)
    return GradientCheck(rel_error=float(np.linalg.norm(analytic - numeric) / scale),
                         worst=int(np.argmax(np.abs(analytic - numeric))),
                         analytic=analytic, numeric=numeric)
