"""Non-smooth objectives: the L1 penalty by proximal steps, subgradient steps on |w - c|."""

import pickle

import numpy as np
import pytest
from conftest import assert_close, make_classification, make_regression

import descend
from descend import reference


def lasso_problem(l1=0.05):
    X, y, _ = make_regression(n=200, d=8, seed=4)
    return descend.LeastSquares(X, y, l1=l1), reference.LeastSquares(X, y, l1=l1)


def test_value_includes_the_l1_term_and_gradient_leaves_it_out():
    f, twin = lasso_problem()
    smooth = descend.LeastSquares(f.X, f.y)
    w = np.linspace(-1, 1, 8)
    assert f.value(w) == pytest.approx(smooth.value(w) + 0.05 * np.abs(w).sum(), rel=1e-14)
    assert_close(f.gradient(w), smooth.gradient(w))
    assert_close(f.value(w), twin.value(w))
    assert f.l1_penalty == 0.05 and "l1=0.05" in repr(f)
    assert pickle.loads(pickle.dumps(f)).l1 == 0.05


@pytest.mark.parametrize("method, options", [("gd", dict(lr=0.1)),
                                             ("momentum", dict(lr=0.05, momentum=0.5))])
def test_proximal_steps_match_the_twin(method, options):
    f, twin = lasso_problem()
    r = descend.minimize(f, np.zeros(8), method=method, max_iter=40, tol=0.0, gtol=0.0,
                         **options)
    rule = reference.Rule(method, options["lr"], momentum=options.get("momentum", 0.9))
    x, losses = reference.run_full_batch(twin, np.zeros(8), rule, 40)
    assert_close(r.x, x)
    assert_close(r.history.loss, losses)


def test_proximal_gradient_gives_exact_zeros_and_agrees_with_sklearn_lasso():
    f, _ = lasso_problem(l1=0.3)
    r = descend.minimize(f, np.zeros(8), lr=0.5, max_iter=20_000, tol=0.0, gtol=0.0)
    assert (r.x == 0.0).any()  # soft thresholding sets coordinates exactly to zero
    sk = pytest.importorskip("sklearn.linear_model")
    lasso = sk.Lasso(alpha=0.3, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(f.X, f.y)
    np.testing.assert_allclose(r.x, lasso.coef_, atol=1e-8)


def test_minibatch_l1_on_logistic():
    X, y, _ = make_classification(n=300, d=6, seed=2)
    f = descend.Logistic(X, y, l1=0.05, fit_intercept=True)
    twin = reference.Logistic(X, y, l1=0.05, fit_intercept=True)
    r = descend.minimize(f, np.zeros(7), method="sgd", lr=0.1, batch_size=25, epochs=3, seed=5)
    orders = [descend.permutation(300, 5, e) for e in range(3)]
    x, _ = reference.run_minibatch(twin, np.zeros(7), reference.Rule("gd", 0.1), 25, 3, orders)
    assert_close(r.x, x)


@pytest.mark.parametrize("method", ["newton", "bfgs", "newton-cg"])
def test_second_order_methods_refuse_an_l1_penalty(method):
    # lbfgs takes it as orthant-wise L-BFGS (tests/test_owlqn.py).
    f, _ = lasso_problem()
    with pytest.raises(ValueError, match="L1 penalty is not differentiable"):
        descend.minimize(f, np.zeros(8), method=method)
    with pytest.raises(ValueError, match="L1 penalty is not differentiable"):
        descend.minimize(f, np.zeros(8), method="gd", line_search="armijo")


def test_subgradient_steps_need_a_decaying_rate():
    f = descend.problems.absolute_deviation([1.0, -2.0, 0.5])
    x0 = [4.0, 3.0, -1.0]
    constant = descend.minimize(f, x0, lr=0.3, max_iter=2000, tol=0.0, gtol=0.0)
    decaying = descend.minimize(f, x0, lr=0.3, schedule=descend.schedules.inverse(0.05, 0.6),
                                max_iter=2000, tol=0.0, gtol=0.0)
    # A constant rate keeps bouncing across the kink; a decaying one closes in on it. Where a
    # bounce ends is a matter of rounding (FMA or not), so the test takes the loss over the
    # last 200 steps: each coordinate stays within one step (rate ~0.02 there) of its kink.
    last_constant = np.asarray(constant.history.loss[-200:])
    last_decaying = np.asarray(decaying.history.loss[-200:])
    assert constant.fun > 0.1 and last_constant.min() > 0.1
    assert last_decaying.max() < 0.1 and last_decaying.mean() < last_constant.mean() / 5
    assert not f.has_hessian
    with pytest.raises(ValueError, match="needs the objective's Hessian"):
        descend.minimize(f, x0, method="newton")


@pytest.mark.parametrize("make, error, match", [
    (lambda: descend.LeastSquares(np.eye(3), np.ones(3), l1=-1.0), ValueError, "l1 must be >= 0"),
    (lambda: descend.problems.absolute_deviation([]), ValueError, "center must not be empty"),
    (lambda: descend.problems.absolute_deviation([np.nan]), ValueError, "center contains NaN"),
])
def test_bad_inputs(make, error, match):
    with pytest.raises(error, match=match):
        make()
