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
