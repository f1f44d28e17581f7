"""The estimators of descend.linear_model on dask arrays: fit on Dask, lazy predictions."""

import numpy as np
import pytest
from conftest import make_classification, make_regression

pytest.importorskip("sklearn")
da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from descend import linear_model as lm  # noqa: E402


def _regression(n=301, d=5):
    X, y, _ = make_regression(n=n, d=d, seed=4)
    return X, 10.0 * y + 3.0


def _chunked(X, *vectors, rows=(100, 17, 184)):
    out = [da.from_array(X, chunks=(rows, X.shape[1]))]
    out += [da.from_array(v, chunks=(rows,)) for v in vectors]
    return out


@pytest.mark.parametrize("make", [lambda: lm.LinearRegression(), lambda: lm.Ridge(alpha=3.0)],
                         ids=["LinearRegression", "Ridge"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_least_squares_estimators_fit_on_dask_as_in_memory(make, weighted):
    X, y = _regression()
    sw = np.random.default_rng(0).uniform(0.5, 3.0, size=len(y)) if weighted else None
    mem = make().fit(X, y, sample_weight=sw)
    dX, dy = _chunked(X, y)
    model = make().fit(dX, dy, sample_weight=None if sw is None else da.from_array(sw, 50))
    assert isinstance(model.coef_, np.ndarray) and model.n_features_in_ == 5
    np.testing.assert_allclose(model.coef_, mem.coef_, rtol=1e-10)
    np.testing.assert_allclose(model.intercept_, mem.intercept_, rtol=1e-10)
    assert model.solver_ == mem.solver_ == "newton"
    prediction = model.predict(dX)
    assert isinstance(prediction, da.Array)
    np.testing.assert_allclose(prediction.compute(), mem.predict(X), rtol=1e-10)
    score = model.score(dX, dy)
    assert isinstance(score, da.Array)
    np.testing.assert_allclose(score.compute(), mem.score(X, y), rtol=1e-10)
    np.testing.assert_allclose(model.score(dX, dy, sample_weight=np.arange(301.0)).compute(),
                               mem.score(X, y, sample_weight=np.arange(301.0)), rtol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("solver", ["auto", "lbfgs"])
def test_logistic_regression_fits_on_dask_as_in_memory(n_classes, solver):
    X, y, _ = make_classification(n=301, d=5, seed=5)
    if n_classes == 4:
        y = np.digitize(X[:, 0] - X[:, 1], [-0.8, 0.0, 0.8])
    labels = np.array(["a", "b", "c", "d"])[y]  # any labels, as in scikit-learn
    sw = np.random.default_rng(1).uniform(0.5, 3.0, size=len(y))
    mem = lm.LogisticRegression(C=2.0, solver=solver).fit(X, labels, sample_weight=sw)
    dX, dsw = _chunked(X, sw)
    model = lm.LogisticRegression(C=2.0, solver=solver).fit(dX, labels, sample_weight=dsw)
    np.testing.assert_array_equal(model.classes_, mem.classes_)
    rtol = 1e-9 if solver == "auto" else 1e-6  # L-BFGS stops at its gtol, as in memory
    np.testing.assert_allclose(model.coef_, mem.coef_, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(model.intercept_, mem.intercept_, rtol=rtol, atol=rtol)
    assert model.coef_.shape == mem.coef_.shape and model.n_iter_.shape == (1,)
    for method in ("decision_function", "predict_proba", "predict_log_proba"):
        lazy = getattr(model, method)(dX)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(mem, method)(X), rtol=1e-5,
                                   atol=1e-7)
    lazy = model.predict(dX)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), mem.predict(X))
    score = model.score(dX, da.from_array(labels, chunks=100))
    assert isinstance(score, da.Array)
    assert float(score.compute()) == pytest.approx(mem.score(X, labels))


def test_dask_estimators_refuse_what_cannot_apply():
    X, y = _regression(n=40, d=5)
    with pytest.raises(ValueError, match="minimum-norm"):
        lm.LinearRegression().fit(*_chunked(X[:4], y[:4], rows=(2, 2)))
    with pytest.raises(ValueError, match="mini-batch solvers"):
        lm.Ridge(solver="sgd").fit(*_chunked(X, y, rows=(20, 20)))
    with pytest.raises(ValueError, match="one entry per row"):
        lm.Ridge().fit(da.from_array(X, chunks=20), y[:-1])
    with pytest.raises(ValueError, match="Negative"):
        lm.Ridge().fit(da.from_array(X, chunks=20), y, sample_weight=-np.ones(40))
    model = lm.Ridge().fit(*_chunked(X, y, rows=(20, 20)))
    with pytest.raises(ValueError, match="expecting 5 features"):
        model.predict(da.ones((3, 4), chunks=3))
    with pytest.raises(ValueError, match="only one class"):
        lm.LogisticRegression().fit(da.from_array(X, chunks=20), np.zeros(40))


@pytest.mark.parametrize("make", [lm.SGDRegressor, lm.SGDClassifier])
def test_sgd_estimators_fitted_in_memory_predict_lazily_on_dask(make):
    # (Their fits on dask arrays: tests/test_dask_sgd.py.)
    X, y, _ = make_classification(n=40, d=3, seed=1)
    model = make(random_state=0, max_iter=5, tol=None).fit(X, y)  # in memory
    dX = da.from_array(X, chunks=20)
    lazy = model.predict(dX)
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), model.predict(X), rtol=1e-12)
    score = model.score(dX, y)
    assert isinstance(score, da.Array)
    assert float(score.compute()) == pytest.approx(model.score(X, y), rel=1e-12)
