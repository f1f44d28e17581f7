"""descend.linear_model as a drop-in for scikit-learn's linear models: the constructor
parameters by scikit-learn's names, their meaning (agreement with scikit-learn on the same
data and parameters), and scikit-learn's kind of error for the values descend refuses."""

import inspect

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import sklearn.linear_model as sl  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import descend.linear_model as dl  # noqa: E402

NAMES = ["LinearRegression", "Ridge", "LogisticRegression", "SGDClassifier", "SGDRegressor"]

#: scikit-learn's defaults descend does not take, each listed in the README and the
#: docstrings: tolerances and iteration limits of descend's own stopping rules and its
#: solver choice. The SGD estimators take every one of scikit-learn's.
DEFAULT_DIFFERENCES = {
    "LinearRegression": {"tol"},
    "Ridge": {"tol"},
    "LogisticRegression": {"tol", "solver", "max_iter"},
    "SGDClassifier": set(),
    "SGDRegressor": set(),
}


def _params(cls):
    return {k: p.default for k, p in inspect.signature(cls).parameters.items()}


@pytest.mark.parametrize("name", NAMES)
def test_every_sklearn_parameter_is_accepted_with_its_default(name):
    ours, theirs = _params(getattr(dl, name)), _params(getattr(sl, name))
    assert set(theirs) <= set(ours), set(theirs) - set(ours)
    differ = {k for k in theirs if not (ours[k] == theirs[k] or ours[k] is theirs[k])}
    assert differ == DEFAULT_DIFFERENCES[name]
    # Positional where scikit-learn's are, keyword-only where scikit-learn's are.
    kinds = inspect.signature(getattr(dl, name)).parameters
    for k, p in inspect.signature(getattr(sl, name)).parameters.items():
        assert kinds[k].kind == p.kind, k


def _binary():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y / y.std()


def _close(a, b, rtol=1e-6):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert np.abs(a - b).max() <= rtol * max(1.0, np.abs(b).max()), np.abs(a - b).max()


@pytest.mark.parametrize("solver", ["auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag",
                                    "saga", "lbfgs"])
def test_ridge_takes_sklearn_solver_names_and_agrees(solver):
    X, y = _diabetes()
    ours = dl.Ridge(alpha=3.0, solver=solver, random_state=0, copy_X=False).fit(X, y)
    theirs = sl.Ridge(alpha=3.0, solver="cholesky").fit(X, y)
    _close(ours.coef_, theirs.coef_)
    _close(ours.intercept_, theirs.intercept_)


def test_linear_regression_takes_copy_x_and_n_jobs():
    X, y = _diabetes()
    ours = dl.LinearRegression(copy_X=False, n_jobs=2).fit(X, y)
    _close(ours.coef_, sl.LinearRegression().fit(X, y).coef_)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "newton-cholesky", "liblinear",
                                    "sag", "saga"])
@pytest.mark.parametrize("data", [_binary, _iris])
def test_logistic_regression_takes_sklearn_solver_names_and_agrees(solver, data):
    X, y = data()
    if solver == "liblinear" and len(np.unique(y)) > 2:
        solver = "newton-cholesky"  # scikit-learn's liblinear is one-versus-rest only
    ours = dl.LogisticRegression(C=0.5, solver=solver, random_state=0, n_jobs=1).fit(X, y)
    theirs = sl.LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12,
                                   max_iter=1000).fit(X, y)
    _close(ours.coef_, theirs.coef_)
    _close(ours.intercept_, theirs.intercept_)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5}])
@pytest.mark.parametrize("data", [_binary, _iris])
def test_logistic_regression_class_weight_with_sample_weight_agrees(class_weight, data):
    X, y = data()
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    ours = dl.LogisticRegression(class_weight=class_weight).fit(X, y, sample_weight=sw)
    theirs = sl.LogisticRegression(class_weight=class_weight, solver="newton-cholesky",
                                   tol=1e-12, max_iter=1000).fit(X, y, sample_weight=sw)
    _close(ours.coef_, theirs.coef_)
    _close(ours.intercept_, theirs.intercept_)


def test_logistic_regression_warm_start_starts_from_the_last_fit():
    X, y = _iris()
    model = dl.LogisticRegression(warm_start=True).fit(X, y)
    coef, cold = model.coef_.copy(), int(model.n_iter_[0])
    model.fit(X, y)
    assert int(model.n_iter_[0]) < cold
    _close(model.coef_, coef, 1e-8)
    model.set_params(C=0.1).fit(X, y)  # a new problem from the old start: its own minimiser
    _close(model.coef_, sl.LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-12)
           .fit(X, y).coef_)


# -- SGD: the same parameters, the same objective within 1%, the same score within 0.01 --

def _log_objective(model, X, y, alpha, l1_ratio, penalty, sw=None):
    z = X @ model.coef_.ravel() + model.intercept_[0]
    s = np.where(y == model.classes_[1], 1.0, -1.0)
    sw = np.ones(len(y)) if sw is None else sw
    return float(np.mean(sw * np.logaddexp(0.0, -s * z))) + _penalty(
        model.coef_.ravel(), alpha, l1_ratio, penalty)


def _squared_objective(model, X, y, alpha, l1_ratio, penalty, sw=None):
    sw = np.ones(len(y)) if sw is None else sw
    r = X @ model.coef_ + model.intercept_[0] - y
    return float(np.mean(sw * r * r)) / 2 + _penalty(model.coef_, alpha, l1_ratio, penalty)


def _penalty(w, alpha, l1_ratio, penalty):
    r = {"l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]
    return alpha * ((1 - r) * float(w @ w) / 2 + r * float(np.abs(w).sum()))


@pytest.mark.parametrize("penalty,l1_ratio", [("l2", 0.15), ("l1", 0.15),
                                              ("elasticnet", 0.5)])
def test_sgd_classifier_penalties_agree_with_sklearn(penalty, l1_ratio):
    X, y = _binary()
    params = dict(loss="log_loss", penalty=penalty, l1_ratio=l1_ratio, alpha=1e-2,
                  learning_rate="optimal", random_state=0, tol=1e-4)
    ours = dl.SGDClassifier(**params).fit(X, y)
    theirs = sl.SGDClassifier(**params).fit(X, y)
    f = [_log_objective(m, X, y, 1e-2, l1_ratio, penalty) for m in (ours, theirs)]
    assert f[0] <= 1.01 * f[1], f
    assert abs(ours.score(X, y) - theirs.score(X, y)) <= 0.01


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_sgd_regressor_penalties_agree_with_sklearn(penalty):
    X, y = _diabetes()
    # A constant rate small enough for a per-sample run to settle near the minimiser.
    params = dict(penalty=penalty, l1_ratio=0.5, alpha=1e-2, random_state=0, tol=1e-5,
                  learning_rate="constant", eta0=1e-3)
    ours = dl.SGDRegressor(**params).fit(X, y)
    theirs = sl.SGDRegressor(**params).fit(X, y)
    f = [_squared_objective(m, X, y, 1e-2, 0.5, penalty) for m in (ours, theirs)]
    assert f[0] <= 1.01 * f[1], f
    assert abs(ours.score(X, y) - theirs.score(X, y)) <= 0.01


def test_sgd_sample_weights_mean_what_they_mean_in_sklearn():
    # scikit-learn minimises sum_i s_i loss_i / n + alpha R(w): weights that do not average
    # to one change the balance with the penalty.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 3.0] + 0.1 * rng.normal(size=300)
    # Full batches, descend's stable constant rate and a fixed number of epochs: the run
    # reaches the minimiser.
    params = dict(alpha=0.5, random_state=0, tol=None, max_iter=300, batch_size=300,
                  learning_rate="constant", eta0="auto")
    heavy = dl.SGDRegressor(**params).fit(X, y, sample_weight=np.full(300, 10.0))
    light = dl.SGDRegressor(**params).fit(X, y)
    _close(heavy.coef_, sl.Ridge(alpha=0.5 * 300 / 10.0).fit(X, y).coef_, 1e-6)
    _close(light.coef_, sl.Ridge(alpha=0.5 * 300).fit(X, y).coef_, 1e-6)


def test_sgd_classifier_class_weight_takes_scikit_learns_steps():
    """class_weight at batch_size=1 weighs each row's step: with "balanced" weights (which
    average to one) and the same order, scikit-learn's iterates; a dict moves the boundary
    towards the lighter class; partial_fit refuses "balanced" as scikit-learn does."""
    X, y = _binary()
    params = dict(loss="hinge", alpha=1e-3, learning_rate="constant", eta0=0.01,
                  shuffle=False, tol=None, max_iter=3)
    for extra in ({"class_weight": "balanced"}, {"class_weight": "balanced", "average": 20}):
        ours = dl.SGDClassifier(**params, **extra).fit(X, y)
        theirs = sl.SGDClassifier(**params, **extra).fit(X, y)
        _close(ours.coef_, theirs.coef_, 1e-9)
        _close(ours.intercept_, theirs.intercept_, 1e-9)
    plain = dl.SGDClassifier(**params).fit(X, y)
    heavy = dl.SGDClassifier(**params, class_weight={0: 10.0}).fit(X, y)
    assert (heavy.predict(X) == 0).sum() > (plain.predict(X) == 0).sum()
    sw = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    both = dl.SGDClassifier(**params, class_weight={0: 10.0}).fit(X, y, sample_weight=sw)
    assert not np.allclose(both.coef_, heavy.coef_)
    with pytest.raises(ValueError, match="balanced"):
        dl.SGDClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    online = dl.SGDClassifier(class_weight={0: 10.0}, random_state=0)
    online.partial_fit(X, y, classes=[0, 1])
    assert (online.predict(X) == 0).sum() > (plain.predict(X) == 0).sum() - 20


def test_sgd_classifier_class_weight_one_versus_all():
    X, y = _iris()
    params = dict(loss="hinge", alpha=1e-3, learning_rate="constant", eta0=0.01,
                  tol=None, max_iter=5, random_state=0)
    plain = dl.SGDClassifier(**params).fit(X, y)
    model = dl.SGDClassifier(**params, class_weight={2: 20.0}).fit(X, y)
    assert (model.predict(X) == 2).sum() > (plain.predict(X) == 2).sum()


@pytest.mark.parametrize("cls,data", [(dl.SGDClassifier, _binary),
                                      (dl.SGDRegressor, _diabetes)])
def test_coef_init_intercept_init_and_warm_start_are_the_start(cls, data):
    X, y = data()
    fitted = cls(random_state=0).fit(X, y)
    # A rate of 1e-12 barely moves: the fit ends where it started.
    still = dict(learning_rate="constant", eta0=1e-12, max_iter=1, tol=None, random_state=0)
    started = cls(**still).fit(X, y, coef_init=fitted.coef_, intercept_init=fitted.intercept_)
    _close(started.coef_, fitted.coef_, 1e-8)
    _close(started.intercept_, fitted.intercept_, 1e-8)
    warm = cls(**still, warm_start=True)
    warm.coef_, warm.intercept_ = fitted.coef_, fitted.intercept_
    warm.fit(X, y)
    _close(warm.coef_, fitted.coef_, 1e-8)
    cold = cls(**still).fit(X, y)
    assert np.abs(cold.coef_).max() < 1e-6
    with pytest.raises(ValueError, match="coef_init"):
        cls().fit(X, y, coef_init=np.zeros(X.shape[1] + 1))
    with pytest.raises(ValueError, match="intercept_init"):
        cls(fit_intercept=False).fit(X, y, intercept_init=1.0)


def test_sgd_classifier_multiclass_coef_init():
    X, y = _iris()
    start = np.random.default_rng(0).normal(size=(3, 4))
    still = dict(learning_rate="constant", eta0=1e-12, max_iter=1, tol=None)
    model = dl.SGDClassifier(**still).fit(X, y, coef_init=start, intercept_init=[1.0, 2.0, 3.0])
    _close(model.coef_, start, 1e-8)  # one row per class, one versus all
    _close(model.intercept_, [1.0, 2.0, 3.0], 1e-8)
    joint = dl.SGDClassifier(loss="log_loss", multi_class="multinomial", **still)
    joint.fit(X, y, coef_init=start, intercept_init=[1.0, 2.0, 3.0])
    _close(joint.coef_, start - start.mean(axis=0), 1e-8)  # the softmax model, centred
    _close(joint.intercept_, [-1.0, 0.0, 1.0], 1e-8)


@pytest.mark.parametrize("cls,data", [(dl.SGDClassifier, _binary),
                                      (dl.SGDRegressor, _diabetes)])
def test_early_stopping_follows_sklearns_rule(cls, data):
    X, y = data()
    params = dict(early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
                  tol=1e-3, random_state=0, max_iter=200)
    model = cls(**params).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_
    # The rule: stop after n_iter_no_change epochs in a row not above best + tol.
    best, count = -np.inf, 0
    for i, s in enumerate(scores):
        count = count + 1 if s < best + 1e-3 else 0
        best = max(best, s)
        assert (count >= 3) == (i == len(scores) - 1)
    assert model.best_score_ == scores.max()
    if cls is dl.SGDClassifier:
        schedule = {"loss": "log_loss", "learning_rate": "optimal"}
    else:
        schedule = {"learning_rate": "constant", "eta0": 1e-3}
    model = cls(**params, **schedule).fit(X, y)
    theirs = getattr(sl, cls.__name__)(**params, **schedule).fit(X, y)
    assert abs(model.score(X, y) - theirs.score(X, y)) <= 0.02
    plain = cls(random_state=0).fit(X, y)
    assert plain.validation_scores_ is None and plain.best_score_ is None


def test_early_stopping_split_is_stratified():
    X, y = _binary()
    keep = np.r_[np.flatnonzero(y == 0)[:20], np.flatnonzero(y == 1)]
    # 20 of 377 in class 0 and a 10% split: stratified, the held-out rows hold 2 of them;
    # the rule sees accuracies in steps of 1/38.
    model = dl.SGDClassifier(early_stopping=True, random_state=0).fit(X[keep], y[keep])
    assert np.allclose(model.validation_scores_ * 38, np.round(model.validation_scores_ * 38))


def test_fitted_attributes_of_sklearn():
    X, y = _iris()
    model = dl.SGDClassifier(random_state=0).fit(X, y)
    assert model.n_features_in_ == 4 and list(model.classes_) == [0, 1, 2]
    assert model.n_iter_ >= 1 and model.t_ >= model.n_iter_ * len(y)


@pytest.mark.parametrize("name", NAMES)
def test_feature_names_in_from_a_dataframe(name):
    pd = pytest.importorskip("pandas")
    X, y = _binary()
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    model = getattr(dl, name)().fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X[:, :3])


# -- the values descend refuses, with scikit-learn's kind of error --

REFUSED = [
    (dl.SGDClassifier, {"loss": "bogus"}, ValueError, "loss must be"),
    (dl.SGDClassifier, {"loss": None}, ValueError, "loss must be"),
    (dl.SGDRegressor, {"loss": "log_loss"}, ValueError, "loss must be"),
    (dl.SGDRegressor, {"loss": "hinge"}, ValueError, "loss must be"),
    (dl.SGDRegressor, {"average": -1}, ValueError, "average"),
    (dl.SGDRegressor, {"average": 1.5}, TypeError, "average"),
    (dl.SGDClassifier, {"average": "yes"}, TypeError, "average"),
    (dl.SGDClassifier, {"epsilon": -1.0}, ValueError, "epsilon"),
    (dl.SGDClassifier, {"epsilon": np.nan}, ValueError, "epsilon"),
    (dl.SGDClassifier, {"multi_class": "bogus"}, ValueError, "multi_class"),
    (dl.SGDClassifier, {"multi_class": "multinomial"}, ValueError, "multinomial"),
    (dl.SGDClassifier, {"penalty": "elasticnet", "l1_ratio": 1.5}, ValueError, "l1_ratio"),
    (dl.SGDRegressor, {"epsilon": -0.1}, ValueError, "epsilon"),
    (dl.SGDRegressor, {"early_stopping": "yes"}, TypeError, "early_stopping"),
    (dl.SGDClassifier, {"validation_fraction": 1.0}, ValueError, "validation_fraction"),
    (dl.SGDClassifier, {"validation_fraction": 0}, ValueError, "validation_fraction"),
    (dl.SGDClassifier, {"warm_start": 1}, TypeError, "warm_start"),
    (dl.SGDClassifier, {"class_weight": "bogus"}, ValueError, "class_weight"),
    (dl.LogisticRegression, {"class_weight": {7: 1.0}}, ValueError, "class"),
    (dl.SGDClassifier, {"n_jobs": 0}, ValueError, "n_jobs"),
    (dl.SGDClassifier, {"verbose": -1}, ValueError, "verbose"),
    (dl.LogisticRegression, {"l1_ratio": 2.0}, ValueError, "l1_ratio"),
    (dl.LogisticRegression, {"l1_ratio": -0.1}, ValueError, "l1_ratio"),
    (dl.LogisticRegression, {"l1_ratio": np.nan}, ValueError, "l1_ratio"),
    (dl.LogisticRegression, {"penalty": "l3"}, ValueError, "penalty"),
    (dl.LogisticRegression, {"penalty": "elasticnet", "l1_ratio": None}, ValueError,
     "l1_ratio must be specified"),
    (dl.LogisticRegression, {"l1_ratio": 1.0, "solver": "newton-cg"}, ValueError,
     "Solver newton-cg supports only 'l2' or None penalties, got l1 penalty"),
    (dl.LogisticRegression, {"l1_ratio": 0.5, "solver": "newton-cholesky"}, ValueError,
     "supports only 'l2' or None penalties, got elasticnet"),
    (dl.LogisticRegression, {"l1_ratio": 1.0, "solver": "sag"}, ValueError,
     "supports only 'l2' or None"),
    (dl.LogisticRegression, {"l1_ratio": 0.5, "solver": "liblinear"}, ValueError,
     "Only 'saga' solver supports elasticnet"),
    (dl.LogisticRegression, {"C": np.inf, "solver": "liblinear"}, ValueError,
     "not supported for the liblinear solver"),
    (dl.LogisticRegression, {"l1_ratio": 1.0, "solver": "newton"}, ValueError,
     "method='lbfgs'"),
    (dl.LogisticRegression, {"dual": True}, ValueError, "dual"),
    (dl.LogisticRegression, {"intercept_scaling": 0.0}, ValueError, "intercept_scaling"),
    (dl.LogisticRegression, {"solver": "liblinear", "intercept_scaling": 2.0}, ValueError,
     "intercept_scaling"),
    (dl.LogisticRegression, {"solver": "bogus"}, ValueError, "solver"),
    (dl.LogisticRegression, {"class_weight": "bogus"}, ValueError, "class_weight"),
    (dl.LogisticRegression, {"random_state": "x"}, ValueError, "seed"),
    (dl.LogisticRegression, {"warm_start": "yes"}, TypeError, "warm_start"),
    (dl.LogisticRegression, {"n_jobs": 0}, ValueError, "n_jobs"),
    (dl.Ridge, {"positive": True}, ValueError, "positive"),
    (dl.Ridge, {"solver": "bogus"}, ValueError, "solver"),
    (dl.Ridge, {"max_iter": 0}, ValueError, "max_iter"),
    (dl.Ridge, {"copy_X": "no"}, TypeError, "copy_X"),
    (dl.LinearRegression, {"positive": True}, ValueError, "positive"),
    (dl.LinearRegression, {"n_jobs": 0}, ValueError, "n_jobs"),
]


@pytest.mark.parametrize("cls,params,error,match", REFUSED,
                         ids=[f"{c.__name__}-{p}" for c, p, _, _ in REFUSED])
def test_refused_values_raise_sklearns_kind_of_error_at_fit(cls, params, error, match):
    X, y = _binary()
    model = cls(**params)  # constructors only store, as scikit-learn's
    with pytest.raises(error, match=match):
        model.fit(X[:100], y[:100])
