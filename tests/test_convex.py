"""Objectives that are convex by construction skip the second-derivative test at the end of a
run (a vanishing gradient is already a minimum's); every other objective keeps it."""

import numpy as np
import pytest

import descend

sparse = pytest.importorskip("scipy.sparse")


def _data(seed=0, n=300, d=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return X, y


def _linear_objectives():
    X, y = _data()
    labels = (np.arange(len(y)) % 3).astype(np.int64)
    return {
        "least squares": descend.LeastSquares(X, y, l2=0.1),
        "logistic": descend.Logistic(X, y),
        "logistic csr": descend.Logistic(sparse.csr_matrix(X), y, l2=1e-3),
        "softmax": descend.Softmax(X, labels, l2=1e-2),
        "huber": descend.objectives.LinearLoss(X, 2 * y - 1, loss="huber"),
    }


@pytest.mark.parametrize("name", sorted(_linear_objectives()))
def test_a_linear_model_says_it_is_convex(name):
    assert _linear_objectives()[name].convex is True


def test_other_objectives_say_nothing_is_known():
    X, y = _data()
    labels = y.astype(np.int64)
    assert descend.problems.rosenbrock().convex is False
    assert descend.MLP(X, labels, hidden=(4,), loss="softmax").convex is False
    python_function = descend._core.PyObjective(lambda x: float(x @ x), lambda x: 2 * x, None,
                                                None, 2)
    assert python_function.convex is False


def _plain(f):
    """The same function known only by its callables (convexity unknown: the end test runs)."""
    return descend._core.PyObjective(f.value_and_gradient, True, f.hessian, f.hvp, f.n_params,
                                     f.parameter_scales(), outputs=getattr(f, "n_classes", 1))


@pytest.mark.parametrize("method", ["lbfgs", "bfgs", "newton-cg"])
@pytest.mark.parametrize("name", ["logistic", "logistic csr", "softmax"])
def test_a_convex_objective_saves_the_end_test(method, name):
    f = _linear_objectives()[name]
    convex = descend.minimize(f, np.zeros(f.n_params), method=method, gtol=1e-8)
    plain = descend.minimize(_plain(f), np.zeros(f.n_params), method=method, gtol=1e-8)
    assert convex.status == plain.status == "converged" and convex.success
    # the same iterates: only the test after the last one is left out
    np.testing.assert_allclose(convex.x, plain.x, rtol=1e-12, atol=1e-14)
    assert convex.nit == plain.nit and convex.nhev < plain.nhev
    # and the point is a minimum: every eigenvalue of the Hessian is positive
    assert np.linalg.eigvalsh(f.hessian(convex.x)).min() > 0


def test_a_non_convex_objective_keeps_the_test_at_a_saddle():
    # f(x, y) = x^2 - y^2 from the saddle itself: the gradient vanishes, the test finds it
    f = descend._core.PyObjective(lambda x: float(x[0] ** 2 - x[1] ** 2),
                                  lambda x: np.array([2 * x[0], -2 * x[1]]),
                                  lambda x: np.diag([2.0, -2.0]), None, 2)
    r = descend.minimize(f, np.zeros(2), method="lbfgs")
    assert r.status == "saddle" and not r.success


def test_a_caller_may_declare_a_python_function_convex():
    f = descend._core.PyObjective(lambda x: float(x @ x), lambda x: 2 * x,
                                  lambda x: 2 * np.eye(2), None, 2, convex=True)
    assert f.convex is True
    r = descend.minimize(f, np.ones(2), method="lbfgs")
    plain = descend._core.PyObjective(lambda x: float(x @ x), lambda x: 2 * x,
                                      lambda x: 2 * np.eye(2), None, 2)
    assert r.success and r.nhev < descend.minimize(plain, np.ones(2), method="lbfgs").nhev


def test_averaged_sgd_forwards_convexity():
    f = _linear_objectives()["logistic"]
    assert descend._core.IterateAverage(f, 1).convex is True


def test_a_dask_objective_is_convex_and_computes_no_end_hessian():
    da = pytest.importorskip("dask.array")
    import descend.dask

    X, y = _data()
    f = descend.dask.Logistic(da.from_array(X, chunks=100), y, scheduler="sync")
    assert f.__descend_objective__().convex is True
    r = descend.minimize(f, np.zeros(f.n_params), method="lbfgs")
    # every computation is a point of the run or the first step's one product: none for a
    # Hessian after the last point
    assert r.success and r.nhev == 1 and f.n_points == r.nfev
    assert f.n_evaluations == r.nfev + r.nhev
