"""The toolkit against its numpy twins: KKT solver, curvature numbers, Lanczos, initialisers."""

import numpy as np
import pytest

import descend
from descend import reference


@pytest.fixture
def ill_conditioned_quadratic():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((40, 40)))
    A = Q @ np.diag(np.geomspace(0.01, 50.0, 40)) @ Q.T
    return descend.Quadratic(A, rng.standard_normal(40)), A


@pytest.mark.parametrize("radius", [0.05, 0.3, 1.0, 50.0])
@pytest.mark.parametrize("shape", [(30, 5), (4, 6)])  # tall, and wide (A'A singular)
def test_kkt_solver_agrees_with_the_bisection_twin(radius, shape):
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal(shape)
    b = rng.standard_normal(shape[0])
    x, lam = descend.constrained_least_squares(A, b, radius)
    x_twin, lam_twin = reference.ball_least_squares(A, b, radius)
    assert np.linalg.norm(x) <= radius * (1 + 1e-9)
    np.testing.assert_allclose(x, x_twin, rtol=1e-7, atol=1e-9)
    assert lam == pytest.approx(lam_twin, rel=1e-6, abs=1e-9)
    # KKT: stationarity of the Lagrangian, complementary slackness, lam >= 0
    np.testing.assert_allclose(A.T @ (A @ x - b) + 2 * lam * x, 0.0, atol=1e-8)
    assert lam >= 0 and lam * (x @ x - radius ** 2) == pytest.approx(0.0, abs=1e-9)


def test_curvature_numbers_agree_with_the_twin(ill_conditioned_quadratic):
    f, A = ill_conditioned_quadratic
    w = np.linspace(-1.0, 1.0, 40)
    c = descend.analysis.curvature(f, w)
    twin = reference.curvature_numbers(A, f.gradient(w))
    np.testing.assert_allclose(c.eigenvalues, twin["eigenvalues"], rtol=1e-10)
    for key in ("condition_number", "max_stable_lr", "best_lr", "contraction", "exact_step"):
        assert getattr(c, key) == pytest.approx(twin[key], rel=1e-9), key
    assert c.kind == "not critical"


def test_best_lr_contracts_the_error_as_predicted(ill_conditioned_quadratic):
    f, A = ill_conditioned_quadratic
    c = descend.analysis.curvature(f, np.zeros(40))
    x_star = np.linalg.solve(A, -f.gradient(np.zeros(40)))
    e = np.ones(40)
    for _ in range(50):  # error recursion of GD on a quadratic: e <- (I - lr A) e
        new = e - c.best_lr * (A @ e)
        assert np.linalg.norm(new) <= c.contraction * np.linalg.norm(e) * (1 + 1e-12)
        e = new
    assert np.isfinite(x_star).all()


def test_lanczos_extremes_agree_with_power_iteration_and_eigvalsh(ill_conditioned_quadratic):
    f, A = ill_conditioned_quadratic
    low, high = descend.analysis.lanczos_extremes(lambda v: A @ v, 40, steps=40)
    exact = np.linalg.eigvalsh(A)
    assert low == pytest.approx(exact[0], rel=1e-8) and high == pytest.approx(exact[-1], rel=1e-8)
    assert reference.power_iteration(lambda v: A @ v, 40, iters=5000) == pytest.approx(
        exact[-1], rel=1e-6)
    lanczos = descend.analysis.curvature(f, np.zeros(40), method="lanczos", steps=40)
    np.testing.assert_allclose(lanczos.eigenvalues, exact[[0, -1]], rtol=1e-8)
    assert lanczos.eigenvectors is None


@pytest.mark.parametrize("draw, twin", [
    (lambda: descend.init.uniform((3, 4), eps=0.2, seed=5),
     lambda: reference.init_uniform((3, 4), 0.2, 5)),
    (lambda: descend.init.normal(7, eps=0.3, seed=5), lambda: reference.init_normal(7, 0.3, 5)),
    (lambda: descend.init.he(16, (4, 16), seed=9), lambda: reference.init_he(16, (4, 16), 9)),
    (lambda: descend.init.glorot(16, 4, seed=9), lambda: reference.init_glorot(16, 4, (4, 16), 9)),
])
def test_initialisers_agree_with_their_twins(draw, twin):
    np.testing.assert_allclose(draw(), twin(), rtol=1e-15, atol=1e-15)
