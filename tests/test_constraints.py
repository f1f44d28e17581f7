"""Projections, projected gradient descent and the KKT route for least squares in a ball."""

import numpy as np
import pytest
from conftest import make_regression

import descend
from descend import reference
from descend.constraints import Ball, Box, NonNegative, Projection, Simplex

SETS = {
    "ball": (Ball(1.5), lambda x: reference.project_ball(x, 1.5)),
    "ball_centered": (Ball(0.5, center=[1.0, -1.0, 0.0, 2.0]),
                      lambda x: reference.project_ball(x, 0.5, [1.0, -1.0, 0.0, 2.0])),
    "box": (Box([-1.0, 0.0, -np.inf, 2.0], [1.0, 0.5, 0.0, 3.0]),
            lambda x: reference.project_box(x, [-1.0, 0.0, -np.inf, 2.0], [1.0, 0.5, 0.0, 3.0])),
    "nonnegative": (NonNegative(), reference.project_nonnegative),
    "simplex": (Simplex(), reference.project_simplex),
}


@pytest.mark.parametrize("name", list(SETS))
def test_projections_land_in_their_sets_match_the_twins_and_are_idempotent(name):
    constraint, twin = SETS[name]
    rng = np.random.default_rng(4)
    for _ in range(20):
        x = 3.0 * rng.normal(size=4)
        p = constraint.project(x)
        np.testing.assert_allclose(p, twin(x), rtol=0, atol=1e-14)
        assert constraint.contains(p)
        np.testing.assert_allclose(constraint.project(p), p, rtol=0, atol=1e-14)
        # The projection is the closest point: no point of the set on the segment is closer.
        for q in (constraint.project(p + 0.1 * rng.normal(size=4)) for _ in range(3)):
            assert np.linalg.norm(x - p) <= np.linalg.norm(x - q) + 1e-12


def test_simplex_sums_to_one():
    p = Simplex().project(np.array([3.0, -1.0, 0.2, 0.7]))
    assert p.min() >= 0 and p.sum() == pytest.approx(1.0)


def test_kkt_agrees_with_projected_gradient_descent():
    A, b, _ = make_regression(n=60, d=5, seed=2)
    b = 4.0 * b
    x_kkt, lam = descend.constrained_least_squares(A, b, 0.5)
    assert lam > 0 and np.linalg.norm(x_kkt) == pytest.approx(0.5)
    # descend's LeastSquares divides by n: the same minimiser in the same ball.
    f = descend.LeastSquares(A, b)
    r = descend.minimize(f, np.zeros(5), lr=0.3, constraint=Ball(0.5), max_iter=100_000,
                         gtol=1e-10)
    np.testing.assert_allclose(r.x, x_kkt, atol=1e-7)
    # Stationarity of the Lagrangian: A'(Ax - b) + 2 lam x = 0.
    np.testing.assert_allclose(A.T @ (A @ x_kkt - b) + 2 * lam * x_kkt, 0.0, atol=1e-9)


def test_inactive_constraint_has_zero_multiplier():
    A, b, _ = make_regression(n=60, d=5, seed=2)
    x, lam = descend.constrained_least_squares(A, b, 100.0)
    assert lam == 0.0
    np.testing.assert_allclose(x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-10)


@pytest.mark.parametrize("constraint", [NonNegative(), Box(np.zeros(5), np.full(5, 0.3)),
                                        Simplex(), Projection(lambda x: np.clip(x, -0.2, 0.2))])
@pytest.mark.parametrize("method", ["gd", "momentum", "adam"])
def test_every_iterate_stays_feasible(constraint, method):
    A, b, _ = make_regression(n=80, d=5, seed=3)
    seen = []
    r = descend.minimize(descend.LeastSquares(A, b), np.full(5, 2.0), method=method,
                         lr=0.05, max_iter=200, constraint=constraint,
                         callback=lambda info: seen.append(info.x.copy()))
    check = constraint if not isinstance(constraint, Projection) else Box(-0.2 * np.ones(5),
                                                                         0.2 * np.ones(5))
    assert all(check.contains(x, tol=1e-12) for x in seen) and check.contains(r.x, tol=1e-12)


def test_projected_minibatch_sgd_on_nonnegative_least_squares():
    X, y, _ = make_regression(n=400, d=4, seed=5)
    r = descend.minimize(descend.LeastSquares(X, y), np.zeros(4), method="sgd", lr=0.01,
                         batch_size=16, epochs=5, constraint=NonNegative())
    assert (r.x >= 0).all()


@pytest.mark.parametrize("call, error, match", [
    (lambda: Ball(-1.0), ValueError, "radius must be >= 0"),
    (lambda: Box([0.0, 1.0], [1.0, 0.0]), ValueError, "lower <= upper"),
    (lambda: Box([0.0, 0.0, 0.0], [1.0, 2.0]), ValueError, "same length or be scalars"),
    (lambda: Projection(3), TypeError, "callable"),
    (lambda: descend.minimize(descend.problems.bowl(), [0.0, 0.0], constraint="ball"),
     TypeError, "constraint must be"),
    (lambda: descend.minimize(descend.problems.bowl(), [0.0, 0.0],
                              constraint=Box([0.0] * 3, [1.0] * 3)),
     ValueError, "lower has length 3 but x has length 2"),
    (lambda: descend.minimize(descend.problems.bowl(), [0.0, 0.0],
                              constraint=lambda x: x[:1]), ValueError, "x's length"),
    (lambda: descend.minimize(descend.problems.bowl(), [0.0, 0.0], line_search="armijo",
                              constraint=NonNegative()), ValueError, "line_search cannot"),
    (lambda: descend.constrained_least_squares(np.eye(2), [1.0, 2.0], 0.0), ValueError,
     "radius must be > 0"),
    (lambda: descend.constrained_least_squares(np.eye(2), [1.0], 1.0), ValueError,
     "b must have length 2"),
])
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
