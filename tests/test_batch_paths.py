"""The mini-batch step paths (issue 14 and 13's per-batch work): a batch's mean gradient and
penalty, written in one pass (the network's straight over g), equal the full objective's on
the same rows; the rows of the next batches, asked for while a batch computes, change no step
(shuffled or in index order, float64 and float32, every row order and batch length)."""
import numpy as np
import pytest

import descend
from descend import reference


def _regression(n=203, d=7, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X.astype(dtype), y.astype(dtype)


def _network_data(n=300, d=12, k=4, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    return X, rng.integers(0, k, size=n)


@pytest.mark.parametrize("m", [32, 30, 1], ids=["power-of-two", "other", "one-row"])
@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_a_network_batch_equals_the_full_objective_on_its_rows(m, l2, dtype):
    # The batch's gradient is written over g by the network and scaled in place; the full
    # pass adds blocks into an accumulator and divides it: the same bits for the gradient
    # (dividing by a power of two is multiplying by its inverse), the value to rounding (the
    # penalty's squares are summed by chunks).
    X, y = _network_data(dtype=dtype)
    rows = np.random.default_rng(2).permutation(len(y))[:m]
    f = descend.MLP(X, y, hidden=(40, 9), l2=l2, n_threads=1, n_outputs=4)
    w = f.init(seed=3)
    value, g = f.batch_value_and_gradient(w, rows)
    sub = descend.MLP(np.ascontiguousarray(X[rows]), y[rows], hidden=(40, 9), l2=l2, n_threads=1,
                      n_outputs=4)
    value_full, g_full = sub.value(w), sub.gradient(w)
    np.testing.assert_array_equal(g, g_full)
    assert value == pytest.approx(value_full, rel=1e-15)


def test_a_network_batch_split_over_threads_matches_one_thread_and_the_twin():
    # Large batches are split over threads: chunk 0 writes over g, the others into their own
    # sums, added after.
    X, y = _network_data(n=900, d=60, k=5)
    rows = np.random.default_rng(4).permutation(900)[:640]
    one = descend.MLP(X, y, hidden=(120,), l2=0.01, n_threads=1)
    two = descend.MLP(X, y, hidden=(120,), l2=0.01, n_threads=2)
    w = one.init(seed=0)
    v1, g1 = one.batch_value_and_gradient(w, rows)
    v2, g2 = two.batch_value_and_gradient(w, rows)
    assert v2 == pytest.approx(v1, rel=1e-13)
    np.testing.assert_allclose(g2, g1, rtol=1e-11, atol=1e-15)
    # A second call on the same thread starts from nothing left over by the first.
    np.testing.assert_array_equal(two.batch_value_and_gradient(w, rows)[1], g2)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("penalty", [{}, {"l2": 0.1}, {"l2": 0.1, "l1": 0.02}])
def test_a_linear_batch_equals_its_twin(weighted, penalty):
    X, y = _regression()
    s = np.random.default_rng(5).uniform(0.2, 2.0, size=len(y)) if weighted else None
    f = descend.LeastSquares(X, y, sample_weight=s, fit_intercept=True, **penalty)
    twin = reference.LeastSquares(X, y, sample_weight=s, fit_intercept=True, **penalty)
    w = np.linspace(-0.5, 0.6, X.shape[1] + 1)
    for rows in ([7], [3, 3, 150, 9], list(range(0, 203, 5)), list(range(64))):
        value, g = f.batch_value_and_gradient(w, np.array(rows))
        t_value, t_g = twin.batch_value_and_gradient(w, rows)
        assert value == pytest.approx(t_value, rel=1e-12)
        np.testing.assert_allclose(g, t_g, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffled", "index-order"])
@pytest.mark.parametrize("batch", [1, 16, 29, 203], ids=lambda b: f"batch{b}")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_runs_replay_their_twin_with_the_rows_asked_for_ahead(shuffle, batch, dtype):
    # Every batch asks for the rows two batches later (and the CSR row starts after those);
    # runs of several epochs with a short last batch replay the numpy twin step for step.
    X, y = _regression(dtype=dtype)
    n, epochs = len(y), 3
    f = descend.LeastSquares(X, y, l2=0.01)
    r = descend.minimize(f, np.zeros(X.shape[1]), method="momentum", lr=0.02, momentum=0.8,
                         batch_size=batch, epochs=epochs, shuffle=shuffle, seed=11,
                         epoch_loss="running")
    orders = [descend.permutation(n, 11, e) if shuffle else np.arange(n) for e in range(epochs)]
    twin = reference.LeastSquares(X.astype(np.float64), y.astype(np.float64), l2=0.01)
    x, _ = reference.run_minibatch(twin, np.zeros(X.shape[1]),
                                   reference.Rule("momentum", 0.02, momentum=0.8), batch, epochs,
                                   orders)
    tol = 1e-10 if dtype == np.float64 else 1e-4 * np.abs(x).max()
    np.testing.assert_allclose(r.x, x, rtol=0, atol=tol)


def test_a_network_run_replays_itself_in_index_order_and_shuffled():
    # The network's gathered batches ask for the next rows while they are copied: the same
    # steps as the objective's own batches replayed by hand.
    X, y = _network_data(n=130)
    f = descend.MLP(X, y, hidden=(16,), l2=1e-3, n_threads=1)
    w0 = f.init(seed=0)
    for shuffle in (True, False):
        r = descend.minimize(f, w0, method="sgd", lr=0.1, batch_size=32, epochs=2,
                             shuffle=shuffle, seed=5, epoch_loss="running")
        w = w0.copy()
        for e in range(2):
            order = descend.permutation(130, 5, e) if shuffle else np.arange(130)
            for begin in range(0, 130, 32):
                _, g = f.batch_value_and_gradient(w, order[begin:begin + 32])
                w = w - 0.1 * g
        np.testing.assert_allclose(r.x, w, rtol=0, atol=1e-13)
