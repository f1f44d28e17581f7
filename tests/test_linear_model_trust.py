"""The estimators can be trusted at any scale, on any stream, with any valid parameter.

Each test here pins a defect of issue 9: a wrong answer with no warning (scale of y, the
minimum-norm solution, a stream of small batches), warnings that are doubled or worded in
internal names, the "auto" solver's choice, and parameter validation.
"""

import copy
import dataclasses
import pickle
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from descend import linear_model as dl  # noqa: E402
from sklearn import linear_model as sk  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402


def _regression(n=200, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
    y = X @ rng.normal(size=d) + 0.3 + 0.5 * rng.normal(size=n)
    return X, y


def _params(model):
    return np.r_[np.ravel(model.coef_), np.ravel(model.intercept_)]


# --- 1. the coefficients do not depend on the scale of y --------------------------------

@pytest.mark.parametrize("scale", [1e-12, 1e-6, 1.0, 1e6, 1e12])
@pytest.mark.parametrize("ours, theirs", [
    (dl.LinearRegression(), sk.LinearRegression()),
    (dl.Ridge(alpha=5.0), sk.Ridge(alpha=5.0, solver="cholesky")),
], ids=["LinearRegression", "Ridge"])
def test_coefficients_match_sklearn_at_every_scale_of_y(ours, theirs, scale):
    X, y = _regression()
    ours.fit(X, scale * y)  # pytest turns any warning into an error
    theirs.fit(X, scale * y)
    expected = _params(theirs)
    # Both are exact solves up to rounding: X is well conditioned (cond(X^T X) < 100), so
    # the relative gradient test tol=1e-10 bounds the relative error by ~1e-8.
    np.testing.assert_allclose(_params(ours), expected, rtol=0,
                               atol=1e-8 * np.linalg.norm(expected))


# --- 2. partial_fit on a stream of small batches ---------------------------------------

def _stream(seed=0, n=60):
    """Rows whose norms grow along the stream: the first one is tiny."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * np.linspace(0.05, 2.0, n)[:, None]
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)
    return X, y


def test_auto_rate_of_partial_fit_follows_the_largest_row_seen():
    X, y = _stream()
    model = dl.SGDRegressor(learning_rate="constant", eta0="auto", random_state=0)
    rates = []
    for i in range(len(y)):
        model.partial_fit(X[i:i + 1], y[i:i + 1])
        rates.append(model.eta0_)
    largest = np.maximum.accumulate(np.einsum("ij,ij->i", X, X) + 1.0)
    np.testing.assert_allclose(rates, 1.0 / (largest + model.alpha), rtol=1e-12)
    assert np.isfinite(model.coef_).all() and model.score(X, y) > 0.5


def test_partial_fit_keeps_the_rule_state_when_the_rate_falls():
    X, y = _stream()
    model = dl.SGDRegressor(solver="adam", learning_rate="constant", eta0="auto",
                            random_state=0)
    model.partial_fit(X[:10], y[:10])
    steps = model._steppers[0].state()["t"]
    model.partial_fit(X[50:], y[50:])  # larger rows: a lower rate, the same Adam moments
    largest = np.einsum("ij,ij->i", X[50:], X[50:]).max() + 1.0
    assert model.eta0_ == pytest.approx(1.0 / (largest + model.alpha), rel=1e-12)
    assert model._steppers[0].state()["t"] == steps + 10


@pytest.mark.parametrize("solver", ["sgd", "momentum"])
def test_partial_fit_reports_divergence_and_leaves_the_model_unchanged(solver):
    X, y = _stream()
    model = dl.SGDRegressor(learning_rate="constant", eta0=1.0, solver=solver, momentum=0.5,
                            random_state=0)
    with pytest.raises(RuntimeError, match=r"partial_fit diverged.*lower eta0") as info:
        for i in range(len(y)):  # the rate is unstable for rows of norm > 1
            before = copy.deepcopy(model) if hasattr(model, "coef_") else None
            model.partial_fit(10 * X[i:i + 1], y[i:i + 1])
    assert "SGDRegressor" in str(info.value) and i > 1
    np.testing.assert_array_equal(model.coef_, before.coef_)
    assert model.n_iter_ == before.n_iter_ == i
    for key, value in before._steppers[0].state().items():
        np.testing.assert_array_equal(model._steppers[0].state()[key], value)


def test_a_first_partial_fit_that_fails_leaves_the_model_unfitted():
    from sklearn.exceptions import NotFittedError

    X, y = _stream()
    model = dl.SGDRegressor(eta0=1e300, random_state=0)
    with pytest.raises(RuntimeError, match="partial_fit diverged"):
        model.partial_fit(100 * X, y)
    with pytest.raises(NotFittedError):
        model.predict(X)


@pytest.mark.parametrize("solver", ["momentum", "adam"])
def test_sgd_estimators_pickle_and_deepcopy_after_partial_fit(solver):
    X, y = _stream()
    model = dl.SGDRegressor(solver=solver, batch_size=4, learning_rate="constant",
                            eta0="auto", random_state=0)
    model.partial_fit(X[:30], y[:30])
    copies = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model)]
    model.partial_fit(X[30:], y[30:])
    for again in copies:
        again.partial_fit(X[30:], y[30:])  # continues with the saved momentum / moments
        np.testing.assert_array_equal(again.coef_, model.coef_)
    labels = (y > 0).astype(int)
    clf = dl.SGDClassifier(solver=solver, learning_rate="constant", eta0="auto",
                           random_state=0).partial_fit(X, labels, classes=[0, 1])
    again = copy.deepcopy(clf)
    np.testing.assert_array_equal(again.partial_fit(X, labels).coef_,
                                  clf.partial_fit(X, labels).coef_)


# --- 3. at most one warning per fit, in the user's terms --------------------------------

def _fit_recording(model, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    return caught


@pytest.mark.parametrize("model", [
    dl.SGDRegressor(tol=0.0, max_iter=3, random_state=0),
    dl.SGDRegressor(tol=0.0, max_iter=3, solver="adam", learning_rate="constant",
                    eta0="auto", random_state=0),
    dl.SGDClassifier(tol=0.0, max_iter=3, random_state=0),
    dl.LogisticRegression(tol=0.0, solver="gd", max_iter=5),
    dl.LinearRegression(tol=0.0, solver="lbfgs", max_iter=3),
], ids=repr)
def test_an_unmet_tol_warns_once_in_the_users_terms(model):
    X, y = _regression()
    if isinstance(model, (dl.SGDClassifier, dl.LogisticRegression)):
        y = (y > np.median(y)).astype(int)
    caught = _fit_recording(model, X, y)
    assert [w.category for w in caught] == [ConvergenceWarning]
    message = str(caught[0].message)
    assert type(model).__name__ in message and repr(model.solver) in message
    assert "max_iter" in message and "tol=0.0" in message
    assert re.search(r"epochs=|\bgtol\b|\blr\b", message) is None  # minimize's names


@pytest.mark.parametrize("model", [
    dl.LinearRegression(), dl.Ridge(), dl.LogisticRegression(),
    dl.SGDRegressor(random_state=0), dl.SGDRegressor(tol=None, max_iter=5, random_state=0),
    dl.SGDClassifier(random_state=0),
], ids=repr)
def test_a_fit_that_meets_its_tol_does_not_warn(model):
    X, y = _regression()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    if isinstance(model, (dl.SGDClassifier, dl.LogisticRegression)):
        y = (y > np.median(y)).astype(int)
    else:
        y = (y - y.mean()) / y.std()
    assert _fit_recording(model, X, y) == []


# --- 4. "auto" chooses by the size of the Hessian ---------------------------------------

@pytest.mark.parametrize("n_classes, n_features, expected", [
    (2, 30, "newton"), (10, 99, "newton"), (10, 100, "lbfgs"), (25, 40, "lbfgs"),
])
def test_auto_solver_of_logistic_regression_depends_on_the_parameter_count(
        n_classes, n_features, expected):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3 * n_classes, n_features))
    y = np.arange(3 * n_classes) % n_classes
    # tol=1e-6: a relative gradient L-BFGS reaches before the loss stops resolving (this
    # test is about the choice of method, not about how far each one can go).
    model = dl.LogisticRegression(C=0.1, tol=1e-6).fit(X, y)
    # K (d + 1) parameters (d + 1 for two classes): at most 1000 get a dense Newton method.
    assert model.solver_ == expected
    assert model.score(X, y) > 0.9


# --- 5. the minimum-norm solution of an underdetermined problem -------------------------

@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("make", [dl.LinearRegression, lambda **kw: dl.Ridge(alpha=0.0, **kw)],
                         ids=["LinearRegression", "Ridge(alpha=0)"])
def test_underdetermined_least_squares_gives_the_minimum_norm_solution(
        make, fit_intercept, weighted):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 50)) + 1.0, rng.normal(size=20)
    sw = rng.uniform(0.5, 2.0, size=20) if weighted else np.ones(20)
    sw[3] = 0.0 if weighted else 1.0  # a zero weight removes its row
    model = make(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw if weighted else None)
    keep = sw > 0
    Xk, yk, sk_ = X[keep], y[keep], sw[keep]
    x_mean = sk_ @ Xk / sk_.sum() if fit_intercept else 0.0
    y_mean = sk_ @ yk / sk_.sum() if fit_intercept else 0.0
    root = np.sqrt(sk_)
    expected = np.linalg.lstsq(root[:, None] * (Xk - x_mean), root * (yk - y_mean),
                               rcond=None)[0]
    np.testing.assert_allclose(model.coef_, expected, rtol=0,
                               atol=1e-8 * np.linalg.norm(expected))
    assert model.intercept_ == pytest.approx(y_mean - np.dot(x_mean, expected) if fit_intercept
                                             else 0.0, abs=1e-8 * np.linalg.norm(expected))
    assert model.solver_ == "min-norm"


# --- 6. parameter validation ------------------------------------------------------------

@pytest.mark.parametrize("model", [
    dl.LinearRegression(tol=np.float32(1e-8)), dl.Ridge(alpha=np.float32(2.0)),
    dl.LogisticRegression(C=np.float32(0.5), tol=np.float64(1e-8), max_iter=np.int64(100)),
    dl.SGDRegressor(tol=np.float32(1e-3), eta0=np.float32(0.01), alpha=np.float32(1e-4),
                    shuffle=np.bool_(True), n_iter_no_change=np.int32(3), random_state=0),
], ids=repr)
def test_numpy_scalars_are_accepted_as_parameters(model):
    X, y = _regression()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y > np.median(y)).astype(int) if isinstance(model, dl.LogisticRegression) else y
    model.fit(X, y)
    assert np.isfinite(model.coef_).all()


@pytest.mark.parametrize("model, error, match", [
    (dl.SGDRegressor(shuffle="no"), TypeError, "shuffle must be True or False"),
    (dl.SGDRegressor(shuffle=1), TypeError, "shuffle must be True or False"),
    (dl.SGDRegressor(n_iter_no_change=1.5), TypeError, "n_iter_no_change must be an integer"),
    (dl.SGDRegressor(n_iter_no_change=0), ValueError, "n_iter_no_change must be >= 1"),
    (dl.SGDRegressor(fit_intercept=0), TypeError, "fit_intercept must be True or False"),
    (dl.SGDRegressor(max_iter=2.0), TypeError, "max_iter must be an integer"),
    (dl.SGDRegressor(eta0=-1.0), ValueError, "eta0 must be"),
    (dl.SGDRegressor(eta0=np.inf), ValueError, "eta0 must be finite"),
    (dl.SGDRegressor(eta0="fast"), ValueError, "eta0 must be 'auto' or a number"),
    (dl.SGDRegressor(alpha=np.inf), ValueError, "alpha must be finite"),
    (dl.SGDRegressor(tol=np.inf), ValueError, "tol must be finite"),
    (dl.SGDRegressor(momentum=1.0, solver="momentum"), ValueError, "momentum must be < 1"),
    (dl.SGDRegressor(learning_rate="invscaling", power_t=-0.5), ValueError,
     "power_t must be >= 0"),
    (dl.SGDRegressor(verbose="yes"), TypeError, "verbose"),
    (dl.LinearRegression(tol=np.inf), ValueError, "tol must be finite"),
    (dl.LinearRegression(tol="small"), TypeError, "tol must be a real number"),
    (dl.LinearRegression(fit_intercept=0), TypeError, "fit_intercept must be True or False"),
    (dl.Ridge(alpha=np.inf), ValueError, "alpha must be finite"),
    (dl.LogisticRegression(C=1e-320), ValueError, "C is too small"),
    (dl.LogisticRegression(C=np.nan), ValueError, "C must be finite"),
], ids=repr)
def test_bad_parameters_are_refused_in_the_users_names(model, error, match):
    X, y = _regression(n=20)
    y = (y > np.median(y)).astype(int) if isinstance(model, dl.LogisticRegression) else y
    with pytest.raises(error, match=match) as info:
        model.fit(X, y)
    assert re.search(r"epochs=|\bgtol\b|\blr\b|\bl[12]\b", str(info.value)) is None


@pytest.mark.parametrize("model", [
    dl.LinearRegression(), dl.Ridge(alpha=1.0), dl.LogisticRegression(),
    dl.SGDRegressor(random_state=0, max_iter=20, tol=None),
    dl.SGDClassifier(random_state=0, max_iter=20, tol=None),
], ids=repr)
def test_extreme_finite_sample_weights_mean_the_same_as_moderate_ones(model):
    X, y = _regression()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    if isinstance(model, (dl.SGDClassifier, dl.LogisticRegression)):
        y = (y > np.median(y)).astype(int)
    sw = np.random.default_rng(2).uniform(0.1, 1.0, size=len(y))
    huge = copy.deepcopy(model).fit(X, y, sample_weight=1e307 * sw / sw.max())
    moderate = copy.deepcopy(model).fit(X, y, sample_weight=sw / sw.max())
    # Divided by their maximum, both are the same weights up to rounding, and so are the
    # fits, except where the penalty is relative to the sum of the weights (as in
    # scikit-learn: Ridge, LogisticRegression and the SGD estimators): with weights of 1e307
    # it vanishes.
    if isinstance(model, (dl.SGDRegressor, dl.SGDClassifier)):
        expected = copy.deepcopy(model).set_params(penalty=None).fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(_params(huge), _params(expected), rtol=1e-10, atol=1e-12)
    elif isinstance(model, (dl.Ridge, dl.LogisticRegression)):
        unpenalised = {dl.Ridge: dl.LinearRegression(),
                       dl.LogisticRegression: dl.LogisticRegression(penalty=None)}[type(model)]
        expected = unpenalised.fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(_params(huge), _params(expected), rtol=1e-6, atol=1e-8)
    else:
        np.testing.assert_allclose(_params(huge), _params(moderate), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("model", [dl.LinearRegression(), dl.LogisticRegression(),
                                   dl.SGDRegressor(), dl.SGDClassifier()], ids=repr)
def test_weights_that_are_all_zero_are_refused(model):
    X, y = _regression(n=20)
    y = (y > np.median(y)).astype(int) if isinstance(model, (dl.SGDClassifier,
                                                              dl.LogisticRegression)) else y
    with pytest.raises(ValueError, match="(?i)(sample.weight|weights).*(zero|non-zero)"):
        model.fit(X, y, sample_weight=np.zeros(len(y)))


# --- the warnings follow the run's status, whatever minimize's stopping rules --------------

def _with_status(monkeypatch, status):
    """Make the estimators see `status` from every run (the rest is real): the full-batch
    estimators' calls of minimize and the SGD estimators' calls of the solver layer."""
    from descend.linear_model import _base, _sgd

    real_minimize, real_run_rule = _base.minimize, _sgd._run_epochs

    def minimize(*args, **kwargs):
        result = real_minimize(*args, **kwargs)
        return dataclasses.replace(result, status=status,
                                   success=status in ("converged", "callback"))

    def run_rule(*args, **kwargs):
        raw = real_run_rule(*args, **kwargs)
        return {**raw, "status": status, "success": status in ("converged", "callback")}

    monkeypatch.setattr(_base, "minimize", minimize)
    monkeypatch.setattr(_sgd, "_run_epochs", run_rule)


@pytest.mark.parametrize("status, warns", [
    ("converged", False), ("callback", False), ("stalled", True), ("max_iter", True),
    ("saddle", True), ("line_search_failed", True),
])
def test_full_batch_estimators_warn_unless_the_run_succeeded(monkeypatch, status, warns):
    _with_status(monkeypatch, status)
    X, y = _regression()
    caught = _fit_recording(dl.Ridge(), X, y)
    assert [w.category for w in caught] == ([ConvergenceWarning] if warns else [])
    if warns:
        assert repr(status) in str(caught[0].message)


@pytest.mark.parametrize("tol, status, warns", [
    (1e-3, "stalled", False), (1e-3, "converged", False), (1e-3, "max_iter", True),
    (1e-3, "completed", True), (None, "completed", False),
])
def test_sgd_estimators_warn_only_when_their_tol_was_never_met(monkeypatch, tol, status, warns):
    _with_status(monkeypatch, status)
    X, y = _regression()
    caught = _fit_recording(dl.SGDRegressor(tol=tol, max_iter=5, random_state=0), X, y)
    assert [w.category for w in caught] == ([ConvergenceWarning] if warns else [])
    if warns:
        assert "Maximum number of iterations reached before convergence" in str(
            caught[0].message)


@pytest.mark.parametrize("model", [dl.Ridge(), dl.SGDRegressor(random_state=0)], ids=repr)
def test_a_diverged_run_raises_naming_the_estimator(monkeypatch, model):
    _with_status(monkeypatch, "diverged")
    X, y = _regression()
    with pytest.raises(RuntimeError, match=rf"{type(model).__name__}\(solver=.*diverged"):
        model.fit(X, y)


@pytest.mark.parametrize("model", [dl.LinearRegression(), dl.Ridge(alpha=1.0),
                                   dl.LogisticRegression()], ids=repr)
def test_float32_data_converge_without_warning_to_float32_accuracy(model):
    X, y = _regression(n=500, d=8)
    if isinstance(model, dl.LogisticRegression):
        y = (y > np.median(y)).astype(int)
    exact = copy.deepcopy(model).fit(X, y)
    caught = _fit_recording(model, X.astype(np.float32), y)
    assert caught == []  # tol is raised to what float32 arithmetic can resolve
    np.testing.assert_allclose(_params(model), _params(exact), rtol=0,
                               atol=1e-4 * np.linalg.norm(_params(exact)))


@pytest.mark.parametrize("dtype, advice", [
    (np.float32, "float32 arithmetic resolves the loss no further: fit on float64 data"),
    (np.float64, "increase max_iter"),
])
def test_a_stalled_fit_says_what_to_do_for_its_dtype(monkeypatch, dtype, advice):
    # A stalled float32 fit met float32's rounding: more iterations would not help.
    _with_status(monkeypatch, "stalled")
    X, y = _regression(n=200, d=4)
    y = (y > np.median(y)).astype(int)
    with pytest.warns(ConvergenceWarning, match=f"status 'stalled'.*{advice}"):
        dl.LogisticRegression().fit(X.astype(dtype), y)
