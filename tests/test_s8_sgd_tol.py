"""The SGD estimators' tol rule: scikit-learn's on the usual data, scale-free where it is not.

scikit-learn stops after n_iter_no_change epochs whose summed objective (each step's loss
plus the penalty before it) did not improve on the best by tol, an absolute number. descend
sums the same per-step objective (on sparse rows scikit-learn's WeightVector norms: those of
the weights the previous step wrote) and, for SGDRegressor, measures tol in a unit of y's
scale that is 1 on standardized y (``_regression_tol_unit``): the same epochs as
scikit-learn's there, and the same epochs at any scale of y where an absolute tol stops at
once (y 1e-8) or runs to max_iter (y 1e8).
"""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
sparse = pytest.importorskip("scipy.sparse")

import sklearn.linear_model as sl  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import descend.linear_model as dl  # noqa: E402
from descend.linear_model._sgd import _regression_tol_unit  # noqa: E402


def _data(n=400, d=30, seed=0, density=0.2):
    rng = np.random.default_rng(seed)
    X = sparse.random(n, d, density=density, format="csr", random_state=seed,
                      data_rvs=rng.standard_normal)
    t = X @ rng.standard_normal(d) + 0.3 + 0.3 * rng.standard_normal(n)
    return X, (t - t.mean()) / t.std()


@pytest.mark.parametrize("loss", ["squared_error", "epsilon_insensitive",
                                  "squared_epsilon_insensitive"])
def test_the_unit_is_one_on_standardized_y(loss):
    _, y = _data()
    assert _regression_tol_unit(loss, 0.1, y, None, True) == pytest.approx(1.0, rel=1e-12)
    # and a weighted y standardized with its weights
    w = np.random.default_rng(1).random(y.size) + 0.5
    z = (y - np.average(y, weights=w)) / np.sqrt(np.cov(y, aweights=w, ddof=0))
    assert _regression_tol_unit(loss, 0.1, z, w, True) == pytest.approx(1.0, rel=1e-12)


def test_the_unit_scales_as_the_loss():
    _, y = _data()
    for scale in (1e-8, 1e8):
        for loss in ("squared_error", "squared_epsilon_insensitive", "huber"):
            # y and epsilon rescaled together: the loss times scale^2, the unit too
            assert _regression_tol_unit(loss, 0.1 * scale, y * scale, None, True) == \
                pytest.approx(scale**2 * _regression_tol_unit(loss, 0.1, y, None, True),
                              rel=1e-12)
        assert _regression_tol_unit("epsilon_insensitive", 0.1 * scale, y * scale, None,
                                    True) == pytest.approx(scale, rel=1e-12)
    # huber on standardized y: twice its mean loss about the mean (stricter than 1)
    r = np.abs(y - y.mean())
    twice = 2 * np.where(r <= 0.1, 0.5 * r * r, 0.1 * r - 0.005).mean()
    assert _regression_tol_unit("huber", 0.1, y, None, True) == pytest.approx(twice)
    assert twice < 0.2
    # epsilon fixed: huber and epsilon_insensitive are linear far beyond it (absolute unit)
    assert _regression_tol_unit("huber", 0.1, y * 1e8, None, True) == pytest.approx(1.0)
    assert _regression_tol_unit("epsilon_insensitive", 0.1, y * 1e8, None, True) == \
        pytest.approx(1.0)
    assert _regression_tol_unit("huber", 0.1, y * 1e-8, None, True) == \
        pytest.approx(1e-16, rel=1e-12)
    # shifts do not count with an intercept; a constant y and a zero y have a unit
    assert _regression_tol_unit("squared_error", 0.1, y + 1e6, None, True) == \
        pytest.approx(1.0, rel=1e-6)
    assert _regression_tol_unit("squared_error", 0.1, np.full(5, 3.0), None, True) == 9.0
    assert _regression_tol_unit("squared_error", 0.1, np.zeros(5), None, True) == 1.0


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("loss", ["squared_error", "squared_epsilon_insensitive"])
def test_same_epochs_as_scikit_learn_on_standardized_y(loss, dense):
    """With shuffle=False both take the same steps; with the same summed objective and a
    unit of 1 the tol rule stops them at the same epoch (sparse rows: scikit-learn's norms
    of the written weights; dense rows: the norm of all the weights)."""
    X, y = _data(seed=3)
    X = X.toarray() if dense else X
    params = dict(loss=loss, shuffle=False, max_iter=500, alpha=1e-3)
    ours = dl.SGDRegressor(**params).fit(X, y)
    theirs = sl.SGDRegressor(**params).fit(X, y)
    assert 5 < theirs.n_iter_ < 500
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("loss", ["hinge", "log_loss"])
def test_sparse_classifier_stops_at_scikit_learns_epoch(loss):
    X, y = _data(seed=4)
    labels = (y > 0).astype(int)
    params = dict(loss=loss, shuffle=False, max_iter=500, alpha=1e-3)
    ours = dl.SGDClassifier(**params).fit(X, labels)
    theirs = sl.SGDClassifier(**params).fit(X, labels)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9, atol=1e-11)


def _fit(loss, X, y, **params):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = dl.SGDRegressor(loss=loss, random_state=0, **params).fit(X, y)
    return model, [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("scale", [1e-8, 1e8])
@pytest.mark.parametrize("dense", [False, True])
def test_squared_error_runs_the_same_epochs_at_any_scale_of_y(scale, dense):
    """The default fit (invscaling) of y times 1e-8 or 1e8 takes the steps of y times the
    scale: it stops at the same epoch, neither at once nor at max_iter."""
    X, y = _data(seed=5)
    X = X.toarray() if dense else X
    reference, _ = _fit("squared_error", X, y)
    model, warned = _fit("squared_error", X, y * scale)
    assert 5 < reference.n_iter_ < 1000 and not warned
    assert model.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(model.coef_ / scale, reference.coef_, rtol=1e-6, atol=1e-9)
    assert model.score(X, y * scale) == pytest.approx(reference.score(X, y), abs=1e-9)


@pytest.mark.parametrize("loss", ["huber", "squared_epsilon_insensitive"])
@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_epsilon_losses_with_epsilon_rescaled_run_the_same_epochs(loss, scale):
    X, y = _data(seed=6)
    reference, _ = _fit(loss, X, y, epsilon=0.1)
    model, _ = _fit(loss, X, y * scale, epsilon=0.1 * scale)
    assert 5 < reference.n_iter_ < 1000
    assert model.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(model.coef_ / scale, reference.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", ["huber", "epsilon_insensitive"])
def test_linear_losses_far_beyond_epsilon_take_scikit_learns_absolute_rule(loss):
    """y 1e8 with the default epsilon: the slopes are bounded (epsilon, 1), an epoch lowers the
    loss by an amount that does not grow with y, and the unit is 1: scikit-learn's rule, the
    same epochs as scikit-learn's (a unit of the loss's size would stop far sooner)."""
    X, y = _data(seed=7)
    params = dict(loss=loss, shuffle=False, max_iter=200)
    with warnings.catch_warnings():  # both may end at max_iter, and both say so
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = dl.SGDRegressor(**params).fit(X, y * 1e8)
        theirs = sl.SGDRegressor(**params).fit(X, y * 1e8)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)


def test_huber_well_within_epsilon_is_the_squared_error():
    X, y = _data(seed=7)
    small, _ = _fit("huber", X, y * 1e-8)
    squared, _ = _fit("squared_error", X, y * 1e-8)
    assert small.n_iter_ == squared.n_iter_ > 5
    np.testing.assert_allclose(small.coef_, squared.coef_, rtol=1e-9, atol=1e-20)


def test_epsilon_insensitive_inside_its_tube_stays_at_zero():
    X, y = _data(seed=8)
    # Inside the tube everywhere: zero is the minimum, the fit stays there and stops.
    tiny, warned = _fit("epsilon_insensitive", X, y * 1e-8)
    assert np.all(tiny.coef_ == 0.0) and not warned and tiny.n_iter_ < 1000
