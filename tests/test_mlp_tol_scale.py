"""MLPRegressor's stopping rule: tol is measured in units of the targets' variance when it is
below 1 (1 on standardized targets and above, where it is scikit-learn's absolute rule)."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from descend.neural_network import MLPRegressor  # noqa: E402


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    return X, (y - y.mean()) / y.std()


def _fit(X, y, sample_weight=None):
    return MLPRegressor((16,), random_state=0, max_iter=400,
                        learning_rate_init=1e-2).fit(X, y, sample_weight=sample_weight)


def test_small_targets_do_not_stop_at_once():
    X, y = _data()
    unit = _fit(X, y)
    with pytest.warns(ConvergenceWarning):
        small = _fit(X, y * 1e-8)
    # scikit-learn's absolute tol stops this fit after n_iter_no_change + 1 epochs, its
    # R^2 far below 0, as converged; here it runs on, and says it has not converged
    assert unit.n_iter_ < 400
    assert small._tol_scale == pytest.approx(1e-16)
    assert small.n_iter_ > 3 * unit.n_iter_no_change


def test_large_targets_keep_the_absolute_rule():
    X, y = _data()
    with pytest.warns(ConvergenceWarning):  # the loss moves by far more than tol: no stop
        large = _fit(X, y * 1e8)
    assert large._tol_scale == 1.0 and large.n_iter_ == 400


def test_standardized_targets_keep_scikit_learns_rule():
    X, y = _data()
    model = _fit(X, y)
    assert model._tol_scale == pytest.approx(1.0)  # the variance of standardized y
    weights = np.r_[np.ones(150), 2 * np.ones(150)]
    weighted = _fit(X, y * 0.3, sample_weight=weights)
    mean = np.average(y * 0.3, weights=weights)
    assert weighted._tol_scale == pytest.approx(np.average((y * 0.3 - mean) ** 2,
                                                           weights=weights))


def test_constant_targets_measure_tol_in_units_of_one():
    X, _ = _data()
    assert _fit(X, np.full(len(X), 5.0))._tol_scale == 1.0
