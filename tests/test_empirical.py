"""The empirical-risk skeleton: L1 on every model, and the unnormalised sums over rows."""

import pickle

import numpy as np
import pytest
from conftest import assert_close, make_classification, make_regression

import descend
from descend import _core, reference


def _softmax_data(n=240, d=5, seed=3):
    X, _, _ = make_classification(n=n, d=d, seed=seed)
    y = np.digitize(X[:, 0] - X[:, 1], [-0.8, 0.0, 0.8])  # four classes
    return X, y


def test_softmax_takes_an_l1_penalty_on_its_weights_only():
    X, y = _softmax_data()
    f = descend.Softmax(X, y, l1=0.2, l2=0.1, fit_intercept=True)
    smooth = descend.Softmax(X, y, l2=0.1, fit_intercept=True)
    twin = reference.Softmax(X, y, l1=0.2, l2=0.1, fit_intercept=True)
    w = np.linspace(-1.0, 1.0, f.n_params)
    W = w.reshape(4, 6)
    assert f.l1_penalty == 0.2 and f.l1 == 0.2 and "l1=0.2" in repr(f)
    assert f.value(w) == pytest.approx(smooth.value(w) + 0.2 * np.abs(W[:, :5]).sum(), rel=1e-13)
    assert_close(f.value(w), twin.value(w))
    assert_close(f.gradient(w), smooth.gradient(w))  # the L1 term is the solvers' prox step
    assert pickle.loads(pickle.dumps(f)).l1 == 0.2


def test_proximal_gradient_on_softmax_zeroes_weights_but_never_intercepts():
    X, y = _softmax_data()
    f = descend.Softmax(X, y, l1=0.05, fit_intercept=True)
    r = descend.minimize(f, np.zeros(f.n_params), lr=0.5, max_iter=3000)
    W = r.x.reshape(4, 6)
    assert (W[:, :5] == 0.0).any()  # soft thresholding gives exact zeros
    assert (W[:, 5] != 0.0).all()  # the intercepts are not penalised
    # The result is a minimum: the gradient mapping vanishes, so each zero weight has
    # |dR/dw| <= l1 and each nonzero one dR/dw = -l1 sign(w).
    g = descend.Softmax(X, y, fit_intercept=True).gradient(r.x).reshape(4, 6)
    zero = W[:, :5] == 0.0
    assert (np.abs(g[:, :5][zero]) <= 0.05 + 1e-6).all()
    np.testing.assert_allclose(g[:, :5][~zero], -0.05 * np.sign(W[:, :5][~zero]), atol=1e-6)
    np.testing.assert_allclose(g[:, 5], 0.0, atol=1e-6)


def test_minibatch_proximal_steps_on_softmax_follow_the_mask():
    X, y = _softmax_data(n=120)
    f = descend.Softmax(X, y, l1=0.5, fit_intercept=True)
    r = descend.minimize(f, np.zeros(f.n_params), method="sgd", lr=0.5, batch_size=20, epochs=4,
                         seed=1)
    W = r.x.reshape(4, 6)
    assert (W[:, :5] == 0.0).mean() > 0.5  # a strong penalty zeroes most weights
    assert (W[:, 5] != 0.0).any()


MAKERS = {
    "ls": lambda **kw: (descend.LeastSquares, make_regression(n=301, d=6, seed=2, **kw)[:2]),
    "logistic": lambda **kw: (descend.Logistic, make_classification(n=301, d=6, seed=2, **kw)[:2]),
    "softmax": lambda **kw: (descend.Softmax, _softmax_data(n=301, d=6)),
}


@pytest.mark.parametrize("kind", list(MAKERS))
@pytest.mark.parametrize("order", ["C", "F"])
def test_sums_over_chunks_add_up_to_the_whole(kind, order):
    cls, (X, y) = MAKERS[kind]()
    X = np.asarray(X, order=order)
    sw = np.random.default_rng(0).uniform(0.5, 40.0, size=len(y))
    f = cls(X, y, l2=0.3, fit_intercept=True, sample_weight=sw)
    w = np.random.default_rng(1).normal(size=f.n_params) * 0.3
    v = np.random.default_rng(2).normal(size=f.n_params)
    # Objectives on consecutive chunks (each normalises its own weights by its own largest):
    # their sums are in the caller's weight units, so they add up.
    cuts = [0, 17, 150, 301]
    parts = [cls(np.asarray(X[a:b], order=order), y[a:b], l2=0.3, fit_intercept=True,
                 sample_weight=sw[a:b], **({"n_classes": 4} if kind == "softmax" else {}))
             for a, b in zip(cuts, cuts[1:])]
    weight = sum(p.weight_sum() for p in parts)
    loss = sum(p.loss_sum(w)[0] for p in parts)
    grad = sum(p.loss_sum(w)[1] for p in parts)
    assert weight == pytest.approx(sw.sum(), rel=1e-12)
    assert f.weight_sum() == pytest.approx(sw.sum(), rel=1e-12)
    smooth = cls(X, y, fit_intercept=True, sample_weight=sw)  # no penalty
    assert loss / weight == pytest.approx(smooth.value(w), rel=1e-12)
    assert_close(grad / weight, smooth.gradient(w))
    assert_close(sum(p.hessian_sum(w) for p in parts) / weight, smooth.hessian(w))
    assert_close(sum(p.hvp_sum(w, v) for p in parts) / weight, smooth.hvp(w, v))
    # The same sums over row ranges of the whole objective.
    ranged = [f.loss_sum(w, a, b) for a, b in zip(cuts, cuts[1:])]
    assert sum(lv for lv, _ in ranged) == pytest.approx(loss, rel=1e-12)
    assert_close(sum(g for _, g in ranged), grad)
    assert f.weight_sum(17, 150) == pytest.approx(sw[17:150].sum(), rel=1e-12)
    assert_close(f.hvp_sum(w, v, 150), parts[2].hvp_sum(w, v))
    assert_close(f.hessian_sum(w, 0, 17), parts[0].hessian_sum(w))


def test_an_empty_range_sums_to_zero():
    f = descend.LeastSquares(np.eye(3), np.ones(3))
    loss, grad = f.loss_sum(np.ones(3), 2, 2)
    assert loss == 0.0 and (grad == 0.0).all() and f.weight_sum(1, 1) == 0.0


@pytest.mark.parametrize("start, stop", [(-1, None), (0, 4), (3, 2)])
def test_a_range_outside_the_rows_is_refused(start, stop):
    f = descend.LeastSquares(np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match="0 <= start <= stop <= n_samples = 3"):
        f.loss_sum(np.ones(3), start, stop)
    with pytest.raises(ValueError, match="0 <= start <= stop"):
        f.hessian_sum(np.ones(3), start, stop)


def test_the_core_refuses_l1_with_a_line_search_method():
    # The Python layer refuses first; the core does too, for any caller of _core.descent.
    f = descend.LeastSquares(np.eye(3), np.ones(3), l1=0.1)
    with pytest.raises(ValueError, match="L1 penalty is not differentiable"):
        _core.descent(f, np.zeros(3), "newton", "armijo", 1.0, 10, 1e-4, 0.9, 20, 1e-15, -1.0,
                      1e-8, 0.0, 100, None)


def test_softmax_proximal_steps_match_the_twin():
    X, y = _softmax_data(n=120)
    f = descend.Softmax(X, y, l1=0.03, fit_intercept=True)
    twin = reference.Softmax(X, y, l1=0.03, fit_intercept=True)
    r = descend.minimize(f, np.zeros(f.n_params), lr=0.5, max_iter=30, tol=0.0, gtol=0.0)
    x, losses = reference.run_full_batch(twin, np.zeros(f.n_params), reference.Rule("gd", 0.5), 30)
    assert_close(r.x, x)
    assert_close(r.history.loss, losses)


def test_softmax_data_gradient_sums_to_zero_over_the_classes_and_newton_holds_on_float32():
    X, y = _softmax_data(n=120, d=6)
    f = descend.Softmax(X.astype(np.float32), y, l2=1.0 / 120, fit_intercept=True)
    w = np.random.default_rng(0).normal(size=f.n_params)
    G = descend.Softmax(X.astype(np.float32), y, fit_intercept=True).gradient(w).reshape(4, 7)
    np.testing.assert_allclose(G.sum(axis=0), 0.0, atol=1e-15)  # centred: only rounding left
    # The common shift of the classes has zero curvature; the gradient's rounding along it
    # used to walk the intercepts to 1e6 (Newton then stalled at 8% of ||g0||).
    r = descend.minimize(f, np.zeros(f.n_params), method="newton")
    assert r.success and np.abs(r.x).max() < 10


def test_a_line_search_that_shrinks_to_nothing_is_a_failure_not_divergence():
    X, y = _softmax_data(n=120, d=6)
    f = descend.Softmax(X.astype(np.float32), y, l2=1.0 / 120, fit_intercept=True)
    r = descend.minimize(f, np.zeros(f.n_params), method="lbfgs", gtol=1e-12)
    assert r.status in ("line_search_failed", "converged", "stalled") and r.status != "diverged"
