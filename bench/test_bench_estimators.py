"""descend's scikit-learn estimators against their scikit-learn twins: fit time, same data.

Each group fits descend's estimator and scikit-learn's on the same data with the same penalty;
pytest-benchmark's ratio column is the speed-up. Both fits must reach the same coefficients.
Skipped when scikit-learn is missing.
"""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import datasets  # noqa: E402
from sklearn import linear_model as sk  # noqa: E402

from descend import linear_model as dl  # noqa: E402


@pytest.fixture(scope="module")
def regression():
    X, y = datasets.make_regression(n_samples=100_000, n_features=50, noise=1.0, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def classification():
    X, y = datasets.make_classification(n_samples=100_000, n_features=50, n_informative=25,
                                        random_state=0)
    return X, y


CASES = {
    "Ridge": (lambda: dl.Ridge(alpha=1.0), lambda: sk.Ridge(alpha=1.0, solver="cholesky"),
              "regression", 1e-6),
    "LinearRegression": (lambda: dl.LinearRegression(), lambda: sk.LinearRegression(),
                         "regression", 1e-6),
    "LogisticRegression": (lambda: dl.LogisticRegression(C=1.0),
                           lambda: sk.LogisticRegression(C=1.0, solver="newton-cholesky",
                                                         tol=1e-8),
                           "classification", 1e-5),
}


@pytest.mark.parametrize("library", ["descend", "sklearn"])
@pytest.mark.parametrize("name", list(CASES))
def test_fit(benchmark, request, name, library):
    ours, theirs, data, atol = CASES[name]
    X, y = request.getfixturevalue(data)
    benchmark.group = f"{name} fit, n=100,000 d=50"
    make = ours if library == "descend" else theirs
    model = benchmark.pedantic(lambda: make().fit(X, y), rounds=3, iterations=1)
    reference = theirs().fit(X, y) if library == "descend" else ours().fit(X, y)
    np.testing.assert_allclose(np.ravel(model.coef_), np.ravel(reference.coef_), atol=atol)


SGD_CASES = {
    "SGDRegressor": (
        lambda: dl.SGDRegressor(alpha=1e-4, eta0=1e-3, learning_rate="constant", max_iter=5,
                                tol=None, random_state=0),
        lambda: sk.SGDRegressor(alpha=1e-4, eta0=1e-3, learning_rate="constant", max_iter=5,
                                tol=None, random_state=0),
        "regression"),
    "SGDClassifier": (
        lambda: dl.SGDClassifier(loss="log_loss", alpha=1e-4, eta0=1e-3,
                                 learning_rate="constant", max_iter=5, tol=None,
                                 random_state=0),
        lambda: sk.SGDClassifier(loss="log_loss", alpha=1e-4, eta0=1e-3,
                                 learning_rate="constant", max_iter=5, tol=None,
                                 random_state=0),
        "classification"),
}


@pytest.mark.parametrize("library", ["descend", "sklearn"])
@pytest.mark.parametrize("name", list(SGD_CASES))
def test_sgd_fit(benchmark, request, name, library):
    """Per-sample SGD, 5 epochs at a constant rate: the same work on both sides; stochastic,
    so the two are held to the same score rather than the same coefficients."""
    ours, theirs, data = SGD_CASES[name]
    X, y = request.getfixturevalue(data)
    benchmark.group = f"{name} fit, 5 epochs of per-sample SGD, n=100,000 d=50"
    make = ours if library == "descend" else theirs
    model = benchmark.pedantic(lambda: make().fit(X, y), rounds=3, iterations=1)
    other = theirs().fit(X, y) if library == "descend" else ours().fit(X, y)
    assert model.score(X, y) == pytest.approx(other.score(X, y), abs=0.01)
