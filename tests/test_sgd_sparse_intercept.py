"""On sparse X scikit-learn's SGD moves the intercept by 0.01 of each step (its
SPARSE_INTERCEPT_DECAY): descend's solver "sgd" does the same, so that a sparse fit takes
scikit-learn's steps, as a dense one does, and a user switching the import on text data gets
scikit-learn's model, not a different one."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
sparse = pytest.importorskip("scipy.sparse")

import sklearn.linear_model as sl  # noqa: E402

import descend.linear_model as dl  # noqa: E402
from descend.objectives import CLASSIFICATION_LOSSES, REGRESSION_LOSSES  # noqa: E402


def _sparse_data(n=300, d=30, seed=0):
    """A CSR matrix with about a fifth of its entries stored, a 0/1 label and a target."""
    rng = np.random.default_rng(seed)
    X = sparse.random(n, d, density=0.2, format="csr", random_state=seed,
                      data_rvs=rng.standard_normal)
    w = rng.standard_normal(d)
    t = X @ w + 0.3 + 0.2 * rng.standard_normal(n)
    return X, (t > np.median(t)).astype(int), t


def _assert_same_model(ours, theirs, rtol=1e-9, atol=1e-11):
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=rtol, atol=atol)


@pytest.mark.parametrize("loss", CLASSIFICATION_LOSSES + REGRESSION_LOSSES)
@pytest.mark.parametrize("average", [False, 7])
def test_sparse_classifier_takes_scikit_learns_steps(loss, average):
    X, y, _ = _sparse_data()
    params = dict(loss=loss, alpha=1e-3, learning_rate="constant", eta0=0.05, shuffle=False,
                  tol=None, max_iter=3, average=average, epsilon=0.3)
    _assert_same_model(dl.SGDClassifier(**params).fit(X, y),
                       sl.SGDClassifier(**params).fit(X, y))


@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
@pytest.mark.parametrize("penalty", ["l2", None])
def test_sparse_regressor_takes_scikit_learns_steps(loss, penalty):
    """(An L1 part is not compared step by step: scikit-learn's is Tsuruoka's cumulative
    penalty on the row's entries, descend's the exact proximal step, tests/test_sgd_losses.py
    compares their objectives.)"""
    X, _, t = _sparse_data(seed=1)
    params = dict(loss=loss, penalty=penalty, alpha=1e-3, learning_rate="constant",
                  eta0=0.02, shuffle=False, tol=None, max_iter=3, epsilon=0.2)
    _assert_same_model(dl.SGDRegressor(**params).fit(X, t),
                       sl.SGDRegressor(**params).fit(X, t))


def test_sparse_defaults_take_scikit_learns_steps():
    """The defaults ("optimal" for the classifier, per-step "invscaling" for the regressor),
    one versus all on three classes, and partial_fit: the same steps."""
    X, _, t = _sparse_data(n=400, seed=2)
    y3 = np.digitize(t, np.quantile(t, [1 / 3, 2 / 3]))
    common = dict(shuffle=False, tol=None, max_iter=4)
    # "optimal" starts with steps of alpha^(-1/4): the two roundings grow to about 1e-8.
    _assert_same_model(dl.SGDClassifier(**common).fit(X, y3),
                       sl.SGDClassifier(**common).fit(X, y3), rtol=1e-6, atol=1e-9)
    _assert_same_model(dl.SGDRegressor(**common).fit(X, t),
                       sl.SGDRegressor(**common).fit(X, t))
    ours, theirs = dl.SGDRegressor(shuffle=False), sl.SGDRegressor(shuffle=False)
    for _ in range(3):
        ours.partial_fit(X, t)
        theirs.partial_fit(X, t)
    _assert_same_model(ours, theirs)


def test_the_damping_is_sparse_data_and_sgd_only():
    """Dense X keeps the full intercept step (scikit-learn's too), so the dense copy of a
    sparse X gives another intercept; descend's other solvers are not scikit-learn's and keep
    it on sparse X too (their sparse and dense fits agree)."""
    X, y, _ = _sparse_data(seed=3)
    params = dict(loss="log_loss", learning_rate="constant", eta0=0.05, shuffle=False,
                  tol=None, max_iter=3)
    on_sparse = dl.SGDClassifier(**params).fit(X, y)
    on_dense = dl.SGDClassifier(**params).fit(X.toarray(), y)
    _assert_same_model(on_dense, sl.SGDClassifier(**params).fit(X.toarray(), y))
    assert abs(on_sparse.intercept_[0] - on_dense.intercept_[0]) > 1e-3
    momentum = dict(params, solver="momentum", momentum=0.5)
    _assert_same_model(dl.SGDClassifier(**momentum).fit(X, y),
                       dl.SGDClassifier(**momentum).fit(X.toarray(), y), rtol=1e-9,
                       atol=1e-11)


def test_no_intercept_no_damping():
    X, y, _ = _sparse_data(seed=4)
    params = dict(loss="hinge", fit_intercept=False, learning_rate="constant", eta0=0.05,
                  shuffle=False, tol=None, max_iter=2)
    ours = dl.SGDClassifier(**params).fit(X, y)
    _assert_same_model(ours, sl.SGDClassifier(**params).fit(X, y))
    np.testing.assert_array_equal(ours.intercept_, [0.0])


def test_the_share_and_the_outputs_are_checked():
    """The compiled options refuse a share outside (0, 1], and a Python objective a number of
    outputs that does not divide its parameters, with a clear error."""
    from descend import _core

    for bad in (0.0, -0.5, 1.5, float("nan")):
        params = _core.MinibatchParams()
        params.intercept_share = bad
        with pytest.raises(ValueError, match="intercept_share must be in"):
            params.check()
    with pytest.raises(ValueError, match="outputs must be >= 1 and divide n"):
        _core.PyObjective(lambda x: (0.0, x), True, None, None, 5, outputs=2)
    with pytest.raises(ValueError, match="outputs must be >= 1 and divide n"):
        _core.PyObjective(lambda x: (0.0, x), True, None, None, 4, outputs=0)
