"""Features on different scales: LogisticRegression(solver="lbfgs") on raw, unstandardised
columns (each multiplied by 10^k, k from -4 to 4), descend against scikit-learn and the
numpy twin's objective at the optimum.

descend's L-BFGS starts from the inverse of the objective's parameter scales (each feature's
mean square), so it takes the steps it would take on standardised features; scikit-learn's
starts from the identity. Each side is held to its objective: descend must reach the
optimum (to 1e-8 relative), scikit-learn's objective is reported. Skipped without
scikit-learn. DESCEND_BENCH_SMOKE=1 (CI's smoke run) uses a small set.
"""

import os
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import linear_model as sk  # noqa: E402

from descend import linear_model as dl  # noqa: E402

SMOKE = bool(os.environ.get("DESCEND_BENCH_SMOKE"))
N, D = (2_000, 9) if SMOKE else (100_000, 9)


@pytest.fixture(scope="module")
def mixed_scales():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((N, D))
    y = (Z @ rng.standard_normal(D) + 0.5 * rng.standard_normal(N) > 0).astype(int)
    return Z * 10.0 ** np.arange(-4, 5), y, Z


def objective(model, X, y, C=1.0):
    z = X @ np.ravel(model.coef_) + model.intercept_[0]
    return C * np.logaddexp(0.0, -(2 * y - 1) * z).sum() + 0.5 * np.ravel(model.coef_) @ \
        np.ravel(model.coef_)


@pytest.mark.parametrize("library", ["descend", "sklearn"])
def test_logistic_regression_on_mixed_scales(benchmark, mixed_scales, library):
    X, y, Z = mixed_scales
    benchmark.group = f"LogisticRegression lbfgs, features times 1e-4..1e4, n={N:,} d={D}"
    make = {"descend": lambda: dl.LogisticRegression(solver="lbfgs"),
            "sklearn": lambda: sk.LogisticRegression(solver="lbfgs")}[library]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning is the point
        model = benchmark.pedantic(lambda: make().fit(X, y), rounds=3, iterations=1)
    # The optimum, by Newton's method (invariant to the scales).
    best = dl.LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
    value, optimum = objective(model, X, y), objective(best, X, y)
    benchmark.extra_info.update(objective=value, optimum=optimum,
                                n_iter=int(np.ravel(model.n_iter_)[0]))
    if library == "descend":
        assert value <= optimum * (1 + 1e-8), (value, optimum)
