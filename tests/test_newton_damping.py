"""Newton's damping (Marquardt's diagonal): rank-deficient Hessians whose curvatures differ by
many orders, the twin, scale invariance, and the fallback for a saddle with tiny curvatures."""

import warnings

import numpy as np
import pytest

import descend
from descend import reference
from descend.linear_model import LinearRegression


class Function:
    """A Python function f(x) = 1/2 x'Hx - b'x (+ a cubic term) with its exact derivatives,
    as both ``descend.minimize`` and the twin's ``descent`` take it."""

    def __init__(self, H, b, cubic=0.0):
        self.H, self.b, self.cubic = np.asarray(H, float), np.asarray(b, float), cubic

    def value(self, x):
        return 0.5 * x @ self.H @ x - self.b @ x + self.cubic * np.sum(x ** 4)

    def gradient(self, x):
        return self.H @ x - self.b + 4.0 * self.cubic * x ** 3

    def value_and_gradient(self, x):
        return self.value(x), self.gradient(x)

    def hessian(self, x):
        return self.H + np.diag(12.0 * self.cubic * x ** 2)

    def minimize(self, x0, **options):
        return descend.minimize(self.value_and_gradient, x0, jac=True, hess=self.hessian,
                                method="newton", **options)


def one_hot(n, k, seed):
    rng = np.random.default_rng(seed)
    return np.eye(k)[rng.integers(0, k, n)], rng


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
@pytest.mark.parametrize("layout", ["one-hot", "two groups", "duplicate column"])
def test_linear_regression_on_collinear_columns_beside_an_intercept(scale, layout):
    # The intercept's curvature is 1, the columns' about scale^2: damping relative to the
    # largest curvature (t I) crawled at 1e-8 for 1000 iterations and left R^2 = 0.
    A, rng = one_hot(2000, 5, seed=1)
    if layout == "two groups":
        A = np.hstack([A, one_hot(2000, 4, seed=2)[0]])
    elif layout == "duplicate column":
        A = np.hstack([A, A[:, :1]])
    y = A @ rng.normal(size=A.shape[1]) + 0.1 * rng.normal(size=2000)
    X = A * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        model = LinearRegression().fit(X, y)
    assert model.n_iter_ <= 5
    # The least-squares fit: the residual is orthogonal to the columns and to the intercept.
    residual = y - model.predict(X)
    assert abs(residual.sum()) < 1e-8 * np.abs(y).sum()
    assert np.abs(A.T @ residual).max() < 1e-8 * np.abs(A.T @ y).max()
    # The same predictions as the least-norm solution of numpy's lstsq.
    design = np.hstack([X, np.ones((2000, 1))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(model.predict(X), design @ solution, rtol=0,
                               atol=1e-6 * y.std())


def mixed_scale_singular_hessian():
    # A rank-deficient PSD Hessian: curvatures 1 and 1e-16 side by side, one exact dependence.
    rng = np.random.default_rng(3)
    J = rng.normal(size=(6, 3))
    J = np.hstack([J, J[:, :1] + J[:, 1:2]])  # column 3 = column 0 + column 1
    J[:, 1:] *= 1e-8
    H = J.T @ J
    b = H @ rng.normal(size=4)  # consistent: a minimum exists (a line of them)
    return H, b


def test_the_damped_direction_matches_its_twin():
    # H = v v' with v in powers of two: the Cholesky pivots after the first are exactly 0, so
    # both implementations refuse the undamped H (on a merely rounded-singular H one of them
    # may succeed) and damp it by the same t.
    v = np.array([1.0, 2.0 ** -27, 2.0 ** -26])
    H = np.outer(v, v)
    f = Function(H, H @ np.array([1.0, 2.0, 3.0]))
    options = dict(max_iter=3, gtol=0.0, tol=0.0)
    r = f.minimize(np.zeros(3), **options)
    t = reference.descent(f, np.zeros(3), direction="newton", **options)
    assert r.nit == t["nit"]
    assert r.history.damping[1] == 1e-6  # singular: damped, by Marquardt's first t
    np.testing.assert_allclose(r.history.damping, t["history"]["damping"], rtol=1e-12)
    np.testing.assert_allclose(r.history.loss, t["history"]["loss"], rtol=1e-10)
    # In the coordinates' own scales (v_i x_i), where the null space no longer amplifies.
    np.testing.assert_allclose(v * r.x, v * t["x"], rtol=1e-9)


def test_a_singular_hessian_with_mixed_curvatures_converges_in_few_steps():
    H, b = mixed_scale_singular_hessian()
    r = Function(H, b).minimize(np.ones(4))
    assert r.success and r.nit <= 5
    np.testing.assert_allclose(H @ r.x, b, atol=1e-9 * np.abs(b).max())


@pytest.mark.parametrize("column_scale", [1e-6, 1e6])
def test_rescaling_one_coordinate_leaves_the_damped_iterates_unchanged(column_scale):
    # x -> S y rescales H to S H S; Marquardt's damping follows (t I did not).
    H = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # singular
    b = np.array([1.0, 1.0, 2.0])
    S = np.diag([1.0, column_scale, 1.0])
    x0 = np.array([0.5, -0.3, 0.2])
    plain = Function(H, b).minimize(x0, max_iter=3, gtol=0.0, tol=0.0)
    scaled = Function(S @ H @ S, S @ b).minimize(np.linalg.solve(S, x0), max_iter=3,
                                                  gtol=0.0, tol=0.0)
    np.testing.assert_allclose(scaled.history.damping, plain.history.damping, rtol=1e-12)
    # The damped solves have condition numbers of about 2 / 1e-6: each loses some 1e-10 to
    # rounding, which differs with the core (FMA or not) and the column scale.
    np.testing.assert_allclose(S @ scaled.x, plain.x, rtol=1e-8, atol=1e-12)


def test_a_saddle_with_tiny_curvatures_falls_back_to_the_same_damping_everywhere():
    # f = x y + 1e-14 (x^2 + y^2) + x^4 + y^4 - x: H = [[2e-14, 1], [1, 2e-14]] at 0.
    # Marquardt's t would have to pass 1e13; the fallback damps by t max|H_jj| I instead.
    H = np.array([[2e-14, 1.0], [1.0, 2e-14]])
    f = Function(H, np.array([1.0, 0.0]), cubic=1.0)
    from descend.reference.descent import damped_newton_direction
    d, t = damped_newton_direction(H, np.array([-1.0, 0.0]))
    assert np.isfinite(t) and np.all(np.isfinite(d))
    assert np.all(np.linalg.eigvalsh(H + t * 2e-14 * np.eye(2)) > 0)  # the fallback's matrix
    r = f.minimize(np.zeros(2), max_iter=200)
    t_run = reference.descent(f, np.zeros(2), direction="newton", max_iter=200)
    assert r.success and r.status == t_run["status"] and r.nit == t_run["nit"]
    np.testing.assert_allclose(r.history.damping, t_run["history"]["damping"], rtol=1e-12)
    assert np.linalg.norm(f.gradient(r.x)) < 1e-8
    assert np.all(np.linalg.eigvalsh(f.hessian(r.x)) > 0)


def test_a_hessian_with_nan_gives_no_direction():
    from descend.reference.descent import damped_newton_direction
    d, t = damped_newton_direction(np.array([[np.nan, 0.0], [0.0, -1.0]]), np.ones(2))
    assert np.isnan(t)
