"""Gradient checks by central differences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _core
from ._validation import check_real, check_x0

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


def _scalar(out):
    """A function's value as a float; a one-element array counts as its element."""
    return float(np.asarray(out).item()) if np.size(out) == 1 else float(out)


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


def check_grad(fun, x, jac=None, *, eps=1e-6):
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
    x : array_like
        The point.
    jac : callable or True, optional
        ``x -> gradient`` when `fun` is a callable, or True when ``fun(x)`` returns
        ``(value, gradient)``.
    eps : float, default 1e-6
        The step h (relative to max(1, |x_i|)).

    Returns
    -------
    GradientCheck

    Raises
    ------
    TypeError
        If a callable is given without `jac`.

    Examples
    --------
    >>> import numpy as np, descend
    >>> r = descend.check_grad(descend.problems.rosenbrock(), [-1.2, 1.0])
    >>> bool(r.rel_error < 1e-8)
    True
    >>> wrong = descend.check_grad(lambda x: x @ x, np.ones(3), jac=lambda x: np.array([2., 2., 3.]))
    >>> wrong.worst
    2
    """
    if isinstance(fun, _core.Objective):
        x = check_x0(x, fun.n_params)
        value, gradient = _smooth_part(fun), fun.gradient
    elif callable(fun):
        if jac is True:  # fun returns (value, gradient), as in minimize
            value, gradient = (lambda z: fun(z)[0]), (lambda z: fun(z)[1])
        elif jac is None or not callable(jac):
            raise TypeError("check_grad needs jac=callable (or jac=True) when fun is a callable")
        else:
            value, gradient = fun, jac
        x = np.array(x, dtype=np.float64).ravel()
        x = check_x0(x, x.size)
    else:
        raise TypeError(f"fun must be a descend objective or a callable, got "
                        f"{type(fun).__name__}")
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    analytic = np.asarray(gradient(x), dtype=np.float64).ravel()
    if analytic.shape != x.shape:
        raise ValueError(f"the gradient has shape {analytic.shape}, expected {x.shape}")
    numeric = np.empty_like(x)
    for i in range(x.size):
        h = eps * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (_scalar(value(up)) - _scalar(value(down))) / (2 * h)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), 1e-12)
    return GradientCheck(rel_error=float(np.linalg.norm(analytic - numeric) / scale),
                         worst=int(np.argmax(np.abs(analytic - numeric))),
                         analytic=analytic, numeric=numeric)
