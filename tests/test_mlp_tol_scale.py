"""MLPRegressor's stopping rule does not change when y is rescaled: tol is measured in units
of the targets' variance (1 on standardized targets, where it is scikit-learn's rule)."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
from descend.neural_network import MLPRegressor  # noqa: E402


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    return X, (y - y.mean()) / y.std()


def _fit(X, y, **kw):
    return MLPRegressor((16,), random_state=0, max_iter=400, learning_rate_init=1e-2,
                        **kw).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_rescaled_targets_do_not_stop_early(scale):
    X, y = _data()
    unit = _fit(X, y)
    scaled = _fit(X, y * scale)
    # the unit-scale fit stops by the tol rule; the rescaled one must not stop much earlier
    # (at 1e-8 scikit-learn's absolute tol stops after n_iter_no_change + 1 epochs)
    assert unit.n_iter_ < 400
    assert scaled.n_iter_ > 3 * unit.n_iter_no_change
    assert scaled.score(X, y * scale) > 0.5


def test_standardized_targets_keep_scikit_learns_rule():
    X, y = _data()
    model = _fit(X, y)
    assert model._tol_scale == pytest.approx(1.0)  # the variance of standardized y
    weights = np.r_[np.ones(150), 2 * np.ones(150)]
    weighted = _fit(X, y * 3.0, sample_weight=weights)
    mean = np.average(y * 3.0, weights=weights)
    assert weighted._tol_scale == pytest.approx(np.average((y * 3.0 - mean) ** 2,
                                                           weights=weights))


def test_constant_targets_measure_tol_in_units_of_one():
    X, _ = _data()
    assert _fit(X, np.full(len(X), 5.0))._tol_scale == 1.0
