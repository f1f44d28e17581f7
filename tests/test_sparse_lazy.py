"""Lazy mini-batch steps on CSR rows: the dense iterates, at O(non-zeros) per step.

The reference for every check is the same run on ``X.toarray()``, which takes the dense
update (and the numpy twins: the dense loop and the lazy twin).
"""

import numpy as np
import pytest

import descend
from descend import reference

sparse = pytest.importorskip("scipy.sparse")


def _text_like(n=150, d=400, per_row=6, seed=0, kind="logistic", dtype=np.float64):
    """Rows storing a few of many columns, frequent columns more often (as words)."""
    r = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, d + 1) ** 1.1
    weights /= weights.sum()
    rows, cols = [], []
    for i in range(n):
        chosen = r.choice(d, size=per_row, p=weights)  # repeats: duplicate entries
        rows += [i] * per_row
        cols += list(chosen)
    X = sparse.csr_matrix((r.uniform(0.2, 2.0, size=len(rows)), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    X = X.astype(dtype)
    z = X @ r.normal(size=d)
    y = (z > np.median(z)).astype(float) if kind == "logistic" else z + 0.1 * r.normal(size=n)
    return X, y


CLASSES = {"ls": descend.LeastSquares, "logistic": descend.Logistic}

# (method, the objective's penalties, the rule's options): every configuration with a lazy form.
LAZY_CASES = [
    ("sgd", dict(), dict(lr=0.3)),
    ("sgd", dict(l2=0.05), dict(lr=0.3)),
    ("sgd", dict(l1=0.002), dict(lr=0.3)),
    ("sgd", dict(l2=0.05, l1=0.002), dict(lr=0.3)),
    ("sgd", dict(l2=0.01), dict(lr=0.3, weight_decay=0.02)),
    ("sgd", dict(l2=0.05, l1=0.002), dict(lr=0.3, lr_decay=0.01)),
    ("adagrad", dict(), dict(lr=0.3)),
    ("adagrad", dict(l1=0.002), dict(lr=0.3, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("momentum", dict(), dict(lr=0.05, momentum=0.9)),
    ("nesterov", dict(), dict(lr=0.05, momentum=0.8)),
]


def _run(f, method, batch, options, epochs=3, **extra):
    return descend.minimize(f, np.zeros(f.n_params), method=method, batch_size=batch,
                            epochs=epochs, seed=4, **options, **extra)


@pytest.mark.parametrize("kind", list(CLASSES))
@pytest.mark.parametrize("method, penalties, options", LAZY_CASES)
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["b", "no_b"])
def test_lazy_steps_give_the_dense_iterates(kind, method, penalties, options, batch,
                                            fit_intercept):
    X, y = _text_like(kind=kind)
    sw = np.random.default_rng(1).uniform(0.0, 2.0, size=X.shape[0])
    sw[:5] = 0.0  # zero-weight rows (and, at batch 1, batches of zero weight)
    common = dict(fit_intercept=fit_intercept, sample_weight=sw, **penalties)
    lazy = _run(CLASSES[kind](X, y, **common), method, batch, options)
    dense = _run(CLASSES[kind](X.toarray(), y, **common), method, batch, options)
    np.testing.assert_allclose(lazy.x, dense.x, rtol=1e-10, atol=1e-12)
    assert lazy.status == dense.status and lazy.nit == dense.nit


@pytest.mark.parametrize("method, penalties, options",
                         [LAZY_CASES[3], LAZY_CASES[7], LAZY_CASES[9]])
@pytest.mark.parametrize("batch, shuffle, drop_last",
                         [(1, False, False), (4, True, True), (7, False, True), (150, True, False)])
def test_the_batches_read_ahead_change_nothing(method, penalties, options, batch, shuffle,
                                               drop_last):
    # The steps read the entries of the next batches ahead of time (lazy_steps.hpp): in index
    # order, with a smaller last batch kept or dropped, one batch of all the rows.
    X, y = _text_like(n=150)
    extra = dict(shuffle=shuffle, drop_last=drop_last)
    lazy = _run(descend.Logistic(X, y, **penalties), method, batch, options, **extra)
    dense = _run(descend.Logistic(X.toarray(), y, **penalties), method, batch, options, **extra)
    np.testing.assert_allclose(lazy.x, dense.x, rtol=1e-10, atol=1e-12)


def test_rows_repeating_a_column_step_as_their_dense_copy():
    # Non-canonical CSR (a column stored twice in a row: the entries add up) at batch 1, where
    # canonical rows take the in-place gradient.
    X, y = _text_like(n=60)
    parts = np.repeat(X.data, 2) * np.tile([0.25, 0.75], X.nnz)
    doubled = sparse.csr_matrix((parts, np.repeat(X.indices, 2), 2 * X.indptr), shape=X.shape)
    assert doubled.nnz == 2 * X.nnz and not doubled.has_canonical_format
    for method, penalties, options in [LAZY_CASES[3], LAZY_CASES[9]]:
        lazy = _run(descend.Logistic(doubled, y, **penalties), method, 1, options)
        dense = _run(descend.Logistic(X.toarray(), y, **penalties), method, 1, options)
        np.testing.assert_allclose(lazy.x, dense.x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method, penalties, options", LAZY_CASES)
def test_the_full_epoch_losses_match_and_running_ones_add_the_final_penalty(method, penalties,
                                                                            options):
    X, y = _text_like()
    f, g = descend.Logistic(X, y, **penalties), descend.Logistic(X.toarray(), y, **penalties)
    a = _run(f, method, 1, options, epoch_loss="full", keep_path=True)
    b = _run(g, method, 1, options, epoch_loss="full", keep_path=True)
    np.testing.assert_allclose(a.history.loss, b.history.loss, rtol=1e-10)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-10, atol=1e-12)
    # The running epoch loss: the batches' data losses, then the penalties at the epoch's end.
    running = _run(f, method, 1, options, epochs=1, epoch_loss="running")
    dense = _run(g, method, 1, options, epochs=1, epoch_loss="running")
    np.testing.assert_allclose(running.x, dense.x, rtol=1e-10, atol=1e-12)
    if not penalties:
        np.testing.assert_allclose(running.fun, dense.fun, rtol=1e-10)


def test_a_schedule_changes_the_rate_between_epochs_and_stays_exact():
    X, y = _text_like()
    options = dict(lr=0.5, schedule=descend.schedules.step(step_size=1, gamma=0.5))
    for method, penalties in [("sgd", dict(l2=0.05, l1=0.001)), ("nesterov", {}),
                              ("adagrad", dict(l1=0.001))]:
        a = _run(descend.Logistic(X, y, **penalties), method, 3, options, epochs=4)
        b = _run(descend.Logistic(X.toarray(), y, **penalties), method, 3, options, epochs=4)
        np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_a_strong_decay_restarts_the_running_scale_without_losing_digits():
    # lr l2 = 0.45: the running product falls below 1e-200 after ~770 steps, and the momentum
    # rule's mu^t after ~2,200 steps: both restart and stay exact.
    X, y = _text_like(n=1200, d=300)
    a = _run(descend.Logistic(X, y, l2=0.9, l1=0.001), "sgd", 1, dict(lr=0.5))
    b = _run(descend.Logistic(X.toarray(), y, l2=0.9, l1=0.001), "sgd", 1, dict(lr=0.5))
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)
    a = _run(descend.Logistic(X, y), "momentum", 1, dict(lr=0.01, momentum=0.8))
    b = _run(descend.Logistic(X.toarray(), y), "momentum", 1, dict(lr=0.01, momentum=0.8))
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_a_decay_of_one_step_or_more_falls_back_to_the_dense_update():
    # lr (l2 + weight_decay) >= 1 has no lazy form (the weights change sign each step).
    X, y = _text_like()
    a = _run(descend.LeastSquares(X, y, l2=2.0), "sgd", 1, dict(lr=0.6), epochs=1)
    b = _run(descend.LeastSquares(X.toarray(), y, l2=2.0), "sgd", 1, dict(lr=0.6), epochs=1)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method, penalties, options", [
    ("adam", dict(l2=0.01), dict(lr=0.01)),
    ("rmsprop", dict(), dict(lr=0.01)),
    ("adamw", dict(), dict(lr=0.01)),
    ("adagrad", dict(l2=0.01), dict(lr=0.1)),
    ("momentum", dict(l1=0.001), dict(lr=0.05)),
    ("nesterov", dict(l2=0.01), dict(lr=0.05)),
    ("momentum", dict(), dict(lr=0.05, momentum=0.0)),
])
def test_rules_without_a_lazy_form_take_the_dense_update(method, penalties, options):
    X, y = _text_like()
    a = _run(descend.Logistic(X, y, **penalties), method, 2, options)
    b = _run(descend.Logistic(X.toarray(), y, **penalties), method, 2, options)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_constraints_and_per_coordinate_rates_take_the_dense_update():
    X, y = _text_like()
    box = descend.constraints.Box(-0.05, 0.05)
    for extra in (dict(constraint=box), dict(lr=np.full(X.shape[1], 0.2))):
        options = dict(dict(lr=0.2), **extra)
        a = _run(descend.LeastSquares(X, y, l2=0.01), "sgd", 1, options)
        b = _run(descend.LeastSquares(X.toarray(), y, l2=0.01), "sgd", 1, options)
        np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_float32_rows_agree_to_float32_rounding():
    X, y = _text_like(dtype=np.float32)
    a = _run(descend.Logistic(X, y, l2=0.01, l1=0.001), "sgd", 1, dict(lr=0.3))
    b = _run(descend.Logistic(X.toarray(), y, l2=0.01, l1=0.001), "sgd", 1, dict(lr=0.3))
    np.testing.assert_allclose(a.x, b.x, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind, penalties, options", [
    ("gd", dict(l2=0.05, l1=0.002), dict(lr=0.3, weight_decay=0.01)),
    ("gd", dict(l2=0.05, l1=0.002), dict(lr=0.3, lr_decay=0.05)),
    ("adagrad", dict(l1=0.002), dict(lr=0.3, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("momentum", dict(), dict(lr=0.05, momentum=0.9)),
    ("nesterov", dict(), dict(lr=0.05, momentum=0.8)),
])
def test_the_lazy_twin_matches_the_dense_twin_and_the_core(kind, penalties, options):
    X, y = _text_like(n=60, d=80)
    twin = reference.LeastSquares(X.toarray(), y, fit_intercept=True, **penalties)
    defaults = descend.optimizers.RULE_DEFAULTS["gd" if kind == "gd" else kind]
    params = {k: v for k, v in dict(defaults, **options).items()
              if k in ("lr", "momentum", "weight_decay", "lr_decay", "eps",
                       "initial_accumulator_value")}
    orders = [descend.permutation(60, 4, e) for e in range(2)]
    lazy = reference.run_minibatch_lazy(twin, X, np.zeros(81), reference.Rule(kind, **params),
                                        1, 2, orders)
    dense, _ = reference.run_minibatch(twin, np.zeros(81), reference.Rule(kind, **params), 1, 2,
                                       orders)
    np.testing.assert_allclose(lazy, dense, rtol=1e-10, atol=1e-12)
    method = "sgd" if kind == "gd" else kind
    core = _run(descend.LeastSquares(X, y, fit_intercept=True, **penalties), method, 1, options,
                epochs=2)
    np.testing.assert_allclose(core.x, lazy, rtol=1e-9, atol=1e-11)


def test_a_huge_parameter_vector_costs_nothing_per_step():
    # 2**24 weights (128 MB of parameters) and 400 one-entry steps: a dense update would move
    # 6.7e9 parameters; the lazy one moves the 400 stored entries and flushes once per epoch.
    d, n = 2**24, 400
    r = np.random.default_rng(0)
    X = sparse.csr_matrix((np.ones(n), (np.arange(n), r.integers(0, d, size=n))), shape=(n, d))
    y = r.integers(0, 2, size=n).astype(float)
    res = descend.minimize(descend.Logistic(X, y, l2=1e-4, l1=1e-5), np.zeros(d), method="sgd",
                           lr=0.5, batch_size=1, epochs=1)
    stored = np.unique(X.indices)
    assert np.count_nonzero(res.x) <= len(stored)
    assert np.all(res.x[np.setdiff1d(np.arange(0, d, 4099), stored)] == 0.0)


@pytest.mark.usefixtures("sparse_intercept_share_everywhere")
def test_the_optimal_schedule_is_scikit_learns():
    # learning_rate="optimal": step t uses 1 / (alpha (t0 + t - 1)), t0 = 1 / (typw alpha),
    # typw = alpha^(-1/4); the history's step is the last step's rate of each epoch.
    pytest.importorskip("sklearn")
    from descend.linear_model import SGDClassifier
    X, y = _text_like()
    alpha = 1e-3
    model = SGDClassifier(alpha=alpha, learning_rate="optimal", max_iter=2, tol=None,
                          random_state=0).fit(X, y)
    t0 = 1.0 / (alpha ** -0.25 * alpha)
    n = X.shape[0]
    assert model.eta0_ == pytest.approx(1.0 / (alpha * t0))
    assert model.t_ == 2 * n
    dense = SGDClassifier(alpha=alpha, learning_rate="optimal", max_iter=2, tol=None,
                          random_state=0).fit(X.toarray(), y)
    np.testing.assert_allclose(model.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    # The rule's lr_decay counts steps across epochs: the last rate of each epoch.
    f = descend.Logistic(X, y, l2=alpha, fit_intercept=True)
    res = descend.minimize(f, np.zeros(f.n_params), method="sgd", lr=1.0 / (alpha * t0),
                           lr_decay=1.0 / t0, batch_size=1, epochs=2, seed=0)
    np.testing.assert_allclose(res.history.step[1:],
                               [1.0 / (alpha * (t0 + n - 1)), 1.0 / (alpha * (t0 + 2 * n - 1))],
                               rtol=1e-12)


def test_lr_decay_is_refused_where_it_has_no_meaning():
    with pytest.raises(ValueError, match="lr_decay is for plain SGD"):
        descend.optimizers.SGD(lr=0.1, momentum=0.9, lr_decay=0.1)
    with pytest.raises(ValueError, match="lr_decay"):
        descend.optimizers.SGD(lr=0.1, lr_decay=-1.0)
