"""minimize(method="lazy_adam"): Adam's lazy variant on sparse rows (as torch.optim.SparseAdam).

A different algorithm from Adam, asked for by name only: each step moves the moments and the
weights of the columns its batch stores (and the intercepts), nothing else. Checked against
its numpy twin (descend.reference.run_lazy_adam); plain "adam" on the same rows is unchanged
(the dense update, Adam's iterates).
"""

import numpy as np
import pytest

import descend
from descend import _core, reference

sparse = pytest.importorskip("scipy.sparse")


def _rows(n=80, d=120, per_row=5, seed=0):
    r = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    cols = np.concatenate([r.choice(d, size=per_row, replace=False) for _ in range(n)])
    X = sparse.csr_matrix((r.uniform(0.2, 2.0, size=len(rows)), (rows, cols)), shape=(n, d))
    z = X @ r.normal(size=d)
    return X, z, r


def _objectives(kind, X, z, r, **common):
    """(the core's objective on X, its numpy twin on X.toarray())."""
    if kind == "ls":
        y = z + 0.1 * r.normal(size=len(z))
        return descend.LeastSquares(X, y, **common), reference.LeastSquares(X.toarray(), y,
                                                                           **common)
    if kind == "logistic":
        y = (z > np.median(z)).astype(float)
        return descend.Logistic(X, y, **common), reference.Logistic(X.toarray(), y, **common)
    y = np.digitize(z, np.quantile(z, [1 / 3, 2 / 3]))
    return descend.Softmax(X, y, **common), reference.Softmax(X.toarray(), y, **common)


@pytest.mark.parametrize("kind", ["ls", "logistic", "softmax"])
@pytest.mark.parametrize("batch", [1, 6])
@pytest.mark.parametrize("penalties, options", [
    (dict(), dict(lr=0.05)),
    (dict(l2=0.01), dict(lr=0.05, weight_decay=0.02, betas=(0.8, 0.99), eps=1e-6)),
], ids=["plain", "l2-wd"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["b", "no_b"])
def test_lazy_adam_matches_its_twin(kind, batch, penalties, options, fit_intercept):
    X, z, r = _rows()
    f, twin = _objectives(kind, X, z, r, fit_intercept=fit_intercept, **penalties)
    res = descend.minimize(f, np.zeros(f.n_params), method="lazy_adam", batch_size=batch,
                           epochs=2, seed=3, **options)
    params = dict(descend.optimizers.RULE_DEFAULTS["adam"], **options)
    rule = reference.Rule("adam", params["lr"], weight_decay=params["weight_decay"],
                          betas=params["betas"], eps=params["eps"])
    orders = [descend.permutation(X.shape[0], 3, e) for e in range(2)]
    x = reference.run_lazy_adam(twin, X, np.zeros(f.n_params), rule, batch, 2, orders)
    np.testing.assert_allclose(res.x, x, rtol=1e-9, atol=1e-11)


def test_plain_adam_on_sparse_rows_is_unchanged_and_differs_from_the_lazy_variant():
    X, z, r = _rows()
    y = (z > np.median(z)).astype(float)
    run = dict(batch_size=4, epochs=2, lr=0.05, seed=1)
    before = _core._lazy_parameters_moved()
    adam = descend.minimize(descend.Logistic(X, y), np.zeros(120), method="adam", **run)
    assert _core._lazy_parameters_moved() == before  # the dense update
    dense = descend.minimize(descend.Logistic(X.toarray(), y), np.zeros(120), method="adam",
                             **run)
    np.testing.assert_allclose(adam.x, dense.x, rtol=1e-10, atol=1e-12)
    lazy = descend.minimize(descend.Logistic(X, y), np.zeros(120), method="lazy_adam", **run)
    assert _core._lazy_parameters_moved() > before
    assert np.max(np.abs(lazy.x - adam.x)) > 1e-3  # a different algorithm


def test_a_lazy_adam_step_moves_the_stored_columns_whatever_p():
    n, per_row, K = 200, 5, 3
    r = np.random.default_rng(0)
    rows = np.repeat(np.arange(n), per_row)
    cols = np.concatenate([r.choice(2**10, size=per_row, replace=False) for _ in range(n)])
    moved = []
    for d, c in [(2**10, cols), (2**20, cols * 1021 % 2**20)]:
        X = sparse.csr_matrix((np.ones(len(rows)), (rows, c)), shape=(n, d))
        f = descend.Softmax(X, np.arange(n) % K, fit_intercept=True)
        before = _core._lazy_parameters_moved()
        descend.minimize(f, np.zeros(f.n_params), method="lazy_adam", batch_size=1, epochs=1)
        moved.append(_core._lazy_parameters_moved() - before)
    assert moved[0] == moved[1] == n * (per_row * K + K)


def test_lazy_adam_refuses_what_it_cannot_run():
    X, z, r = _rows()
    y = (z > np.median(z)).astype(float)
    start = np.zeros(120)
    with pytest.raises(ValueError, match="lazy_adam needs sparse rows"):
        descend.minimize(descend.Logistic(X.toarray(), y), start, method="lazy_adam")
    with pytest.raises(ValueError, match="mini-batch method on sparse rows"):
        descend.minimize(descend.Logistic(X, y), start, method="lazy_adam", batch_size=None)
    with pytest.raises(ValueError, match="no L1 penalty"):
        descend.minimize(descend.Logistic(X, y, l1=0.01), start, method="lazy_adam")
    with pytest.raises(ValueError, match="constraint"):
        descend.minimize(descend.Logistic(X, y), start, method="lazy_adam",
                         constraint=descend.constraints.Box(-1.0, 1.0))
    with pytest.raises(ValueError, match="scalar lr"):
        descend.minimize(descend.Logistic(X, y), start, method="lazy_adam",
                         lr=np.full(120, 0.01))
    with pytest.raises(ValueError, match="sum over samples"):
        descend.minimize(descend.problems.rosenbrock(), np.zeros(2), method="lazy_adam")
