"""Orthant-wise L-BFGS (OWL-QN): what method="lbfgs" does on an objective with an L1 penalty.
The compiled loop against its numpy twin (the same iterates), against a long proximal
gradient run and closed forms, and the cases nobody thinks of: the all-zero solution, a
start at the optimum, data scaled by 1e-8 and 1e8."""

import numpy as np
import pytest
from conftest import make_classification, make_regression

import descend
from descend import reference
from descend.reference.descent import owlqn, pseudo_gradient

sparse = pytest.importorskip("scipy.sparse")


def _softmax_data(n=150, d=5, K=3, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, d))
    W = r.normal(size=(K, d))
    y = np.argmax(X @ W.T + r.gumbel(size=(n, K)), axis=1)
    return X, y


def _problem(kind, csr, fit_intercept, weighted, l1=None, l2=0.0, seed=0):
    """(compiled objective, twin) of one kind, with an L1 penalty (by default one that sets
    some weights to zero)."""
    if l1 is None:
        l1 = 0.3 if kind == "least_squares" else 0.02
    if kind == "softmax":
        X, y = _softmax_data(seed=seed)
    elif kind == "logistic":
        X, y, _ = make_classification(n=200, d=6, seed=seed)
    else:
        X, y, _ = make_regression(n=200, d=6, seed=seed)
    sw = np.random.default_rng(seed + 1).uniform(0.2, 3.0, len(y)) if weighted else None
    data = sparse.csr_matrix(X) if csr else X
    cls, twin_cls = {"softmax": (descend.Softmax, reference.Softmax),
                     "logistic": (descend.Logistic, reference.Logistic),
                     "least_squares": (descend.LeastSquares, reference.LeastSquares)}[kind]
    f = cls(data, y, l1=l1, l2=l2, fit_intercept=fit_intercept, sample_weight=sw)
    twin = twin_cls(X, y, l1=l1, l2=l2, fit_intercept=fit_intercept, sample_weight=sw)
    return f, twin


@pytest.mark.parametrize("kind", ["logistic", "softmax", "least_squares"])
@pytest.mark.parametrize("csr", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_iterates_are_the_twins(kind, csr, fit_intercept, weighted):
    f, twin = _problem(kind, csr, fit_intercept, weighted)
    x0 = np.zeros(f.n_params)
    r = descend.minimize(f, x0, method="lbfgs", gtol=1e-9, max_iter=200)
    t = owlqn(twin, x0, gtol=1e-9, max_iter=200)
    assert r.nit == t["nit"] and r.status == t["status"] == "converged"
    np.testing.assert_allclose(r.history.loss, t["history"]["loss"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(r.history.grad_norm, t["history"]["grad_norm"], rtol=1e-8,
                               atol=1e-10 * t["history"]["grad_norm"][0])
    scale = max(1.0, np.abs(t["x"]).max())
    np.testing.assert_allclose(r.x, t["x"], rtol=0, atol=1e-10 * scale)
    # The same exact zeros, and some of them: the penalty is strong enough to make some.
    assert np.array_equal(r.x == 0, t["x"] == 0) and (r.x == 0).any()
    assert r.grad_norm == pytest.approx(t["grad_norm"], rel=1e-6, abs=1e-12)


def test_the_twin_runs_by_descent_too():
    f, twin = _problem("logistic", False, True, False)
    a = reference.descent(twin, np.zeros(7), direction="lbfgs", gtol=1e-9, max_iter=100)
    b = owlqn(twin, np.zeros(7), gtol=1e-9, max_iter=100)
    np.testing.assert_array_equal(a["x"], b["x"])


@pytest.mark.parametrize("kind", ["logistic", "softmax", "least_squares"])
def test_the_solution_is_that_of_a_long_proximal_gradient_run(kind):
    f, twin = _problem(kind, False, True, True, l1=0.03)
    r = descend.minimize(f, np.zeros(f.n_params), method="lbfgs", gtol=1e-10)
    assert r.success, r.message
    lr = 0.5 / max(np.linalg.eigvalsh(twin.hessian(r.x)))
    prox = descend.minimize(f, np.zeros(f.n_params), method="gd", lr=lr, max_iter=100000,
                            gtol=1e-12, tol=0.0)
    assert prox.success, prox.message
    np.testing.assert_allclose(r.x, prox.x, atol=1e-8)
    assert np.array_equal(r.x == 0, prox.x == 0)
    assert r.fun <= prox.fun + 1e-13


def test_a_separable_problem_is_solved_by_soft_thresholding():
    # R(w) = (1/2n) ||X w - y||^2 with orthogonal columns X'X = n diag(c): the lasso solution
    # is w_j = sign(b_j) max(|b_j| - l1 / c_j, 0) with b_j = x_j'y / (n c_j).
    n, c = 8, np.array([1.0, 4.0, 0.25, 2.0])
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(n, 4)))
    X = Q * np.sqrt(n * c)
    y = X @ np.array([1.0, -0.05, 2.0, 0.3]) + 0.1 * np.random.default_rng(1).normal(size=n)
    l1 = 0.3
    b = X.T @ y / (n * c)
    expected = np.sign(b) * np.maximum(np.abs(b) - l1 / c, 0.0)
    assert (expected == 0).any() and (expected != 0).any()
    r = descend.minimize(descend.LeastSquares(X, y, l1=l1), np.zeros(4), method="lbfgs")
    assert r.success, r.message
    np.testing.assert_allclose(r.x, expected, atol=1e-9)
    assert np.array_equal(r.x == 0, expected == 0)


@pytest.mark.parametrize("kind", ["logistic", "softmax"])
def test_a_penalty_so_large_that_zero_is_the_answer(kind):
    f, twin = _problem(kind, False, False, False, l1=10.0)
    r = descend.minimize(f, np.ones(f.n_params), method="lbfgs")
    assert r.status == "converged" and r.success, r.message
    assert np.array_equal(r.x, np.zeros(f.n_params))  # exactly zero
    assert r.grad_norm == 0.0
    # From zero it is converged at once: the pseudo-gradient vanishes there.
    r0 = descend.minimize(f, np.zeros(f.n_params), method="lbfgs")
    assert r0.success and r0.nit == 0 and np.array_equal(r0.x, np.zeros(f.n_params))


def test_with_an_intercept_zero_weights_and_the_intercepts_optimum():
    X, y, _ = make_classification(n=200, d=4, seed=3)
    f = descend.Logistic(X, y, l1=10.0, fit_intercept=True)
    r = descend.minimize(f, np.zeros(5), method="lbfgs")
    assert r.success, r.message
    assert np.array_equal(r.x[:4], np.zeros(4))
    p = y.mean()
    assert r.x[4] == pytest.approx(np.log(p / (1 - p)), abs=1e-7)


@pytest.mark.parametrize("c", [1e-8, 1e8])
@pytest.mark.parametrize("kind", ["logistic", "least_squares"])
def test_scaled_data_converge_to_the_scaled_optimum(kind, c):
    # X -> c X with l1 -> c l1 and l2 -> c^2 l2 is the same problem in w -> w / c: the run
    # must find w* / c, as exactly and in as many iterations.
    X, y, _ = (make_classification if kind == "logistic" else make_regression)(n=200, d=6,
                                                                               seed=5)
    cls = descend.Logistic if kind == "logistic" else descend.LeastSquares
    base = descend.minimize(cls(X, y, l1=0.03, l2=0.01, fit_intercept=True), np.zeros(7),
                            method="lbfgs")
    scaled = descend.minimize(cls(c * X, y, l1=0.03 * c, l2=0.01 * c * c, fit_intercept=True),
                              np.zeros(7), method="lbfgs")
    assert base.success and scaled.success, scaled.message
    assert abs(scaled.nit - base.nit) <= 2
    np.testing.assert_allclose(scaled.x[:6] * c, base.x[:6], atol=1e-7)
    np.testing.assert_allclose(scaled.x[6], base.x[6], atol=1e-7)
    assert np.array_equal(scaled.x[:6] == 0, base.x[:6] == 0)


def test_one_feature_scaled_alone_still_converges():
    # Only one column at 1e-6 (its penalty scaled with it): the metric of the parameter
    # scales keeps the run as fast, and the scaled first-order test keeps it honest.
    X, y, _ = make_classification(n=200, d=5, seed=6)
    base = descend.minimize(descend.Logistic(X, y, l1=0.02), np.zeros(5), method="lbfgs")
    X2 = X.copy()
    X2[:, 2] *= 1e-6
    # l1 is one number: the scaled column's weight carries l1 / 1e-6 of the base problem's,
    # so compare with that problem through a proximal run instead of the base one.
    r = descend.minimize(descend.Logistic(X2, y, l1=0.02), np.zeros(5), method="lbfgs")
    assert r.success, r.message
    assert r.nit <= 3 * base.nit
    f = descend.Logistic(X2, y, l1=0.02)
    g = f.gradient(r.x)
    pg = pseudo_gradient(r.x, g, 0.02, np.ones(5, dtype=bool))
    assert np.abs(pg).max() <= 1e-6


def test_a_start_at_the_optimum_stops_there():
    f, _ = _problem("logistic", False, True, False)
    r = descend.minimize(f, np.zeros(7), method="lbfgs", gtol=1e-12)
    assert r.success
    again = descend.minimize(f, r.x, method="lbfgs", gtol_abs=1e-10)
    assert again.success and again.nit <= 1
    np.testing.assert_allclose(again.x, r.x, atol=1e-10)


def test_elastic_net_against_the_twin_and_the_proximal_run():
    f, twin = _problem("logistic", False, True, False, l1=0.02, l2=0.05)
    r = descend.minimize(f, np.zeros(7), method="lbfgs", gtol=1e-10)
    t = owlqn(twin, np.zeros(7), gtol=1e-10)
    assert r.success and r.nit == t["nit"]
    np.testing.assert_allclose(r.x, t["x"], atol=1e-10)
    prox = descend.minimize(f, np.zeros(7), method="gd", lr=1.0, max_iter=100000, gtol=1e-12,
                            tol=0.0)
    np.testing.assert_allclose(r.x, prox.x, atol=1e-8)


def test_success_is_the_pseudo_gradient_being_small():
    f, twin = _problem("softmax", False, True, False)
    r = descend.minimize(f, np.zeros(f.n_params), method="lbfgs", gtol=1e-8)
    assert r.success and "pseudo-gradient" in r.message
    pg = pseudo_gradient(r.x, twin.gradient(r.x), twin.l1, twin.l1_mask())
    assert np.linalg.norm(pg) == pytest.approx(r.grad_norm, rel=1e-6, abs=1e-14)
    assert r.grad_norm <= 1e-8 * r.history.grad_norm[0]
    # Cut short, it says so.
    short = descend.minimize(f, np.zeros(f.n_params), method="lbfgs", max_iter=2)
    assert short.status == "max_iter" and not short.success


def test_callbacks_history_and_the_armijo_name():
    f, _ = _problem("logistic", False, True, False)
    seen = []
    r = descend.minimize(f, np.zeros(7), method="lbfgs", line_search="armijo",
                         callback=lambda info: seen.append(info.nit) or info.nit >= 3)
    assert r.status == "callback" and seen == [1, 2, 3] and len(r.history) == 4


@pytest.mark.parametrize("line_search", ["grid", "exact", None])
def test_other_line_searches_are_refused_with_l1(line_search):
    f, _ = _problem("logistic", False, True, False)
    with pytest.raises(ValueError, match="orthant"):
        descend.minimize(f, np.zeros(7), method="lbfgs", line_search=line_search)


@pytest.mark.parametrize("method", ["newton", "newton-cg", "bfgs"])
def test_other_line_search_methods_refuse_l1_and_point_to_lbfgs(method):
    f, _ = _problem("logistic", False, True, False)
    with pytest.raises(ValueError, match="method='lbfgs'"):
        descend.minimize(f, np.zeros(7), method=method)
    with pytest.raises(ValueError, match="method='lbfgs'"):
        descend.minimize(f, np.zeros(7), method="gd", line_search="armijo")


def test_float32_data_reach_the_optimum_and_say_how_far():
    # float32 data give losses that cannot resolve the last decreases: the run gets close to
    # the float64 optimum, and claims success only if its pseudo-gradient is below gtol.
    X, y, _ = make_classification(n=300, d=6, seed=7, dtype=np.float32)
    f = descend.Logistic(X, y, l1=0.02, fit_intercept=True)
    r = descend.minimize(f, np.zeros(7), method="lbfgs", gtol=1e-6)
    assert r.success == (r.grad_norm <= 1e-6 * r.history.grad_norm[0])
    assert r.success or "precision" in r.message
    f64 = descend.Logistic(X.astype(np.float64), y, l1=0.02, fit_intercept=True)
    r64 = descend.minimize(f64, np.zeros(7), method="lbfgs")
    assert r64.success
    np.testing.assert_allclose(r.x, r64.x, atol=1e-4)
    assert np.array_equal(r.x == 0, r64.x == 0)
