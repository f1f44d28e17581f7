"""descend.objectives.LinearLoss: scikit-learn's SGD losses in the compiled core, held to the
numpy twin (dense C and F order, CSR; float64 and float32), their kinks, their curvature,
and what the solvers may claim on them."""

import pickle

import numpy as np
import pytest
from conftest import RTOL, assert_close, make_classification, make_regression

import descend
from descend.objectives import CLASSIFICATION_LOSSES, REGRESSION_LOSSES, LinearLoss
from descend.reference.objectives import LinearLoss as TwinLoss

LOSSES = CLASSIFICATION_LOSSES + REGRESSION_LOSSES
KINKED = ("hinge", "perceptron", "epsilon_insensitive")
LAYOUTS = ["C", "F", "CSR"]


def _data(loss, dtype=np.float64, layout="C", n=120, d=5, seed=0):
    if loss in CLASSIFICATION_LOSSES:
        X, y, _ = make_classification(n=n, d=d, seed=seed)
    else:
        X, y, _ = make_regression(n=n, d=d, seed=seed)
    X = np.asarray(X, dtype=dtype, order="F" if layout == "F" else "C")
    if layout == "CSR":
        sparse = pytest.importorskip("scipy.sparse")
        X = np.where(np.abs(X) > 0.6, X, 0.0).astype(dtype)  # about half the entries stored
        return sparse.csr_matrix(X), X, y
    return X, X, y


def _pair(loss, dtype=np.float64, layout="C", **kwargs):
    X, dense, y = _data(loss, dtype, layout)
    weights = np.random.default_rng(3).uniform(0.2, 2.0, size=len(y))
    options = dict(loss=loss, l2=0.05, fit_intercept=True, sample_weight=weights, epsilon=0.3)
    options.update(kwargs)
    return LinearLoss(X, y, **options), TwinLoss(dense.astype(np.float64), y, **options)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("loss", LOSSES)
def test_value_gradient_and_curvature_match_the_twin(loss, dtype, layout):
    f, twin = _pair(loss, dtype, layout)
    w = np.random.default_rng(1).normal(size=f.n_params) * 0.7
    value, grad = f.value_and_gradient(w)
    assert_close(value, twin.value(w), dtype)
    assert_close(grad, twin.gradient(w), dtype)
    assert_close(f.value(w), twin.value(w), dtype)
    assert_close(f.gradient(w), twin.gradient(w), dtype)
    rows = np.array([4, 0, 7, 7, 31])
    bv, bg = f.batch_value_and_gradient(w, rows)
    tv, tg = twin.batch_value_and_gradient(w, rows)
    assert_close(bv, tv, dtype)
    assert_close(bg, tg, dtype)
    # The unnormalised sums carry the almost-everywhere second derivative of every loss.
    S = twin.s.sum()
    unpenalised = twin.hessian(w) - twin._penalty_matrix()
    assert_close(f.hessian_sum(w) / S, unpenalised, dtype)
    v = np.random.default_rng(2).normal(size=f.n_params)
    assert_close(f.hvp_sum(w, v) / S, unpenalised @ v, dtype)
    if loss in KINKED:
        assert not f.has_hessian and not f.smooth
    else:
        assert f.has_hessian and f.smooth
        assert_close(f.hessian(w), twin.hessian(w), dtype)
        assert_close(f.hvp(w, v), twin.hvp(w, v), dtype)


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_the_smooth_losses_are_the_existing_objectives(loss):
    X, _, y = _data(loss)
    own = (descend.Logistic if loss == "log_loss" else descend.LeastSquares)(X, y, l2=0.1)
    f = LinearLoss(X, y, loss=loss, l2=0.1)
    w = np.linspace(-1.0, 1.0, X.shape[1])
    assert f.value(w) == own.value(w)
    np.testing.assert_array_equal(f.gradient(w), own.gradient(w))


def _sklearn_losses(epsilon):
    fast = pytest.importorskip("sklearn.linear_model._sgd_fast")
    return {"hinge": lambda: fast.Hinge(1.0), "perceptron": lambda: fast.Hinge(0.0),
            "squared_hinge": lambda: fast.SquaredHinge(1.0),
            "modified_huber": lambda: fast.ModifiedHuber(),
            "epsilon_insensitive": lambda: fast.EpsilonInsensitive(epsilon),
            "squared_epsilon_insensitive": lambda: fast.SquaredEpsilonInsensitive(epsilon)}


@pytest.mark.parametrize("loss", ["hinge", "perceptron", "squared_hinge", "modified_huber",
                                  "epsilon_insensitive", "squared_epsilon_insensitive"])
def test_losses_and_slopes_are_scikit_learns_kinks_included(loss):
    """On a grid of margins through every kink (a = t z at 1, 0, -1; r = z - y at +-e, 0),
    the compiled loss and slope are those of scikit-learn's SGD (the loss classes of its
    private _sgd_fast module, which have py_loss and py_dloss; skipped where they are not
    there). Huber, the squared error and the log-loss come from scikit-learn's _loss module
    and are held to the twin above."""
    epsilon = 0.5
    try:
        theirs = _sklearn_losses(epsilon)[loss]()
    except (AttributeError, TypeError):
        pytest.skip("scikit-learn's _sgd_fast has no such loss class")
    classification = loss in CLASSIFICATION_LOSSES
    z = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.5])
    y = np.ones_like(z) if classification else np.full_like(z, 0.5)
    for target in ([1.0, -1.0] if classification else [0.5]):
        y[:] = target
        # One row per margin: X = z (one column), w = 1, so every row's margin is its z.
        f = LinearLoss(z[:, None], (y > 0).astype(int) if classification else y, loss=loss,
                       epsilon=epsilon)
        sums = [f.loss_sum(np.ones(1), i, i + 1) for i in range(len(z))]
        values = np.array([v for v, _ in sums])
        slopes = np.array([g[0] / zi if zi != 0 else np.nan for (_, g), zi in zip(sums, z)])
        expected_values = np.array([theirs.py_loss(zi, target) for zi in z])
        expected_slopes = np.array([theirs.py_dloss(zi, target) for zi in z])
        np.testing.assert_allclose(values, expected_values, rtol=1e-15, atol=1e-15)
        keep = z != 0  # a zero row has a zero gradient whatever the slope
        np.testing.assert_allclose(slopes[keep], expected_slopes[keep], rtol=1e-15, atol=1e-15)
        # The slope at z = 0 from a margin set by the intercept instead.
        g0 = LinearLoss(np.zeros((1, 1)), [int(target > 0)] if classification else [target],
                        loss=loss, epsilon=epsilon, fit_intercept=True).gradient(np.zeros(2))
        assert g0[1] == pytest.approx(theirs.py_dloss(0.0, target), abs=1e-15)


def test_kinks_take_scikit_learns_slope_without_scikit_learn():
    """The same choice at the kink, stated: hinge -t at a = 1, perceptron -t at a = 0,
    epsilon-insensitive 0 on the edges of the tube."""
    at = lambda loss, z, y, e=0.1: LinearLoss(  # noqa: E731
        np.ones((1, 1)), [y], loss=loss, epsilon=e).gradient(np.array([z]))[0]
    assert at("hinge", 1.0, 1) == -1.0 and at("hinge", -1.0, 0) == 1.0
    assert at("hinge", 1.0 + 1e-12, 1) == 0.0
    assert at("perceptron", 0.0, 1) == -1.0 and at("perceptron", 1e-12, 1) == 0.0
    assert at("epsilon_insensitive", 0.25, 0.0, e=0.25) == 0.0
    assert at("epsilon_insensitive", 0.25 + 1e-12, 0.0, e=0.25) == 1.0
    assert at("squared_hinge", 1.0, 1) == 0.0  # C^1: no kink to choose at


@pytest.mark.parametrize("loss", KINKED)
def test_newton_methods_refuse_the_kinked_losses(loss):
    f, _ = _pair(loss)
    for method in ("newton", "newton-cg"):
        with pytest.raises(ValueError, match="needs the objective's Hessian"):
            descend.minimize(f, np.zeros(f.n_params), method=method)
    with pytest.raises(TypeError, match="has no Hessian"):
        f.hessian(np.zeros(f.n_params))


@pytest.mark.parametrize("loss", ["squared_hinge", "modified_huber", "huber",
                                  "squared_epsilon_insensitive"])
def test_newton_solves_the_differentiable_piecewise_losses(loss):
    """The C^1 losses: Newton on the generalised Hessian, with its line search, reaches the
    minimum L-BFGS finds, and both certify it by the gradient."""
    f, _ = _pair(loss)
    newton = descend.minimize(f, np.zeros(f.n_params), method="newton")
    lbfgs = descend.minimize(f, np.zeros(f.n_params), method="lbfgs", gtol=1e-10)
    assert newton.success and lbfgs.success
    assert newton.fun == pytest.approx(lbfgs.fun, rel=1e-9)
    np.testing.assert_allclose(newton.x, lbfgs.x, atol=1e-5)


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
@pytest.mark.parametrize("loss", KINKED)
def test_no_false_success_on_the_kinked_losses(loss, scale):
    """Subgradient runs on hinge, perceptron and epsilon-insensitive objectives, at every
    scale of the data: success only where the subgradient's norm really fell below gtol of
    its start (then the point is within gtol ||g0|| ||w - w*|| of the minimum, the losses
    being convex). (No intercept: its column of ones would not scale with X.)"""
    X, _, y = _data(loss, n=200)
    if loss in CLASSIFICATION_LOSSES:  # X s: w ~ 1/s, the loss O(1), its subgradient ~ s
        f = LinearLoss(X * scale, y, loss=loss, l2=1e-2 * scale**2)
        lr = 1.0 / scale**2
    else:  # X s and y s: w O(1), the loss and its subgradient ~ s
        f = LinearLoss(X * scale, y * scale, loss=loss, l2=1e-2 * scale, epsilon=0.1 * scale)
        lr = 1.0 / scale
    x0 = np.zeros(f.n_params)
    g0 = np.linalg.norm(f.gradient(x0))
    for method, options in [("gd", dict(lr=0.5 * lr, max_iter=300)),
                            ("lbfgs", dict(max_iter=300)),
                            ("sgd", dict(lr=0.05 * lr, epochs=5, epoch_loss="full"))]:
        r = descend.minimize(f, x0, method=method, **options)
        if r.success:
            assert np.linalg.norm(f.gradient(r.x)) <= 1e-6 * g0 * (1 + 1e-9), method
        else:
            assert r.status != "converged", (method, r.status)
        assert np.isfinite(r.fun), (method, r.message)


def test_a_subgradient_that_vanishes_is_a_certified_minimum():
    # Separable data and no penalty: w = 2 * direction classifies every row with margin >= 1,
    # where the hinge loss and its subgradient are exactly zero.
    X = np.array([[2.0], [1.0], [-1.0], [-3.0]])
    f = LinearLoss(X, [1, 1, 0, 0], loss="hinge")
    r = descend.minimize(f, [0.0], method="gd", lr=1.0, max_iter=50)
    assert r.success and r.fun == 0.0 and r.x[0] >= 1.0


def test_huber_reduces_to_least_squares_inside_and_absolute_deviation_outside():
    X, y, _ = make_regression(n=50, d=3, seed=2)
    w = np.zeros(3)
    inside = LinearLoss(X, y, loss="huber", epsilon=1e6)
    np.testing.assert_allclose(inside.value(w), descend.LeastSquares(X, y).value(w), rtol=1e-14)
    tiny = 1e-9
    outside = LinearLoss(X, y, loss="huber", epsilon=tiny)
    assert outside.value(w) == pytest.approx(tiny * np.abs(y).mean(), rel=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
def test_pickles_reprs_and_read_only_arguments(loss):
    f, _ = _pair(loss)
    g = pickle.loads(pickle.dumps(f))
    w = np.linspace(-0.5, 0.5, f.n_params)
    assert g.value(w) == f.value(w) and g.loss == loss and g.epsilon == 0.3
    assert f"loss={loss!r}" in repr(f)
    assert ("epsilon=0.3" in repr(f)) == (loss in ("huber", "epsilon_insensitive",
                                                    "squared_epsilon_insensitive"))
    with pytest.raises(AttributeError, match="read-only"):
        f.loss = "hinge"


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(loss="bogus"), ValueError, "loss must be one of"),
    (dict(loss=None), ValueError, "loss must be one of"),
    (dict(loss="log"), ValueError, "loss must be one of"),
    (dict(loss="huber", epsilon=-0.1), ValueError, "epsilon"),
    (dict(loss="huber", epsilon=np.inf), ValueError, "epsilon"),
    (dict(loss="huber", epsilon="wide"), TypeError, "epsilon"),
    (dict(loss="hinge", y=[0, 1, 2, 1]), ValueError, "binary labels"),
    (dict(loss="huber", y=[0.0, 1.0, np.nan, 1.0]), ValueError, "NaN"),
])
def test_bad_arguments(kwargs, error, match):
    kwargs = {"y": [0, 1, 0, 1], **kwargs}
    with pytest.raises(error, match=match):
        LinearLoss(np.eye(4), **kwargs)


def test_float32_is_computed_in_float32_to_its_tolerance():
    f64, _ = _pair("modified_huber")
    X, _, y = _data("modified_huber", np.float32)
    f32 = LinearLoss(X, y, loss="modified_huber", l2=0.05, fit_intercept=True,
                     sample_weight=f64.sample_weight, epsilon=0.3)
    w = np.full(f64.n_params, 0.2)
    assert abs(f32.value(w) - f64.value(w)) <= RTOL[np.dtype(np.float32)] * 10 * abs(f64.value(w))


def test_iterate_average_checks_its_arguments():
    from descend import _core

    f, _ = _pair("hinge")
    with pytest.raises(ValueError, match="start must be >= 1"):
        _core.IterateAverage(f, 0)
    average = _core.IterateAverage(f, 3)
    with pytest.raises(ValueError, match="count <= steps"):
        average.set_state(2, 5, np.zeros(f.n_params))
    with pytest.raises(ValueError, match="length"):
        average.set_state(5, 2, np.zeros(f.n_params + 1))
    with pytest.raises(ValueError, match="length"):
        average.average(np.zeros(2))
    x = np.arange(f.n_params, dtype=float)
    np.testing.assert_array_equal(average.average(x), x)  # no step taken: the iterate itself
    average.set_state(5, 2, np.ones(f.n_params))
    np.testing.assert_allclose(average.average(x), (2 * np.ones(f.n_params) + x) / 3)
