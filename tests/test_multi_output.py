"""LinearRegression and Ridge on a 2-D y: one model per target column, as scikit-learn's."""

import numpy as np
import pytest

from descend.linear_model import LinearRegression, Ridge

sklearn_lm = pytest.importorskip("sklearn.linear_model")
sparse = pytest.importorskip("scipy.sparse")


def data(n=200, d=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = X @ rng.normal(size=(d, k)) + rng.normal(size=k) + 0.1 * rng.normal(size=(n, k))
    return X, Y


@pytest.mark.parametrize("make", [lambda: (LinearRegression(), sklearn_lm.LinearRegression()),
                                  lambda: (Ridge(alpha=2.0), sklearn_lm.Ridge(alpha=2.0))])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("as_sparse", [False, True])
def test_a_2d_y_gives_scikit_learns_models(make, fit_intercept, as_sparse):
    X, Y = data()
    ours, theirs = make()
    ours.set_params(fit_intercept=fit_intercept)
    theirs.set_params(fit_intercept=fit_intercept)
    Xf = sparse.csr_matrix(X) if as_sparse else X
    ours.fit(Xf, Y)
    theirs.fit(X, Y)
    assert ours.coef_.shape == theirs.coef_.shape == (3, 5)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-8)
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)
    assert ours.predict(Xf).shape == (200, 3)
    assert ours.score(Xf, Y) == pytest.approx(theirs.score(X, Y), rel=1e-9)
    assert ours.n_iter_.shape == (3,)


def test_each_column_is_the_fit_of_that_column_alone():
    X, Y = data()
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=200)
    both = LinearRegression().fit(X, Y, sample_weight=weights)
    for j in range(3):
        one = LinearRegression().fit(X, Y[:, j], sample_weight=weights)
        np.testing.assert_allclose(both.coef_[j], one.coef_, rtol=1e-12)
        assert both.intercept_[j] == pytest.approx(one.intercept_, rel=1e-12)


def test_a_column_vector_y_stays_2d_as_in_scikit_learn():
    X, Y = data(k=1)
    ours, theirs = LinearRegression().fit(X, Y), sklearn_lm.LinearRegression().fit(X, Y)
    assert ours.coef_.shape == theirs.coef_.shape == (1, 5)
    assert ours.predict(X).shape == theirs.predict(X).shape == (200, 1)


def test_ridge_takes_one_penalty_per_target():
    X, Y = data()
    alphas = np.array([0.1, 10.0, 1000.0])
    ours = Ridge(alpha=alphas).fit(X, Y)
    theirs = sklearn_lm.Ridge(alpha=alphas).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-10)
    with pytest.raises(ValueError, match="Number of targets and number of penalties"):
        Ridge(alpha=[1.0, 2.0]).fit(X, Y)
    with pytest.raises(ValueError, match="alpha"):
        Ridge(alpha=[1.0, -2.0, 3.0]).fit(X, Y)


def test_collinear_columns_and_underdetermined_problems_per_target():
    X, Y = data(n=4, d=6)  # underdetermined: the least-norm solution of each column
    ours, theirs = LinearRegression().fit(X, Y), sklearn_lm.LinearRegression().fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=1e-10)
    X, Y = data()
    X = np.hstack([X, X[:, :1]])  # a repeated column
    ours, theirs = LinearRegression().fit(X, Y), sklearn_lm.LinearRegression().fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)


def test_bad_2d_targets_are_refused():
    X, Y = data()
    with pytest.raises(ValueError):
        LinearRegression().fit(X, Y[:-1])
    bad = Y.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Ridge().fit(X, bad)
    with pytest.raises(ValueError):
        LinearRegression().fit(X, np.zeros((200, 0)))
    with pytest.raises(ValueError):
        LinearRegression().fit(X, np.zeros((200, 2, 2)))
