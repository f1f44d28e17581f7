"""The estimators on scipy.sparse X: the same models as on ``X.toarray()``, every method, every
format, partial_fit on sparse batches, float32, pickling, and the refusal of sparse y and
sample_weight. (scikit-learn's own sparse-input checks run in test_linear_model.py, through
check_estimator, since the estimators' tags say they accept sparse input.)"""

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
sp = pytest.importorskip("scipy.sparse")

from descend import linear_model as dl  # noqa: E402
from descend.objectives import LeastSquares, Logistic  # noqa: E402
from descend.linear_model._sgd import _max_row_norm2  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402


def _data(n=120, p=15, density=0.3, seed=0, classes=None):
    """A sparse X (CSR, about `density` of it stored) and targets from a linear model."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=seed,
                  data_rvs=rng.standard_normal)
    w = rng.normal(size=p)
    score = X @ w + 0.3
    if classes is None:
        return X, score + 0.1 * rng.normal(size=n)
    if classes == 2:
        return X, (score + 0.5 * rng.normal(size=n) > 0).astype(int)
    scores = X @ rng.normal(size=(p, classes)) + 0.5 * rng.normal(size=(n, classes))
    return X, scores.argmax(axis=1)


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def _close(sparse_model, dense_model, rtol):
    assert _rel(sparse_model.coef_, dense_model.coef_) <= rtol
    assert _rel(sparse_model.intercept_, dense_model.intercept_) <= rtol


DETERMINISTIC = [
    (lambda: dl.LinearRegression(), None),
    (lambda: dl.LinearRegression(fit_intercept=False), None),
    (lambda: dl.LinearRegression(solver="lbfgs"), None),
    (lambda: dl.Ridge(alpha=0.5), None),
    (lambda: dl.Ridge(alpha=0.5, solver="newton-cg"), None),
    (lambda: dl.LogisticRegression(C=2.0), 2),
    (lambda: dl.LogisticRegression(C=2.0, solver="lbfgs", tol=1e-10), 2),
    (lambda: dl.LogisticRegression(C=0.5), 3),
]


@pytest.mark.parametrize("make, classes", DETERMINISTIC)
def test_deterministic_solvers_fit_the_dense_model(make, classes):
    X, y = _data(classes=classes)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    for weights in (None, sw):
        on_sparse = make().fit(X, y, sample_weight=weights)
        on_dense = make().fit(X.toarray(), y, sample_weight=weights)
        assert on_sparse.solver_ == on_dense.solver_
        _close(on_sparse, on_dense, 1e-8)
        Xt = X[:30]
        np.testing.assert_allclose(on_sparse.predict(Xt) if classes is None else
                                   on_sparse.decision_function(Xt),
                                   on_dense.predict(Xt.toarray()) if classes is None else
                                   on_dense.decision_function(Xt.toarray()),
                                   rtol=1e-7, atol=1e-9)
        assert on_sparse.score(X, y) == pytest.approx(on_dense.score(X.toarray(), y), abs=1e-8)


def test_underdetermined_least_squares_gives_the_minimum_norm_solution_on_sparse_x():
    """More features than rows: dense X gets the SVD's minimum-norm solution, sparse X LSQR's,
    without densifying X; the two agree, with and without intercept and weights."""
    X, y = _data(n=30, p=80, density=0.2)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    sw[:3] = 0.0  # rows with zero weight take no part
    for fit_intercept in (True, False):
        for weights in (None, sw):
            on_sparse = dl.LinearRegression(fit_intercept=fit_intercept).fit(
                X, y, sample_weight=weights)
            on_dense = dl.LinearRegression(fit_intercept=fit_intercept).fit(
                X.toarray(), y, sample_weight=weights)
            assert on_sparse.solver_ == "lsqr" and on_dense.solver_ == "min-norm"
            _close(on_sparse, on_dense, 1e-8)
            # An interpolating solution (rank 30 <= 80 features).
            keep = slice(None) if weights is None else weights > 0
            np.testing.assert_allclose(on_sparse.predict(X)[keep], y[keep], atol=1e-7)


def test_lsqr_warns_when_max_iter_is_too_small():
    X, y = _data(n=30, p=80, density=0.2)
    from sklearn.exceptions import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="LSQR"):
        dl.LinearRegression(max_iter=2).fit(X, y)


@pytest.mark.usefixtures("sparse_intercept_share_everywhere")
@pytest.mark.parametrize("solver", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("classes", [None, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 8])
def test_sgd_takes_the_same_steps_on_sparse_and_dense_x(solver, classes, batch_size):
    X, y = _data(classes=classes)
    make = dl.SGDRegressor if classes is None else dl.SGDClassifier
    # eta0="auto" is plain SGD's stable rate; momentum 0.9 takes about ten times its steps.
    eta0 = {"sgd": "auto", "momentum": 0.002, "adam": 0.01}[solver]
    options = dict(solver=solver, batch_size=batch_size, max_iter=4, tol=None, random_state=3,
                   alpha=1e-3, learning_rate="constant", eta0=eta0)
    if classes is not None:
        options["loss"] = "log_loss"  # with its predict_proba
    on_sparse = make(**options).fit(X, y)
    on_dense = make(**options).fit(X.toarray(), y)
    assert on_sparse.eta0_ == pytest.approx(on_dense.eta0_, rel=1e-14)
    _close(on_sparse, on_dense, 1e-10)
    if classes is not None:
        np.testing.assert_allclose(on_sparse.predict_proba(X), on_dense.predict_proba(X.toarray()),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(on_sparse.predict(X), on_dense.predict(X.toarray()))


@pytest.mark.usefixtures("sparse_intercept_share_everywhere")
def test_sgd_with_l1_on_sparse_x():
    X, y = _data(classes=2)
    options = dict(penalty="l1", alpha=1e-2, max_iter=5, tol=None, random_state=0)
    on_sparse = dl.SGDClassifier(**options).fit(X, y)
    on_dense = dl.SGDClassifier(**options).fit(X.toarray(), y)
    _close(on_sparse, on_dense, 1e-10)


@pytest.mark.usefixtures("sparse_intercept_share_everywhere")
@pytest.mark.parametrize("classes", [None, 2, 3])
def test_partial_fit_on_sparse_batches_follows_the_dense_batches(classes):
    X, y = _data(n=200, classes=classes)
    make = dl.SGDRegressor if classes is None else dl.SGDClassifier
    extra = {} if classes is None else {"classes": np.unique(y)}
    on_sparse, on_dense = make(random_state=0), make(random_state=0)
    for start in range(0, 200, 50):
        batch = slice(start, start + 50)
        on_sparse.partial_fit(X[batch], y[batch], **extra)
        on_dense.partial_fit(X[batch].toarray(), y[batch], **extra)
        assert on_sparse.eta0_ == pytest.approx(on_dense.eta0_, rel=1e-14)
    _close(on_sparse, on_dense, 1e-10)
    assert on_sparse.n_iter_ == 4
    # A sparse batch and a dense one can follow each other.
    on_sparse.partial_fit(X[:50].toarray(), y[:50], **extra)
    on_dense.partial_fit(X[:50], y[:50], **extra)
    _close(on_sparse, on_dense, 1e-10)


ALL = [
    (lambda: dl.LinearRegression(), None),
    (lambda: dl.Ridge(alpha=0.5), None),
    (lambda: dl.LogisticRegression(), 3),
    (lambda: dl.SGDRegressor(random_state=0, max_iter=5, tol=None), None),
    (lambda: dl.SGDClassifier(random_state=0, max_iter=5, tol=None), 2),
    (lambda: dl.SGDClassifier(loss="modified_huber", random_state=0, max_iter=5, tol=None), 3),
]


@pytest.mark.parametrize("make, classes", ALL)
@pytest.mark.parametrize("fmt", ["csc", "coo", "lil", "dok", "csr_array", "csc_array",
                                 "int64_indices", "non_canonical"])
def test_every_sparse_format_gives_the_csr_model(make, classes, fmt):
    X, y = _data(classes=classes)
    if fmt.endswith("_array"):
        other = sp.csr_array(X).asformat(fmt.split("_")[0])
    elif fmt == "int64_indices":
        other = X.copy()
        other.indices, other.indptr = other.indices.astype(np.int64), other.indptr.astype(np.int64)
    elif fmt == "non_canonical":
        # Each entry split in two halves, stored in reversed column order: the same matrix.
        coo = X.tocoo()
        rows = np.r_[coo.row, coo.row]
        cols = np.r_[coo.col, coo.col]
        vals = np.r_[0.5 * coo.data, 0.5 * coo.data]
        order = np.lexsort((-cols, rows))
        indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=X.shape[0]))]
        other = sp.csr_matrix((vals[order], cols[order], indptr), shape=X.shape)
        assert not other.has_canonical_format
    else:
        other = X.asformat(fmt)
    reference = make().fit(X, y)
    model = make().fit(other, y)
    # Other formats become the same CSR; the non-canonical one sums its entries in another
    # order, which moves a converged solution within the solver's tolerance.
    rtol = 1e-7 if fmt == "non_canonical" else 1e-12
    _close(model, reference, rtol)
    predict = model.predict if classes is None else model.decision_function
    np.testing.assert_allclose(predict(other), predict(X), rtol=rtol, atol=1e-14)
    if hasattr(model, "predict_proba"):
        assert model.predict_proba(other).shape == (X.shape[0], classes)


#: For float32, the multinomial model by newton-cg: "auto" (newton) and lbfgs stall or
#: diverge on this float32 Softmax problem, on dense X as on sparse X (see the xfail below).
FLOAT32 = [(make, classes) if classes != 3 else
           (lambda: dl.LogisticRegression(solver="newton-cg"), 3) for make, classes in ALL]


@pytest.mark.usefixtures("sparse_intercept_share_everywhere")
@pytest.mark.parametrize("make, classes", FLOAT32)
def test_float32_sparse_x_is_used_as_float32(make, classes):
    X, y = _data(classes=classes)
    X32 = X.astype(np.float32)
    model = make().fit(X32, y)
    dense = make().fit(X32.toarray(), y)
    # The same float32 arithmetic on both; the solvers' float32 tolerance bounds the rest.
    _close(model, dense, 1e-4)
    assert model.predict(X32).shape == (X.shape[0],)
    assert model.score(X32, y) == pytest.approx(dense.score(X32.toarray(), y), abs=1e-4)


# newton and lbfgs used to stall or diverge here: the gradient's rounding along the shift
# common to all classes (zero curvature) walked the intercepts to 1e6, where float32 scores lose
# every digit. Softmax now centres its data gradient over the classes (exact: it sums to zero).
# (lbfgs then met the float32 loss's rounding before a tol of 10 epsilons; float32 fits now
# stop at 100, which both the SSE2 and the AVX2 core reach.)
@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("solver", ["auto", "lbfgs"])
def test_float32_multinomial_newton_and_lbfgs(solver, dense):
    X, y = _data(classes=3)
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dl.LogisticRegression(solver=solver).fit(X32.toarray() if dense else X32, y)


@pytest.mark.parametrize("make, classes", ALL)
def test_a_model_fitted_on_sparse_x_pickles(make, classes):
    X, y = _data(classes=classes)
    model = make().fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    if isinstance(model, (dl.SGDRegressor, dl.SGDClassifier)):
        extra = {} if classes is None else {"classes": np.unique(y)}
        np.testing.assert_array_equal(again.partial_fit(X, y, **extra).coef_,
                                      model.partial_fit(X, y, **extra).coef_)


@pytest.mark.parametrize("make, classes", ALL)
def test_sparse_y_and_sample_weight_are_refused(make, classes):
    X, y = _data(classes=classes)
    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        make().fit(X, sp.csr_matrix(np.asarray(y, dtype=float)[:, None]))
    with pytest.raises(TypeError, match="Sparse data was passed for sample_weight"):
        make().fit(X, y, sample_weight=sp.csr_matrix(np.ones((1, len(y)))))


@pytest.mark.parametrize("make, classes", ALL)
def test_tags_say_sparse_input_is_accepted(make, classes):
    assert get_tags(make()).input_tags.sparse is True


@pytest.mark.parametrize("make, classes", ALL)
def test_fit_never_densifies_x(make, classes, monkeypatch):
    """No fit or predict path calls toarray/todense on X (a densified X would be an n x p
    array: on text-like data, far larger than X)."""
    X, y = _data(classes=classes)

    def refuse(*args, **kwargs):
        raise AssertionError("X was densified")

    for cls in (sp.csr_matrix, sp.csr_array):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
        monkeypatch.setattr(cls, "__array__", refuse, raising=False)
    for Xf in (X, sp.csr_array(X)):
        model = make().fit(Xf, y)
        model.predict(Xf)
        model.score(Xf, y)
        if hasattr(model, "predict_proba"):
            model.predict_proba(Xf)
        if hasattr(model, "partial_fit"):
            extra = {} if classes is None else {"classes": np.unique(y)}
            model.partial_fit(Xf, y, **extra)


def test_underdetermined_lsqr_never_densifies_x(monkeypatch):
    X, y = _data(n=30, p=80, density=0.2)

    def refuse(*args, **kwargs):
        raise AssertionError("X was densified")

    monkeypatch.setattr(sp.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sp.csr_matrix, "todense", refuse)
    assert dl.LinearRegression().fit(X, y).solver_ == "lsqr"


def test_max_row_norm_of_sparse_x():
    X, _ = _data()
    X = X.tolil()
    X[5, :] = 0  # an empty row, also the first and the last
    X[0, :] = 0
    X[X.shape[0] - 1, :] = 0
    X = X.tocsr()
    X.eliminate_zeros()
    dense = X.toarray()
    assert _max_row_norm2(X) == pytest.approx((dense * dense).sum(axis=1).max(), rel=1e-14)
    for block in (1, 2, 3, 7):  # blocks of rows, some of them empty, give the same maximum
        assert _max_row_norm2(X, block=block) == _max_row_norm2(X)
    assert _max_row_norm2(sp.csr_matrix(X.shape)) == 0.0
    # Duplicates stand for their sum: ||(1 + 2)||^2 = 9, not 1 + 4.
    dup = sp.csr_matrix((np.array([1.0, 2.0]), np.array([0, 0]), np.array([0, 2])), shape=(1, 3))
    assert _max_row_norm2(dup) == 9.0


def test_a_wide_sparse_problem_fits_without_a_dense_hessian():
    """p = 50,000 features: "auto" picks Newton-CG on sparse X (a dense Hessian would be
    20 GB; on dense X it picks L-BFGS); the fit and predictions never form a p x p or n x p
    matrix, and reach the objective value of L-BFGS."""
    rng = np.random.default_rng(0)
    n, p = 400, 50_000
    X = sp.random(n, p, density=20 / p, format="csr", random_state=0)
    y = (X @ rng.normal(size=p) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = dl.LogisticRegression(C=10.0).fit(X, y)
    assert model.solver_ == "newton-cg" and model.coef_.shape == (1, p)
    assert model.score(X, y) > 0.9
    f = Logistic(X, y, l2=1 / (10.0 * n), fit_intercept=True)
    other = dl.LogisticRegression(C=10.0, solver="lbfgs").fit(X, y)
    assert f.value(_flat(model)) <= f.value(_flat(other)) + 1e-9
    ridge = dl.Ridge(alpha=1.0).fit(X, y.astype(float))
    assert ridge.solver_ == "newton-cg"
    g = LeastSquares(X, y.astype(float), l2=1.0 / n, fit_intercept=True)
    other = dl.Ridge(alpha=1.0, solver="lbfgs").fit(X, y.astype(float))
    assert g.value(_flat(ridge)) <= g.value(_flat(other)) + 1e-9
    # Dense X keeps L-BFGS beyond the threshold.
    Xd = X[:, :1500].toarray()
    assert dl.LogisticRegression().fit(Xd, y).solver_ == "lbfgs"


def _flat(model):
    coef = np.atleast_2d(model.coef_)
    return np.hstack([coef, np.reshape(model.intercept_, (len(coef), 1))]).ravel()
