"""float32 data: runs end where float32 arithmetic stops resolving the loss, on any core.

A float32 objective rounds its scores x_i'w to float32, so its gradient has a floor of some
tens of float32 epsilons. Below it a line search meets the loss's rounding and accepts ever
smaller steps: newton, given a gtol it cannot reach, used to repeat them until max_iter (on
the SSE2 core even with the default tol of the estimators). The default tol on float32 data
(float32's epsilon squared) ends such a run as "stalled"; a tol the user gives is kept.
"""

import numpy as np
import pytest

import descend
from descend._minimize import FLOAT32_TOL


def _problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 8))
    y = (X @ rng.standard_normal(8) + 0.5 * rng.standard_normal(500) > 0).astype(int)
    return descend.Logistic(X.astype(np.float32), y, l2=1 / 500, fit_intercept=True)


def test_float32_tol_is_epsilon_squared():
    assert FLOAT32_TOL == pytest.approx(np.finfo(np.float32).eps ** 2)


def test_newton_below_the_float32_floor_stalls_instead_of_running_to_max_iter():
    f = _problem()
    x0 = np.zeros(f.n_params)
    r = descend.minimize(f, x0, method="newton", gtol=1e-12, max_iter=1000)
    assert r.status == "stalled" and r.nit < 100, (r.status, r.nit, r.message)
    assert not r.success
    # Where it stopped is float32's precision of the float64 minimiser.
    exact = descend.Logistic(np.asarray(f.X, dtype=np.float64), f.y > 0, l2=1 / 500,
                             fit_intercept=True)
    best = descend.minimize(exact, x0, method="newton")
    np.testing.assert_allclose(r.x, best.x, rtol=0, atol=1e-4 * np.abs(best.x).max())


def test_a_tol_the_user_gives_is_kept_on_float32_data():
    f = _problem()
    x0 = np.zeros(f.n_params)
    default = descend.minimize(f, x0, method="newton", gtol=1e-12, max_iter=200)
    given = descend.minimize(f, x0, method="newton", gtol=1e-12, max_iter=200, tol=0.0)
    assert given.nit > default.nit
    assert given.status in ("max_iter", "stalled", "line_search_failed")


def test_float64_data_keep_the_default_tol():
    f = _problem()
    f64 = descend.Logistic(np.asarray(f.X, dtype=np.float64), f.y > 0, l2=1 / 500,
                           fit_intercept=True)
    r = descend.minimize(f64, np.zeros(f64.n_params), method="newton")
    assert r.success and r.status == "converged"
