"""Sample weights in mini-batches: a batch of m rows is divided by m S / n, the weight m rows
carry on average, never by its own total weight (which cancels every weight at batch_size=1)."""
import numpy as np
import pytest

import descend
from descend import reference

sparse = pytest.importorskip("scipy.sparse")


def _data(n=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.arange(1.0, d + 1) + 0.3 * rng.normal(size=n)
    s = rng.uniform(0.1, 3.0, size=n)
    return X, y, s


@pytest.mark.parametrize("make,twin", [(descend.LeastSquares, reference.LeastSquares),
                                       (descend.Logistic, reference.Logistic)])
@pytest.mark.parametrize("rows", [[4], [4, 9, 9, 17], list(range(60))])
@pytest.mark.parametrize("csr", [False, True], ids=["dense", "csr"])
def test_a_batch_is_divided_by_the_weight_its_rows_carry_on_average(make, twin, rows, csr):
    X, y, s = _data()
    if make is descend.Logistic:
        y = np.where(y > y.mean(), 1.0, 0.0)
    f = make(sparse.csr_matrix(X) if csr else X, y, sample_weight=s, l2=0.1,
             fit_intercept=True)
    g_twin = twin(X, y, sample_weight=s, l2=0.1, fit_intercept=True)
    w = np.array([0.3, -0.2, 0.5, 0.1])
    value, g = f.batch_value_and_gradient(w, np.array(rows))
    expected_value, expected_g = g_twin.batch_value_and_gradient(w, rows)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    np.testing.assert_allclose(g, expected_g, rtol=1e-12, atol=1e-14)
    # The definition itself: sum_k s_k grad loss_k / (m S / n), plus the penalty.
    full = twin(X[rows], y[rows], sample_weight=s[rows], fit_intercept=True)
    scale = s[rows].sum() / (len(rows) * s.mean())
    penalty = 0.1 * np.r_[w[:3], 0.0]
    np.testing.assert_allclose(g, scale * full.gradient(w) + penalty, rtol=1e-12, atol=1e-14)


def test_one_row_of_twice_the_weight_takes_a_step_twice_as_long():
    X, y, s = _data()
    s = np.ones(60)
    s[7] = 2.0
    f = descend.LeastSquares(X, y, sample_weight=s)
    plain = descend.LeastSquares(X, y)
    w = np.zeros(3)
    heavy = f.batch_value_and_gradient(w, np.array([7]))[1]
    light = plain.batch_value_and_gradient(w, np.array([7]))[1]
    np.testing.assert_allclose(heavy, 2.0 / s.mean() * light, rtol=1e-13)


def test_a_row_of_zero_weight_gives_no_step():
    X, y, s = _data()
    s[5] = 0.0
    f = descend.LeastSquares(X, y, sample_weight=s)
    value, g = f.batch_value_and_gradient(np.ones(3), np.array([5]))
    assert value == 0.0 and not g.any()


def test_scaling_every_weight_by_one_factor_changes_no_step():
    X, y, s = _data()
    runs = [descend.minimize(descend.LeastSquares(X, y, sample_weight=c * s), np.zeros(3),
                             method="sgd", lr=0.01, batch_size=1, epochs=3, seed=2).x
            for c in (1.0, 1e-8, 1e8)]
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-10)
    np.testing.assert_allclose(runs[2], runs[0], rtol=1e-10)


@pytest.mark.parametrize("csr", [False, True], ids=["dense", "csr"])
def test_per_sample_sgd_reaches_the_weighted_minimiser(csr):
    X, y, _ = _data(n=200)
    s = np.where(np.arange(200) < 100, 5.0, 0.2)  # two halves of very different weight
    y = y + np.where(np.arange(200) < 100, 1.0, -1.0)  # that want different intercepts
    A = np.c_[X, np.ones(200)]
    weighted = np.linalg.lstsq(A * np.sqrt(s)[:, None], y * np.sqrt(s), rcond=None)[0]
    plain = np.linalg.lstsq(A, y, rcond=None)[0]
    f = descend.LeastSquares(sparse.csr_matrix(X) if csr else X, y, sample_weight=s,
                             fit_intercept=True)
    r = descend.minimize(f, np.zeros(4), method="sgd", lr=0.01, batch_size=1, epochs=60,
                         seed=0, schedule=descend.schedules.inverse(0.2))
    # Far nearer the weighted minimiser than the unweighted one (whose intercept is 0.8 off).
    assert np.abs(r.x - weighted).max() < 0.05
    assert abs(weighted[-1] - plain[-1]) > 0.5


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("method,options", [("sgd", {}), ("momentum", {"momentum": 0.8}),
                                            ("adam", {"betas": (0.9, 0.999), "eps": 1e-8})])
def test_weighted_minibatch_runs_replay_their_twin(batch_size, method, options):
    X, y, s = _data()
    f = descend.LeastSquares(X, y, sample_weight=s, l2=0.05)
    twin = reference.LeastSquares(X, y, sample_weight=s, l2=0.05)
    r = descend.minimize(f, np.zeros(3), method=method, lr=0.01, batch_size=batch_size,
                         epochs=2, seed=3, **options)
    rule = reference.Rule("gd" if method == "sgd" else method, 0.01, **options)
    x = np.zeros(3)
    for epoch in range(2):
        order = np.asarray(descend.permutation(60, 3, epoch))
        for begin in range(0, 60, batch_size):
            _, g = twin.batch_value_and_gradient(x, order[begin:begin + batch_size])
            x = rule.step(x, g)
    np.testing.assert_allclose(r.x, x, rtol=1e-10, atol=1e-13)


def test_the_running_epoch_loss_is_the_weighted_mean():
    # With a rate so small that the point does not move, the running loss of an epoch is
    # the full weighted mean loss, whatever the batches' own weights.
    X, y, s = _data()
    f = descend.LeastSquares(X, y, sample_weight=s)
    r = descend.minimize(f, np.ones(3), method="sgd", lr=1e-14, batch_size=1, epochs=1,
                         epoch_loss="running")
    np.testing.assert_allclose(r.history.loss[-1], f.value(np.ones(3)), rtol=1e-9)


def test_the_lazy_sparse_steps_weigh_as_the_dense_ones():
    X, y, s = _data(n=80, d=6)
    X[np.abs(X) < 0.8] = 0.0
    yb = np.where(y > 0, 1.0, 0.0)
    dense = descend.Logistic(X, yb, sample_weight=s, l2=0.01, fit_intercept=True)
    lazy = descend.Logistic(sparse.csr_matrix(X), yb, sample_weight=s, l2=0.01,
                            fit_intercept=True)
    a, b = (descend.minimize(f, np.zeros(7), method="sgd", lr=0.1, batch_size=1, epochs=3,
                             seed=1) for f in (dense, lazy))
    np.testing.assert_allclose(b.x, a.x, rtol=1e-10, atol=1e-12)
    unweighted = descend.minimize(descend.Logistic(sparse.csr_matrix(X), yb, l2=0.01,
                                                   fit_intercept=True),
                                  np.zeros(7), method="sgd", lr=0.1, batch_size=1, epochs=3,
                                  seed=1)
    assert not np.allclose(unweighted.x, b.x, rtol=1e-3)


def test_the_batch_mean_weight_is_checked():
    X, y, s = _data()
    f = descend.LeastSquares(X, y, sample_weight=s)
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="mean weight"):
            f._set_batch_mean_weight(bad)
