"""LinearRegression on collinear columns returns scikit-learn's minimiser.

One-hot columns beside an intercept (the "dummy variable trap"), a constant column or a
repeated column leave many least-squares minimisers with the same predictions. scikit-learn
returns the one of least ||coef|| (lstsq on centred data); so does descend's solver="auto".
"""

import numpy as np
import pytest
import scipy.sparse as sp

from descend.linear_model import LinearRegression

sk_linear = pytest.importorskip("sklearn.linear_model")


def one_hot_problem(n=300, seed=0):
    rng = np.random.default_rng(seed)
    cats = rng.integers(0, 4, n)
    X = np.hstack([np.eye(4)[cats], rng.normal(size=(n, 3))])
    y = X @ np.array([1.0, 2.0, 3.0, -1.0, 0.5, -1.0, 2.0]) + 0.1 * rng.normal(size=n)
    return X, y, rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_one_hot_columns_give_scikit_learns_coefficients(sparse, weighted, fit_intercept):
    X, y, w = one_hot_problem()
    sw = w if weighted else None
    data = sp.csr_matrix(X) if sparse else X
    ours = LinearRegression(fit_intercept=fit_intercept).fit(data, y, sample_weight=sw)
    theirs = sk_linear.LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-8)
    np.testing.assert_allclose(ours.predict(data), theirs.predict(X), atol=1e-8)


def test_constant_columns_get_zero_coefficients():
    X = np.hstack([np.full((20, 2), 3.0), np.arange(20.0)[:, None]])
    y = 2.0 * np.arange(20.0) + 1.0
    model = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, [0.0, 0.0, 2.0], atol=1e-10)
    np.testing.assert_allclose(model.intercept_, 1.0, atol=1e-9)


def test_only_constant_columns_leave_the_intercept_alone():
    model = LinearRegression().fit(np.ones((10, 3)), np.arange(10.0))
    np.testing.assert_allclose(model.coef_, 0.0, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, 4.5)


def test_a_repeated_column_shares_its_weight():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 1))
    X = np.hstack([x, x, rng.normal(size=(100, 1))])
    y = 3.0 * x[:, 0] + 0.1 * rng.normal(size=100)
    ours = LinearRegression().fit(X, y)
    theirs = sk_linear.LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
    assert ours.coef_[0] == pytest.approx(ours.coef_[1], abs=1e-9)


def test_full_rank_ill_conditioned_columns_are_left_as_solved():
    # Nearly collinear (condition number about 1e4) is not collinear: nothing is projected.
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(500, 3))
    X = np.hstack([Z, Z[:, :1] + 1e-4 * rng.normal(size=(500, 1))])
    y = X @ np.array([1.0, 2.0, 3.0, 4.0])
    model = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, [1.0, 2.0, 3.0, 4.0], rtol=1e-4)
