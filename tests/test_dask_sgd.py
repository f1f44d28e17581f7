"""SGDRegressor and SGDClassifier on dask arrays: the chunk walk, replayed by its numpy twin.

The twin of a dask fit is :func:`descend.dask.replay` on :mod:`descend.reference`'s
LinearLoss (float64) or on the in-memory descend objective (float32), with the estimator's
own rate, rule, penalties, weights and seeds: the same batches (the documented chunk
order), the same steps, to 1e-10.
"""

import numpy as np
import pytest
from conftest import make_classification, make_regression

pytest.importorskip("sklearn")
da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
import dask  # noqa: E402

import descend  # noqa: E402
import descend.dask as ddk  # noqa: E402
from descend import reference  # noqa: E402
from descend.linear_model import SGDClassifier, SGDRegressor  # noqa: E402

UNEVEN = (40, 7, 1, 52)
SINGLE = (100,)


@pytest.fixture(autouse=True)
def threads():
    with dask.config.set(scheduler="threads"):
        yield


def _chunked(X, rows, *vectors):
    out = [da.from_array(X, chunks=(rows, X.shape[1]))]
    return out + [None if v is None else da.from_array(v, chunks=(rows,)) for v in vectors]


def _rule(model):
    """The numpy twin of the estimator's rule at its rate."""
    kind = {"sgd": "gd"}.get(model.solver, model.solver)
    extra = {}
    if model.learning_rate in ("optimal", "invscaling"):  # the rule's per-step decay
        extra["lr_decay"], extra["lr_power"] = model._decay()
    if kind in ("momentum", "nesterov"):
        extra["momentum"] = model.momentum
    if kind == "adam":
        extra.update(eps=1e-8, betas=(0.9, 0.999))
    return reference.Rule(kind, model.eta0_, **extra)


def _factor(model):
    if model.learning_rate == "cosine":
        return lambda e: reference.rules.schedule_factor("cosine", e, period=model.max_iter)
    return lambda e: 1.0  # the other schedules are the rule's (tol=None: adaptive is constant)


def _penalties(model, sw, n):
    l2, l1 = model._penalties()
    if sw is not None:
        l2, l1 = l2 * n / sw.sum(), l1 * n / sw.sum()
    return l2, l1


def _twin_fit(model, X, targets, weights, chunks, epochs, make=None):
    """Replay each problem of a fitted model: (coef rows, intercepts)."""
    seeds = model._seeds(len(targets))
    coefs, intercepts = [], []
    for k, (t, sw) in enumerate(zip(targets, weights)):
        l2, l1 = _penalties(model, sw, len(t))
        if make is None:
            f = reference.LinearLoss(X, t, loss=model.loss, l2=l2, l1=l1,
                                     fit_intercept=model.fit_intercept, sample_weight=sw,
                                     epsilon=model.epsilon)
        else:
            f = make(t, l2, sw)
        start = model._average_start()
        out = ddk.replay(f, np.zeros(X.shape[1] + model.fit_intercept), _rule(model), chunks,
                         min(model.batch_size, len(t)), epochs, seed=seeds[k],
                         shuffle=model.shuffle, factor=_factor(model), average=start)
        x = out[2] if start else out[0]
        coefs.append(x[:X.shape[1]])
        intercepts.append(x[X.shape[1]] if model.fit_intercept else 0.0)
    return np.array(coefs), np.array(intercepts)


REGRESSORS = {
    "squared_error-l2": dict(),
    "huber-elasticnet-average": dict(loss="huber", epsilon=0.5, penalty="elasticnet",
                                     alpha=1e-3, average=True),
    "epsilon_insensitive-l1-invscaling": dict(loss="epsilon_insensitive", penalty="l1",
                                              alpha=1e-3, learning_rate="invscaling",
                                              power_t=0.5, eta0=0.05),
    "squared_epsilon_insensitive-momentum": dict(loss="squared_epsilon_insensitive",
                                                 solver="momentum", eta0=0.002,
                                                 learning_rate="constant", batch_size=8,
                                                 average=30),
    "huber-cosine-auto": dict(loss="huber", learning_rate="cosine", eta0="auto"),
}


@pytest.mark.parametrize("config", list(REGRESSORS))
@pytest.mark.parametrize("chunks", [UNEVEN, SINGLE], ids=["uneven", "single"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_sgd_regressor_on_dask_replays_its_twin(config, chunks, weighted):
    X, y, _ = make_regression(n=100, d=4, seed=3)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=100) if weighted else None
    params = dict(max_iter=3, tol=None, random_state=7, **REGRESSORS[config])
    dX, dy, dsw = _chunked(X, chunks, y, sw)
    model = SGDRegressor(**params).fit(dX, dy, sample_weight=dsw)
    assert isinstance(model.coef_, np.ndarray) and model.coef_.shape == (4,)
    assert model.n_iter_ == 3 and model.t_ == 3 * ddk.steps_per_epoch(chunks, model.batch_size)
    coef, intercept = _twin_fit(model, X, [y], [sw], chunks, 3)
    np.testing.assert_allclose(model.coef_, coef[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-10, atol=1e-12)
    # Not the in-memory fit: the rows are visited in another order.
    mem = SGDRegressor(**params).fit(X, y, sample_weight=sw)
    assert mem.eta0_ == model.eta0_
    if len(chunks) > 1:
        assert not np.allclose(mem.coef_, model.coef_, rtol=1e-10)


CLASSIFIERS = {
    "hinge": dict(),
    "log_loss-optimal": dict(loss="log_loss", learning_rate="optimal", alpha=1e-2),
    "modified_huber-nesterov-balanced": dict(loss="modified_huber", solver="nesterov",
                                             learning_rate="constant", eta0=0.01,
                                             class_weight="balanced"),
    "squared_hinge-l1": dict(loss="squared_hinge", penalty="l1", alpha=1e-3, batch_size=4,
                             learning_rate="constant", eta0="auto"),
    "perceptron-average": dict(loss="perceptron", average=True, penalty=None),
    "squared_error-dict-weights": dict(loss="squared_error", class_weight={"a": 2.0},
                                       learning_rate="invscaling"),
}


def _labels(n_classes, n=100):
    X, y, _ = make_classification(n=n, d=4, seed=5)
    if n_classes == 3:
        y = np.digitize(X[:, 0] - X[:, 1], [-0.5, 0.5])
    return X, y


def _class_weights(model, encoded, sw, k):
    """The twin's weights of problem k: scikit-learn's class weights times sample_weight."""
    cw = model._expanded_class_weight
    if len(model.classes_) == 2:
        per_row = np.where(encoded == 1, cw[1], cw[0])
    else:
        per_row = np.where(encoded == k, cw[k], 1.0)
    if model.class_weight is None:
        return sw
    return per_row if sw is None else sw * per_row


@pytest.mark.parametrize("config", list(CLASSIFIERS))
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_sgd_classifier_on_dask_replays_its_twin(config, n_classes, weighted):
    X, y = _labels(n_classes)
    labels = np.array(["a", "b", "c"])[y]
    sw = np.random.default_rng(2).uniform(0.5, 2.0, size=100) if weighted else None
    params = dict(max_iter=3, tol=None, random_state=11, **CLASSIFIERS[config])
    dX, dsw = _chunked(X, UNEVEN, sw)
    model = SGDClassifier(**params).fit(dX, labels, sample_weight=dsw)
    mem = SGDClassifier(**params).fit(X, labels, sample_weight=sw)
    np.testing.assert_array_equal(model.classes_, mem.classes_)
    np.testing.assert_allclose(model._expanded_class_weight, mem._expanded_class_weight,
                               rtol=1e-15)
    assert model.coef_.shape == mem.coef_.shape and model.intercept_.shape == \
        mem.intercept_.shape
    problems = [1] if n_classes == 2 else range(n_classes)
    targets = [np.where(y == k, 1.0, -1.0) for k in problems]
    weights = [_class_weights(model, y, sw, k) for k in problems]
    coef, intercept = _twin_fit(model, X, targets, weights, UNEVEN, 3)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-10, atol=1e-12)


def test_lazy_predictions_of_an_sgd_fit_on_dask():
    X, y = _labels(3)
    dX, dy = _chunked(X, UNEVEN, y)
    rate = dict(learning_rate="constant", eta0="auto")  # moderate scores: finite logs
    model = SGDClassifier(loss="log_loss", random_state=0, max_iter=5, tol=None,
                          **rate).fit(dX, dy)
    for method in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
        lazy = getattr(model, method)(dX)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(model, method)(X), rtol=1e-12,
                                   atol=1e-14)
    score = model.score(dX, dy)
    assert isinstance(score, da.Array)
    assert float(score.compute()) == pytest.approx(model.score(X, y), rel=1e-12)
    Xr, yr, _ = make_regression(n=100, d=4, seed=3)
    dXr, dyr = _chunked(Xr, UNEVEN, yr)
    reg = SGDRegressor(random_state=0, max_iter=5, tol=None, **rate).fit(dXr, dyr)
    lazy = reg.predict(dXr)
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), reg.predict(Xr), rtol=1e-12)
    assert float(reg.score(dXr, dyr).compute()) == pytest.approx(reg.score(Xr, yr), rel=1e-12)
    assert reg.score(Xr, yr) > 0.95


def test_sgd_on_float32_chunks_replays_the_in_memory_objective():
    X, y, _ = make_regression(n=100, d=4, seed=3, dtype=np.float32)
    dX, dy = _chunked(X, UNEVEN, y.astype(np.float32))
    model = SGDRegressor(loss="huber", max_iter=3, tol=None, random_state=2,
                         batch_size=4).fit(dX, dy)

    def make(t, l2, sw):
        return descend.objectives.LinearLoss(X, t.astype(np.float32), loss="huber", l2=l2,
                                             fit_intercept=True, epsilon=model.epsilon)

    coef, intercept = _twin_fit(model, X, [y], [None], UNEVEN, 3, make=make)
    np.testing.assert_allclose(model.coef_, coef[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-10, atol=1e-12)


def test_the_tol_rule_stops_the_chunk_walk():
    X, y, _ = make_regression(n=100, d=4, seed=3)
    dX, dy = _chunked(X, UNEVEN, y)
    model = SGDRegressor(max_iter=200, tol=1e-3, random_state=3).fit(dX, dy)
    assert 1 < model.n_iter_ < 200
    coef, intercept = _twin_fit(model, X, [y], [None], UNEVEN, model.n_iter_)
    np.testing.assert_allclose(model.coef_, coef[0], rtol=1e-10, atol=1e-12)
    # The running epoch losses of the twin apply the same rule at the same epoch.
    with pytest.warns(Warning, match="Maximum number of iterations"):
        SGDRegressor(max_iter=2, tol=1e-12, random_state=3).fit(dX, dy)


def test_partial_fit_on_dask_continues_the_rule_and_the_rate():
    X, y, _ = make_regression(n=100, d=4, seed=3)
    dX, dy = _chunked(X, UNEVEN, y)
    model = SGDRegressor(solver="adam", learning_rate="constant", eta0=0.01, random_state=4)
    model.partial_fit(dX, dy).partial_fit(dX, dy)
    assert model.n_iter_ == 2
    seed = model._seeds(1)[0]
    twin = reference.LinearLoss(X, y, l2=model.alpha, fit_intercept=True)
    rule = reference.Rule("adam", 0.01, eps=1e-8, betas=(0.9, 0.999))
    x, _ = ddk.replay(twin, np.zeros(5), rule, UNEVEN, 1, 1, seed=seed)
    x, _ = ddk.replay(twin, x, rule, UNEVEN, 1, 1, seed=seed + 1)  # the rule's state kept
    np.testing.assert_allclose(model.coef_, x[:4], rtol=1e-10, atol=1e-12)
    # A numpy partial_fit continues the same state (the same rule, the data in memory).
    model.partial_fit(X, y)
    assert model.n_iter_ == 3
    clf = SGDClassifier(random_state=0)
    Xc, yc = _labels(3)
    clf.partial_fit(*_chunked(Xc, UNEVEN, yc), classes=[0, 1, 2])
    assert clf.coef_.shape == (3, 4)
    with pytest.raises(ValueError, match="classes must be given"):
        SGDClassifier().partial_fit(*_chunked(Xc, UNEVEN, yc))
    with pytest.raises(ValueError, match="balanced"):
        SGDClassifier(class_weight="balanced").partial_fit(*_chunked(Xc, UNEVEN, yc),
                                                          classes=[0, 1, 2])


def test_a_chunk_of_zero_weights_is_stepped_on_as_in_memory():
    # The in-memory loop steps on a batch whose rows all weigh zero: a zero data gradient,
    # the penalty and the momentum still act. The chunk walk does the same (it used to
    # skip such a chunk), so it replays the twin, which steps on every batch.
    X, y, _ = make_regression(n=100, d=4, seed=3)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=100)
    sw[40:47] = 0.0  # chunk 1 of UNEVEN
    dX, dy, dsw = _chunked(X, UNEVEN, y, sw)
    params = dict(solver="momentum", learning_rate="constant", eta0=0.002, alpha=0.05,
                  max_iter=2, tol=None, random_state=5, average=True)
    model = SGDRegressor(**params).fit(dX, dy, sample_weight=dsw)
    coef, intercept = _twin_fit(model, X, [y], [sw], UNEVEN, 2)
    np.testing.assert_allclose(model.coef_, coef[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-10, atol=1e-12)
    # descend.dask.minibatch too, with the l1 of the chunks' LinearLoss.
    f = ddk.LinearLoss(dX, dy, l2=0.1, l1=0.01, fit_intercept=True, sample_weight=dsw)
    r = ddk.minibatch(f, np.zeros(5), "momentum", lr=0.01, momentum=0.9, batch_size=4,
                      epochs=2, seed=1)
    twin = reference.LinearLoss(X, y, l2=0.1, l1=0.01, fit_intercept=True, sample_weight=sw)
    x, losses = ddk.replay(twin, np.zeros(5), reference.Rule("momentum", 0.01, momentum=0.9),
                           UNEVEN, 4, 2, seed=1)
    np.testing.assert_allclose(r.x, x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.history.loss, losses, rtol=1e-10)
    # The softmax model has no penalty-only form of such a chunk: refused, not skipped.
    g = ddk.Softmax(dX, da.from_array(np.arange(100) % 3, chunks=UNEVEN), l2=0.1,
                    sample_weight=dsw)
    with pytest.raises(ValueError, match="all zero cannot be stepped on"):
        ddk.minibatch(g, np.zeros(12), "sgd", lr=0.01, batch_size=4, epochs=1)


def test_sgd_on_dask_refuses_what_cannot_apply():
    X, y, _ = make_regression(n=100, d=4, seed=3)
    dX, dy = _chunked(X, UNEVEN, y)
    with pytest.raises(ValueError, match="early_stopping=True"):
        SGDRegressor(early_stopping=True).fit(dX, dy)
    with pytest.raises(ValueError, match="verbose"):
        SGDRegressor(verbose=1).fit(dX, dy)
    with pytest.raises(ValueError, match="loss must be one of"):
        SGDRegressor(loss="hinge").fit(dX, dy)
    f = ddk.LinearLoss(dX, dy, l1=0.1)
    with pytest.raises(ValueError, match="l1 > 0"):
        descend.minimize(f, np.zeros(4), method="lbfgs")
    Xc, yc = _labels(3)
    with pytest.raises(ValueError, match="penalty='l1' is supported by multi_class='ovr'"):
        SGDClassifier(loss="log_loss", multi_class="multinomial", penalty="l1").fit(
            *_chunked(Xc, UNEVEN, yc))
    with pytest.raises(ValueError, match="features"):
        SGDRegressor(max_iter=1, tol=None).fit(dX, dy).predict(dX[:, :3])
    with pytest.raises(RuntimeError, match="diverged"):
        SGDRegressor(eta0=1e6, max_iter=5, tol=None).fit(dX, dy * 1e3)


def test_multinomial_sgd_on_dask_replays_its_twin():
    X, y = _labels(3)
    dX, dy = _chunked(X, UNEVEN, y)
    model = SGDClassifier(loss="log_loss", multi_class="multinomial", max_iter=2, tol=None,
                          random_state=1, batch_size=5).fit(dX, dy)
    twin = reference.Softmax(X, y, l2=model.alpha, fit_intercept=True, n_classes=3)
    x, _ = ddk.replay(twin, np.zeros(15), _rule(model), UNEVEN, 5, 2, seed=model._seeds(1)[0])
    W = x.reshape(3, 5)
    W = W - W.mean(axis=0)
    np.testing.assert_allclose(model.coef_, W[:, :4], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, W[:, 4], rtol=1e-10, atol=1e-12)
    p = model.predict_proba(dX)
    assert isinstance(p, da.Array)
    np.testing.assert_allclose(p.sum(axis=1).compute(), 1.0, rtol=1e-12)


def test_sgd_on_a_local_cluster_replays_its_twin():
    from distributed import Client, LocalCluster

    X, y = _labels(2)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, size=100)
    params = dict(loss="log_loss", max_iter=2, tol=None, random_state=9, average=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", memory_limit="1GiB",
                      silence_logs=50) as cluster, Client(cluster), \
            dask.config.set(scheduler=None):
        dX, dy, dsw = _chunked(X, UNEVEN, y, sw)
        model = SGDClassifier(**params).fit(dX, dy, sample_weight=dsw)
        score = model.score(dX, dy).compute()
    coef, intercept = _twin_fit(model, X, [np.where(y == 1, 1.0, -1.0)], [sw], UNEVEN, 2)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-10, atol=1e-12)
    assert score == pytest.approx(model.score(X, y))


def test_the_dask_fit_clips_each_slope_as_the_in_memory_fit_does(monkeypatch):
    # "optimal" with a squared loss: the first rate alpha^(-1/4) makes the early slopes
    # overflow unless each is clipped at 1e12, as scikit-learn (and the in-memory fit) do.
    import descend.linear_model._sgd as sgd_module

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    options = dict(learning_rate="optimal", random_state=0, max_iter=5, tol=None)
    chunks = (da.from_array(X, chunks=(100, 3)), da.from_array(y, chunks=100))
    chunked = SGDRegressor(**options).fit(*chunks)
    assert np.isfinite(chunked.coef_).all()  # far from a fit (scikit-learn's too), but finite
    monkeypatch.setattr(sgd_module, "MAX_SLOPE", 1e300)  # no clip in practice
    with pytest.raises(RuntimeError, match="diverged"):
        SGDRegressor(**options).fit(*chunks)
    f = ddk.LinearLoss(chunks[0], y, max_slope=1.0, scheduler="sync")
    g = descend.objectives.LinearLoss(X, y, max_slope=1.0)
    w = np.full(3, 100.0)
    np.testing.assert_allclose(f.gradient(w), g.gradient(w), rtol=1e-12)
    with pytest.raises(ValueError, match="max_slope"):
        ddk.LinearLoss(chunks[0], y, max_slope=0.0)
