"""numpy twins of the projections of descend.constraints."""

from __future__ import annotations

import numpy as np


def project_ball(x, radius, center=None):
    """The closest point of the ball ||z - center|| <= radius."""
    c = np.zeros_like(x) if center is None else np.asarray(center, dtype=np.float64)
    offset = x - c
    biggest = np.abs(offset).max(initial=0.0)
    # scaled by the largest entry, so that the squares cannot overflow
    norm = biggest * np.linalg.norm(offset / biggest) if biggest > 0 else 0.0
    return x.copy() if norm <= radius else c + offset * (radius / norm)


def project_box(x, lower, upper):
    """Clip to [lower, upper]."""
    return np.minimum(np.maximum(x, lower), upper)


def project_nonnegative(x):
    """max(x, 0)."""
    return np.maximum(x, 0.0)


def project_simplex(x):
    """The closest point with z >= 0 and sum(z) = 1: max(x - theta, 0).

    Computed on x - max(x) (the projection ignores a common shift), which keeps large
    entries from swamping the 1.
    """
    x = x - np.max(x)
    u = np.sort(x)[::-1]
    css = np.cumsum(u)
    j = np.arange(1, len(x) + 1)
    candidates = (css - 1.0) / j
    rho = np.nonzero(u - candidates > 0)[0][-1]
    return np.maximum(x - candidates[rho], 0.0)
