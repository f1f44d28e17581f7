"""What a fit costs besides its epochs (session 9): the SGD estimators' scale warning settled by
a bound on sparse X, and the runs' iterates handed to numpy without a copy."""

import warnings

import numpy as np
import pytest

import descend
from descend.linear_model import SGDClassifier
from descend.linear_model._sgd import SCALE_SPREAD_WARNING, _scale_spread_bound

sparse = pytest.importorskip("scipy.sparse")


def _spread(objective):
    scales = objective.parameter_scales()
    return float(scales.max() / scales.min())


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e4, 1e8])
@pytest.mark.parametrize("l2", [1e-4, 1e-12, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_bound_is_never_below_the_exact_spread(scale, l2, weighted, dtype):
    rng = np.random.default_rng(0)
    X = (sparse.random(400, 250, density=0.05, random_state=1, format="csr") * scale)
    X = X.astype(dtype)
    y = (rng.random(400) > 0.5).astype(float)
    sw = rng.random(400) * 10 if weighted else None
    f = descend.Logistic(X, y, l2=l2, fit_intercept=True, sample_weight=sw)
    bound = _scale_spread_bound(f)
    assert bound is not None and np.isfinite(bound)
    assert bound >= _spread(f) * (1 - 1e-6)


def test_no_bound_for_dense_data_or_without_l2():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4))
    y = (rng.random(50) > 0.5).astype(float)
    assert _scale_spread_bound(descend.Logistic(X, y, l2=1e-4)) is None
    assert _scale_spread_bound(descend.Logistic(sparse.csr_matrix(X), y)) is None


def test_sparse_features_at_1e8_still_warn_and_normalised_rows_do_not():
    rng = np.random.default_rng(0)
    X = sparse.random(300, 40, density=0.2, random_state=2, format="csr")
    y = (rng.random(300) > 0.5).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SGDClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    # the bound exceeds the threshold here, and the exact scales decide: they warn
    big = X * 1e8
    assert _scale_spread_bound(descend.Logistic(big, y, l2=1e-4, fit_intercept=True)) > \
        SCALE_SPREAD_WARNING
    with pytest.warns(Warning, match="curvature scales"):
        SGDClassifier(max_iter=3, tol=None, random_state=0, learning_rate="constant",
                      eta0=1e-20).fit(big, y)


def test_a_run_leaves_x0_alone_and_returns_arrays_of_its_own():
    rng = np.random.default_rng(0)
    X = sparse.random(200, 30, density=0.2, random_state=3, format="csr")
    y = (rng.random(200) > 0.5).astype(float)
    f = descend.Logistic(X, y, l2=1e-3)
    x0 = np.full(30, 0.25)
    kept = x0.copy()
    r = descend.minimize(f, x0, method="sgd", lr=0.1, batch_size=1, epochs=3, seed=0)
    np.testing.assert_array_equal(x0, kept)
    assert r.x.flags.writeable and r.x.flags.owndata is False  # numpy views the core's vector
    before = r.x_best.copy()
    r.x[:] = 7.0  # the two arrays share nothing
    np.testing.assert_array_equal(r.x_best, before)
    # a float32 or integer start is converted, as before
    for start in (x0.astype(np.float32), np.zeros(30, dtype=np.int64), [0.0] * 30):
        descend.minimize(f, start, method="sgd", lr=0.1, batch_size=1, epochs=1, seed=0)


def test_the_same_iterates_as_a_full_batch_start_from_a_strided_x0():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = rng.standard_normal(60)
    f = descend.LeastSquares(X, y)
    wide = np.zeros((5, 2))
    wide[:, 0] = 0.5
    a = descend.minimize(f, wide[:, 0], method="gd", lr=0.1, max_iter=20)
    b = descend.minimize(f, np.full(5, 0.5), method="gd", lr=0.1, max_iter=20)
    np.testing.assert_array_equal(a.x, b.x)
