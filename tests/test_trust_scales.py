"""A promise on any scale: `success` must mean the optimum even when the features are 1e-8
or 1e8 times the intercept's scale (the first-order test is also asked of the gradient in
the parameters' own scales, Objective.parameter_scales)."""
import numpy as np
import pytest

import descend
from descend import reference

sparse = pytest.importorskip("scipy.sparse")

METHODS = ["newton", "newton-cg", "lbfgs", "bfgs", "gd"]


def _problem(kind, scale, n=400, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 4))
    w = np.array([1.0, -2.0, 0.5, 0.25])
    if kind == "ls":
        y = Z @ w + 5.0 + 0.1 * rng.normal(size=n)
    else:
        y = (Z @ w + 0.5 + rng.normal(size=n) > 0).astype(float)
    return Z, Z * scale, y


def _optimum(kind, Z, y):
    # The minimiser on the well-scaled features, by Newton's method (which is invariant).
    make = descend.LeastSquares if kind == "ls" else descend.Logistic
    r = descend.minimize(make(Z, y, fit_intercept=True), np.zeros(5), method="newton",
                         gtol=1e-12)
    assert r.success
    return r.x


@pytest.mark.parametrize("kind", ["ls", "logistic"])
@pytest.mark.parametrize("scale", [1e-8, 1e8])
@pytest.mark.parametrize("method", METHODS)
def test_success_means_the_optimum_whatever_the_features_scale(kind, scale, method):
    Z, X, y = _problem(kind, scale)
    best = _optimum(kind, Z, y)
    make = descend.LeastSquares if kind == "ls" else descend.Logistic
    r = descend.minimize(make(X, y, fit_intercept=True), np.zeros(5), method=method,
                         max_iter=500)
    found = np.r_[r.x[:4] * scale, r.x[4]]  # in the well-scaled parameters
    if r.success:
        np.testing.assert_allclose(found, best, rtol=1e-3, atol=1e-4)
    else:
        assert r.status in ("max_iter", "stalled", "line_search_failed", "diverged"), r.message
    if method == "newton":  # invariant to the scales: it must get there
        assert r.success, r.message


def test_a_run_that_is_not_there_says_so_in_the_parameters_scales():
    Z, X, y = _problem("ls", 1e-8)
    r = descend.minimize(descend.LeastSquares(X, y, fit_intercept=True), np.zeros(5),
                         method="gd", max_iter=200)
    assert not r.success and r.status in ("max_iter", "stalled")
    assert "own scales" in r.message


def test_gtol_abs_is_taken_as_the_user_gave_it():
    Z, X, y = _problem("ls", 1e-8)
    r = descend.minimize(descend.LeastSquares(X, y, fit_intercept=True), np.zeros(5),
                         method="lbfgs", gtol_abs=1e-3)
    assert r.success and r.grad_norm <= 1e-3


@pytest.mark.parametrize("layout", ["C", "F", "csr", "float32"])
def test_parameter_scales_are_the_features_mean_squares(layout):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3)) * np.array([1e-8, 1.0, 1e8])
    X[:, 1] = 0.0  # a column of zeros has scale l2, or 1 without
    s = rng.uniform(0.5, 2.0, size=30)
    y = rng.normal(size=30)
    data = {"C": X, "F": np.asfortranarray(X), "csr": sparse.csr_matrix(X),
            "float32": X.astype(np.float32)}[layout]
    f = descend.LeastSquares(data, y, sample_weight=s, fit_intercept=True)
    twin = reference.LeastSquares(X, y, sample_weight=s, fit_intercept=True)
    rtol = 1e-6 if layout == "float32" else 1e-12
    np.testing.assert_allclose(f.parameter_scales(), twin.parameter_scales(), rtol=rtol)
    assert f.parameter_scales()[1] == 1.0 and f.parameter_scales()[-1] == 1.0
    penalised = descend.LeastSquares(data, y, l2=0.5)
    np.testing.assert_allclose(penalised.parameter_scales()[1], 0.5)


def test_softmax_repeats_the_scales_per_class_and_the_network_has_none():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3)) * np.array([1e-4, 1.0, 1e4])
    y = rng.integers(0, 3, size=40)
    f = descend.Softmax(X, y, fit_intercept=True)
    np.testing.assert_allclose(f.parameter_scales(),
                               reference.Softmax(X, y, fit_intercept=True).parameter_scales(),
                               rtol=1e-12)
    assert len(f.parameter_scales()) == 12
    network = descend.MLP(X, y, hidden=(4,))
    assert getattr(network, "parameter_scales", lambda: None)() is None


def test_the_descent_twin_stops_where_the_compiled_loop_does():
    Z, X, y = _problem("ls", 1e-4)
    f = descend.LeastSquares(X, y, fit_intercept=True)
    twin = reference.LeastSquares(X, y, fit_intercept=True)
    r = descend.minimize(f, np.zeros(5), method="lbfgs", gtol=1e-8, max_iter=300)
    t = reference.descent(twin, np.zeros(5), direction="lbfgs", line_search="wolfe",
                          gtol=1e-8, max_iter=300)
    assert r.nit == t["nit"] and r.status == t["status"]
    np.testing.assert_allclose(r.x, t["x"], rtol=1e-8)


def test_scales_a_python_objective_gives_are_checked():
    def fun(x):
        return float(x @ x), 2 * x

    core = descend._core
    with pytest.raises(ValueError, match="parameter_scales"):
        core.PyObjective(fun, True, None, None, 2, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="parameter_scales"):
        core.PyObjective(fun, True, None, None, 2, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="parameter_scales"):
        core.PyObjective(fun, True, None, None, 2, np.ones(3))


@pytest.mark.parametrize("kind", ["ls", "logistic"])
@pytest.mark.parametrize("scale", [1e-8, 1e8])
@pytest.mark.parametrize("method", ["lbfgs", "bfgs"])
def test_quasi_newton_starts_from_the_parameters_scales(kind, scale, method):
    # Started from P = 1 / parameter_scales, (L-)BFGS on features times 1e-8 or 1e8 takes
    # the steps it takes on the well-scaled features, and gets there.
    Z, X, y = _problem(kind, scale)
    make = descend.LeastSquares if kind == "ls" else descend.Logistic
    plain = descend.minimize(make(Z, y, fit_intercept=True), np.zeros(5), method=method)
    scaled = descend.minimize(make(X, y, fit_intercept=True), np.zeros(5), method=method)
    assert plain.success and scaled.success, scaled.message
    np.testing.assert_allclose(np.r_[scaled.x[:4] * scale, scaled.x[4]], plain.x, rtol=1e-5,
                               atol=1e-6)
    assert scaled.nit <= plain.nit + 3


@pytest.mark.parametrize("method", ["lbfgs", "bfgs"])
def test_the_quasi_newton_twins_start_from_the_same_metric(method):
    Z, X, y = _problem("logistic", 1e3)
    X[:, 0] *= 1e-5
    f = descend.Logistic(X, y, fit_intercept=True, l2=1e-3)
    twin = reference.Logistic(X, y, fit_intercept=True, l2=1e-3)
    options = dict(line_search="wolfe", gtol=1e-7, max_iter=60)
    r = descend.minimize(f, np.zeros(5), method=method, **options)
    t = reference.descent(twin, np.zeros(5), direction=method, **options)
    assert r.status == t["status"] and r.nit == t["nit"]
    np.testing.assert_allclose(r.x, t["x"], rtol=1e-7)


@pytest.mark.parametrize("scale,warns", [(1.0, False), (1e-8, False), (1e8, True)])
@pytest.mark.parametrize("estimator", ["SGDRegressor", "SGDClassifier"])
def test_sgd_estimators_warn_when_one_rate_cannot_suit_every_parameter(estimator, scale,
                                                                       warns):
    # At 1e8 the intercept's curvature is 1e-16 of the weights': SGD's one rate leaves it
    # where it started. At 1e-8 the penalty dominates the features' curvature (alpha=1e-4):
    # the penalised optimum has weights near zero, which SGD finds.
    pytest.importorskip("sklearn")
    import warnings

    from descend import linear_model as dl

    Z, X, y = _problem("ls" if estimator == "SGDRegressor" else "logistic", scale)
    model = getattr(dl, estimator)(random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    said = [w for w in caught if "curvature scales" in str(w.message)]
    assert bool(said) == warns
    if warns:
        from sklearn.exceptions import ConvergenceWarning

        assert issubclass(said[0].category, ConvergenceWarning)
        assert said[0].filename == __file__
