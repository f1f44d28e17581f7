"""SGDClassifier and SGDRegressor with every loss of scikit-learn's: the same iterates as
scikit-learn's SGD where the visiting order is the same (shuffle=False), the same objective
and accuracy or R^2 where it is not, one-versus-all, predict_proba, averaged SGD."""

import pickle
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import sklearn.linear_model as sl  # noqa: E402
from sklearn.datasets import load_iris, make_classification, make_regression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import descend  # noqa: E402
import descend.linear_model as dl  # noqa: E402
from descend import _core  # noqa: E402
from descend.objectives import CLASSIFICATION_LOSSES, REGRESSION_LOSSES, LinearLoss  # noqa: E402
from descend.reference.objectives import LinearLoss as TwinLoss  # noqa: E402

CLASSIFIER_LOSSES = CLASSIFICATION_LOSSES + REGRESSION_LOSSES
PENALTIES = [("l2", 0.15), ("l1", 0.15), ("elasticnet", 0.5), (None, 0.15)]


def _binary(n=600, seed=0):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, flip_y=0.05,
                               class_sep=1.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def _regression(n=600, seed=0):
    X, y = make_regression(n_samples=n, n_features=8, noise=5.0, random_state=seed)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _agree(f_ours, f_theirs, f_zero):
    """Our objective within 1% of scikit-learn's or below, or, where both are near zero
    (an epsilon tube holding nearly every row), within 1e-4 of the zero model's."""
    return f_ours <= max(1.01 * f_theirs, f_theirs + 1e-4 * f_zero)


def _objective(model, X, y, loss, alpha, penalty, l1_ratio, epsilon=0.1):
    """scikit-learn's SGD objective, mean loss + alpha R(w), of a fitted binary model or
    regressor, from the numpy twin of the loss."""
    coef = np.ravel(model.coef_)
    target = np.where(y == model.classes_[1], 1.0, -1.0) if hasattr(model, "classes_") else y
    twin = TwinLoss(X, target, loss=loss, fit_intercept=True, epsilon=epsilon)
    if loss in CLASSIFICATION_LOSSES:
        twin.y = target
    data = twin.value(np.r_[coef, np.ravel(model.intercept_)[0]])
    r = {"l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio, None: 0.0}[penalty]
    scale = 0.0 if penalty is None else alpha
    return data + scale * ((1 - r) * coef @ coef / 2 + r * np.abs(coef).sum())


class _Zero:
    """The zero model, for the objective's scale."""

    def __init__(self, d, classes=None):
        self.coef_, self.intercept_ = np.zeros(d), np.zeros(1)
        if classes is not None:
            self.classes_ = classes


# -- the same iterates as scikit-learn's where the order is the same ------------------------

@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
def test_classifier_iterates_are_scikit_learns_without_shuffling(loss):
    """shuffle=False visits the rows in the same order in both libraries, and a constant
    rate makes the step the same: w <- w - eta (loss'(z) x + alpha w). Every loss then gives
    scikit-learn's coefficients to rounding, averaged or not."""
    X, y = _binary(n=300)
    for average in (False, 7):
        params = dict(loss=loss, alpha=1e-3, learning_rate="constant", eta0=0.01,
                      shuffle=False, tol=None, max_iter=3, average=average, epsilon=0.3)
        ours = dl.SGDClassifier(**params).fit(X, y)
        theirs = sl.SGDClassifier(**params).fit(X, y)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
@pytest.mark.parametrize("average", [False, True, 50])
def test_regressor_iterates_are_scikit_learns_without_shuffling(loss, average):
    X, y = _regression(n=300)
    params = dict(loss=loss, alpha=1e-3, learning_rate="constant", eta0=0.01, shuffle=False,
                  tol=None, max_iter=3, average=average, epsilon=0.2)
    ours = dl.SGDRegressor(**params).fit(X, y)
    theirs = sl.SGDRegressor(**params).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("loss", ["hinge", "log_loss", "modified_huber", "perceptron"])
def test_one_versus_all_iterates_are_scikit_learns_without_shuffling(loss):
    X, y = _iris()
    params = dict(loss=loss, alpha=1e-3, learning_rate="optimal", shuffle=False, tol=None,
                  max_iter=4)
    ours = dl.SGDClassifier(**params).fit(X, y)
    theirs = sl.SGDClassifier(**params).fit(X, y)
    assert ours.coef_.shape == theirs.coef_.shape == (3, 4)
    # The first steps of "optimal" are large (alpha^(-1/4) = 5.6): the two libraries'
    # roundings (scikit-learn keeps w as a scale times a vector) grow to about 1e-8.
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    if loss in ("log_loss", "modified_huber"):
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6,
                                   atol=1e-9)


# -- the same objective and score where the order differs ------------------------------------

#: Shuffled runs (the orders differ) that both libraries bring close to the minimum: a
#: constant rate small enough for every loss, averaged (Polyak-Ruppert), a fixed budget.
AGREEMENT = dict(learning_rate="constant", eta0=0.002, average=True, tol=None, max_iter=50,
                 alpha=1e-3, random_state=0)


@pytest.mark.parametrize("penalty,l1_ratio", PENALTIES, ids=lambda p: str(p))
@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
def test_classifier_objective_and_accuracy_agree_with_sklearn(loss, penalty, l1_ratio):
    """The final objective (scikit-learn's, from the numpy twin of the loss) within 1% of
    scikit-learn's or below it, and the accuracy within 0.01 or better. (The perceptron's
    objective is minimal at w = 0, with any penalty: there the accuracy is that of a
    near-zero model, which either library may reach, and only the objective is compared.)"""
    X, y = _binary()
    params = dict(loss=loss, penalty=penalty, l1_ratio=l1_ratio, epsilon=0.3, **AGREEMENT)
    ours = dl.SGDClassifier(**params).fit(X, y)
    theirs = sl.SGDClassifier(**params).fit(X, y)
    f = [_objective(m, X, y, loss, 1e-3, penalty, l1_ratio, 0.3) for m in (ours, theirs)]
    zero = _objective(_Zero(X.shape[1], ours.classes_), X, y, loss, 1e-3, penalty, l1_ratio, 0.3)
    assert _agree(*f, zero), f
    if loss != "perceptron" or penalty is None:
        assert ours.score(X, y) >= theirs.score(X, y) - 0.01


@pytest.mark.parametrize("penalty,l1_ratio", PENALTIES, ids=lambda p: str(p))
@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_regressor_objective_and_r2_agree_with_sklearn(loss, penalty, l1_ratio):
    X, y = _regression()
    params = dict(loss=loss, penalty=penalty, l1_ratio=l1_ratio, epsilon=0.2, **AGREEMENT)
    ours = dl.SGDRegressor(**params).fit(X, y)
    theirs = sl.SGDRegressor(**params).fit(X, y)
    f = [_objective(m, X, y, loss, 1e-3, penalty, l1_ratio, 0.2) for m in (ours, theirs)]
    zero = _objective(_Zero(X.shape[1]), X, y, loss, 1e-3, penalty, l1_ratio, 0.2)
    assert _agree(*f, zero), f
    # With an L1 part scikit-learn truncates the weights by its cumulative penalty, descend
    # takes a proximal step: the same objective, descend's R^2 then often higher.
    assert ours.score(X, y) >= theirs.score(X, y) - 0.01


@pytest.mark.parametrize("loss", ["hinge", "log_loss", "modified_huber", "huber",
                                  "epsilon_insensitive", "perceptron"])
def test_scikit_learns_optimal_schedule_reaches_its_score(loss):
    """learning_rate="optimal" (scikit-learn's classifier default) with scikit-learn's tol
    rule: about as many epochs, and the accuracy within 0.01 or better, on average over
    ten seeds (the last iterate of one run varies by a few percent with the order)."""
    X, y = _binary()
    runs = {"ours": [], "theirs": []}
    for seed in range(10):
        params = dict(loss=loss, learning_rate="optimal", alpha=1e-3, random_state=seed,
                      epsilon=0.3)
        for name, lib in (("ours", dl), ("theirs", sl)):
            model = lib.SGDClassifier(**params).fit(X, y)
            runs[name].append((model.score(X, y), model.n_iter_))
    (ours, our_epochs), (theirs, their_epochs) = (np.mean(runs[k], axis=0) for k in runs)
    assert ours >= theirs - 0.01
    assert abs(our_epochs - their_epochs) <= 0.3 * their_epochs


@pytest.mark.parametrize("loss", ["squared_hinge", "squared_error"])
def test_optimal_schedule_on_a_squared_loss_carries_on_as_scikit_learn(loss):
    """The first rate of "optimal" is alpha^(-1/4) (5.6 at alpha=1e-3): unstable for the
    squared losses on unit-scale rows. Both libraries clip each slope at 1e12 and carry on
    until the decaying rate brings the fit back (descend used to stop at the overflow): the
    mean accuracy over ten seeds within 0.01 of scikit-learn's, or better."""
    X, y = _binary()
    params = dict(loss=loss, learning_rate="optimal", alpha=1e-3)
    ours = [dl.SGDClassifier(**params, random_state=s).fit(X, y).score(X, y)
            for s in range(10)]
    theirs = [sl.SGDClassifier(**params, random_state=s).fit(X, y).score(X, y)
              for s in range(10)]
    assert np.mean(ours) >= np.mean(theirs) - 0.01


@pytest.mark.parametrize("make", [_binary, _regression], ids=["classifier", "regressor"])
def test_default_parameters_reach_sklearns_score(make):
    """The defaults, as a user who changed the import would run them: scikit-learn's own
    (learning_rate "optimal" for the classifier, "invscaling" with eta0=0.01 for the
    regressor)."""
    X, y = make()
    cls = "SGDClassifier" if make is _binary else "SGDRegressor"
    ours = getattr(dl, cls)(random_state=0).fit(X, y)
    theirs = getattr(sl, cls)(random_state=0).fit(X, y)
    assert ours.score(X, y) >= theirs.score(X, y) - 0.01


# -- one versus all, the joint model, probabilities -------------------------------------------

def test_one_versus_all_is_k_binary_problems():
    X, y = _iris()
    params = dict(loss="squared_hinge", alpha=1e-3, max_iter=5, tol=None, random_state=3,
                  learning_rate="constant", eta0="auto")
    model = dl.SGDClassifier(**params).fit(X, y)
    assert model.coef_.shape == (3, 4) and model.intercept_.shape == (3,)
    seeds = np.random.RandomState(3).randint(np.iinfo(np.int32).max, size=3)
    for k in range(3):
        f = LinearLoss(X, (y == k).astype(int), loss="squared_hinge", l2=1e-3,
                       fit_intercept=True)
        r = descend.minimize(f, np.zeros(5), method="sgd", lr=model.eta0_, batch_size=1,
                             epochs=5, seed=int(seeds[k]), epoch_loss="running")
        np.testing.assert_allclose(model.coef_[k], r.x[:4], rtol=1e-12, atol=1e-14)
        assert model.intercept_[k] == pytest.approx(r.x[4], rel=1e-12, abs=1e-14)
    assert model.score(X, y) > 0.85


def test_the_joint_softmax_is_an_option_of_log_loss():
    X, y = _iris()
    ovr = dl.SGDClassifier(loss="log_loss", random_state=0).fit(X, y)
    joint = dl.SGDClassifier(loss="log_loss", multi_class="multinomial", random_state=0)
    joint.fit(X, y)
    np.testing.assert_allclose(joint.coef_.sum(axis=0), 0.0, atol=1e-12)  # centred
    for model in (ovr, joint):
        p = model.predict_proba(X)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
        np.testing.assert_array_equal(model.classes_[p.argmax(axis=1)], model.predict(X))
        assert model.score(X, y) > 0.9


@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
def test_predict_proba_exists_for_log_loss_and_modified_huber_only(loss):
    X, y = _binary(n=100)
    rate = dict(learning_rate="constant", eta0="auto")  # moderate scores, finite logs
    model = dl.SGDClassifier(loss=loss, max_iter=3, tol=None, random_state=0, **rate)
    assert hasattr(model, "predict_proba") == (loss in ("log_loss", "modified_huber"))
    model.fit(X, y)
    if loss not in ("log_loss", "modified_huber"):
        with pytest.raises(AttributeError, match="has no attribute 'predict_proba'") as info:
            model.predict_proba(X)
        assert "probability estimates are not available" in str(info.value.__cause__)
        assert not hasattr(model, "predict_log_proba")
        return
    # scikit-learn's formula on the same coefficients (binary and one versus all).
    for X_, y_ in ((X, y), _iris()):
        ours = dl.SGDClassifier(loss=loss, max_iter=3, tol=None, random_state=0,
                                **rate).fit(X_, y_)
        theirs = sl.SGDClassifier(loss=loss, max_iter=1, tol=None).fit(X_, y_)
        theirs.coef_, theirs.intercept_ = ours.coef_.copy(), ours.intercept_.copy()
        np.testing.assert_allclose(ours.predict_proba(X_), theirs.predict_proba(X_),
                                   rtol=1e-12, atol=1e-15)
        with np.errstate(divide="ignore"):  # modified_huber gives probabilities of 0
            expected = np.log(theirs.predict_proba(X_))
        np.testing.assert_allclose(ours.predict_log_proba(X_), expected, rtol=1e-10)


def test_modified_huber_rows_of_zero_are_uniform():
    X, y = _iris()
    model = dl.SGDClassifier(loss="modified_huber", max_iter=2, tol=None, random_state=0)
    model.fit(X, y)
    model.coef_[:] = 0.0
    model.intercept_[:] = -3.0  # every score below -1: every class clipped to zero
    np.testing.assert_allclose(model.predict_proba(X[:3]), 1.0 / 3.0)


# -- averaged SGD --------------------------------------------------------------------------

def _twin_sgd(twin, lr, epochs, seed, start):
    """Plain SGD at batch_size=1 in descend's shuffled order, and the mean of the iterates
    after steps start, start + 1, ... (the plain iterate when none is averaged)."""
    x = np.zeros(twin.n_params)
    total, count, t = np.zeros_like(x), 0, 0
    for epoch in range(epochs):
        for i in descend.permutation(twin.n_samples, seed, epoch):
            _, g = twin.batch_value_and_gradient(x, [i])
            x = x - lr * g
            t += 1
            if t >= start:
                total, count = total + x, count + 1
    return x, (total / count if count else x)


@pytest.mark.parametrize("start", [1, 5, 150, 10_000])
def test_iterate_average_is_the_mean_of_the_iterates(start):
    X, y, = _binary(n=120)
    f = LinearLoss(X, y, loss="hinge", l2=1e-2, fit_intercept=True)
    twin = TwinLoss(X, y, loss="hinge", l2=1e-2, fit_intercept=True)
    average = _core.IterateAverage(f, start)
    r = descend.minimize(average, np.zeros(f.n_params), method="sgd", lr=0.05, epochs=2,
                         seed=7, epoch_loss="running")
    x, mean = _twin_sgd(twin, 0.05, 2, 7, start)
    np.testing.assert_allclose(r.x, x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(average.average(r.x), mean, rtol=1e-12, atol=1e-14)
    assert average.steps == 240 and average.count == max(0, 240 - start)


def test_averaged_partial_fit_continues_the_average():
    """partial_fit carries the step count and the running mean from call to call: two calls
    on halves give the average of the run over both halves."""
    X, y = _regression(n=200)
    params = dict(average=3, learning_rate="constant", eta0=0.01, shuffle=False)
    online = dl.SGDRegressor(**params)
    online.partial_fit(X[:100], y[:100]).partial_fit(X[100:], y[100:])
    theirs = sl.SGDRegressor(**params)
    theirs.partial_fit(X[:100], y[:100]).partial_fit(X[100:], y[100:])
    np.testing.assert_allclose(online.coef_, theirs.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(online.intercept_, theirs.intercept_, rtol=1e-9, atol=1e-12)
    again = pickle.loads(pickle.dumps(online)).partial_fit(X[:100], y[:100])
    theirs.partial_fit(X[:100], y[:100])
    np.testing.assert_allclose(again.coef_, theirs.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("sparse_intercept_share_everywhere")
def test_averaging_works_on_sparse_x_with_dense_steps():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _binary(n=200)
    X = np.where(np.abs(X) > 0.7, X, 0.0)
    params = dict(average=10, learning_rate="constant", eta0=0.01, shuffle=False, tol=None,
                  max_iter=2)
    on_sparse = dl.SGDClassifier(**params).fit(sparse.csr_matrix(X), y)
    on_dense = dl.SGDClassifier(**params).fit(X, y)
    np.testing.assert_allclose(on_sparse.coef_, on_dense.coef_, rtol=1e-10, atol=1e-13)


# -- scales, bad values ----------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e-8, 1e8])
@pytest.mark.parametrize("loss", ["hinge", "modified_huber", "perceptron", "log_loss"])
def test_classifiers_are_invariant_to_the_scale_of_x(loss, scale):
    """X s with alpha s^2 and no intercept (whose column of ones does not scale) is the same
    problem in w / s: eta0="auto" (1 / s^2 of the rate), the steps, the tol rule (the loss of
    a margin does not change) and so the predictions are the same at 1e-8 and 1e8.
    (scikit-learn's rates, eta0=0.01 or "optimal"'s alpha^(-1/4), are not scale-free.)"""
    X, y = _binary()
    params = dict(loss=loss, fit_intercept=False, random_state=0, learning_rate="constant",
                  eta0="auto")
    reference = dl.SGDClassifier(alpha=1e-4, **params).fit(X, y)
    model = dl.SGDClassifier(alpha=1e-4 * scale**2, **params).fit(X * scale, y)
    assert model.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(model.coef_ * scale, reference.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(model.predict(X * scale), reference.predict(X))


@pytest.mark.parametrize("scale", [1e-8, 1e8])
@pytest.mark.parametrize("loss", ["squared_error", "huber", "squared_epsilon_insensitive"])
def test_regressors_are_invariant_to_the_scale_of_the_data(loss, scale):
    """X s and y s with alpha s^2 and epsilon s: the same w, the loss times s^2, and the tol
    rule (relative to the zero model's loss) the same, at eta0="auto"."""
    X, y = _regression()
    params = dict(loss=loss, fit_intercept=False, random_state=0, learning_rate="constant",
                  eta0="auto")
    reference = dl.SGDRegressor(alpha=1e-4, epsilon=0.1, **params).fit(X, y)
    model = dl.SGDRegressor(alpha=1e-4 * scale**2, epsilon=0.1 * scale, **params)
    model.fit(X * scale, y * scale)
    assert model.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_kinked_regression_at_extreme_scales_is_finite_or_refused(scale):
    """epsilon_insensitive's slope is +-1 whatever the scale, so eta0="auto" (made for a
    curvature) is not scale-free for it: at 1e-8 the intercept's steps of about 1 swamp
    targets of 1e-8 (the fit ends with a RuntimeError saying to lower eta0, never with a
    silent model of a loss far above the zero model's), and at 1e8 the rate is so small that
    the tol rule stops the fit near the zero model: there, pass eta0."""
    X, y = _regression()
    model = dl.SGDRegressor(loss="epsilon_insensitive", epsilon=0.1 * scale,
                            alpha=1e-4 * scale**2, random_state=0, learning_rate="constant",
                            eta0="auto")
    # The intercept's curvature scale (1) is 1e16 from the weights' here: the fit warns.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X * scale, y * scale)
        except RuntimeError as error:
            assert "lower eta0" in str(error) and scale < 1
            return
        finally:
            assert any("curvature scales" in str(w.message) for w in caught)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
