"""Projections by property: in the set, idempotent, and the obtuse-angle criterion of the
closest point, <x - P(x), z - P(x)> <= 0 for every z in the set, on sizes and scales drawn
by hypothesis (ties, zeros, huge and tiny entries included)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from descend import reference
from descend.constraints import Ball, Box, NonNegative, Simplex

VALUES = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def _sets(n):
    lower = -np.linspace(0.5, 2.0, n)
    return [Ball(2.0), Ball(0.5, center=np.linspace(-1.0, 1.0, n)),
            Box(lower, lower + 1.0), NonNegative(), Simplex()]


@settings(max_examples=100, deadline=None)
@given(x=st.integers(1, 30).flatmap(lambda n: arrays(np.float64, n, elements=VALUES)),
       seed=st.integers(0, 2 ** 32 - 1))
def test_projection_is_the_closest_point(x, seed):
    rng = np.random.default_rng(seed)
    for constraint in _sets(x.size):
        p = constraint.project(x)
        scale = max(1.0, np.abs(x).max())
        assert constraint.contains(p, tol=1e-9 * scale), constraint
        np.testing.assert_allclose(constraint.project(p), p, rtol=0, atol=1e-12 * scale)
        for _ in range(5):
            z = constraint.project(rng.normal(scale=3.0, size=x.size))
            # Rounding in p is ~ n eps scale per entry: compare the angle, not the raw product.
            bound = 1e-12 * x.size * scale * max(1.0, np.linalg.norm(x - p)) * max(
                1.0, np.linalg.norm(z - p))
            assert (x - p) @ (z - p) <= bound, constraint


@pytest.mark.parametrize("x", [np.full(5, 7.0), np.zeros(5), np.array([1e300, 1e300, 0.0])])
def test_simplex_on_ties_and_extremes(x):
    p = Simplex().project(x)
    assert p.min() >= 0 and p.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("x", [np.array([1e300, -1e300, 0.0]), np.array([3e200, 4e200])])
def test_ball_on_entries_whose_squares_overflow(x):
    for radius in (1.0, 1e100):  # both smaller than ||x||
        p = Ball(radius).project(x)
        assert np.linalg.norm(p / radius) == pytest.approx(1.0)
        np.testing.assert_allclose(p / radius, x / np.abs(x).max() / np.linalg.norm(
            x / np.abs(x).max()), rtol=1e-14, atol=1e-300)
        np.testing.assert_allclose(p, reference.project_ball(x, radius), rtol=1e-14)


@pytest.mark.parametrize("x", [np.full(29, 83886.36496633), np.array([1e300, 1e300, 0.0]),
                               np.array([1e17, 1e17 + 64.0, -3.0])])
def test_simplex_of_large_entries_matches_the_shifted_problem(x):
    # The projection ignores a common shift: x - max(x) gives the same answer.
    p = Simplex().project(x)
    np.testing.assert_allclose(p, Simplex().project(x - x.max()), rtol=0, atol=1e-15)
    np.testing.assert_allclose(p, reference.project_simplex(x), rtol=0, atol=1e-15)
    assert p.sum() == pytest.approx(1.0, abs=1e-14)
