"""Curvature diagnostics and gradient checks."""

import numpy as np
import pytest

import descend
from descend import analysis, reference


@pytest.mark.parametrize("make, kind", [
    (descend.problems.bowl, "minimum"), (descend.problems.dome, "maximum"),
    (descend.problems.saddle, "saddle"),
])
def test_second_derivative_test_on_the_lecture_functions(make, kind):
    c = analysis.curvature(make(), [1.0, 2.0])
    assert c.kind == kind and c.grad_norm == 0.0


def test_inconclusive_and_not_critical():
    flat = descend.Quadratic(np.diag([0.0, 3.0]))
    assert analysis.curvature(flat, [0.0, 0.0]).kind == "inconclusive"
    assert analysis.curvature(descend.problems.bowl(), [0.0, 0.0]).kind == "not critical"


def test_learning_rates_from_the_eigenvalues():
    A = np.diag([1.0, 4.0, 10.0])
    c = analysis.curvature(descend.Quadratic(A), [1.0, 1.0, 1.0])
    assert c.eigenvalues.tolist() == [1.0, 4.0, 10.0]
    assert c.max_stable_lr == pytest.approx(0.2)
    assert c.best_lr == pytest.approx(2 / 11)
    assert c.condition_number == pytest.approx(10.0)
    assert c.contraction == pytest.approx(9 / 11)
    g = A @ np.ones(3)
    assert c.exact_step == pytest.approx(g @ g / (g @ A @ g))
    # The predicted stability limit is the real one.
    f = descend.Quadratic(A)
    assert descend.minimize(f, [1.0, 1.0, 1.0], lr=0.99 * c.max_stable_lr,
                            max_iter=50_000).success
    assert descend.minimize(f, [1.0, 1.0, 1.0], lr=1.01 * c.max_stable_lr,
                            max_iter=50_000).status == "diverged"


def test_lanczos_agrees_with_the_dense_eigenvalues():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(300, 300)))
    eig = np.linspace(0.5, 80.0, 300)
    f = descend.Quadratic((Q * eig) @ Q.T)
    dense = analysis.curvature(f, np.zeros(300), method="dense")
    lanczos = analysis.curvature(f, np.zeros(300), method="lanczos", steps=120)
    assert lanczos.eigenvectors is None
    np.testing.assert_allclose(lanczos.eigenvalues, dense.eigenvalues[[0, -1]], rtol=1e-6)
    assert lanczos.max_stable_lr == pytest.approx(2 / 80.0, rel=1e-6)


def test_lr_range_reads_well():
    text = analysis.lr_range(descend.Quadratic(np.diag([1.0, 500.0])), [1.0, 1.0])
    assert "lr < 0.004" in text and "ill-conditioned" in text and "not critical" in text
    assert "minimum" in analysis.lr_range(descend.problems.bowl(), [1.0, 2.0])


def test_check_grad_accepts_good_and_catches_wrong_gradients():
    ok = descend.check_grad(descend.Logistic(np.eye(3), [0, 1, 1], l2=0.1), np.ones(3))
    assert ok.rel_error < 1e-8
    wrong = descend.check_grad(lambda x: np.sum(x ** 3), np.array([1.0, 2.0, 3.0]),
                               jac=lambda x: np.array([3.0, 12.0, 26.0]))
    assert wrong.rel_error > 1e-3 and wrong.worst == 2
    np.testing.assert_allclose(wrong.numeric, [3.0, 12.0, 27.0], rtol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda: analysis.curvature(descend.problems.bowl(), [0.0]), ValueError, "w must have"),
    (lambda: analysis.curvature(descend.problems.bowl(), [0.0, 0.0], method="qr"), ValueError,
     "method must be"),
    (lambda: analysis.curvature("bowl", [0.0, 0.0]), TypeError, "objective must be"),
    (lambda: descend.check_grad(lambda x: 0.0, [1.0]), TypeError, "needs jac"),
    (lambda: descend.check_grad(3, [1.0]), TypeError, "fun must be"),
    (lambda: descend.check_grad(lambda x: x @ x, [1.0, 2.0], jac=lambda x: x[:1]), ValueError,
     "the gradient has shape"),
    (lambda: descend.check_grad(descend.problems.bowl(), [0.0, 0.0], eps=0.0), ValueError,
     "eps must be > 0"),
])
def test_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_curvature_of_a_python_function_matches_the_built_in():
    rosen = reference.Rosenbrock(2)
    w = np.array([1.0, 1.0])
    built_in = descend.analysis.curvature(descend.problems.rosenbrock(), w)
    for derivatives in (dict(hess=rosen.hessian), dict(hessp=rosen.hvp)):
        c = descend.analysis.curvature(rosen.value, w, jac=rosen.gradient, **derivatives)
        assert c.kind == built_in.kind == "minimum"
        np.testing.assert_allclose(c.eigenvalues, built_in.eigenvalues, rtol=1e-12)
    with pytest.raises(ValueError, match="hess=callable or hessp=callable"):
        descend.analysis.curvature(rosen.value, w, jac=rosen.gradient)
    with pytest.raises(ValueError, match="pass jac=callable"):
        descend.analysis.curvature(rosen.value, w, hess=rosen.hessian)


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
def test_critical_points_are_judged_relative_to_the_curvature(scale):
    f = descend.Quadratic(scale * np.diag([1.0, 3.0]), np.zeros(2))
    assert analysis.curvature(f, [0.0, 0.0]).kind == "minimum"
    assert analysis.curvature(f, [1e-2, 0.0]).kind == "not critical"
    assert analysis.curvature(f, [1e-7, 0.0]).kind == "minimum"  # within sqrt(tol) of it


def test_a_wrong_point_is_named_w():
    with pytest.raises(ValueError, match="w must have length 2"):
        analysis.curvature(descend.problems.saddle(), [0.0])
