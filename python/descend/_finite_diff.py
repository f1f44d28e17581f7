"""Gradients of Python functions by finite differences (scipy's jac="2-point" / "3-point")."""

from __future__ import annotations

import numpy as np

SCHEMES = ("2-point", "3-point")
_EPS = np.finfo(np.float64).eps


def finite_difference_jac(fun, scheme):
    """Return ``jac(x)`` estimating the gradient of ``fun`` coordinate by coordinate.

    "2-point": forward differences ``(f(x + h e_i) - f(x)) / h`` with ``h = sqrt(eps)
    max(1, |x_i|)`` (n + 1 calls, error O(h)); "3-point": central differences
    ``(f(x + h e_i) - f(x - h e_i)) / 2h`` with ``h = eps^(1/3) max(1, |x_i|)`` (2n calls,
    error O(h^2)). The step actually taken, ``(x_i + h) - x_i``, is the one divided by.

    Examples
    --------
    >>> import numpy as np
    >>> jac = finite_difference_jac(lambda x: float(x @ x), "3-point")
    >>> np.round(jac(np.array([1.0, -2.0])), 6).tolist()
    [2.0, -4.0]
    """
    if scheme not in SCHEMES:
        raise ValueError(f"jac must be a callable, True, '2-point' or '3-point', got {scheme!r}")
    central = scheme == "3-point"
    power = 1.0 / 3.0 if central else 0.5

    def value(z):
        out = fun(z)
        if isinstance(out, np.ndarray) and out.size == 1:
            out = out.item()
        return float(out)

    def jac(x):
        x = np.array(x, dtype=np.float64)
        g = np.empty_like(x)
        f0 = None if central else value(x.copy())
        for i in range(x.size):
            h = _EPS ** power * max(1.0, abs(x[i]))
            up = x.copy()
            up[i] += h
            if central:
                down = x.copy()
                down[i] -= h
                g[i] = (value(up) - value(down)) / (up[i] - down[i])
            else:
                g[i] = (value(up) - f0) / (up[i] - x[i])
        return g

    return jac
