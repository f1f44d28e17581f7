"""LogisticRegression with an L1 part in the penalty (l1_ratio > 0, penalty "l1" or
"elasticnet"), fitted by orthant-wise L-BFGS: scikit-learn 1.9's meaning of penalty,
l1_ratio and C, its warnings and refusals, and its solutions."""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import sklearn.linear_model as sl  # noqa: E402
from sklearn.datasets import load_iris, make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import descend  # noqa: E402
import descend.linear_model as dl  # noqa: E402


def _binary():
    # Small and well-conditioned (8 informative features, 12 of noise), standardized.
    X, y = make_classification(n_samples=400, n_features=20, n_informative=8, n_redundant=0,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective(model, X, y, C, l1_ratio, sw=None):
    """scikit-learn's objective C sum s_i loss_i + r |w|_1 + (1 - r) |w|^2 / 2."""
    sw = np.ones(len(y)) if sw is None else sw
    Z = X @ model.coef_.T + model.intercept_
    if Z.shape[1] == 1:
        s = np.where(y == model.classes_[1], 1.0, -1.0)
        losses = np.logaddexp(0.0, -s * Z[:, 0])
    else:
        Z = Z - Z.max(axis=1, keepdims=True)
        k = np.searchsorted(model.classes_, y)
        losses = np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(y)), k]
    w = model.coef_
    return (C * float(sw @ losses) + l1_ratio * np.abs(w).sum()
            + (1 - l1_ratio) / 2 * float((w * w).sum()))


def _saga(C, l1_ratio, fit_intercept=True):
    # saga to a tight tolerance: slow, but the reference that takes every penalty.
    return sl.LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-13,
                                 max_iter=100000, fit_intercept=fit_intercept)


def _centred_intercept(model):
    b = np.asarray(model.intercept_, dtype=float)
    return b - b.mean() if len(b) > 1 else b


CASES = [(_binary, 1.0, 0.05), (_binary, 0.5, 0.05), (_iris, 1.0, 0.2), (_iris, 0.5, 0.2)]


@pytest.mark.parametrize("data, l1_ratio, C", CASES)
def test_the_solution_is_saga_s(data, l1_ratio, C):
    X, y = data()
    ours = dl.LogisticRegression(l1_ratio=l1_ratio, C=C).fit(X, y)
    theirs = _saga(C, l1_ratio).fit(X, y)
    assert ours.solver_ == "lbfgs"
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    np.testing.assert_allclose(_centred_intercept(ours), _centred_intercept(theirs), atol=1e-6)
    # The same sparsity pattern, a genuinely sparse one, and no higher an objective.
    assert np.array_equal(ours.coef_ == 0, np.abs(theirs.coef_) < 1e-9)
    assert (ours.coef_ == 0).mean() > 0.2
    f_ours, f_theirs = _objective(ours, X, y, C, l1_ratio), _objective(theirs, X, y, C,
                                                                        l1_ratio)
    assert f_ours <= f_theirs + 1e-9 * abs(f_theirs)


def test_liblinear_l1_without_intercept_agrees():
    # liblinear penalises its intercept: compare without one.
    X, y = _binary()
    ours = dl.LogisticRegression(l1_ratio=1.0, C=0.05, solver="liblinear",
                                 fit_intercept=False).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # liblinear at its tightest
        theirs = sl.LogisticRegression(l1_ratio=1.0, C=0.05, solver="liblinear", tol=1e-12,
                                       max_iter=10000, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    assert np.array_equal(ours.coef_ == 0, theirs.coef_ == 0)


@pytest.mark.parametrize("data", [_binary, _iris])
def test_sample_weight_and_class_weight_mean_what_they_mean_in_sklearn(data):
    X, y = data()
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    cw = "balanced"
    ours = dl.LogisticRegression(l1_ratio=0.5, C=0.1, class_weight=cw).fit(X, y, sw)
    theirs = sl.LogisticRegression(l1_ratio=0.5, C=0.1, class_weight=cw, solver="saga",
                                   tol=1e-13, max_iter=100000).fit(X, y, sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    np.testing.assert_allclose(_centred_intercept(ours), _centred_intercept(theirs), atol=1e-6)


@pytest.mark.parametrize("solver", ["auto", "lbfgs", "saga", "liblinear"])
def test_the_solvers_that_take_l1_all_run_owlqn(solver):
    X, y = _binary()
    model = dl.LogisticRegression(l1_ratio=1.0, C=0.05, solver=solver).fit(X, y)
    assert model.solver_ == "lbfgs"
    ref = dl.LogisticRegression(l1_ratio=1.0, C=0.05).fit(X, y)
    np.testing.assert_array_equal(model.coef_, ref.coef_)


def test_the_old_penalty_names_mean_the_same():
    X, y = _binary()
    by_ratio = dl.LogisticRegression(l1_ratio=1.0, C=0.05).fit(X, y)
    by_name = dl.LogisticRegression(penalty="l1", l1_ratio=1.0, C=0.05).fit(X, y)
    np.testing.assert_array_equal(by_ratio.coef_, by_name.coef_)
    net = dl.LogisticRegression(penalty="elasticnet", l1_ratio=0.3, C=0.05).fit(X, y)
    np.testing.assert_array_equal(
        net.coef_, dl.LogisticRegression(l1_ratio=0.3, C=0.05).fit(X, y).coef_)
    # C = inf: no penalty, as penalty=None.
    free = dl.LogisticRegression(C=np.inf).fit(X[:, :5], y)
    none = dl.LogisticRegression(penalty=None).fit(X[:, :5], y)
    np.testing.assert_allclose(free.coef_, none.coef_, atol=1e-10)


@pytest.mark.parametrize("params, match", [
    ({"penalty": "l2", "l1_ratio": 0.5}, "Inconsistent values"),
    ({"penalty": "l1", "l1_ratio": 0.5, "solver": "saga"}, "Inconsistent values"),
    ({"penalty": "l2", "l1_ratio": 0.5}, "only used when penalty is 'elasticnet'"),
    ({"penalty": None, "C": 2.0}, "will ignore the C"),
])
def test_sklearns_warnings_for_inconsistent_values(params, match):
    X, y = _binary()
    for cls in (dl.LogisticRegression, sl.LogisticRegression):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            cls(**params).fit(X[:60], y[:60])
        assert any(issubclass(w.category, UserWarning) and match in str(w.message)
                   for w in seen), (cls, [str(w.message) for w in seen])


def test_l1_ratio_none_is_deprecated_as_in_sklearn():
    X, y = _binary()
    with pytest.warns(FutureWarning, match="l1_ratio=None"):
        model = dl.LogisticRegression(l1_ratio=None).fit(X[:100], y[:100])
    np.testing.assert_array_equal(model.coef_,
                                  dl.LogisticRegression().fit(X[:100], y[:100]).coef_)


def test_dask_inputs_refuse_an_l1_part_clearly():
    da = pytest.importorskip("dask.array")
    X, y = _binary()
    Xd, yd = da.from_array(X, chunks=200), da.from_array(y, chunks=200)
    with pytest.raises(ValueError, match="not supported on dask arrays"):
        dl.LogisticRegression(l1_ratio=1.0).fit(Xd, yd)
    # An L2 fit still runs there, with the default penalty="deprecated".
    model = dl.LogisticRegression(C=0.5).fit(Xd, yd)
    assert model.penalty == "deprecated"
    np.testing.assert_allclose(model.coef_, dl.LogisticRegression(C=0.5).fit(X, y).coef_,
                               atol=1e-6)


def test_tiny_and_huge_C_and_scaled_features():
    X, y = _binary()
    zero = dl.LogisticRegression(l1_ratio=1.0, C=1e-6).fit(X, y)
    assert np.array_equal(zero.coef_, np.zeros_like(zero.coef_))
    p = y.mean()
    assert zero.intercept_[0] == pytest.approx(np.log(p / (1 - p)), abs=1e-7)
    # Features at 1e-8 and 1e8: the same problem in the weights w * 1e8, w / 1e8 when C
    # compensates the penalty's scale... which one C cannot do for both: fit each alone.
    for c in (1e-8, 1e8):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ConvergenceWarning
            model = dl.LogisticRegression(l1_ratio=1.0, C=0.05 / c).fit(c * X, y)
        ref = dl.LogisticRegression(l1_ratio=1.0, C=0.05).fit(X, y)
        # C' = C / c scales the data term by 1 / c: C' sum loss + |w'|_1 with w' = w / c is
        # (1/c)(C sum loss + |w|_1), the same minimiser.
        np.testing.assert_allclose(model.coef_ * c, ref.coef_, atol=1e-6)
        assert np.array_equal(model.coef_ == 0, ref.coef_ == 0)


def test_float32_csr_and_a_constant_column():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _binary()
    X = np.column_stack([X, np.ones(len(y))])  # a constant column
    dense = dl.LogisticRegression(l1_ratio=1.0, C=0.05).fit(X, y)
    csr = dl.LogisticRegression(l1_ratio=1.0, C=0.05).fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(csr.coef_, dense.coef_, atol=1e-8)
    with warnings.catch_warnings():
        # float32 losses cannot resolve the last decreases: the fit may stop short of tol,
        # and says so (a ConvergenceWarning), close to the float64 solution all the same.
        warnings.simplefilter("ignore", ConvergenceWarning)
        f32 = dl.LogisticRegression(l1_ratio=1.0, C=0.05).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(f32.coef_, dense.coef_, atol=1e-3)
    # The intercept takes the constant column's job: that weight is exactly zero.
    assert dense.coef_[0, -1] == 0.0


def test_one_class_in_a_fold_is_refused_as_in_sklearn():
    X, y = _binary()
    keep = y == 1
    with pytest.raises(ValueError, match="at least 2 classes"):
        dl.LogisticRegression(l1_ratio=1.0).fit(X[keep], y[keep])


def test_the_multinomial_weights_are_not_centred_with_l1():
    X, y = _iris()
    model = dl.LogisticRegression(l1_ratio=1.0, C=0.2).fit(X, y)
    assert (model.coef_ == 0).any()
    # The exact zeros survive (centring the columns would have moved them).
    assert not np.allclose(model.coef_.sum(axis=0), 0.0)


@parametrize_with_checks([dl.LogisticRegression(l1_ratio=1.0, C=0.1),
                          dl.LogisticRegression(l1_ratio=0.5, C=0.1)])
def test_sklearn_conventions_with_l1(estimator, check):
    check(estimator)


def test_descend_s_objective_is_sklearn_s_divided_by_C_S():
    X, y = _binary()
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    model = dl.LogisticRegression(l1_ratio=0.4, C=0.3).fit(X, y, sw)
    S = sw.sum()
    f = descend.Logistic(X, y, l1=0.4 / (0.3 * S), l2=0.6 / (0.3 * S), fit_intercept=True,
                         sample_weight=sw)
    w = np.r_[model.coef_.ravel(), model.intercept_]
    assert f.value(w) == pytest.approx(_objective(model, X, y, 0.3, 0.4, sw) / (0.3 * S),
                                       rel=1e-12)
