"""numpy twins of the toolkit: the KKT solver, the curvature numbers and the initialisers.

Each twin takes a different, plainer route than the public function it mirrors, so that the
tests comparing the two check the arithmetic rather than repeat it.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ball_least_squares",
    "curvature_numbers",
    "power_iteration",
    "init_uniform",
    "init_normal",
    "init_he",
    "init_glorot",
]


def ball_least_squares(A, b, radius, tol=1e-14):
    """min ||Ax - b||^2 / 2 subject to ||x|| <= radius, by bisection on the multiplier.

    With A'A = V diag(s) V', the stationarity condition (A'A + 2 lam I) x = A'b gives
    x(lam) = V diag(1 / (s + 2 lam)) V'A'b, whose norm falls as lam grows. lam = 0 if x(0) is
    in the ball (complementary slackness); otherwise bisect for ||x(lam)|| = radius.

    Examples
    --------
    >>> import numpy as np
    >>> x, lam = ball_least_squares(np.eye(2), np.array([3.0, 4.0]), 1.0)
    >>> x.round(8).tolist(), round(lam, 8)
    ([0.6, 0.8], 2.0)
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    s, V = np.linalg.eigh(A.T @ A)
    c = V.T @ (A.T @ b)
    null = s <= 1e-12 * max(s[-1], 1.0)
    c[null] = 0.0  # A'b lies in the range of A': no component along null(A) (rounding aside)
    s = np.where(null, 0.0, s)

    def x_of(lam):
        if lam == 0.0:  # the least-norm minimiser: pseudo-inverse
            return V @ np.divide(c, s, out=np.zeros_like(c), where=~null)
        return V @ (c / (s + 2.0 * lam))

    if np.linalg.norm(x_of(0.0)) <= radius:
        return x_of(0.0), 0.0
    low, high = 0.0, 1.0
    while np.linalg.norm(x_of(high)) > radius:
        high *= 2.0
    while high - low > tol * max(high, 1.0):
        mid = 0.5 * (low + high)
        if np.linalg.norm(x_of(mid)) > radius:
            low = mid
        else:
            high = mid
    lam = 0.5 * (low + high)
    return x_of(lam), lam


def curvature_numbers(H, g):
    """The lectures' step sizes from a dense Hessian H and gradient g, as a dict.

    Examples
    --------
    >>> import numpy as np
    >>> n = curvature_numbers(np.diag([1.0, 9.0]), np.array([1.0, 1.0]))
    >>> [round(float(n[k]), 6) for k in ("max_stable_lr", "best_lr", "contraction", "exact_step")]
    [0.222222, 0.2, 0.8, 0.2]
    """
    H = np.asarray(H, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    lam = np.linalg.eigvalsh(H)
    low, high = lam[0], lam[-1]
    kappa = high / low if low > 0 else np.inf
    gHg = g @ H @ g
    return {
        "eigenvalues": lam,
        "condition_number": kappa,
        "max_stable_lr": 2.0 / high if high > 0 else np.inf,
        "best_lr": 2.0 / (low + high) if low > 0 else np.nan,
        # error factor per step at best_lr: max |1 - lr l| over the spectrum
        "contraction": max(abs(1 - 2 * low / (low + high)), abs(1 - 2 * high / (low + high)))
        if low > 0 else np.nan,
        "exact_step": g @ g / gHg if gHg > 0 else np.nan,
    }


def power_iteration(hvp, n, iters=1000, seed=0, tol=1e-12):
    """The largest-magnitude eigenvalue of a symmetric operator, by power iteration.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 2.0, 5.0])
    >>> round(power_iteration(lambda v: H @ v, 3), 8)
    5.0
    """
    v = np.random.default_rng(seed).standard_normal(n)
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(iters):
        w = hvp(v)
        new = v @ w
        v = w / np.linalg.norm(w)
        if abs(new - estimate) <= tol * abs(new):
            return float(new)
        estimate = new
    return float(estimate)


def init_uniform(shape, eps, seed):
    """U(-eps, eps) from the seed's uniform doubles: -eps + 2 eps u."""
    return -eps + 2.0 * eps * np.random.default_rng(seed).random(shape)


def init_normal(shape, eps, seed):
    """N(0, eps^2) from the seed's standard normals: eps z."""
    return eps * np.random.default_rng(seed).standard_normal(shape)


def init_he(fan_in, shape, seed):
    """N(0, 2 / M): sqrt(2 / fan_in) z."""
    return init_normal(shape, np.sqrt(2.0 / fan_in), seed)


def init_glorot(fan_in, fan_out, shape, seed):
    """U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    return init_uniform(shape, np.sqrt(6.0 / (fan_in + fan_out)), seed)
