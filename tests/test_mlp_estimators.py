"""descend.neural_network: scikit-learn's conventions (check_estimator), the same predictions
as scikit-learn's MLP given the same weights, and the training options."""

import pickle
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from descend import neural_network as dnn  # noqa: E402
from sklearn import neural_network as sknn  # noqa: E402
from sklearn.datasets import load_digits, make_multilabel_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

# Shuffled mini-batches: zero weights change the order of the steps, not only their sum.
_XFAIL = {name: "shuffled mini-batches: zero weights are not removed samples"
          for name in ("check_sample_weight_equivalence_on_dense_data",)}


@parametrize_with_checks([dnn.MLPClassifier(),
                          dnn.MLPRegressor()],
                         expected_failed_checks=lambda e: _XFAIL)
def test_sklearn_conventions(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _copy_weights(ours, theirs):
    theirs.coefs_ = [W.copy() for W in ours.coefs_]
    theirs.intercepts_ = [b.copy() for b in ours.intercepts_]


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_same_predictions_as_sklearn_classifier(activation, n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = rng.integers(0, n_classes, size=80)
    ours = dnn.MLPClassifier((7, 3), activation=activation, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        theirs = sknn.MLPClassifier((7, 3), activation=activation, max_iter=1).fit(X, y)
    assert [W.shape for W in ours.coefs_] == [W.shape for W in theirs.coefs_]
    assert ours.out_activation_ == theirs.out_activation_
    _copy_weights(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_same_predictions_as_sklearn_regressor_and_multilabel():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    Y = rng.normal(size=(60, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = dnn.MLPRegressor((6,), activation="tanh", max_iter=3, random_state=0).fit(X, Y)
        theirs = sknn.MLPRegressor(hidden_layer_sizes=(6,), activation="tanh", max_iter=1).fit(X, Y)
        _copy_weights(ours, theirs)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
        Xm, Ym = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
        ours = dnn.MLPClassifier((5,), max_iter=3, random_state=0).fit(Xm, Ym)
        theirs = sknn.MLPClassifier((5,), max_iter=1).fit(Xm, Ym)
    _copy_weights(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(Xm), theirs.predict_proba(Xm), rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(Xm), theirs.predict(Xm))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0)


@pytest.mark.parametrize("solver,kwargs,least", [
    ("adam", dict(max_iter=30, batch_size=32), 0.95),
    ("sgd", dict(max_iter=30, batch_size=32, learning_rate_init=0.1), 0.9),
    ("momentum", dict(max_iter=30, batch_size=32, learning_rate_init=0.05), 0.95),
    ("lbfgs", dict(max_iter=200), 0.95),
])
def test_digits_accuracy(digits, solver, kwargs, least):
    X_train, X_test, y_train, y_test = digits
    clf = dnn.MLPClassifier((100,), solver=solver, random_state=0, tol=0.0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= least
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_early_stopping_partial_fit_warm_start(digits):
    X_train, _, y_train, _ = digits
    clf = dnn.MLPClassifier((30,), early_stopping=True, n_iter_no_change=3, max_iter=200,
                            random_state=0, learning_rate_init=0.01).fit(X_train, y_train)
    assert clf.n_iter_ < 200  # stopped early
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    part = dnn.MLPClassifier((30,), random_state=0)
    for _ in range(3):
        part.partial_fit(X_train, y_train, classes=np.arange(10))
    assert part.n_iter_ == 3 and len(part.loss_curve_) == 3
    assert part.loss_curve_[2] < part.loss_curve_[0]
    with pytest.raises(ValueError, match="classes"):
        dnn.MLPClassifier().partial_fit(X_train, y_train)
    with pytest.raises(AttributeError, match="partial_fit"):
        dnn.MLPClassifier(solver="lbfgs").partial_fit(X_train, y_train, classes=np.arange(10))
    warm = dnn.MLPClassifier((30,), warm_start=True, max_iter=2, random_state=0, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X_train, y_train)
        first = warm.loss_curve_[-1]
        warm.fit(X_train, y_train)
    assert warm.n_iter_ == 4 and warm.loss_curve_[-1] < first
    clone = pickle.loads(pickle.dumps(part))
    np.testing.assert_array_equal(clone.predict(X_train), part.predict(X_train))


@pytest.mark.parametrize("params,match", [
    (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
    (dict(activation="gelu"), "activation"),
    (dict(solver="sag"), "solver"),
    (dict(alpha=-1.0), "alpha"),
    (dict(learning_rate_init=0.0), "learning_rate_init"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(batch_size=0), "batch_size"),
])
def test_bad_parameters(params, match):
    X, y = np.ones((6, 2)), np.array([0, 1] * 3)
    with pytest.raises(ValueError, match=match):
        dnn.MLPClassifier(**params).fit(X, y)


@pytest.mark.parametrize("module", ["descend.neural_network",
                                    "descend.neural_network._multilayer"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_demo_initialisation_section():
    from descend import _demo_mlp

    figures = []
    table, note = _demo_mlp.initialisation(figures, depth=4, width=32, epochs=3)
    he, uniform = [line.split("|") for line in table.splitlines()[2:4]]
    assert float(he[3]) < 0.5 * float(he[2])  # He: the loss falls at once
    assert abs(float(uniform[3]) - np.log(10)) < 0.01  # small uniform: stuck at log 10
    assert len(figures) == 1 and figures[0][1] == "figure"
