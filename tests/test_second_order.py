"""Newton, BFGS, L-BFGS and the line searches: twins, lecture facts, peers, bad inputs."""

import numpy as np
import pytest
from conftest import assert_close, make_classification

import descend
from descend import reference

A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
B = np.array([1.0, -2.0, 0.5])


def logistic_problem(l2=0.01):
    X, y, _ = make_classification(n=400, d=5, seed=3)
    return (descend.Logistic(X, y, l2=l2, fit_intercept=True),
            reference.Logistic(X, y, l2=l2, fit_intercept=True))


@pytest.mark.parametrize("method, line_search", [
    ("newton", "armijo"), ("newton", None), ("newton", "wolfe"), ("newton", "grid"),
    ("bfgs", "wolfe"), ("bfgs", "armijo"), ("lbfgs", "wolfe"), ("lbfgs", "armijo"),
    ("newton-cg", "armijo"), ("newton-cg", "wolfe"),
])
@pytest.mark.parametrize("problem", ["logistic", "rosenbrock"])
def test_parity_with_the_twin(method, line_search, problem):
    if problem == "logistic":
        f, twin = logistic_problem()
        x0 = np.zeros(f.n_params)
    else:
        f, twin = descend.problems.rosenbrock(), reference.Rosenbrock(2)
        x0 = np.array([-1.2, 1.0])
    options = dict(line_search=line_search, max_iter=30, gtol=1e-7)
    r = descend.minimize(f, x0, method=method, **options)
    t = reference.descent(twin, x0, direction=method, **options)
    assert r.status == t["status"] and r.nit == t["nit"]
    # Rosenbrock's valley amplifies rounding differences over many steps.
    scale = 1e-6 if problem == "rosenbrock" and method != "newton" else 1e-9
    np.testing.assert_allclose(r.x, t["x"], atol=scale)
    np.testing.assert_allclose(r.history.loss, t["history"]["loss"], rtol=scale,
                               atol=scale * t["history"]["loss"][0])


def test_newton_reaches_the_minimiser_of_a_quadratic_in_one_step():
    x0 = np.array([5.0, -3.0, 2.0])
    r = descend.minimize(descend.Quadratic(A, B), x0, method="newton", line_search=None)
    assert r.nit == 1 and r.success
    np.testing.assert_allclose(r.x, np.linalg.solve(A, B), atol=1e-14)


def test_exact_line_search_takes_the_optimal_step():
    # Steepest descent with the exact step g'g / g'Hg on a quadratic.
    f = descend.Quadratic(A, B)
    x0 = np.array([5.0, -3.0, 2.0])
    g = A @ x0 - B
    r = descend.minimize(f, x0, method="gd", line_search="exact", max_iter=1, tol=0, gtol=0)
    assert r.history.lr[1] == pytest.approx(g @ g / (g @ A @ g), rel=1e-14)
    np.testing.assert_allclose(r.x, x0 - (g @ g / (g @ A @ g)) * g, atol=1e-14)
    r = descend.minimize(f, x0, method="gd", line_search="exact", gtol=1e-10, tol=0.0)
    np.testing.assert_allclose(r.x, np.linalg.solve(A, B), atol=1e-9)


@pytest.mark.parametrize("line_search", ["armijo", "wolfe", "grid", "exact"])
def test_gd_with_every_line_search_converges_where_a_fixed_lr_diverges(line_search):
    f = descend.Quadratic(np.diag([1.0, 50.0]))
    assert descend.minimize(f, [3.0, 1.0], lr=1.0).status == "diverged"
    r = descend.minimize(f, [3.0, 1.0], method="gd", lr=1.0, line_search=line_search,
                         max_iter=5000, gtol=1e-8)
    assert r.success, r.message


def test_newton_converges_quadratically_on_logistic():
    f, _ = logistic_problem(l2=0.1)
    exact = descend.minimize(f, np.zeros(f.n_params), method="newton", gtol=1e-13).x
    r = descend.minimize(f, np.zeros(f.n_params), method="newton", gtol=1e-13,
                         keep_path=True)
    errors = np.linalg.norm(r.path - exact, axis=1)
    errors = errors[(errors > 1e-12) & (errors < 1e-1)]
    assert len(errors) >= 2
    # e_{k+1} <= C e_k^2: the number of correct digits roughly doubles each step.
    for before, after in zip(errors[:-1], errors[1:]):
        assert after <= 10.0 * before ** 2


def test_damping_engages_at_an_indefinite_start_and_the_run_still_converges():
    f = descend.problems.double_well()
    assert f.hessian([0.2])[0, 0] < 0
    r = descend.minimize(f, [0.2], method="newton")
    assert r.history.damping[1] > 0 and r.success
    assert abs(f.gradient(r.x)[0]) < 1e-8 and f.hessian(r.x)[0, 0] > 0
    t = reference.descent(reference.Polynomial1D(f.coefficients), [0.2])
    np.testing.assert_allclose(r.history.damping, t["history"]["damping"], rtol=1e-12)


@pytest.mark.parametrize("method", ["newton", "newton-cg", "bfgs", "lbfgs"])
def test_rosenbrock_from_the_classic_start(method):
    r = descend.minimize(descend.problems.rosenbrock(), [-1.2, 1.0], method=method)
    assert r.success
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("method", ["newton", "newton-cg", "bfgs", "lbfgs"])
def test_never_success_at_a_saddle_or_a_maximum(method):
    r = descend.minimize(descend.problems.saddle(), [1.0, 0.0], method=method)
    assert r.status == "saddle" and not r.success and "saddle" in r.message
    r = descend.minimize(descend.problems.dome(), [1.0, 2.0], method=method)
    assert r.status == "maximum" and not r.success and "maximum" in r.message


def test_agreement_with_scipy():
    optimize = pytest.importorskip("scipy.optimize")
    f, _ = logistic_problem()
    x0 = np.zeros(f.n_params)
    theirs = optimize.minimize(f.value, x0, jac=f.gradient, hess=f.hessian,
                               method="trust-exact", options={"gtol": 1e-12}).x
    for method in ("newton", "bfgs", "lbfgs"):
        ours = descend.minimize(f, x0, method=method, gtol=1e-10).x
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
    ros = descend.problems.rosenbrock(4)
    theirs = optimize.minimize(ros.value, np.zeros(4), jac=ros.gradient, method="BFGS",
                               options={"gtol": 1e-10}).x
    ours = descend.minimize(ros, np.zeros(4), method="bfgs", gtol=1e-10).x
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_agreement_with_sklearn_newton_cholesky():
    sk = pytest.importorskip("sklearn.linear_model")
    X, y, _ = make_classification(n=500, d=8, seed=5)
    C = 0.3
    model = sk.LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12).fit(X, y)
    # scikit-learn minimises C * sum(logloss) + ||w||^2 / 2: divide by C n for descend's form.
    f = descend.Logistic(X, y, l2=1.0 / (C * len(y)), fit_intercept=True)
    r = descend.minimize(f, np.zeros(9), method="newton", gtol=1e-12)
    np.testing.assert_allclose(r.x[:8], model.coef_.ravel(), atol=1e-6)
    np.testing.assert_allclose(r.x[8], model.intercept_[0], atol=1e-6)


def test_counters_and_history():
    f, _ = logistic_problem()
    r = descend.minimize(f, np.zeros(f.n_params), method="newton")
    assert r.nhev == r.nit  # one Hessian per step; the last undamped step certifies the minimum
    assert r.njev == r.nfev >= r.nit + 1
    assert len(r.history.damping) == r.nit + 1 and (r.history.damping[1:] == 0).all()
    assert descend.minimize(f, np.zeros(f.n_params), method="lbfgs").history.damping is None


@pytest.mark.parametrize("method, options, error, match", [
    ("lbfgs", {"m": 0}, ValueError, "m must be >= 1"),
    ("lbfgs", {"m": 2.5}, TypeError, "m must be an integer"),
    ("newton", {"line_search": "golden"}, ValueError, "line_search must be None or one of"),
    ("gd", {"line_search": "backtrack"}, ValueError, "line_search must be None or one of"),
    ("bfgs", {"line_search": 3}, ValueError, "line_search must be None or one of"),
    ("bfgs", {"c1": 0.95, "c2": 0.9}, ValueError, "c1 must be smaller than c2"),
    ("newton", {"c1": 1.5}, ValueError, "c1 must be < 1"),
    ("newton", {"max_evals": 0}, ValueError, "max_evals must be >= 1"),
    ("newton", {"lr": 0.1}, TypeError, "unexpected option"),
])
def test_bad_options(method, options, error, match):
    with pytest.raises(error, match=match):
        descend.minimize(descend.problems.bowl(), [0.0, 0.0], method=method, **options)


def test_every_method_is_listed():
    assert {"gd", "newton", "newton-cg", "bfgs", "lbfgs"} <= set(descend.methods())
