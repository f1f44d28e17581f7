"""Lazy mini-batch steps of an objective with several outputs (Softmax on CSR rows).

A row storing column j moves the K weights of column j (one per class) and the K intercepts;
the reference for every check is the same run on ``X.toarray()``, which takes the dense
update, and the numpy twins (the dense loop and the lazy twin).
"""

import numpy as np
import pytest

import descend
from descend import _core, reference

sparse = pytest.importorskip("scipy.sparse")


def _text_like(n=120, d=300, per_row=6, classes=3, seed=0, dtype=np.float64):
    """Rows storing a few of many columns (frequent columns more often), K-class labels."""
    r = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, d + 1) ** 1.1
    weights /= weights.sum()
    rows = np.repeat(np.arange(n), per_row)
    cols = np.concatenate([r.choice(d, size=per_row, p=weights) for _ in range(n)])
    X = sparse.csr_matrix((r.uniform(0.2, 2.0, size=len(rows)), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    X = X.astype(dtype)
    y = np.argmax(X @ r.normal(size=(d, classes)) + 0.3 * r.normal(size=(n, classes)), axis=1)
    return X, y


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
IDS = [f"{m}-{'-'.join(sorted(p)) or 'plain'}-{i}" for i, (m, p, _) in enumerate(LAZY_CASES)]


def _run(f, method, batch, options, epochs=3, **extra):
    return descend.minimize(f, np.zeros(f.n_params), method=method, batch_size=batch,
                            epochs=epochs, seed=4, **options, **extra)


@pytest.mark.parametrize("method, penalties, options", LAZY_CASES, ids=IDS)
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["b", "no_b"])
def test_softmax_lazy_steps_give_the_dense_iterates(method, penalties, options, batch,
                                                    fit_intercept):
    X, y = _text_like()
    sw = np.random.default_rng(1).uniform(0.0, 2.0, size=X.shape[0])
    sw[:5] = 0.0  # zero-weight rows (and, at batch 1, batches of zero weight)
    common = dict(fit_intercept=fit_intercept, sample_weight=sw, **penalties)
    before = _core._lazy_parameters_moved()
    lazy = _run(descend.Softmax(X, y, **common), method, batch, options)
    assert _core._lazy_parameters_moved() > before  # the lazy steps ran
    dense = _run(descend.Softmax(X.toarray(), y, **common), method, batch, options)
    np.testing.assert_allclose(lazy.x, dense.x, rtol=1e-10, atol=1e-12)
    assert lazy.status == dense.status and lazy.nit == dense.nit


@pytest.mark.parametrize("method, penalties, options",
                         [LAZY_CASES[3], LAZY_CASES[7], LAZY_CASES[9]], ids=["sgd", "ada", "nag"])
@pytest.mark.parametrize("batch, shuffle, drop_last",
                         [(1, False, False), (4, True, True), (120, True, False)])
def test_read_ahead_and_batch_shapes_change_nothing(method, penalties, options, batch, shuffle,
                                                    drop_last):
    X, y = _text_like(classes=4)
    extra = dict(shuffle=shuffle, drop_last=drop_last)
    a = _run(descend.Softmax(X, y, fit_intercept=True, **penalties), method, batch, options,
             **extra)
    b = _run(descend.Softmax(X.toarray(), y, fit_intercept=True, **penalties), method, batch,
             options, **extra)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_rows_repeating_a_column_step_as_their_dense_copy():
    X, y = _text_like(n=60)
    parts = np.repeat(X.data, 2) * np.tile([0.25, 0.75], X.nnz)
    doubled = sparse.csr_matrix((parts, np.repeat(X.indices, 2), 2 * X.indptr), shape=X.shape)
    assert not doubled.has_canonical_format
    for method, penalties, options in [LAZY_CASES[3], LAZY_CASES[7], LAZY_CASES[8]]:
        a = _run(descend.Softmax(doubled, y, fit_intercept=True, **penalties), method, 1, options)
        b = _run(descend.Softmax(X.toarray(), y, fit_intercept=True, **penalties), method, 1,
                 options)
        np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_epoch_losses_schedules_and_restarts_stay_exact():
    X, y = _text_like(n=400, d=200)
    # Full epoch losses along the path.
    f, g = descend.Softmax(X, y, l2=0.01, l1=0.001), descend.Softmax(X.toarray(), y, l2=0.01,
                                                                    l1=0.001)
    a = _run(f, "sgd", 1, dict(lr=0.3), epoch_loss="full", keep_path=True)
    b = _run(g, "sgd", 1, dict(lr=0.3), epoch_loss="full", keep_path=True)
    np.testing.assert_allclose(a.history.loss, b.history.loss, rtol=1e-10)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-10, atol=1e-12)
    # A schedule between epochs; a decay strong enough to restart the running scale
    # (lr l2 = 0.45: the product falls below 1e-200 after ~770 steps).
    # (Nesterov at lr 0.5 drives these separable classes' weights to 40, where the two
    # paths' rounding differences (the dense gradient is centred over the classes and summed
    # in another order) grow to 2e-4: lr 0.1 here.)
    step = descend.schedules.step(step_size=1, gamma=0.5)
    for method, penalties, opts in [("nesterov", {}, dict(lr=0.1, schedule=step)),
                                    ("adagrad", dict(l1=0.001), dict(lr=0.5, schedule=step)),
                                    ("sgd", dict(l2=0.9, l1=0.001), dict(lr=0.5))]:
        a = _run(descend.Softmax(X, y, fit_intercept=True, **penalties), method, 1, opts)
        b = _run(descend.Softmax(X.toarray(), y, fit_intercept=True, **penalties), method, 1,
                 opts)
        np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method, penalties, options", [
    ("adam", dict(l2=0.01), dict(lr=0.01)),
    ("rmsprop", dict(), dict(lr=0.01)),
    ("momentum", dict(l1=0.001), dict(lr=0.05)),
    ("adagrad", dict(l2=0.01), dict(lr=0.1)),
])
def test_rules_without_a_lazy_form_take_the_dense_update(method, penalties, options):
    X, y = _text_like()
    before = _core._lazy_parameters_moved()
    a = _run(descend.Softmax(X, y, fit_intercept=True, **penalties), method, 2, options)
    assert _core._lazy_parameters_moved() == before  # no lazy step
    b = _run(descend.Softmax(X.toarray(), y, fit_intercept=True, **penalties), method, 2,
             options)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-10, atol=1e-12)


def test_float32_rows_agree_to_float32_rounding():
    X, y = _text_like(dtype=np.float32)
    a = _run(descend.Softmax(X, y, l2=0.01, l1=0.001), "sgd", 1, dict(lr=0.3))
    b = _run(descend.Softmax(X.toarray(), y, l2=0.01, l1=0.001), "sgd", 1, dict(lr=0.3))
    np.testing.assert_allclose(a.x, b.x, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind, penalties, options", [
    ("gd", dict(l2=0.05, l1=0.002), dict(lr=0.3, weight_decay=0.01)),
    ("gd", dict(l2=0.05, l1=0.002), dict(lr=0.3, lr_decay=0.05)),
    ("adagrad", dict(l1=0.002), dict(lr=0.3, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("momentum", dict(), dict(lr=0.05, momentum=0.9)),
    ("nesterov", dict(), dict(lr=0.05, momentum=0.8)),
])
@pytest.mark.parametrize("batch", [1, 3])
def test_the_softmax_lazy_twin_matches_the_dense_twin_and_the_core(kind, penalties, options,
                                                                   batch):
    X, y = _text_like(n=45, d=40)
    twin = reference.Softmax(X.toarray(), y, fit_intercept=True, **penalties)
    defaults = descend.optimizers.RULE_DEFAULTS["gd" if kind == "gd" else kind]
    params = {k: v for k, v in dict(defaults, **options).items()
              if k in ("lr", "momentum", "weight_decay", "lr_decay", "eps",
                       "initial_accumulator_value")}
    orders = [descend.permutation(45, 4, e) for e in range(2)]
    x0 = np.zeros(twin.n_params)
    lazy = reference.run_minibatch_lazy(twin, X, x0, reference.Rule(kind, **params), batch, 2,
                                        orders)
    dense, _ = reference.run_minibatch(twin, x0, reference.Rule(kind, **params), batch, 2,
                                       orders)
    np.testing.assert_allclose(lazy, dense, rtol=1e-10, atol=1e-12)
    method = "sgd" if kind == "gd" else kind
    core = _run(descend.Softmax(X, y, fit_intercept=True, **penalties), method, batch, options,
                epochs=2)
    np.testing.assert_allclose(core.x, lazy, rtol=1e-9, atol=1e-11)


def _moved(d, rows, cols, classes, method, **penalties):
    """The parameters the lazy steps update in one epoch of batch-1 steps on these rows."""
    n = rows.max() + 1
    X = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, d))
    y = np.arange(n) % classes
    f = descend.Softmax(X, y, fit_intercept=True, **penalties)
    before = _core._lazy_parameters_moved()
    res = descend.minimize(f, np.zeros(f.n_params), method=method, lr=0.1, batch_size=1,
                           epochs=1)
    assert np.all(np.isfinite(res.x))
    return _core._lazy_parameters_moved() - before


@pytest.mark.parametrize("method, penalties, per_entry", [
    ("sgd", dict(l2=1e-4), 1), ("sgd", dict(l2=1e-4, l1=1e-5), 2), ("adagrad", {}, 1),
    ("momentum", {}, 2), ("nesterov", {}, 2),
])
def test_a_step_moves_the_rows_columns_and_intercepts_whatever_p(method, penalties, per_entry):
    # 300 rows of 5 distinct columns each, K = 4: a step updates (and, where the rule owes
    # missed steps, first catches up) the 4 weights of each stored column, then the 4
    # intercepts; nothing of the other p - 5 columns, at p = 2**10 as at 2**20 (4 million
    # parameters: a dense step would move all of them).
    n, per_row, K = 300, 5, 4
    r = np.random.default_rng(0)
    rows = np.repeat(np.arange(n), per_row)
    cols = np.concatenate([r.choice(2**10, size=per_row, replace=False) for _ in range(n)])
    expected = n * (per_entry * per_row * K + K)
    small = _moved(2**10, rows, cols, K, method, **penalties)
    large = _moved(2**20, rows, cols * 1021 % 2**20, K, method, **penalties)
    assert small == large == expected
